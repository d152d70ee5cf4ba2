"""Reliability diagram: top-label confidence bins against the accuracy observed in each.

The bins follow :mod:`driftguard.detectors.calibration_stats` exactly: ``n_bins`` equal-width
bins ``(lo, hi]`` of the top-label confidence (a confidence of 0 falls in the first), so the
diagram's expected calibration error is the ``ece`` signal's value on the same rows.

Examples
--------
>>> import numpy as np
>>> d = reliability_diagram(np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7]]), [0, 1, 1], n_bins=5)
>>> d.counts.tolist(), round(d.ece, 6)
([0, 0, 0, 2, 1], 0.2)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from driftguard.detectors.calibration_stats import check_labels
from driftguard.detectors.performance import check_probabilities
from driftguard.errors import ConfigurationError

__all__ = ["Reliability", "reliability_diagram"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class Reliability:
    """Per-bin counts, mean confidence and observed accuracy of labelled rows.

    Parameters
    ----------
    edges : ndarray of shape (n_bins + 1,)
        Bin edges from 0 to 1; bin ``j`` holds confidences in ``(edges[j], edges[j + 1]]``.
    counts : ndarray of shape (n_bins,)
        Rows per bin.
    confidence : ndarray of shape (n_bins,)
        Mean top-label confidence per bin (NaN for an empty bin).
    accuracy : ndarray of shape (n_bins,)
        Share of rows whose arg-max class is the label, per bin (NaN for an empty bin).
    n : int
        Rows scored.
    ece : float
        Expected calibration error: ``sum_j counts_j / n * |accuracy_j - confidence_j|``
        (0 without rows).
    overall_accuracy, mean_confidence : float
        Over all rows (NaN without rows).

    Examples
    --------
    >>> import numpy as np
    >>> d = reliability_diagram(np.array([[0.6, 0.4]]), [0], n_bins=2)
    >>> d.n, d.accuracy.tolist()[1], d.bins()[1]["count"]
    (1, 1.0, 1)
    """

    edges: FloatArray
    counts: IntArray
    confidence: FloatArray
    accuracy: FloatArray
    n: int
    ece: float
    overall_accuracy: float
    mean_confidence: float

    def bins(self) -> list[dict[str, float | int | None]]:
        """One JSON-ready dict per bin (``None`` instead of NaN for empty bins)."""
        out: list[dict[str, float | int | None]] = []
        for j, count in enumerate(self.counts.tolist()):
            out.append(
                {
                    "lo": float(self.edges[j]),
                    "hi": float(self.edges[j + 1]),
                    "count": int(count),
                    "confidence": float(self.confidence[j]) if count else None,
                    "accuracy": float(self.accuracy[j]) if count else None,
                }
            )
        return out


def reliability_diagram(
    probabilities: npt.ArrayLike, labels: npt.ArrayLike, n_bins: int = 15
) -> Reliability:
    """Bin labelled rows by top-label confidence; accuracy and mean confidence per bin.

    Parameters
    ----------
    probabilities : array-like of shape (n, k)
        Calibrated class probabilities (rows sum to 1). Zero rows are allowed (empty diagram).
    labels : array-like of shape (n,)
        True class indices in ``[0, k)``.
    n_bins : int, default 15
        Equal-width bins over ``[0, 1]`` (the calibration monitor's default).

    Returns
    -------
    Reliability

    Examples
    --------
    >>> import numpy as np
    >>> reliability_diagram(np.zeros((0, 2)), [], n_bins=3).counts.tolist()
    [0, 0, 0]
    """
    if isinstance(n_bins, bool) or not isinstance(n_bins, int | np.integer) or n_bins < 1:
        raise ConfigurationError(f"n_bins must be a positive integer, got {n_bins!r}")
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim == 2 and p.shape[0] == 0:
        empty = np.full(n_bins, np.nan)
        zeros = np.zeros(n_bins, dtype=np.int64)
        return Reliability(edges, zeros, empty, empty.copy(), 0, 0.0, float("nan"), float("nan"))
    p = check_probabilities(p)
    y = check_labels(labels, p.shape[0], p.shape[1])
    conf = p.max(axis=1)
    correct = (p.argmax(axis=1) == y).astype(np.float64)
    index = np.searchsorted(edges[1:-1], conf, side="left")
    counts = np.bincount(index, minlength=n_bins).astype(np.int64)
    conf_sum = np.bincount(index, weights=conf, minlength=n_bins)
    hit_sum = np.bincount(index, weights=correct, minlength=n_bins)
    confidence = np.where(counts > 0, conf_sum / np.maximum(counts, 1), np.nan)
    accuracy = np.where(counts > 0, hit_sum / np.maximum(counts, 1), np.nan)
    n = int(conf.shape[0])
    ece = float(np.abs(hit_sum - conf_sum).sum() / n)
    return Reliability(
        edges, counts, confidence, accuracy, n, ece, float(correct.mean()), float(conf.mean())
    )
