"""Fixed bins for one feature, learned once from the reference.

Numeric features get edges at reference quantiles (``n_bins`` interior bins at Chebyshev-spaced
levels ``(1 - cos(pi k / n_bins)) / 2``, finer in the tails so that distances computed on the
bins stay within about 2% of the exact ones; a feature with at most ``n_bins`` distinct values
gets one bin per value), plus an underflow, an overflow and a
missing (NaN) bin. ``-inf`` and ``+inf`` fall in the underflow and overflow bins. Categorical
features get one bin per reference label plus an "unseen" and a "missing" bin. Bins never
change after fitting, so window counts are comparable and merge exactly.

Examples
--------
>>> import numpy as np
>>> b = NumericBins.fit(np.arange(100.0), n_bins=4)
>>> b.codes(np.array([-5.0, 10.0, 99.0, 250.0, np.nan])).tolist()
[0, 1, 4, 5, 6]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from driftguard.errors import EmptyDataError

__all__ = ["CategoricalBins", "NumericBins"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


SMALL_BATCH = 2048


@dataclass(frozen=True, slots=True)
class NumericBins:
    """Interior edges ``e_0 < ... < e_K`` (``e_0`` the reference minimum, ``e_K`` its maximum).

    Layout: ``[underflow, K interior bins, overflow, missing]``; interior bin ``k`` holds
    ``e_{k-1} <= x < e_k`` and the last one also holds ``x == e_K``.

    Examples
    --------
    >>> import numpy as np
    >>> NumericBins.fit(np.array([1.0, 2.0, 2.0, 3.0]), n_bins=32).edges.tolist()
    [1.0, 1.5, 2.5, 3.0]
    """

    edges: FloatArray

    @property
    def size(self) -> int:
        """Number of bins in the layout."""
        return int(self.edges.size) + 2

    @property
    def n_interior(self) -> int:
        """Number of interior bins, ``K``."""
        return int(self.edges.size) - 1

    @property
    def tail_cap(self) -> float:
        """Largest distance one value may add to a tail sum: the reference range (or 1)."""
        span = float(self.edges[-1] - self.edges[0])
        return span if span > 0 else 1.0

    @classmethod
    def fit(cls, values: FloatArray, n_bins: int) -> NumericBins:
        """Learn edges from reference values (NaN and ±inf ignored)."""
        finite = values[np.isfinite(values)]
        if finite.size == 0:
            raise EmptyDataError("no finite reference values to place bins")
        distinct = np.unique(finite)
        if distinct.size <= n_bins:
            middles = (distinct[:-1] + distinct[1:]) / 2.0
            edges = np.concatenate([[distinct[0]], middles, [distinct[-1]]])
        else:
            levels = (1.0 - np.cos(np.pi * np.arange(n_bins + 1) / n_bins)) / 2.0
            edges = np.unique(np.quantile(finite, levels))
        if edges.size == 1:
            edges = np.array([edges[0], edges[0]])
        return cls(np.asarray(edges, dtype=np.float64))

    def codes(self, values: FloatArray) -> IntArray:
        """Bin index of every value (vectorised).

        Large batches with up to 64 edges use compare-and-add (faster than a binary search
        per value); small batches, the serving case, use one ``searchsorted`` call. Both
        count the edges at or below each value.
        """
        values = np.ascontiguousarray(values)
        search = self.edges.copy()
        search[-1] = np.nextafter(search[-1], np.inf)
        if search.size <= 64 and values.size > SMALL_BATCH:
            small = np.zeros(values.size, dtype=np.uint8)
            above = np.empty(values.size, dtype=bool)
            for edge in search:
                np.greater_equal(values, edge, out=above)
                np.add(small, above.view(np.uint8), out=small)
            idx = small.astype(np.int64)
        else:
            idx = np.searchsorted(search, values, side="right").astype(np.int64)
        idx[np.isnan(values)] = search.size + 1
        return idx

    def tails(self, values: FloatArray, codes: IntArray) -> tuple[FloatArray, FloatArray]:
        """Per-value capped distance below ``e_0`` and above ``e_K`` (0 inside or NaN)."""
        below = np.zeros(values.size)
        above = np.zeros(values.size)
        low, high = codes == 0, codes == self.edges.size
        below[low] = np.minimum(self.edges[0] - values[low], self.tail_cap)
        above[high] = np.minimum(values[high] - self.edges[-1], self.tail_cap)
        return below, above

    def tail_sums(self, values: FloatArray, codes: IntArray) -> tuple[float, float]:
        """Summed capped distances below ``e_0`` and above ``e_K``."""
        below, above = self.tails(values, codes)
        return float(below.sum()), float(above.sum())


@dataclass(frozen=True, slots=True)
class CategoricalBins:
    """Reference vocabulary; layout ``[label_0, ..., label_{V-1}, unseen, missing]``.

    Examples
    --------
    >>> import numpy as np
    >>> CategoricalBins(("a", "b")).codes(np.array(["b", "z", ""])).tolist()
    [1, 2, 3]
    """

    vocabulary: tuple[str, ...]

    @property
    def size(self) -> int:
        """Number of bins in the layout."""
        return len(self.vocabulary) + 2

    def codes(self, labels: npt.NDArray[Any]) -> IntArray:
        """Bin index of every label (``""`` marks a missing value)."""
        vocab = np.asarray(self.vocabulary, dtype=str)
        order = np.argsort(vocab)
        labels = np.asarray(labels, dtype=str)
        if vocab.size:
            pos = np.clip(np.searchsorted(vocab, labels, sorter=order), 0, vocab.size - 1)
            found = vocab[order[pos]] == labels
            idx = np.where(found, order[pos], vocab.size).astype(np.int64)
        else:
            idx = np.full(labels.size, 0, dtype=np.int64)
        idx[labels == ""] = vocab.size + 1
        return idx
