"""The simulated world: correlated features, one reference profile, clean and shifted windows.

Rows have ``features`` standard-normal features with pairwise correlation ``rho`` (one shared
factor: ``x_j = sqrt(1 - rho) z_j + sqrt(rho) c``). The reference (``reference_rows`` rows) is
fitted once into a :class:`ReferenceProfile` calibrated at 100, 250 and 1,000-row windows.

Every window is judged two ways, both read off the same per-feature scores:

- its dataset p-value (``profile.calibration().dataset_p_values``), the input of the CUSUM;
- today's status verdict, exactly what ``DriftCheck().run(...).drift`` says at alpha 0.05
  (dataset ratio above its null quantile *and* a feature at its effect size), the breach of
  today's 3-of-5 rule.

Clean windows come from a pool of ``pool_rows`` clean rows encoded once on the profile's bins,
cut into blocks of :data:`BLOCK` consecutive rows whose bin counts and tail sums are kept: a
``window_rows``-row window is ``window_rows / BLOCK`` blocks drawn with replacement, so it costs
a sum of a few count vectors instead of binning 5,000 numbers (:meth:`World.clean`). Pool rows
are iid, so a block is as good as 25 rows drawn one by one. Shifted windows are generated
fresh and scored with ``profile.score_windows`` (:meth:`World.shifted`).
:meth:`World.agreement` checks on a few hundred windows that the pooled path,
``score_windows`` and ``DriftCheck.run`` agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from driftguard.drift.check import DriftCheck
from driftguard.drift.profile import ReferenceProfile
from driftguard.drift.window import encode
from driftguard.errors import ConfigurationError

__all__ = ["ALPHA", "Judged", "World", "WorldConfig", "correlated_rows"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

ALPHA = 0.05
"""Level of today's per-window status verdict."""
CALIBRATED_SIZES = (100, 250, 1000)
BLOCK = 25
"""Pool rows per block: a pooled window is ``window_rows / BLOCK`` blocks."""
_CHUNK_ROWS = 100_000
_REFERENCE, _POOL, _DRAW, _SHIFT = 1, 2, 3, 4


@dataclass(frozen=True, slots=True)
class WorldConfig:
    """The simulated data: what the tables' captions state."""

    features: int = 20
    rho: float = 0.5
    reference_rows: int = 20_000
    pool_rows: int = 1_000_000
    n_resamples: int = 1000
    seed: int = 0

    def describe(self) -> str:
        """One line for the captions."""
        return (
            f"{self.features} N(0, 1) features with pairwise correlation {self.rho:g}; "
            f"reference {self.reference_rows:,} rows (profile n_resamples={self.n_resamples})"
        )


@dataclass(frozen=True, slots=True)
class Judged:
    """Windows as the rules see them: dataset p-values and today's verdicts."""

    p: FloatArray
    verdict: BoolArray

    def __len__(self) -> int:
        return int(self.p.size)


def correlated_rows(g: np.random.Generator, rows: int, features: int, rho: float) -> FloatArray:
    """``(features, rows)`` equicorrelated standard normals (column-major: one row per feature)."""
    z = g.standard_normal((features, rows))
    z *= np.sqrt(1.0 - rho)
    z += np.sqrt(rho) * g.standard_normal((1, rows))
    return z


