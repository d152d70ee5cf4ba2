"""Performance of a served model: realised accuracy bands and a label-free estimate.

Two questions, two tools:

- **Realised accuracy** (labels have arrived): :func:`wilson_interval` gives the sampling-error
  band of the share of correct predictions. The Wilson score interval is used rather than the
  normal ("Wald") one because it stays inside ``[0, 1]`` and keeps its coverage near 0 and 1,
  where a good model's accuracy lives.
- **Estimated accuracy** (no labels yet, CBPE-style as in NannyML): for calibrated
  probabilities the chance that the arg-max prediction of a row is right *is* its top-label
  confidence ``c_i``, so the expected accuracy of ``n`` rows is ``mean(c_i)``. The number of
  correct rows is then Poisson-binomial, with variance ``sum c_i (1 - c_i)``; its square root
  over ``n`` is the standard error of the realised accuracy around the estimate.

The estimate is only as good as the calibration it rests on. :meth:`PerformanceEstimator.estimate`
therefore takes the calibration signal (``ece`` from
:class:`~driftguard.detectors.calibration.CalibrationMonitor`): while that signal breaches, the
estimate is **unreliable** -- :attr:`PerformanceEstimate.reliable` is ``False`` and the
``estimated_accuracy`` signal carries no value and the status ``insufficient_data``, so it can
neither raise nor clear an alarm. Without labelled evidence (no signal, or an ``ok`` /
``insufficient_data`` one) the calibration fitted at training time stands and the estimate is
reliable. The known limit of CBPE applies: calibration measured on labelled traffic need not
hold on unlabelled traffic that has shifted since.

The estimator also reports the drift of the mean confidence against the reference mean
confidence (from the checkpoint's test metrics) as the informational ``mean_confidence_shift``
signal: ``warn`` when the shift is both significant (a two-sided z-test at ``alpha``) and at
least ``max_confidence_shift``, never ``breach``.

**Evidence for sequential rules.** Besides the rolling buffer, the served rows are cut into
consecutive disjoint blocks of ``block_rows`` rows (:mod:`driftguard.detectors.blocks`). Each
complete block gets a p-value of "its mean top-label confidence did not fall below
``reference_confidence``" (one-sided: a drop of confidence is a drop of estimated accuracy;
Student t with Hall's skewness correction, :func:`~driftguard.detectors.blocks.mean_drop_p_value`),
and ``estimated_accuracy`` carries the p-value and number of the latest complete block. When
nothing changed the served confidences follow the law of the checkpoint's test set, so the
p-value is uniform, or conservative when confidence rose. The reference mean is itself an
estimate from a finite test set: its error is shared by every block, so the test set should be
much larger than a block.

Examples
--------
>>> import numpy as np
>>> est = PerformanceEstimator(min_rows=2, reference_accuracy=0.8)
>>> e = est.update(np.array([[0.9, 0.1], [0.3, 0.7], [0.8, 0.2]])).estimate()
>>> round(e.estimated_accuracy, 6), e.reliable
(0.8, True)
>>> [round(x, 4) for x in wilson_interval(45, 50)]
[0.7864, 0.9565]
"""

from __future__ import annotations

import math
import threading
from dataclasses import asdict, dataclass
from statistics import NormalDist
from typing import Any

import numpy as np
import numpy.typing as npt

from driftguard.detectors.blocks import BlockEvidence, MeanDrop
from driftguard.detectors.protocol import constructor_params
from driftguard.errors import ConfigurationError, EmptyDataError
from driftguard.types import Signal

__all__ = ["PerformanceEstimate", "PerformanceEstimator", "check_probabilities", "wilson_interval"]

FloatArray = npt.NDArray[np.float64]

#: Rows of a probability matrix may miss summing to 1 by this much (float32 soft-max output).
SUM_TOLERANCE = 1e-3


def check_probabilities(probabilities: npt.ArrayLike, n_classes: int | None = None) -> FloatArray:
    """Return a float64 ``(n, k)`` probability matrix, rows renormalised to sum to 1.

    Raises :class:`~driftguard.errors.ConfigurationError` for a wrong shape, non-finite or
    negative values, rows not summing to 1 (within ``1e-3``) or a class count other than
    ``n_classes``.

    Examples
    --------
    >>> check_probabilities([[0.25, 0.75]]).tolist()
    [[0.25, 0.75]]
    """
    p = np.array(probabilities, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] < 2:
        raise ConfigurationError(f"probabilities: expected a 2-D (n, k>=2) array, got {p.shape}")
    if n_classes is not None and p.shape[1] != n_classes:
        raise ConfigurationError(
            f"probabilities: expected {n_classes} classes as before, got {p.shape[1]}"
        )
    if not np.all(np.isfinite(p)) or np.any(p < 0.0):
        raise ConfigurationError("probabilities: contains NaN, infinite or negative values")
    sums = p.sum(axis=1)
    if p.shape[0] and np.max(np.abs(sums - 1.0)) > SUM_TOLERANCE:
        raise ConfigurationError("probabilities: every row must sum to 1")
    off = np.abs(sums - 1.0) > 1e-12  # renormalise only rows that need it: exact rows stay
    p[off] /= sums[off, None]
    return p


