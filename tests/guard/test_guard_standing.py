"""Where each rule stands: the window rate the guard observes and the evidence it gathers.

:class:`WindowRate` on its own, then :meth:`Guard.standing` on an in-process host: the window
close times are set by the test (the monitor's clock is swapped for a settable one), so the
observed rate, and with it each rule's false-decision interval, is known exactly; shifted
windows (every feature x 1.08: window p-values of about 1e-5 and 1e-3) raise the CUSUM evidence
of the input-drift rule towards its threshold without reaching it.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import clean_window

import driftguard.monitor.window_monitor as window_monitor
from driftguard.errors import ConfigurationError
from driftguard.guard import Guard, WindowRate
from driftguard.policy import PolicyState, default_policy, load_policy, standings
from driftguard.registry import Registry
from driftguard.serving import ModelHost, ModelOptions, RequestPath

RULE = "input-drift"


def test_window_rate_counts_intervals_between_close_times() -> None:
    rate = WindowRate(keep=4)
    assert rate.per_second() is None
    assert rate.update(10.0).per_second() is None  # one window: no interval yet
    assert rate.update(12.0).per_second() == pytest.approx(0.5)
    for t in (14.0, 16.0, 17.0, 18.0):
        rate.update(t)
    # the last 4 close times (14, 16, 17, 18): 3 intervals in 4 s
    assert rate.per_second() == pytest.approx(0.75)
    assert WindowRate().update(5.0).update(5.0).per_second() is None  # no time passed
    with pytest.raises(ConfigurationError, match="keep"):
        WindowRate(keep=1)


class MonitorClock:
    """Stands in for the ``time`` module of the window monitor: close times set by the test."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> MonitorClock:
    fake = MonitorClock()
    monkeypatch.setattr(window_monitor, "time", SimpleNamespace(time=fake.time))
    return fake


def _policy(tmp_path: Path) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(
        f"""\
version: 1
mode: observe        # decide and audit; the test is about the evidence, not the rollback
traffic: {{rows_per_s: 86, window_rows: 86}}
rules:
  - name: {RULE}
    signal: input_drift
    kind: drift
    min_samples: 50
    false_alarm_every: 1000000000000 windows
    clear: {{ok: 3}}
    action: rollback
  - name: feature-drift
    signal: "input_drift:*"
    kind: drift
    min_samples: 50
    confirm: {{k: 3, m: 5}}
    clear: {{ok: 3}}
    action: notify
""",
        encoding="utf-8",
    )
    return path


def _shifted(i: int, factor: float = 1.08) -> list[dict[str, float]]:
    return [{k: v * factor for k, v in r.items()} for r in clean_window(i)]


def _judge(host: ModelHost, guard: Guard, rows: list[dict[str, float]]) -> None:
    RequestPath(host).score_records(host.get("cancer"), rows)
    for served in host.monitors():
        assert served.monitor is not None
        served.monitor.drain()
    assert len(guard.step()) == 1


def test_unknown_model_stands_on_an_empty_state_without_a_rate(cancer_registry: Path) -> None:
    host = ModelHost(Registry(cancer_registry))
    guard = Guard(host, default_policy())
    assert guard.window_rate("nope") is None
    assert guard.standing("nope") == standings(guard.policy, PolicyState(), None)
    for rule in guard.standing("nope"):
        assert (rule.interval_s, rule.latched, rule.breaches) == (None, False, 0)
        assert rule.progress == 0.0


def test_standing_follows_window_close_times_and_gathers_evidence(
    cancer_registry: Path, tmp_path: Path, clock: MonitorClock
) -> None:
    host = ModelHost(Registry(cancer_registry), ModelOptions(shadow_rows=0))
    assert host.refresh() == ["cancer"]
    guard = Guard(host, load_policy(_policy(tmp_path)))
    _judge(host, guard, clean_window(0))
    assert guard.window_rate("cancer") is None  # one window: no rate yet
    (drift, _) = guard.standing("cancer")
    assert drift.rule == RULE
    assert drift.interval_s is None
    assert drift.planned_interval_s == pytest.approx(1e12)  # 1 window a second planned
    for i in (1, 2):
        clock.now += 4.0  # a window every 4 s: a quarter window a second
        _judge(host, guard, clean_window(i))
    assert guard.window_rate("cancer") == pytest.approx(0.25)
    (drift, notify) = guard.standing("cancer")
    assert drift.interval_s == pytest.approx(drift.run_length.windows / 0.25)
    assert notify.interval_s == pytest.approx(notify.run_length.windows / 0.25)
    assert (drift.method, notify.method) == ("cusum", "k_of_m")
    clean_evidence = drift.evidence
    assert clean_evidence is not None
    assert drift.evidence_threshold is not None
    assert clean_evidence < drift.evidence_threshold / 4  # clean windows gather little

    evidence = [clean_evidence]
    for i in range(2):
        clock.now += 2.0
        _judge(host, guard, _shifted(i))
        (drift, notify) = guard.standing("cancer")
        assert drift.evidence is not None
        assert not drift.latched
        evidence.append(drift.evidence)
    assert evidence[1] > evidence[0] + 5.0  # p of about 1e-5: several nats at once
    assert evidence[2] > evidence[1]
    assert drift.progress == pytest.approx(evidence[2] / drift.evidence_threshold)
    assert drift.progress > 0.4
    assert notify.progress == pytest.approx(min(1.0, notify.breaches / notify.k))
    # windows closed at 0, 4, 8, 10 and 12 s: 4 intervals over 12 s
    assert guard.window_rate("cancer") == pytest.approx(4 / 12)
    row = drift.to_dict()
    assert row["interval_s"] == pytest.approx(row["run_length_windows"] * 3)
    assert "at current traffic" in row["sentence"]
