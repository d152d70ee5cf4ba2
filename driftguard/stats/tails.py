"""Resampling p-values with a fitted tail: no floor at ``1 / (1 + B)``.

A p-value from ``B`` resampled null statistics, ``(1 + k) / (1 + B)``, cannot fall below
``1 / (1 + B)``: a window a hundred standard errors out reads the same as one just past the
largest null draw. That floor caps how much evidence one window can carry, and a sequential
rule with a long run length then needs many windows to fire however strong the change.

Beyond the top ``n_tail`` null draws the p-value comes from a generalised Pareto distribution
(GPD) fitted to the exceedances over the threshold ``u`` (the largest value below them), as in
Knijnenburg, Wessels, Reinders and Shmulevich (2009, "Fewer permutations, more accurate
P-values", Bioinformatics 25(12)): ``p(x) = (n_tail + 1) / (B + 1) * S(x - u)``, used where
fewer than 10 null draws reach ``x`` (the plain p-value stands where it has that support).
The GPD is fitted by probability-weighted moments (Hosking and Wallis 1987, Technometrics
29(3)), which behave well on a few dozen exceedances. The statistics driftguard resamples (maxima of
distances, chi-squared-like divergences) lie in the Gumbel domain of attraction, whose GPD
shape is 0; the shape is therefore clamped at ``>= 0``: a fitted lighter tail (a finite upper
end, where p would jump to 0) becomes the exponential tail of the same mean excess, which is
heavier, so the extension errs towards larger (conservative) p-values. Below ``u`` the plain
resampling p-value stands.

Examples
--------
>>> import numpy as np
>>> null = np.sort(np.random.default_rng(0).exponential(size=1000))
>>> p = tail_p_values(null, np.array([0.5, 12.0]))
>>> round(float(p[0]), 2), bool(1e-7 < p[1] < 1e-4)
(0.64, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from driftguard.errors import ConfigurationError
from driftguard.stats.evidence import P_FLOOR

__all__ = ["TailFit", "fit_tail", "tail_p_values"]

FloatArray = npt.NDArray[np.float64]

MIN_TAIL = 20
"""Exceedances fitted at least (fewer when the null has under ``2 * MIN_TAIL`` draws)."""
MAX_TAIL = 250
"""Exceedances fitted at most."""
TAIL_SHARE = 0.1
"""Share of the null draws fitted as the tail, between :data:`MIN_TAIL` and :data:`MAX_TAIL`."""
MIN_COUNT = 10
"""Null draws at or beyond an observed value for its plain resampling p-value to stand."""


@dataclass(frozen=True, slots=True)
class TailFit:
    """A GPD fitted to the top ``n_tail`` of ``n_null`` null draws, over threshold ``u``.

    Examples
    --------
    >>> TailFit(u=1.0, scale=0.5, shape=0.0, n_tail=20, n_null=200).survival(np.array([2.0]))
    array([0.01413951])
    """

    u: float
    scale: float
    shape: float
    n_tail: int
    n_null: int

    def survival(self, x: FloatArray) -> FloatArray:
        """``P(null > x)`` for ``x >= u`` (floored at :data:`P_FLOOR`)."""
        y = np.maximum(np.asarray(x, dtype=np.float64) - self.u, 0.0)
        if self.shape > 0.0:
            tail = np.exp(-np.log1p(self.shape * y / self.scale) / self.shape)
        else:
            tail = np.exp(-y / self.scale)
        share = (self.n_tail + 1) / (self.n_null + 1)
        return np.asarray(np.maximum(share * tail, P_FLOOR), dtype=np.float64)


def fit_tail(null_sorted: FloatArray) -> TailFit | None:
    """Fit the tail of ascending null draws; ``None`` when it has no spread to fit.

    Raises
    ------
    ConfigurationError
        Fewer than 4 null draws.
    """
    b = int(null_sorted.shape[0])
    if b < 4:
        raise ConfigurationError(f"a tail fit needs at least 4 null draws, got {b}")
    n_tail = min(max(MIN_TAIL, math.ceil(TAIL_SHARE * b)), MAX_TAIL, b // 2)
    u = float(null_sorted[b - n_tail - 1])
    y = np.asarray(null_sorted[b - n_tail :], dtype=np.float64) - u
    a0 = float(y.mean())
    if not a0 > 0.0 or not math.isfinite(a0):
        return None
    plotting = (np.arange(1, n_tail + 1) - 0.35) / n_tail
    a1 = float(np.mean((1.0 - plotting) * y))
    denom = a0 - 2.0 * a1
    shape = -(a0 / denom - 2.0) if denom > 0.0 else 0.0  # Hosking-Wallis k, as GPD xi = -k
    if shape > 0.0:
        scale = 2.0 * a0 * a1 / denom
    else:
        shape, scale = 0.0, a0  # clamped to the exponential tail of the same mean excess
    return TailFit(u=u, scale=scale, shape=min(shape, 1.0), n_tail=n_tail, n_null=b)


def tail_p_values(
    null_sorted: FloatArray, observed: FloatArray, fit: TailFit | str | None = "auto"
) -> FloatArray:
    """p-values of ``observed`` against ascending null draws, the tail from a fitted GPD.

    Where at least :data:`MIN_COUNT` null draws reach the observed value the resampling
    p-value ``(1 + k) / (1 + B)`` is returned; beyond, the fitted tail's (never 0, never floored
    at ``1 / (1 + B)``).
    """
    null_sorted = np.asarray(null_sorted, dtype=np.float64)
    obs = np.asarray(observed, dtype=np.float64)
    b = null_sorted.shape[0]
    at_least = b - np.searchsorted(null_sorted, obs, side="left")
    plain = (1.0 + at_least) / (1.0 + b)
    if isinstance(fit, str):
        fit = fit_tail(null_sorted)
    if fit is None:
        return np.asarray(plain, dtype=np.float64)
    beyond = (obs > fit.u) & (at_least < MIN_COUNT)
    return np.asarray(np.where(beyond, fit.survival(obs), plain), dtype=np.float64)
