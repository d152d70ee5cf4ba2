"""The pure decision: signals of one evaluation + the remembered state → a decision + new state.

No clocks, no I/O: the caller passes ``now`` and keeps the returned state (one per model). Call
:func:`decide` once per evaluation, i.e. once per closed window, with that window's signals;
passing ``window_id`` makes a repeated call for the same window harmless.

Per rule, one evaluation yields a verdict from the matched signals (name glob + kind):

- a signal is *insufficient* when its status is ``insufficient_data``, its value is ``None`` or
  it rests on fewer than ``min_samples`` samples; if every matched signal is insufficient (or
  none matched) the window is skipped: it neither counts as a breach nor as ok, does not enter
  the k-of-m history and does not break an ok streak;
- otherwise the window is a *breach* if any sufficient signal breaches (``warn`` too with
  ``trigger: warn``), *ok* if all are ``ok``, else *warn*.

An armed rule gathers evidence in one of three ways (:attr:`Rule.method`):

- ``k_of_m`` (a rule with ``confirm`` and no ``false_alarm_every``): the verdict enters its
  last-``m`` history and the rule fires when ``k`` breaches are in it;
- ``cusum`` (``false_alarm_every`` without ``confirm``): the window's p-value (Bonferroni over
  the matched signals that carry one, each data block counted once) moves the CUSUM
  ``W = max(0, W + ln e(p))`` and the rule fires when ``W`` reaches the threshold that meets
  the target run length (:mod:`driftguard.stats.run_length`);
- ``k_of_m_p`` (both): a window with a p-value at most the derived level counts as a breach.

A window without a p-value leaves a p-value rule unchanged. Firing clears the history and
evidence and latches the rule. A latched rule never fires again; it re-arms after ``clear.ok``
consecutive ok windows (a warn or breach window restarts the count: hysteresis on the
ok/warn/breach levels).

Examples
--------
>>> from driftguard.policy.rules import Policy, Rule
>>> rule = Rule("d", "input_drift", false_alarm_every="365d", action="rollback")
>>> policy = Policy("rollback", 600.0, (rule,))
>>> bad = [Signal("input_drift", "drift", 2.0, 1.0, "breach", 250, p_value=1e-5)]
>>> actions = []
>>> for t in range(3):
...     decision, state = decide(policy, bad, state if t else PolicyState(), now=60.0 * t)
...     actions.append(decision.action)
>>> actions, decision.rules_fired
(['keep', 'keep', 'rollback'], ('d',))
>>> decision.evidence[0].evidence > decision.evidence[0].evidence_threshold
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

from driftguard.errors import ConfigurationError
from driftguard.policy.rules import Policy, Rule
from driftguard.policy.run_length import RunLength
from driftguard.policy.state import DECISION_ACTIONS, Decision, Evidence, PolicyState, RuleState
from driftguard.stats.evidence import bonferroni, cusum_update
from driftguard.types import Signal

__all__ = ["decide", "window_p_value", "window_verdict"]


def window_verdict(rule: Rule, signals: Sequence[Signal]) -> tuple[str, tuple[Signal, ...]]:
    """The rule's verdict on one evaluation, and the matched signals that count as breaches.

    Examples
    --------
    >>> from driftguard.policy.rules import Rule
    >>> rule = Rule("f", "input_drift:*", min_samples=100)
    >>> window_verdict(rule, [Signal("input_drift:age", "drift", 0.9, 0.5, "breach", 20)])
    ('insufficient_data', ())
    """
    sufficient = [s for s in signals if rule.matches(s) and not rule.insufficient(s)]
    if not sufficient:
        return "insufficient_data", ()
    bad = tuple(s for s in sufficient if rule.is_bad(s))
    if bad:
        return "breach", bad
    if all(s.status == "ok" for s in sufficient):
        return "ok", ()
    return "warn", ()


def window_p_value(
    rule: Rule, signals: Sequence[Signal], rs: RuleState
) -> tuple[float | None, tuple[tuple[str, int], ...]]:
    """The rule's p-value for one evaluation and the data blocks it counts.

    Bonferroni over the matched, sufficient signals carrying a p-value; a signal whose
    ``block`` was already counted adds nothing. ``None`` when no signal brings new evidence.

    Examples
    --------
    >>> rule = Rule("d", "input_drift:*")
    >>> signals = [Signal("input_drift:a", "drift", 0.3, 0.1, "breach", 500, p_value=0.001),
    ...            Signal("input_drift:b", "drift", 0.1, 0.1, "ok", 500, p_value=0.4)]
    >>> window_p_value(rule, signals, RuleState("d"))
    (0.002, ())
    """
    blocks = dict(rs.blocks)
    found: list[float] = []
    for s in signals:
        if not rule.matches(s) or rule.insufficient(s) or s.p_value is None:
            continue
        if s.block is not None:
            if blocks.get(s.name) == s.block:
                continue
            blocks[s.name] = s.block
        found.append(s.p_value)
    return (bonferroni(found) if found else None), tuple(sorted(blocks.items()))


def _evidence(
    rule: Rule,
    rs: RuleState,
    outcome: str,
    verdict: str,
    bad: tuple[Signal, ...],
    run: RunLength,
    p: float | None,
) -> Evidence:
    confirm = rule.k_of_m
    return Evidence(
        rule=rule.name,
        signal=rule.signal,
        outcome=outcome,
        window=verdict,
        breaches=rs.breaches,
        windows=len(rs.history),
        k=confirm.k,
        m=confirm.m,
        ok_streak=rs.ok_streak,
        clear_ok=rule.clear.ok,
        signals=bad,
        fired_at=rs.fired_at,
        method=run.method,
        evidence=rs.evidence if run.method == "cusum" else None,
        evidence_threshold=run.threshold,
        p_value=p,
        run_length=run.windows,
    )


def _armed_step(
    rule: Rule, rs: RuleState, run: RunLength, verdict: str, p: float | None
) -> tuple[RuleState, bool]:
    """An armed rule after one evaluated window, and whether it fires now."""
    if run.method == "k_of_m":
        if verdict == "insufficient_data":
            return rs, False
        rs = replace(rs, history=(*rs.history, verdict == "breach")[-rule.k_of_m.m :])
        return rs, rs.breaches >= rule.k_of_m.k
    if p is None:
        return rs, False
    if run.method == "cusum":
        assert run.threshold is not None
        rs = replace(rs, evidence=float(cusum_update(rs.evidence, p)[0]))
        return rs, rs.evidence >= run.threshold
    assert run.level is not None
    rs = replace(rs, history=(*rs.history, p <= run.level)[-rule.k_of_m.m :])
    return rs, rs.breaches >= rule.k_of_m.k


def _step(
    rule: Rule, run: RunLength, rs: RuleState, signals: Sequence[Signal], now: float
) -> tuple[RuleState, Evidence | None]:
    """Advance one rule by one evaluation."""
    verdict, bad = window_verdict(rule, signals)
    p: float | None = None
    if run.method != "k_of_m":
        p, blocks = window_p_value(rule, signals, rs)
        rs = replace(rs, blocks=blocks)
    if rs.latched:
        if verdict != "insufficient_data":
            streak = rs.ok_streak + 1 if verdict == "ok" else 0
            if streak >= rule.clear.ok:
                ev = _evidence(rule, replace(rs, ok_streak=streak), "rearmed", verdict, bad, run, p)
                return RuleState(rule.name, blocks=rs.blocks), ev
            rs = replace(rs, ok_streak=streak)
        return rs, _evidence(rule, rs, "latched", verdict, bad, run, p)
    rs, fires = _armed_step(rule, rs, run, verdict, p)
    if fires:
        ev = _evidence(rule, replace(rs, fired_at=now), "fired", verdict, bad, run, p)
        return RuleState(rule.name, latched=True, fired_at=now, blocks=rs.blocks), ev
    if rs.breaches or rs.evidence > 0.0:
        return rs, _evidence(rule, rs, "pending", verdict, bad, run, p)
    return rs, None


def _effect(policy: Policy, rule: Rule, state: PolicyState, now: float) -> tuple[str, str | None]:
    """What a rule that fired now asks of the decision, after mode and cooldown."""
    wanted = "rollback" if rule.action == "rollback" else "warn"
    mode = policy.effective_mode(rule)
    if mode == "observe":
        return "keep", "observe"
    if wanted == "warn":
        return "warn", None
    if mode == "warn":
        return "warn", "warn"
    if state.in_cooldown(now, policy.cooldown_s) > 0:
        return "warn", "cooldown"
    return "rollback", None


def _counted(ev: Evidence) -> str:
    """What a rule has gathered, in words."""
    if ev.method == "cusum":
        return (
            f"evidence {ev.evidence or 0.0:.1f} of {ev.evidence_threshold or 0.0:.1f} nats "
            f"(CUSUM of window p-values; false alarm every {ev.run_length or 0.0:.3g} windows)"
        )
    return f"{ev.breaches} of the last {ev.windows} evaluated windows breached (k={ev.k}, m={ev.m})"


def _sentence(ev: Evidence, cooldown_left: float) -> str:
    if ev.outcome == "fired":
        text = f"{ev.rule}: {_counted(ev)} -> {ev.effect}"
        if ev.suppressed_by == "cooldown":
            text += f" (rollback suppressed: cooldown, {cooldown_left:.0f} s left)"
        elif ev.suppressed_by is not None:
            text += f" (rollback suppressed by mode {ev.suppressed_by})"
        return text
    if ev.outcome == "latched":
        return (
            f"{ev.rule}: latched ({ev.window} window; re-arms after {ev.clear_ok} consecutive "
            f"ok windows, has {ev.ok_streak})"
        )
    if ev.outcome == "rearmed":
        return f"{ev.rule}: re-armed after {ev.ok_streak} consecutive ok windows"
    if ev.method == "cusum":
        return f"{ev.rule}: {_counted(ev)}"
    return f"{ev.rule}: {ev.breaches} of {ev.windows} windows breached, needs {ev.k} (m={ev.m})"


def decide(
    policy: Policy,
    signals: Sequence[Signal],
    state: PolicyState,
    now: float,
    *,
    window_id: str | None = None,
) -> tuple[Decision, PolicyState]:
    """Decide on one evaluation of one model's signals.

    Parameters
    ----------
    policy : Policy
        The rules, mode and cooldown.
    signals : sequence of Signal
        The signals of this evaluation (one closed window); each is read once.
    state : PolicyState
        The state :func:`decide` returned last time for this model (``PolicyState()`` first).
    now : float
        The evaluation time (seconds, e.g. UNIX time); used for the cooldown and the audit.
    window_id : str or None
        Id of the evaluated window; a call with the id of the previous call changes nothing
        and returns ``keep``.

    Returns
    -------
    Decision, PolicyState
        The decision, and the state to pass next time. A ``rollback`` decision already records
        the rollback (cooldown starts, histories clear), so a failed rollback is not retried
        by the same rule until it re-arms.
    """
    if isinstance(now, bool) or not isinstance(now, int | float) or not math.isfinite(now):
        raise ConfigurationError(f"now must be a finite time in seconds, got {now!r}")
    now = float(now)
    if window_id is not None and window_id == state.last_window:
        reason = f"window {window_id!r} was already evaluated; nothing counted"
        return Decision("keep", policy.mode, reason, at=now, window_id=window_id), state
    cooldown_left = state.in_cooldown(now, policy.cooldown_s)
    rule_states: list[RuleState] = []
    evidence: list[Evidence] = []
    for rule in policy.rules:
        rs, ev = _step(rule, policy.run_length(rule), state.rule(rule.name), signals, now)
        rule_states.append(rs)
        if ev is not None and ev.outcome == "fired":
            effect, why = _effect(policy, rule, state, now)
            ev = replace(ev, effect=effect, suppressed_by=why)
        elif ev is not None and ev.outcome == "latched" and ev.window == "breach":
            ev = replace(ev, suppressed_by="latched")
        if ev is not None:
            evidence.append(ev)
    fired = [e for e in evidence if e.outcome == "fired"]
    action = max((e.effect for e in fired), key=DECISION_ACTIONS.index, default="keep")
    suppressed: str | None = None
    if action != "rollback":
        asked = [e.suppressed_by for e in fired if e.suppressed_by is not None]
        held = any(e.suppressed_by == "latched" for e in evidence)
        suppressed = asked[0] if asked else ("latched" if held and action == "keep" else None)
    new_state = PolicyState(tuple(rule_states), state.last_rollback_at, window_id)
    if action == "rollback":
        new_state = new_state.record_rollback(now)
    reason = "; ".join(_sentence(e, cooldown_left) for e in evidence) or "no rule fired"
    decision = Decision(
        action=action,
        mode=policy.mode,
        reason=reason,
        rules_fired=tuple(e.rule for e in fired),
        rules_latched=tuple(rs.name for rs in rule_states if rs.latched),
        rules_rearmed=tuple(e.rule for e in evidence if e.outcome == "rearmed"),
        evidence=tuple(evidence),
        suppressed_by=suppressed,
        at=now,
        window_id=window_id,
    )
    return decision, new_state
