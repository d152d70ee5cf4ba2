r"""Fuzz tests of the HTTP service: no request, however malformed, may produce a 5xx.

Three layers, all on a private copy of the ``cancer`` registry (versions 1-3, 1 ACTIVE):

1. **schemathesis over the OpenAPI schema**: every public route, with positive and negative
   (schema-violating) cases, sent once with the admin bearer token and, for the management
   routes, once more without it. Checks: never a 5xx; every 4xx is JSON with an ``"error"``
   string. Path parameters are steered to the served model (``cancer``, versions 1-3) half the
   time, so the deep code paths are reached and not only the 404s.
2. **schema-aware hypothesis payloads** for ``POST /predict/cancer`` and
   ``POST /v2/models/cancer/infer``: records or tensors with the model's real feature names,
   values drawn from raw JSON text (NaN, ±Infinity, ``1e400``, thousand-digit integers,
   strings, lone surrogates such as ``"\ud800"``, booleans, null, nested arrays and objects),
   missing and extra keys, random shapes, datatypes and nesting. Clean bodies must give 200
   (from version 1); anything else 200 or a 4xx with an ``"error"`` message.
3. **management bodies**: promote and rollback with random versions (huge, negative, not
   numbers) and random reasons (lone surrogates, NUL, over-long), interleaved with
   predictions that must keep working and name the version that is ACTIVE.

schemathesis 4.x usage notes
----------------------------
- One pytest test per route and generation mode (positive / negative), parametrized from
  the routers at collection time; ``test_openapi_schema_covers_every_route`` checks that
  list against the app. Each test loads ``app.openapi()`` with
  ``schemathesis.openapi.from_dict`` and runs hypothesis on
  ``schema[path][method].as_strategy(generation_mode=...)``.
- Not ``@schema.parametrize()`` / ``schemathesis.pytest.from_fixture``: with pytest 9.2 the
  lazy (fixture) variant of schemathesis 4.32 fails with ``AttributeError: 'Function'
  object has no attribute '_nodeid'``, and the eager variant needs the app (and so a
  registry) at import time.
- Not ``schemathesis.openapi.from_asgi("/openapi.json", app)`` either: it starts the app's
  lifespan in schemathesis's own event loop and keeps it running for the rest of the
  process (until ``schemathesis.python.asgi.shutdown_lifespans()``).
- Requests go in-process through ``schemathesis.python.asgi.get_client(app)`` passed as
  ``session=``; the client is deliberately not entered, so it does not start a second
  lifespan: the app's lifespan (background threads, model loading) belongs to the starlette
  ``TestClient`` of the ``service`` fixture.
- Path parameters are steered with a schema-local ``flatmap_path_parameters`` hook.
- Only the checks named in ``CHECKS`` run (``case.call`` then ``case.validate_response``):
  schemathesis's default set also re-sends requests and flags undocumented statuses.
- Generation is deterministic: hypothesis ``derandomize=True`` and no example database;
  ``max_examples`` is per route and mode (``EXAMPLES_PER_MODE``).
- To fuzz a running server instead::

      schemathesis run http://127.0.0.1:8000/openapi.json --seed 20240601 \
          --header "Authorization: Bearer $DRIFTGUARD_ADMIN_TOKEN" --checks not_a_server_error
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from driftguard_service.app import ROUTERS, create_app
from driftguard_service.settings import Settings
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from schemathesis import GenerationMode
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.python.asgi import get_client

TOKEN = "fuzz-admin-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
JSON = {"content-type": "application/json"}
MODEL = "cancer"
SEED = 20240601
EXAMPLES_PER_MODE = 20  # per route: positive and negative cases, 40 in all
EXAMPLES_NO_INPUT = 5  # routes without parameters or body have one possible request

FUZZ_SETTINGS = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)


# --------------------------------------------------------------------------- the service


@dataclass
class Served:
    """A started app and the clients that reach it."""

    app: Any
    client: TestClient
    names: list[str]


@pytest.fixture
def service(cancer_registry: Path) -> Iterator[Served]:
    """The app on a private registry copy, started and with ``cancer`` v1 loaded."""
    app = create_app(Settings(registry=cancer_registry, admin_token=SecretStr(TOKEN)))
    with TestClient(app, raise_server_exceptions=False) as client:
        deadline = time.monotonic() + 120  # the first load imports skops and sklearn
        while client.get("/v2/health/ready").status_code != 200:
            assert time.monotonic() < deadline, "the model did not load"
            time.sleep(0.02)
        meta = client.get(f"/v2/models/{MODEL}").json()
        assert meta["active_version"] == "1"
        yield Served(app, client, [f["name"] for f in meta["inputs"]])


def check_error_body(status: int, text: str, where: str) -> dict[str, Any]:
    """Never a 5xx; a 4xx carries JSON ``{"error": "<message>", ...}``; return the body."""
    assert status < 500, f"{where}: {status} {text[:500]}"
    if status < 400:
        return {}
    body = json.loads(text)
    assert isinstance(body, dict), f"{where}: {status} {text[:500]}"
    assert isinstance(body.get("error"), str), f"{where}: {status} {text[:500]}"
    assert body["error"], f"{where}: {status} empty message"
    return body


# --------------------------------------------------------------------------- schemathesis

# Explicit, so that a schemathesis.toml found by discovery cannot change the run.
CONFIG = schemathesis.Config.from_dict(
    {"seed": SEED, "generation": {"deterministic": True, "database": "none"}}
)


def error_json(ctx: Any, response: schemathesis.Response, case: schemathesis.Case[Any]) -> bool:
    """Every 4xx is JSON with an ``"error"`` string."""
    check_error_body(response.status_code, response.text, case.operation.label)
    return True


CHECKS: list[CheckFunction] = [not_a_server_error, error_json]


def steer_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
    """Half of the cases address the served model (``cancer``, versions 1-3)."""
    if not isinstance(path_parameters, dict) or not path_parameters:
        return st.just(path_parameters)
    steered = dict(path_parameters)
    if "name" in steered:
        steered["name"] = MODEL
    if "version" in steered:
        steered["version"] = 1 + len(str(path_parameters["version"])) % 3
    return st.sampled_from([path_parameters, steered])


def api_schema(app: Any) -> Any:
    """The app's OpenAPI schema, its path parameters steered to the served model."""
    schema = schemathesis.openapi.from_dict(app.openapi(), config=CONFIG)
    schema.app = app
    schema.hook("flatmap_path_parameters")(steer_path_parameters)
    return schema


