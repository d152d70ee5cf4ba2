"""The rollback rules compared, each fed one number per closed window.

A :class:`Rule` turns a window's dataset p-value and today's verdict into its per-window input
(vectorised, :attr:`Rule.inputs`) and makes fresh detectors that take that input one window
at a time and say when to roll back. After a rollback the rule restarts from a fresh detector
(CUSUM at 0, an empty k-of-m history, a new river object).

- ``cusum(h)``: ``W = max(0, W + ln e(p))``, fire at ``W >= h`` (the new default).
- ``k_of_m(3, 5, ...)``: fire when 3 of the last 5 windows breached; the breach is today's
  status verdict, or ``p <= q`` at a level ``q`` chosen for a target run length.
- ``page_hinkley(threshold)``: river's ``PageHinkley(mode="up", delta=0.5)`` on
  ``z = Phi^-1(1 - p)`` (standard normal under no change, large under drift): ``delta`` is
  the allowance of a CUSUM for a 1-sd rise of ``z`` (river's default 0.005 would wait for a
  random walk to cross the threshold); other settings river's defaults.
- ``adwin(delta)``: river's ``ADWIN(clock=1)`` on the p-value itself (bounded in [0, 1], as
  ADWIN's bound assumes; its mean drops from 1/2 under drift); ``clock=1`` checks every window,
  as the policy decides once per window; other settings river's defaults.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
from scipy.special import ndtri

from driftguard.errors import ConfigurationError
from driftguard.stats.evidence import P_FLOOR, log_e_values

__all__ = [
    "Detector",
    "Rule",
    "adwin",
    "cusum",
    "first_alarm",
    "k_of_m_p",
    "k_of_m_verdict",
    "page_hinkley",
    "river",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class Detector(Protocol):
    """One run of a rule: ``update`` takes a window's input and says whether to roll back."""

    def update(self, x: float) -> bool: ...


@dataclass(frozen=True, slots=True)
class Rule:
    """A named rule: its per-window input and a factory of fresh detectors."""

    name: str
    setting: str
    feeds: str
    inputs: Callable[[FloatArray, BoolArray], FloatArray]
    make: Callable[[], Detector]


class _Cusum:
    def __init__(self, h: float) -> None:
        self.h, self.w = h, 0.0

    def update(self, x: float) -> bool:
        self.w = max(0.0, self.w + x)
        return self.w >= self.h


class _KOfM:
    def __init__(self, k: int, m: int) -> None:
        self.k = k
        self.last: deque[float] = deque(maxlen=m)

    def update(self, x: float) -> bool:
        self.last.append(x)
        return sum(self.last) >= self.k


class _River:
    def __init__(self, detector: Any) -> None:
        self.detector = detector

    def update(self, x: float) -> bool:
        self.detector.update(x)
        return bool(self.detector.drift_detected)


def _log_e(p: FloatArray, verdict: BoolArray) -> FloatArray:
    return log_e_values(p)


def _verdicts(p: FloatArray, verdict: BoolArray) -> FloatArray:
    return verdict.astype(np.float64)


def _probit(p: FloatArray, verdict: BoolArray) -> FloatArray:
    return np.asarray(-ndtri(np.clip(p, P_FLOOR, 1.0 - 1e-12)), dtype=np.float64)


def _p_itself(p: FloatArray, verdict: BoolArray) -> FloatArray:
    return np.asarray(p, dtype=np.float64)


def cusum(h: float) -> Rule:
    """The e-value CUSUM with threshold ``h`` nats."""
    return Rule("CUSUM", f"h={h:.2f}", "ln e(p)", _log_e, lambda: _Cusum(h))


def k_of_m_verdict(k: int = 3, m: int = 5) -> Rule:
    """Today's rule: ``k`` of the last ``m`` status verdicts (alpha 0.05) breached."""
    return Rule(
        f"{k}-of-{m}", "verdict, alpha=0.05", "status verdict", _verdicts, lambda: _KOfM(k, m)
    )


def k_of_m_p(q: float, k: int = 3, m: int = 5) -> Rule:
    """``k`` of the last ``m`` windows with ``p <= q``."""

    def breached(p: FloatArray, verdict: BoolArray) -> FloatArray:
        return (p <= q).astype(np.float64)

    return Rule(f"{k}-of-{m}", f"p <= {q:.3g}", "p <= q", breached, lambda: _KOfM(k, m))


def river() -> Any:
    """river's ``drift`` module (a dev dependency, imported lazily)."""
    try:
        from river import drift
    except ImportError:
        raise ConfigurationError("bench rollback needs river: pip install river") from None
    return drift


def page_hinkley(threshold: float, delta: float = 0.5) -> Rule:
    """river's PageHinkley (``mode="up"``) on the probit of the window p-value."""
    drift = river()
    return Rule(
        "river PageHinkley",
        f"threshold={threshold:.2f}, delta={delta:g}",
        "z = probit(1 - p)",
        _probit,
        lambda: _River(drift.PageHinkley(threshold=threshold, delta=delta, mode="up")),
    )


def adwin(delta: float) -> Rule:
    """river's ADWIN (``clock=1``) on the window p-value."""
    drift = river()
    return Rule(
        "river ADWIN",
        f"delta={delta:.3g}, clock=1",
        "p",
        _p_itself,
        lambda: _River(drift.ADWIN(delta=delta, clock=1)),
    )


def first_alarm(detector: Detector, inputs: FloatArray) -> int | None:
    """1-based index of the first window at which ``detector`` fires (``None``: it does not)."""
    for t, x in enumerate(inputs.tolist(), start=1):
        if detector.update(x):
            return t
    return None
