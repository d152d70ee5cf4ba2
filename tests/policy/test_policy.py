"""The policy: YAML loading with line numbers, pure k-of-m decisions, modes, alerts."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import replace
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from driftguard.errors import ConfigurationError, PolicyError
from driftguard.policy import (
    Clear,
    Confirm,
    Decision,
    Policy,
    PolicyState,
    Rule,
    alert_payload,
    decide,
    default_policy,
    fingerprint,
    load_policy,
    parse_policy,
    window_verdict,
)
from driftguard.types import Signal

VALUES = {"ok": 0.5, "warn": 0.9, "breach": 2.0, "insufficient_data": None}
DOCS = Path(__file__).resolve().parents[2] / "docs" / "policy.md"


def sig(status: str, name: str = "input_drift", kind: str = "drift", samples: int = 500) -> Signal:
    return Signal(name, kind, VALUES[status], 1.0, status, samples)


def one_rule(mode: str = "rollback", cooldown_s: float = 3600.0, **kw: object) -> Policy:
    fields: dict[str, object] = {"name": "drift", "signal": "input_drift", "action": "rollback"}
    fields.update(kw)
    return Policy(mode, cooldown_s, (Rule(**fields),), false_rollback_floor=None)  # type: ignore[arg-type]


def run(
    policy: Policy,
    statuses: Sequence[str],
    state: PolicyState | None = None,
    t0: float = 0.0,
    step: float = 60.0,
) -> tuple[list[Decision], PolicyState]:
    state = state or PolicyState()
    out = []
    for i, status in enumerate(statuses):
        decision, state = decide(policy, [sig(status)], state, now=t0 + i * step)
        out.append(decision)
    return out, state


def fired_at(decisions: Sequence[Decision]) -> list[int]:
    return [i for i, d in enumerate(decisions) if d.rules_fired]


# --- loading ---------------------------------------------------------------------------------


def test_default_policy_ships_and_loads() -> None:
    file = resources.files("driftguard.policy").joinpath("default.yaml")
    assert file.is_file()
    policy = default_policy()
    assert policy.mode == "rollback"
    assert policy.cooldown_s == 3600.0
    assert {"input-drift", "feature-drift", "regression", "calibration"} <= set(policy.names)
    assert policy.rule("input-drift").action == "rollback"
    assert policy.rule("feature-drift").action == "notify"
    assert parse_policy(file.read_text("utf-8")) == replace(policy, source="<string>")


def test_docs_example_parses() -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", DOCS.read_text("utf-8"), flags=re.S)
    assert blocks, "docs/policy.md has a yaml example"
    for block in blocks:
        assert parse_policy(block, source="docs/policy.md").rules


def test_load_policy_from_file(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("version: 1\nmode: warn\nrules:\n  - {name: a, signal: x}\n")
    policy = load_policy(path)
    assert policy.source == str(path)
    assert policy.rules == (Rule("a", "x"),)
    with pytest.raises(PolicyError, match="cannot read") as err:
        load_policy(tmp_path / "missing.yaml")
    assert err.value.line == 0


HEAD = "version: 1\nmode: rollback\nrules:\n"
RULE = "  - name: drift\n    signal: input_drift\n"

BAD: list[tuple[str, str, int, str]] = [
    ("unknown top key", HEAD + RULE + "colour: red\n", 6, "unknown key 'colour'"),
    ("unknown rule key", HEAD + RULE + "    treshold: 3\n", 6, "unknown key 'treshold' in rule #1"),
    ("duplicate key", HEAD + RULE + "    signal: x\n", 6, "duplicate key 'signal'"),
    ("bad mode", "version: 1\nmode: loud\nrules: []\n", 2, "mode must be one of"),
    ("version", "version: 2\nmode: warn\nrules: []\n", 1, "unsupported policy version 2"),
    ("k > m", HEAD + RULE + "    confirm:\n      k: 4\n      m: 3\n", 6, "must not exceed"),
    ("k < 1", HEAD + RULE + "    confirm: {k: 0, m: 3}\n", 6, "confirm.k must be >= 1"),
    ("k missing", HEAD + RULE + "    confirm:\n      m: 3\n", 6, "lacks required key 'k'"),
    ("confirm scalar", HEAD + RULE + "    confirm: 3\n", 6, "confirm must be a mapping"),
    ("clear zero", HEAD + RULE + "    clear:\n      ok: 0\n", 7, "clear.ok must be >= 1"),
    ("min_samples str", HEAD + RULE + "    min_samples: many\n", 6, "must be an integer"),
    ("min_samples bool", HEAD + RULE + "    min_samples: true\n", 6, "must be an integer"),
    ("glob space", HEAD + "  - name: d\n    signal: input drift\n", 5, "signal 'input drift'"),
    ("glob bracket", HEAD + "  - name: d\n    signal: 'x[ab'\n", 5, "unclosed '['"),
    ("bad kind", HEAD + RULE + "    kind: vibes\n", 6, "kind must be one of"),
    ("bad action", HEAD + RULE + "    action: reboot\n", 6, "action must be one of"),
    ("bad trigger", HEAD + RULE + "    trigger: ok\n", 6, "trigger must be one of"),
    ("bad severity", HEAD + RULE + "    severity: loud\n", 6, "severity must be one of"),
    ("bad rule mode", HEAD + RULE + "    mode: yes\n", 6, "mode must be one of"),
    ("bad name", HEAD + "  - name: 9lives\n    signal: x\n", 4, "must start with a letter"),
    ("same name", HEAD + RULE + RULE, 6, "already used on line 4"),
    ("missing signal", HEAD + "  - name: drift\n    kind: drift\n", 4, "lacks required key"),
    ("missing rules", "version: 1\nmode: warn\n", 1, "lacks required key 'rules'"),
    ("rules mapping", "version: 1\nmode: warn\nrules:\n  a: 1\n", 4, "rules must be a list"),
    ("rule scalar", HEAD + "  - drift\n", 4, "rule #1 must be a mapping"),
    ("cooldown", "version: 1\nmode: warn\ncooldown_s: -5\nrules: []\n", 3, "cooldown_s"),
    ("list value", HEAD + "  - name: [a, b]\n    signal: x\n", 4, "name must be a single value"),
    ("malformed", HEAD + RULE + "    confirm: {k: 1, m: 2\n", 7, "malformed YAML"),
    ("bad indent", HEAD + RULE + "   kind: drift\n", 6, "malformed YAML"),
    ("empty", "", 1, "the policy is empty"),
    ("two documents", "version: 1\n---\nversion: 1\n", 2, "malformed YAML"),
    ("python tag", HEAD + "  - name: !!python/name:os.system x\n", 4, "name"),
]


@pytest.mark.parametrize(("text", "line", "problem"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_policy_names_line_and_problem(text: str, line: int, problem: str) -> None:
    with pytest.raises(PolicyError) as err:
        parse_policy(text, source="policy.yaml")
    assert (err.value.path, err.value.line) == ("policy.yaml", line), str(err.value)
    assert problem in err.value.problem
    assert str(err.value).startswith(f"policy.yaml:{line}: ")
    assert isinstance(err.value, ConfigurationError)


def test_values_built_in_code_are_checked_too() -> None:
    with pytest.raises(ConfigurationError, match="must not exceed"):
        Confirm(5, 3)
    with pytest.raises(ConfigurationError, match=r"clear\.ok"):
        Clear(0)
    with pytest.raises(ConfigurationError, match="action"):
        Rule("a", "x", action="explode")
    with pytest.raises(ConfigurationError, match="used twice"):
        Policy(rules=(Rule("a", "x"), Rule("a", "y")))
    with pytest.raises(ConfigurationError, match="mode"):
        Policy(mode="panic")


# --- k-of-m, spikes, insufficient data ---------------------------------------------------------


def test_k_of_m_fires_exactly_at_the_kth_breach() -> None:
    policy = one_rule(confirm=Confirm(3, 5))
    decisions, _ = run(policy, ["breach", "ok", "breach", "ok", "breach"])
    assert [d.action for d in decisions] == ["keep"] * 4 + ["rollback"]
    ev = decisions[-1].evidence[0]
    assert (ev.outcome, ev.breaches, ev.windows, ev.k, ev.m) == ("fired", 3, 5, 3, 5)
    assert [s.status for s in ev.signals] == ["breach"]
    assert "3 of the last 5 evaluated windows breached" in decisions[-1].reason


def test_breaches_older_than_m_windows_do_not_count() -> None:
    policy = one_rule(confirm=Confirm(3, 5))
    decisions, _ = run(policy, ["breach", "breach", "ok", "ok", "ok", "breach", "ok"])
    assert fired_at(decisions) == []
    assert decisions[-1].evidence[0].breaches == 1  # the window slid past the first two


def test_a_spike_shorter_than_k_does_not_fire() -> None:
    policy = one_rule(confirm=Confirm(3, 3))
    decisions, state = run(policy, ["breach", "breach", "ok", "breach", "breach", "ok"] * 3)
    assert fired_at(decisions) == []
    assert all(d.action == "keep" for d in decisions)
    assert decisions[1].evidence[0].outcome == "pending"
    assert not state.rule("drift").latched


def test_insufficient_data_is_skipped_and_never_breaks_a_streak() -> None:
    policy = one_rule(confirm=Confirm(3, 3))
    statuses = ["breach", "breach", "insufficient_data", "insufficient_data", "breach"]
    decisions, _ = run(policy, statuses)
    assert fired_at(decisions) == [4]
    assert decisions[2].evidence[0].window == "insufficient_data"
    assert decisions[2].evidence[0].breaches == 2  # kept, not diluted


def test_warn_status_is_not_a_breach_unless_the_rule_says_so() -> None:
    decisions, _ = run(one_rule(confirm=Confirm(2, 2)), ["warn", "warn", "warn"])
    assert fired_at(decisions) == []
    decisions, _ = run(one_rule(confirm=Confirm(2, 2), trigger="warn"), ["warn", "breach"])
    assert fired_at(decisions) == [1]


def test_min_samples_turns_thin_signals_into_insufficient_data() -> None:
    rule = Rule("drift", "input_drift", min_samples=100)
    assert window_verdict(rule, [sig("breach", samples=99)]) == ("insufficient_data", ())
    verdict, bad = window_verdict(rule, [sig("breach", samples=100)])
    assert verdict == "breach"
    assert bad == (sig("breach", samples=100),)
    no_value = Signal("input_drift", "drift", None, 1.0, "breach", 500)
    assert window_verdict(rule, [no_value])[0] == "insufficient_data"


def test_glob_and_kind_matching() -> None:
    rule = Rule("features", "input_drift:*", kind="drift")
    assert rule.matches(sig("ok", name="input_drift:age"))
    assert not rule.matches(sig("ok", name="input_drift"))
    assert not rule.matches(sig("ok", name="input_drift:age", kind="calibration"))
    exact = Rule("dataset", "input_drift")
    assert exact.matches(sig("ok"))
    assert not exact.matches(sig("ok", name="input_drift:age"))
    one_of = Rule("some", "input_drift:[ab]*")
    assert one_of.matches(sig("ok", name="input_drift:age"))
    assert not one_of.matches(sig("ok", name="input_drift:zip"))
    signals = [sig("ok", name="input_drift:a"), sig("breach", name="input_drift:b"), sig("warn")]
    assert window_verdict(rule, signals) == ("breach", (signals[1],))
    assert (
        window_verdict(rule, [sig("ok", name="input_drift:a"), sig("warn", name="input_drift:b")])[
            0
        ]
        == "warn"
    )
    assert window_verdict(rule, [sig("breach")]) == ("insufficient_data", ())  # nothing matched


# --- latch, cooldown, modes ---------------------------------------------------------------------


def test_latched_rule_does_not_refire_until_n_consecutive_ok() -> None:
    policy = one_rule(mode="warn", confirm=Confirm(1, 1), clear=Clear(2))
    statuses = ["breach", "breach", "ok", "warn", "ok", "insufficient_data", "ok", "breach"]
    decisions, _ = run(policy, statuses)
    assert fired_at(decisions) == [0, 7]
    assert decisions[1].action == "keep"
    assert decisions[1].suppressed_by == "latched"
    assert decisions[1].rules_latched == ("drift",)
    assert decisions[3].evidence[0].ok_streak == 0  # warn holds the latch (hysteresis)
    assert decisions[6].rules_rearmed == ("drift",)
    assert decisions[6].rules_latched == ()
    assert "re-armed after 2 consecutive ok windows" in decisions[6].reason


def test_cooldown_suppresses_a_second_rollback() -> None:
    policy = one_rule(cooldown_s=1000.0, confirm=Confirm(1, 1), clear=Clear(1))
    decisions, state = run(policy, ["breach", "ok", "breach"], step=100.0)
    assert [d.action for d in decisions] == ["rollback", "keep", "warn"]
    assert decisions[2].suppressed_by == "cooldown"
    assert "cooldown, 800 s left" in decisions[2].reason
    assert state.last_rollback_at == 0.0
    later, state = run(policy, ["ok", "breach"], state=state, t0=1000.0)
    assert [d.action for d in later] == ["keep", "rollback"]
    assert state.last_rollback_at == 1060.0


def test_an_outside_rollback_starts_the_cooldown_too() -> None:
    policy = one_rule(cooldown_s=600.0, confirm=Confirm(1, 1))
    state = PolicyState().record_rollback(at=0.0)
    decision, _ = decide(policy, [sig("breach")], state, now=599.0)
    assert (decision.action, decision.suppressed_by) == ("warn", "cooldown")
    decision, _ = decide(policy, [sig("breach")], state, now=600.0)
    assert decision.action == "rollback"


def test_a_rollback_clears_the_history_of_other_rules() -> None:
    rules = (
        Rule("fast", "input_drift", confirm=Confirm(1, 1), action="rollback"),
        Rule("slow", "input_drift:*", confirm=Confirm(2, 3), action="rollback"),
    )
    policy = Policy("rollback", 60.0, rules, false_rollback_floor=None)
    signals = [sig("ok"), sig("breach", name="input_drift:age")]
    _, state = decide(policy, signals, PolicyState(), now=0.0)
    assert state.rule("slow").breaches == 1
    decision, state = decide(policy, [sig("breach")], state, now=10.0)
    assert decision.action == "rollback"
    assert state.rule("slow").history == ()
    assert state.rule("fast").latched


@pytest.mark.parametrize(
    ("mode", "action", "suppressed"),
    [("observe", "keep", "observe"), ("warn", "warn", "warn"), ("rollback", "rollback", None)],
)
def test_modes(mode: str, action: str, suppressed: str | None) -> None:
    policy = one_rule(mode=mode, confirm=Confirm(2, 3))
    decisions, state = run(policy, ["breach", "breach"])
    last = decisions[-1]
    assert (last.action, last.suppressed_by, last.mode) == (action, suppressed, mode)
    assert last.rules_fired == ("drift",)  # recorded (and latched) in every mode
    assert "drift: 2 of the last 2 evaluated windows breached" in last.reason
    assert state.rule("drift").latched
    assert (state.last_rollback_at is not None) == (mode == "rollback")


@pytest.mark.parametrize(("mode", "action"), [("observe", "keep"), ("warn", "warn")])
def test_notify_rules_warn_and_rule_modes_only_cap(mode: str, action: str) -> None:
    policy = one_rule(mode="rollback", confirm=Confirm(1, 1), action="notify")
    assert run(policy, ["breach"])[0][0].action == "warn"
    rule_mode = Policy(
        "rollback",
        0.0,
        (Rule("d", "input_drift", action="rollback", mode=mode),),
        false_rollback_floor=None,
    )
    assert run(rule_mode, ["breach"])[0][0].action == action
    loud = Rule("d", "input_drift", action="rollback", mode="rollback")
    observe = Policy("observe", 0.0, (loud,), false_rollback_floor=None)
    assert run(observe, ["breach"])[0][0].action == "keep"


def test_the_same_window_is_counted_once() -> None:
    policy = one_rule(confirm=Confirm(2, 2))
    _, state = decide(policy, [sig("breach")], PolicyState(), now=0.0, window_id="w1")
    again, same = decide(policy, [sig("breach")], state, now=5.0, window_id="w1")
    assert again.action == "keep"
    assert "already evaluated" in again.reason
    assert same is state
    fired, _ = decide(policy, [sig("breach")], state, now=60.0, window_id="w2")
    assert fired.action == "rollback"


def test_decide_rejects_a_bad_clock_and_state_round_trips() -> None:
    policy = one_rule(confirm=Confirm(1, 2))
    with pytest.raises(ConfigurationError, match="now"):
        decide(policy, [], PolicyState(), now=float("nan"))
    decision, state = decide(policy, [sig("breach")], PolicyState(), now=5.0)
    assert PolicyState.from_dict(json.loads(json.dumps(state.to_dict()))) == state
    assert (
        json.loads(json.dumps(decision.to_dict()))["evidence"][0]["signals"][0]["status"]
        == "breach"
    )
    with pytest.raises(ConfigurationError, match="malformed"):
        PolicyState.from_dict({"rules": [{"name": "x"}]})
    assert state.reset() == PolicyState(last_rollback_at=5.0)


# --- properties --------------------------------------------------------------------------------

STATUSES = st.sampled_from(["ok", "warn", "breach", "insufficient_data"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(STATUSES, st.integers(0, 99)), max_size=40))
def test_insufficient_data_never_warns_or_rolls_back(stream: list[tuple[str, int]]) -> None:
    # every signal is either explicitly insufficient or below min_samples
    policy = one_rule(confirm=Confirm(1, 1), min_samples=100, cooldown_s=0.0)
    state = PolicyState()
    for i, (status, samples) in enumerate(stream):
        decision, state = decide(policy, [sig(status, samples=samples)], state, now=float(i))
        assert decision.action == "keep"
        assert decision.evidence == ()
    assert state.rule("drift").history == ()


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sampled_from(["ok", "warn", "breach"]), max_size=30),
    st.lists(st.integers(0, 30), max_size=10),
    st.integers(1, 4),
    st.integers(0, 2),
)
def test_inserting_insufficient_windows_changes_no_decision(
    stream: list[str], gaps: list[int], k: int, extra: int
) -> None:
    policy = one_rule(confirm=Confirm(k, k + extra), clear=Clear(2), cooldown_s=0.0)
    padded: list[str | None] = list(stream)
    for at in sorted(gaps, reverse=True):
        padded.insert(min(at, len(padded)), None)
    base, _ = run(policy, stream)
    state, seen = PolicyState(), []
    for i, status in enumerate(padded):
        decision, state = decide(policy, [sig(status or "insufficient_data")], state, now=float(i))
        if status is not None:
            seen.append(decision.action)
        else:
            assert decision.rules_fired == ()
            assert decision.rules_rearmed == ()
    assert seen == [d.action for d in base]


# --- alerts ------------------------------------------------------------------------------------

RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")


def test_alert_payload_has_alertmanagers_shape() -> None:
    policy = one_rule(
        mode="rollback", confirm=Confirm(1, 1), clear=Clear(1), description="Input drift."
    )
    fire, state = decide(policy, [sig("breach")], PolicyState(), now=1_700_000_000.0)
    payload = alert_payload(fire, policy, model_name="iris", model_version=3, receiver="ops")
    assert payload is not None
    payload = json.loads(json.dumps(payload))  # JSON-serialisable
    assert set(payload) == {
        "version", "groupKey", "truncatedAlerts", "status", "receiver", "groupLabels",
        "commonLabels", "commonAnnotations", "externalURL", "alerts",
    }  # fmt: skip
    assert (payload["version"], payload["status"], payload["receiver"]) == ("4", "firing", "ops")
    assert payload["groupKey"] == '{}:{model_name="iris"}'
    (alert,) = payload["alerts"]
    assert alert["labels"] == {
        "alertname": "drift",
        "model_name": "iris",
        "model_version": "3",
        "severity": "critical",
        "signal": "input_drift",
    }
    assert set(alert["annotations"]) >= {"summary", "description"}
    assert alert["annotations"]["description"].startswith("Input drift.")
    assert alert["startsAt"] == "2023-11-14T22:13:20.000Z"
    assert RFC3339.fullmatch(alert["startsAt"])
    assert alert["endsAt"] == "0001-01-01T00:00:00Z"
    assert re.fullmatch(r"[0-9a-f]{16}", alert["fingerprint"])
    assert payload["commonLabels"] == alert["labels"]

    clear, _ = decide(policy, [sig("ok")], state, now=1_700_000_600.0)
    resolved = alert_payload(clear, policy, model_name="iris", model_version=3)
    assert resolved is not None
    assert resolved["status"] == "resolved"
    (done,) = resolved["alerts"]
    assert done["fingerprint"] == alert["fingerprint"]
    assert done["startsAt"] == alert["startsAt"]
    assert done["endsAt"] == "2023-11-14T22:23:20.000Z"


def test_alert_payload_is_none_without_news_or_in_observe_mode() -> None:
    policy = one_rule(confirm=Confirm(1, 1), clear=Clear(3))
    fire, state = decide(policy, [sig("breach")], PolicyState(), now=0.0)
    quiet, _ = decide(policy, [sig("breach")], state, now=60.0)
    assert alert_payload(quiet, policy, model_name="m", model_version=1) is None
    reminder = alert_payload(quiet, policy, model_name="m", model_version=1, resend=True)
    assert reminder is not None
    assert reminder["alerts"][0]["startsAt"] == "1970-01-01T00:00:00.000Z"
    observe = replace(policy, mode="observe")
    fire, _ = decide(observe, [sig("breach")], PolicyState(), now=0.0)
    assert fire.rules_fired
    assert alert_payload(fire, observe, model_name="m", model_version=1) is None


def test_fingerprint_matches_prometheus() -> None:
    # prometheus/common model/signature_test.go
    labels = {"name": "garland, briggs", "fear": "love is not enough"}
    assert int(fingerprint(labels), 16) == 5799056148416392346
    assert fingerprint({}) == "cbf29ce484222325"