def _operation_labels() -> list[tuple[str, bool]]:
    """``("METHOD /path", takes input)`` of every route (from the routers, without settings)."""
    probe = FastAPI()
    for module in ROUTERS:
        probe.include_router(module.router)
    return [
        (f"{method.upper()} {path}", bool(op.get("parameters") or op.get("requestBody")))
        for path, ops in probe.openapi()["paths"].items()
        for method, op in ops.items()
    ]


OPERATIONS = [label for label, _ in _operation_labels()]
# Negative cases need something to break: routes without parameters or body get none.
CASES = [
    pytest.param(
        label,
        mode,
        EXAMPLES_PER_MODE if takes_input else EXAMPLES_NO_INPUT,
        id=f"{mode.value}-{label}",
    )
    for label, takes_input in _operation_labels()
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if takes_input or mode is GenerationMode.POSITIVE
]


def test_openapi_schema_covers_every_route(service: Served) -> None:
    """The fuzzed list of operations is exactly the app's public routes."""
    paths = service.app.openapi()["paths"]
    labels = [f"{m.upper()} {path}" for path, ops in paths.items() for m in ops]
    assert sorted(labels) == sorted(OPERATIONS)
    assert {"/predict/{name}", "/v2/models/{name}/infer", "/models/{name}/promote"} <= set(paths)


@pytest.mark.parametrize(("label", "mode", "examples"), CASES)
def test_openapi_fuzz_no_server_errors(
    service: Served, label: str, mode: GenerationMode, examples: int
) -> None:
    """schemathesis cases of one route: no 5xx, with the admin token and without it."""
    method, path = label.split(" ", 1)
    operation = api_schema(service.app)[path][method]
    session = get_client(service.app)  # not entered: the app's lifespan is the TestClient's
    management = path.startswith(("/models/", "/clients/", "/alerts/", "/dashboard/api/"))

    @settings(FUZZ_SETTINGS, max_examples=examples)
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: schemathesis.Case[Any]) -> None:
        response = case.call(session=session, headers=AUTH)
        case.validate_response(response, checks=CHECKS, headers=AUTH)
        if management:
            anonymous = case.call(session=session)
            case.validate_response(anonymous, checks=CHECKS)
            assert 400 <= anonymous.status_code < 500, f"{label} answered without a token"

    run()


