"""Where each rule stands: its run length at the traffic seen, and the evidence gathered so far.

:func:`standings` reads a policy and one model's :class:`~driftguard.policy.state.PolicyState`
and returns one :class:`RuleStanding` per rule, the view ``driftguard status``, the signals
route and the dashboard show: how often the rule would decide falsely on clean traffic (in
windows, at the planning traffic and at the traffic the service really sees) and how close it
is to deciding now (CUSUM evidence against its threshold, or breaches against ``k``).

Examples
--------
>>> from driftguard.policy.loader import default_policy
>>> rows = standings(default_policy(), PolicyState(), windows_per_s=0.4)
>>> drift = rows[0]
>>> drift.rule, drift.method, format_duration(drift.interval_s or 0.0)
('input-drift', 'cusum', '10.0 years')
>>> round(drift.evidence_threshold, 2), drift.evidence
(14.99, 0.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from driftguard.policy.rules import Policy
from driftguard.policy.run_length import RunLength, format_duration
from driftguard.policy.state import PolicyState

__all__ = ["RuleStanding", "format_duration", "standings"]


@dataclass(frozen=True, slots=True)
class RuleStanding:
    """One rule's run length and current evidence.

    Parameters
    ----------
    rule, action, method : str
        The rule, ``notify`` or ``rollback``, and how it gathers evidence.
    run_length : RunLength
        Its run length to a false decision under no change.
    planned_interval_s : float
        That run length in seconds at the policy's planning traffic.
    interval_s : float or None
        The same at the observed window rate (``None`` while no rate is known).
    evidence, evidence_threshold : float or None
        CUSUM statistic and threshold in nats (sequential rules).
    breaches, k, m : int
        Breaches among the last ``m`` windows and the ``k`` that fires (k-of-m rules).
    latched : bool
        Fired and not re-armed yet.

    Examples
    --------
    >>> from driftguard.policy.loader import default_policy
    >>> standings(default_policy(), PolicyState(), None)[1].to_dict()["interval_s"] is None
    True
    """

    rule: str
    action: str
    method: str
    run_length: RunLength
    planned_interval_s: float
    interval_s: float | None
    evidence: float | None
    evidence_threshold: float | None
    breaches: int
    k: int
    m: int
    latched: bool

    @property
    def progress(self) -> float:
        """How far the rule is towards deciding, 0 to 1 (1 while latched)."""
        if self.latched:
            return 1.0
        if self.evidence_threshold:
            return min(1.0, (self.evidence or 0.0) / self.evidence_threshold)
        return min(1.0, self.breaches / self.k)

    def sentence(self) -> str:
        """One line for people: the false-decision interval and the evidence so far."""
        what = "false rollback" if self.action == "rollback" else "false alert"
        when = self.interval_s if self.interval_s is not None else self.planned_interval_s
        where = "at current traffic" if self.interval_s is not None else "at planning traffic"
        exact = "" if self.run_length.exact else "at least "
        head = f"{self.rule}: one {what} every {exact}{format_duration(when)} {where}"
        head += f" ({self.run_length.windows:.3g} windows)"
        if self.latched:
            return f"{head}; fired, waiting to re-arm"
        if self.method == "cusum":
            return f"{head}; evidence {self.evidence or 0.0:.1f} of {self.evidence_threshold:.1f}"
        return f"{head}; {self.breaches} of the last {self.m} windows breached, fires at {self.k}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""

        def finite(x: float | None) -> float | None:
            return x if x is not None and math.isfinite(x) else None

        return {
            "rule": self.rule,
            "action": self.action,
            "method": self.method,
            "run_length_windows": self.run_length.windows,
            "run_length_exact": self.run_length.exact,
            "target": self.run_length.target,
            "level": self.run_length.level,
            "planned_interval_s": finite(self.planned_interval_s),
            "interval_s": finite(self.interval_s),
            "evidence": self.evidence,
            "evidence_threshold": self.evidence_threshold,
            "breaches": self.breaches,
            "k": self.k,
            "m": self.m,
            "latched": self.latched,
            "progress": self.progress,
            "sentence": self.sentence(),
        }


def standings(
    policy: Policy, state: PolicyState, windows_per_s: float | None
) -> tuple[RuleStanding, ...]:
    """Every rule's standing for one model (``windows_per_s``: the observed window rate)."""
    out = []
    planned = policy.traffic.windows_per_s
    for rule in policy.rules:
        run = policy.run_length(rule)
        rs = state.rule(rule.name)
        sequential = run.method == "cusum"
        out.append(
            RuleStanding(
                rule=rule.name,
                action=rule.action,
                method=run.method,
                run_length=run,
                planned_interval_s=run.seconds(planned),
                interval_s=None if not windows_per_s else run.seconds(windows_per_s),
                evidence=rs.evidence if sequential else None,
                evidence_threshold=run.threshold,
                breaches=rs.breaches,
                k=rule.k_of_m.k,
                m=rule.k_of_m.m,
                latched=rs.latched,
            )
        )
    return tuple(out)
