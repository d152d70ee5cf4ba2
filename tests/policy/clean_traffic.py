"""Simulated clean traffic for run-length tests: correlated features, real drift p-values.

Windows are drawn (rows with replacement) from a large pool of clean rows generated once, so
each window is a fresh sample of (nearly) the population; the pool is encoded on the profile's
bins once and every window is scored in batches through the profile's own scorer and null
table (:meth:`ReferenceProfile.score_many`, :meth:`NullTable.dataset_p_values`), which is what
:class:`~driftguard.drift.check.DriftCheck` runs for one window.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from driftguard.drift.profile import ReferenceProfile
from driftguard.drift.window import encode
from driftguard.stats.evidence import cusum_update

FEATURES = 20
CORRELATION = 0.5
NAMES = [f"f{j}" for j in range(FEATURES)]
_CHOL = np.linalg.cholesky(
    CORRELATION * np.ones((FEATURES, FEATURES)) + (1 - CORRELATION) * np.eye(FEATURES)
)


def correlated_rows(g: np.random.Generator, n: int) -> dict[str, npt.NDArray[np.float64]]:
    """``n`` rows of 20 standard normal features with pairwise correlation 0.5."""
    x = g.normal(size=(n, FEATURES)) @ _CHOL.T
    return dict(zip(NAMES, x.T, strict=True))


class WindowSampler:
    """Dataset p-values of clean windows of ``n`` rows drawn from ``pool``."""

    def __init__(self, profile: ReferenceProfile, pool: dict[str, npt.NDArray[np.float64]], n: int):
        self.profile, self.n = profile, n
        self.codes, tails = encode(profile.schema_, profile.bins_, pool)
        self.tails = tails
        self.has_tail = tails.reshape(tails.shape[0], -1).any(axis=1)
        self.nulls = profile.calibration()

    def p_values(self, k: int, g: np.random.Generator) -> npt.NDArray[np.float64]:
        """Dataset p-values of ``k`` fresh windows."""
        idx = g.integers(0, self.codes.shape[0], size=(k, self.n))
        counts = self.profile.count_windows(self.codes[idx].reshape(k * self.n, -1), self.n)
        tail_sums = np.zeros((k, *self.tails.shape[1:]))
        hit = self.has_tail[idx]
        if hit.any():
            np.add.at(tail_sums, np.nonzero(hit)[0], self.tails[idx[hit]])
        scores = self.profile.score_counts(counts, tail_sums)
        return self.nulls.dataset_p_values(self.n, scores)


PValues = Callable[[int, np.random.Generator], npt.NDArray[np.float64]]


def cusum_run_lengths(
    draw: PValues, h: float, runs: int, g: np.random.Generator, cap: int
) -> npt.NDArray[np.int64]:
    """Windows to the first CUSUM crossing of ``h`` in ``runs`` independent runs (lockstep)."""
    w = np.zeros(runs)
    length = np.full(runs, cap, dtype=np.int64)
    active = np.arange(runs)
    for t in range(1, cap + 1):
        w[active] = cusum_update(w[active], draw(active.size, g))
        fired = w[active] >= h
        length[active[fired]] = t
        active = active[~fired]
        if active.size == 0:
            break
    return length
