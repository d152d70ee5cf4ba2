"""Plain snapshots of what the service counts, read by the collectors at scrape time.

:mod:`driftguard.serving`, :mod:`driftguard.guard` and :mod:`driftguard.monitor` fill these
frozen dataclasses; only :mod:`driftguard.metrics.prometheus`, :mod:`driftguard.metrics.guard`
and :mod:`driftguard.metrics.defense` turn them into Prometheus families, so the request path
never imports ``prometheus_client``.

Examples
--------
>>> ModelState("iris", 3, "sklearn", "active", 7).generation
7
"""

from __future__ import annotations

from dataclasses import dataclass, field

from driftguard.types import Signal

__all__ = ["STATUSES", "DefenseMetrics", "GuardState", "HostState", "ModelState"]

STATUSES = ("ok", "warn", "breach", "insufficient_data")


@dataclass(frozen=True)
class ModelState:
    """What :class:`StateCollector` exports about one loaded model version.

    Examples
    --------
    >>> ModelState("iris", 3, "sklearn", "active", 7).version
    3
    """

    name: str
    version: int
    framework: str
    role: str
    generation: int
    load_seconds: float = 0.0
    rows_observed: int = 0
    rows_scored: int = 0
    window_rows: int = 0
    window_size: int = 0
    windows_closed: int = 0
    queue_rows: int = 0
    feedback_rows: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    nonfinite: dict[str, int] = field(default_factory=dict)
    unseen: dict[str, int] = field(default_factory=dict)
    dataset_score: float | None = None
    dataset_threshold: float | None = None
    feature_scores: dict[str, tuple[float, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class HostState:
    """Service-wide counters that outlive a model version (swaps, failed loads).

    Examples
    --------
    >>> HostState().swaps
    {}
    """

    swaps: dict[str, int] = field(default_factory=dict)
    load_failures: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class GuardState:
    """Signals of each served version's last evaluation and the guard's counters.

    Examples
    --------
    >>> GuardState().rollbacks
    {}
    """

    signals: dict[tuple[str, int], tuple[Signal, ...]] = field(default_factory=dict)
    decisions: dict[tuple[str, str], int] = field(default_factory=dict)
    rollbacks: dict[str, int] = field(default_factory=dict)
    rollback_failures: dict[str, int] = field(default_factory=dict)
    alerts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class DefenseMetrics:
    """What the defences export; counts are ``(rows, flagged)`` per (model, version).

    Examples
    --------
    >>> DefenseMetrics().refused
    {}
    """

    adversarial: dict[tuple[str, int], tuple[int, int]] = field(default_factory=dict)
    feedback: dict[tuple[str, int], tuple[int, int]] = field(default_factory=dict)
    probing_flagged: dict[str, int] = field(default_factory=dict)
    probing_flags_total: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    quarantined_sources: dict[str, int] = field(default_factory=dict)
