"""Alertmanager's webhook receiver, in-process: one rollback per firing alert, whatever comes.

The service runs with ``rollback_by=alertmanager``; version 2 of ``cancer`` is promoted, and
alerts about it arrive the way Alertmanager sends them (repeated, late, concurrent,
malformed). The end-to-end test with real Prometheus and Alertmanager processes is
``test_alerting_e2e.py``.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from driftguard_service.app import create_app
from driftguard_service.settings import Settings
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from driftguard.errors import InvalidInputError
from driftguard.guard.alert_message import parse_webhook
from driftguard.policy import fingerprint
from driftguard.registry import Registry

TOKEN = "a" * 24
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ROUTE = "/alerts/alertmanager"


def _client(root: Path, **settings: Any) -> Iterator[TestClient]:
    app = create_app(Settings(registry=root, admin_token=TOKEN, **settings))
    with TestClient(app) as client:
        deadline = time.monotonic() + 60
        while client.get("/v2/health/ready").status_code != 200:
            assert time.monotonic() < deadline, "service not ready within 60 s"
            time.sleep(0.05)
        response = client.post("/models/cancer/promote", json={"version": 2}, headers=AUTH)
        assert response.status_code == 200, response.text
        yield client


@pytest.fixture
def client(cancer_registry: Path) -> Iterator[TestClient]:
    yield from _client(cancer_registry, rollback_by="alertmanager")


def message(
    version: int = 2,
    generation: int | None = 2,
    *,
    starts: str = "2026-11-26T01:00:00Z",
    status: str = "firing",
    action: str = "rollback",
    model: str = "cancer",
) -> dict[str, Any]:
    """One Alertmanager webhook message with a single drift alert, as Alertmanager sends it."""
    labels = {
        "alertname": "DriftguardDriftConfirmed",
        "model_name": model,
        "model_version": str(version),
        "severity": "critical",
    }
    if action:
        labels["driftguard_action"] = action
    if generation is not None:
        labels["generation"] = str(generation)
    return {
        "version": "4",
        "groupKey": '{}/{driftguard_action="rollback"}:{alertname="DriftguardDriftConfirmed"}',
        "status": status,
        "receiver": "driftguard-rollback",
        "groupLabels": {"alertname": "DriftguardDriftConfirmed"},
        "commonLabels": labels,
        "commonAnnotations": {},
        "externalURL": "http://127.0.0.1:9093",
        "truncatedAlerts": 0,
        "alerts": [
            {
                "status": status,
                "labels": labels,
                "annotations": {"summary": "input drift confirmed on cancer v2"},
                "startsAt": starts,
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://127.0.0.1:9090/graph",
                "fingerprint": fingerprint(labels),
            }
        ],
    }


def outcome(response: Any) -> str:
    assert response.status_code == 200, response.text
    outcomes = response.json()["outcomes"]
    assert len(outcomes) == 1
    return str(outcomes[0]["outcome"])


def rollbacks(root: Path) -> list[Any]:
    return [r for r in Registry(root).audit("cancer") if r.action == "rollback"]


def received(client: TestClient) -> dict[str, float]:
    for family in text_string_to_metric_families(client.get("/metrics").text):
        if family.name == "driftguard_alerts_received":
            return {s.labels["outcome"]: s.value for s in family.samples}
    raise AssertionError("driftguard_alerts_received_total is not exported")


def test_a_firing_alert_rolls_back_once_and_duplicates_change_nothing(
    client: TestClient, cancer_registry: Path
) -> None:
    first = client.post(ROUTE, json=message(), headers=AUTH)
    assert outcome(first) == "rolled_back"
    assert first.json()["rolled_back"] == 1
    state = Registry(cancer_registry).active("cancer")
    assert (state.version, state.generation) == (1, 3)
    again = client.post(ROUTE, json=message(), headers=AUTH)
    assert outcome(again) == "duplicate"
    # A new episode of the same alert (Alertmanager restarted, or the receiver forgot it):
    # the compare-and-set on the generation stops it.
    later = client.post(ROUTE, json=message(starts="2026-11-26T02:00:00Z"), headers=AUTH)
    assert outcome(later) == "stale"
    assert "ACTIVE is version 1" in later.json()["outcomes"][0]["detail"]
    records = rollbacks(cancer_registry)
    assert len(records) == 1
    assert records[0].actor == "alertmanager:DriftguardDriftConfirmed"
    assert records[0].evidence["fingerprint"] == message()["alerts"][0]["fingerprint"]
    assert "groupKey" in records[0].evidence
    assert Registry(cancer_registry).active("cancer").version == 1
    counts = received(client)
    assert (counts["rolled_back"], counts["duplicate"], counts["stale"]) == (1, 1, 1)


def test_concurrent_deliveries_roll_back_exactly_once(
    client: TestClient, cancer_registry: Path
) -> None:
    answers: list[str] = []
    lock = threading.Lock()

    def deliver(i: int) -> None:
        # Different startsAt: each looks new to the memory of seen alerts; only the
        # registry's compare-and-set can keep it to one rollback.
        body = message(generation=None, starts=f"2026-11-26T01:00:{i:02d}Z")
        got = outcome(client.post(ROUTE, json=body, headers=AUTH))
        with lock:
            answers.append(got)

    threads = [threading.Thread(target=deliver, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(answers) == ["rolled_back"] + ["stale"] * 7
    assert len(rollbacks(cancer_registry)) == 1


def test_only_the_configured_controller_rolls_back(cancer_registry: Path) -> None:
    for client in _client(cancer_registry):  # rollback_by defaults to the guard
        response = client.post(ROUTE, json=message(), headers=AUTH)
        assert outcome(response) == "not_controller"
        assert response.json()["controller"] == "guard"
    assert rollbacks(cancer_registry) == []
    assert Registry(cancer_registry).active("cancer").version == 2


def test_the_older_switch_turns_the_guard_off(cancer_registry: Path) -> None:
    settings = Settings(registry=cancer_registry, admin_token=TOKEN, guard_rollback=False)
    assert settings.rollback_controller == "none"
    both = Settings(registry=cancer_registry, rollback_by="alertmanager", guard_rollback=False)
    assert both.rollback_controller == "alertmanager"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (message(status="resolved"), "resolved"),
        (message(action=""), "no_action"),
        (message(model="nope"), "unknown_model"),
        (message(version=7, generation=None), "stale"),
        (message(generation=1), "stale"),
    ],
    ids=["resolved", "no-action-label", "unknown-model", "not-the-active-version", "old-gen"],
)
def test_alerts_that_must_not_roll_back(
    client: TestClient, cancer_registry: Path, body: dict[str, Any], expected: str
) -> None:
    assert outcome(client.post(ROUTE, json=body, headers=AUTH)) == expected
    assert rollbacks(cancer_registry) == []


def test_missing_labels_are_named(client: TestClient) -> None:
    body = message()
    del body["alerts"][0]["labels"]["model_version"]
    response = client.post(ROUTE, json=body, headers=AUTH)
    assert outcome(response) == "missing_labels"
    assert "model_version" in response.json()["outcomes"][0]["detail"]


def test_the_token_is_required(client: TestClient, cancer_registry: Path) -> None:
    assert client.post(ROUTE, json=message()).status_code == 401
    wrong = {"Authorization": "Bearer " + "b" * 24}
    assert client.post(ROUTE, json=message(), headers=wrong).status_code == 401
    assert rollbacks(cancer_registry) == []


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda m: m.update(version="3"), "version"),
        (lambda m: m.update(alerts={"x": 1}), "alerts"),
        (lambda m: m["alerts"][0].update(status="pending"), "alerts[0].status"),
        (lambda m: m["alerts"][0].update(labels={}), "alerts[0].labels"),
        (lambda m: m["alerts"][0]["labels"].update(x=3), "alerts[0].labels.x"),
        (lambda m: m["alerts"].__setitem__(0, "alert"), "alerts[0]"),
    ],
)
def test_malformed_messages_are_422_naming_the_field(
    client: TestClient, cancer_registry: Path, mutate: Any, field: str
) -> None:
    body = copy.deepcopy(message())
    mutate(body)
    response = client.post(ROUTE, json=body, headers=AUTH)
    assert response.status_code == 422, response.text
    assert field in response.text
    with pytest.raises(InvalidInputError, match=field.replace("[", r"\[").replace("]", r"\]")):
        parse_webhook(body)
    assert rollbacks(cancer_registry) == []


def test_not_json_is_422(client: TestClient) -> None:
    response = client.post(
        ROUTE, content=b"[1, 2]", headers={**AUTH, "Content-Type": "application/json"}
    )
    assert response.status_code == 422


def test_a_missing_fingerprint_is_computed_like_prometheus() -> None:
    body = message()
    del body["alerts"][0]["fingerprint"]
    alert = parse_webhook(body).alerts[0]
    assert alert.fingerprint == message()["alerts"][0]["fingerprint"]
