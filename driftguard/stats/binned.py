"""Divergences between binned distributions (counts on the same fixed bins).

Each public function is called as ``f(reference_counts, current_counts)`` and returns a
:class:`StatResult`; the ``*_values`` functions are their vectorised cores and work along the
last axis, so one call scores many features or many resampled windows. Zero proportions are
floored at ``eps`` (default 1e-4) in PSI and KL, which are otherwise infinite.

Examples
--------
>>> import numpy as np
>>> round(psi(np.array([50, 50]), np.array([80, 20])).statistic, 4)
0.4159
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

from driftguard.stats._checks import FloatArray, counts, proportions
from driftguard.types import StatResult

__all__ = [
    "chi2",
    "hellinger",
    "hellinger_values",
    "jensen_shannon",
    "jensen_shannon_values",
    "kl",
    "kl_values",
    "psi",
    "psi_values",
    "tvd",
    "tvd_values",
]

EPS = 1e-4


def psi_values(p: FloatArray, q: FloatArray, eps: float = EPS) -> FloatArray:
    """Population stability index ``sum((q - p) * ln(q / p))`` on proportions."""
    p, q = np.maximum(p, eps), np.maximum(q, eps)
    return np.asarray(np.sum((q - p) * np.log(q / p), axis=-1), dtype=np.float64)


def kl_values(p: FloatArray, q: FloatArray, eps: float = EPS) -> FloatArray:
    """Kullback-Leibler divergence of current from reference, ``sum(q * ln(q / p))``."""
    p, q = np.maximum(p, eps), np.maximum(q, eps)
    return np.asarray(np.sum(q * np.log(q / p), axis=-1), dtype=np.float64)


def jensen_shannon_values(p: FloatArray, q: FloatArray) -> FloatArray:
    """Jensen-Shannon distance (square root of the divergence, natural log), in [0, sqrt(ln 2)]."""
    m = 0.5 * (p + q)
    with np.errstate(divide="ignore", invalid="ignore"):
        left = np.where(p > 0, p * np.log(p / m), 0.0)
        right = np.where(q > 0, q * np.log(q / m), 0.0)
    div = 0.5 * np.sum(left + right, axis=-1)
    return np.asarray(np.sqrt(np.maximum(div, 0.0)), dtype=np.float64)


def hellinger_values(p: FloatArray, q: FloatArray) -> FloatArray:
    """Hellinger distance ``sqrt(1 - sum(sqrt(p * q)))``, in [0, 1]."""
    bc = np.sum(np.sqrt(p * q), axis=-1)
    return np.asarray(np.sqrt(np.maximum(1.0 - bc, 0.0)), dtype=np.float64)


def tvd_values(p: FloatArray, q: FloatArray) -> FloatArray:
    """Total variation distance ``0.5 * sum(|p - q|)``, in [0, 1]."""
    return np.asarray(0.5 * np.sum(np.abs(p - q), axis=-1), dtype=np.float64)


def _pq(reference: Any, current: Any) -> tuple[FloatArray, FloatArray]:
    ref, cur = counts(reference, "reference"), counts(current, "current")
    if ref.shape[-1] != cur.shape[-1]:
        raise ValueError(f"reference has {ref.shape[-1]} bins, current has {cur.shape[-1]}")
    return proportions(ref), proportions(cur)


def psi(reference: Any, current: Any, *, eps: float = EPS) -> StatResult:
    """Population stability index of two count vectors on the same bins."""
    return StatResult(float(psi_values(*_pq(reference, current), eps)), None)


def kl(reference: Any, current: Any, *, eps: float = EPS) -> StatResult:
    """KL divergence of the current distribution from the reference one."""
    return StatResult(float(kl_values(*_pq(reference, current), eps)), None)


def jensen_shannon(reference: Any, current: Any) -> StatResult:
    """Jensen-Shannon distance (as scipy.spatial.distance.jensenshannon, natural log)."""
    return StatResult(float(jensen_shannon_values(*_pq(reference, current))), None)


def hellinger(reference: Any, current: Any) -> StatResult:
    """Hellinger distance of two count vectors on the same bins."""
    return StatResult(float(hellinger_values(*_pq(reference, current))), None)


def tvd(reference: Any, current: Any) -> StatResult:
    """Total variation distance of two count vectors on the same bins."""
    return StatResult(float(tvd_values(*_pq(reference, current))), None)


def chi2(reference: Any, current: Any) -> StatResult:
    """Pearson chi-squared goodness of fit of current counts to reference proportions.

    Expected counts are the reference proportions times the current total; bins empty on
    both sides are dropped. A current count in a bin the reference never saw makes the
    statistic infinite (p-value 0), since the reference gives that bin no probability.

    Examples
    --------
    >>> import numpy as np
    >>> r = chi2(np.array([25, 25, 50]), np.array([30, 20, 50]))
    >>> round(r.statistic, 3), round(r.p_value, 3)
    (2.0, 0.368)
    """
    ref, cur = counts(reference, "reference"), counts(current, "current")
    if ref.ndim != 1 or ref.shape != cur.shape:
        raise ValueError("chi2 takes two 1-D count vectors of the same length")
    expected = proportions(ref) * cur.sum()
    used = (expected > 0) | (cur > 0)
    if np.any(cur[used][expected[used] == 0] > 0):
        return StatResult(float("inf"), 0.0)
    e, o = expected[used], cur[used]
    statistic = float(np.sum((o - e) ** 2 / e))
    return StatResult(statistic, float(stats.chi2.sf(statistic, max(e.size - 1, 1))))
