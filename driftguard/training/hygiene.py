"""Data hygiene before training: usable targets and no leakage across splits.

``check_targets`` refuses NaN targets, a single class and mismatched lengths with a
:class:`~driftguard.errors.TrainingDataError` that says what is wrong. ``leakage_report``
counts rows of a validation or test split that also appear in the training split, exactly
(identical values) or nearly (identical after standardising and rounding to ``decimals``).

Examples
--------
>>> import numpy as np
>>> train = np.array([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]])
>>> test = np.array([[2.0, 3.0], [9.0, 9.0]])
>>> leakage_report(train, test, "test").exact
1
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from driftguard.errors import ConfigurationError, MissingColumnError, TrainingDataError
from driftguard.schema.features import Columns, to_columns

__all__ = ["LeakageReport", "check_targets", "leakage_report", "split_target"]


@dataclass(frozen=True, slots=True)
class LeakageReport:
    """Rows of one split shared with the training split.

    Examples
    --------
    >>> LeakageReport("test", 100, 2, 5).share
    0.05
    """

    split: str
    n_rows: int
    exact: int
    near: int

    @property
    def share(self) -> float:
        """Share of the split's rows that are exact or near duplicates of training rows."""
        return self.near / self.n_rows if self.n_rows else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready counts."""
        return {"split": self.split, "rows": self.n_rows, "exact": self.exact, "near": self.near}


def check_targets(y: npt.ArrayLike, n_rows: int, *, classification: bool = True) -> None:
    """Raise :class:`TrainingDataError` on unusable targets."""
    target = np.asarray(y)
    if target.shape[0] != n_rows:
        raise TrainingDataError(f"target has {target.shape[0]} values but the data {n_rows} rows")
    if target.dtype.kind == "f":
        missing = int(np.isnan(target).sum())
        if missing:
            raise TrainingDataError(f"target has {missing} missing (NaN) values; drop or fill them")
    elif target.dtype.kind in "OUS":
        missing = sum(v is None or v != v or v == "" for v in target.tolist())
        if missing:
            raise TrainingDataError(f"target has {missing} missing values; drop or fill them")
    if classification and np.unique(target.astype(str)).size < 2:
        raise TrainingDataError("target has a single class; a classifier needs at least two")


def _row_keys(x: npt.NDArray[np.float64]) -> set[bytes]:
    return {row.tobytes() for row in np.ascontiguousarray(x)}


def leakage_report(
    train: npt.ArrayLike, other: npt.ArrayLike, split: str, decimals: int = 3
) -> LeakageReport:
    """Count ``other`` rows duplicated in ``train`` (exact, and near after rounding)."""
    train_x = np.asarray(train, dtype=np.float64)
    other_x = np.asarray(other, dtype=np.float64)
    if train_x.ndim != 2 or other_x.ndim != 2 or train_x.shape[1] != other_x.shape[1]:
        raise TrainingDataError("leakage check needs two 2-D arrays with the same columns")
    exact_keys = _row_keys(train_x)
    exact = sum(row.tobytes() in exact_keys for row in np.ascontiguousarray(other_x))
    mean = np.nanmean(train_x, axis=0) if train_x.size else 0.0
    std = np.nanstd(train_x, axis=0) if train_x.size else 1.0
    std = np.where(np.asarray(std) > 0, std, 1.0)

    def rounded(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        out = np.round(np.nan_to_num((x - mean) / std, nan=0.0), decimals) + 0.0
        return np.asarray(out, dtype=np.float64)

    near_keys = _row_keys(rounded(train_x))
    near = sum(row.tobytes() in near_keys for row in np.ascontiguousarray(rounded(other_x)))
    return LeakageReport(split, int(other_x.shape[0]), int(exact), int(near))


def split_target(data: Any, target: str) -> tuple[Columns, npt.NDArray[Any]]:
    """The feature columns and the checked target column of a table.

    Examples
    --------
    >>> cols, y = split_target({"x": [1.0, 2.0], "y": ["a", "b"]}, "y")
    >>> list(cols), y.tolist()
    (['x'], ['a', 'b'])
    """
    cols = to_columns(data)
    if target not in cols:
        raise MissingColumnError(target, "is the --target but not a column of the data")
    y_raw = cols.pop(target)
    if not cols:
        raise ConfigurationError("the data has no feature columns besides the target")
    check_targets(y_raw, len(y_raw))
    return cols, y_raw
