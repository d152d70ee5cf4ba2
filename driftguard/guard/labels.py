"""Signals from labels and confidences: calibration, realised and estimated accuracy.

:class:`LabelSignals` is a signal source of the guard. For the served version it scores the
labelled feedback (:class:`~driftguard.detectors.CalibrationMonitor`: ECE and friends with
thresholds resampled at the number of labels, realised accuracy with a Wilson band against
the checkpoint's test accuracy) and the recent unlabelled predictions
(:class:`~driftguard.detectors.PerformanceEstimator`: the label-free accuracy estimate,
reported only while calibration holds). Monitors are rebuilt only when new labels arrived.
"""

from __future__ import annotations

import time

import numpy as np

from driftguard.detectors import CalibrationMonitor, PerformanceEstimator
from driftguard.serving import LoadedModel, ModelHost
from driftguard.types import Signal

__all__ = ["LabelSignals"]


class LabelSignals:
    """Calibration and performance signals of a served version.

    Parameters
    ----------
    host : ModelHost
        Where feedback and logged predictions are.
    min_labels : int, default 100
        Labels before calibration and accuracy leave ``insufficient_data``.
    max_rows : int, default 5000
        Most recent labels / predictions scored.
    alpha : float, default 0.01
        False-alarm rate of the calibration test.
    max_accuracy_drop : float, default 0.05
        Accuracy below the checkpoint's test accuracy by more than this is a breach.
    refresh_s : float, default 5.0
        The label-free estimate is recomputed at most this often per version (it reads the
        prediction log); calibration is recomputed whenever new labels arrived.

    Examples
    --------
    >>> import tempfile
    >>> from driftguard.registry import Registry
    >>> LabelSignals(ModelHost(Registry(tempfile.mkdtemp()))).min_labels
    100
    """

    def __init__(
        self,
        host: ModelHost,
        min_labels: int = 100,
        max_rows: int = 5000,
        alpha: float = 0.01,
        max_accuracy_drop: float = 0.05,
        refresh_s: float = 5.0,
    ) -> None:
        self.host = host
        self.min_labels = min_labels
        self.max_rows = max_rows
        self.alpha = alpha
        self.max_accuracy_drop = max_accuracy_drop
        self.refresh_s = refresh_s
        self._cache: dict[tuple[str, int], tuple[int, tuple[Signal, ...]]] = {}
        self._estimates: dict[tuple[str, int], tuple[float, str, tuple[Signal, ...]]] = {}

    def __call__(self, model: LoadedModel) -> tuple[Signal, ...]:
        """Calibration, accuracy, estimated accuracy and confidence-shift signals."""
        calibration = self._calibration(model)
        ece = next((s for s in calibration if s.name == "ece"), None)
        return (*calibration, *self._estimate(model, ece))

    def _estimate(self, model: LoadedModel, ece: Signal | None) -> tuple[Signal, ...]:
        key = (model.name, model.version)
        status = "" if ece is None else ece.status
        cached = self._estimates.get(key)
        now = time.monotonic()
        if cached is not None and cached[1] == status and now - cached[0] < self.refresh_s:
            return cached[2]
        estimator = PerformanceEstimator(
            alpha=self.alpha,
            min_rows=self.min_labels,
            max_rows=self.max_rows,
            reference_accuracy=model.reference_accuracy,
            max_accuracy_drop=self.max_accuracy_drop,
        )
        recent = self.host.predictions.recent(model.name, model.version, self.max_rows)
        if recent:
            estimator.update(np.concatenate([p.probabilities for p in recent]))
        signals = estimator.signals(ece)
        self._estimates[key] = (now, status, signals)
        return signals

    def _calibration(self, model: LoadedModel) -> tuple[Signal, ...]:
        key = (model.name, model.version)
        received = self.host.feedback.received_.get(key, 0)
        cached = self._cache.get(key)
        if cached is not None and cached[0] == received:
            return cached[1]
        monitor = CalibrationMonitor(
            alpha=self.alpha,
            min_labels=self.min_labels,
            max_labels=self.max_rows,
            reference_accuracy=model.reference_accuracy,
            max_accuracy_drop=self.max_accuracy_drop,
        )
        proba, labels = self.host.feedback.usable(model.name, model.version)
        if len(labels):  # flagged (possibly poisoned) feedback never enters calibration
            monitor.update(proba, labels)
        signals = monitor.signals()
        self._cache[key] = (received, signals)
        return signals