# --------------------------------------------------------------------------- raw JSON text


class Raw(str):
    """A fragment of JSON text, already rendered (may be deliberately invalid)."""


def render(value: Any) -> str:
    """JSON text of ``value``; :class:`Raw` fragments are pasted as they are."""
    if isinstance(value, Raw):
        return value
    if isinstance(value, dict):
        items = (
            f"{render(k) if isinstance(k, Raw) else json.dumps(k)}:{render(v)}"
            for k, v in value.items()
        )
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(render(v) for v in value) + "]"
    return json.dumps(value, allow_nan=False)


SURROGATES = ['"\\ud800"', '"\\udfff"', '"x\\udbff"', '"\\udc00\\ud800"', '"a\\ud83d"']
SPECIAL_NUMBERS = [
    "NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1e-400", "-0.0", "0", "4.9e-324",
    "1.7976931348623157e308", "-1.7976931348623157e308", "3.5e38", "1e36", "-1e30",
    "9223372036854775808", "-9223372036854775809", "18446744073709551616",
]  # fmt: skip

clean_numbers = st.one_of(
    st.floats(-1e4, 1e4, allow_nan=False).map(lambda x: Raw(repr(x))),
    st.integers(-(10**4), 10**4).map(lambda x: Raw(str(x))),
)
wild_scalars = st.one_of(
    st.sampled_from(SPECIAL_NUMBERS).map(Raw),
    st.floats().map(lambda x: Raw("NaN" if math.isnan(x) else json.dumps(x))),
    st.integers().map(lambda x: Raw(str(x))),
    st.integers(300, 4400).map(lambda n: Raw("-" * (n % 2) + "9" * n)),  # over 4300: unparsable
    st.text(max_size=12).map(lambda s: Raw(json.dumps(s))),
    st.text(max_size=12).map(lambda s: Raw(json.dumps(s, ensure_ascii=False))),
    st.sampled_from([*SURROGATES, '"\\u0000"', '"1.5"', '"nan"', '""']).map(Raw),
    st.sampled_from(["true", "false", "null"]).map(Raw),
)
keys = st.one_of(st.text(max_size=8), st.sampled_from(SURROGATES).map(Raw))
wild_values = st.recursive(
    wild_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda xs: Raw(render(xs))),
        st.dictionaries(keys, inner, max_size=3).map(lambda d: Raw(render(d))),
    ),
    max_leaves=6,
)
broken_text = st.sampled_from(["", "{", "[", '{"records": [', "null", "nul", "{}", "[]", "\x00"])


# Every decimal exponent equally likely: magnitudes from subnormal to past float64's range.
log_uniform_numbers = st.builds(
    lambda sign, digit, exponent: Raw(f"{sign}{digit}e{exponent}"),
    st.sampled_from(["", "-"]),
    st.integers(1, 9),
    st.integers(-400, 400),
)
other_numbers = st.one_of(
    st.sampled_from(SPECIAL_NUMBERS).map(Raw),
    st.floats().map(lambda x: Raw("NaN" if math.isnan(x) else json.dumps(x))),
    st.integers().map(lambda x: Raw(str(x))),
    st.integers(2**1020, 2**1030).map(lambda x: Raw(str(x))),  # around float64's limit
    st.integers(300, 4400).map(lambda n: Raw("-" * (n % 2) + "9" * n)),
)
# Half log-uniform (a flat one_of would dilute it: hypothesis flattens nested one_of).
extreme_numbers = st.booleans().flatmap(lambda b: log_uniform_numbers if b else other_numbers)


@st.composite
def dirty_dict(draw: st.DrawFn, obj: dict[Any, Any], fields: list[str]) -> Any:
    """``obj`` with one kind of damage: wild values, missing or extra keys, or not an object."""
    out = dict(obj)
    how = draw(st.sampled_from(["values", "drop", "extra", "replace"]))
    targets = draw(
        st.lists(st.sampled_from(list(out) or fields), min_size=1, max_size=3, unique=True)
    )
    if how == "values":
        out |= {key: draw(wild_values) for key in targets}
    elif how == "drop":
        for key in targets:
            out.pop(key, None)
    elif how == "extra":
        extra = draw(
            st.dictionaries(
                keys.filter(lambda k: k not in fields), wild_values, min_size=1, max_size=2
            )
        )
        out |= extra
    else:
        return draw(wild_values)
    return out


