"""Signals from labels and confidences: calibration, realised and estimated accuracy.

:class:`LabelSignals` is a signal source of the guard. For the served version it scores the
labelled feedback (:class:`~driftguard.detectors.CalibrationMonitor`: ECE and friends with
thresholds resampled at the number of labels, realised accuracy with a Wilson band against
the checkpoint's test accuracy) and the recent unlabelled predictions
(:class:`~driftguard.detectors.PerformanceEstimator`: the label-free accuracy estimate,
reported only while calibration holds).

Both detectors live as long as the served version and are fed only what arrived since the
last look: the rollback rules add up the p-values of their disjoint evidence blocks (block
numbers count from the version's first row or label), which a detector rebuilt from a rolling
buffer could not number. Feedback flagged when it arrives never enters calibration; a source
quarantined later keeps its earlier labels in these monitors (they leave exports).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

import numpy as np

from driftguard.detectors import CalibrationMonitor, PerformanceEstimator
from driftguard.serving import LoadedModel, ModelHost
from driftguard.types import Signal

__all__ = ["LabelSignals"]

Key = tuple[str, int]
D = TypeVar("D")


class _Seen:
    """Ids of items already fed to a detector (the newest ``limit``)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._ids: OrderedDict[object, None] = OrderedDict()

    def first_time(self, item_id: object) -> bool:
        if item_id in self._ids:
            return False
        self._ids[item_id] = None
        if len(self._ids) > self.limit:
            self._ids.popitem(last=False)
        return True


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
        self._cache: dict[Key, tuple[int, tuple[Signal, ...]]] = {}
        self._estimates: dict[Key, tuple[float, str, tuple[Signal, ...]]] = {}
        self._estimators: dict[Key, tuple[PerformanceEstimator, _Seen]] = {}
        self._monitors: dict[Key, tuple[CalibrationMonitor, _Seen]] = {}

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
        estimator, seen = self._estimator(model)
        for item in self.host.predictions.recent(model.name, model.version, self.max_rows):
            if seen.first_time(item.request_id):
                estimator.update(item.probabilities)
        signals = estimator.signals(ece)
        self._estimates[key] = (now, status, signals)
        return signals

    def _calibration(self, model: LoadedModel) -> tuple[Signal, ...]:
        key = (model.name, model.version)
        received = self.host.feedback.received_.get(key, 0)
        cached = self._cache.get(key)
        if cached is not None and cached[0] == received:
            return cached[1]
        monitor, seen = self._monitor(model)
        for item in self.host.feedback.recent(model.name, model.version):
            keep = item.usable()
            if seen.first_time(id(item)) and keep.any():
                labels = np.asarray(item.labels, dtype=np.int64)[keep]
                monitor.update(item.prediction.probabilities[keep], labels)
        signals = monitor.signals()
        self._cache[key] = (received, signals)
        return signals

    def _kept(
        self, store: dict[Key, tuple[D, _Seen]], model: LoadedModel, build: Callable[[], D]
    ) -> tuple[D, _Seen]:
        """The detector kept for ``model``'s version (built on first use) and what it saw."""
        key = (model.name, model.version)
        if key not in store:
            store[key] = (build(), _Seen(4 * self.max_rows))
        return store[key]

    def _estimator(self, model: LoadedModel) -> tuple[PerformanceEstimator, _Seen]:
        return self._kept(
            self._estimators,
            model,
            lambda: PerformanceEstimator(
                alpha=self.alpha,
                min_rows=self.min_labels,
                max_rows=self.max_rows,
                reference_accuracy=model.reference_accuracy,
                max_accuracy_drop=self.max_accuracy_drop,
                reference_confidence=model.reference_confidence,
            ),
        )

    def _monitor(self, model: LoadedModel) -> tuple[CalibrationMonitor, _Seen]:
        return self._kept(
            self._monitors,
            model,
            lambda: CalibrationMonitor(
                alpha=self.alpha,
                min_labels=self.min_labels,
                max_labels=self.max_rows,
                reference_accuracy=model.reference_accuracy,
                max_accuracy_drop=self.max_accuracy_drop,
            ),
        )
