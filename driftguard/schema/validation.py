"""Validate request rows against a model's input schema before anything else sees them.

A served model meets JSON from strangers. :class:`InputValidator` turns records (a list of
``{feature: value}`` objects) or columns (``{feature: [values]}``) into the typed columns the
encoder and the window sketch expect, and refuses anything else with an
:class:`~driftguard.errors.InvalidInputError` whose ``location`` names the field
(``records[3].age``). Numeric features take JSON numbers only (never strings or booleans);
categorical features take strings, numbers or booleans, read the same way as at training time.

Missing and non-finite values (``null``, NaN, ±Infinity) follow a policy: ``"reject"`` (the
default) refuses the request, ``"count"`` lets it through (the encoder imputes the training
mean; the sketch bins them in the NaN and tail bins) and reports how many there were. Unseen
categories are never fatal; they are counted (and cut to one character more than the longest
training label, which keeps them unseen and bounds the memory a request can claim).

Examples
--------
>>> from driftguard.schema.features import FeatureSpec, Schema
>>> from driftguard.types import FeatureKind
>>> schema = Schema((FeatureSpec("age", FeatureKind.NUMERIC, 18.0, 90.0),
...                  FeatureSpec("city", FeatureKind.CATEGORICAL, vocabulary=("oslo",))))
>>> batch = InputValidator(schema).records([{"age": 30, "city": "rome"}])
>>> batch.n_rows, batch.unseen
(1, {'city': 1})
>>> InputValidator(schema).records([{"age": "30", "city": "oslo"}])
Traceback (most recent call last):
...
driftguard.errors.InvalidInputError: records[0].age: expected a number, got the string '30'
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from driftguard.errors import ConfigurationError, InvalidInputError
from driftguard.schema.features import Columns, Schema
from driftguard.types import FeatureKind

__all__ = ["NONFINITE_POLICIES", "InputValidator", "MatrixColumns", "ValidatedBatch"]

NONFINITE_POLICIES = ("reject", "count")
Locate = Callable[[int], str]


class MatrixColumns(Mapping[str, "np.ndarray[Any, Any]"]):
    """Read-only ``{feature: column}`` view of a ``(rows, features)`` matrix.

    One object instead of a dict of per-feature arrays: logged predictions hold many of
    these, and fewer objects keep the garbage collector's work small.

    Examples
    --------
    >>> cols = MatrixColumns(np.array([[1.0, 2.0], [3.0, 4.0]]), {"a": 0, "b": 1})
    >>> cols["b"].tolist(), list(cols)
    ([2.0, 4.0], ['a', 'b'])
    """

    __slots__ = ("_index", "_matrix")

    def __init__(self, matrix: np.ndarray[Any, Any], index: Mapping[str, int]) -> None:
        self._matrix = matrix
        self._index = index

    def __getitem__(self, name: str) -> np.ndarray[Any, Any]:
        return self._matrix[:, self._index[name]]

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)


@dataclass(frozen=True)
class ValidatedBatch:
    """Rows that passed validation, as typed columns in schema order.

    Parameters
    ----------
    columns : dict of str to ndarray
        Numeric features as float64 (NaN for missing), categorical ones as labels (``""`` for
        missing).
    n_rows : int
        Number of rows.
    nonfinite : dict of str to int
        Missing or non-finite values per feature (only features with some).
    unseen : dict of str to int
        Categorical values outside the training vocabulary, per feature (only those with some).
    matrix : ndarray or None
        For all-numeric schemas, the same values as one ``(rows, features)`` float64 array
        (the columns are views of it), so the encoder can skip per-column work.

    Examples
    --------
    >>> ValidatedBatch({}, 0).nonfinite
    {}
    """

    columns: Mapping[str, np.ndarray[Any, Any]]
    n_rows: int
    nonfinite: dict[str, int] = field(default_factory=dict)
    unseen: dict[str, int] = field(default_factory=dict)
    matrix: np.ndarray[Any, Any] | None = field(default=None, compare=False, repr=False)


def _describe(value: Any) -> str:
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the string {shown!r}"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    return f"{type(value).__name__} {value!r}"


class InputValidator:
    """Check rows against a schema and return typed columns.

    Parameters
    ----------
    schema : Schema
        The model's input features (names, kinds, training vocabulary).
    nonfinite : {"reject", "count"}
        What to do with ``null``, NaN and ±Infinity values.

    Examples
    --------
    >>> from driftguard.schema.features import FeatureSpec, Schema
    >>> v = InputValidator(Schema((FeatureSpec("x", FeatureKind.NUMERIC),)), nonfinite="count")
    >>> v.columns({"x": [1.0, None]}).nonfinite
    {'x': 1}
    """

    def __init__(self, schema: Schema, nonfinite: str = "reject") -> None:
        self.schema = schema
        self.nonfinite = nonfinite
        if nonfinite not in NONFINITE_POLICIES:
            raise ConfigurationError(
                f"nonfinite: must be one of {NONFINITE_POLICIES}, got {nonfinite!r}"
            )
        self._names = schema.names
        self._name_set = frozenset(self._names)
        self._index = {name: j for j, name in enumerate(self._names)}
        self._numeric_names = [f.name for f in schema.features if f.kind is FeatureKind.NUMERIC]
        self._vocab = {
            f.name: frozenset(f.vocabulary)
            for f in schema.features
            if f.kind is FeatureKind.CATEGORICAL
        }
        # Longer labels are unseen whatever follows; cut there so that one long string cannot
        # widen the fixed-width label array of the whole column (rows x width x 4 bytes).
        self._width = {
            name: max((len(v) for v in vocab), default=0) + 1 for name, vocab in self._vocab.items()
        }

    def records(self, records: Any, where: str = "records") -> ValidatedBatch:
        """Validate a list of ``{feature: value}`` objects."""
        if not isinstance(records, list):
            raise InvalidInputError(
                where, f"expected an array of records, got {_describe(records)}"
            )
        if not records:
            raise InvalidInputError(where, "at least one record is required")
        for i, record in enumerate(records):
            if not isinstance(record, dict):
                raise InvalidInputError(
                    f"{where}[{i}]",
                    f"expected an object of feature values, got {_describe(record)}",
                )
            if record.keys() != self._name_set:
                self._key_error(record, f"{where}[{i}]")
        columns = {name: [record[name] for record in records] for name in self._names}
        return self._typed(columns, lambda name: lambda i: f"{where}[{i}].{name}")

    def columns(
        self, columns: Mapping[str, Any], locate: Callable[[str], Locate] | None = None
    ) -> ValidatedBatch:
        """Validate ``{feature: [values]}``; ``locate(feature)(row)`` names a value's place."""
        if columns.keys() != self._name_set:
            self._key_error(columns, "inputs")
        lengths = {name: len(v) if isinstance(v, list) else -1 for name, v in columns.items()}
        for name, n in lengths.items():
            if n < 0:
                raise InvalidInputError(f"inputs.{name}", "expected an array of values")
        if len(set(lengths.values())) > 1:
            raise InvalidInputError(
                "inputs",
                f"features have different numbers of rows: {dict(sorted(lengths.items()))}",
            )
        if not next(iter(lengths.values())):
            raise InvalidInputError("inputs", "at least one row is required")
        return self._typed(
            {name: columns[name] for name in self._names},
            locate or (lambda name: lambda i: f"inputs.{name}[{i}]"),
        )

    def matrix(self, flat: list[Any], n_rows: int, locate: Callable[[int], str]) -> ValidatedBatch:
        """Validate row-major values of a ``(n_rows, features)`` table.

        ``locate(i)`` names the flat position ``i``. All-numeric schemas take one pass and one
        array; others are split into columns.
        """
        names = self._names
        if len(self._numeric_names) != len(names):
            n = len(names)
            split = {name: flat[j::n] for j, name in enumerate(names)}
            position = {name: j for j, name in enumerate(names)}
            return self._typed(split, lambda name: lambda i: locate(i * n + position[name]))
        for i, v in enumerate(flat):
            kind = type(v)
            if kind is not float and kind is not int and v is not None:
                raise InvalidInputError(locate(i), f"expected a number, got {_describe(v)}")
        try:
            arr = np.array(flat, dtype=np.float64).reshape(n_rows, len(names))
        except OverflowError:
            i = next(i for i, v in enumerate(flat) if type(v) is int and abs(v) > 2**1023)
            raise InvalidInputError(locate(i), "number is too large for a float64") from None
        finite = np.isfinite(arr)
        nonfinite: dict[str, int] = {}
        if not finite.all():
            if self.nonfinite == "reject":
                i = int(np.argmin(finite.ravel()))
                shown = "null" if flat[i] is None else str(flat[i])
                raise InvalidInputError(
                    locate(i),
                    f"{shown} is not accepted (missing and non-finite values are rejected; "
                    "set DRIFTGUARD_NONFINITE=count to let them through)",
                )
            bad = (~finite).sum(axis=0)
            nonfinite = {names[j]: int(k) for j, k in enumerate(bad) if k}
        return ValidatedBatch(MatrixColumns(arr, self._index), n_rows, nonfinite, {}, arr)

    def _key_error(self, given: Mapping[str, Any], where: str) -> None:
        missing = [n for n in self._names if n not in given]
        if missing:
            raise InvalidInputError(where, f"missing feature {missing[0]!r}")
        extra = sorted(str(k) for k in given if k not in self._name_set)
        known = ", ".join(self._names[:10]) + (", ..." if len(self._names) > 10 else "")
        raise InvalidInputError(
            where, f"unknown feature {extra[0]!r} (the model's features are {known})"
        )

    def _typed(
        self, columns: dict[str, list[Any]], locate: Callable[[str], Locate]
    ) -> ValidatedBatch:
        out: Columns = {}
        unseen: dict[str, int] = {}
        nonfinite = self._numeric(columns, locate, out)
        n_rows = len(columns[self._names[0]])
        for spec in self.schema.features:
            if spec.kind is not FeatureKind.CATEGORICAL:
                continue
            labels, missing, new = self._categorical(
                spec.name, columns[spec.name], locate(spec.name)
            )
            out[spec.name] = labels
            if missing:
                nonfinite[spec.name] = missing
            if new:
                unseen[spec.name] = new
        return ValidatedBatch({n: out[n] for n in self._names}, n_rows, nonfinite, unseen)

    def _numeric(
        self, columns: dict[str, list[Any]], locate: Callable[[str], Locate], out: Columns
    ) -> dict[str, int]:
        """Type-check every numeric value in one pass, convert all features in one array."""
        names = self._numeric_names
        if not names:
            return {}
        values = [columns[n] for n in names]
        for name, column in zip(names, values, strict=True):
            for i, v in enumerate(column):
                kind = type(v)
                if kind is not float and kind is not int and v is not None:
                    got = _describe(v)
                    raise InvalidInputError(locate(name)(i), f"expected a number, got {got}")
        try:
            arr = np.array(values, dtype=np.float64)  # None becomes NaN
        except OverflowError:
            name, i = next(
                (n, i)
                for n, col in zip(names, values, strict=True)
                for i, v in enumerate(col)
                if type(v) is int and abs(v) > 2**1023
            )
            raise InvalidInputError(locate(name)(i), "number is too large for a float64") from None
        for j, name in enumerate(names):
            out[name] = arr[j]
        finite = np.isfinite(arr)
        if finite.all():
            return {}
        bad = (~finite).sum(axis=1)
        if self.nonfinite == "reject":
            j = int(np.argmax(bad > 0))
            i = int(np.argmin(finite[j]))
            value = values[j][i]
            shown = "null" if value is None else str(value)
            raise InvalidInputError(
                locate(names[j])(i),
                f"{shown} is not accepted (missing and non-finite values are rejected; "
                "set DRIFTGUARD_NONFINITE=count to let them through)",
            )
        return {names[j]: int(k) for j, k in enumerate(bad) if k}

    def _categorical(
        self, name: str, values: list[Any], where: Locate
    ) -> tuple[np.ndarray[Any, Any], int, int]:
        labels: list[str] = []
        missing = 0
        for i, v in enumerate(values):
            if v is None or (type(v) is float and not math.isfinite(v)):
                if self.nonfinite == "reject":
                    raise InvalidInputError(
                        where(i),
                        f"{'null' if v is None else v} is not accepted (missing values are "
                        "rejected; set DRIFTGUARD_NONFINITE=count to let them through)",
                    )
                missing += 1
                labels.append("")
            elif isinstance(v, str):
                labels.append(v)
            elif isinstance(v, bool):
                labels.append(str(v))
            elif type(v) is int:
                labels.append(str(v))  # never through float: 10**400 would overflow
            elif type(v) is float:
                labels.append(str(int(v)) if v.is_integer() else str(v))
            else:
                raise InvalidInputError(
                    where(i), f"expected a string, number or boolean, got {_describe(v)}"
                )
        vocab, width = self._vocab[name], self._width[name]
        new = sum(1 for label in labels if label and label not in vocab)
        if any(len(label) > width for label in labels):
            labels = [label[:width] for label in labels]  # still unseen: longer than any
        return np.array(labels, dtype=str), missing, new
