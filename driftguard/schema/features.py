"""Explicit feature schemas.

A :class:`Schema` says, for every feature, whether it is numeric or categorical, together with
the range or vocabulary seen in the reference. Kinds come from the data's types (numbers are
numeric; text, booleans and Python objects are categorical) plus explicit overrides; they are
never guessed from the number of distinct values.

Examples
--------
>>> import numpy as np
>>> schema = infer_schema({"age": np.array([31.0, 45.0]), "city": np.array(["a", "b"])})
>>> [(f.name, f.kind.value) for f in schema.features]
[('age', 'numeric'), ('city', 'categorical')]
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from driftguard.errors import (
    ColumnTypeError,
    ConfigurationError,
    EmptyDataError,
    MissingColumnError,
)
from driftguard.types import FeatureKind

__all__ = ["Columns", "FeatureSpec", "Schema", "infer_schema", "take_rows", "to_columns"]

Columns = dict[str, npt.NDArray[Any]]


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """One feature of a schema.

    Parameters
    ----------
    name : str
        Column name.
    kind : FeatureKind
        Numeric or categorical.
    low, high : float or None
        Smallest and largest finite value seen in the reference (numeric only).
    vocabulary : tuple of str
        Sorted labels seen in the reference (categorical only).

    Examples
    --------
    >>> FeatureSpec("age", FeatureKind.NUMERIC, 18.0, 90.0).kind.value
    'numeric'
    """

    name: str
    kind: FeatureKind
    low: float | None = None
    high: float | None = None
    vocabulary: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class Schema:
    """An ordered, explicit set of features.

    Examples
    --------
    >>> s = Schema((FeatureSpec("x", FeatureKind.NUMERIC),))
    >>> s.names
    ('x',)
    """

    features: tuple[FeatureSpec, ...]
    _names: tuple[str, ...] = field(init=False, repr=False, compare=False, default=())

    def __post_init__(self) -> None:
        names = [f.name for f in self.features]
        if not names:
            raise ConfigurationError("schema: at least one feature is required")
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ConfigurationError(f"schema: duplicate feature names {dupes}")
        object.__setattr__(self, "_names", tuple(names))

    @property
    def names(self) -> tuple[str, ...]:
        """Feature names in order."""
        return self._names

    def __getitem__(self, name: str) -> FeatureSpec:
        for spec in self.features:
            if spec.name == name:
                return spec
        raise MissingColumnError(name, "not in the schema")

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready description."""
        return {
            "features": [
                {
                    "name": f.name,
                    "kind": f.kind.value,
                    "low": f.low,
                    "high": f.high,
                    "vocabulary": list(f.vocabulary),
                }
                for f in self.features
            ]
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Schema:
        """Rebuild a schema written by :meth:`to_dict`."""
        return cls(
            tuple(
                FeatureSpec(
                    name=str(f["name"]),
                    kind=FeatureKind(f["kind"]),
                    low=f.get("low"),
                    high=f.get("high"),
                    vocabulary=tuple(str(v) for v in f.get("vocabulary", ())),
                )
                for f in data["features"]
            )
        )


def to_columns(data: Any, names: Sequence[str] | None = None) -> Columns:
    """Turn a DataFrame, a mapping of columns or a 2-D array into a dict of 1-D arrays.

    Parameters
    ----------
    data : DataFrame, Mapping[str, array-like] or 2-D array
        The rows to read. A 2-D array takes its column names from ``names`` (or
        ``x0, x1, ...``).
    names : sequence of str, optional
        Column names for array input; for other input, the columns to keep.

    Raises
    ------
    MissingColumnError
        A requested column is absent.
    SchemaError
        The columns have different lengths or the array is not 2-D.
    """
    if hasattr(data, "columns") and hasattr(data, "__getitem__"):
        data = {str(c): data[c].to_numpy() for c in data.columns}
    if isinstance(data, Mapping):
        cols = {str(k): np.asarray(v) for k, v in data.items()}
    else:
        arr = np.asarray(data)
        if arr.ndim != 2:
            raise ColumnTypeError("<data>", f"expected a 2-D array, got {arr.ndim}-D")
        labels = list(names) if names is not None else [f"x{i}" for i in range(arr.shape[1])]
        if len(labels) != arr.shape[1]:
            raise ConfigurationError(f"names: {len(labels)} given for {arr.shape[1]} columns")
        dupes = sorted({n for n in labels if labels.count(n) > 1})
        if dupes:
            raise ConfigurationError(f"names: duplicate column names {dupes}")
        return {name: arr[:, i] for i, name in enumerate(labels)}
    if names is not None:
        missing = [n for n in names if n not in cols]
        if missing:
            raise MissingColumnError(missing[0])
        cols = {n: cols[n] for n in names}
    _check_lengths(cols)
    return cols


def _check_lengths(cols: Columns) -> None:
    lengths = {name: len(col) for name, col in cols.items()}
    if len(set(lengths.values())) > 1:
        first = next(iter(lengths))
        odd = next(n for n, k in lengths.items() if k != lengths[first])
        raise ColumnTypeError(odd, f"has {lengths[odd]} rows but {first!r} has {lengths[first]}")


def numeric_values(name: str, column: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
    """Read a column as float64 (NaN and ±inf kept); raise naming the column otherwise."""
    if column.dtype.kind in "iuf":
        return column.astype(np.float64, copy=False)
    if column.dtype.kind == "b":
        raise ColumnTypeError(name, "boolean values in a numeric column")
    out = np.empty(len(column), dtype=np.float64)
    for i, value in enumerate(column):
        out[i] = _as_float(name, value)
    return out


def _as_float(name: str, value: Any) -> float:
    if is_missing(value):
        return math.nan
    if isinstance(value, bool | np.bool_):
        raise ColumnTypeError(name, f"boolean value {value!r} in a numeric column")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ColumnTypeError(name, f"non-numeric value {value!r} in a numeric column") from None


_MISSING_TYPES = frozenset({"NAType", "NaTType"})


def is_missing(value: Any) -> bool:
    """Tell whether a value counts as missing (None, a float NaN, pandas' NA or NaT)."""
    if value is None or type(value).__name__ in _MISSING_TYPES:
        return True
    return isinstance(value, float | np.floating) and math.isnan(value)


def categorical_values(column: npt.NDArray[Any]) -> npt.NDArray[np.str_]:
    """Read a column as labels; missing values become the empty marker ``""``."""
    if column.dtype.kind in "US":
        return column.astype(str)
    if column.dtype.kind == "b":
        return np.where(column, "True", "False")
    if column.dtype.kind == "f":
        labels = np.array([_label(v) for v in column.tolist()], dtype=str)
        return np.where(np.isnan(column), "", labels)
    return np.array(["" if is_missing(v) else _label(v) for v in column.tolist()], dtype=str)


def _label(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def _default_kind(column: npt.NDArray[Any]) -> FeatureKind:
    if column.dtype.kind in "iuf":
        return FeatureKind.NUMERIC
    if column.dtype.kind == "O":
        values = [v for v in column.tolist() if not is_missing(v)]
        if values and all(_is_number(v) for v in values):
            return FeatureKind.NUMERIC
    return FeatureKind.CATEGORICAL


def infer_schema(
    data: Any,
    *,
    categorical: Iterable[str] = (),
    numeric: Iterable[str] = (),
    names: Sequence[str] | None = None,
) -> Schema:
    """Build a schema from reference data with explicit overrides.

    Numbers are numeric; text, booleans and other objects are categorical. ``categorical``
    turns numeric-coded columns into categories; ``numeric`` forces a column to be read as
    numbers (an error names it when a value is not a number).

    Examples
    --------
    >>> import numpy as np
    >>> s = infer_schema({"zip": np.array([1, 2, 2])}, categorical=["zip"])
    >>> s["zip"].kind.value, s["zip"].vocabulary
    ('categorical', ('1', '2'))
    """
    cols = to_columns(data, names)
    forced_cat, forced_num = set(categorical), set(numeric)
    for name in (forced_cat | forced_num) - set(cols):
        raise MissingColumnError(name, "named in an override but absent from the data")
    if forced_cat & forced_num:
        raise ConfigurationError(f"columns {sorted(forced_cat & forced_num)} are in both lists")
    specs = []
    for name, column in cols.items():
        if len(column) == 0:
            raise EmptyDataError(f"column {name!r}: no rows to infer a schema from")
        kind = _default_kind(column)
        kind = FeatureKind.CATEGORICAL if name in forced_cat else kind
        kind = FeatureKind.NUMERIC if name in forced_num else kind
        specs.append(_describe(name, kind, column))
    return Schema(tuple(specs))


def _describe(name: str, kind: FeatureKind, column: npt.NDArray[Any]) -> FeatureSpec:
    if kind is FeatureKind.CATEGORICAL:
        labels = categorical_values(column)
        vocab = tuple(sorted(set(labels.tolist()) - {""}))
        return FeatureSpec(name, kind, vocabulary=vocab)
    values = numeric_values(name, column)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        raise EmptyDataError(f"column {name!r}: no finite values in the reference")
    return FeatureSpec(name, kind, low=float(finite.min()), high=float(finite.max()))


def normalised_columns(schema: Schema, data: Any) -> Columns:
    """Columns in schema order: numeric as float64, categorical as labels (``""`` missing)."""
    cols = to_columns(data, schema.names)
    return {
        f.name: numeric_values(f.name, cols[f.name])
        if f.kind is FeatureKind.NUMERIC
        else categorical_values(cols[f.name])
        for f in schema.features
    }


def take_rows(cols: Columns, rows: npt.NDArray[np.intp] | npt.NDArray[np.int64]) -> Columns:
    """The same rows of every column."""
    return {name: col[rows] for name, col in cols.items()}
