"""Maximum mean discrepancy: exact RBF-kernel MMD and a linear-time random-feature MMD.

Both take samples of shape (rows, features) (1-D samples are one feature), use the median
heuristic for the RBF bandwidth and return a permutation p-value ``(1 + k) / (1 + B)``.

Examples
--------
>>> import numpy as np
>>> g = np.random.default_rng(0)
>>> x, y = g.normal(size=(60, 2)), g.normal(1.0, size=(60, 2))
>>> mmd(x, y, n_permutations=99).p_value
0.01
"""

from __future__ import annotations

from typing import Any

import numpy as np

from driftguard.errors import ConfigurationError
from driftguard.stats._checks import FloatArray, sample_2d
from driftguard.stats.resampling import permutation_p_value, rng
from driftguard.types import StatResult

__all__ = ["median_bandwidth", "mmd", "rff_mmd"]


def _sq_dists(a: FloatArray, b: FloatArray) -> FloatArray:
    d = np.sum(a * a, 1)[:, None] + np.sum(b * b, 1)[None, :] - 2.0 * a @ b.T
    return np.asarray(np.maximum(d, 0.0), dtype=np.float64)


def median_bandwidth(pooled: FloatArray, max_points: int = 1000, seed: int = 0) -> float:
    """Median pairwise Euclidean distance on at most ``max_points`` rows (1.0 if all tie)."""
    if pooled.shape[0] > max_points:
        pooled = pooled[rng(seed).choice(pooled.shape[0], max_points, replace=False)]
    d = _sq_dists(pooled, pooled)[np.triu_indices(pooled.shape[0], k=1)]
    med = float(np.sqrt(np.median(d))) if d.size else 0.0
    return med if med > 0 else 1.0


def _check_common(x: FloatArray, y: FloatArray, n_permutations: int) -> None:
    if x.shape[1] != y.shape[1]:
        raise ConfigurationError(f"reference has {x.shape[1]} features, current {y.shape[1]}")
    if n_permutations < 1:
        raise ConfigurationError("n_permutations must be at least 1")


def mmd(
    reference: Any,
    current: Any,
    *,
    n_permutations: int = 200,
    bandwidth: float | None = None,
    seed: int = 0,
) -> StatResult:
    """Unbiased squared MMD with an RBF kernel and a permutation p-value.

    Memory and time are quadratic in the pooled size; use :func:`rff_mmd` for large samples.
    """
    x, y = sample_2d(reference, "reference"), sample_2d(current, "current")
    _check_common(x, y, n_permutations)
    pooled = np.vstack([x, y])
    sigma = bandwidth if bandwidth is not None else median_bandwidth(pooled, seed=seed)
    gram = np.exp(-_sq_dists(pooled, pooled) / (2.0 * sigma * sigma))
    n, m, big = x.shape[0], y.shape[0], pooled.shape[0]
    g = rng(seed)
    masks = np.zeros((big, n_permutations + 1))
    masks[:n, 0] = 1.0
    for j in range(1, n_permutations + 1):
        masks[g.permutation(big)[:n], j] = 1.0
    row_sums = gram.sum(axis=1)
    total = row_sums.sum()
    xx = np.einsum("ij,ij->j", masks, gram @ masks)
    x_all = masks.T @ row_sums
    xy = x_all - xx
    yy = total - 2.0 * x_all + xx
    values = (xx - n) / (n * (n - 1)) + (yy - m) / (m * (m - 1)) - 2.0 * xy / (n * m)
    return StatResult(float(values[0]), permutation_p_value(values[0], values[1:]))


def rff_mmd(
    reference: Any,
    current: Any,
    *,
    n_features: int = 256,
    n_permutations: int = 100,
    bandwidth: float | None = None,
    seed: int = 0,
) -> StatResult:
    """Squared MMD on random Fourier features of the RBF kernel (Rahimi & Recht 2007).

    Time and memory are linear in the number of rows: ``O(rows * n_features)`` for the
    statistic and ``O(n_permutations * rows * n_features)`` for its p-value.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(1).normal(size=(500, 3))
    >>> rff_mmd(x, x + 2.0, n_permutations=49).p_value
    0.02
    """
    x, y = sample_2d(reference, "reference"), sample_2d(current, "current")
    _check_common(x, y, n_permutations)
    if n_features < 1:
        raise ConfigurationError("n_features must be at least 1")
    pooled = np.vstack([x, y])
    sigma = bandwidth if bandwidth is not None else median_bandwidth(pooled, seed=seed)
    g = rng(seed)
    omega = g.normal(scale=1.0 / sigma, size=(pooled.shape[1], n_features))
    phase = g.uniform(0.0, 2.0 * np.pi, size=n_features)
    phi = np.sqrt(2.0 / n_features) * np.cos(pooled @ omega + phase)
    n, big = x.shape[0], pooled.shape[0]

    def statistic(first: np.ndarray[Any, np.dtype[np.intp]]) -> float:
        in_x = np.zeros(big, dtype=bool)
        in_x[first] = True
        delta = phi[in_x].mean(axis=0) - phi[~in_x].mean(axis=0)
        return float(delta @ delta)

    observed = statistic(np.arange(n))
    null = np.array([statistic(g.permutation(big)[:n]) for _ in range(n_permutations)])
    return StatResult(observed, permutation_p_value(observed, null))
