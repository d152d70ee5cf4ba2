"""Two-sample statistics on raw 1-D samples: KS, Cramér-von Mises, Wasserstein, energy.

Each is called as ``f(reference, current)`` and returns a :class:`StatResult`. Values match
scipy's ``ks_2samp`` (``method="asymp"``), ``cramervonmises_2samp`` (``method="asymptotic"``),
``wasserstein_distance`` and ``energy_distance``. Missing values (NaN) are dropped.

Examples
--------
>>> import numpy as np
>>> round(ks(np.array([0.0, 1.0, 2.0]), np.array([0.5, 1.5, 2.5])).statistic, 4)
0.3333
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import special, stats

from driftguard.stats._checks import FloatArray, sample_1d
from driftguard.types import StatResult

__all__ = ["cvm", "energy", "ks", "wasserstein"]


def _ecdfs_on_pooled(a: FloatArray, b: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Return both ECDFs at every pooled point but the last, and the gaps between points."""
    a, b = np.sort(a), np.sort(b)
    pooled = np.sort(np.concatenate([a, b]))
    fa = np.searchsorted(a, pooled[:-1], side="right") / a.size
    fb = np.searchsorted(b, pooled[:-1], side="right") / b.size
    return fa, fb, np.diff(pooled)


def ks(reference: Any, current: Any) -> StatResult:
    """Two-sample Kolmogorov-Smirnov test (two-sided, Smirnov's asymptotic p-value).

    Examples
    --------
    >>> import numpy as np
    >>> round(ks(np.arange(10.0), np.arange(10.0) + 5).statistic, 3)
    0.5
    """
    a, b = sample_1d(reference, "reference"), sample_1d(current, "current")
    a, b = np.sort(a), np.sort(b)
    pooled = np.concatenate([a, b])
    diff = (
        np.searchsorted(a, pooled, "right") / a.size - np.searchsorted(b, pooled, "right") / b.size
    )
    d = float(np.max(np.abs(diff)))
    m, n = sorted((float(a.size), float(b.size)), reverse=True)
    p = float(np.clip(stats.kstwo.sf(d, np.round(m * n / (m + n))), 0.0, 1.0))
    return StatResult(d, p)


def _cvm_limit_cdf(x: float) -> float:
    """CDF of the limiting Cramér-von Mises distribution (Csörgő & Faraway 1996, eq. 1.2)."""
    total, k = 0.0, 0
    while True:
        y = 4 * k + 1
        q = y * y / (16.0 * x)
        coef = np.exp(special.gammaln(k + 0.5) - special.gammaln(k + 1))
        term = coef / (np.pi**1.5 * np.sqrt(x)) * np.sqrt(y) * np.exp(-q) * special.kv(0.25, q)
        total += float(term)
        if abs(term) < 1e-7:
            return total
        k += 1


def cvm(reference: Any, current: Any) -> StatResult:
    """Two-sample Cramér-von Mises test with Anderson's (1962) standardised asymptotic p-value.

    Examples
    --------
    >>> import numpy as np
    >>> cvm(np.arange(20.0), np.arange(20.0)).statistic < 0.01
    True
    """
    a = np.sort(sample_1d(reference, "reference"))
    b = np.sort(sample_1d(current, "current"))
    nx, ny = a.size, b.size
    ranks = stats.rankdata(np.concatenate([a, b]))
    rx, ry = ranks[:nx], ranks[nx:]
    u = nx * np.sum((rx - np.arange(1, nx + 1)) ** 2) + ny * np.sum(
        (ry - np.arange(1, ny + 1)) ** 2
    )
    k, big_n = float(nx * ny), float(nx + ny)
    t = float(u / (k * big_n) - (4 * k - 1) / (6 * big_n))
    mean_t = (1 + 1 / big_n) / 6
    var_t = (big_n + 1) * (4 * k * big_n - 3 * (nx**2 + ny**2) - 2 * k) / (45 * big_n**2 * 4 * k)
    tn = 1 / 6 + (t - mean_t) / np.sqrt(45 * var_t)
    p = 1.0 if tn < 0.003 else max(0.0, 1.0 - _cvm_limit_cdf(float(tn)))
    return StatResult(t, min(p, 1.0))


def wasserstein(reference: Any, current: Any, *, normalised: bool = False) -> StatResult:
    """First Wasserstein (earth mover's) distance between two 1-D samples.

    Parameters
    ----------
    normalised : bool
        Divide by the reference standard deviation (ddof=0), so that 0.1 means "a tenth of
        a reference std"; a constant reference divides by 1.

    Examples
    --------
    >>> import numpy as np
    >>> wasserstein(np.array([0.0, 1.0]), np.array([2.0, 3.0])).statistic
    2.0
    """
    a = sample_1d(reference, "reference", allow_inf=False)
    b = sample_1d(current, "current", allow_inf=False)
    fa, fb, gaps = _ecdfs_on_pooled(a, b)
    dist = float(np.sum(np.abs(fa - fb) * gaps))
    if normalised:
        std = float(np.std(a))
        dist /= std if std > 0 else 1.0
    return StatResult(dist, None)


def energy(reference: Any, current: Any) -> StatResult:
    """Energy distance between two 1-D samples (scipy's definition, ``sqrt(2)`` times L2 CDF).

    Examples
    --------
    >>> import numpy as np
    >>> energy(np.array([0.0]), np.array([0.0])).statistic
    0.0
    """
    a = sample_1d(reference, "reference", allow_inf=False)
    b = sample_1d(current, "current", allow_inf=False)
    fa, fb, gaps = _ecdfs_on_pooled(a, b)
    return StatResult(float(np.sqrt(2.0 * np.sum((fa - fb) ** 2 * gaps))), None)
