"""Input checks shared by the statistics (float64, NaN handling, clear errors)."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from driftguard.errors import ConfigurationError, EmptyDataError

FloatArray = npt.NDArray[np.float64]


def sample_1d(values: Any, side: str, *, allow_inf: bool = True) -> FloatArray:
    """Return finite-or-infinite float64 values of a 1-D sample, NaN dropped."""
    arr = np.asarray(values, dtype=np.float64).ravel()
    arr = arr[~np.isnan(arr)]
    if arr.size == 0:
        raise EmptyDataError(f"{side}: no non-missing values")
    if not allow_inf and not np.all(np.isfinite(arr)):
        raise ConfigurationError(f"{side}: infinite values have no finite distance")
    return arr


def sample_2d(values: Any, side: str) -> FloatArray:
    """Return a (rows, features) float64 sample; rows with NaN or ±inf are an error."""
    arr = np.asarray(values, dtype=np.float64)
    arr = arr[:, None] if arr.ndim == 1 else arr
    if arr.ndim != 2 or arr.shape[0] < 2:
        raise EmptyDataError(f"{side}: need a 2-D sample with at least two rows")
    if not np.all(np.isfinite(arr)):
        raise ConfigurationError(f"{side}: NaN or infinite values (impute or drop them first)")
    return arr


def counts(values: Any, side: str) -> FloatArray:
    """Return non-negative bin counts (any trailing shape) as float64."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 0 or arr.shape[-1] == 0:
        raise EmptyDataError(f"{side}: no bins")
    if np.any(~np.isfinite(arr)) or np.any(arr < 0):
        raise ConfigurationError(f"{side}: counts must be finite and non-negative")
    if np.any(arr.sum(axis=-1) <= 0):
        raise EmptyDataError(f"{side}: counts sum to zero")
    return arr


def proportions(values: FloatArray) -> FloatArray:
    """Normalise counts along the last axis."""
    return np.asarray(values / values.sum(axis=-1, keepdims=True), dtype=np.float64)
