"""Checked numeric matrices: one place that turns array-likes into finite 2-D arrays.

Every failure raises :class:`~driftguard.errors.InvalidInputError` naming the field, so a
caller (the probing detector, the feedback screen, a service route) can pass it on unchanged.

Examples
--------
>>> finite_matrix([[1, 2]], "x").shape
(1, 2)
>>> finite_matrix([[1.0, float("nan")]], "x")
Traceback (most recent call last):
...
driftguard.errors.InvalidInputError: x: contains NaN or infinite values
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from driftguard.errors import InvalidInputError

__all__ = ["finite_matrix"]


def finite_matrix(
    values: npt.ArrayLike, field: str, width: int | None = None, dtype: Any = np.float64
) -> npt.NDArray[Any]:
    """A finite ``(rows, features)`` matrix of ``dtype`` (``width`` columns when given)."""
    try:
        m = np.asarray(values, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(field, f"not a numeric matrix ({exc})") from None
    if m.ndim != 2:
        raise InvalidInputError(field, f"expected a 2-D matrix (rows, features), got {m.shape}")
    if width is not None and m.shape[1] != width:
        raise InvalidInputError(field, f"expected {width} columns, got {m.shape[1]}")
    if not np.isfinite(m).all():
        raise InvalidInputError(field, "contains NaN or infinite values")
    return m