@st.composite
def predict_bodies(draw: st.DrawFn, names: list[str]) -> tuple[str, int | None]:
    """``(JSON text, rows)`` for ``POST /predict``; ``rows`` is set only for clean bodies."""
    n = draw(st.integers(1, 3))
    records: list[Any] = [{name: draw(clean_numbers) for name in names} for _ in range(n)]
    kind = draw(st.sampled_from(["clean", "numbers", "numbers", "record", "body", "broken"]))
    k = draw(st.integers(0, n - 1))
    if kind == "clean":
        return render({"records": records}), n
    if kind == "numbers":  # the model's own features, extreme or non-finite numbers
        for name in draw(st.lists(st.sampled_from(names), min_size=1, max_size=5, unique=True)):
            records[k][name] = draw(extreme_numbers)
    elif kind == "record":
        records[k] = draw(dirty_dict(records[k], names))
    elif kind == "body":
        return render(draw(dirty_dict({"records": records}, ["records"]))), None
    else:
        return draw(broken_text), None
    return render({"records": records}), None


DATATYPES = ["BOOL", "UINT8", "INT32", "INT64", "FP16", "FP32", "FP64", "BYTES"]
TENSOR_FIELDS = ["name", "shape", "datatype", "data", "parameters"]


def _nest(flat: list[Any], width: int) -> list[Any]:
    return [flat[i : i + width] for i in range(0, len(flat), width)]


def _flat(data: list[Any]) -> list[Any]:
    return [v for row in data for v in row] if data and isinstance(data[0], list) else list(data)


@st.composite
def infer_bodies(draw: st.DrawFn, names: list[str]) -> tuple[str, int | None]:
    """``(JSON text, rows)`` for ``POST /v2/models/{name}/infer``; ``rows`` only when clean."""
    rows = draw(st.integers(1, 3))
    width = len(names)
    tensors: list[Any] = []
    if draw(st.booleans()):  # one [rows, features] tensor, flat or nested data
        flat = [draw(clean_numbers) for _ in range(rows * width)]
        data = _nest(flat, width) if draw(st.booleans()) else flat
        name = draw(st.sampled_from(["input-0", "x", "features"]))
        tensors.append({"name": name, "shape": [rows, width], "datatype": "FP64", "data": data})
    else:  # one tensor per feature, [rows] or [rows, 1], in any order
        for feature in draw(st.permutations(names)):
            column = [draw(clean_numbers) for _ in range(rows)]
            if draw(st.booleans()):
                tensor = {"name": feature, "shape": [rows], "datatype": "FP64", "data": column}
            else:
                tensor = {
                    "name": feature,
                    "shape": [rows, 1],
                    "datatype": "FP64",
                    "data": _nest(column, 1),
                }
            tensors.append(tensor)
    body: dict[str, Any] = {"inputs": tensors}
    if draw(st.booleans()):
        body["id"] = draw(st.text(max_size=10))
    if draw(st.booleans()):
        wanted = draw(
            st.lists(st.sampled_from(["predict", "predict_proba"]), min_size=1, max_size=2)
        )
        body["outputs"] = [{"name": w} for w in wanted]
    kinds = [
        "clean",
        "numbers",
        "values",
        "datatype",
        "tensor",
        "count",
        "shape",
        "nesting",
        "body",
    ]
    kind = draw(st.sampled_from([*kinds, "numbers", "numbers", "broken"]))
    k = draw(st.integers(0, len(tensors) - 1))
    tensor = tensors[k]
    if kind == "clean":
        return render(body), rows
    if kind in ("numbers", "values"):
        flat = _flat(tensor["data"])
        for i in draw(st.lists(st.integers(0, len(flat) - 1), min_size=1, max_size=3)):
            flat[i] = draw(extreme_numbers if kind == "numbers" else wild_values)
        tensor["data"] = flat
    elif kind == "datatype":
        tensor["datatype"] = draw(
            st.one_of(st.sampled_from(DATATYPES), st.text(max_size=5), wild_values)
        )
    elif kind == "tensor":
        tensors[k] = draw(dirty_dict(tensor, TENSOR_FIELDS))
    elif kind == "count":
        if draw(st.booleans()):
            tensors.pop(k)
        else:
            tensors.append(dict(tensor))
    elif kind == "shape":
        sizes = st.one_of(
            st.integers(-3, 40), st.integers(), st.sampled_from([2**31, 2**63, 2**64])
        )
        tensor["shape"] = draw(st.lists(sizes, max_size=4))
    elif kind == "nesting":
        nested: Any = _flat(tensor["data"])
        if draw(st.booleans()):
            for _ in range(draw(st.integers(1, 7))):
                nested = [nested]
        else:
            nested = _nest(nested, draw(st.integers(1, 40)))
            nested[0] = draw(wild_values)
        tensor["data"] = nested
    elif kind == "body":
        extra = draw(st.dictionaries(st.sampled_from(["outputs", "id", "parameters"]), wild_values))
        return render(
            draw(dirty_dict({**body, **extra}, ["inputs", "outputs", "id", "parameters"]))
        ), None
    else:
        return draw(broken_text), None
    return render(body), None


