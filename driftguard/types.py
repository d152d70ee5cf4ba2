"""Frozen value types shared across driftguard.

Results are small immutable dataclasses, never nested dicts: they compare by value, are safe
to hand across threads and carry their own ``to_dict`` for JSON output.

Examples
--------
>>> from driftguard.types import StatResult
>>> r = StatResult(statistic=0.25, p_value=None)
>>> r.statistic, r.p_value
(0.25, None)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["DriftReport", "FeatureDrift", "FeatureKind", "Signal", "StatResult"]


class FeatureKind(StrEnum):
    """How a feature is measured: ordered numbers, or labels from a vocabulary."""

    NUMERIC = "numeric"
    CATEGORICAL = "categorical"


@dataclass(frozen=True, slots=True)
class StatResult:
    """The outcome of one statistic.

    Parameters
    ----------
    statistic : float
        The value of the statistic (float64).
    p_value : float or None
        The p-value where the statistic has one, else ``None``.

    Examples
    --------
    >>> StatResult(1.5, 0.2).p_value
    0.2
    """

    statistic: float
    p_value: float | None = None


@dataclass(frozen=True, slots=True)
class FeatureDrift:
    """The drift verdict for one feature in one window.

    Parameters
    ----------
    feature : str
        Feature name.
    method : str
        The statistic compared with its calibrated threshold (e.g. ``"wasserstein"``).
    score : float
        Value of that statistic on the window.
    threshold : float
        Calibrated (1 - alpha) null quantile of the statistic at this window size.
    p_value : float
        Resampling p-value ``(1 + k) / (1 + B)`` of the score under no drift.
    p_adjusted : float
        The p-value after the multiple-testing correction across features.
    min_effect : float
        The practical effect size the score must also reach.
    drift : bool
        ``p_adjusted <= alpha`` and ``score >= min_effect``.

    Examples
    --------
    >>> f = FeatureDrift("age", "wasserstein", 0.3, 0.05, 0.001, 0.01, 0.1, True)
    >>> f.to_dict()["drift"]
    True
    """

    feature: str
    method: str
    score: float
    threshold: float
    p_value: float
    p_adjusted: float
    min_effect: float
    drift: bool

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready fields of the CLI's ``--json`` output."""
        return {
            "method": self.method,
            "score": self.score,
            "threshold": self.threshold,
            "p_value": self.p_value,
            "p_adjusted": self.p_adjusted,
            "min_effect": self.min_effect,
            "drift": self.drift,
        }


