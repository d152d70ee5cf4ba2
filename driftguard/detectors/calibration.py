"""Calibration monitor: whether the served model is still calibrated on arriving labels.

:class:`CalibrationMonitor` keeps the last ``max_labels`` labelled rows (calibrated
probabilities and class indices, as :class:`~driftguard.serving.feedback.Feedback` carries
them) and scores ECE (equal-width and equal-mass, ``n_bins`` bins), MCE, Brier and NLL, each
against its null law *at exactly these rows* (see
:mod:`driftguard.detectors.calibration_stats`).

**Thresholds that know the sample size.** ECE is biased upwards on finite samples: a perfectly
calibrated model shows ECE near 0.04 at 500 labels and near 0.08 at 100, so no fixed threshold
serves every label count. The resampled threshold follows the count and the confidences of the
rows at hand, and a calibrated model breaches with probability at most ``alpha`` at any count.

**Deciding** (:meth:`CalibrationMonitor.signals`; :meth:`~CalibrationMonitor.score` only
measures). Only the ``ece`` signal (equal-width ECE, the statistic users know) can ``breach``;
``ece_equal_mass``, ``mce``, ``brier`` and ``nll`` carry their own thresholds but can only
``warn``: five correlated tests that could each breach would multiply the false-alarm rate,
while one keeps it at ``alpha``. The ``accuracy`` signal (kind performance) carries the
realised accuracy; it breaches when its whole Wilson band lies below
``reference_accuracy - max_accuracy_drop``. Below ``min_labels`` every signal is
``insufficient_data``. A policy that looks after every batch of labels looks many times: at
``alpha = 0.01``, looking every 100 labels up to 1000 raises the false-alarm rate to a few per
cent (``driftguard bench guard`` measures it), which the policy's k-of-m rule absorbs.

**Evidence for sequential rules.** Besides the rolling buffer, the labels are cut into
consecutive disjoint blocks of ``block_labels`` labels (:mod:`driftguard.detectors.blocks`).
Each complete block gets the randomised exact binomial p-value of its correct predictions
against "no change" (accuracy equal to ``reference_accuracy``): ``P(X < x) + U P(X = x)`` with
``X ~ Binomial(block_labels, reference_accuracy)`` and ``U`` uniform, drawn from ``seed`` and the
block number. It is exactly uniform when accuracy did not change (randomisation is the standard
remedy of discrete tests and keeps the run length of a sequential rule exact) and conservative
when accuracy rose; the ``accuracy`` signal carries the p-value and number of the latest complete
block. Without a ``reference_accuracy`` there is no p-value.

Examples
--------
>>> import numpy as np
>>> g = np.random.default_rng(0)
>>> p = g.dirichlet(np.ones(3) * 0.5, size=400)
>>> y = (g.random(400)[:, None] > np.cumsum(p, axis=1)[:, :-1]).sum(axis=1)
>>> report = CalibrationMonitor(n_resamples=200).update(p, y).score()
>>> report.n, report.miscalibrated
(400, False)
"""

from __future__ import annotations

import math
import threading
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from driftguard.detectors.blocks import BinomialTail, BlockEvidence
from driftguard.detectors.calibration_stats import (
    STATISTICS,
    CalibrationCheck,
    ReliabilityBins,
    check_labels,
    label_terms,
    moment_check,
    observed_statistics,
    resampled_check,
)
from driftguard.detectors.performance import check_probabilities, wilson_interval
from driftguard.detectors.protocol import constructor_params
from driftguard.errors import ConfigurationError, EmptyDataError
from driftguard.types import Signal

