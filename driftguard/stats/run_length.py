"""Run lengths of decision rules under no change, computed rather than hoped for.

Two rules turn per-window evidence into a decision; for each, this module gives the expected
number of windows to a false decision when nothing changed (the in-control average run length,
ARL0) and the setting that reaches a target ARL0.

- **CUSUM on calibrated e-values** (:func:`cusum_run_length`, :func:`cusum_threshold`). Page's
  CUSUM ``W_t = max(0, W_{t-1} + ln e(p_t))`` fires when ``W_t >= h``, with ``e`` the mixture
  calibrator of :mod:`driftguard.stats.evidence`. Under no change the window p-values are
  independent and uniform, so the increments have a known law whatever the signal (drift,
  accuracy, disagreement), and the ARL0 follows from the Markov-chain approximation of Brook
  and Evans (1972, Biometrika 59(3)): ``W`` on a grid of ``cells`` states, ``(I - Q) L = 1``.
  Because ``E[e(p)] <= 1`` for any valid p-value, the ARL0 is also at least ``exp(h)`` (Lorden
  1971; Shin, Ramdas and Rinaldo 2024, "E-detectors") even when the p-values are conservative;
  the chain gives the exact number for uniform ones. Since ``ln e(p)`` grows like ``-ln p``,
  a shift whose window p-values fall like ``exp(-c n)`` is caught in about ``h / (c n)``
  windows: a longer run length costs delay only logarithmically.
- **k of the last m windows** (:func:`k_of_m_run_length`, :func:`k_of_m_level`): each window
  breaches independently with probability ``q``; the chain runs over the positions of the
  breaches among the last ``m`` windows (``sum_{j<k} C(m, j)`` states). Beyond
  :data:`MAX_STATES` states the bound ``1 / P(Binomial(m, q) >= k)`` is returned instead
  (every window fires with at most that probability, so the true ARL0 is at least that).

Examples
--------
>>> round(k_of_m_run_length(3, 5, 0.05))
1608
>>> h = cusum_threshold(2000.0)
>>> round(h, 2), round(cusum_run_length(h))
(4.34, 2000)
"""

from __future__ import annotations

import math
from functools import lru_cache
from itertools import combinations

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_matrix, identity
from scipy.sparse.linalg import spsolve
from scipy.stats import binom

from driftguard.errors import ConfigurationError
from driftguard.stats.evidence import log_e_values

__all__ = [
    "CELLS",
    "MAX_STATES",
    "cusum_run_length",
    "cusum_threshold",
    "k_of_m_exact",
    "k_of_m_level",
    "k_of_m_run_length",
]

FloatArray = npt.NDArray[np.float64]

CELLS = 600
"""Grid cells of the CUSUM chain (relative error of the ARL0 below 0.5% at 600)."""
MAX_STATES = 20_000
"""Largest k-of-m chain solved exactly."""
MAX_RUN_LENGTH = 1e12
"""Largest run length (windows) solved for: beyond it the chains lose float64 precision."""

_U = np.concatenate([[0.0], np.geomspace(1e-6, 700.0, 40_000)])  # u = -ln p
_X = log_e_values(np.exp(-_U))


def _increment_cdf(x: FloatArray) -> FloatArray:
    """P(ln e(p) <= x) for uniform p: ``1 - exp(-u(x))`` with ``u`` the inverse of ``ln e``."""
    u = np.interp(x, _X, _U, left=0.0, right=_U[-1])
    return np.asarray(np.where(x < _X[0], 0.0, -np.expm1(-u)), dtype=np.float64)


