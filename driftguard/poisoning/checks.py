"""Input checks of the feedback screen: every failure names the offending field.

Matrices are checked by :func:`driftguard.schema.arrays.finite_matrix`.

Examples
--------
>>> import numpy as np
>>> class_labels([0, 2], n_classes=3, field="labels").tolist()
[0, 2]
>>> class_labels([3], n_classes=3, field="labels")
Traceback (most recent call last):
...
driftguard.errors.InvalidInputError: labels: class indices must lie in 0..2, got 3
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from driftguard.errors import InvalidInputError

__all__ = ["class_labels", "same_rows"]


def class_labels(values: npt.ArrayLike, n_classes: int, field: str) -> npt.NDArray[np.intp]:
    """A 1-D array of integer class indices in ``0..n_classes-1``.

    Examples
    --------
    >>> class_labels(np.array([1.0, 0.0]), 2, "y").dtype == np.intp
    True
    """
    raw = np.asarray(values)
    if raw.ndim != 1:
        raise InvalidInputError(field, f"expected a 1-D array of class indices, got {raw.shape}")
    if raw.size and not np.issubdtype(raw.dtype, np.number):
        raise InvalidInputError(field, f"class indices must be integers, got dtype {raw.dtype}")
    if raw.size and not np.array_equal(raw, np.round(raw)):
        raise InvalidInputError(field, "class indices must be integers")
    labels = raw.astype(np.intp)
    bad = labels[(labels < 0) | (labels >= n_classes)]
    if bad.size:
        raise InvalidInputError(
            field, f"class indices must lie in 0..{n_classes - 1}, got {int(bad[0])}"
        )
    return labels


def same_rows(n_rows: int, **arrays: int) -> None:
    """Raise naming the first field whose row count differs from ``n_rows``.

    Examples
    --------
    >>> same_rows(3, labels=3, x_encoded=3)
    """
    for field, rows in arrays.items():
        if rows != n_rows:
            raise InvalidInputError(field, f"has {rows} rows, expected {n_rows}")
