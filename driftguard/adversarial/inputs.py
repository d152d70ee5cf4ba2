"""Checks of the RAW numeric values of a request: out of the training range, off the training grid.

Both read the raw numeric matrix (float64, one column per numeric feature in the encoder's
schema order, before standardisation: the service's ``batch.matrix``), because standardising
hides a grid (``(x - mean) / std``) and clipping can hide a range. NaN is never suspicious here
(it is imputed by the encoder and counted by validation).

- :class:`InputRange`: ``sum_j max(low_j - x_j, 0, x_j - high_j) / unit_j``, how far a row lies
  outside the per-feature training ``[min, max]``, in training standard deviations (1 for a
  constant feature). 0 inside the box.
- :class:`InputGrid`: the number of features whose value is not on the grid the training values
  lie on. A feature has a grid ``offset + k * step`` when it has at least two distinct training
  values and every one of them is within ``tolerance * step`` of ``min + k * step`` with ``step``
  the smallest gap between distinct values (integers, counts, prices in cents, pixels 0..16);
  other features have no grid and never count.

Examples
--------
>>> import numpy as np
>>> train = np.array([[0.0, 0.1], [1.0, 0.7], [3.0, 0.35]])
>>> InputGrid().fit(train).has_grid_.tolist()
[True, False]
>>> InputGrid().fit(train).score(np.array([[2.0, 9.9], [2.5, 0.2]])).tolist()
[0.0, 1.0]
>>> InputRange().fit(train).score(np.array([[1.0, 0.2], [5.0, 0.2]])).round(2).tolist()
[0.0, 1.6]
"""

from __future__ import annotations

from typing import Self

import numpy as np
import numpy.typing as npt

from driftguard.errors import ConfigurationError, NotFittedError

__all__ = ["InputGrid", "InputRange"]

FloatArray = npt.NDArray[np.float64]
#: Raw values are clipped to +-LARGE before the grid check (no overflow to inf, so no NaN).
LARGE = 1e15


def _raw(values: npt.ArrayLike, name: str) -> FloatArray:
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 2:
        raise ConfigurationError(f"{name}: expected a 2-D (rows, features) array, got {x.shape}")
    return x


def _check_columns(x: FloatArray, expected: int, name: str) -> None:
    if x.shape[1] != expected:
        raise ConfigurationError(f"{name}: rows have {x.shape[1]} features, expected {expected}")


class InputRange:
    """Distance outside the per-feature training range, in training standard deviations.

    Examples
    --------
    >>> import numpy as np
    >>> r = InputRange().fit(np.array([[0.0], [2.0]]))
    >>> r.score(np.array([[1.0], [4.0], [-1.0], [np.nan]])).tolist()
    [0.0, 2.0, 1.0, 0.0]
    """

    def fit(self, raw: npt.ArrayLike) -> Self:
        """Learn per-feature min, max and standard deviation (NaN ignored)."""
        x = _raw(raw, "raw")
        finite = np.where(np.isfinite(x), x, np.nan)
        if x.shape[0] == 0 or np.any(np.all(np.isnan(finite), axis=0)):
            raise ConfigurationError("raw: every feature needs a finite training value")
        self.low_ = np.nanmin(finite, axis=0)
        self.high_ = np.nanmax(finite, axis=0)
        std = np.nanstd(finite, axis=0)
        self.unit_ = np.where(std > 0.0, std, 1.0)
        self.inv_unit_ = 1.0 / self.unit_
        return self

    def score(self, raw: npt.ArrayLike) -> FloatArray:
        """Sum over features of the standardised excess outside ``[low, high]`` (0 inside)."""
        if not hasattr(self, "low_"):
            raise NotFittedError("InputRange is not fitted; call fit(raw)")
        x = _raw(raw, "raw")
        _check_columns(x, len(self.low_), "raw")
        excess = np.fmax(self.low_ - x, 0.0)  # fmax turns NaN into 0
        excess += np.fmax(x - self.high_, 0.0)
        return np.asarray(excess @ self.inv_unit_, dtype=np.float64)

    @classmethod
    def from_arrays(cls, low: FloatArray, high: FloatArray, unit: FloatArray) -> InputRange:
        """Rebuild a fitted instance from its learned arrays.

        Examples
        --------
        >>> import numpy as np
        >>> InputRange.from_arrays(np.zeros(1), np.ones(1), np.ones(1)).score([[3.0]]).tolist()
        [2.0]
        """
        out = cls()
        out.low_, out.high_ = np.asarray(low, float), np.asarray(high, float)
        out.unit_ = np.asarray(unit, float)
        out.inv_unit_ = 1.0 / out.unit_
        return out


