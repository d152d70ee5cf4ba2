"""Read CSV and Parquet files into typed columns for the command line.

CSV needs nothing beyond the standard library. A column is numeric when every non-missing
value in it is a number, categorical when none is (text) or when its values are booleans;
a column that mixes numbers and text is an error that names it, unless ``--categorical``
says to read it as labels. Empty cells, ``NA``, ``NaN`` and ``null`` are missing values.

Examples
--------
>>> kind_of("x", ["1", "2.5", ""], "a.csv")
'numeric'
>>> kind_of("c", ["yes", "no"], "a.csv")
'categorical'
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np

from driftguard.errors import ColumnTypeError, EmptyDataError, MissingColumnError, SchemaError
from driftguard.schema.features import Columns, categorical_values

__all__ = ["align", "kind_of", "read_table"]

MISSING = frozenset({"", "na", "nan", "null", "none", "n/a"})
BOOLEANS = frozenset({"true", "false"})


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def kind_of(name: str, cells: list[str], source: str) -> str:
    """Return ``"numeric"`` or ``"categorical"`` for a column of CSV cells."""
    present = [c for c in cells if c.strip().lower() not in MISSING]
    if present and _fast_numbers(present) is not None:
        return "numeric"
    if present and all(c.strip().lower() in BOOLEANS for c in present):
        return "categorical"
    numbers = [_is_number(c) for c in present]
    if all(numbers):
        return "numeric"
    if not any(numbers):
        return "categorical"
    bad = present[numbers.index(False)]
    raise ColumnTypeError(
        name,
        f"non-numeric value {bad!r} in a numeric column of {source} "
        f"(pass --categorical {name} to read it as labels)",
    )


def _fast_numbers(cells: list[str]) -> np.ndarray[Any, Any] | None:
    cleaned = ["nan" if c.strip().lower() in MISSING else c for c in cells]
    try:
        return np.asarray(cleaned, dtype=str).astype(np.float64)
    except ValueError:
        return None


def _numbers(name: str, cells: list[str], source: str) -> np.ndarray[Any, Any]:
    fast = _fast_numbers(cells)
    if fast is not None:
        return fast
    out = np.empty(len(cells), dtype=np.float64)
    for i, cell in enumerate(cells):
        text = cell.strip()
        if text.lower() in MISSING:
            out[i] = np.nan
            continue
        try:
            out[i] = float(text)
        except ValueError:
            raise ColumnTypeError(
                name, f"non-numeric value {cell!r} in {source}, row {i + 2}"
            ) from None
    return out


def _read_csv(path: Path) -> dict[str, list[str]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except UnicodeDecodeError:
        raise SchemaError(f"{path}: not a UTF-8 text file") from None
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise EmptyDataError(f"{path}: empty file (no header row)")
    header = [h.strip() for h in rows[0]]
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise SchemaError(f"{path}: duplicate column names {dupes}")
    body = [r for r in rows[1:] if any(cell.strip() for cell in r)]
    if not body:
        raise EmptyDataError(f"{path}: header only, no data rows")
    for i, row in enumerate(body):
        if len(row) != len(header):
            raise SchemaError(
                f"{path}: data row {i + 1} has {len(row)} fields, header has {len(header)}"
            )
    return {name: [row[j] for row in body] for j, name in enumerate(header)}


def _read_parquet(path: Path) -> dict[str, Any]:
    try:
        import pandas as pd
    except ImportError:
        raise SchemaError(
            "reading Parquet needs pandas and pyarrow: pip install 'driftguard[reports]'"
        ) from None
    try:
        frame = pd.read_parquet(path)
    except (ImportError, OSError, ValueError) as exc:
        raise SchemaError(f"{path}: cannot read Parquet ({exc})") from None
    if frame.shape[1] == 0 or frame.shape[0] == 0:
        raise EmptyDataError(f"{path}: no rows or no columns")
    return {str(c): frame[c].to_numpy() for c in frame.columns}


def read_table(path: str | Path) -> dict[str, Any]:
    """Read raw columns: lists of CSV cells, or arrays from Parquet."""
    source = Path(path)
    if not source.is_file():
        raise EmptyDataError(f"{source}: no such file")
    if source.suffix.lower() in {".parquet", ".pq"}:
        return _read_parquet(source)
    return _read_csv(source)


def _parquet_kind(values: np.ndarray[Any, Any]) -> str:
    return "numeric" if values.dtype.kind in "iuf" else "categorical"


def align(
    reference: dict[str, Any],
    current: dict[str, Any],
    categorical: list[str],
    names: tuple[str, str],
) -> tuple[Columns, Columns, list[str]]:
    """Check both tables have the same columns and type them; return columns and categoricals."""
    ref_name, cur_name = names
    missing = [c for c in reference if c not in current]
    extra = [c for c in current if c not in reference]
    if missing:
        raise MissingColumnError(missing[0], f"in {ref_name} but missing from {cur_name}")
    if extra:
        raise MissingColumnError(extra[0], f"in {cur_name} but missing from {ref_name}")
    for name in categorical:
        if name not in reference:
            raise MissingColumnError(name, "named by --categorical but not in the files")
    ref_cols: Columns = {}
    cur_cols: Columns = {}
    cats: list[str] = []
    for name, ref_values in reference.items():
        cur_values = current[name]
        if isinstance(ref_values, list):
            kind = "categorical" if name in categorical else kind_of(name, ref_values, ref_name)
        else:
            kind = "categorical" if name in categorical else _parquet_kind(ref_values)
        if kind == "categorical":
            cats.append(name)
            ref_cols[name] = _labels(ref_values)
            cur_cols[name] = _labels(cur_values)
        else:
            ref_cols[name] = _as_numbers(name, ref_values, ref_name)
            cur_cols[name] = _as_numbers(name, cur_values, cur_name)
    return ref_cols, cur_cols, cats


def _label(cell: str) -> str:
    """A CSV cell as a label: missing becomes ``""``, booleans read as ``True``/``False``."""
    text = cell.strip()
    lowered = text.lower()
    if lowered in MISSING:
        return ""
    if lowered in BOOLEANS:
        return "True" if lowered == "true" else "False"
    return text


def _labels(values: Any) -> np.ndarray[Any, Any]:
    """Labels of a column, spelled as :func:`driftguard.schema.features.categorical_values` does."""
    if isinstance(values, list):
        return np.array([_label(v) for v in values], dtype=object)
    return categorical_values(np.asarray(values)).astype(object)


def _as_numbers(name: str, values: Any, source: str) -> np.ndarray[Any, Any]:
    if isinstance(values, list):
        return _numbers(name, values, source)
    arr = np.asarray(values)
    if arr.dtype.kind not in "iuf":
        raise ColumnTypeError(name, f"non-numeric values in a numeric column of {source}")
    return arr.astype(np.float64)
