"""Multiple-testing corrections across features: Holm (FWER) and Benjamini-Hochberg (FDR).

Both return adjusted p-values in the input order; reject where ``adjusted <= alpha``.

Examples
--------
>>> import numpy as np
>>> holm(np.array([0.01, 0.04, 0.03])).round(3).tolist()
[0.03, 0.06, 0.06]
>>> benjamini_hochberg(np.array([0.01, 0.04, 0.03])).round(3).tolist()
[0.03, 0.04, 0.04]
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from driftguard.errors import ConfigurationError

__all__ = ["CORRECTIONS", "adjust", "benjamini_hochberg", "holm"]

FloatArray = npt.NDArray[np.float64]


def _checked(p_values: npt.ArrayLike) -> FloatArray:
    p = np.asarray(p_values, dtype=np.float64).ravel()
    if np.any(np.isnan(p)) or np.any((p < 0) | (p > 1)):
        raise ConfigurationError("p_values must lie in [0, 1]")
    return p


def holm(p_values: npt.ArrayLike) -> FloatArray:
    """Holm's step-down adjusted p-values (controls the family-wise error rate)."""
    p = _checked(p_values)
    order = np.argsort(p, kind="stable")
    scaled = (p.size - np.arange(p.size)) * p[order]
    adjusted = np.empty_like(p)
    adjusted[order] = np.minimum(np.maximum.accumulate(scaled), 1.0)
    return adjusted


def benjamini_hochberg(p_values: npt.ArrayLike) -> FloatArray:
    """Benjamini-Hochberg step-up adjusted p-values (controls the false discovery rate)."""
    p = _checked(p_values)
    order = np.argsort(p, kind="stable")
    scaled = p[order] * p.size / np.arange(1, p.size + 1)
    adjusted = np.empty_like(p)
    adjusted[order] = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    return adjusted


CORRECTIONS = {"holm": holm, "bh": benjamini_hochberg, "none": _checked}


def adjust(p_values: npt.ArrayLike, method: str) -> FloatArray:
    """Apply the correction named ``method`` (``"holm"``, ``"bh"`` or ``"none"``)."""
    if method not in CORRECTIONS:
        raise ConfigurationError(f"correction: {method!r} is not one of {sorted(CORRECTIONS)}")
    return CORRECTIONS[method](p_values)