def post_raw(
    client: TestClient, path: str, text: str, headers: dict[str, str] | None = None
) -> Any:
    return client.post(
        path, content=text.encode("utf-8", "surrogatepass"), headers={**JSON, **(headers or {})}
    )


def check_prediction(response: Any, rows: int | None, version: str, where: str) -> None:
    """A 200 names ``version`` and has one finite probability row per input row."""
    body = check_error_body(response.status_code, response.text, where)
    if rows is not None:
        assert response.status_code == 200, (
            f"{where}: a clean body was refused: {response.text[:500]}"
        )
    if response.status_code == 400 or response.status_code == 413:
        return
    if response.status_code == 422:
        assert body.get("location") or body["error"].startswith("body"), body
        return
    assert response.status_code == 200, response.text[:500]
    body = response.json()
    assert body["model_version"] == version, body
    assert response.headers["X-Model-Version"] == version
    if "probabilities" in body:
        probabilities = body["probabilities"]
    else:
        outputs = {o["name"]: o for o in body["outputs"]}
        assert outputs, body
        probabilities = (
            _nest(outputs["predict_proba"]["data"], 2) if "predict_proba" in outputs else []
        )
    if rows is not None and probabilities:
        assert len(probabilities) == rows
    for row in probabilities:
        assert all(math.isfinite(p) and 0.0 <= p <= 1.0 for p in row)
        assert abs(sum(row) - 1.0) < 1e-6


# --------------------------------------------------------------------------- hypothesis


def test_predict_schema_aware_payloads(service: Served) -> None:
    """``POST /predict/cancer`` with the real feature names and wild JSON values."""

    seen: set[int] = set()

    @settings(FUZZ_SETTINGS, max_examples=150)
    @given(payload=predict_bodies(service.names))
    def run(payload: tuple[str, int | None]) -> None:
        text, rows = payload
        response = post_raw(service.client, f"/predict/{MODEL}", text)
        check_prediction(response, rows, "1", f"POST /predict/{MODEL} {text[:2000]!r}")
        seen.add(response.status_code)

    run()
    assert {200, 422} <= seen, seen  # the generator reaches both outcomes


def test_infer_schema_aware_payloads(service: Served) -> None:
    """``POST /v2/models/cancer/infer`` with random layouts, shapes, datatypes and values."""

    seen: set[int] = set()

    @settings(FUZZ_SETTINGS, max_examples=150)
    @given(payload=infer_bodies(service.names))
    def run(payload: tuple[str, int | None]) -> None:
        text, rows = payload
        response = post_raw(service.client, f"/v2/models/{MODEL}/infer", text)
        check_prediction(response, rows, "1", f"POST /v2/models/{MODEL}/infer {text[:2000]!r}")
        seen.add(response.status_code)

    run()
    assert {200, 422} <= seen, seen


