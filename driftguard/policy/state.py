"""The values :func:`~driftguard.policy.decide.decide` reads and returns.

:class:`PolicyState` is what the policy remembers about one model between evaluations (per-rule
history, latches and the time of the last rollback); :class:`Decision` is what one evaluation
concluded, with the :class:`Evidence` of every rule that is not quiet. All are frozen and carry
``to_dict`` for the audit log; :meth:`PolicyState.from_dict` reads a saved state back.

Examples
--------
>>> state = PolicyState().record_rollback(100.0)
>>> PolicyState.from_dict(state.to_dict()) == state
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from driftguard.errors import ConfigurationError
from driftguard.types import Signal

__all__ = ["DECISION_ACTIONS", "Decision", "Evidence", "PolicyState", "RuleState"]

DECISION_ACTIONS = ("keep", "warn", "rollback")
"""Possible :attr:`Decision.action` values, mildest first."""


@dataclass(frozen=True, slots=True)
class RuleState:
    """What one rule remembers.

    Parameters
    ----------
    name : str
        The rule's name.
    history : tuple of bool
        Outcomes of the last (at most ``m``) evaluated windows since the rule was last armed,
        oldest first; ``True`` is a breach. ``insufficient_data`` windows never enter it.
    latched : bool
        The rule fired and has not been re-armed yet (its alert is firing).
    ok_streak : int
        Consecutive ``ok`` windows while latched.
    fired_at : float or None
        When the rule last fired (while latched).
    evidence : float
        CUSUM statistic of a sequential rule (nats of evidence against "no change" gathered
        since it was last zero); 0 for k-of-m rules.
    blocks : tuple of (str, int)
        Per signal name, the last data block whose p-value was counted.

    Examples
    --------
    >>> RuleState("drift", (True, False)).breaches
    1
    """

    name: str
    history: tuple[bool, ...] = ()
    latched: bool = False
    ok_streak: int = 0
    fired_at: float | None = None
    evidence: float = 0.0
    blocks: tuple[tuple[str, int], ...] = ()

    @property
    def breaches(self) -> int:
        """Breaches in the history."""
        return sum(self.history)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "name": self.name,
            "history": list(self.history),
            "latched": self.latched,
            "ok_streak": self.ok_streak,
            "fired_at": self.fired_at,
            "evidence": self.evidence,
            "blocks": [[name, block] for name, block in self.blocks],
        }


@dataclass(frozen=True, slots=True)
class PolicyState:
    """What the policy remembers about ONE model (keep one state per model name).

    Parameters
    ----------
    rules : tuple of RuleState
        Per-rule state; a rule without an entry is armed with an empty history.
    last_rollback_at : float or None
        When this model was last rolled back (by the policy or, via :meth:`record_rollback`,
        by anyone else); starts the cooldown.
    last_window : str or None
        Id of the last evaluated window, when the caller passes ids (a repeat is not counted).

    Examples
    --------
    >>> PolicyState().rule("x")  # doctest: +NORMALIZE_WHITESPACE
    RuleState(name='x', history=(), latched=False, ok_streak=0, fired_at=None,
              evidence=0.0, blocks=())
    """

    rules: tuple[RuleState, ...] = ()
    last_rollback_at: float | None = None
    last_window: str | None = None

    def rule(self, name: str) -> RuleState:
        """The state of rule ``name`` (armed and empty if unknown)."""
        for rs in self.rules:
            if rs.name == name:
                return rs
        return RuleState(name)

    def record_rollback(self, at: float) -> PolicyState:
        """State after a rollback at ``at`` (e.g. a manual one): starts the cooldown.

        Histories and evidence of armed rules are cleared (they judged the version rolled away
        from); latched rules stay latched until the restored version shows ``clear.ok`` ok
        windows.
        """
        cleared = tuple(
            rs if rs.latched else replace(rs, history=(), evidence=0.0) for rs in self.rules
        )
        return replace(self, rules=cleared, last_rollback_at=float(at))

    def reset(self) -> PolicyState:
        """State for a newly promoted version: every rule armed and empty; cooldown kept."""
        return PolicyState(last_rollback_at=self.last_rollback_at)

    def in_cooldown(self, now: float, cooldown_s: float) -> float:
        """Seconds of cooldown left at ``now`` (0.0 when none)."""
        if self.last_rollback_at is None:
            return 0.0
        return max(0.0, self.last_rollback_at + cooldown_s - now)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (read back by :meth:`from_dict`)."""
        return {
            "rules": [rs.to_dict() for rs in self.rules],
            "last_rollback_at": self.last_rollback_at,
            "last_window": self.last_window,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PolicyState:
        """Read a state written by :meth:`to_dict`.

        Raises
        ------
        ConfigurationError
            A field is missing or of the wrong type.
        """
        try:
            rules = tuple(
                RuleState(
                    name=str(r["name"]),
                    history=tuple(bool(h) for h in r["history"]),
                    latched=bool(r["latched"]),
                    ok_streak=int(r["ok_streak"]),
                    fired_at=None if r["fired_at"] is None else float(r["fired_at"]),
                    evidence=float(r.get("evidence", 0.0)),
                    blocks=tuple((str(n), int(b)) for n, b in r.get("blocks", ())),
                )
                for r in data["rules"]
            )
            last = data["last_rollback_at"]
            window = data["last_window"]
            return cls(rules, None if last is None else float(last), window and str(window))
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigurationError(f"policy state: malformed ({exc!r})") from None


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why one rule stands where it does after an evaluation.

    Parameters
    ----------
    rule, signal : str
        The rule and its signal pattern.
    outcome : str
        ``fired`` (k-of-m reached now), ``latched`` (fired earlier, not re-armed),
        ``rearmed`` (``clear.ok`` ok windows reached now) or ``pending`` (breaches < k).
    window : str
        This evaluation's verdict for the rule: ``breach``, ``warn``, ``ok`` or
        ``insufficient_data``.
    breaches, windows, k, m : int
        Breaches among the last ``windows`` evaluated windows (at most ``m``), and the rule's
        k-of-m; for a fired rule, the counts that fired it.
    ok_streak, clear_ok : int
        Consecutive ok windows while latched, and how many re-arm the rule.
    effect : str
        What this rule asks of the decision after the mode: ``keep``, ``warn`` or ``rollback``.
    suppressed_by : str or None
        ``observe`` or ``warn`` (the mode capped the action), ``cooldown`` or ``latched``.
    signals : tuple of Signal
        The matched signals that counted as breaches in this window.
    fired_at : float or None
        When the rule fired (while latched).
    method : str
        ``cusum``, ``k_of_m_p`` or ``k_of_m`` (see :attr:`Rule.method`).
    evidence, evidence_threshold : float or None
        A CUSUM rule's statistic after this window and the threshold it fires at (nats).
    p_value : float or None
        This window's p-value as the rule counted it (Bonferroni over its signals).
    run_length : float or None
        The rule's run length to a false decision under no change (windows).

    Examples
    --------
    >>> Evidence("d", "input_drift", "pending", "breach", 1, 1, 2, 3).to_dict()["breaches"]
    1
    """

    rule: str
    signal: str
    outcome: str
    window: str
    breaches: int
    windows: int
    k: int
    m: int
    ok_streak: int = 0
    clear_ok: int = 1
    effect: str = "keep"
    suppressed_by: str | None = None
    signals: tuple[Signal, ...] = ()
    fired_at: float | None = None
    method: str = "k_of_m"
    evidence: float | None = None
    evidence_threshold: float | None = None
    p_value: float | None = None
    run_length: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "rule": self.rule,
            "signal": self.signal,
            "outcome": self.outcome,
            "window": self.window,
            "breaches": self.breaches,
            "windows": self.windows,
            "k": self.k,
            "m": self.m,
            "ok_streak": self.ok_streak,
            "clear_ok": self.clear_ok,
            "effect": self.effect,
            "suppressed_by": self.suppressed_by,
            "signals": [s.to_dict() for s in self.signals],
            "fired_at": self.fired_at,
            "method": self.method,
            "evidence": self.evidence,
            "evidence_threshold": self.evidence_threshold,
            "p_value": self.p_value,
            "run_length": self.run_length,
        }


@dataclass(frozen=True, slots=True)
class Decision:
    """What one evaluation concluded.

    Parameters
    ----------
    action : str
        ``keep``, ``warn`` or ``rollback``.
    mode : str
        The policy's mode.
    reason : str
        One human line per rule that is not quiet (``"no rule fired"`` otherwise).
    rules_fired : tuple of str
        Rules that fired in this evaluation (whatever the mode made of them).
    rules_latched : tuple of str
        Rules latched after this evaluation (their alerts are firing), fired ones included.
    rules_rearmed : tuple of str
        Rules re-armed in this evaluation (their alerts resolve).
    evidence : tuple of Evidence
        One entry per rule that is not quiet.
    suppressed_by : str or None
        Why the action is milder than the rules asked: ``observe`` or ``warn`` (the mode),
        ``cooldown``, or ``latched`` (a latched rule is still breaching; it does not refire).
    at : float
        The evaluation time passed to ``decide``.
    window_id : str or None
        The window id passed to ``decide``.

    Examples
    --------
    >>> Decision("keep", "warn", "no rule fired", at=0.0).to_dict()["action"]
    'keep'
    """

    action: str
    mode: str
    reason: str
    rules_fired: tuple[str, ...] = ()
    rules_latched: tuple[str, ...] = ()
    rules_rearmed: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    suppressed_by: str | None = None
    at: float = 0.0
    window_id: str | None = None

    def __post_init__(self) -> None:
        if self.action not in DECISION_ACTIONS:
            raise ConfigurationError(f"action must be one of {DECISION_ACTIONS}, got {self.action}")
        if not math.isfinite(self.at):
            raise ConfigurationError(f"at must be a finite time, got {self.at!r}")

    @property
    def changed(self) -> bool:
        """Whether a rule fired or re-armed (an alert starts or resolves)."""
        return bool(self.rules_fired or self.rules_rearmed)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (the audit record's evidence)."""
        return {
            "action": self.action,
            "mode": self.mode,
            "reason": self.reason,
            "rules_fired": list(self.rules_fired),
            "rules_latched": list(self.rules_latched),
            "rules_rearmed": list(self.rules_rearmed),
            "suppressed_by": self.suppressed_by,
            "at": self.at,
            "window_id": self.window_id,
            "evidence": [e.to_dict() for e in self.evidence],
        }
