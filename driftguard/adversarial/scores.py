"""Per-row suspicion scores read from a classifier's logits (numpy only, higher = more suspicious).

All three read the temperature-scaled logits ``z = logits / T`` of the model, so that they agree
with the calibrated probabilities the service returns:

- ``max_softmax``: ``1 - max_c softmax(z)_c`` (Hendrycks & Gimpel, 2017);
- ``margin``: ``-(p_1 - p_2)``, minus the gap between the two largest probabilities;
- ``energy``: ``-T * logsumexp(z)``, the free energy (Liu et al., 2020): in-distribution rows
  have large logits, hence a low energy.

:func:`output_scores` computes the three together from one softmax (the hot path of a request).

Examples
--------
>>> import numpy as np
>>> msp, margin, energy = output_scores(np.array([[2.0, 0.0], [0.0, 0.0]]), 1.0)
>>> msp.round(3).tolist(), margin.round(3).tolist()
([0.119, 0.5], [-0.762, 0.0])
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from driftguard.errors import ConfigurationError

__all__ = ["energy_score", "margin_score", "max_softmax_score", "output_scores"]

FloatArray = npt.NDArray[np.float64]


def _scaled(logits: npt.ArrayLike, temperature: float) -> FloatArray:
    z = np.asarray(logits, dtype=np.float64)
    if z.ndim != 2 or z.shape[1] < 2:
        raise ConfigurationError(f"logits: expected an (n, classes >= 2) array, got {z.shape}")
    t = float(temperature)
    if not (math.isfinite(t) and t > 0.0):
        raise ConfigurationError(f"temperature must be finite and > 0, got {temperature!r}")
    return z / t


def output_scores(
    logits: npt.ArrayLike, temperature: float = 1.0
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``(max_softmax, margin, energy)`` scores of every row, from one softmax.

    With ``m`` the row maximum of ``z = logits / T`` and ``s = sum exp(z - m)``, the top
    probability is ``1 / s``, the runner-up ``exp(z_2 - m) / s`` and ``logsumexp(z) = m + log s``.

    Examples
    --------
    >>> import numpy as np
    >>> [a.tolist() for a in output_scores(np.array([[0.0, 0.0]]), 2.0)]
    [[0.5], [0.0], [-1.3862943611198906]]
    """
    z = _scaled(logits, temperature)
    m = z.max(axis=1, keepdims=True)
    e = np.exp(z - m)
    s = e.sum(axis=1)
    second = np.partition(e, -2, axis=1)[:, -2]
    inverse = 1.0 / s
    msp = 1.0 - inverse
    margin = (second - 1.0) * inverse
    energy = np.log(s)
    energy += m[:, 0]
    energy *= -float(temperature)
    return msp, margin, energy


def max_softmax_score(logits: npt.ArrayLike, temperature: float = 1.0) -> FloatArray:
    """``1 - max softmax(logits / T)`` of every row.

    Examples
    --------
    >>> max_softmax_score([[0.0, 0.0, 0.0]]).round(3).tolist()
    [0.667]
    """
    return output_scores(logits, temperature)[0]


def margin_score(logits: npt.ArrayLike, temperature: float = 1.0) -> FloatArray:
    """``-(p_1 - p_2)``: minus the gap between the two largest probabilities.

    Examples
    --------
    >>> margin_score([[10.0, 0.0], [0.0, 0.0]]).round(3).tolist()
    [-1.0, 0.0]
    """
    return output_scores(logits, temperature)[1]


def energy_score(logits: npt.ArrayLike, temperature: float = 1.0) -> FloatArray:
    """``-T * logsumexp(logits / T)`` (negated free energy: higher = more out-of-distribution).

    Examples
    --------
    >>> energy_score([[10.0, 0.0]]).round(3).tolist(), energy_score([[0.0, 0.0]]).round(3).tolist()
    ([-10.0], [-0.693])
    """
    return output_scores(logits, temperature)[2]
