"""The serving API end to end, in-process: FastAPI's ``TestClient`` against ``create_app``.

Three apps: one on an empty registry (readiness, then a categorical model registered while it
runs), one serving ``cancer`` for inference, feedback and metrics, and one for the management
routes (promote and rollback change ACTIVE, so they get their own registry copy).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import cancer_columns, cancer_records
from driftguard_service.app import create_app
from driftguard_service.settings import Settings
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from driftguard.registry import Registry
from driftguard.training.pipeline import train_table
from driftguard.training.predictor import Predictor, load_predictor
from driftguard.types import Signal

TOKEN = "t" * 20
AUTH = {"Authorization": f"Bearer {TOKEN}"}

SIGNAL_FIELDS = {f.name for f in fields(Signal)}


def _wait_ready(client: TestClient) -> None:
    deadline = time.monotonic() + 30
    while client.get("/v2/health/ready").status_code != 200:
        assert time.monotonic() < deadline, "the service did not become ready within 30 s"
        time.sleep(0.05)


def _copy(template: Path, factory: pytest.TempPathFactory, label: str) -> Path:
    root = factory.mktemp(label) / "registry"
    shutil.copytree(template, root)
    return root


def _app(root: Path, **settings: Any) -> FastAPI:
    return create_app(Settings(registry=root, admin_token=TOKEN, **settings))


def _samples(client: TestClient, family_name: str) -> list[Any]:
    """Every sample of one metric family (by its name without ``_total``)."""
    text = client.get("/metrics").text
    for family in text_string_to_metric_families(text):
        if family.name == family_name:
            return list(family.samples)
    return []


def _value(client: TestClient, sample_name: str, **labels: str) -> float:
    family = sample_name.removesuffix("_total").removesuffix("_bucket")
    for sample in _samples(client, family):
        if sample.name == sample_name and all(sample.labels.get(k) == v for k, v in labels.items()):
            return float(sample.value)
    return 0.0


def _features(rows: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    return {k: np.array([r[k] for r in rows]) for k in rows[0]}


# --------------------------------------------------------------------------------------------
# readiness, and a categorical model registered while the service runs


def _shop_table(n: int = 400, seed: int = 0) -> dict[str, np.ndarray]:
    g = np.random.default_rng(seed)
    x1 = g.normal(size=n)
    city = g.choice(["paris", "oslo", "rome"], size=n)
    score = x1 + np.where(city == "oslo", 1.0, 0.0)
    label = np.where(score + g.normal(scale=0.3, size=n) > 0.3, "yes", "no")
    return {"x1": x1, "city": city, "label": label}


@pytest.fixture(scope="module")
def empty_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Path]]:
    root = tmp_path_factory.mktemp("empty") / "registry"
    Registry(root)
    with TestClient(_app(root, watch_interval_s=60.0)) as client:
        yield client, root


def _register_shop(client: TestClient, root: Path) -> None:
    """Register and promote a model with a categorical feature while the service runs."""
    registry = Registry(root)
    if "shop" in registry.names():
        return
    run = train_table(_shop_table(), "label", name="shop", model="logreg", profile_resamples=50)
    registry.register("shop", run.draft, actor="test")
    response = client.post("/predict/shop", json={"records": [{"x1": 1.0, "city": "oslo"}]})
    assert response.status_code == 503  # registered, no ACTIVE version yet
    assert "promote" in response.json()["error"]
    assert client.get("/v2/models/shop/ready").status_code == 503
    registry.promote("shop", 1, actor="test")
    client.app.state.background.run_once()  # type: ignore[attr-defined]


def test_readiness_follows_the_registry(empty_app: tuple[TestClient, Path]) -> None:
    client, root = empty_app
    assert client.get("/v2/health/live").json() == {"live": True}
    response = client.get("/v2/health/ready")
    assert (response.status_code, response.json()) == (503, {"ready": False})
    assert client.get("/v2/models/shop/ready").status_code == 404  # not registered
    response = client.post("/predict/shop", json={"records": [{"x1": 1.0, "city": "oslo"}]})
    assert response.status_code == 404
    assert "'shop'" in response.json()["error"]

    _register_shop(client, root)
    response = client.get("/v2/health/ready")
    assert (response.status_code, response.json()) == (200, {"ready": True})
    assert client.get("/v2/models/shop/ready").json() == {"name": "shop", "ready": True}


def test_unseen_categories_are_counted_not_fatal(empty_app: tuple[TestClient, Path]) -> None:
    client, root = empty_app
    _register_shop(client, root)
    schema = client.get("/v2/models/shop").json()["input_schema"]
    assert schema["features"][1]["vocabulary"] == ["oslo", "paris", "rome"]
    before = _value(client, "driftguard_validation_unseen_categories_total", feature="city")
    rows = [{"x1": 0.5, "city": "berlin"}, {"x1": 0.5, "city": "oslo"}, {"x1": 0.1, "city": 7}]
    rows += [{"x1": 0.2, "city": "oslo"}] * 200 + [{"x1": 0.3, "city": "w" * 100_000}]
    response = client.post("/predict/shop", json={"records": rows})
    assert response.status_code == 200, response.text
    assert response.json()["labels"] == ["no", "yes"]
    tensors = {
        "inputs": [
            {"name": "x1", "shape": [1], "datatype": "FP64", "data": [0.5]},
            {"name": "city", "shape": [1, 1], "datatype": "BYTES", "data": [["lima"]]},
        ]
    }
    response = client.post("/v2/models/shop/infer", json=tensors)
    assert response.status_code == 200, response.text
    after = _value(client, "driftguard_validation_unseen_categories_total", feature="city")
    assert after - before == 4
    # a numeric value must still be a number
    response = client.post("/predict/shop", json={"records": [{"x1": "0.5", "city": "oslo"}]})
    assert response.status_code == 422
    assert response.json()["location"] == "records[0].x1"


# --------------------------------------------------------------------------------------------
# inference, feedback and metrics


@pytest.fixture(scope="module")
def cancer_root(_cancer_registry_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _copy(_cancer_registry_template, tmp_path_factory, "serve")


@pytest.fixture(scope="module")
def client(cancer_root: Path) -> Iterator[TestClient]:
    with TestClient(_app(cancer_root)) as client:
        _wait_ready(client)
        yield client


@pytest.fixture(scope="module")
def predictors(cancer_root: Path) -> dict[int, Predictor]:
    registry = Registry(cancer_root)
    return {v: load_predictor(registry.open("cancer", v)) for v in (1, 2, 3)}


def test_model_metadata(client: TestClient) -> None:
    response = client.get("/v2/models/cancer")
    assert response.status_code == 200
    body = response.json()
    names = [k for k in cancer_columns() if k != "target"]
    assert body["name"] == "cancer"
    assert body["versions"] == ["1", "2", "3"]
    assert body["active_version"] == "1"
    assert response.headers["X-Model-Version"] == "1"
    assert body["labels"] == ["0", "1"]
    assert body["platform"] == "driftguard-sklearn"
    assert [i["name"] for i in body["inputs"]] == names
    assert {i["datatype"] for i in body["inputs"]} == {"FP64"}
    assert [f["name"] for f in body["input_schema"]["features"]] == names
    assert {f["kind"] for f in body["input_schema"]["features"]} == {"numeric"}
    assert [o["name"] for o in body["outputs"]] == ["predict", "predict_proba"]
    assert client.get("/v2/models/nope").status_code == 404
    assert client.get("/v2").json()["name"] == "driftguard"


def test_predict_matches_the_library_predictor(
    client: TestClient, predictors: dict[int, Predictor]
) -> None:
    rows = cancer_records(8, start=100)
    response = client.post("/predict/cancer", json={"records": rows})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model_name"] == "cancer"
    assert body["model_version"] == response.headers["X-Model-Version"] == "1"
    assert response.headers["X-Model-Name"] == "cancer"
    assert body["request_id"] == response.headers["X-Request-Id"]
    assert len(body["request_id"]) >= 16
    expected = predictors[1].predict_proba(_features(rows))
    np.testing.assert_allclose(body["probabilities"], expected, rtol=1e-12, atol=0)
    assert body["predictions"] == predictors[1].predict(_features(rows))
    assert body["labels"] == list(predictors[1].labels)


def test_v2_infer_matches_the_library_predictor(
    client: TestClient, predictors: dict[int, Predictor]
) -> None:
    rows = cancer_records(5, start=200)
    tensor = {
        "name": "input-0",
        "shape": [5, 30],
        "datatype": "FP64",
        "data": [list(r.values()) for r in rows],
    }
    response = client.post("/v2/models/cancer/infer", json={"id": "abc", "inputs": [tensor]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == "abc"
    assert body["model_version"] == response.headers["X-Model-Version"] == "1"
    assert body["parameters"]["request_id"] == response.headers["X-Request-Id"]
    outputs = {o["name"]: o for o in body["outputs"]}
    assert outputs["predict_proba"]["shape"] == [5, 2]
    proba = np.reshape(outputs["predict_proba"]["data"], (5, 2))
    expected = predictors[1].predict_proba(_features(rows))
    np.testing.assert_allclose(proba, expected, rtol=1e-12, atol=0)
    assert outputs["predict"]["data"] == predictors[1].predict(_features(rows))
    only = {**{"inputs": [tensor]}, "outputs": [{"name": "predict"}]}
    response = client.post("/v2/models/cancer/infer", json=only)
    assert [o["name"] for o in response.json()["outputs"]] == ["predict"]


def test_refused_requests_are_not_scored_or_monitored(client: TestClient) -> None:
    client.app.state.background.run_once()  # type: ignore[attr-defined]
    scored = _value(client, "driftguard_inference_rows_total", model_version="1")
    observed = _value(client, "driftguard_monitor_rows_observed_total", model_version="1")
    rows = cancer_records(3)
    tensor = {"name": "x", "shape": [3, 30], "datatype": "FP64"}
    tensor["data"] = [list(r.values()) for r in rows]
    body = {"inputs": [tensor], "outputs": [{"name": "predict"}, {"name": "logits"}]}
    response = client.post("/v2/models/cancer/infer", json=body)
    assert response.status_code == 422
    assert response.json()["location"] == "outputs[1].name"
    bad = [*rows[:2], {**rows[2], "mean_area": "x"}]
    assert client.post("/predict/cancer", json={"records": bad}).status_code == 422
    client.app.state.background.run_once()  # type: ignore[attr-defined]
    assert _value(client, "driftguard_inference_rows_total", model_version="1") == scored
    after = _value(client, "driftguard_monitor_rows_observed_total", model_version="1")
    assert after == observed


def test_version_addressed_inference(client: TestClient, predictors: dict[int, Predictor]) -> None:
    rows = cancer_records(4, start=300)
    tensors = {
        "inputs": [
            {"name": k, "shape": [4], "datatype": "FP64", "data": [r[k] for r in rows]}
            for k in rows[0]
        ]
    }
    response = client.post("/v2/models/cancer/versions/3/infer", json=tensors)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model_version"] == response.headers["X-Model-Version"] == "3"
    proba = np.reshape(body["outputs"][1]["data"], (4, 2))
    np.testing.assert_allclose(proba, predictors[3].predict_proba(_features(rows)), rtol=1e-12)
    assert not np.allclose(proba, predictors[1].predict_proba(_features(rows)))
    # ACTIVE is unchanged
    response = client.post("/predict/cancer", json={"records": rows})
    assert response.headers["X-Model-Version"] == "1"
    roles = {
        (s.labels["model_version"], s.labels["role"])
        for s in _samples(client, "driftguard_model_info")
    }
    assert {("1", "active"), ("3", "pinned")} <= roles
    response = client.post("/v2/models/cancer/versions/99/infer", json=tensors)
    assert response.status_code == 404
    assert "99" in response.json()["error"]
    response = client.post("/v2/models/cancer/versions/0/infer", json=tensors)
    assert response.status_code == 422
    assert response.json()["location"] == "version"
    response = client.post("/v2/models/nope/versions/1/infer", json=tensors)
    assert response.status_code == 404


def _predict(client: TestClient, n: int, start: int = 0) -> str:
    response = client.post("/predict/cancer", json={"records": cancer_records(n, start)})
    assert response.status_code == 200, response.text
    request_id: str = response.json()["request_id"]
    return request_id


def test_feedback_by_request_id(client: TestClient) -> None:
    before = _value(client, "driftguard_feedback_received_total", model_version="1")
    request_id = _predict(client, 2)
    response = client.post(
        "/feedback", json={"request_id": request_id, "label": ["0", 1], "source": "test"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body == {
        "model_name": "cancer",
        "model_version": "1",
        "request_id": request_id,
        "rows": 2,
        "flagged": 0,  # these checkpoints carry no feedback screen: nothing is held back
        "quarantined": False,
        "trusted_version": None,
    }
    assert response.headers["X-Model-Version"] == "1"
    again = client.post("/feedback", json={"request_id": request_id, "label": ["0", "1"]})
    assert again.status_code == 404
    assert "already labelled" in again.json()["error"]
    after = _value(client, "driftguard_feedback_received_total", model_version="1")
    assert after - before == 2


def test_rejected_feedback_keeps_the_prediction_for_a_retry(client: TestClient) -> None:
    request_id = _predict(client, 1)
    response = client.post("/feedback", json={"request_id": request_id, "label": "benign"})
    assert response.status_code == 422
    body = response.json()
    assert body["location"] == "label"
    assert "unknown label 'benign'" in body["error"]
    assert "0, 1" in body["error"]
    response = client.post("/feedback", json={"request_id": request_id, "label": {"x": 1}})
    assert response.status_code == 422
    response = client.post("/feedback", json={"request_id": request_id, "label": 1.0})
    assert response.status_code == 200, response.text
    assert response.json()["rows"] == 1

    request_id = _predict(client, 2)
    response = client.post("/feedback", json={"request_id": request_id, "label": "1"})
    assert response.status_code == 422
    assert "1 labels given for 2 rows" in response.json()["error"]
    response = client.post("/feedback", json={"request_id": request_id, "label": [1, 0, 1]})
    assert response.status_code == 422
    response = client.post("/feedback", json={"request_id": request_id, "label": [1, "zero"]})
    assert response.status_code == 422
    assert response.json()["location"] == "label[1]"
    response = client.post("/feedback", json={"request_id": request_id, "label": [1, 0]})
    assert response.status_code == 200, response.text


def test_feedback_by_records(client: TestClient) -> None:
    rows = cancer_records(3, start=10)
    response = client.post(
        "/feedback", json={"model": "cancer", "records": rows, "label": [0, 1, 1]}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["model_name"], body["model_version"], body["rows"]) == ("cancer", "1", 3)
    response = client.post("/feedback", json={"records": rows, "label": [0, 1, 1]})
    assert response.status_code == 200  # the only served model
    bad = [{**rows[0], "mean_area": "big"}]
    response = client.post("/feedback", json={"model": "cancer", "records": bad, "label": 0})
    assert response.status_code == 422
    assert response.json()["location"] == "records[0].mean_area"
    response = client.post("/feedback", json={"model": "nope", "records": rows, "label": 0})
    assert response.status_code == 404


def test_feedback_request_shape(client: TestClient) -> None:
    rows = cancer_records(1)
    request_id = _predict(client, 1)
    both = {"request_id": request_id, "records": rows, "label": 0}
    response = client.post("/feedback", json=both)
    assert response.status_code == 422
    assert "exactly one" in response.json()["error"]
    assert client.post("/feedback", json={"label": 0}).status_code == 422
    response = client.post("/feedback", json={"request_id": request_id})
    assert response.status_code == 422
    assert response.json()["location"] == "label"
    response = client.post("/feedback", json={"request_id": request_id, "label": 0, "x": 1})
    assert response.status_code == 422
    assert response.json()["location"] == "x"
    response = client.post("/feedback", json={"request_id": "0" * 32, "label": 0})
    assert response.status_code == 404


def test_metrics_exposition(client: TestClient) -> None:
    client.app.state.background.run_once()  # type: ignore[attr-defined]
    before = _value(client, "driftguard_monitor_rows_observed_total", model_version="1")
    for start in (0, 40):
        _predict(client, 20, start)
    client.app.state.background.run_once()  # type: ignore[attr-defined]
    after = _value(client, "driftguard_monitor_rows_observed_total", model_version="1")
    assert after - before == 40

    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    requests = [
        s
        for s in _samples(client, "driftguard_http_requests")
        if s.name == "driftguard_http_requests_total"
    ]
    served = {
        (s.labels["endpoint"], s.labels["status_class"], s.labels["model_name"])
        for s in requests
        if s.labels["model_version"] == "1"
    }
    assert ("/predict/{name}", "2xx", "cancer") in served
    assert all(s.labels["endpoint"] != "/predict/cancer" for s in requests)
    buckets = {
        s.labels["le"]
        for s in _samples(client, "driftguard_inference_duration_seconds")
        if s.name.endswith("_bucket") and s.labels["model_version"] == "1"
    }
    assert {"0.0001", "0.001", "+Inf"} <= buckets
    info = _samples(client, "driftguard_model_info")
    assert any(
        s.labels["model_name"] == "cancer"
        and s.labels["model_version"] == "1"
        and s.labels["role"] == "active"
        and s.labels["framework"] == "sklearn"
        and s.value == 1.0
        for s in info
    )
    assert _value(client, "driftguard_model_active_version", model_name="cancer") == 1.0
    assert _value(client, "driftguard_inference_rows_total", model_version="1") >= 40


def test_signals_and_management_need_the_token(client: TestClient) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong-token-wrong-token"}):
        response = client.get("/models/cancer/signals", headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert response.json()["type"] == "UnauthorizedError"


def test_signals_shape(client: TestClient) -> None:
    _predict(client, 5)
    client.app.state.background.run_once()  # type: ignore[attr-defined]
    response = client.get("/models/cancer/signals", headers=AUTH)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {
        "model",
        "version",
        "signals",
        "decision",
        "window",
        "rules",  # each rule's false-decision interval: tests/services/test_signals_rules.py
        "windows_per_s",
        "planned_windows_per_s",
    }
    assert (body["model"], body["version"]) == ("cancer", 1)
    assert body["signals"]
    for signal in body["signals"]:
        assert set(signal) == SIGNAL_FIELDS
        assert signal["p_value"] is None or 0.0 < signal["p_value"] <= 1.0
        assert signal["block"] is None or signal["block"] >= 1
        assert signal["kind"] in {"drift", "calibration", "performance", "regression"}
        assert signal["status"] in {"ok", "warn", "breach", "insufficient_data"}
    assert body["signals"][0]["name"] == "input_drift"
    window = body["window"]
    assert window["monitoring"] is True
    assert window["size"] >= 2
    assert window["rows_observed"] >= 5
    assert {"rows", "closed", "dropped_rows", "queued_rows"} <= set(window)
    assert client.get("/models/nope/signals", headers=AUTH).status_code == 404


# --------------------------------------------------------------------------------------------
# management: promote, rollback, audit


@pytest.fixture(scope="module")
def admin(
    _cancer_registry_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, Registry]]:
    root = _copy(_cancer_registry_template, tmp_path_factory, "admin")
    with TestClient(_app(root)) as client:
        _wait_ready(client)
        yield client, Registry(root)


def _served_version(client: TestClient) -> str:
    response = client.post("/predict/cancer", json={"records": cancer_records(2)})
    assert response.status_code == 200, response.text
    assert response.json()["model_version"] == response.headers["X-Model-Version"]
    version: str = response.headers["X-Model-Version"]
    return version


def test_management_refuses_without_a_valid_token(admin: tuple[TestClient, Registry]) -> None:
    client, registry = admin
    audit_before = len(registry.audit("cancer"))
    bad = [{}, {"Authorization": "Bearer " + "x" * 20}, {"Authorization": f"Basic {TOKEN}"}]
    for headers in bad:
        calls = [
            client.post("/models/cancer/promote", json={"version": 2}, headers=headers),
            client.post("/models/cancer/promote", json={"version": "two"}, headers=headers),
            client.post("/models/cancer/rollback", headers=headers),
            client.get("/models/cancer/versions", headers=headers),
            client.get("/models/cancer/audit", headers=headers),
        ]
        for response in calls:
            assert response.status_code == 401, response.text
            assert "DRIFTGUARD_ADMIN_TOKEN" in response.json()["error"]
    assert registry.active("cancer").version == 1
    assert len(registry.audit("cancer")) == audit_before
    assert _served_version(client) == "1"


def test_promote_rollback_and_audit(
    admin: tuple[TestClient, Registry], predictors: dict[int, Predictor]
) -> None:
    client, registry = admin
    response = client.get("/models/cancer/versions", headers=AUTH)
    assert response.status_code == 200
    assert [(v["version"], v["active"]) for v in response.json()] == [
        (1, True),
        (2, False),
        (3, False),
    ]

    response = client.post("/models/cancer/rollback", headers=AUTH)
    assert response.status_code == 409  # nothing earlier than version 1
    assert response.json()["type"] == "NoRollbackTargetError"
    response = client.post("/models/cancer/promote", json={"version": 99}, headers=AUTH)
    assert response.status_code == 404
    assert registry.active("cancer").version == 1

    generation = registry.active("cancer").generation
    response = client.post(
        "/models/cancer/promote", json={"version": 2, "reason": "better"}, headers=AUTH
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["version"], body["previous"], body["generation"]) == (2, 1, generation + 1)
    assert registry.active("cancer").version == 2
    assert _served_version(client) == "2"
    rows = cancer_records(3, start=50)
    response = client.post("/predict/cancer", json={"records": rows})
    np.testing.assert_allclose(
        response.json()["probabilities"], predictors[2].predict_proba(_features(rows)), rtol=1e-12
    )
    assert client.get("/v2/models/cancer").json()["active_version"] == "2"

    response = client.post("/models/cancer/rollback", json={"reason": "worse"}, headers=AUTH)
    assert response.status_code == 200, response.text
    assert (response.json()["version"], response.json()["previous"]) == (1, 2)
    assert registry.active("cancer").version == 1
    assert _served_version(client) == "1"

    response = client.post("/models/cancer/rollback", headers=AUTH)
    assert response.status_code == 409
    assert registry.active("cancer").version == 1

    response = client.get("/models/cancer/audit", headers=AUTH)
    assert response.status_code == 200
    entries = response.json()
    mine = [e for e in entries if e["actor"].startswith("api:")]
    assert [(e["action"], e["from_version"], e["to_version"]) for e in mine] == [
        ("promote", 1, 2),
        ("rollback", 2, 1),
    ]
    assert [e["reason"] for e in mine] == ["better", "worse"]
    assert mine[0]["actor"] == "api:testclient"
    swaps = _value(client, "driftguard_model_swaps_total", model_name="cancer")
    assert swaps == 2.0


def test_management_errors(admin: tuple[TestClient, Registry]) -> None:
    client, _ = admin
    response = client.post("/models/cancer/promote", json={"version": 0}, headers=AUTH)
    assert response.status_code == 422
    assert response.json()["location"] == "version"
    response = client.post("/models/nope/promote", json={"version": 1}, headers=AUTH)
    assert response.status_code == 404
    assert client.get("/models/nope/audit", headers=AUTH).status_code == 404
    assert client.get("/models/nope/versions", headers=AUTH).status_code == 404
