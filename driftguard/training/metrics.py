"""Classification and calibration metrics on predicted probabilities (numpy only).

Every function takes ``probs`` of shape ``(n, k)`` (rows are probability vectors) and integer
labels ``y`` in ``[0, k)``. Calibration errors use the *top-label* confidence (the largest
probability of a row) against whether the arg-max class is right:

- :func:`ece`: expected calibration error over ``n_bins`` equal-width bins of ``[0, 1]``
  (bins are ``(lo, hi]``; a confidence of exactly 0 falls in the first), weighted by bin size;
- :func:`ece_equal_mass`: the same over bins holding (nearly) equal numbers of rows;
- :func:`mce`: the largest gap over the non-empty equal-width bins;
- :func:`brier`: multi-class Brier score, mean over rows of ``sum_k (p_k - onehot_k)^2``;
- :func:`nll`: mean ``-log p_y`` with probabilities clipped at ``1e-12``.

Examples
--------
>>> import numpy as np
>>> probs = np.array([[0.75, 0.25], [0.75, 0.25], [0.75, 0.25], [0.25, 0.75]])
>>> y = np.array([0, 0, 1, 1])
>>> round(ece(probs, y), 6), accuracy(probs, y)
(0.0, 0.75)
>>> classification_metrics(probs, y).to_dict()["brier"]
0.375
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from driftguard.errors import ConfigurationError, EmptyDataError

__all__ = [
    "PROB_FLOOR",
    "ClassificationMetrics",
    "accuracy",
    "brier",
    "check_labels",
    "classification_metrics",
    "ece",
    "ece_equal_mass",
    "mce",
    "nll",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Probabilities are clipped at this floor before taking logarithms.
PROB_FLOOR = 1e-12


def check_labels(y: npt.ArrayLike, n: int, k: int, name: str = "y") -> IntArray:
    """Return ``y`` as int64 after checking it is 1-D, ``n`` long and in ``[0, k)``.

    Examples
    --------
    >>> check_labels([0.0, 2.0], n=2, k=3).tolist()
    [0, 2]
    """
    labels = np.asarray(y)
    if labels.ndim != 1 or labels.shape[0] != n:
        raise ConfigurationError(f"{name}: expected {n} labels (1-D), got shape {labels.shape}")
    if labels.dtype.kind == "f":
        if not np.all(np.isfinite(labels)) or np.any(labels != np.round(labels)):
            raise ConfigurationError(f"{name}: labels must be integers, got non-integer floats")
    elif labels.dtype.kind not in "iu":
        raise ConfigurationError(f"{name}: labels must be integers, got dtype {labels.dtype}")
    out = labels.astype(np.int64)
    if n and (out.min() < 0 or out.max() >= k):
        bad = int(out[(out < 0) | (out >= k)][0])
        raise ConfigurationError(f"{name}: label {bad} is out of range [0, {k})")
    return out


def _check(probs: npt.ArrayLike, y: npt.ArrayLike) -> tuple[FloatArray, IntArray]:
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] < 1:
        raise ConfigurationError(f"probs: expected a 2-D (n, k) array, got shape {p.shape}")
    if p.shape[0] == 0:
        raise EmptyDataError("probs: no rows to score")
    if not np.all(np.isfinite(p)):
        raise ConfigurationError("probs: contains NaN or infinite values")
    return p, check_labels(y, p.shape[0], p.shape[1])


def _check_bins(n_bins: int) -> None:
    if isinstance(n_bins, bool) or not isinstance(n_bins, int | np.integer) or n_bins < 1:
        raise ConfigurationError(f"n_bins must be a positive integer, got {n_bins!r}")


def _top_label(p: FloatArray, y: IntArray) -> tuple[FloatArray, FloatArray]:
    confidence = p.max(axis=1)
    correct = (p.argmax(axis=1) == y).astype(np.float64)
    return confidence, correct


def _equal_width_gaps(
    probs: npt.ArrayLike, y: npt.ArrayLike, n_bins: int
) -> tuple[FloatArray, FloatArray]:
    """Per-bin |accuracy - confidence| and row counts over equal-width bins."""
    _check_bins(n_bins)
    p, labels = _check(probs, y)
    confidence, correct = _top_label(p, labels)
    interior = np.linspace(0.0, 1.0, n_bins + 1)[1:-1]
    index = np.searchsorted(interior, confidence, side="left")
    counts = np.bincount(index, minlength=n_bins).astype(np.float64)
    conf_sum = np.bincount(index, weights=confidence, minlength=n_bins)
    acc_sum = np.bincount(index, weights=correct, minlength=n_bins)
    safe = np.maximum(counts, 1.0)
    gaps = np.abs(acc_sum / safe - conf_sum / safe)
    return gaps, counts


def ece(probs: npt.ArrayLike, y: npt.ArrayLike, n_bins: int = 15) -> float:
    """Expected calibration error, top-label, over ``n_bins`` equal-width bins.

    Examples
    --------
    >>> import numpy as np
    >>> round(ece(np.array([[0.9, 0.1], [0.9, 0.1]]), np.array([0, 0])), 6)
    0.1
    """
    gaps, counts = _equal_width_gaps(probs, y, n_bins)
    return float(np.sum(gaps * counts) / counts.sum())


def mce(probs: npt.ArrayLike, y: npt.ArrayLike, n_bins: int = 15) -> float:
    """Maximum calibration error: the largest gap over non-empty equal-width bins.

    Examples
    --------
    >>> import numpy as np
    >>> probs = np.array([[0.9, 0.1], [0.6, 0.4]])
    >>> round(mce(probs, np.array([0, 1])), 6)
    0.6
    """
    gaps, counts = _equal_width_gaps(probs, y, n_bins)
    return float(gaps[counts > 0].max())


def ece_equal_mass(probs: npt.ArrayLike, y: npt.ArrayLike, n_bins: int = 15) -> float:
    """Expected calibration error over bins holding (nearly) equal numbers of rows.

    Rows are sorted by confidence and cut into ``min(n_bins, n)`` consecutive groups whose
    sizes differ by at most one.

    Examples
    --------
    >>> import numpy as np
    >>> probs = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.6, 0.4]])
    >>> round(ece_equal_mass(probs, np.array([0, 0, 0, 1]), n_bins=2), 6)
    0.1
    """
    _check_bins(n_bins)
    p, labels = _check(probs, y)
    confidence, correct = _top_label(p, labels)
    order = np.argsort(confidence, kind="stable")
    total = 0.0
    for group in np.array_split(order, min(n_bins, len(order))):
        total += len(group) * abs(float(correct[group].mean() - confidence[group].mean()))
    return total / len(order)


def brier(probs: npt.ArrayLike, y: npt.ArrayLike) -> float:
    """Multi-class Brier score: mean over rows of ``sum_k (p_k - onehot_k)^2``.

    Examples
    --------
    >>> import numpy as np
    >>> brier(np.array([[1.0, 0.0], [0.5, 0.5]]), np.array([0, 1]))
    0.25
    """
    p, labels = _check(probs, y)
    onehot = np.zeros_like(p)
    onehot[np.arange(len(labels)), labels] = 1.0
    return float(np.mean(np.sum((p - onehot) ** 2, axis=1)))


def nll(probs: npt.ArrayLike, y: npt.ArrayLike) -> float:
    """Mean negative log-likelihood of the true labels (probabilities clipped at 1e-12).

    Examples
    --------
    >>> import numpy as np
    >>> round(nll(np.array([[0.5, 0.5], [0.25, 0.75]]), np.array([0, 1])), 6)
    0.490415
    """
    p, labels = _check(probs, y)
    picked = np.clip(p[np.arange(len(labels)), labels], PROB_FLOOR, None)
    return float(-np.mean(np.log(picked)))


def accuracy(probs: npt.ArrayLike, y: npt.ArrayLike) -> float:
    """Share of rows whose arg-max class is the label.

    Examples
    --------
    >>> import numpy as np
    >>> accuracy(np.array([[0.9, 0.1], [0.8, 0.2]]), np.array([0, 1]))
    0.5
    """
    p, labels = _check(probs, y)
    return float(np.mean(p.argmax(axis=1) == labels))


@dataclass(frozen=True, slots=True)
class ClassificationMetrics:
    """Accuracy and calibration of one set of predictions.

    Parameters
    ----------
    accuracy : float
        Share of correct arg-max predictions.
    nll : float
        Mean negative log-likelihood.
    brier : float
        Multi-class Brier score.
    ece : float
        Top-label expected calibration error (15 equal-width bins).

    Examples
    --------
    >>> ClassificationMetrics(0.9, 0.3, 0.15, 0.02).to_dict()["ece"]
    0.02
    """

    accuracy: float
    nll: float
    brier: float
    ece: float

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return asdict(self)


def classification_metrics(
    probs: npt.ArrayLike, y: npt.ArrayLike, n_bins: int = 15
) -> ClassificationMetrics:
    """Accuracy, NLL, Brier score and equal-width ECE in one result.

    Examples
    --------
    >>> import numpy as np
    >>> m = classification_metrics(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([0, 1]))
    >>> m.accuracy, m.ece
    (1.0, 0.0)
    """
    return ClassificationMetrics(
        accuracy=accuracy(probs, y),
        nll=nll(probs, y),
        brier=brier(probs, y),
        ece=ece(probs, y, n_bins),
    )
