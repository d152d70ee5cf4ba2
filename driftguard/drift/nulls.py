"""Null distributions of window scores, found by resampling held-out reference rows.

The live test compares a window of ``n`` rows with the fitted part of the reference (``f``
rows). Under no drift both are samples of one population, so the null distribution of a score
is that of "``f`` reference rows against ``n`` other rows". ``calibrate`` reproduces exactly
that by re-splitting the reference: it draws ``n_splits`` random splits of all reference rows
into a fitted-size part and a held-out part (the first split is the profile's real one), and
for each window size on a ladder (20, 50, 100, ... up to half the held-out rows) scores
``n_resamples`` windows of whole held-out rows, drawn without replacement, against their
split's fitted part. Re-splitting matters: one fixed held-out part would centre every null
window on that part's own chance deviation, and correlated features would all inherit it.
Whole rows keep the correlation between features, which the dataset statistic needs.

The dataset statistic of a window is ``max_j score_j / q95_j(n)``: the most drifted feature,
each measured against its own 95% null quantile at that window size. Its null distribution
comes from the same resampled windows, so a dataset alarm at level alpha is calibrated
whatever the correlation between features (the max-T method of Westfall and Young).

Between ladder sizes, quantiles are interpolated linearly in log-log and p-values linearly in
log(n). Outside the ladder, scores are rescaled with the sampling law of the statistic:
``score ** k`` is proportional to ``1/n + 1/f`` (``k = 2`` for distances such as Wasserstein,
Jensen-Shannon, Hellinger and TVD; ``k = 1`` for PSI and KL, which behave like chi-squared / n),
and the result is flagged as extrapolated.

Examples
--------
>>> import numpy as np
>>> scores = np.ones((2, 9, 1)) * np.array([1.0, 0.3])[:, None, None]
>>> float(NullTable(np.array([10, 100]), scores).quantiles(100, 0.95)[0])
0.3
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from driftguard.errors import EmptyDataError
from driftguard.stats.resampling import rng
from driftguard.stats.tails import TailFit, fit_tail, tail_p_values

__all__ = ["LADDER", "NullTable", "calibrate", "window_sizes"]

FloatArray = npt.NDArray[np.float64]
LADDER = (20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000)
_TINY = 1e-12


def window_sizes(n_holdout: int, max_window: int | None = None) -> tuple[int, ...]:
    """Ladder sizes up to half the held-out rows and ``max_window``, the top one included."""
    top = n_holdout // 2 if max_window is None else min(n_holdout // 2, max_window)
    if top < 5:
        raise EmptyDataError(
            f"{n_holdout} held-out rows cannot calibrate thresholds; need at least 10"
        )
    return tuple(sorted({*(s for s in LADDER if s <= top), top}))


def _sorted_quantile(rows: FloatArray, level: float) -> FloatArray:
    """Quantile along axis 0 of already sorted rows (linear interpolation, as numpy's)."""
    pos = level * (rows.shape[0] - 1)
    lo = int(np.floor(pos))
    hi = min(lo + 1, rows.shape[0] - 1)
    frac = pos - lo
    return np.asarray((1 - frac) * rows[lo] + frac * rows[hi], dtype=np.float64)


@dataclass(frozen=True)
class NullTable:
    """Resampled null scores ``scores[size, resample, feature]`` at each ladder ``size``.

    ``n_reference`` is the size of the fitted reference part (0: treat it as infinite) and
    ``powers[j]`` is ``1 / k`` of feature ``j``'s sampling law (default 0.5), used outside the
    ladder only.

    Examples
    --------
    >>> import numpy as np
    >>> table = NullTable(np.array([100]), np.arange(1.0, 11.0).reshape(1, 10, 1))
    >>> table.p_values(100, np.array([9.5])).tolist()
    [0.18181818181818182]
    """

    sizes: npt.NDArray[np.int64]
    scores: FloatArray
    n_reference: int = 0
    powers: FloatArray | None = None

    @property
    def n_resamples(self) -> int:
        """Resampled windows per size."""
        return int(self.scores.shape[1])

    @cached_property
    def _sorted(self) -> FloatArray:
        return np.sort(self.scores, axis=1)

    def _quantile(self, g: int, level: float) -> FloatArray:
        """Per-feature quantile at ladder index ``g`` (linear interpolation, as numpy's)."""
        return _sorted_quantile(self._sorted[g], level)

    @cached_property
    def _q95(self) -> FloatArray:
        return np.maximum(
            np.stack([self._quantile(g, 0.95) for g in range(len(self.sizes))]), _TINY
        )

    def _loo_q95(self, g: int) -> FloatArray:
        """Each resample's 95% quantile computed without that resample, ``(B, features)``.

        Normalising a null window by a quantile it helped estimate makes the null of the
        max-ratio too narrow; leaving it out keeps null and live windows exchangeable.
        """
        b = self.n_resamples
        ranks = np.argsort(np.argsort(self.scores[g], axis=0, kind="stable"), axis=0)
        pos = 0.95 * (b - 2)
        lo = int(np.floor(pos))
        frac = pos - lo
        rows = self._sorted[g]

        def value(i: int) -> FloatArray:
            return np.asarray(np.where(i >= ranks, rows[min(i + 1, b - 1)], rows[i]), np.float64)

        loo = (1 - frac) * value(lo) + frac * value(min(lo + 1, b - 2))
        return np.asarray(np.maximum(loo, _TINY), dtype=np.float64)

    @cached_property
    def _dataset_nulls(self) -> FloatArray:
        ratios = [self.scores[g] / self._loo_q95(g) for g in range(len(self.sizes))]
        return np.sort(np.max(np.stack(ratios), axis=2), axis=1)

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

        It is 1 inside the ladder; outside, ``(law(size_g) / law(n)) ** power`` with
        ``law(m) = 1/m + 1/n_reference``.
        """
        n_features = self.scores.shape[2]
        if self.calibrated(n):
            return np.ones(n_features)
        inv_ref = 1.0 / self.n_reference if self.n_reference > 0 else 0.0
        law = (1.0 / float(self.sizes[g]) + inv_ref) / (1.0 / n + inv_ref)
        powers = self.powers if self.powers is not None else np.full(n_features, 0.5)
        return np.asarray(law**powers, dtype=np.float64)

    @staticmethod
    def _blend(lo: FloatArray, hi: FloatArray, t: float, log: bool) -> FloatArray:
        if not log:
            return (1 - t) * lo + t * hi
        lo, hi = np.maximum(lo, _TINY), np.maximum(hi, _TINY)
        return np.asarray(np.exp((1 - t) * np.log(lo) + t * np.log(hi)), dtype=np.float64)

    def quantiles(self, n: int, level: float) -> FloatArray:
        """Per-feature ``level`` quantile of the null score at window size ``n``."""
        lo, hi, t = self._bracket(n)
        q_lo = self._quantile(lo, level) / self._rescale(n, lo)
        q_hi = self._quantile(hi, level) / self._rescale(n, hi)
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
        lo, hi, t = self._bracket(n)
        q95 = self._blend(
            self._q95[lo] / self._rescale(n, lo), self._q95[hi] / self._rescale(n, hi), t, log=True
        )
        return np.asarray(observed / q95, dtype=np.float64)

    def dataset_threshold(self, n: int, alpha: float) -> float:
        """The (1 - alpha) quantile of the dataset statistic at size ``n``."""
        lo, hi, t = self._bracket(n)
        q_lo = _sorted_quantile(self._dataset_nulls[lo], 1 - alpha)
        q_hi = _sorted_quantile(self._dataset_nulls[hi], 1 - alpha)
        return float(self._blend(q_lo[None], q_hi[None], t, log=True)[0])

    def dataset_p_value(self, n: int, observed: FloatArray) -> float:
        """p-value of the dataset statistic of a window with these scores.

        The resampling p-value, with the tail beyond the largest null draws from a fitted
        generalised Pareto distribution (:mod:`driftguard.stats.tails`): never floored at
        ``1 / (1 + B)``, so one strongly drifted window carries strong evidence.
        """
        return float(self.dataset_p_values(n, np.asarray(observed)[None, :])[0])

    def dataset_p_values(self, n: int, observed: FloatArray) -> FloatArray:
        """:meth:`dataset_p_value` of many windows of ``n`` rows: scores ``(windows, features)``.

        The statistic is :meth:`dataset_ratio`'s largest ratio; between ladder sizes its null
        draws are the sorted draws of the two sizes around ``n`` blended in log scale, as
        :meth:`dataset_threshold` blends their quantiles.
        """
        stat = np.max(np.atleast_2d(self.dataset_ratio(n, np.atleast_2d(observed))), axis=1)
        null, fit = self._dataset_tail(*self._bracket(n))
        return tail_p_values(null, stat, fit)

    def _dataset_tail(self, lo: int, hi: int, t: float) -> tuple[FloatArray, TailFit | None]:
        """The dataset statistic's null draws between two sizes, and their tail (cached)."""
        key = (lo, hi, round(t, 12))
        cache = self._tail_cache
        if key not in cache:
            null = self._blend(self._dataset_nulls[lo], self._dataset_nulls[hi], t, log=True)
            if len(cache) >= 64:
                cache.clear()
            cache[key] = (null, fit_tail(null))
        return cache[key]

    @cached_property
    def _tail_cache(self) -> dict[tuple[int, int, float], tuple[FloatArray, TailFit | None]]:
        return {}


Progress = Callable[[int, int], None]
RefScoreFn = Callable[[FloatArray, FloatArray, FloatArray, FloatArray], FloatArray]


def _split_sums(
    codes: npt.NDArray[np.int32],
    tails: FloatArray,
    has_tail: npt.NDArray[np.bool_],
    rows: npt.NDArray[np.intp],
    n_bins_total: int,
) -> tuple[FloatArray, FloatArray]:
    """Counts and tail sums of some rows (tails gathered only where a row has one)."""
    counts = np.bincount(codes[rows].ravel(), minlength=n_bins_total).astype(np.float64)
    return counts, tails[rows[has_tail[rows]]].sum(axis=0)


def calibrate(
    score: RefScoreFn,
    codes: npt.NDArray[np.int32],
    tails: FloatArray,
    *,
    first_split: npt.NDArray[np.intp],
    n_holdout: int,
    n_bins_total: int,
    sizes: tuple[int, ...],
    n_resamples: int,
    n_splits: int,
    seed: int,
    powers: FloatArray,
    progress: Progress | None = None,
) -> NullTable:
    """Score resampled windows of held-out rows against their split's fitted part.

    Parameters
    ----------
    score : callable
        ``score(ref_counts, ref_tails, counts, tails) -> (B, features)`` with reference
        counts ``(B, bins_total)``, tails ``(B, features, 2)`` and windows likewise.
    codes : ndarray, shape (rows, features)
        All reference rows encoded into the flat bin layout.
    tails : ndarray, shape (rows, features, 2)
        All reference rows' tail distances.
    first_split : ndarray
        The profile's own row order: the first ``n_holdout`` rows are its held-out part.
    n_holdout : int
        Rows held out in every split.
    n_bins_total : int
        Length of the flat bin layout.
    sizes : tuple of int
        Window sizes to calibrate (each at most ``n_holdout``).
    n_resamples : int
        Windows per size.
    n_splits : int
        Random splits of the reference (the first is ``first_split``).
    seed : int
        Seed of the resampling.
    powers : ndarray
        Per-feature ``1 / k`` of the sampling law, stored for extrapolation.
    progress : callable, optional
        Called as ``progress(done, total)`` (rows resampled so far) while calibrating.
    """
    g = rng(seed)
    n_rows, n_features = codes.shape
    n_splits = max(1, min(n_splits, n_resamples))
    orders = [first_split, *(g.permutation(n_rows) for _ in range(n_splits - 1))]
    held = [order[:n_holdout] for order in orders]
    has_tail = np.asarray(tails.reshape(n_rows, -1).any(axis=1), dtype=np.bool_)
    refs = [
        _split_sums(codes, tails, has_tail, order[n_holdout:], n_bins_total) for order in orders
    ]
    which = np.arange(n_resamples) % n_splits
    ref_counts = np.stack([refs[k][0] for k in which])
    ref_tails = np.stack([refs[k][1] for k in which])
    table = np.empty((len(sizes), n_resamples, n_features), dtype=np.float64)
    total, done = sum(sizes) * n_resamples, 0
    for s, size in enumerate(sizes):
        counts = np.empty((n_resamples, n_bins_total), dtype=np.float64)
        tail_sums = np.empty((n_resamples, n_features, 2), dtype=np.float64)
        for b in range(n_resamples):
            rows = held[which[b]][g.choice(n_holdout, size=size, replace=False)]
            counts[b], tail_sums[b] = _split_sums(codes, tails, has_tail, rows, n_bins_total)
        table[s] = score(ref_counts, ref_tails, counts, tail_sums)
        done += size * n_resamples
        if progress is not None:
            progress(done, total)
    n_fit = n_rows - n_holdout
    return NullTable(np.asarray(sizes, dtype=np.int64), table, n_fit, powers)
