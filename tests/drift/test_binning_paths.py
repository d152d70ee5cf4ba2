"""Both code paths of NumericBins.codes (searchsorted for small batches, compare-and-add for
large ones) give the same bins, NaN and infinities included."""

from __future__ import annotations

import numpy as np
import pytest

import driftguard.drift.binning as binning
from driftguard.drift.binning import NumericBins


@pytest.mark.parametrize("n", [1, 7, 100, 3000])
@pytest.mark.parametrize("n_bins", [4, 32, 100])
def test_small_and_large_batch_paths_agree(
    n: int, n_bins: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    g = np.random.default_rng(n * 1000 + n_bins)
    bins = NumericBins.fit(g.normal(size=5000), n_bins)
    values = g.normal(size=n) * 2
    values[::7] = np.nan
    values[::11] = np.inf
    values[::13] = -np.inf
    values[::5] = bins.edges[min(3, bins.edges.size - 1)]
    values[::17] = bins.edges[-1]
    monkeypatch.setattr(binning, "SMALL_BATCH", 0)
    compare_and_add = bins.codes(values)
    monkeypatch.setattr(binning, "SMALL_BATCH", 10**9)
    searched = bins.codes(values)
    np.testing.assert_array_equal(compare_and_add, searched)
