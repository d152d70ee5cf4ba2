"""Temperature scaling: one scalar that recalibrates a classifier's logits.

``softmax(logits / T)`` keeps every prediction's arg-max (accuracy is unchanged) and is fitted
on held-out data by minimising the negative log-likelihood over ``log T`` with a bounded 1-D
search, so ``T < 1`` (an under-confident model is sharpened) is found as readily as ``T > 1``.

Examples
--------
>>> import numpy as np
>>> g = np.random.default_rng(0)
>>> y = g.integers(0, 3, size=4000)
>>> true_logits = g.normal(size=(4000, 3)) + 2.0 * np.eye(3)[y]
>>> labels = np.array([g.choice(3, p=p) for p in softmax(true_logits)])
>>> round(fit_temperature(3.0 * true_logits, labels), 1)
3.0
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize_scalar
from scipy.special import logsumexp

from driftguard.errors import ConfigurationError, EmptyDataError
from driftguard.training.metrics import check_labels

__all__ = ["apply_temperature", "fit_temperature", "softmax"]

FloatArray = npt.NDArray[np.float64]


def _logits(logits: npt.ArrayLike) -> FloatArray:
    z = np.asarray(logits, dtype=np.float64)
    if z.ndim != 2 or z.shape[1] < 1:
        raise ConfigurationError(f"logits: expected a 2-D (n, k) array, got shape {z.shape}")
    if not np.all(np.isfinite(z)):
        raise ConfigurationError("logits: contains NaN or infinite values")
    return z


def _check_temperature(temperature: float) -> float:
    t = float(temperature)
    if not (math.isfinite(t) and t > 0.0):
        raise ConfigurationError(f"temperature must be finite and > 0, got {temperature!r}")
    return t


def softmax(logits: npt.ArrayLike) -> FloatArray:
    """Row-wise softmax, stable for large logits (the row maximum is subtracted first).

    Examples
    --------
    >>> softmax([[1000.0, 1000.0]]).tolist()
    [[0.5, 0.5]]
    """
    z = _logits(logits)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    out: FloatArray = e / e.sum(axis=1, keepdims=True)
    return out


def apply_temperature(logits: npt.ArrayLike, temperature: float) -> FloatArray:
    """Probabilities ``softmax(logits / temperature)``.

    Examples
    --------
    >>> apply_temperature([[2.0, 0.0]], 1e9).round(3).tolist()
    [[0.5, 0.5]]
    """
    return softmax(_logits(logits) / _check_temperature(temperature))


def _nll_at(z: FloatArray, picked: FloatArray, temperature: float) -> float:
    scaled = z / temperature
    return float(np.mean(logsumexp(scaled, axis=1) - picked / temperature))


def fit_temperature(
    logits: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    bounds: tuple[float, float] = (0.05, 20.0),
) -> float:
    """The temperature in ``bounds`` that minimises the NLL of ``softmax(logits / T)``.

    Parameters
    ----------
    logits : array of shape (n, k)
        Held-out logits (not the ones the model was trained on).
    y : array of shape (n,)
        Integer labels in ``[0, k)``.
    bounds : (float, float), default (0.05, 20.0)
        Smallest and largest temperature searched (over ``log T``).

    Returns
    -------
    float
        The fitted temperature (1.0 means the model was already calibrated in NLL).

    Examples
    --------
    >>> import numpy as np
    >>> z = np.array([[4.0, 0.0], [4.0, 0.0], [0.0, 4.0], [0.0, 4.0]])
    >>> fit_temperature(z, np.array([0, 1, 1, 1])) > 1.0
    True
    """
    z = _logits(logits)
    if z.shape[0] == 0:
        raise EmptyDataError("logits: no rows to fit a temperature on")
    labels = check_labels(y, z.shape[0], z.shape[1])
    low, high = (float(b) for b in bounds)
    if not (math.isfinite(low) and math.isfinite(high) and 0.0 < low < high):
        raise ConfigurationError(f"bounds must satisfy 0 < low < high, got {bounds!r}")
    picked = z[np.arange(len(labels)), labels]
    result = minimize_scalar(
        lambda log_t: _nll_at(z, picked, math.exp(log_t)),
        bounds=(math.log(low), math.log(high)),
        method="bounded",
        options={"xatol": 1e-6},
    )
    return float(math.exp(float(result.x)))
