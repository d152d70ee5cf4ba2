"""Where each rule stands, as the signals route and the dashboard send it.

:class:`RuleStandingModel` is :meth:`driftguard.policy.RuleStanding.to_dict` field by field;
:func:`rule_fields` gathers, for one model, every rule's standing at the window rate the guard
observed and the two rates (observed and planned) the intervals rest on.

Examples
--------
>>> RuleStandingModel.model_fields["progress"].description
'How far the rule is towards deciding, 0 to 1 (1 while latched)'
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from driftguard.guard import Guard

__all__ = ["RuleStandingModel", "rule_fields"]


class RuleStandingModel(BaseModel):
    """One rule: how often it decides falsely on clean traffic, and its evidence so far."""

    rule: str
    action: str = Field(description="notify or rollback")
    method: str = Field(description="cusum, k_of_m_p or k_of_m")
    run_length_windows: float = Field(
        description="Expected evaluated windows to a false decision under no change (ARL0)"
    )
    run_length_exact: bool = Field(description="False when run_length_windows is a lower bound")
    target: str | None = Field(description="The run length the policy stated (365d), if any")
    level: float | None = Field(description="Per-window level or false-breach rate (k-of-m)")
    planned_interval_s: float | None = Field(
        description="Seconds between false decisions at the policy's planning traffic"
    )
    interval_s: float | None = Field(
        description="Seconds between false decisions at the observed window rate (null: "
        "no rate observed yet)"
    )
    evidence: float | None = Field(description="CUSUM statistic in nats (cusum rules)")
    evidence_threshold: float | None = Field(description="CUSUM threshold in nats")
    breaches: int = Field(description="Breaches among the last m windows (k-of-m rules)")
    k: int
    m: int
    latched: bool = Field(description="Fired and not re-armed yet")
    progress: float = Field(
        ge=0.0, le=1.0, description="How far the rule is towards deciding, 0 to 1 (1 while latched)"
    )
    sentence: str = Field(description="The interval and the evidence, in words")


def rule_fields(guard: Guard, name: str) -> dict[str, Any]:
    """``rules``, ``windows_per_s`` (observed) and ``planned_windows_per_s`` of model ``name``."""
    return {
        "rules": [s.to_dict() for s in guard.standing(name)],
        "windows_per_s": guard.window_rate(name),
        "planned_windows_per_s": guard.policy.traffic.windows_per_s,
    }
