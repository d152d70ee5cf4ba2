"""Null distributions of window scores, found by resampling held-out reference rows.

For each window size on a ladder (20, 50, 100, ... up to half the held-out rows), ``calibrate``
draws ``n_resamples`` windows of whole rows *without replacement* from the held-out part,
scores them against the fitted part and keeps every score. Sampling without replacement
matters: its finite-population correction cancels, on average, the held-out part's own
deviation from the population, so thresholds are neither too strict nor too lax. Whole rows
keep the correlation between features, which the dataset statistic needs.

The dataset statistic of a window is ``max_j score_j / q95_j(n)``: the most drifted feature,
each measured against its own 95% null quantile at that window size. Its null distribution
comes from the same resampled windows, so a dataset alarm at level alpha is exact whatever
the correlation between features (the max-T method of Westfall and Young).

Between ladder sizes, quantiles are interpolated linearly in log-log and p-values linearly in
log(n). Outside the ladder, scores are rescaled to the nearest calibrated size with the
power law fitted between its two nearest sizes, and the result is flagged as extrapolated.

Examples
--------
>>> import numpy as np
>>> table = NullTable(np.array([10, 100]), np.ones((2, 9, 1)) * np.array([1.0, 0.3])[:, None, None])
>>> float(table.quantiles(100, 0.95)[0])
0.3
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from driftguard.errors import EmptyDataError
from driftguard.stats.resampling import permutation_p_values, rng

__all__ = ["LADDER", "NullTable", "calibrate", "window_sizes"]

FloatArray = npt.NDArray[np.float64]
ScoreFn = Callable[[FloatArray, FloatArray], FloatArray]
LADDER = (20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000)
_TINY = 1e-12


def window_sizes(n_holdout: int, max_window: int | None = None) -> tuple[int, ...]:
    """Ladder sizes up to half the held-out rows (and ``max_window``), that half included."""
    top = n_holdout // 2 if max_window is None else min(n_holdout // 2, max_window)
    if top < 5:
        raise EmptyDataError(
            f"{n_holdout} held-out rows cannot calibrate thresholds; need at least 10"
        )
    return tuple(sorted({*(s for s in LADDER if s <= top), top}))


@dataclass(frozen=True)
class NullTable:
    """Resampled null scores ``scores[size, resample, feature]`` at each ladder ``size``."""

    sizes: npt.NDArray[np.int64]
    scores: FloatArray

    @property
    def n_resamples(self) -> int:
        """Resampled windows per size."""
        return int(self.scores.shape[1])

    @cached_property
    def _q95(self) -> FloatArray:
        return np.maximum(np.quantile(self.scores, 0.95, axis=1), _TINY)

    @cached_property
    def _dataset_nulls(self) -> FloatArray:
        return np.sort(np.max(self.scores / self._q95[:, None, :], axis=2), axis=1)

    @cached_property
    def _slopes(self) -> FloatArray:
        """Per-size, per-feature log-log slope of the null median (clipped to [-1, 0])."""
        if len(self.sizes) < 2:
            return np.full((len(self.sizes), self.scores.shape[2]), -0.5)
        med = np.log(np.maximum(np.median(self.scores, axis=1), _TINY))
        logn = np.log(self.sizes.astype(np.float64))
        steps = np.diff(med, axis=0) / np.diff(logn)[:, None]
        return np.clip(np.vstack([steps[:1], steps]), -1.0, 0.0)

    def calibrated(self, n: int) -> bool:
        """Whether ``n`` lies within the calibrated sizes (no extrapolation)."""
        return bool(self.sizes[0] <= n <= self.sizes[-1])

    def _bracket(self, n: int) -> tuple[int, int, float]:
        """Indices of the sizes around ``n`` and the weight of the upper one (log scale)."""
        if n <= self.sizes[0]:
            return 0, 0, 0.0
        if n >= self.sizes[-1]:
            last = len(self.sizes) - 1
            return last, last, 0.0
        hi = int(np.searchsorted(self.sizes, n))
        lo = hi - 1
        t = np.log(n / self.sizes[lo]) / np.log(self.sizes[hi] / self.sizes[lo])
        return lo, hi, float(t)

    def _rescale(self, n: int, g: int) -> FloatArray:
        """Per-feature factor mapping a score at size ``n`` onto ladder size ``g``.

        It is 1 inside the ladder; outside, the null median's power law near the edge.
        """
        if self.calibrated(n):
            return np.ones(self.scores.shape[2])
        return np.asarray((n / self.sizes[g]) ** -self._slopes[g], dtype=np.float64)

    @staticmethod
    def _blend(lo: FloatArray, hi: FloatArray, t: float, log: bool) -> FloatArray:
        if not log:
            return (1 - t) * lo + t * hi
        lo, hi = np.maximum(lo, _TINY), np.maximum(hi, _TINY)
        return np.asarray(np.exp((1 - t) * np.log(lo) + t * np.log(hi)), dtype=np.float64)

    def quantiles(self, n: int, level: float) -> FloatArray:
        """Per-feature ``level`` quantile of the null score at window size ``n``."""
        lo, hi, t = self._bracket(n)
        q_lo = np.quantile(self.scores[lo], level, axis=0) / self._rescale(n, lo)
        q_hi = np.quantile(self.scores[hi], level, axis=0) / self._rescale(n, hi)
        return self._blend(q_lo, q_hi, t, log=True)

    def p_values(self, n: int, observed: FloatArray) -> FloatArray:
        """Per-feature resampling p-values ``(1 + k) / (1 + B)`` of observed scores."""
        lo, hi, t = self._bracket(n)
        out = []
        for g in (lo, hi):
            scaled = observed * self._rescale(n, g)
            at_least = np.sum(self.scores[g] >= scaled[None, :], axis=0)
            out.append((1.0 + at_least) / (1.0 + self.n_resamples))
        return self._blend(out[0], out[1], t, log=False)

    def dataset_ratio(self, n: int, observed: FloatArray) -> FloatArray:
        """Each feature's score over its 95% null quantile at size ``n``."""
        return np.asarray(observed / self.quantiles(n, 0.95), dtype=np.float64)

    def dataset_threshold(self, n: int, alpha: float) -> float:
        """The (1 - alpha) quantile of the dataset statistic at size ``n``."""
        lo, hi, t = self._bracket(n)
        qs = np.quantile(self._dataset_nulls[[lo, hi]], 1 - alpha, axis=1)
        return float(self._blend(qs[:1], qs[1:], t, log=True)[0])

    def dataset_p_value(self, n: int, observed: FloatArray) -> float:
        """Resampling p-value of the dataset statistic of a window with these scores."""
        lo, hi, t = self._bracket(n)
        out = []
        for g in (lo, hi):
            stat = np.max(observed * self._rescale(n, g) / self._q95[g])
            out.append(permutation_p_values(np.array([stat]), self._dataset_nulls[g]))
        return float(self._blend(out[0], out[1], t, log=False)[0])