__all__ = ["CalibrationMonitor", "CalibrationReport"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _check_unit(name: str, value: float) -> None:
    if not 0.0 < value < 1.0:
        raise ConfigurationError(f"{name} must lie strictly between 0 and 1, got {value}")


@dataclass(frozen=True, slots=True)
class CalibrationReport:
    """Calibration and accuracy of the labelled rows a monitor holds.

    Parameters
    ----------
    n : int
        Labelled rows scored.
    alpha : float
        Level of every test.
    accuracy : float
        Realised accuracy of the arg-max predictions.
    accuracy_low, accuracy_high : float
        Its Wilson band at the monitor's ``band_level``.
    mean_confidence : float
        Mean top-label confidence (equals the accuracy in expectation when calibrated).
    ece_width, ece_mass, mce, brier, nll : CalibrationCheck
        Each statistic with its expected value, threshold and p-value under calibration.

    Examples
    --------
    >>> c = CalibrationCheck(0.03, 0.04, 0.07, 0.6)
    >>> r = CalibrationReport(500, 0.01, 0.8, 0.76, 0.83, 0.81, c, c, c, c, c)
    >>> r.miscalibrated, r.to_dict()["ece_width"]["threshold"]
    (False, 0.07)
    """

    n: int
    alpha: float
    accuracy: float
    accuracy_low: float
    accuracy_high: float
    mean_confidence: float
    ece_width: CalibrationCheck
    ece_mass: CalibrationCheck
    mce: CalibrationCheck
    brier: CalibrationCheck
    nll: CalibrationCheck

    @property
    def miscalibrated(self) -> bool:
        """The verdict: equal-width ECE above its threshold (the ``ece`` signal's breach)."""
        return self.ece_width.exceeded(self.alpha)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (statistics nested by name)."""
        return {**asdict(self), "miscalibrated": self.miscalibrated}


class CalibrationMonitor:
    """Calibration and realised accuracy over the last ``max_labels`` labelled rows.

    Parameters
    ----------
    n_bins : int
        Bins of the ECE and MCE statistics.
    alpha : float
        False-alarm rate of each resampled test; ``alpha * (1 + n_resamples)`` must be >= 1.
    n_resamples : int
        Consistency resamples ``B`` per :meth:`score`.
    min_labels : int
        Below this many labels every signal is ``insufficient_data``.
    max_labels : int
        Labelled rows kept (the most recent); older rows are forgotten.
    reference_accuracy : float or None
        Accuracy on the checkpoint's test set (``None``: the accuracy signal never breaches).
    max_accuracy_drop : float
        Tolerated drop of accuracy below the reference.
    band_level : float
        Coverage of the Wilson band of the realised accuracy.
    seed : int
        Seed of the resampling and of the randomisation of the accuracy p-values; the same
        rows always get the same thresholds and p-values.
    block_labels : int or None
        Labels per disjoint evidence block of the ``accuracy`` p-value (``None``:
        ``min_labels``).

    Examples
    --------
    >>> import numpy as np
    >>> mon = CalibrationMonitor(min_labels=2, n_resamples=99)
    >>> mon = mon.update(np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]), [0, 1, 1])
    >>> [s.name for s in mon.signals()]
    ['ece', 'ece_equal_mass', 'mce', 'brier', 'nll', 'accuracy']
    >>> mon = CalibrationMonitor(min_labels=2, n_resamples=99, reference_accuracy=0.9)
    >>> mon = mon.update(np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]), [0, 1, 1])
    >>> mon.signals()[-1].block  # labels 1 and 2 (both right); the third waits for a partner
    1
    """

    def __init__(
        self,
        n_bins: int = 15,
        alpha: float = 0.01,
        n_resamples: int = 1000,
        min_labels: int = 100,
        max_labels: int = 5000,
        reference_accuracy: float | None = None,
        max_accuracy_drop: float = 0.05,
        band_level: float = 0.95,
        seed: int = 0,
        block_labels: int | None = None,
    ) -> None:
        if n_bins < 1:
            raise ConfigurationError(f"n_bins must be a positive integer, got {n_bins}")
        _check_unit("alpha", alpha)
        _check_unit("band_level", band_level)
        if n_resamples < 1 or math.floor(alpha * (1 + n_resamples) + 1e-9) < 1:
            raise ConfigurationError(
                f"n_resamples={n_resamples} is too few to reject at alpha={alpha}: "
                "alpha * (1 + n_resamples) must be at least 1"
            )
        if min_labels < 1 or max_labels < min_labels:
            raise ConfigurationError(
                f"need 1 <= min_labels <= max_labels, got {min_labels}, {max_labels}"
            )
        if reference_accuracy is not None and not 0.0 <= reference_accuracy <= 1.0:
            raise ConfigurationError(
                f"reference_accuracy must lie in [0, 1], got {reference_accuracy}"
            )
        if not 0.0 <= max_accuracy_drop < 1.0:
            raise ConfigurationError(
                f"max_accuracy_drop must be in [0, 1), got {max_accuracy_drop}"
            )
        self.n_bins = n_bins
        self.alpha = alpha
        self.n_resamples = n_resamples
        self.min_labels = min_labels
        self.max_labels = max_labels
        self.reference_accuracy = reference_accuracy
        self.max_accuracy_drop = max_accuracy_drop
        self.band_level = band_level
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ConfigurationError(f"seed must be a non-negative integer, got {seed!r}")
        if block_labels is not None and (
            isinstance(block_labels, bool) or not isinstance(block_labels, int) or block_labels < 1
        ):
            raise ConfigurationError(
                f"block_labels must be a positive integer, got {block_labels!r}"
            )
        self.seed = seed
        self.block_labels = block_labels
        self.probabilities_: FloatArray = np.empty((0, 0), dtype=np.float64)
        self.labels_: IntArray = np.empty(0, dtype=np.int64)
        self.n_classes_: int | None = None
        self.n_seen_ = 0
        self.evidence_: BlockEvidence | None = None
        if reference_accuracy is not None:
            size = min_labels if block_labels is None else block_labels
            test = BinomialTail(reference_accuracy, "lower", seed, "accuracy")
            self.evidence_ = BlockEvidence(size, test)
        self._lock = threading.Lock()

    def get_params(self) -> dict[str, Any]:
        """The constructor arguments, verbatim (see :class:`~driftguard.detectors.Detector`)."""
        return constructor_params(self)

    @property
    def n_labels_(self) -> int:
        """Labelled rows currently kept."""
        return int(self.labels_.shape[0])

    def update(self, probabilities: npt.ArrayLike, labels: npt.ArrayLike) -> CalibrationMonitor:
        """Add labelled rows: calibrated probabilities (rows x classes) and class indices."""
        p = check_probabilities(probabilities, self.n_classes_)
        y = check_labels(labels, p.shape[0], p.shape[1])
        with self._lock:
            if self.n_classes_ is None:
                self.n_classes_ = int(p.shape[1])
                self.probabilities_ = np.empty((0, self.n_classes_), dtype=np.float64)
            self.probabilities_ = np.concatenate([self.probabilities_, p])[-self.max_labels :]
            self.labels_ = np.concatenate([self.labels_, y])[-self.max_labels :]
            self.n_seen_ += int(y.shape[0])
            if self.evidence_ is not None:
                self.evidence_.add(p.argmax(axis=1) == y)
        return self

    def score(self) -> CalibrationReport:
        """Every statistic with its threshold at exactly the rows held (no verdict)."""
        with self._lock:
            p, y = self.probabilities_, self.labels_
        n = int(y.shape[0])
        if n == 0:
            raise EmptyDataError("CalibrationMonitor: no labelled rows yet; call update() first")
        rows = ReliabilityBins(p, self.n_bins)
        observed = observed_statistics(rows, y)
        null = rows.null(self.n_resamples, self.seed)
        checks = [resampled_check(observed[j], null[:, j], self.alpha) for j in range(3)]
        for j, terms in enumerate(label_terms(p), start=3):
            checks.append(moment_check(observed[j], terms, p, self.alpha))
        correct = int(np.sum(rows.pred == y))
        low, high = wilson_interval(correct, n, self.band_level)
        return CalibrationReport(
            n,
            self.alpha,
            correct / n,
            low,
            high,
            float(rows.conf.mean()),
            *checks,
        )

    def signals(self) -> tuple[Signal, ...]:
        """``ece`` (can breach), four ``warn``-only statistics and the realised ``accuracy``.

        ``accuracy`` carries the p-value and number of the latest complete evidence block from
        ``min_labels`` labels on.
        """
        names = ("ece", "ece_equal_mass", "mce", "brier", "nll")
        floor = None
        if self.reference_accuracy is not None:
            floor = self.reference_accuracy - self.max_accuracy_drop
        n = self.n_labels_
        if n < self.min_labels:
            missing = [
                Signal(name, "calibration", None, None, "insufficient_data", n) for name in names
            ]
            return (
                *missing,
                Signal("accuracy", "performance", None, floor, "insufficient_data", n),
            )
        report = self.score()
        out = []
        for name, stat in zip(names, STATISTICS, strict=True):
            check: CalibrationCheck = getattr(report, stat)
            status = "ok"
            if check.exceeded(self.alpha):
                status = "breach" if name == "ece" else "warn"
            out.append(Signal(name, "calibration", check.value, check.threshold, status, n))
        low_band = floor is not None and report.accuracy_high < floor
        status = "breach" if low_band else "ok"
        latest = None if self.evidence_ is None else self.evidence_.latest_
        p_value, block = (None, None) if latest is None else latest
        out.append(
            Signal(
                "accuracy",
                "performance",
                report.accuracy,
                floor,
                status,
                n,
                p_value=p_value,
                block=block,
            )
        )
        return tuple(out)