def _check_positive(value: float, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigurationError(f"{what} must be a finite number, got {value!r}")
    if value <= 0:
        raise ConfigurationError(f"{what} must be positive, got {value}")
    return float(value)


@lru_cache(maxsize=256)
def cusum_run_length(h: float, cells: int = CELLS) -> float:
    """ARL0 (windows) of the e-value CUSUM with threshold ``h`` (nats), p-values uniform.

    Examples
    --------
    >>> round(cusum_run_length(1.0), 1)
    35.9
    """
    h = _check_positive(h, "threshold h")
    width = h / cells
    w = np.concatenate([[0.0], (np.arange(1, cells + 1) - 0.5) * width])  # state values
    edges = np.arange(cells + 1) * width  # upper edges of cells 0..cells
    cdf = _increment_cdf(edges[None, :] - w[:, None])  # P(W' <= edge_j | w)
    q = np.diff(np.concatenate([np.zeros((cells + 1, 1)), cdf], axis=1), axis=1)
    q[:, 0] = _increment_cdf(-w)  # back to exactly 0
    q[:, 1] = cdf[:, 1] - q[:, 0]  # (0, width]
    run = np.linalg.solve(np.eye(cells + 1) - q, np.ones(cells + 1))
    return float(run[0])


@lru_cache(maxsize=256)
def cusum_threshold(target: float) -> float:
    """The threshold ``h`` (nats) whose ARL0 is ``target`` windows (secant on ``ln ARL0``).

    Raises
    ------
    ConfigurationError
        ``target`` is not a number of windows above 1.5 and at most 1e15.

    Examples
    --------
    >>> h = cusum_threshold(1e8)
    >>> round(cusum_run_length(h) / 1e8, 3)
    1.0
    """
    target = _check_positive(target, "target run length")
    if not 1.5 < target <= MAX_RUN_LENGTH:
        raise ConfigurationError(
            f"target run length must lie in (1.5, {MAX_RUN_LENGTH:.0e}] windows, got {target:g}"
        )
    goal = math.log(target)
    a, b = max(0.05, goal - 2.0), goal + 0.5
    fa, fb = math.log(cusum_run_length(a)) - goal, math.log(cusum_run_length(b)) - goal
    for _ in range(40):
        if abs(fb) < 1e-6:
            break
        nxt = b - fb * (b - a) / (fb - fa) if fb != fa else b + 0.1
        a, fa = b, fb
        b = min(max(nxt, 0.01), 800.0)
        fb = math.log(cusum_run_length(b)) - goal
    return float(b)


def _check_k_of_m(k: int, m: int, q: float) -> None:
    if not 1 <= k <= m:
        raise ConfigurationError(f"need 1 <= k <= m, got k={k}, m={m}")
    if not 0.0 < q < 1.0:
        raise ConfigurationError(f"per-window false-breach probability must be in (0, 1), got {q}")


def _states(k: int, m: int) -> int:
    return sum(math.comb(m, j) for j in range(k))


def k_of_m_exact(k: int, m: int) -> bool:
    """Whether :func:`k_of_m_run_length` solves this rule's chain exactly (else a bound)."""
    return _states(k, m) <= MAX_STATES


@lru_cache(maxsize=1024)
def k_of_m_run_length(k: int, m: int, q: float) -> float:
    """ARL0 (windows) of "fire when ``k`` of the last ``m`` windows breached".

    Each window breaches independently with probability ``q``; the rule starts with an empty
    history. Exact up to :data:`MAX_STATES` chain states, else the lower bound
    ``1 / P(Binomial(m, q) >= k)``.

    Examples
    --------
    >>> round(k_of_m_run_length(1, 1, 0.05))
    20
    """
    _check_k_of_m(k, m, q)
    if not k_of_m_exact(k, m):
        return float(1.0 / binom.sf(k - 1, m, q))
    # A state is the set of ages (0 = newest) of the breaches among the last m windows.
    states = [frozenset(c) for j in range(k) for c in combinations(range(m), j)]
    index = {s: i for i, s in enumerate(states)}
    rows, cols, vals = [], [], []
    for i, s in enumerate(states):
        aged = frozenset(a + 1 for a in s if a + 1 < m)
        for breach, prob in ((False, 1.0 - q), (True, q)):
            nxt = aged | {0} if breach else aged
            if len(nxt) < k:
                rows.append(i)
                cols.append(index[nxt])
                vals.append(prob)
    n = len(states)
    entries = (
        np.asarray(vals),
        (np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)),
    )
    q_matrix = coo_matrix(entries, shape=(n, n)).tocsc()
    run = spsolve((identity(n, format="csc") - q_matrix).tocsc(), np.ones(n))
    return float(np.atleast_1d(run)[index[frozenset()]])


@lru_cache(maxsize=256)
def k_of_m_level(k: int, m: int, target: float) -> float:
    """Per-window level ``q`` at which "k of the last m" has ARL0 ``target`` windows.

    Raises
    ------
    ConfigurationError
        ``target`` is not above 1.5 windows.

    Examples
    --------
    >>> q = k_of_m_level(3, 5, 2000.0)
    >>> round(q, 4), round(k_of_m_run_length(3, 5, q))
    (0.0463, 2000)
    """
    _check_k_of_m(k, m, 0.5)
    target = _check_positive(target, "target run length")
    if not 1.5 < target <= MAX_RUN_LENGTH:
        raise ConfigurationError(
            f"target run length must lie in (1.5, {MAX_RUN_LENGTH:.0e}] windows, got {target:g}"
        )
    lo, hi = -40.0, 0.0  # log q
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        run = k_of_m_run_length(k, m, math.exp(mid))
        if not 0.0 < run <= 10.0 * MAX_RUN_LENGTH or run >= target:  # beyond precision: long
            lo = mid
        else:
            hi = mid
    return math.exp(lo)