def calibrate(
    score: ScoreFn,
    codes: npt.NDArray[np.int32],
    tails: FloatArray,
    *,
    n_bins_total: int,
    sizes: tuple[int, ...],
    n_resamples: int,
    seed: int,
) -> NullTable:
    """Resample windows of whole held-out rows and score them.

    Parameters
    ----------
    score : callable
        ``score(counts (B, bins_total), tails (B, features, 2)) -> (B, features)``.
    codes : ndarray, shape (rows, features)
        Held-out rows encoded into the flat bin layout.
    tails : ndarray, shape (rows, features, 2)
        Held-out tail distances.
    """
    g = rng(seed)
    n_rows, n_features = codes.shape
    with_tail = np.flatnonzero(tails.reshape(n_rows, -1).any(axis=1))
    has_tail = np.zeros(n_rows, dtype=bool)
    has_tail[with_tail] = True
    table = np.empty((len(sizes), n_resamples, n_features), dtype=np.float64)
    for s, size in enumerate(sizes):
        counts = np.empty((n_resamples, n_bins_total), dtype=np.float64)
        tail_sums = np.zeros((n_resamples, n_features, 2), dtype=np.float64)
        for b in range(n_resamples):
            rows = g.choice(n_rows, size=size, replace=False)
            counts[b] = np.bincount(codes[rows].ravel(), minlength=n_bins_total)
            tail_rows = rows[has_tail[rows]]
            if tail_rows.size:
                tail_sums[b] = tails[tail_rows].sum(axis=0)
        table[s] = score(counts, tail_sums)
    return NullTable(np.asarray(sizes, dtype=np.int64), table)
