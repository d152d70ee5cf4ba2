"""Resampling helpers: p-values that are never zero, seeded generators.

Examples
--------
>>> import numpy as np
>>> permutation_p_value(5.0, np.array([1.0, 2.0, 6.0]))
0.5
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from driftguard.errors import ConfigurationError

__all__ = ["permutation_p_value", "permutation_p_values", "rng"]


def rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    """Return a generator; ``None`` means seed 0, so results are repeatable by default."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(0 if seed is None else seed)


def permutation_p_value(observed: float, null: npt.NDArray[np.float64]) -> float:
    """Return ``(1 + k) / (1 + B)``, k the null draws at least as large as ``observed``.

    The observed value counts as one draw of the null, so the p-value is never 0.
    """
    return float(permutation_p_values(np.asarray([observed]), np.asarray(null))[0])


def permutation_p_values(
    observed: npt.NDArray[np.float64], null: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Vectorised :func:`permutation_p_value` for many observed values against one null."""
    null = np.sort(np.asarray(null, dtype=np.float64).ravel())
    if null.size == 0:
        raise ConfigurationError("null: at least one resampled statistic is required")
    at_least = null.size - np.searchsorted(null, np.asarray(observed, np.float64), side="left")
    return np.asarray((1.0 + at_least) / (1.0 + null.size), dtype=np.float64)