class World:
    """The fitted reference profile, the encoded clean pool and the two ways to draw windows."""

    def __init__(self, config: WorldConfig) -> None:
        if config.features < 2 or not 0.0 <= config.rho < 1.0:
            raise ConfigurationError("bench rollback: need features >= 2 and rho in [0, 1)")
        if config.pool_rows < _CHUNK_ROWS or config.pool_rows % _CHUNK_ROWS:
            raise ConfigurationError(
                f"bench rollback: pool_rows must be a multiple of {_CHUNK_ROWS}"
            )
        self.config = config
        self.names = [f"x{j:02d}" for j in range(config.features)]
        g = np.random.default_rng((config.seed, _REFERENCE))
        reference = correlated_rows(g, config.reference_rows, config.features, config.rho)
        self.profile = ReferenceProfile(
            n_resamples=config.n_resamples, window_sizes=CALIBRATED_SIZES, seed=config.seed
        ).fit(self.columns(reference))
        self._check = DriftCheck(alpha=ALPHA)
        self._effect = self._check.effect_sizes(self.profile)
        self._encode_pool()

    def columns(self, rows: FloatArray) -> dict[str, FloatArray]:
        """Column-major rows as the profile's named columns."""
        return {name: rows[j] for j, name in enumerate(self.names)}

    def _pool_chunk(self, i: int) -> FloatArray:
        g = np.random.default_rng((self.config.seed, _POOL, i))
        size = min(_CHUNK_ROWS, self.config.pool_rows - i * _CHUNK_ROWS)
        return correlated_rows(g, size, self.config.features, self.config.rho)

    def _encode_pool(self) -> None:
        """Bin counts and tail sums of every block of :data:`BLOCK` consecutive pool rows."""
        counts, tails = [], []
        for i in range(self.config.pool_rows // _CHUNK_ROWS):
            rows = self.columns(self._pool_chunk(i))
            codes, tail = encode(self.profile.schema_, self.profile.bins_, rows)
            counts.append(self.profile.count_windows(codes, BLOCK).astype(np.uint8))
            tails.append(tail.reshape(-1, BLOCK, *tail.shape[1:]).sum(axis=1))
        self._counts = np.concatenate(counts)
        self._tails = np.concatenate(tails)

    def _pool_scores(self, blocks: IntArray) -> FloatArray:
        """Per-feature scores of windows made of pool blocks ``blocks`` ``(windows, blocks)``."""
        counts = self._counts[blocks].sum(axis=1, dtype=np.float64)
        return self.profile.score_counts(counts, self._tails[blocks].sum(axis=1))

    def judge(self, scores: FloatArray, window_rows: int) -> Judged:
        """Dataset p-values and today's verdicts (as ``DriftCheck.run``) from window scores."""
        nulls = self.profile.calibration()
        ratios = nulls.dataset_ratio(window_rows, scores)
        threshold = nulls.dataset_threshold(window_rows, ALPHA)
        verdict = np.any((ratios > threshold) & (scores >= self._effect), axis=1)
        return Judged(nulls.dataset_p_values(window_rows, scores), verdict)

    def _draw(self, g: np.random.Generator, windows: int, window_rows: int) -> IntArray:
        if window_rows % BLOCK:
            raise ConfigurationError(f"pooled windows are made of {BLOCK}-row blocks")
        return g.integers(0, self._counts.shape[0], size=(windows, window_rows // BLOCK))

    def clean(self, g: np.random.Generator, windows: int, window_rows: int = 250) -> Judged:
        """``windows`` clean windows of pool blocks drawn with replacement."""
        return self.judge(self._pool_scores(self._draw(g, windows, window_rows)), window_rows)

    def shifted(
        self, g: np.random.Generator, windows: int, window_rows: int, shift: FloatArray
    ) -> Judged:
        """``windows`` fresh windows whose feature means moved by ``shift`` (sd units)."""
        rows = correlated_rows(g, windows * window_rows, self.config.features, self.config.rho)
        rows += shift[:, None]
        scores = self.profile.score_windows(self.columns(rows), window_rows)
        return self.judge(scores, window_rows)

    def agreement(self, windows: int, window_rows: int = 250) -> tuple[int, int]:
        """Pooled windows on which pooled scores equal ``score_windows`` and ``DriftCheck`` agrees.

        Returns (windows whose verdict and p-value equal ``DriftCheck.run``'s, windows checked).
        """
        g = np.random.default_rng((self.config.seed, _DRAW))
        first = self._pool_chunk(0)
        blocks = g.integers(0, first.shape[1] // BLOCK, size=(windows, window_rows // BLOCK))
        rows = (blocks[:, :, None] * BLOCK + np.arange(BLOCK)).reshape(windows, window_rows)
        pooled = self._pool_scores(blocks)
        judged = self.judge(pooled, window_rows)
        batch = self.profile.score_windows(self.columns(first[:, rows.ravel()]), window_rows)
        if not np.allclose(batch, pooled, rtol=1e-9, atol=1e-12):
            return 0, windows
        agree = 0
        for w in range(windows):
            report = self._check.run(self.profile, self.columns(first[:, rows[w]]))
            same_p = abs(report.dataset_p_value - judged.p[w]) <= 1e-6 * judged.p[w]
            agree += int(report.drift == bool(judged.verdict[w]) and same_p)
        return agree, windows
