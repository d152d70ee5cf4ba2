"""The prediction routes are one library call: the route and ``RequestPath.score`` agree.

``create_app`` wires one :class:`~driftguard.serving.RequestPath` into the service (with the
inference-latency histogram as its ``on_predict``); the routes parse, call it (inline or in
the thread pool) and shape the response. Checked against the same app: predictions, the
logged request id, invalid rows (same message, type and location) and refused clients (the
error table's 429 / 403).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import cancer_records
from driftguard_service.app import create_app
from driftguard_service.deps import Service
from driftguard_service.errors import status_of
from driftguard_service.settings import Settings
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from driftguard.errors import ClientRefusedError, InvalidInputError
from driftguard.serving import RequestPath

TOKEN = "r" * 20
CLIENT = "addr:testclient"  # what ClientDep names TestClient's requests without a token


@pytest.fixture
def client(cancer_registry: Path) -> Iterator[TestClient]:
    settings = Settings(registry=cancer_registry, admin_token=TOKEN, shadow_rows=0)
    with TestClient(create_app(settings)) as c:
        deadline = time.monotonic() + 30
        while c.get("/v2/health/ready").status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        yield c


def _service(client: TestClient) -> Service:
    service: Service = client.app.state.service  # type: ignore[attr-defined]
    return service


def _inference_count(client: TestClient) -> float:
    for family in text_string_to_metric_families(client.get("/metrics").text):
        if family.name == "driftguard_inference_duration_seconds":
            return sum(s.value for s in family.samples if s.name.endswith("_count"))
    return 0.0


def test_the_app_wires_one_request_path_over_its_host(client: TestClient) -> None:
    service = _service(client)
    assert isinstance(service.scoring, RequestPath)
    assert service.scoring.host is service.host
    assert service.scoring.on_predict is not None


@pytest.mark.parametrize("n", [3, 100])  # inline, and in the thread pool (inline_rows=64)
def test_route_and_library_give_the_same_predictions(client: TestClient, n: int) -> None:
    service = _service(client)
    rows = cancer_records(n)
    before = _inference_count(client)
    response = client.post("/predict/cancer", json={"records": rows})
    assert response.status_code == 200
    body = response.json()
    scored = service.scoring.score_records(service.host.get("cancer"), rows)
    assert body["predictions"] == scored.predictions()
    np.testing.assert_allclose(body["probabilities"], scored.proba)
    assert body["request_id"] != scored.request_id
    assert response.headers["X-Request-Id"] == body["request_id"]
    logged = service.host.predictions.take(body["request_id"])  # recorded by the route
    assert logged.n_rows == n
    assert _inference_count(client) == before + 2  # the route's call and the library's


@pytest.mark.parametrize(
    "records",
    [
        [],
        [{"mean_radius": "abc"}],
        [{**cancer_records(1)[0], "colour": "red"}],
        [{**cancer_records(1)[0], "mean_area": None}],
    ],
    ids=["empty", "missing", "unknown", "null"],
)
def test_route_and_library_refuse_invalid_rows_alike(client: TestClient, records: Any) -> None:
    service = _service(client)
    with pytest.raises(InvalidInputError) as info:
        service.scoring.score_records(service.host.get("cancer"), records)
    response = client.post("/predict/cancer", json={"records": records})
    assert response.status_code == status_of(info.value) == 422
    assert response.json() == {
        "error": str(info.value),
        "type": type(info.value).__name__,
        "location": info.value.location,
    }


def test_a_bad_value_is_refused_alike(client: TestClient) -> None:
    service = _service(client)
    rows = cancer_records(2)
    rows[1]["mean_area"] = "abc"  # type: ignore[assignment]
    with pytest.raises(InvalidInputError) as info:
        service.scoring.score_records(service.host.get("cancer"), rows)
    response = client.post("/predict/cancer", json={"records": rows})
    assert response.status_code == 422
    assert response.json()["error"] == str(info.value)
    assert response.json()["location"] == info.value.location == "records[1].mean_area"


def test_a_refused_client_is_refused_by_the_library_and_the_route(client: TestClient) -> None:
    service = _service(client)
    model = service.host.get("cancer")
    policy = service.host.defender.clients.policy
    assert policy.on_probing == "rate_limit"  # the shipped policy
    assert service.host.defender.clients.flag(CLIENT, "cancer", model.version, "test")
    rows = cancer_records(1)
    for _ in range(policy.rate_per_minute):  # a rate-limited client keeps its allowance
        service.scoring.score_records(model, rows, CLIENT)
    with pytest.raises(ClientRefusedError) as info:
        service.scoring.score_records(model, rows, CLIENT)
    assert status_of(info.value) == 429
    response = client.post("/predict/cancer", json={"records": rows})
    assert response.status_code == 429
    assert response.json()["type"] == type(info.value).__name__
    assert "flagged for probing cancer" in response.json()["error"]
    assert int(response.headers["Retry-After"]) >= 1
    other = service.scoring.score_records(model, rows, "addr:10.0.0.9")
    assert other.n_rows == 1
