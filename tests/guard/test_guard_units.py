"""The guard in-process: windows -> signals -> policy -> audited decision -> rollback.

No HTTP and no background threads: every test feeds whole windows through the request path
(:meth:`RequestPath.score_records`: validate, predict, record), drains the monitors, lets the
shadow score its queue and calls :meth:`Guard.step` itself, so every window is judged exactly
when the test says. The clean windows are fixed slices of a seeded shuffle of breast_cancer
(each checked to be ``ok``); drifted windows are the same rows with every feature x 1.5.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import as_columns, clean_window, drifted_window

from driftguard.drift.check import DriftCheck
from driftguard.errors import ConflictError
from driftguard.guard import Guard, RollbackTarget, Timeline, WebhookSender
from driftguard.policy import Decision, Policy, load_policy
from driftguard.registry import ActiveState, Registry
from driftguard.serving import ModelHost, ModelOptions, RequestPath

WINDOW = 86  # the cancer profile's largest calibrated window size (the monitor's default)
RULE = "input-drift"
N_ROWS = 569  # rows of breast_cancer


clean = clean_window
drifted = drifted_window
columns = as_columns


def write_policy(
    tmp_path: Path,
    *,
    min_samples: int = 50,
    k: int = 3,
    m: int = 4,
    ok: int = 2,
    mode: str = "rollback",
    cooldown_s: float = 3600,
    extra: str = "",
) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(
        f"""\
version: 1
mode: {mode}
cooldown_s: {cooldown_s}
false_rollback_floor: 0   # fast k-of-m rollback rules on purpose: the mechanics under test
rules:
  - name: {RULE}
    signal: input_drift
    kind: drift
    min_samples: {min_samples}
    confirm: {{k: {k}, m: {m}}}
    clear: {{ok: {ok}}}
    action: rollback
{extra}""",
        encoding="utf-8",
    )
    return path


class Clock:
    """A settable clock for the guard (cooldowns without sleeping)."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def make_host(registry: Path, *, promote: int | None = 2, **options: Any) -> ModelHost:
    """A host serving cancer; ``promote`` makes that version ACTIVE over version 1."""
    host = ModelHost(Registry(registry), ModelOptions(**{"shadow_rows": 0, **options}))
    assert host.refresh() == ["cancer"]
    if promote is not None:
        host.promote("cancer", promote, actor="test", reason="setup")
    return host


def feed(host: ModelHost, rows: list[dict[str, float]]) -> None:
    """Serve ``rows`` as one request of the ACTIVE version, then run the evaluator's folds."""
    RequestPath(host).score_records(host.get("cancer"), rows)
    for served in host.monitors():
        assert served.monitor is not None
        served.monitor.drain()
    host.process_shadows()


def judge(host: ModelHost, guard: Guard, rows: list[dict[str, float]]) -> Decision:
    """Serve one whole window and return the guard's one decision on it."""
    feed(host, rows)
    decisions = guard.step()
    assert len(decisions) == 1, decisions
    return decisions[0]


def actions(host: ModelHost, action: str) -> list[Any]:
    return [r for r in host.registry.audit("cancer") if r.action == action]


def drift_signal(guard: Guard, host: ModelHost) -> Any:
    signals, _ = guard.current(host.get("cancer"))
    return next(s for s in signals if s.name == "input_drift")


@pytest.fixture
def host(cancer_registry: Path) -> ModelHost:
    """Cancer served by an in-process host, version 2 promoted over version 1."""
    return make_host(cancer_registry)


