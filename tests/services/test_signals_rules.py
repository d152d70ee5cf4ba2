"""``GET /models/{name}/signals``: every rule's false-decision interval and evidence.

In-process (``TestClient``) on a fresh copy of the ``cancer`` registry under the default
policy: before any window each rule states its interval at the planning traffic only; after
clean windows the guard has measured the window rate, and each interval is the rule's run
length in windows divided by it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import clean_window
from driftguard_service.app import create_app
from driftguard_service.schemas_rules import RuleStandingModel
from driftguard_service.settings import Settings
from fastapi.testclient import TestClient
from live_server import wait_for

from driftguard.policy import default_policy, format_duration

TOKEN = "r" * 24
AUTH = {"Authorization": f"Bearer {TOKEN}"}
WINDOWS = 3


@pytest.fixture
def client(_cancer_registry_template: Path, tmp_path: Path) -> Iterator[TestClient]:
    root = tmp_path / "registry"
    shutil.copytree(_cancer_registry_template, root)
    app = create_app(Settings(registry=root, admin_token=TOKEN, drain_interval_s=0.05))
    with TestClient(app) as client:
        wait_for(lambda: client.get("/v2/health/ready").status_code == 200, "readiness")
        yield client


def _signals(client: TestClient) -> dict[str, Any]:
    response = client.get("/models/cancer/signals", headers=AUTH)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_rules_state_their_intervals_and_evidence(client: TestClient) -> None:
    policy = default_policy()
    before = _signals(client)
    assert {"model", "version", "signals", "decision", "window"} < set(before)
    assert before["windows_per_s"] is None  # no window decided yet
    assert before["planned_windows_per_s"] == policy.traffic.windows_per_s == 4.0
    assert [r["rule"] for r in before["rules"]] == list(policy.names)
    for rule in before["rules"]:
        assert set(rule) == set(RuleStandingModel.model_fields)
        assert rule["interval_s"] is None
        assert rule["planned_interval_s"] == pytest.approx(rule["run_length_windows"] / 4.0)
        assert "at planning traffic" in rule["sentence"]
        assert (rule["latched"], rule["progress"]) == (False, 0.0)
    drift = before["rules"][0]
    assert (drift["rule"], drift["method"], drift["action"]) == ("input-drift", "cusum", "rollback")
    assert drift["target"] == "365d"  # as the policy file states it
    assert drift["evidence"] == 0.0
    assert drift["evidence_threshold"] == pytest.approx(14.99, abs=0.01)

    for i in range(WINDOWS):
        response = client.post("/predict/cancer", json={"records": clean_window(i)})
        assert response.status_code == 200, response.text

    def judged() -> dict[str, Any] | None:
        body = _signals(client)
        done = body["decision"] is not None
        return body if done and body["decision"]["window_id"].endswith(f"w{WINDOWS - 1}") else None

    after = wait_for(judged, f"the guard's decision on window {WINDOWS - 1}")
    rate = after["windows_per_s"]
    assert rate is not None
    assert rate > 0
    for rule in after["rules"]:
        assert rule["interval_s"] == pytest.approx(rule["run_length_windows"] / rate)
        assert rule["planned_interval_s"] == pytest.approx(rule["run_length_windows"] / 4.0)
        assert format_duration(rule["interval_s"]) in rule["sentence"]
        assert "at current traffic" in rule["sentence"]
        assert 0.0 <= rule["progress"] <= 1.0
    assert after["rules"][0]["latched"] is False


def test_unknown_model_has_no_rules(client: TestClient) -> None:
    assert client.get("/models/nope/signals", headers=AUTH).status_code == 404
