"""The guard end to end: ``driftguard serve`` (uvicorn) in its own process, over TCP.

A policy file in ``tmp_path`` is given to the service (``DRIFTGUARD_POLICY``); the service's
evaluator drains the windows and runs the guard every ``DRIFTGUARD_DRAIN_INTERVAL_S``. The
tests send whole windows (86 rows, the cancer profile's window size) as single requests and
wait for conditions with a timeout (a liveness bound, never a speed claim). Every episode ends
with an event the guard must audit (a rollback, a re-arm, a cooldown warning) naming the
window it judged, so "nothing happened before" is checked exactly, not by waiting a while:
windows are judged in order, one evaluator pass after another.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from conftest import as_columns, clean_window, drifted_window
from live_server import LiveServer, LiveServers, wait_for

from driftguard.drift.check import DriftCheck
from driftguard.registry import Registry

WINDOW = 86  # the cancer profile's largest calibrated window size
RULE = "input-drift"
N_ROWS = 569
TIMEOUT_S = 60.0  # liveness bound of every wait
T = TypeVar("T")

pytestmark = pytest.mark.slow  # each test starts a server


clean = clean_window
drifted = drifted_window
columns = as_columns


def write_policy(tmp_path: Path, *, min_samples: int, k: int, m: int, extra: str = "") -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(
        f"""\
version: 1
mode: rollback
cooldown_s: 3600
false_rollback_floor: 0   # fast k-of-m rollback rules on purpose: the mechanics under test
rules:
  - name: {RULE}
    signal: input_drift
    kind: drift
    min_samples: {min_samples}
    confirm: {{k: {k}, m: {m}}}
    clear: {{ok: 2}}
    action: rollback
{extra}""",
        encoding="utf-8",
    )
    return path


class Driver:
    """Send windows to one live server and read what the guard did."""

    def __init__(self, server: LiveServer, client: httpx.Client) -> None:
        self.server = server
        self.client = client

    def predict(self, rows: list[dict[str, float]]) -> dict[str, Any]:
        response = self.client.post("/predict/cancer", json={"records": rows})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert response.headers["X-Model-Version"] == body["model_version"]
        return body

    def closed(self, version: int) -> int:
        """Windows the monitor of the served ``version`` has closed."""
        for labels, value in self.server.metrics().get(
            "driftguard_monitor_windows_closed_total", []
        ):
            if labels["model_version"] == str(version):
                return int(value)
        return 0

    def window(self, rows: list[dict[str, float]], version: int) -> None:
        """Serve one whole window with ``version`` and wait until that window closed."""
        before = self.closed(version)
        assert self.predict(rows)["model_version"] == str(version)
        wait_for(lambda: self.closed(version) > before, f"a window of version {version}", TIMEOUT_S)

    def served(self) -> str:
        response = self.client.get("/v2/models/cancer")
        assert response.status_code == 200, response.text
        return str(response.json()["active_version"])

    def audit(self, action: str | None = None) -> list[dict[str, Any]]:
        response = self.client.get("/models/cancer/audit", headers=self.server.auth())
        assert response.status_code == 200, response.text
        records: list[dict[str, Any]] = response.json()
        return [r for r in records if action is None or r["action"] == action]

    def decision_at(self, window_id: str) -> dict[str, Any]:
        """Wait for the guard's audited decision on ``window_id``; its evidence."""

        def probe() -> dict[str, Any] | None:
            for record in self.audit("decision"):
                if record["evidence"].get("window_id") == window_id:
                    assert record["actor"] == "guard"
                    evidence: dict[str, Any] = record["evidence"]
                    return evidence
            return None

        return wait_for(probe, f"the guard's audited decision on {window_id}", TIMEOUT_S)

    def signal(self, name: str) -> dict[str, Any]:
        response = self.client.get("/models/cancer/signals", headers=self.server.auth())
        assert response.status_code == 200, response.text
        [found] = [s for s in response.json()["signals"] if s["name"] == name]
        return dict(found)

    def gauge(self, name: str, **labels: str) -> dict[str, float]:
        """``{feature or "": value}`` of a model gauge, filtered by ``labels``."""
        out = {}
        for found, value in self.server.metrics().get(name, []):
            if all(found.get(k) == v for k, v in labels.items()):
                out[found.get("feature", "")] = value
        return out


@pytest.fixture
def servers() -> Iterator[LiveServers]:
    pool = LiveServers()
    yield pool
    pool.stop_all()


def start(servers: LiveServers, registry: Path, policy: Path) -> LiveServer:
    return servers.start(
        registry,
        POLICY=str(policy),
        SHADOW_ROWS="0",
        WINDOW_SIZE=str(WINDOW),
        DRAIN_INTERVAL_S="0.1",
        WATCH_INTERVAL_S="0.2",
    )


def promote_2(driver: Driver) -> None:
    """Version 2 over version 1 (which becomes known-good: the rollback target)."""
    response = driver.client.post(
        "/models/cancer/promote",
        json={"version": 2, "reason": "new model"},
        headers=driver.server.auth(),
    )
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 2
    assert driver.served() == "2"


