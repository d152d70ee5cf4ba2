"""Response bodies of the dashboard's data routes (``/dashboard/api/...``).

They mirror :func:`driftguard.guard.snapshot.snapshot` and
:func:`~driftguard.guard.snapshot.model_list` field by field and make their OpenAPI schema; a
snapshot also says where every rule of the policy stands
(:class:`~driftguard_service.schemas_rules.RuleStandingModel`).
Times are UNIX seconds; a value that is not a finite number is ``null``.

Examples
--------
>>> ModelEntry(name="m", active_version=1, generation=1, served_version=1).name
'm'
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from driftguard_service.schemas import Signal
from driftguard_service.schemas_rules import RuleStandingModel

__all__ = [
    "AuditRow",
    "Calibration",
    "DashboardSnapshot",
    "Drift",
    "FeatureRow",
    "FeatureSeries",
    "ModelEntry",
    "ReliabilityBin",
    "Served",
    "TimelineEvent",
    "VersionRow",
    "WindowPoint",
]


class ModelEntry(BaseModel):
    """A served model and its ACTIVE version."""

    name: str
    active_version: int | None
    generation: int
    served_version: int | None = Field(description="The version loaded here (null: not yet)")


class DecisionRow(BaseModel):
    """The guard's last decision about the served version."""

    action: str
    mode: str
    reason: str
    rules_fired: list[str]
    rules_latched: list[str]
    suppressed_by: str | None
    at: float | None
    window_id: str | None


class Served(BaseModel):
    """The loaded version: its signals (per-feature drift is in ``drift``) and last decision."""

    version: int
    generation: int
    loaded_at: float
    labels: list[str]
    monitoring: bool
    signals: list[Signal]
    decision: DecisionRow | None


class FeatureRow(BaseModel):
    """One feature of the latest checked window."""

    feature: str
    method: str
    score: float | None
    threshold: float | None
    ratio: float | None = Field(description="score / threshold")
    p_adjusted: float | None
    drift: bool


class WindowPoint(BaseModel):
    """The dataset drift statistic of one checked window."""

    index: int
    closed: bool
    time: float
    n_rows: int
    score: float | None
    threshold: float | None
    p_value: float | None
    drift: bool
    drifted_features: int
    calibrated: bool


class LatestWindow(WindowPoint):
    """The latest checked window with every feature (largest ratio first, bounded)."""

    features: list[FeatureRow]


class FeatureSeries(BaseModel):
    """Scores and thresholds of one feature, aligned with ``Drift.history``."""

    feature: str
    scores: list[float | None]
    thresholds: list[float | None]
    drift: list[bool]


class Drift(BaseModel):
    """Monitor counters, the latest checked window and the recent windows."""

    window_size: int
    window_rows: int
    windows_closed: int
    rows_observed: int
    rows_queued: int
    dropped_rows: int
    n_features: int
    latest: LatestWindow | None
    history: list[WindowPoint]
    features: list[FeatureSeries]


class ReliabilityBin(BaseModel):
    """One confidence bin ``(lo, hi]`` of the reliability diagram."""

    lo: float
    hi: float
    count: int
    confidence: float | None
    accuracy: float | None


class Calibration(BaseModel):
    """Reliability diagram over the usable labelled feedback of the served version."""

    n: int = Field(description="Labelled rows in the diagram (flagged feedback left out)")
    received: int = Field(description="Labelled rows received for this version")
    ece: float | None
    ece_threshold: float | None
    ece_status: str
    accuracy: float | None
    mean_confidence: float | None
    reference_accuracy: float | None
    bins: list[ReliabilityBin]


class VersionRow(BaseModel):
    """One registered version."""

    version: int
    created: float
    status: str = Field(description="none, known_good or quarantined")
    parent: int | None
    active: bool


class AuditRow(BaseModel):
    """One audit record (its evidence is at ``GET /models/{name}/audit``)."""

    id: int
    time: float
    action: str
    actor: str
    reason: str
    from_version: int | None
    to_version: int | None
    generation: int


class TimelineEvent(BaseModel):
    """One event of the guard's timeline."""

    time: float
    version: int
    kind: str
    text: str


class DashboardSnapshot(BaseModel):
    """Everything the dashboard shows about one model (newest first where listed)."""

    model: str
    generated_at: float
    active_version: int | None
    generation: int
    unavailable: str | None = Field(description="Why no version is loaded (null when one is)")
    served: Served | None
    drift: Drift | None
    calibration: Calibration | None
    versions: list[VersionRow]
    switches: list[AuditRow] = Field(description="Promotions and rollbacks, oldest first")
    timeline: list[TimelineEvent]
    audit: list[AuditRow]
    rules: list[RuleStandingModel] = Field(
        description="Every rule: false-decision interval at current traffic, evidence so far"
    )
    windows_per_s: float | None = Field(
        description="Windows the guard decided on a second lately (null: fewer than two yet)"
    )
    planned_windows_per_s: float = Field(description="The policy's planning traffic, in windows")
