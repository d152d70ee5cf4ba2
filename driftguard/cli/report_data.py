"""The two samples of ``driftguard report``: the checkpoint's reference and the recent rows.

The reference is the reservoir of the version's :class:`~driftguard.drift.profile.ReferenceProfile`
(read from the registry without loading the model). The current rows come from a file
(``.csv``, ``.parquet`` or ``.jsonl`` of records) or from the service's
``GET /models/{name}/window``. Both are typed by the checkpoint's schema: numeric features as
float64 (NaN for missing), categorical features as their labels (``""`` for missing); columns
that do not match the schema are named in the error.

Examples
--------
>>> import numpy as np
>>> from driftguard.schema.features import infer_schema
>>> schema = infer_schema({"x": np.arange(3.0), "c": np.array(["a", "b", "a"])})
>>> cols = conform(schema, {"x": ["1.5", None], "c": ["a", None]}, "rows.csv")
>>> cols["x"].tolist(), cols["c"].tolist()
([1.5, nan], ['a', ''])
>>> try:
...     conform(schema, {"x": [1.0], "target": [0]}, "rows.csv")
... except SchemaError as exc:
...     print(exc)
rows.csv: columns do not match the model's schema: missing c; not in the schema target
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from driftguard.cli.service_client import get_json, model_path
from driftguard.cli.tables import BOOLEANS, MISSING, read_table
from driftguard.errors import (
    ConfigurationError,
    DriftguardError,
    EmptyDataError,
    SchemaError,
    VersionNotFoundError,
)
from driftguard.schema.features import Columns, Schema, categorical_values, numeric_values
from driftguard.types import FeatureKind

if TYPE_CHECKING:
    from driftguard.drift.profile import ReferenceProfile

__all__ = [
    "MIN_CURRENT_ROWS",
    "Reference",
    "conform",
    "fetch_window",
    "load_reference",
    "read_current",
]

#: Fewer current rows than this give a report whose tests say little; refuse them.
MIN_CURRENT_ROWS = 30
SUFFIXES = (".csv", ".parquet", ".pq", ".jsonl", ".ndjson")


@dataclass(frozen=True)
class Reference:
    """A version's schema and reference sample (the profile's reservoir).

    Examples
    --------
    >>> import numpy as np
    >>> from driftguard.schema.features import infer_schema
    >>> ref = Reference("m", 1, infer_schema({"x": np.zeros(2)}), {"x": np.zeros(2)})
    >>> ref.n_rows
    2
    """

    name: str
    version: int
    schema: Schema
    columns: Columns

    @property
    def n_rows(self) -> int:
        """Rows in the reference sample."""
        return len(next(iter(self.columns.values())))


def load_reference(root: Path, name: str, version: int | None) -> Reference:
    """The reservoir of ``name``'s checkpoint ``version`` (default: ACTIVE) in registry ``root``.

    Only ``profile.npz`` is read (after the checkpoint's hashes are checked); the model
    weights are never loaded.
    """
    if not root.is_dir():
        raise ConfigurationError(
            f"registry {root}: no such folder (pass --registry or set DRIFTGUARD_REGISTRY)"
        )
    from driftguard.registry import Registry

    registry = Registry(root)
    if version is None:
        version = registry.active(name).version
        if version is None:
            raise VersionNotFoundError(f"model {name!r} has no ACTIVE version; pass --version")
    profile: ReferenceProfile = registry.open(name, version).profile()
    return Reference(name, version, profile.schema_, dict(profile.reservoir_))


def _cell(text: str) -> str | None:
    """A CSV cell as a value: missing markers are ``None``, booleans read as ``True``/``False``."""
    stripped = text.strip()
    lowered = stripped.lower()
    if lowered in MISSING:
        return None
    if lowered in BOOLEANS:
        return "True" if lowered == "true" else "False"
    return stripped


def _read_jsonl(path: Path) -> dict[str, list[Any]]:
    columns: dict[str, list[Any]] = {}
    keys: list[str] | None = None
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as exc:
                raise SchemaError(f"{path}, line {number}: not JSON ({exc})") from None
            if not isinstance(record, dict):
                raise SchemaError(f"{path}, line {number}: expected a JSON object (a record)")
            if keys is None:
                keys = list(record)
                columns = {key: [] for key in keys}
            elif record.keys() != set(keys):
                raise SchemaError(
                    f"{path}, line {number}: keys {sorted(record)} differ from the first "
                    f"record's {sorted(keys)}"
                )
            for key, value in record.items():
                columns[key].append(value)
    if keys is None:
        raise EmptyDataError(f"{path}: no records")
    return columns


def read_current(path: Path) -> dict[str, Any]:
    """Raw columns of a ``.csv``, ``.parquet`` or ``.jsonl`` file (typed later by :func:`conform`).

    Examples
    --------
    >>> try:
    ...     read_current(Path("rows.txt"))
    ... except ConfigurationError as exc:
    ...     print(exc)
    rows.txt: unsupported file type; use .csv, .parquet or .jsonl
    """
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ConfigurationError(f"{path}: unsupported file type; use .csv, .parquet or .jsonl")
    if not path.is_file():
        raise EmptyDataError(f"{path}: no such file")
    try:
        if suffix in {".jsonl", ".ndjson"}:
            return _read_jsonl(path)
        raw = read_table(path)
    except UnicodeDecodeError:
        raise SchemaError(f"{path}: not a UTF-8 text file") from None
    except OSError as exc:
        raise SchemaError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if suffix == ".csv":
        return {name: [_cell(c) for c in cells] for name, cells in raw.items()}
    return raw


def conform(schema: Schema, raw: Mapping[str, Any], source: str) -> Columns:
    """Type ``raw`` columns by ``schema``; name every missing or unknown column, or bad value."""
    missing = [n for n in schema.names if n not in raw]
    extra = [str(c) for c in raw if c not in set(schema.names)]
    if missing or extra:
        parts = [f"missing {', '.join(missing)}"] if missing else []
        parts += [f"not in the schema {', '.join(extra)}"] if extra else []
        raise SchemaError(f"{source}: columns do not match the model's schema: {'; '.join(parts)}")
    out: Columns = {}
    try:
        for spec in schema.features:
            values = raw[spec.name]
            column = values if isinstance(values, np.ndarray) else np.asarray(values, dtype=object)
            if spec.kind is FeatureKind.NUMERIC:
                out[spec.name] = numeric_values(spec.name, column)
            else:
                out[spec.name] = categorical_values(column)
    except SchemaError as exc:
        raise SchemaError(f"{source}: {exc}") from None
    lengths = {len(c) for c in out.values()}
    if len(lengths) > 1:
        raise SchemaError(f"{source}: columns have different numbers of rows {sorted(lengths)}")
    return out


def fetch_window(url: str, name: str, token: str, timeout: float, rows: int) -> dict[str, Any]:
    """The service's ``GET /models/{name}/window?rows=N`` document, its shape checked."""
    doc = get_json(url, model_path(name, "window"), token, timeout, {"rows": rows})
    columns, version = doc.get("columns"), doc.get("version")
    if not isinstance(columns, dict) or not isinstance(version, int):
        raise DriftguardError(f"{url}: the window answer has no columns or version")
    return doc
