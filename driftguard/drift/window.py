"""Window counts: the cheap, mergeable sketch of a stream of rows.

A :class:`WindowCounts` holds integer counts on the reference profile's fixed bins, the capped
tail sums of numeric features and the number of rows. ``update`` is vectorised and costs
O(rows x features); ``merge`` adds integer counts, so shards merged in any order equal one pass.

Examples
--------
>>> import numpy as np
>>> from driftguard.drift.binning import NumericBins
>>> from driftguard.schema.features import FeatureSpec, Schema
>>> from driftguard.types import FeatureKind
>>> schema = Schema((FeatureSpec("x", FeatureKind.NUMERIC),))
>>> w = WindowCounts(schema, (NumericBins(np.array([0.0, 1.0])),))
>>> w.update({"x": np.array([0.5, 2.0, np.nan])}).n_rows_
3
"""

from __future__ import annotations

import hashlib
from typing import Any, Self

import numpy as np
import numpy.typing as npt

from driftguard.drift.binning import CategoricalBins, FloatArray, IntArray, NumericBins
from driftguard.errors import ConfigurationError, SerializationError, UnsupportedVersionError
from driftguard.schema.features import Schema, categorical_values, numeric_values, to_columns

__all__ = ["Bins", "WindowCounts", "encode", "layout_id"]

Bins = NumericBins | CategoricalBins
WINDOW_FORMAT = "driftguard.window"
WINDOW_VERSION = 1


def layout_id(bins: tuple[Bins, ...], schema: Schema) -> str:
    """A short fingerprint of the bin layout; windows merge only with the same one."""
    digest = hashlib.sha256()
    for spec, b in zip(schema.features, bins, strict=True):
        digest.update(spec.name.encode())
        if isinstance(b, NumericBins):
            digest.update(b.edges.tobytes())
        else:
            digest.update("\x1f".join(b.vocabulary).encode())
    return digest.hexdigest()[:16]


def encode(
    schema: Schema, bins: tuple[Bins, ...], data: Any
) -> tuple[npt.NDArray[np.int32], FloatArray]:
    """Return per-row bin codes ``(rows, features)`` offset into one flat layout, and tails.

    Tails are ``(rows, features, 2)``: capped distance below the lowest and above the highest
    reference value (zero for categorical features).
    """
    cols = to_columns(data, schema.names)
    n_rows = len(next(iter(cols.values())))
    offsets = np.cumsum([0, *(b.size for b in bins)])
    codes = np.empty((n_rows, len(bins)), dtype=np.int32)
    tails = np.zeros((n_rows, len(bins), 2), dtype=np.float64)
    for j, (spec, b) in enumerate(zip(schema.features, bins, strict=True)):
        column = cols[spec.name]
        if isinstance(b, NumericBins):
            values = numeric_values(spec.name, column)
            local = b.codes(values)
            codes[:, j] = local + offsets[j]
            tails[:, j, 0], tails[:, j, 1] = b.tails(values, local)
        else:
            codes[:, j] = b.codes(categorical_values(column)) + offsets[j]
    return codes, tails


