"""The dashboard's routes in-process (``TestClient`` against ``create_app``).

The page and its assets: served without a token, with a strict CSP, nothing inline, no
reference to another host. The data routes: the token, 404 for an unknown model, and the
snapshot's values after traffic that closes windows (clean, then drifted) and after labelled
feedback (the reliability bins count exactly the labelled rows; their ECE is the library's).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import cancer_columns, cancer_records, clean_window, drifted_window
from driftguard_service.app import create_app
from driftguard_service.routers.dashboard import ASSETS
from driftguard_service.schemas_rules import RuleStandingModel
from driftguard_service.settings import Settings
from fastapi.testclient import TestClient
from live_server import wait_for

from driftguard.detectors import calibration_statistics
from driftguard.detectors.reliability import reliability_diagram
from driftguard.errors import ConfigurationError
from driftguard.policy import default_policy

TOKEN = "d" * 24
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TIMEOUT_S = 30.0  # liveness bound of every wait
SVG_NAMESPACE = "http://www.w3.org/2000/svg"  # an identifier in SVG, never fetched
LABELLED = 150


def _snapshot(client: TestClient) -> dict[str, Any]:
    response = client.get("/dashboard/api/models/cancer", headers=AUTH)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture(scope="module")
def client(
    _cancer_registry_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("dashboard") / "registry"
    shutil.copytree(_cancer_registry_template, root)
    app = create_app(Settings(registry=root, admin_token=TOKEN, drain_interval_s=0.05))
    with TestClient(app) as client:
        wait_for(lambda: client.get("/v2/health/ready").status_code == 200, "readiness")
        yield client


@pytest.fixture(scope="module")
def traffic(client: TestClient) -> dict[str, Any]:
    """Three clean windows and one drifted, then labelled rows; the snapshots after each."""
    for rows in (clean_window(0), clean_window(1), clean_window(2), drifted_window(3)):
        response = client.post("/predict/cancer", json={"records": rows})
        assert response.status_code == 200, response.text

    def judged() -> dict[str, Any] | None:  # the guard runs right after the window closed
        snap = _snapshot(client)
        decision = snap["served"]["decision"]
        done = decision is not None and decision["window_id"] == "cancer:v1:w3"
        return snap if done and snap["drift"]["windows_closed"] == 4 else None

    drift = wait_for(judged, "the guard's decision on window 3")
    response = client.post("/predict/cancer", json={"records": cancer_records(LABELLED)})
    assert response.status_code == 200, response.text
    body = response.json()
    labels = [int(v) for v in cancer_columns()["target"][:LABELLED]]
    response = client.post("/feedback", json={"request_id": body["request_id"], "label": labels})
    assert response.status_code == 200, response.text
    return {
        "drift": drift,
        "snapshot": _snapshot(client),
        "probabilities": np.array(body["probabilities"]),
        "labels": np.array(labels),
    }


def test_reliability_bins_follow_the_calibration_statistics() -> None:
    g = np.random.default_rng(3)
    p = g.dirichlet(np.ones(3), size=500)
    p[:5] = [[0.6, 0.3, 0.1], [1.0, 0.0, 0.0], [0.4, 0.4, 0.2], [0.2, 0.2, 0.6], [1 / 3] * 3]
    y = g.integers(0, 3, size=500)
    d = reliability_diagram(p, y)
    assert d.ece == pytest.approx(calibration_statistics(p, y)["ece_width"], abs=1e-12)
    conf, correct = p.max(axis=1), p.argmax(axis=1) == y
    # bins are (lo, hi] as in calibration_stats: 0.6 is the top of bin 8, 1.0 of the last
    assert int(np.searchsorted(d.edges[1:-1], 0.6)) == 8
    for b in d.bins():
        inside = ((conf > b["lo"]) | (b["lo"] == 0.0)) & (conf <= b["hi"])
        assert b["count"] == int(inside.sum())
        if b["count"]:
            assert b["accuracy"] == pytest.approx(correct[inside].mean())
            assert b["confidence"] == pytest.approx(conf[inside].mean())
        else:
            assert b["accuracy"] is None
    assert d.n == int(d.counts.sum()) == 500
    empty = reliability_diagram(np.zeros((0, 0)), np.zeros(0))
    assert (empty.n, empty.ece, empty.counts.sum()) == (0, 0.0, 0)
    with pytest.raises(ConfigurationError):
        reliability_diagram(p, y, n_bins=0)


def test_data_routes_need_the_token(client: TestClient) -> None:
    for path in ("/dashboard/api/models", "/dashboard/api/models/cancer"):
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.headers["WWW-Authenticate"] == "Bearer"
        wrong = client.get(path, headers={"Authorization": "Bearer " + "x" * 24})
        assert wrong.status_code == 401, path
        assert "cancer" not in wrong.text


def test_unknown_model_is_404(client: TestClient) -> None:
    response = client.get("/dashboard/api/models/nope", headers=AUTH)
    assert response.status_code == 404
    assert response.json()["type"] == "VersionNotFoundError"
    assert "nope" in response.json()["error"]


def test_model_list(client: TestClient) -> None:
    response = client.get("/dashboard/api/models", headers=AUTH)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.json() == [
        {"name": "cancer", "active_version": 1, "generation": 1, "served_version": 1}
    ]


def test_page_and_assets_are_self_contained(client: TestClient) -> None:
    page = client.get("/dashboard")  # no token: the shell holds no data
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    referenced = set(re.findall(r'(?:src|href)="dashboard/([^"]+)"', page.text))
    assert referenced == set(ASSETS) - {"index.html"}
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text) is None  # no inline script
    assert "<style" not in page.text
    assert " style=" not in page.text
    for name in ("", *sorted(referenced)):
        response = client.get(f"/dashboard/{name}".rstrip("/"))
        assert response.status_code == 200, name
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert "unsafe-eval" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        outside = set(re.findall(r"https?://[^\s\"'`)<>]+", response.text)) - {SVG_NAMESPACE}
        assert not outside, f"{name or 'index.html'} refers to {outside}"
    assert client.get("/dashboard/charts.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/dashboard/dashboard.css").headers["content-type"].startswith("text/css")
    assert client.get("/dashboard/nothing.js").status_code == 404


def test_snapshot_drift(traffic: dict[str, Any]) -> None:
    snap = traffic["drift"]
    assert (snap["model"], snap["active_version"], snap["generation"]) == ("cancer", 1, 1)
    assert snap["served"]["version"] == 1
    assert snap["unavailable"] is None
    drift = snap["drift"]
    assert drift["window_size"] == len(clean_window(0))
    history = drift["history"]
    assert [w["index"] for w in history] == [0, 1, 2, 3]
    assert [w["drift"] for w in history] == [False, False, False, True]
    for w in history:
        assert w["n_rows"] == drift["window_size"]
        assert (w["score"] > w["threshold"]) == w["drift"]
    latest = drift["latest"]
    assert latest["index"] == 3
    assert latest["closed"]
    names = [k for k in cancer_columns() if k != "target"]
    table = latest["features"]
    assert sorted(f["feature"] for f in table) == sorted(names)
    ratios = [f["ratio"] for f in table]
    assert ratios == sorted(ratios, reverse=True)
    for f in table:
        assert f["ratio"] == pytest.approx(f["score"] / f["threshold"])
    assert latest["drifted_features"] == sum(f["drift"] for f in table)
    assert ratios[0] > 1.0  # x 1.5 on every feature: far above the thresholds
    # the dataset statistic is the largest feature ratio
    assert latest["score"] == pytest.approx(ratios[0])
    signal = next(s for s in snap["served"]["signals"] if s["name"] == "input_drift")
    assert (signal["value"], signal["status"]) == (latest["score"], "breach")
    assert not any(s["name"].startswith("input_drift:") for s in snap["served"]["signals"])
    series = drift["features"]
    assert len(series) == 12
    assert [s["feature"] for s in series] == [f["feature"] for f in table[:12]]
    for s in series:
        assert len(s["scores"]) == len(s["thresholds"]) == len(s["drift"]) == len(history)
    assert snap["served"]["decision"]["window_id"] == "cancer:v1:w3"


def test_snapshot_rules_state_intervals_at_the_observed_rate(traffic: dict[str, Any]) -> None:
    snap = traffic["drift"]
    policy = default_policy()
    assert [r["rule"] for r in snap["rules"]] == list(policy.names)
    assert snap["planned_windows_per_s"] == policy.traffic.windows_per_s
    rate = snap["windows_per_s"]
    assert rate is not None
    assert rate > 0  # 4 windows decided: the rate is measured
    for rule in snap["rules"]:
        assert set(rule) == set(RuleStandingModel.model_fields)
        assert rule["interval_s"] == pytest.approx(rule["run_length_windows"] / rate)
        assert 0.0 <= rule["progress"] <= 1.0
    drift = snap["rules"][0]
    assert (drift["rule"], drift["method"], drift["action"]) == ("input-drift", "cusum", "rollback")
    assert drift["evidence_threshold"] == pytest.approx(14.99, abs=0.01)
    assert drift["progress"] == pytest.approx(drift["evidence"] / drift["evidence_threshold"])


def test_snapshot_calibration_counts_the_labelled_rows(traffic: dict[str, Any]) -> None:
    snap = traffic["snapshot"]
    calibration = snap["calibration"]
    assert calibration["n"] == calibration["received"] == LABELLED
    bins = calibration["bins"]
    assert len(bins) == 15
    assert sum(b["count"] for b in bins) == LABELLED
    assert [b["lo"] for b in bins[1:]] == pytest.approx([b["hi"] for b in bins[:-1]])
    proba, labels = traffic["probabilities"], traffic["labels"]
    expected = calibration_statistics(proba, labels)["ece_width"]
    assert calibration["ece"] == pytest.approx(expected, abs=1e-12)
    correct = proba.argmax(axis=1) == labels
    assert calibration["accuracy"] == pytest.approx(correct.mean())
    conf = proba.max(axis=1)
    for b in bins:
        inside = (conf > b["lo"]) & (conf <= b["hi"])
        assert b["count"] == int(inside.sum())
        if b["count"]:
            assert b["accuracy"] == pytest.approx(correct[inside].mean())
    ece = next(s for s in snap["served"]["signals"] if s["name"] == "ece")
    assert calibration["ece"] == pytest.approx(ece["value"], abs=1e-12)
    assert calibration["ece_threshold"] == ece["threshold"]


def test_snapshot_timeline_and_audit(client: TestClient, traffic: dict[str, Any]) -> None:
    before = traffic["snapshot"]
    assert [(s["action"], s["to_version"]) for s in before["switches"]] == [("promote", 1)]
    response = client.post("/models/cancer/promote", json={"version": 2}, headers=AUTH)
    assert response.status_code == 200, response.text
    response = client.post("/models/cancer/rollback", json={"reason": "worse"}, headers=AUTH)
    assert response.status_code == 200, response.text
    snap = _snapshot(client)
    assert (snap["active_version"], snap["generation"]) == (1, 3)
    assert [(s["action"], s["from_version"], s["to_version"]) for s in snap["switches"]] == [
        ("promote", None, 1),
        ("promote", 1, 2),
        ("rollback", 2, 1),
    ]
    assert [e["kind"] for e in snap["timeline"][:2]] == ["manual_rollback", "promote"]
    audit = snap["audit"]
    assert [r["id"] for r in audit] == sorted((r["id"] for r in audit), reverse=True)
    assert (audit[0]["action"], audit[0]["reason"]) == ("rollback", "worse")
    assert {v["version"]: v["active"] for v in snap["versions"]} == {1: True, 2: False, 3: False}
    # the version rolled back to serves again with a fresh monitor; labels of v1 still count
    assert snap["drift"]["windows_closed"] == 0
    assert snap["drift"]["latest"] is None
    assert snap["calibration"]["n"] == LABELLED
