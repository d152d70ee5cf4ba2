"""Run lengths of rules on no-change streams, and river's sensitivity matched to a run length.

Under no change a window's calibrated dataset p-value is uniform, so a stream of iid uniform
p-values is a null stream for every rule fed from p-values (river's detectors included). Stream
``i`` is seeded by ``(seed, i)``, so every rule and every setting sees the same streams (common
random numbers). A run is cut at ``cap`` windows and counted as ``cap`` (censored).

river's sensitivity (PageHinkley ``threshold``, ADWIN ``log delta``) is matched by bisection
(Illinois regula falsi on ``log ARL0``) *in-sample* on those streams. Before its first alarm a
river detector's state does not depend on the sensitivity, so each stream's first alarm is
monotone in it: a stream whose first alarms at the nearest tried settings on both sides agree
is not run again.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from benchmarks.rollback.rules import Rule
from benchmarks.rollback.world import ALPHA
from driftguard.errors import ConfigurationError

__all__ = ["NullStreams", "RunLengths", "match"]

FloatArray = npt.NDArray[np.float64]
_CHUNK = 4096
_NULL = 5


@dataclass(frozen=True, slots=True)
class RunLengths:
    """Mean first-alarm time over the runs, with how many were cut at the cap."""

    mean: float
    runs: int
    censored: int


class NullStreams:
    """``runs`` seeded streams of iid uniform p-values, each cut at ``cap`` windows."""

    def __init__(self, runs: int, cap: int, seed: int) -> None:
        if runs < 1 or cap < 1:
            raise ConfigurationError("bench rollback: null streams need runs >= 1 and a cap")
        self.runs, self.cap, self.seed = runs, cap, seed

    def _chunks(self, i: int) -> Iterator[FloatArray]:
        g = np.random.default_rng((self.seed, _NULL, i))
        for start in range(0, self.cap, _CHUNK):
            yield g.uniform(size=min(_CHUNK, self.cap - start))

    def first_alarm(self, rule: Rule, i: int) -> int | None:
        """Window of ``rule``'s first alarm on stream ``i`` (``None``: none before the cap)."""
        detector, seen = rule.make(), 0
        for p in self._chunks(i):
            for t, x in enumerate(rule.inputs(p, p <= ALPHA).tolist(), start=seen + 1):
                if detector.update(x):
                    return t
            seen += p.size
        return None

    def summarise(self, times: list[int | None]) -> RunLengths:
        """Mean of first-alarm times, a censored run counting as the cap."""
        lengths = [self.cap if t is None else t for t in times]
        return RunLengths(float(np.mean(lengths)), len(times), sum(t is None for t in times))

    def run_lengths(self, rule: Rule) -> RunLengths:
        """``rule``'s mean run length over all streams."""
        return self.summarise([self.first_alarm(rule, i) for i in range(self.runs)])


class _Tried:
    """First alarms per stream at every setting tried, reused where monotonicity decides."""

    def __init__(self, streams: NullStreams, rule_at: Callable[[float], Rule]) -> None:
        self.streams, self.rule_at = streams, rule_at
        self.tried: list[dict[float, int | None]] = [{} for _ in range(streams.runs)]

    def times(self, x: float) -> list[int | None]:
        out = []
        rule = self.rule_at(x)
        for i, tried in enumerate(self.tried):
            below = [v for v in tried if v < x]
            above = [v for v in tried if v > x]
            if x not in tried:
                if below and above and tried[max(below)] == tried[min(above)]:
                    tried[x] = tried[max(below)]
                else:
                    tried[x] = self.streams.first_alarm(rule, i)
            out.append(tried[x])
        return out


def match(
    streams: NullStreams,
    rule_at: Callable[[float], Rule],
    bracket: tuple[float, float],
    target: float,
    tolerance: float = 0.02,
) -> tuple[float, RunLengths]:
    """The setting ``x`` whose mean run length on ``streams`` is ``target`` (within tolerance).

    ``rule_at(x)`` builds the rule; the run length may rise or fall with ``x``. The bracket is
    widened (up to 8 times) until it holds the target.
    """
    tried = _Tried(streams, rule_at)

    def f(x: float) -> float:
        return math.log(streams.summarise(tried.times(x)).mean) - math.log(target)

    low, high = bracket
    f_low, f_high = f(low), f(high)
    rising = f_high > f_low
    for _ in range(8):
        if (f_low < 0) == (f_high < 0):
            step = high - low
            if (f_low < 0) == rising:  # both too short: move towards longer run lengths
                low, f_low, high = high, f_high, high + step
                f_high = f(high)
            else:
                high, f_high, low = low, f_low, low - step
                f_low = f(low)
    if (f_low < 0) == (f_high < 0):
        raise ConfigurationError("bench rollback: could not bracket the target run length")
    best = min((abs(f_low), low), (abs(f_high), high))
    side = 0
    for _ in range(20):
        if best[0] < tolerance:
            break
        x = high - f_high * (high - low) / (f_high - f_low)
        fx = f(x)
        best = min(best, (abs(fx), x))
        if (fx < 0) == (f_low < 0):
            low, f_low = x, fx
            f_high = f_high / 2 if side == -1 else f_high
            side = -1
        else:
            high, f_high = x, fx
            f_low = f_low / 2 if side == 1 else f_low
            side = 1
    x = best[1]
    return x, streams.summarise(tried.times(x))
