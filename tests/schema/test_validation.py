"""Input validation: every way a request can be wrong is a 4xx whose message names the field.

The first half checks :class:`~driftguard.schema.validation.InputValidator` and the Open Inference
Protocol decoding (:mod:`driftguard_service.v2`) directly; the second half sends the same
mistakes to a running app (FastAPI's in-process ``TestClient``) through ``POST /predict/{name}`` and
``POST /v2/models/{name}/infer``, and checks the status, ``location`` and message.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import cancer_records
from driftguard_service import v2
from driftguard_service.app import create_app
from driftguard_service.schemas import InferenceRequest
from driftguard_service.settings import Settings
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from driftguard.errors import ConfigurationError, InvalidInputError
from driftguard.schema.features import FeatureSpec, Schema
from driftguard.schema.validation import InputValidator
from driftguard.types import FeatureKind

TOKEN = "t" * 20
JSON = {"content-type": "application/json"}

SCHEMA = Schema(
    (
        FeatureSpec("age", FeatureKind.NUMERIC, 18.0, 90.0),
        FeatureSpec("city", FeatureKind.CATEGORICAL, vocabulary=("1", "1.5", "True", "oslo")),
    )
)


def _invalid(call: Any, *args: Any) -> InvalidInputError:
    with pytest.raises(InvalidInputError) as info:
        call(*args)
    return info.value


# --------------------------------------------------------------------------------------------
# InputValidator


def test_valid_records_become_typed_columns() -> None:
    batch = InputValidator(SCHEMA).records(
        [{"age": 30, "city": "oslo"}, {"age": 40.5, "city": "rome"}]
    )
    assert batch.n_rows == 2
    assert batch.columns["age"].dtype == np.float64
    np.testing.assert_array_equal(batch.columns["age"], [30.0, 40.5])
    assert batch.columns["city"].tolist() == ["oslo", "rome"]
    assert batch.nonfinite == {}
    assert batch.unseen == {"city": 1}


@pytest.mark.parametrize(
    ("records", "location", "fragment"),
    [
        ({"age": 1}, "records", "expected an array of records, got an object"),
        ([], "records", "at least one record"),
        ([{"age": 1, "city": "oslo"}, 5], "records[1]", "expected an object"),
        ([{"age": 1}], "records[0]", "missing feature 'city'"),
        ([{"age": 1, "city": "oslo", "zip": 1}], "records[0]", "unknown feature 'zip'"),
        ([{"age": "30", "city": "oslo"}], "records[0].age", "got the string '30'"),
        ([{"age": True, "city": "oslo"}], "records[0].age", "got the boolean true"),
        ([{"age": [1], "city": "oslo"}], "records[0].age", "got an array"),
        ([{"age": {"v": 1}, "city": "oslo"}], "records[0].age", "got an object"),
        ([{"age": 1, "city": ["oslo"]}], "records[0].city", "expected a string, number or"),
        ([{"age": 1, "city": {}}], "records[0].city", "got an object"),
        ([{"age": 10**400, "city": "oslo"}], "records[0].age", "too large for a float64"),
        ([{"age": None, "city": "oslo"}], "records[0].age", "null is not accepted"),
        ([{"age": math.nan, "city": "oslo"}], "records[0].age", "nan is not accepted"),
        ([{"age": math.inf, "city": "oslo"}], "records[0].age", "inf is not accepted"),
        ([{"age": 1, "city": None}], "records[0].city", "null is not accepted"),
        ([{"age": 1, "city": -math.inf}], "records[0].city", "-inf is not accepted"),
    ],
)
def test_invalid_records_name_the_field(records: Any, location: str, fragment: str) -> None:
    error = _invalid(InputValidator(SCHEMA).records, records)
    assert error.location == location
    assert str(error).startswith(f"{location}: ")
    assert fragment in str(error)


def test_the_reject_message_points_at_the_count_policy() -> None:
    error = _invalid(InputValidator(SCHEMA).records, [{"age": math.nan, "city": "oslo"}])
    assert "DRIFTGUARD_NONFINITE=count" in str(error)


def test_later_rows_are_located_by_index() -> None:
    rows = [{"age": 1, "city": "oslo"}] * 3 + [{"age": "x", "city": "oslo"}]
    assert _invalid(InputValidator(SCHEMA).records, rows).location == "records[3].age"


def test_count_policy_lets_missing_and_nonfinite_values_through() -> None:
    rows = [
        {"age": None, "city": "oslo"},
        {"age": math.inf, "city": None},
        {"age": -math.inf, "city": math.nan},
        {"age": 20, "city": "oslo"},
    ]
    batch = InputValidator(SCHEMA, nonfinite="count").records(rows)
    assert batch.nonfinite == {"age": 3, "city": 2}
    assert batch.unseen == {}  # missing is not unseen
    assert np.isnan(batch.columns["age"][0])
    assert batch.columns["age"][1:].tolist() == [math.inf, -math.inf, 20.0]
    assert batch.columns["city"].tolist() == ["oslo", "", "", "oslo"]


def test_categorical_values_are_read_as_at_training_time() -> None:
    rows = [{"age": 1, "city": v} for v in (1, 1.0, 1.5, True, "oslo", 7, 10**400)]
    batch = InputValidator(SCHEMA).records(rows)
    assert batch.columns["city"].tolist()[:6] == ["1", "1", "1.5", "True", "oslo", "7"]
    assert batch.columns["city"][6] == str(10**400)[:5]  # was an OverflowError (a 500)
    assert batch.unseen == {"city": 2}


def test_long_unseen_labels_cannot_blow_up_the_column() -> None:
    # one long string used to widen the whole fixed-width array: rows x length x 4 bytes
    rows = [{"age": 1, "city": "oslo"}] * 1000 + [{"age": 1, "city": "x" * 100_000}]
    batch = InputValidator(SCHEMA).records(rows)
    assert batch.columns["city"].itemsize <= 4 * 5  # longest training label + 1
    assert batch.columns["city"][-1] == "xxxxx"  # cut, and still unseen
    assert batch.unseen == {"city": 1}
    assert batch.columns["city"][0] == "oslo"
    prefix = InputValidator(SCHEMA).records([{"age": 1, "city": "oslo-and-more"}])
    assert prefix.unseen == {"city": 1}


def test_columns_layout_errors() -> None:
    validator = InputValidator(SCHEMA)
    error = _invalid(validator.columns, {"age": [1.0]})
    assert (error.location, "missing feature 'city'" in str(error)) == ("inputs", True)
    error = _invalid(validator.columns, {"age": [1.0], "city": ["a"], "x": [1]})
    assert "unknown feature 'x'" in str(error)
    error = _invalid(validator.columns, {"age": 1.0, "city": ["a"]})
    assert error.location == "inputs.age"
    error = _invalid(validator.columns, {"age": [1.0, 2.0], "city": ["a"]})
    assert "different numbers of rows" in str(error)
    error = _invalid(validator.columns, {"age": [], "city": []})
    assert "at least one row" in str(error)
    error = _invalid(validator.columns, {"age": [1.0, "x"], "city": ["a", "b"]})
    assert error.location == "inputs.age[1]"


def test_unknown_policy_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="nonfinite"):
        InputValidator(SCHEMA, nonfinite="ignore")


# --------------------------------------------------------------------------------------------
# Open Inference Protocol decoding


def _request(*inputs: dict[str, Any], outputs: list[str] | None = None) -> InferenceRequest:
    body: dict[str, Any] = {"inputs": list(inputs)}
    if outputs is not None:
        body["outputs"] = [{"name": n} for n in outputs]
    return InferenceRequest.model_validate(body)


def _tensor(name: str, shape: list[int], data: list[Any], datatype: str = "FP64") -> Any:
    return {"name": name, "shape": shape, "datatype": datatype, "data": data}


def test_matrix_and_per_feature_layouts_decode_to_the_same_rows() -> None:
    validator = InputValidator(SCHEMA)
    flat = v2.decode(_request(_tensor("x", [2, 2], [30, "oslo", 40, "rome"], "BYTES")), validator)
    nested = v2.decode(_request(_tensor("x", [2, 2], [[30, "oslo"], [40, "rome"]])), validator)
    per_feature = v2.decode(
        _request(
            _tensor("city", [2, 1], [["oslo"], ["rome"]], "BYTES"), _tensor("age", [2], [30, 40])
        ),
        validator,
    )
    for batch in (flat, nested, per_feature):
        assert batch.n_rows == 2
        assert batch.columns["age"].tolist() == [30.0, 40.0]
        assert batch.columns["city"].tolist() == ["oslo", "rome"]


@pytest.mark.parametrize(
    ("inputs", "location", "fragment"),
    [
        ([], "inputs", "at least one input tensor"),
        ([_tensor("x", [1, 2], [1, "oslo"], "FLOAT")], "inputs[0].datatype", "'FLOAT'"),
        ([_tensor("x", [1, -2], [1, "oslo"])], "inputs[0].shape", "non-negative"),
        ([_tensor("x", [], [1, "oslo"])], "inputs[0].shape", "non-negative"),
        ([_tensor("x", [2, 2], [1, "oslo", 2])], "inputs[0].data", "has 3 values"),
        ([_tensor("x", [1, 3], [1, "oslo", 3])], "inputs[0].shape", "expected [rows, 2]"),
        ([_tensor("x", [2], [1, "oslo"])], "inputs[0].shape", "expected [rows, 2]"),
        ([_tensor("x", [1, 2], [[[[[[1, "oslo"]]]]]])], "inputs[0].data", "nested more than"),
        ([_tensor("x", [1, 2], ["1", "oslo"])], "inputs[0].data[0]", "got the string '1'"),
        ([_tensor("x", [2, 2], [1, "oslo", 2, {}])], "inputs[0].data[3]", "got an object"),
        (
            [_tensor("age", [1], [1]), _tensor("city", [1, 2], ["oslo", "rome"], "BYTES")],
            "inputs[1].shape",
            "[rows] or [rows, 1]",
        ),
        (
            [_tensor("age", [1], [1]), _tensor("city", [1, 1, 1], ["oslo"], "BYTES")],
            "inputs[1].shape",
            "[rows] or [rows, 1]",
        ),
        (
            [_tensor("age", [1], [1]), _tensor("age", [1], [2]), _tensor("city", [1], ["a"])],
            "inputs[1].name",
            "feature 'age' given twice",
        ),
        ([_tensor("age", [1], [1])], "inputs", "missing feature 'city'"),
        (
            [_tensor("age", [1], [1]), _tensor("city", [1], ["a"]), _tensor("zip", [1], [1])],
            "inputs",
            "unknown feature 'zip'",
        ),
        (
            [_tensor("age", [2], [1, 2]), _tensor("city", [1], ["a"])],
            "inputs",
            "different numbers of rows",
        ),
        (
            [_tensor("city", [1], ["a"]), _tensor("age", [2], [1], "FP32")],
            "inputs[1].data",
            "has 1 values but shape [2] needs 2",
        ),
        (
            [_tensor("city", [2], ["a", "b"]), _tensor("age", [2], [1, "x"])],
            "inputs[1].data[1]",
            "expected a number",
        ),
    ],
)
def test_invalid_tensors_name_the_field(
    inputs: list[dict[str, Any]], location: str, fragment: str
) -> None:
    error = _invalid(v2.decode, _request(*inputs), InputValidator(SCHEMA))
    assert error.location == location
    assert fragment in str(error)


def test_unknown_output_is_refused_before_scoring() -> None:
    request = _request(_tensor("x", [1, 2], [1, "oslo"]), outputs=["predict", "logits"])
    error = _invalid(v2.decode, request, InputValidator(SCHEMA))
    assert error.location == "outputs[1].name"
    assert "'logits'" in str(error)


def test_outputs_are_the_requested_tensors() -> None:
    proba = np.array([[0.25, 0.75], [0.9, 0.1]])
    both = v2.encode_outputs(_request(), ("no", "yes"), proba)
    assert [o["name"] for o in both] == ["predict", "predict_proba"]
    assert both[0] == {"name": "predict", "shape": [2], "datatype": "BYTES", "data": ["yes", "no"]}
    assert both[1]["shape"] == [2, 2]
    assert both[1]["data"] == [0.25, 0.75, 0.9, 0.1]
    only = v2.encode_outputs(_request(outputs=["predict_proba"]), ("no", "yes"), proba)
    assert [o["name"] for o in only] == ["predict_proba"]


# --------------------------------------------------------------------------------------------
# the same mistakes over HTTP


def _wait_ready(client: TestClient) -> None:
    deadline = time.monotonic() + 30
    while client.get("/v2/health/ready").status_code != 200:
        assert time.monotonic() < deadline, "the service did not become ready within 30 s"
        time.sleep(0.05)


def _client(root: Path, **settings: Any) -> Iterator[TestClient]:
    app = create_app(Settings(registry=root, admin_token=TOKEN, **settings))
    with TestClient(app) as client:
        _wait_ready(client)
        yield client


@pytest.fixture(scope="module")
def registry_copy(
    _cancer_registry_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    root = tmp_path_factory.mktemp("validation") / "registry"
    shutil.copytree(_cancer_registry_template, root)
    return root


@pytest.fixture(scope="module")
def client(registry_copy: Path) -> Iterator[TestClient]:
    yield from _client(registry_copy)


@pytest.fixture(scope="module")
def counting(registry_copy: Path) -> Iterator[TestClient]:
    yield from _client(registry_copy, nonfinite="count")


ROW = cancer_records(1)[0]


def _row() -> dict[str, float]:
    return dict(ROW)


def _matrix(rows: list[dict[str, Any]], **tensor: Any) -> dict[str, Any]:
    data = [list(r.values()) for r in rows]
    body = {"name": "input-0", "shape": [len(rows), len(rows[0])], "datatype": "FP64"}
    return {"inputs": [{**body, "data": data, **tensor}]}


def _per_feature(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "inputs": [
            {"name": k, "shape": [len(rows)], "datatype": "FP64", "data": [r[k] for r in rows]}
            for k in rows[0]
        ]
    }


def _error(response: Any, status: int, location: str, fragment: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"error", "type", "location"}
    assert body["location"] == location
    assert location in body["error"]
    assert fragment in body["error"]
    return body


def _with(**changes: Any) -> dict[str, Any]:
    return {**_row(), **changes}


def _without(name: str) -> dict[str, Any]:
    return {k: v for k, v in _row().items() if k != name}


RECORD_CASES = [
    ("missing", [_without("mean_area")], "records[0]", "missing feature 'mean_area'"),
    ("extra", [_with(colour=1.0)], "records[0]", "unknown feature 'colour'"),
    ("string", [_with(mean_radius="12.5")], "records[0].mean_radius", "the string '12.5'"),
    ("boolean", [_with(mean_radius=True)], "records[0].mean_radius", "the boolean true"),
    ("null", [_with(mean_area=None)], "records[0].mean_area", "null is not accepted"),
    ("nested", [_with(mean_area=[1.0])], "records[0].mean_area", "got an array"),
    ("object", [_with(mean_area={"v": 1})], "records[0].mean_area", "got an object"),
    ("second row", [_row(), _with(worst_area="x")], "records[1].worst_area", "the string"),
    ("not a record", [_row(), 7], "records[1]", "valid dictionary"),
    ("empty", [], "records", "at least one record"),
]


@pytest.mark.parametrize(
    ("records", "location", "fragment"),
    [c[1:] for c in RECORD_CASES],
    ids=[c[0] for c in RECORD_CASES],
)
def test_predict_refuses_invalid_records(
    client: TestClient, records: list[Any], location: str, fragment: str
) -> None:
    response = client.post("/predict/cancer", json={"records": records})
    _error(response, 422, location, fragment)


def test_predict_body_shape_errors_are_located(client: TestClient) -> None:
    response = client.post("/predict/cancer", json={"records": {"a": 1}})
    _error(response, 422, "records", "valid list")
    response = client.post("/predict/cancer", json={"rows": [_row()]})
    assert response.status_code == 422
    assert response.json()["type"] == "RequestValidationError"
    response = client.post("/predict/cancer", content=b'{"records": [1', headers=JSON)
    assert response.status_code == 422
    assert "JSON decode error" in response.json()["error"]


def _names() -> list[str]:
    return list(_row())


TENSOR_CASES = [
    ("datatype", _matrix([_row()], datatype="FLOAT32"), "inputs[0].datatype", "'FLOAT32'"),
    (
        "shape",
        _matrix([_row()], shape=[1, 29], data=list(_row().values())[:29]),
        "inputs[0].shape",
        "expected [rows, 30]",
    ),
    ("1-d shape", _matrix([_row()], shape=[30]), "inputs[0].shape", "expected [rows, 30]"),
    ("length", _matrix([_row()], shape=[2, 30]), "inputs[0].data", "has 30 values"),
    (
        "too deep",
        _matrix([_row()], data=[[[[[[1.0] * 30]]]]]),
        "inputs[0].data",
        "nested more than 4 levels",
    ),
    (
        "string",
        _matrix([_row(), _with(mean_texture="x")]),
        "inputs[0].data[31]",
        "got the string 'x'",
    ),
    ("null", _matrix([_with(worst_area=None)]), "inputs[0].data[23]", "null is not accepted"),
    (
        "per-feature shape",
        {"inputs": [*_per_feature([_row()])["inputs"][:-1], _tensor(_names()[-1], [1, 2], [1, 2])]},
        "inputs[29].shape",
        "[rows] or [rows, 1]",
    ),
    (
        "duplicate",
        {"inputs": [*_per_feature([_row()])["inputs"], _tensor("mean_area", [1], [1.0])]},
        "inputs[30].name",
        "'mean_area' given twice",
    ),
    (
        "missing",
        {"inputs": _per_feature([_row()])["inputs"][1:]},
        "inputs",
        "missing feature 'mean_radius'",
    ),
    (
        "extra",
        {"inputs": [*_per_feature([_row()])["inputs"], _tensor("colour", [1], [1.0])]},
        "inputs",
        "unknown feature 'colour'",
    ),
    (
        "per-feature type",
        _per_feature([_row(), _with(mean_smoothness="high")]),
        "inputs[4].data[1]",
        "the string 'high'",
    ),
    (
        "rows differ",
        {"inputs": [*_per_feature([_row()])["inputs"][:-1], _tensor(_names()[-1], [2], [1, 2])]},
        "inputs",
        "different numbers of rows",
    ),
    (
        "output",
        {**_matrix([_row()]), "outputs": [{"name": "logits"}]},
        "outputs[0].name",
        "unknown output 'logits'",
    ),
    ("no inputs", {"inputs": []}, "inputs", "at least one input tensor"),
]


@pytest.mark.parametrize(
    ("body", "location", "fragment"),
    [c[1:] for c in TENSOR_CASES],
    ids=[c[0] for c in TENSOR_CASES],
)
def test_infer_refuses_invalid_tensors(
    client: TestClient, body: dict[str, Any], location: str, fragment: str
) -> None:
    response = client.post("/v2/models/cancer/infer", json=body)
    _error(response, 422, location, fragment)
    response = client.post("/v2/models/cancer/versions/2/infer", json=body)
    _error(response, 422, location, fragment)


def test_infer_schema_errors_are_located(client: TestClient) -> None:
    tensor = {"name": "x", "shape": ["a"], "datatype": "FP64", "data": [1]}
    response = client.post("/v2/models/cancer/infer", json={"inputs": [tensor]})
    _error(response, 422, "inputs[0].shape[0]", "valid integer")
    response = client.post("/v2/models/cancer/infer", json={"inputs": [{"name": "x"}]})
    _error(response, 422, "inputs[0].shape", "Field required")


def test_valid_layouts_are_accepted(client: TestClient) -> None:
    rows = cancer_records(3)
    nested = client.post("/v2/models/cancer/infer", json=_matrix(rows))
    flat = _matrix(rows)
    flat["inputs"][0]["data"] = [v for r in rows for v in r.values()]
    flat = client.post("/v2/models/cancer/infer", json=flat)
    per_feature = client.post("/v2/models/cancer/infer", json=_per_feature(rows))
    for response in (nested, flat, per_feature):
        assert response.status_code == 200, response.text
    proba = [r.json()["outputs"][1]["data"] for r in (nested, flat, per_feature)]
    assert proba[0] == proba[1] == proba[2]


def _raw(records: list[dict[str, Any]]) -> bytes:
    return json.dumps({"records": records}).encode()  # NaN and Infinity as JSON extensions


NONFINITE = [
    (math.nan, b"NaN", "nan"),
    (math.inf, b"Infinity", "inf"),
    (-math.inf, b"-Infinity", "-inf"),
]


@pytest.mark.parametrize(("value", "token", "shown"), NONFINITE)
def test_nonfinite_values_are_rejected_by_default(
    client: TestClient, value: float, token: bytes, shown: str
) -> None:
    body = _raw([_row(), _with(mean_area=value)])
    assert b'"mean_area": ' + token in body
    response = client.post("/predict/cancer", content=body, headers=JSON)
    _error(response, 422, "records[1].mean_area", f"{shown} is not accepted")
    tensor = json.dumps(_matrix([_with(mean_area=value)])).encode()
    assert token in tensor
    response = client.post("/v2/models/cancer/infer", content=tensor, headers=JSON)
    _error(response, 422, "inputs[0].data[3]", f"{shown} is not accepted")


def _nonfinite_metric(client: TestClient) -> dict[str, float]:
    out = {}
    for family in text_string_to_metric_families(client.get("/metrics").text):
        if family.name == "driftguard_validation_nonfinite_values":
            for sample in family.samples:
                if sample.name.endswith("_total") and sample.labels["model_version"] == "1":
                    out[sample.labels["feature"]] = sample.value
    return out


def test_nonfinite_values_are_counted_under_the_count_policy(counting: TestClient) -> None:
    before = _nonfinite_metric(counting)
    body = _raw([_with(mean_area=math.nan), _with(mean_area=math.inf, worst_area=-math.inf)])
    response = counting.post("/predict/cancer", content=body, headers=JSON)
    assert response.status_code == 200, response.text
    probabilities = response.json()["probabilities"]
    assert np.all(np.isfinite(probabilities))
    tensor = json.dumps(_matrix([_with(worst_area=None)])).encode()
    response = counting.post("/v2/models/cancer/infer", content=tensor, headers=JSON)
    assert response.status_code == 200, response.text
    after = _nonfinite_metric(counting)
    assert after.get("mean_area", 0) - before.get("mean_area", 0) == 2
    assert after.get("worst_area", 0) - before.get("worst_area", 0) == 2
    # type errors are still errors under the count policy
    response = counting.post("/predict/cancer", json={"records": [_with(mean_area="nan")]})
    _error(response, 422, "records[0].mean_area", "the string 'nan'")


def test_huge_integers_are_a_4xx(client: TestClient) -> None:
    body = json.dumps({"records": [_with(mean_area=10**400)]}).encode()
    response = client.post("/predict/cancer", content=body, headers=JSON)
    _error(response, 422, "records[0].mean_area", "too large for a float64")


@pytest.mark.parametrize("value", [1e300, -1e300, 1e39, 5e-324])
def test_huge_finite_values_are_served(client: TestClient, value: float) -> None:
    response = client.post("/predict/cancer", json={"records": [_with(mean_area=value)]})
    assert response.status_code == 200
    assert all(0.0 <= p <= 1.0 for p in response.json()["probabilities"][0])


# --------------------------------------------------------------------------------------------
# body size


@pytest.fixture(scope="module")
def small_limit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("limit") / "registry"
    app = create_app(Settings(registry=root, admin_token=TOKEN, max_body_bytes=1000))
    with TestClient(app) as client:
        yield client


def test_oversize_body_is_413_by_content_length(small_limit: TestClient) -> None:
    response = small_limit.post("/predict/cancer", json={"records": cancer_records(3)})
    assert response.status_code == 413
    body = response.json()
    assert body["type"] == "PayloadTooLarge"
    assert "1000 bytes" in body["error"]
    assert "DRIFTGUARD_MAX_BODY_BYTES" in body["error"]
    response = small_limit.post("/v2/models/cancer/infer", content=b"x" * 1001, headers=JSON)
    assert response.status_code == 413


def test_oversize_streamed_body_is_413(small_limit: TestClient) -> None:
    chunks = iter([b'{"records": [', b"1, " * 400, b"1]}"])
    response = small_limit.post("/predict/cancer", content=chunks, headers=JSON)
    assert response.status_code == 413
    assert response.json()["type"] in {"PayloadTooLarge", "HTTPException"}


def test_bodies_under_the_limit_pass(small_limit: TestClient) -> None:
    response = small_limit.post("/feedback", json={"request_id": "abc", "label": 1})
    assert response.status_code == 404  # reached the route: no such request
    assert small_limit.get("/metrics").status_code == 200