class InputGrid:
    """Number of features whose value is off the grid of the training values.

    Parameters
    ----------
    tolerance : float, default 1e-3
        Largest distance to the grid, in grid steps, that still counts as on the grid.

    Examples
    --------
    >>> import numpy as np
    >>> g = InputGrid().fit(np.array([[0.0], [0.5], [2.0]]))
    >>> float(g.step_[0]), g.score(np.array([[1.5], [1.25], [7.0]])).tolist()
    (0.5, [0.0, 1.0, 0.0])
    """

    def __init__(self, tolerance: float = 1e-3) -> None:
        self.tolerance = tolerance

    def fit(self, raw: npt.ArrayLike) -> Self:
        """Find the grid (offset, step) of every feature that has one."""
        if not 0.0 < self.tolerance < 0.5:
            raise ConfigurationError(f"tolerance must be in (0, 0.5), got {self.tolerance!r}")
        x = _raw(raw, "raw")
        grids = [self._grid(x[:, j]) for j in range(x.shape[1])]
        self.offset_ = np.array([g[0] for g in grids], dtype=np.float64)
        self.step_ = np.array([g[1] for g in grids], dtype=np.float64)
        self.has_grid_ = np.array([g[2] for g in grids], dtype=bool)
        self.inv_step_ = 1.0 / self.step_
        self.limit_ = np.where(self.has_grid_, self.tolerance, np.inf)
        return self

    def _grid(self, column: FloatArray) -> tuple[float, float, bool]:
        values = np.unique(column[np.isfinite(column)])
        if len(values) < 2:
            return 0.0, 1.0, False
        step = float(np.diff(values).min())
        k = (values - values[0]) / step
        on_grid = bool(np.all(np.abs(k - np.rint(k)) <= self.tolerance)) and step > 0.0
        return (float(values[0]), step, True) if on_grid else (0.0, 1.0, False)

    def score(self, raw: npt.ArrayLike) -> FloatArray:
        """How many gridded features of each row are off their grid (NaN never counts)."""
        if not hasattr(self, "step_"):
            raise NotFittedError("InputGrid is not fitted; call fit(raw)")
        x = _raw(raw, "raw")
        _check_columns(x, len(self.step_), "raw")
        k = np.maximum(x, -LARGE)  # keeps NaN (never off the grid)
        np.minimum(k, LARGE, out=k)
        k -= self.offset_
        k *= self.inv_step_
        k -= np.rint(k)
        off = np.abs(k, out=k) > self.limit_
        return np.asarray(off.sum(axis=1, dtype=np.float64))

    @classmethod
    def from_arrays(
        cls, offset: FloatArray, step: FloatArray, has_grid: npt.NDArray[np.bool_], tolerance: float
    ) -> InputGrid:
        """Rebuild a fitted instance from its learned arrays.

        Examples
        --------
        >>> import numpy as np
        >>> g = InputGrid.from_arrays(np.zeros(1), np.ones(1), np.array([True]), 1e-3)
        >>> g.score(np.array([[2.0], [2.5]])).tolist()
        [0.0, 1.0]
        """
        out = cls(tolerance)
        out.offset_, out.step_ = np.asarray(offset, float), np.asarray(step, float)
        out.has_grid_ = np.asarray(has_grid, dtype=bool)
        out.inv_step_ = 1.0 / out.step_
        out.limit_ = np.where(out.has_grid_, tolerance, np.inf)
        return out
