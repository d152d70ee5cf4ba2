"""Calibration statistics of labelled rows and their null laws under "the model is calibrated".

The statistics are top-label and follow the conventions of :mod:`driftguard.training.metrics`
(which they reproduce to rounding): ECE over ``n_bins`` equal-width bins ``(lo, hi]`` (a
confidence of 0 falls in the first) and over equal-mass bins (rows sorted by confidence, stable,
cut into ``min(n_bins, n)`` groups differing in size by at most one), MCE (largest gap over the
non-empty equal-width bins), multi-class Brier score and NLL (probabilities clipped at 1e-12).

Null laws, at exactly the rows scored:

- ECE (both binnings) and MCE by **consistency resampling** (Bröcker & Smith 2007;
  Vaicenavicius et al. 2019). Under calibration the arg-max of row ``i`` is right with
  probability ``conf_i``, so ``B`` outcome vectors are drawn from the rows' own confidences
  and the statistics recomputed; bins stay fixed (they depend on confidences only), so one
  ``(B, n) @ (n, bins)`` product per binning scores all resamples. The p-value is
  ``(1 + k) / (1 + B)`` with ``k`` the draws at least as large as the observed value, never 0.
- Brier and NLL are means of independent per-row terms whose null mean, variance and skewness
  are exact sums over the predicted probabilities (Spiegelhalter's test, with a Cornish-Fisher
  skewness correction), so they need no resampling; checked against resampling, the corrected
  99% quantile agrees to within Monte-Carlo noise from 100 labels on. The test is one-sided:
  larger than expected means the model is worse than it claims.

In both cases the threshold is chosen so that ``value > threshold`` iff ``p_value <= alpha``
(values within 1e-12 of a resampled one count as ties: float rounding never alarms).

Examples
--------
>>> import numpy as np
>>> s = calibration_statistics(np.array([[0.9, 0.1], [0.9, 0.1]]), np.array([0, 0]))
>>> round(s["ece_width"], 6), round(s["mce"], 6), round(s["brier"], 6)
(0.1, 0.1, 0.02)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

from driftguard.detectors.performance import check_probabilities
from driftguard.errors import ConfigurationError, EmptyDataError
from driftguard.stats.resampling import rng

__all__ = [
    "STATISTICS",
    "CalibrationCheck",
    "ReliabilityBins",
    "calibration_statistics",
    "check_labels",
    "label_terms",
    "moment_check",
    "observed_statistics",
    "resampled_check",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: The statistics in the order of :func:`calibration_statistics` and the resampled null.
STATISTICS = ("ece_width", "ece_mass", "mce", "brier", "nll")
#: Probabilities are clipped at this floor before taking logarithms.
PROB_FLOOR = 1e-12
#: Resampled outcomes drawn per chunk (float32: about 4 MB of memory).
_CHUNK = 1_000_000
#: Smallest p-value reported by the analytic tests (never exactly 0).
_P_FLOOR = 1e-300
#: Slack when counting null draws tied with the observed value (float rounding).
_TIE = 1e-12


def check_labels(labels: npt.ArrayLike, n: int, k: int) -> IntArray:
    """Return ``n`` class indices in ``[0, k)`` as int64 (integral floats are accepted).

    Examples
    --------
    >>> check_labels([1.0, 0.0], n=2, k=2).tolist()
    [1, 0]
    """
    y = np.asarray(labels)
    if y.ndim != 1 or y.shape[0] != n:
        raise ConfigurationError(f"labels: expected {n} labels (1-D), got shape {y.shape}")
    if y.dtype.kind == "f" and (not np.all(np.isfinite(y)) or np.any(y != np.round(y))):
        raise ConfigurationError("labels: must be integer class indices")
    if y.dtype.kind not in "iuf":
        raise ConfigurationError(f"labels: must be integer class indices, got dtype {y.dtype}")
    out = y.astype(np.int64)
    if n and (out.min() < 0 or out.max() >= k):
        raise ConfigurationError(f"labels: class index out of range [0, {k})")
    return out


@dataclass(frozen=True, slots=True)
class CalibrationCheck:
    """One calibration statistic against its null law ("calibrated") at the same rows.

    Parameters
    ----------
    value : float
        The statistic on the labelled rows.
    expected : float
        Its mean under the null: what a calibrated model shows on these rows (ECE's bias).
    threshold : float
        The null's ``(1 - alpha)`` quantile; ``value > threshold`` iff ``p_value <= alpha``.
    p_value : float
        ECE and MCE: ``(1 + k) / (1 + B)``, ``k`` the resampled values at least as large as
        ``value``; Brier and NLL: the one-sided skewness-corrected normal tail.

    Examples
    --------
    >>> CalibrationCheck(0.1, 0.04, 0.07, 0.001).exceeded(0.01)
    True
    """

    value: float
    expected: float
    threshold: float
    p_value: float

    def exceeded(self, alpha: float) -> bool:
        """Whether the null is rejected at level ``alpha``."""
        return self.p_value <= alpha


class ReliabilityBins:
    """Fixed bins of fixed rows, to score many 0/1 outcome vectors at once.

    Examples
    --------
    >>> import numpy as np
    >>> bins = ReliabilityBins(np.array([[0.9, 0.1], [0.6, 0.4]]), n_bins=15)
    >>> bins.null(5, seed=0).shape
    (5, 3)
    """

    def __init__(self, p: FloatArray, n_bins: int) -> None:
        n = p.shape[0]
        self.p = p
        self.n = n
        self.pred = p.argmax(axis=1)
        self.conf = p.max(axis=1)
        # Both binnings cut the rows sorted by confidence into contiguous blocks, so outcomes
        # are drawn in that order as (rows, resamples) and summed per block with one reduceat.
        self.order = np.argsort(self.conf, kind="stable")
        conf = self.conf[self.order]
        self.sorted_conf = conf
        interior = np.linspace(0.0, 1.0, n_bins + 1)[1:-1]
        width = np.searchsorted(interior, conf, side="left")
        self.width_starts = np.flatnonzero(np.diff(width, prepend=-1))
        sizes = [len(g) for g in np.array_split(np.arange(n), min(n_bins, n))]
        self.mass_starts = np.cumsum([0, *sizes[:-1]])
        self.width_conf = np.add.reduceat(conf, self.width_starts)
        self.mass_conf = np.add.reduceat(conf, self.mass_starts)
        self.width_counts = np.diff(np.append(self.width_starts, n)).astype(np.float64)

    def binned(self, correct: npt.NDArray[np.float32]) -> FloatArray:
        """ECE (equal-width, equal-mass) and MCE of 0/1 outcomes ``(rows sorted, resamples)``.

        Returns ``(resamples, 3)``. Sums of 0/1 values in float32 are exact (``n < 2**24``).
        """
        hits = np.add.reduceat(correct, self.width_starts, axis=0).astype(np.float64)
        gap_width = np.abs(hits - self.width_conf[:, None])
        ece_width = gap_width.sum(axis=0) / self.n
        mce = (gap_width / self.width_counts[:, None]).max(axis=0)
        hits = np.add.reduceat(correct, self.mass_starts, axis=0).astype(np.float64)
        ece_mass = np.abs(hits - self.mass_conf[:, None]).sum(axis=0) / self.n
        return np.stack([ece_width, ece_mass, mce], axis=1)

    def observed(self, y: IntArray) -> FloatArray:
        """ECE (equal-width, equal-mass) and MCE of the labels ``y`` (in row order)."""
        correct = (self.pred == y)[self.order].astype(np.float32)
        return np.asarray(self.binned(correct[:, None])[0], dtype=np.float64)

    def null(self, n_resamples: int, seed: int) -> FloatArray:
        """Binned statistics of ``n_resamples`` outcome vectors drawn under calibration.

        Under calibration the arg-max of row ``i`` is right with probability ``conf_i``, so
        ``ceil(conf_i - u)`` with ``u ~ U[0, 1)`` is a draw of its 0/1 outcome: one subtraction
        and one rounding, in place, per resampled entry (no BLAS, no threads).
        """
        g = rng(seed)
        conf = self.sorted_conf.astype(np.float32)[:, None]
        per_chunk = max(1, _CHUNK // max(self.n, 1))
        out = []
        for start in range(0, n_resamples, per_chunk):
            u = g.random((self.n, min(per_chunk, n_resamples - start)), dtype=np.float32)
            np.subtract(conf, u, out=u)
            out.append(self.binned(np.ceil(u, out=u)))
        return np.concatenate(out, axis=0)


def resampled_check(value: float, null: FloatArray, alpha: float) -> CalibrationCheck:
    """Check ``value`` against ``B`` resampled null values (any order)."""
    b = null.shape[0]
    ordered = np.sort(null)
    # p <= alpha iff at most `allowed` draws reach the value iff value > ordered[b - 1 - allowed]
    allowed = math.floor(alpha * (1 + b) + 1e-9) - 1
    reached = int(np.sum(ordered >= value - _TIE))
    return CalibrationCheck(
        value, float(ordered.mean()), float(ordered[b - 1 - allowed]), (1 + reached) / (1 + b)
    )


def moment_check(
    value: float, terms: FloatArray, probs: FloatArray, alpha: float
) -> CalibrationCheck:
    """One-sided test that the mean of independent per-row terms is no larger than expected.

    ``terms[i, c]`` is row ``i``'s term if its label is ``c``; under calibration the label is
    ``c`` with probability ``probs[i, c]``. The mean's exact null mean, variance and skewness
    enter a Cornish-Fisher expansion ``w(z) = z + g (z**2 - 1) / 6`` of the normal quantile;
    the p-value inverts it, so ``value > threshold`` iff ``p_value <= alpha``.
    """
    n = terms.shape[0]
    means = np.sum(probs * terms, axis=1)
    dev = terms - means[:, None]
    var = float(np.sum(probs * dev**2))
    mean = float(means.mean())
    normal = NormalDist()
    if var <= 0.0:
        above = value > mean + _TIE
        return CalibrationCheck(value, mean, mean, _P_FLOOR if above else 1.0)
    sd = math.sqrt(var) / n
    c = float(np.sum(probs * dev**3)) / var**1.5 / 6.0
    z_alpha = normal.inv_cdf(1.0 - alpha)
    threshold = mean + sd * (z_alpha + c * (z_alpha**2 - 1.0))
    x = (value - mean) / sd
    if abs(c) < 1e-12:
        z = x
    else:
        disc = 1.0 + 4.0 * c * (c + x)
        # outside the expansion's range: far below (c > 0) or far above (c < 0) the mean
        z = (-1.0 + math.sqrt(disc)) / (2.0 * c) if disc > 0.0 else -1.0 / (2.0 * c)
    return CalibrationCheck(value, mean, threshold, max(_P_FLOOR, normal.cdf(-z)))


def calibration_statistics(
    probabilities: npt.ArrayLike, labels: npt.ArrayLike, n_bins: int = 15
) -> dict[str, float]:
    """ECE (equal-width, equal-mass), MCE, Brier and NLL of labelled rows, by name.

    Examples
    --------
    >>> import numpy as np
    >>> s = calibration_statistics(np.array([[0.9, 0.1], [0.9, 0.1]]), np.array([0, 0]))
    >>> round(s["ece_width"], 6), round(s["brier"], 6)
    (0.1, 0.02)
    """
    p = check_probabilities(probabilities)
    if p.shape[0] == 0:
        raise EmptyDataError("probabilities: no rows to score")
    y = check_labels(labels, p.shape[0], p.shape[1])
    if isinstance(n_bins, bool) or n_bins < 1:
        raise ConfigurationError(f"n_bins must be a positive integer, got {n_bins!r}")
    return dict(zip(STATISTICS, observed_statistics(ReliabilityBins(p, n_bins), y), strict=True))


def label_terms(p: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Per-row Brier and NLL terms for every possible label, ``(n, k)`` each."""
    brier = np.sum(p * p, axis=1)[:, None] - 2.0 * p + 1.0
    return brier, -np.log(np.clip(p, PROB_FLOOR, None))


def observed_statistics(rows: ReliabilityBins, y: IntArray) -> tuple[float, ...]:
    """The five statistics of labels ``y`` on ``rows``, in :data:`STATISTICS` order."""
    binned = rows.observed(y)
    brier, nll = label_terms(rows.p)
    index = np.arange(rows.n)
    picked = (float(brier[index, y].mean()), float(nll[index, y].mean()))
    return (*(float(v) for v in binned), *picked)