def _z(level: float) -> float:
    """Two-sided standard-normal quantile for a central ``level`` band."""
    return NormalDist().inv_cdf(0.5 + level / 2.0)


def _check_unit(name: str, value: float, low: float = 0.0, high: float = 1.0) -> None:
    if not low < value < high:
        raise ConfigurationError(f"{name} must lie strictly between {low} and {high}, got {value}")


def wilson_interval(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval ``(low, high)`` of a proportion ``successes / n``.

    Examples
    --------
    >>> wilson_interval(0, 10)[0], round(wilson_interval(0, 10)[1], 4)
    (0.0, 0.2775)
    """
    if n < 1 or not 0 <= successes <= n:
        raise ConfigurationError(f"wilson_interval: need 0 <= successes <= n, n >= 1 (n={n})")
    _check_unit("level", level)
    z = _z(level)
    phat = successes / n
    denom = 1.0 + z * z / n
    centre = (phat + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(phat * (1.0 - phat) / n + z * z / (4.0 * n * n))
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


@dataclass(frozen=True, slots=True)
class PerformanceEstimate:
    """Label-free accuracy estimate of recent traffic.

    Parameters
    ----------
    n : int
        Rows the estimate rests on.
    estimated_accuracy : float
        Mean top-label confidence: the expected accuracy of these rows if calibrated.
    std_error : float
        ``sqrt(sum c (1 - c)) / n``: standard deviation of the realised accuracy of these rows
        around the estimate (Poisson-binomial), under calibration.
    low, high : float
        The ``band_level`` band ``estimate -/+ z * std_error``, clipped to ``[0, 1]``.
    reliable : bool
        ``False`` while the labelled calibration check breaches: the number is then not an
        estimate of anything and is not reported as a signal value.
    confidence_shift : float or None
        ``estimated_accuracy - reference_confidence`` (``None`` without a reference).
    shift_threshold : float or None
        The absolute shift that raises ``mean_confidence_shift`` to ``warn``: the larger of
        ``max_confidence_shift`` and the two-sided ``alpha`` z-test's critical shift.

    Examples
    --------
    >>> PerformanceEstimate(100, 0.9, 0.03, 0.84, 0.96, True, None, None).to_dict()["reliable"]
    True
    """

    n: int
    estimated_accuracy: float
    std_error: float
    low: float
    high: float
    reliable: bool
    confidence_shift: float | None
    shift_threshold: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return asdict(self)


class PerformanceEstimator:
    """Confidence-based (CBPE-style) accuracy estimate over the last ``max_rows`` served rows.

    Parameters
    ----------
    alpha : float
        False-alarm rate of the mean-confidence shift test (two-sided).
    band_level : float
        Central coverage of the estimate's band (0.95: about two standard errors).
    min_rows : int
        Below this many rows every signal is ``insufficient_data``.
    max_rows : int
        Rows kept (the most recent); older rows are forgotten.
    reference_accuracy : float or None
        Accuracy on the checkpoint's test set; ``estimated_accuracy`` breaches when its band lies
        wholly below ``reference_accuracy - max_accuracy_drop``.
    max_accuracy_drop : float
        Tolerated drop of accuracy below the reference.
    reference_confidence : float or None
        Mean top-label confidence on the checkpoint's test set (``None``: no shift signal).
    max_confidence_shift : float
        Smallest shift of the mean confidence worth a warning.
    block_rows : int or None
        Rows per disjoint evidence block (``None``: ``min_rows``); needs a
        ``reference_confidence``, else ``estimated_accuracy`` carries no p-value.

    Examples
    --------
    >>> import numpy as np
    >>> est = PerformanceEstimator(min_rows=2, reference_confidence=0.5)
    >>> est.update(np.array([[0.9, 0.1], [0.2, 0.8]])).n_rows_
    2
    >>> [s.status for s in est.signals()]
    ['ok', 'warn']
    >>> est.signals()[0].block, round(est.signals()[0].p_value, 3)  # block 1: rows 1 and 2
    (1, 0.955)
    """

    def __init__(
        self,
        alpha: float = 0.01,
        band_level: float = 0.95,
        min_rows: int = 100,
        max_rows: int = 5000,
        reference_accuracy: float | None = None,
        max_accuracy_drop: float = 0.05,
        reference_confidence: float | None = None,
        max_confidence_shift: float = 0.05,
        block_rows: int | None = None,
    ) -> None:
        _check_unit("alpha", alpha)
        _check_unit("band_level", band_level)
        if min_rows < 2 or max_rows < min_rows:
            raise ConfigurationError(f"need 2 <= min_rows <= max_rows, got {min_rows}, {max_rows}")
        for name, ref in (
            ("reference_accuracy", reference_accuracy),
            ("reference_confidence", reference_confidence),
        ):
            if ref is not None and not 0.0 <= ref <= 1.0:
                raise ConfigurationError(f"{name} must lie in [0, 1], got {ref}")
        if not 0.0 <= max_accuracy_drop < 1.0 or not 0.0 <= max_confidence_shift < 1.0:
            raise ConfigurationError("max_accuracy_drop and max_confidence_shift must be in [0, 1)")
        if block_rows is not None and (
            isinstance(block_rows, bool) or not isinstance(block_rows, int) or block_rows < 2
        ):
            raise ConfigurationError(f"block_rows must be an integer >= 2, got {block_rows!r}")
        self.alpha = alpha
        self.band_level = band_level
        self.min_rows = min_rows
        self.max_rows = max_rows
        self.reference_accuracy = reference_accuracy
        self.max_accuracy_drop = max_accuracy_drop
        self.reference_confidence = reference_confidence
        self.max_confidence_shift = max_confidence_shift
        self.block_rows = block_rows
        self.confidence_: FloatArray = np.empty(0, dtype=np.float64)
        self.n_seen_ = 0
        self.evidence_: BlockEvidence | None = None
        if reference_confidence is not None:
            size = min_rows if block_rows is None else block_rows
            self.evidence_ = BlockEvidence(size, MeanDrop(reference_confidence))
        self._lock = threading.Lock()

    def get_params(self) -> dict[str, Any]:
        """The constructor arguments, verbatim (see :class:`~driftguard.detectors.Detector`)."""
        return constructor_params(self)

    @property
    def n_rows_(self) -> int:
        """Rows currently kept."""
        return int(self.confidence_.shape[0])

    def update(self, probabilities: npt.ArrayLike) -> PerformanceEstimator:
        """Add served rows (calibrated class probabilities, rows x classes); return self."""
        confidence = check_probabilities(probabilities).max(axis=1)
        with self._lock:
            self.confidence_ = np.concatenate([self.confidence_, confidence])[-self.max_rows :]
            self.n_seen_ += int(confidence.shape[0])
            if self.evidence_ is not None:
                self.evidence_.add(confidence)
        return self

    def estimate(self, calibration: Signal | None = None) -> PerformanceEstimate:
        """The estimate over the kept rows, reliable unless ``calibration`` breaches."""
        if calibration is not None and calibration.kind != "calibration":
            raise ConfigurationError(
                f"calibration: expected a calibration signal, got kind {calibration.kind!r}"
            )
        c = self.confidence_
        n = int(c.shape[0])
        if n == 0:
            raise EmptyDataError("PerformanceEstimator: no rows yet; call update() first")
        mean = float(c.mean())
        se = math.sqrt(float(np.sum(c * (1.0 - c)))) / n
        z = _z(self.band_level)
        shift = threshold = None
        if self.reference_confidence is not None and n >= 2:
            shift = mean - self.reference_confidence
            critical = _z(1.0 - self.alpha) * float(c.std(ddof=1)) / math.sqrt(n)
            threshold = max(self.max_confidence_shift, critical)
        return PerformanceEstimate(
            n=n,
            estimated_accuracy=mean,
            std_error=se,
            low=max(0.0, mean - z * se),
            high=min(1.0, mean + z * se),
            reliable=calibration is None or calibration.status != "breach",
            confidence_shift=shift,
            shift_threshold=threshold,
        )

    def signals(self, calibration: Signal | None = None) -> tuple[Signal, Signal]:
        """``estimated_accuracy`` (kind performance) and ``mean_confidence_shift`` (kind drift).

        ``estimated_accuracy`` carries the p-value and number of the latest complete evidence
        block while it has a value (none while unreliable or below ``min_rows``).
        """
        floor = None
        if self.reference_accuracy is not None:
            floor = self.reference_accuracy - self.max_accuracy_drop
        n = self.n_rows_
        if n < self.min_rows:
            return (
                Signal("estimated_accuracy", "performance", None, floor, "insufficient_data", n),
                Signal("mean_confidence_shift", "drift", None, None, "insufficient_data", n),
            )
        est = self.estimate(calibration)
        if not est.reliable:
            accuracy = Signal(
                "estimated_accuracy", "performance", None, floor, "insufficient_data", n
            )
        else:
            low_band = floor is not None and est.high < floor
            status = "breach" if low_band else "ok"
            latest = None if self.evidence_ is None else self.evidence_.latest_
            p_value, block = (None, None) if latest is None else latest
            accuracy = Signal(
                "estimated_accuracy",
                "performance",
                est.estimated_accuracy,
                floor,
                status,
                n,
                p_value=p_value,
                block=block,
            )
        if est.confidence_shift is None or est.shift_threshold is None:
            shift = Signal("mean_confidence_shift", "drift", None, None, "insufficient_data", n)
        else:
            size = abs(est.confidence_shift)
            status = "warn" if size > est.shift_threshold else "ok"
            shift = Signal("mean_confidence_shift", "drift", size, est.shift_threshold, status, n)
        return accuracy, shift
