r"""Per-window evidence against "no change": p-values turned into e-values, and combined.

A sequential rule needs evidence it can add up window after window. A valid p-value ``p`` of
one window (uniform, or stochastically larger, under no change) is turned into an e-value with
the *mixture calibrator* of Vovk and Wang (2021, "E-values: calibration, combination and
applications", Ann. Statist. 49(3)):

.. math:: e(p) = \int_0^1 \kappa p^{\kappa - 1} d\kappa = \frac{1 - p + p \ln p}{p \ln^2 p}

Each power calibrator ``kappa * p ** (kappa - 1)`` is the likelihood ratio of a Beta(kappa, 1)
alternative against the uniform null, so ``e(p)`` is the likelihood ratio of their uniform
mixture: its mean under the null is exactly 1 for uniform p-values (at most 1 for
conservative ones), it rewards a p-value of ``1e-6`` with ``e = 5.2e3`` (a power calibrator
must pick one strength in advance) and costs at most ``ln 2`` per unremarkable window
(``e(1) = 1/2``). :func:`log_e_values` is ``ln e(p)``, the increment of the CUSUM in
:mod:`driftguard.stats.run_length`.

With ``u = -ln p`` the calibrator is ``(exp(u) - 1 - u) / u**2``, which is what is computed
(stable for ``p`` near 1, where it tends to 1/2, and for ``p`` near 0).

Examples
--------
>>> import numpy as np
>>> [round(float(x), 3) for x in log_e_values(np.array([1.0, 0.05, 1e-6]))]
[-0.693, 0.578, 8.564]
>>> bonferroni([0.01, 0.2, 0.5])
0.03
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from driftguard.errors import ConfigurationError

__all__ = ["P_FLOOR", "bonferroni", "cusum_update", "log_e_values"]

FloatArray = npt.NDArray[np.float64]

P_FLOOR = 1e-300
"""Smallest p-value taken at face value (``ln e`` is then about 677); smaller ones are floored."""

_SMALL_U = 1e-4
_LARGE_U = 30.0


def log_e_values(p: npt.ArrayLike) -> FloatArray:
    """``ln e(p)`` of the mixture calibrator, elementwise (``p`` in ``(0, 1]``, floored).

    Raises
    ------
    ConfigurationError
        A p-value is NaN or outside ``[0, 1]``.
    """
    arr = np.atleast_1d(np.asarray(p, dtype=np.float64))
    if np.any(~np.isfinite(arr)) or np.any(arr < 0.0) or np.any(arr > 1.0):
        raise ConfigurationError("p-values must lie in [0, 1]")
    u = -np.log(np.clip(arr, P_FLOOR, 1.0))
    out = np.empty_like(u)
    small = u < _SMALL_U
    large = u > _LARGE_U
    mid = ~(small | large)
    out[small] = np.log(0.5 + u[small] / 6.0 + u[small] ** 2 / 24.0)
    um = u[mid]
    out[mid] = np.log((np.expm1(um) - um) / um**2)
    ul = u[large]
    out[large] = ul - 2.0 * np.log(ul) + np.log1p(-(1.0 + ul) * np.exp(-ul))
    return out


def cusum_update(statistic: npt.ArrayLike, p: npt.ArrayLike) -> FloatArray:
    """One CUSUM step per element: ``max(0, statistic + ln e(p))`` (nats).

    Examples
    --------
    >>> w = cusum_update(0.0, 1e-3)
    >>> [round(float(x), 2) for x in (w[0], cusum_update(w, 1.0)[0])]
    [3.03, 2.34]
    """
    step = np.asarray(statistic, dtype=np.float64) + log_e_values(p)
    return np.asarray(np.maximum(step, 0.0), dtype=np.float64)


def bonferroni(p_values: Iterable[float]) -> float:
    """One valid p-value from several: ``min(1, n * min(p))`` (any dependence between them).

    Raises
    ------
    ConfigurationError
        No p-values were given.
    """
    values = [float(p) for p in p_values]
    if not values:
        raise ConfigurationError("bonferroni: no p-values to combine")
    return min(1.0, len(values) * min(values))
