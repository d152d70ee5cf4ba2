"""Window scores: one divergence per feature, computed from fixed-bin counts.

Every method works on counts shaped ``(..., bins)`` so a single call scores one window or a
thousand resampled ones. ``wasserstein`` (numeric features only) is the first Wasserstein
distance between the binned distributions, exact in the tails (from the tail sums kept beside
the counts) and linear within bins, divided by the reference standard deviation, plus the
change in the share of missing values (as if each missing value moved one std).

Examples
--------
>>> import numpy as np
>>> ref = np.array([10, 10])
>>> round(float(divergence("tvd", ref, np.array([[15, 5]]))[0]), 3)
0.25
"""

from __future__ import annotations

import numpy as np

from driftguard.drift.binning import FloatArray, NumericBins
from driftguard.errors import ConfigurationError
from driftguard.stats.binned import (
    hellinger_values,
    jensen_shannon_values,
    kl_values,
    psi_values,
    tvd_values,
)
from driftguard.types import FeatureKind

__all__ = [
    "DEFAULT_METHOD",
    "DEFAULT_MIN_EFFECT",
    "METHODS",
    "SAMPLING_POWER",
    "binned_wasserstein",
    "check_method",
    "divergence",
]

_DIVERGENCES = {
    "psi": psi_values,
    "kl": kl_values,
    "jensen_shannon": jensen_shannon_values,
    "hellinger": hellinger_values,
    "tvd": tvd_values,
}
METHODS = (*_DIVERGENCES, "wasserstein")
DEFAULT_METHOD = {FeatureKind.NUMERIC: "wasserstein", FeatureKind.CATEGORICAL: "psi"}
DEFAULT_MIN_EFFECT = dict.fromkeys(METHODS, 0.1)
#: ``1 / k`` where ``score ** k`` scales like ``1/n + 1/f`` under no drift.
SAMPLING_POWER = {"psi": 1.0, "kl": 1.0, "jensen_shannon": 0.5, "hellinger": 0.5, "tvd": 0.5}
SAMPLING_POWER["wasserstein"] = 0.5


def check_method(feature: str, method: str, kind: FeatureKind) -> str:
    """Return ``method`` if it can score a feature of ``kind``, else raise naming both."""
    if method not in METHODS:
        raise ConfigurationError(f"feature {feature!r}: unknown method {method!r}; use {METHODS}")
    if method == "wasserstein" and kind is FeatureKind.CATEGORICAL:
        raise ConfigurationError(f"feature {feature!r}: wasserstein needs a numeric feature")
    return method


def _share(counts: FloatArray) -> FloatArray:
    total = counts.sum(axis=-1, keepdims=True)
    return np.asarray(
        np.divide(counts, total, out=np.zeros_like(counts), where=total > 0), dtype=np.float64
    )


def divergence(method: str, reference: FloatArray, current: FloatArray) -> FloatArray:
    """Score ``current`` counts ``(..., bins)`` against ``reference`` counts (broadcast)."""
    ref = _share(np.asarray(reference, dtype=np.float64))
    cur = _share(np.asarray(current, dtype=np.float64))
    return _DIVERGENCES[method](ref, cur)


def _segment_area(a: FloatArray, b: FloatArray) -> FloatArray:
    """Integral over [0, 1] of |a + (b - a) t| (the CDF gap on one bin of unit width)."""
    same = a * b >= 0
    total = np.abs(a) + np.abs(b)
    crossing = np.divide(a * a + b * b, 2.0 * total, out=np.zeros_like(total), where=total > 0)
    return np.where(same, total / 2.0, crossing)


def binned_wasserstein(
    bins: NumericBins | FloatArray,
    reference: FloatArray,
    ref_tails: FloatArray,
    current: FloatArray,
    cur_tails: FloatArray,
    scale: float | FloatArray,
) -> FloatArray:
    """Normalised W1 between binned distributions; counts are ``(..., K + 3)``, tails ``(..., 2)``.

    ``bins`` is a :class:`NumericBins` or the interior bin widths ``(..., K)``, so that
    features with the same number of bins are scored in one call (``scale`` broadcasts).

    Examples
    --------
    >>> import numpy as np
    >>> b = NumericBins(np.array([0.0, 1.0, 2.0]))
    >>> ref = np.array([0.0, 5.0, 5.0, 0.0, 0.0])
    >>> cur = np.array([[0.0, 0.0, 10.0, 0.0, 0.0]])
    >>> float(binned_wasserstein(b, ref, np.zeros(2), cur, np.zeros((1, 2)), 1.0)[0])
    0.5
    """
    ref = np.asarray(reference, dtype=np.float64)
    cur = np.asarray(current, dtype=np.float64)
    widths = np.diff(bins.edges) if isinstance(bins, NumericBins) else np.asarray(bins)
    k = widths.shape[-1]
    m_ref = np.maximum(ref[..., :-1].sum(axis=-1), 1.0)[..., None]
    m_cur = cur[..., :-1].sum(axis=-1)
    f_ref = np.cumsum(ref[..., : k + 1], axis=-1) / m_ref
    f_cur = np.cumsum(cur[..., : k + 1], axis=-1) / np.maximum(m_cur, 1.0)[..., None]
    gap = f_ref - f_cur
    interior = np.sum(_segment_area(gap[..., :-1], gap[..., 1:]) * widths, axis=-1)
    tails_ref = np.asarray(ref_tails) / m_ref
    tails_cur = np.asarray(cur_tails) / np.maximum(m_cur, 1.0)[..., None]
    tail_gap = np.sum(np.abs(tails_cur - tails_ref), axis=-1)
    nan_gap = np.abs(_share(cur)[..., -1] - _share(ref)[..., -1])
    distance = np.where(m_cur > 0, (interior + tail_gap) / scale, 0.0)
    return np.asarray(distance + nan_gap, dtype=np.float64)