@dataclass(frozen=True, slots=True)
class DriftReport:
    """Drift verdict of one window against a reference profile.

    Parameters
    ----------
    n_rows : int
        Rows in the window.
    alpha : float
        Target false-alarm rate of the dataset verdict.
    correction : str
        Multiple-testing correction used for the per-feature flags (``"holm"`` or ``"bh"``).
    dataset_score : float
        The dataset statistic: the largest score-to-threshold ratio over features.
    dataset_threshold : float
        Its calibrated (1 - alpha) null quantile, found by resampling whole reference rows.
    dataset_p_value : float
        Resampling p-value of ``dataset_score``.
    drift : bool
        Dataset verdict: ``dataset_score`` exceeds its threshold and at least one feature
        reaches its practical effect size.
    features : tuple of FeatureDrift
        Per-feature verdicts, in schema order.
    calibrated : bool
        ``False`` when the window is larger than the held-out reference could calibrate
        exactly (thresholds are then extrapolated).

    Examples
    --------
    >>> r = DriftReport(100, 0.05, "holm", 0.5, 1.2, 0.6, False, (), True)
    >>> r.share_drifted
    0.0
    """

    n_rows: int
    alpha: float
    correction: str
    dataset_score: float
    dataset_threshold: float
    dataset_p_value: float
    drift: bool
    features: tuple[FeatureDrift, ...] = field(default_factory=tuple)
    calibrated: bool = True

    @property
    def share_drifted(self) -> float:
        """Share of features flagged as drifted."""
        if not self.features:
            return 0.0
        return sum(f.drift for f in self.features) / len(self.features)

    @property
    def drifted_features(self) -> tuple[str, ...]:
        """Names of the drifted features."""
        return tuple(f.feature for f in self.features if f.drift)

    def signals(self) -> tuple[Signal, ...]:
        """The drift signals of this window, exactly as the guard hands them to the policy.

        One dataset signal ``input_drift`` (the dataset statistic against its calibrated
        threshold) followed by one ``input_drift:<feature>`` signal per feature (its score
        against its threshold), all of kind ``drift``, with status ``breach`` where the
        report flags drift and ``ok`` otherwise, each resting on the window's ``n_rows``. The
        dataset signal carries ``dataset_p_value`` and each feature its corrected p-value, the
        evidence sequential rules add up.
        Pass them to :func:`~driftguard.policy.decide.decide` as one evaluation.

        Returns
        -------
        tuple of Signal
            The dataset signal first, then the features in schema order.

        Examples
        --------
        >>> age = FeatureDrift("age", "wasserstein", 0.3, 0.05, 0.001, 0.002, 0.1, True)
        >>> report = DriftReport(500, 0.05, "holm", 6.0, 1.2, 0.001, True, (age,))
        >>> [(s.name, s.value, s.threshold, s.status) for s in report.signals()]
        [('input_drift', 6.0, 1.2, 'breach'), ('input_drift:age', 0.3, 0.05, 'breach')]
        """
        dataset = Signal(
            "input_drift",
            "drift",
            self.dataset_score,
            self.dataset_threshold,
            "breach" if self.drift else "ok",
            self.n_rows,
            p_value=self.dataset_p_value,
        )
        features = tuple(
            Signal(
                f"input_drift:{f.feature}",
                "drift",
                f.score,
                f.threshold,
                "breach" if f.drift else "ok",
                self.n_rows,
                p_value=f.p_adjusted,
            )
            for f in self.features
        )
        return (dataset, *features)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON document printed by ``driftguard drift --json``."""
        return {
            "drift": self.drift,
            "share_drifted": self.share_drifted,
            "n_rows": self.n_rows,
            "alpha": self.alpha,
            "correction": self.correction,
            "dataset": {
                "score": self.dataset_score,
                "threshold": self.dataset_threshold,
                "p_value": self.dataset_p_value,
            },
            "calibrated": self.calibrated,
            "features": {f.feature: f.to_dict() for f in self.features},
        }


@dataclass(frozen=True, slots=True)
class Signal:
    """One monitoring signal of a served model version, as the policy and the API see it.

    Parameters
    ----------
    name : str
        What is measured (``input_drift``, ``input_drift:age``, ``ece``, ...).
    kind : str
        ``drift``, ``calibration``, ``performance``, ``regression``, ``adversarial`` or
        ``poisoning``.
    value, threshold : float or None
        The measurement and the level it is compared with (``None`` without data).
    status : str
        ``ok``, ``warn``, ``breach`` or ``insufficient_data`` (never counted as a breach).
    samples : int
        Rows or labels the value rests on.
    p_value : float or None
        Evidence of this evaluation against "no change": a p-value that is uniform (or
        conservative) when nothing changed, computed from data no earlier p-value of this
        signal used, so sequential rules can add it up (``None``: the signal has none).
    block : int or None
        Sequence number of the disjoint block of data ``p_value`` rests on, for signals whose
        blocks do not follow the evaluations one to one; the policy counts each block once
        (``None``: every evaluation brings a fresh block, as a closed window does).

    Examples
    --------
    >>> Signal("input_drift", "drift", 0.4, 1.0, "ok", 500).to_dict()["status"]
    'ok'
    >>> Signal("input_drift", "drift", 3.1, 1.0, "breach", 500, p_value=1e-9).p_value
    1e-09
    """

    name: str
    kind: str
    value: float | None
    threshold: float | None
    status: str
    samples: int
    p_value: float | None = None
    block: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "name": self.name,
            "kind": self.kind,
            "value": self.value,
            "threshold": self.threshold,
            "status": self.status,
            "samples": self.samples,
            "p_value": self.p_value,
            "block": self.block,
        }