def test_clean_and_drifted_windows_are_what_the_tests_assume(cancer_registry: Path) -> None:
    profile = Registry(cancer_registry).open("cancer", 2).profile()
    check = DriftCheck()
    for i in range(N_ROWS // WINDOW):
        assert not check.run(profile, columns(clean(i))).drift, i
        assert check.run(profile, columns(drifted(i))).drift, i


def test_confirmed_drift_rolls_back_exactly_once(host: ModelHost, tmp_path: Path) -> None:
    guard = Guard(host, load_policy(write_policy(tmp_path)), clock=Clock())
    assert host.get("cancer").monitor.window_size_ == WINDOW  # type: ignore[union-attr]
    for i in range(2):
        decision = judge(host, guard, clean(i))
        assert (decision.action, decision.evidence) == ("keep", ())
    for i, breaches in enumerate((1, 2)):
        decision = judge(host, guard, drifted(i))
        assert decision.action == "keep"
        assert [(e.outcome, e.breaches) for e in decision.evidence] == [("pending", breaches)]
    decision = judge(host, guard, drifted(2))
    assert decision.action == "rollback"
    assert decision.rules_fired == (RULE,)
    assert decision.window_id == "cancer:v2:w4"

    assert host.registry.active("cancer").version == 1
    assert host.get("cancer").version == 1
    [rollback] = actions(host, "rollback")
    assert (rollback.actor, rollback.from_version, rollback.to_version) == ("guard", 2, 1)
    assert rollback.evidence["rules_fired"] == [RULE]
    assert rollback.evidence["evidence"][0]["rule"] == RULE
    assert rollback.evidence["window_id"] == "cancer:v2:w4"
    assert guard.rollbacks_ == {"cancer": 1}
    done = guard.timeline("cancer")[-1]
    assert (done.kind, done.text) == ("rollback", "rolled back from version 2 to version 1")

    # drift goes on: the rule stays latched, nothing rolls back again
    for i in range(3, 7):
        decision = judge(host, guard, drifted(i))
        assert (decision.action, decision.suppressed_by) == ("keep", "latched")
        assert decision.window_id == f"cancer:v1:w{i - 3}"
    assert drift_signal(guard, host).status == "breach"
    assert len(actions(host, "rollback")) == 1
    assert host.registry.active("cancer").version == 1
    assert guard.rollbacks_ == {"cancer": 1}


def test_rolled_back_version_is_judged_against_its_own_reference_profile(
    host: ModelHost, tmp_path: Path, cancer_registry: Path
) -> None:
    guard = Guard(host, load_policy(write_policy(tmp_path, k=1, m=1)), clock=Clock())
    assert judge(host, guard, drifted(0)).action == "rollback"
    served = host.get("cancer")
    assert served.version == 1
    assert served.monitor is not None
    assert served.monitor.profile is served.profile
    state = served.monitor.state()
    assert (state.windows_closed, state.window_rows, state.rows_observed) == (0, 0, 0)

    rows = clean(1)
    assert judge(host, guard, rows).action == "keep"
    profile = Registry(cancer_registry).open("cancer", 1).profile()
    expected = DriftCheck().run(profile, columns(rows))
    report = served.monitor.state().history[0].report
    assert report.dataset_score == pytest.approx(expected.dataset_score)
    assert report.dataset_threshold == pytest.approx(expected.dataset_threshold)
    assert [f.threshold for f in report.features] == pytest.approx(
        [f.threshold for f in expected.features]
    )
    signal = drift_signal(guard, host)
    assert (signal.status, signal.samples) == ("ok", WINDOW)
    assert signal.value == pytest.approx(expected.dataset_score)


def test_cooldown_downgrades_a_second_confirmed_episode_to_a_warning(
    host: ModelHost, tmp_path: Path
) -> None:
    clock = Clock()
    guard = Guard(host, load_policy(write_policy(tmp_path)), clock=clock)
    for i in range(3):
        decision = judge(host, guard, drifted(i))
    assert decision.action == "rollback"
    clock.now += 60
    # two ok windows re-arm the rule (an audited decision), a new confirmed episode fires
    assert judge(host, guard, clean(0)).rules_rearmed == ()
    rearmed = judge(host, guard, clean(1))
    assert (rearmed.action, rearmed.rules_rearmed) == ("keep", (RULE,))
    for i in range(3):
        decision = judge(host, guard, drifted(i))
    assert decision.rules_fired == (RULE,)
    assert (decision.action, decision.suppressed_by) == ("warn", "cooldown")
    assert len(actions(host, "rollback")) == 1
    audited = [r.evidence for r in actions(host, "decision")]
    assert [(e["action"], e["suppressed_by"]) for e in audited] == [
        ("rollback", None),
        ("keep", None),
        ("warn", "cooldown"),
    ]
    assert host.registry.active("cancer").version == 1

    # after the cooldown the rule may roll back again, but version 1 has no earlier
    # known-good version: the failure is counted and nothing changes
    clock.now += 3600
    for i in range(2):
        judge(host, guard, clean(i))
    for i in range(3):
        decision = judge(host, guard, drifted(i))
    assert decision.action == "rollback"
    assert guard.rollback_failures_ == {"cancer": 1}
    assert guard.timeline("cancer")[-1].kind == "rollback_failed"
    assert host.registry.active("cancer").version == 1
    assert len(actions(host, "rollback")) == 1


def test_brief_spike_shorter_than_k_of_m_does_not_roll_back(
    host: ModelHost, tmp_path: Path
) -> None:
    guard = Guard(host, load_policy(write_policy(tmp_path)), clock=Clock())
    spike = [clean(0), clean(1), drifted(2), drifted(3), clean(4), clean(5), clean(0), clean(1)]
    decisions = [judge(host, guard, rows) for rows in spike]
    assert [d.action for d in decisions] == ["keep"] * len(spike)
    pending = [[e.breaches for e in d.evidence] for d in decisions]
    assert pending == [[], [], [1], [2], [2], [2], [1], []]  # breaches age out after m = 4
    assert actions(host, "rollback") == []
    assert actions(host, "decision") == []
    assert host.registry.active("cancer").version == 2

    # the same rule still catches a confirmed episode afterwards
    decisions = [judge(host, guard, drifted(i)) for i in range(3)]
    assert [d.action for d in decisions] == ["keep", "keep", "rollback"]
    assert host.registry.active("cancer").version == 1


def test_insufficient_data_never_rolls_back(host: ModelHost, tmp_path: Path) -> None:
    guard = Guard(host, load_policy(write_policy(tmp_path, min_samples=500, k=1, m=1)))
    for i in range(8):
        decision = judge(host, guard, drifted(i))
        assert (decision.action, decision.evidence, decision.reason) == (
            "keep",
            (),
            "no rule fired",
        )
        signal = drift_signal(guard, host)
        assert (signal.status, signal.samples) == ("breach", WINDOW)  # raw signal: drift
    assert actions(host, "rollback") == []
    assert actions(host, "decision") == []
    assert host.registry.active("cancer").version == 2
    assert guard.decisions_ == {("cancer", "keep"): 8}


def test_two_rollbacks_with_the_same_expected_generation_roll_back_once(
    host: ModelHost,
) -> None:
    generation = host.get("cancer").generation
    state = host.rollback("cancer", actor="first", expected_generation=generation)
    assert state.version == 1
    with pytest.raises(ConflictError, match="nothing was changed"):
        host.rollback("cancer", actor="second", expected_generation=generation)
    assert [r.actor for r in actions(host, "rollback")] == ["first"]
    assert host.registry.active("cancer").generation == state.generation


def test_rollback_on_stale_evidence_is_refused_and_counted(
    host: ModelHost, tmp_path: Path, cancer_registry: Path
) -> None:
    guard = Guard(host, load_policy(write_policy(tmp_path)), clock=Clock())
    for i in range(2):
        judge(host, guard, drifted(i))
    # another process (the CLI, Alertmanager's webhook) rolls back first; this host has not
    # refreshed yet, so the guard judges version 2 served under the old generation
    Registry(cancer_registry).rollback("cancer", actor="cli", reason="by hand")
    decision = judge(host, guard, drifted(2))
    assert decision.action == "rollback"
    assert guard.rollback_failures_ == {"cancer": 1}
    assert guard.rollbacks_ == {}
    assert guard.timeline("cancer")[-1].kind == "rollback_failed"
    assert [r.actor for r in actions(host, "rollback")] == ["cli"]
    assert host.refresh() == ["cancer"]
    assert host.get("cancer").version == 1


def test_rollback_disabled_decides_and_audits_but_never_rolls_back(
    host: ModelHost, tmp_path: Path
) -> None:
    guard = Guard(host, load_policy(write_policy(tmp_path)), rollback=False, clock=Clock())
    decisions = [judge(host, guard, drifted(i)) for i in range(5)]
    assert [d.action for d in decisions] == ["keep", "keep", "rollback", "keep", "keep"]
    assert host.registry.active("cancer").version == 2
    assert actions(host, "rollback") == []
    [audited] = actions(host, "decision")
    assert audited.actor == "guard"
    assert audited.reason.startswith("rollback: ")
    assert audited.evidence["rules_fired"] == [RULE]
    assert guard.rollbacks_ == {}
    assert guard.rollback_failures_ == {}
    assert guard.decisions_[("cancer", "rollback")] == 1


def test_a_version_promoted_again_is_judged_from_its_first_window(
    host: ModelHost, tmp_path: Path
) -> None:
    clock = Clock()
    guard = Guard(host, load_policy(write_policy(tmp_path, cooldown_s=60)), clock=clock)
    for i in range(3):
        decision = judge(host, guard, drifted(i))
    assert decision.action == "rollback"
    assert host.get("cancer").version == 1
    for i in range(2):
        assert judge(host, guard, drifted(i)).suppressed_by == "latched"
    # a person promotes version 2 again: its windows restart at 0 and are all judged, from
    # armed and empty rules (the latch and history of version 1 do not carry over)
    host.promote("cancer", 2, actor="test")
    clock.now += 120
    decisions = [judge(host, guard, drifted(i)) for i in range(3)]
    assert [d.window_id for d in decisions] == [f"cancer:v2:w{i}" for i in range(3)]
    assert [d.action for d in decisions] == ["keep", "keep", "rollback"]
    assert len(actions(host, "rollback")) == 2


def test_a_rollback_made_elsewhere_starts_the_cooldown(host: ModelHost, tmp_path: Path) -> None:
    clock = Clock()
    guard = Guard(host, load_policy(write_policy(tmp_path, k=1, m=1)), clock=clock)
    assert judge(host, guard, clean(0)).action == "keep"
    host.rollback("cancer", actor="api:127.0.0.1", reason="by hand")
    host.promote("cancer", 3, actor="test")  # a promotion keeps the cooldown
    clock.now += 60
    decision = judge(host, guard, drifted(0))
    assert (decision.action, decision.suppressed_by) == ("warn", "cooldown")
    assert host.get("cancer").version == 3


def test_shadow_disagreement_signal_grows_to_a_verdict(cancer_registry: Path) -> None:
    host = make_host(cancer_registry, promote=3, shadow_rows=2000)
    guard = Guard(host, Policy(mode="rollback"))
    seen = []
    for i in range(4):
        feed(host, clean(i))
        guard.step()
        signals, _ = guard.current(host.get("cancer"))
        [shadow] = [s for s in signals if s.name == "shadow_disagreement:v1"]
        assert shadow.kind == "regression"
        seen.append((shadow.samples, shadow.status))
        assert shadow.value is not None
        assert 0.0 < shadow.value < 0.1
    assert seen == [
        (86, "insufficient_data"),
        (172, "insufficient_data"),
        (258, "ok"),
        (344, "ok"),
    ]


def test_shadow_regression_rolls_back_a_bad_promotion(
    cancer_registry: Path, tmp_path: Path
) -> None:
    host = make_host(cancer_registry, promote=3, shadow_rows=2000, shadow_max_disagreement=0.001)
    extra = """\
  - name: regression
    signal: "shadow_disagreement:*"
    kind: regression
    min_samples: 200
    confirm: {k: 2, m: 3}
    clear: {ok: 2}
    action: rollback
"""
    guard = Guard(host, load_policy(write_policy(tmp_path, extra=extra)), clock=Clock())
    decisions = [judge(host, guard, clean(i)) for i in range(4)]
    assert [d.action for d in decisions] == ["keep", "keep", "keep", "rollback"]
    assert decisions[-1].rules_fired == ("regression",)
    [rollback] = actions(host, "rollback")
    assert (rollback.actor, rollback.from_version, rollback.to_version) == ("guard", 3, 1)
    [evidence] = rollback.evidence["evidence"]
    assert evidence["rule"] == "regression"
    assert evidence["signals"][0]["name"] == "shadow_disagreement:v1"
    assert evidence["signals"][0]["status"] == "breach"
    assert host.get("cancer").version == 1
    assert host.shadow("cancer") is None  # a rollback starts no shadow


class _Receiver(BaseHTTPRequestHandler):
    payloads: list[dict[str, Any]]
    arrived: threading.Event

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.payloads.append(json.loads(body))
        self.arrived.set()
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, type[_Receiver]]]:
    """A webhook receiver on 127.0.0.1 recording every JSON body it is sent."""
    handler = type("Handler", (_Receiver,), {"payloads": [], "arrived": threading.Event()})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_webhook_receives_an_alertmanager_payload_when_a_rule_fires(
    host: ModelHost, tmp_path: Path, receiver: tuple[str, type[_Receiver]]
) -> None:
    url, handler = receiver
    webhook = WebhookSender(url, timeout=10.0)
    guard = Guard(host, load_policy(write_policy(tmp_path)), webhook=webhook, clock=Clock())
    try:
        decisions = [judge(host, guard, drifted(i)) for i in range(3)]
        assert decisions[-1].action == "rollback"
        assert handler.arrived.wait(30), "no webhook call arrived"
    finally:
        webhook.close()
    [payload] = handler.payloads
    assert payload["version"] == "4"
    assert payload["status"] == "firing"
    [alert] = payload["alerts"]
    assert alert["status"] == "firing"
    assert alert["labels"]["alertname"] == RULE
    assert alert["labels"]["model_name"] == "cancer"
    assert alert["labels"]["model_version"] == "2"
    assert alert["labels"]["severity"] == "critical"
    assert webhook.sent_ == 1
    assert webhook.failed_ == 0