wild_versions = st.one_of(
    st.sampled_from([0, -1, 4, 2**31 - 1, 2**31, 2**63 - 1, 2**63, 2**64]).map(
        lambda v: Raw(str(v))
    ),
    st.integers(-(2**70), 2**70).map(lambda v: Raw(str(v))),
    st.sampled_from(['"2"', "2.0", "2.5", "true", "null", "1e3", "NaN"]).map(Raw),
    wild_values,
)
versions = st.booleans().flatmap(
    lambda known: st.sampled_from([1, 2, 3]).map(lambda v: Raw(str(v))) if known else wild_versions
)
wild_reasons = st.one_of(
    st.sampled_from([*SURROGATES, '"a\\u0000b"', '"\\ud83d\\ude00"']).map(Raw),
    st.integers(1990, 2010).map(lambda n: Raw(json.dumps("r" * n))),
    wild_values,
)
reasons = st.booleans().flatmap(
    lambda plain: (
        st.text(max_size=30).map(lambda s: Raw(json.dumps(s, ensure_ascii=False)))
        if plain
        else wild_reasons
    )
)


@st.composite
def switch_requests(draw: st.DrawFn) -> tuple[str, str, dict[str, str]]:
    """``(path, JSON text, headers)`` of a promote or rollback."""
    action = draw(st.sampled_from(["promote", "rollback"]))
    name = draw(st.sampled_from([MODEL, MODEL, MODEL, "nope", "c%00", "%F0"]))
    body: dict[Any, Any] = {}
    if draw(st.integers(0, 3)):
        body["version"] = draw(versions)
    if draw(st.booleans()):
        body["reason"] = draw(reasons)
    kind = draw(st.sampled_from(["plain", "plain", "plain", "plain", "dirty", "broken"]))
    if kind == "dirty":
        text = render(draw(dirty_dict(body, ["version", "reason", "actor"])))
    elif kind == "broken":
        text = draw(broken_text)
    else:
        text = render(body)
    headers = draw(st.sampled_from([AUTH, AUTH, AUTH, AUTH, {}, {"Authorization": "Bearer wrong"}]))
    return f"/models/{name}/{action}", text, headers


def test_promote_rollback_bodies(service: Served) -> None:
    """Random promote/rollback bodies never 5xx, and the service keeps predicting."""
    client = service.client
    record = {name: 1.0 for name in service.names}
    active = ["1"]
    seen: set[int] = set()

    @settings(FUZZ_SETTINGS, max_examples=80)
    @given(request=switch_requests())
    def run(request: tuple[str, str, dict[str, str]]) -> None:
        path, text, headers = request
        response = post_raw(client, path, text, headers)
        where = f"POST {path} {text[:2000]!r}"
        check_error_body(response.status_code, response.text, where)
        seen.add(response.status_code)
        if headers != AUTH:
            assert response.status_code in (400, 401, 422), where
        if response.status_code == 200:
            assert path == f"/models/{MODEL}/{path.rsplit('/', 1)[1]}"
            active[0] = str(response.json()["version"])
        prediction = client.post(f"/predict/{MODEL}", json={"records": [record]})
        check_prediction(prediction, 1, active[0], f"predict after {where}")

    run()
    assert {200, 401, 422} <= seen, seen  # switched, refused, validated
    audit = client.get(f"/models/{MODEL}/audit", headers=AUTH)
    assert audit.status_code == 200, audit.text[:500]


def test_regressions_found_by_fuzzing(service: Served) -> None:
    """The bugs the fuzzers found, as plain examples (each was a 5xx or an unnamed field)."""
    client = service.client
    promote = f"/models/{MODEL}/promote"
    response = post_raw(client, promote, '{"version": 9223372036854775808}', AUTH)
    assert response.status_code == 422  # was 500: SQLite OverflowError
    assert response.json()["location"] == "version"
    response = post_raw(client, f"/models/{MODEL}/rollback", '{"version": 2147483648}', AUTH)
    assert (response.status_code, response.json()["location"]) == (422, "version")
    response = post_raw(client, promote, '{"version": 2, "reason": "\\ud800"}', AUTH)
    assert (response.status_code, response.json()["location"]) == (422, "reason")
    response = client.get("/v2/models/not-served/ready")
    assert response.status_code == 404  # was 503, as if it might become ready
    response = post_raw(client, f"/predict/{MODEL}", '{"records": [1,}')
    assert response.status_code == 422
    assert response.json()["location"] == "body"  # was "[15]"
    assert response.json()["error"].startswith("body: JSON decode error at character 15")
    record = {name: 1.0 for name in service.names} | {service.names[0]: 1e300}
    response = client.post(f"/predict/{MODEL}", json={"records": [record]})
    assert response.status_code in (200, 422)  # was 500: float32 overflow in the encoder
    assert client.get("/models/cancer/audit", headers=AUTH).status_code == 200