class WindowCounts:
    """Counts of a window of rows on a profile's fixed bins.

    Snapshots (:meth:`to_dict`, :meth:`load_dict`) are JSON with a format version, so
    replicas can ship their counts to one place and merge them exactly.

    Parameters
    ----------
    schema : Schema
        The features, in order.
    bins : tuple of NumericBins or CategoricalBins
        One bin layout per feature.

    Attributes
    ----------
    counts_ : ndarray of int64
        Flat counts; feature ``j`` owns ``counts_[offsets_[j]:offsets_[j + 1]]``.
    tails_ : ndarray of float64, shape (features, 2)
        Sums of capped distances below and above the reference range.
    n_rows_ : int
        Rows seen.

    Examples
    --------
    >>> import numpy as np
    >>> from driftguard.drift.binning import CategoricalBins
    >>> from driftguard.schema.features import FeatureSpec, Schema
    >>> from driftguard.types import FeatureKind
    >>> schema = Schema((FeatureSpec("c", FeatureKind.CATEGORICAL),))
    >>> a = WindowCounts(schema, (CategoricalBins(("x", "y")),)).update({"c": np.array(["x"])})
    >>> b = WindowCounts(schema, (CategoricalBins(("x", "y")),)).update({"c": np.array(["z"])})
    >>> a.merge(b).counts_.tolist()
    [1, 0, 1, 0]
    """

    def __init__(self, schema: Schema, bins: tuple[Bins, ...]) -> None:
        if len(bins) != len(schema.features):
            raise ConfigurationError("bins: one layout per schema feature is required")
        self.schema = schema
        self.bins = bins
        self.offsets_: IntArray = np.cumsum([0, *(b.size for b in bins)]).astype(np.int64)
        self.layout_id_ = layout_id(bins, schema)
        self.counts_: IntArray = np.zeros(int(self.offsets_[-1]), dtype=np.int64)
        self.tails_: FloatArray = np.zeros((len(bins), 2), dtype=np.float64)
        self.n_rows_ = 0

    def update(self, batch: Any) -> Self:
        """Fold a batch of rows (DataFrame, mapping of columns or 2-D array) into the counts."""
        cols = to_columns(batch, self.schema.names)
        counts = np.zeros_like(self.counts_)
        tails = np.zeros_like(self.tails_)
        for j, (spec, b) in enumerate(zip(self.schema.features, self.bins, strict=True)):
            start, stop = self.offsets_[j], self.offsets_[j + 1]
            if isinstance(b, NumericBins):
                values = numeric_values(spec.name, cols[spec.name])
                local = b.codes(values)
                tails[j] = b.tail_sums(values, local)
            else:
                local = b.codes(categorical_values(cols[spec.name]))
            counts[start:stop] = np.bincount(local, minlength=stop - start)
        self.counts_ += counts
        self.tails_ += tails
        self.n_rows_ += len(next(iter(cols.values())))
        return self

    def merge(self, other: WindowCounts) -> WindowCounts:
        """Return a new window holding both windows' rows; layouts must match."""
        if other.layout_id_ != self.layout_id_:
            raise ConfigurationError(
                f"cannot merge windows of different bin layouts "
                f"({self.layout_id_} vs {other.layout_id_})"
            )
        merged = WindowCounts(self.schema, self.bins)
        merged.counts_ = self.counts_ + other.counts_
        merged.tails_ = self.tails_ + other.tails_
        merged.n_rows_ = self.n_rows_ + other.n_rows_
        return merged

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready snapshot (counts are exact integers), tagged with format and version."""
        return {
            "format": WINDOW_FORMAT,
            "version": WINDOW_VERSION,
            "layout_id": self.layout_id_,
            "n_rows": self.n_rows_,
            "counts": self.counts_.tolist(),
            "tails": self.tails_.tolist(),
        }

    def load_dict(self, data: dict[str, Any]) -> Self:
        """Add a snapshot written by :meth:`to_dict` on the same bins into this window.

        Raises
        ------
        UnsupportedVersionError
            The snapshot's format version is unknown.
        SerializationError
            It is not a window snapshot, or it was taken on other bins.
        """
        if data.get("format") != WINDOW_FORMAT:
            raise SerializationError(f"not a driftguard window snapshot: {data.get('format')!r}")
        if data.get("version") != WINDOW_VERSION:
            raise UnsupportedVersionError(
                f"window snapshot version {data.get('version')!r} is not supported "
                f"(this driftguard reads version {WINDOW_VERSION})"
            )
        if data.get("layout_id") != self.layout_id_:
            raise SerializationError("window snapshot was taken on different bins")
        try:
            counts = np.asarray(data["counts"], dtype=np.int64)
            tails = np.asarray(data["tails"], dtype=np.float64)
            n_rows = int(data["n_rows"])
        except (KeyError, TypeError, ValueError) as exc:
            raise SerializationError(f"incomplete window snapshot ({exc})") from None
        if counts.shape != self.counts_.shape or tails.shape != self.tails_.shape:
            raise SerializationError("window snapshot has the wrong number of bins")
        if np.any(counts < 0) or n_rows < 0:
            raise SerializationError("window snapshot has negative counts")
        self.counts_ += counts
        self.tails_ += tails
        self.n_rows_ += n_rows
        return self

    def feature_counts(self, j: int) -> IntArray:
        """Counts of feature ``j`` (by position) on its layout."""
        return self.counts_[self.offsets_[j] : self.offsets_[j + 1]]