# --------------------------------------------------------------------------------------------
# Wiring: the rollback target and the timeline are given to the constructor


class StubTarget:
    """A RollbackTarget that is not a ModelHost: remembers the calls, moves nothing."""

    def __init__(self, fail: Exception | None = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self.fail = fail

    def rollback(
        self,
        name: str,
        *,
        actor: str,
        reason: str,
        evidence: Mapping[str, Any],
        expected_generation: int,
    ) -> ActiveState:
        self.calls.append(
            {
                "name": name,
                "actor": actor,
                "reason": reason,
                "evidence": dict(evidence),
                "expected_generation": expected_generation,
            }
        )
        if self.fail is not None:
            raise self.fail
        return ActiveState(version=1, generation=expected_generation + 1)


def test_guard_rolls_back_through_a_plain_rollback_target(host: ModelHost, tmp_path: Path) -> None:
    stub = StubTarget()
    target: RollbackTarget = stub  # the protocol is all the guard needs
    guard = Guard(
        host, load_policy(write_policy(tmp_path, k=1, m=1)), rollback_to=target, clock=Clock()
    )
    assert guard.rollback_to is stub
    served = host.get("cancer")
    decision = judge(host, guard, drifted(0))
    assert decision.action == "rollback"
    assert stub.calls == [
        {
            "name": "cancer",
            "actor": "guard",
            "reason": decision.reason,
            "evidence": decision.to_dict(),
            "expected_generation": served.generation,
        }
    ]
    # the host was only read: ACTIVE, the served version and the audit log are untouched
    assert host.registry.active("cancer").version == 2
    assert host.get("cancer") is served
    assert actions(host, "rollback") == []
    assert guard.rollbacks_ == {"cancer": 1}
    (event,) = [e for e in guard.timeline("cancer") if e.kind == "rollback"]
    assert event.text == "rolled back from version 2 to version 1"
    assert event.details == {"to": 1, "generation": served.generation + 1}


def test_a_failing_rollback_target_is_counted_and_told(host: ModelHost, tmp_path: Path) -> None:
    stub = StubTarget(fail=ConflictError("ACTIVE moved"))
    guard = Guard(
        host, load_policy(write_policy(tmp_path, k=1, m=1)), rollback_to=stub, clock=Clock()
    )
    assert judge(host, guard, drifted(0)).action == "rollback"
    assert len(stub.calls) == 1
    assert guard.rollbacks_ == {}
    assert guard.rollback_failures_ == {"cancer": 1}
    assert [e.text for e in guard.timeline() if e.kind == "rollback_failed"] == ["ACTIVE moved"]
    assert host.registry.active("cancer").version == 2


def test_the_host_is_the_default_rollback_target(host: ModelHost, tmp_path: Path) -> None:
    guard = Guard(host, load_policy(write_policy(tmp_path, k=1, m=1)), clock=Clock())
    assert guard.rollback_to is host
    assert judge(host, guard, drifted(0)).action == "rollback"
    assert host.registry.active("cancer").version == 1


def test_events_go_to_the_timeline_given_at_construction(host: ModelHost, tmp_path: Path) -> None:
    clock = Clock(42.0)
    timeline = Timeline(clock=clock)
    timeline.note("cancer", 2, "promote", "before the guard existed")
    guard = Guard(host, load_policy(write_policy(tmp_path, k=1, m=1)), timeline=timeline)
    assert judge(host, guard, drifted(0)).action == "rollback"
    guard.note("cancer", 1, "manual", "after")
    kinds = [e.kind for e in timeline.entries("cancer")]
    assert kinds == ["promote", "decision", "rollback", "manual"]
    assert guard.timeline("cancer") == timeline.entries("cancer")
    assert {e.time for e in timeline.entries()} == {42.0}  # stamped by the timeline's clock