def test_windows_are_what_the_tests_assume(cancer_registry: Path) -> None:
    profile = Registry(cancer_registry).open("cancer", 2).profile()
    check = DriftCheck()
    for i in range(N_ROWS // WINDOW):
        assert not check.run(profile, columns(clean(i))).drift, i
        assert check.run(profile, columns(drifted(i))).drift, i


def test_spike_then_confirmed_drift_rolls_back_once_to_version_1(
    servers: LiveServers, cancer_registry: Path, tmp_path: Path
) -> None:
    policy = write_policy(tmp_path, min_samples=50, k=3, m=4)
    server = start(servers, cancer_registry, policy)
    with server.client() as client:
        driver = Driver(server, client)
        promote_2(driver)

        # version 2: clean, a 2-window spike (shorter than k=3 of m=4), clean, then a
        # confirmed episode: windows w0..w8, the rollback decided on w8 and no earlier
        for rows in (clean(0), clean(1), drifted(2), drifted(3), clean(4), clean(5)):
            driver.window(rows, version=2)
        for i in range(3):
            driver.predict(drifted(i))
        wait_for(lambda: driver.served() == "1", "the rollback to version 1", TIMEOUT_S)

        [rollback] = driver.audit("rollback")
        assert rollback["actor"] == "guard"
        assert (rollback["from_version"], rollback["to_version"]) == (2, 1)
        assert rollback["evidence"]["rules_fired"] == [RULE]
        assert rollback["evidence"]["window_id"] == "cancer:v2:w8"
        [evidence] = rollback["evidence"]["evidence"]
        assert (evidence["rule"], evidence["breaches"], evidence["k"]) == (RULE, 3, 3)
        assert Registry(cancer_registry).active("cancer").version == 1

        # the rolled-back service answers with version 1, from a fresh window of its own
        rows = clean(1)
        assert driver.predict(rows[:1])["model_version"] == "1"
        wait_for(
            lambda: driver.gauge("driftguard_monitor_window_rows", model_version="1") == {"": 1},
            "the first row in the window of version 1",
            TIMEOUT_S,
        )
        assert driver.closed(1) == 0
        info = server.metrics()["driftguard_model_info"]
        assert [(x["model_version"], x["role"]) for x, _ in info] == [("1", "active")]

        # ... and judges traffic against version 1's reference profile
        driver.window(rows[1:], version=1)  # completes the window begun by the row above
        profile = Registry(cancer_registry).open("cancer", 1).profile()
        expected = DriftCheck().run(profile, columns(rows))
        score = driver.gauge("driftguard_drift_dataset_score_ratio", model_version="1")
        assert score[""] == pytest.approx(expected.dataset_score)
        thresholds = driver.gauge("driftguard_drift_feature_threshold", model_version="1")
        assert thresholds == pytest.approx({f.feature: f.threshold for f in expected.features})
        assert driver.signal("input_drift")["status"] == "ok"

        # drift goes on: latched (w1, w2); two ok windows re-arm (w3, w4); a new confirmed
        # episode (w5..w7) is only a warning: the cooldown holds
        for rows in (drifted(3), drifted(4), clean(3), clean(4)):
            driver.window(rows, version=1)
        rearmed = driver.decision_at("cancer:v1:w4")
        assert (rearmed["action"], rearmed["rules_rearmed"]) == ("keep", [RULE])
        for i in range(3):
            driver.window(drifted(i), version=1)
        warned = driver.decision_at("cancer:v1:w7")
        assert (warned["action"], warned["suppressed_by"]) == ("warn", "cooldown")
        assert warned["rules_fired"] == [RULE]

        assert len(driver.audit("rollback")) == 1
        decided = [r["evidence"]["window_id"] for r in driver.audit("decision")]
        assert decided == ["cancer:v2:w8", "cancer:v1:w4", "cancer:v1:w7"]
        assert driver.served() == "1"
        assert driver.predict(clean(5))["model_version"] == "1"
        assert Registry(cancer_registry).active("cancer").version == 1


def test_insufficient_data_never_rolls_back(
    servers: LiveServers, cancer_registry: Path, tmp_path: Path
) -> None:
    # the rollback rule needs 500 rows per window, the windows have 86: every window is
    # insufficient for it, however drifted; a notify rule on the same signal shows that the
    # drift is seen (and gives the test an audited event to wait for)
    canary = """\
  - name: drift-seen
    signal: input_drift
    kind: drift
    min_samples: 50
    confirm: {k: 1, m: 1}
    clear: {ok: 2}
    action: notify
"""
    policy = write_policy(tmp_path, min_samples=500, k=1, m=1, extra=canary)
    server = start(servers, cancer_registry, policy)
    with server.client() as client:
        driver = Driver(server, client)
        promote_2(driver)
        for i in range(6):
            driver.window(drifted(i), version=2)
        signal = driver.signal("input_drift")
        assert (signal["status"], signal["samples"]) == ("breach", WINDOW)
        for i in range(2):
            driver.window(clean(i), version=2)
        rearmed = driver.decision_at("cancer:v2:w7")
        assert rearmed["rules_rearmed"] == ["drift-seen"]

        decisions = [r["evidence"] for r in driver.audit("decision")]
        assert [(d["window_id"], d["action"]) for d in decisions] == [
            ("cancer:v2:w0", "warn"),
            ("cancer:v2:w7", "keep"),
        ]
        assert all(RULE not in d["rules_fired"] + d["rules_latched"] for d in decisions)
        assert driver.audit("rollback") == []
        assert driver.served() == "2"
        assert driver.predict(clean(2))["model_version"] == "2"
        assert Registry(cancer_registry).active("cancer").version == 2
