"""Table 1: false rollbacks per day of clean traffic, today's 3-of-5 rule against the CUSUM.

Derived run lengths come from the exact chains of :mod:`driftguard.stats.run_length`:
``k_of_m_run_length(3, 5, 0.05)`` for today's rule and ``cusum_run_length(h)`` for the CUSUM.
Measured run lengths come from one long stream of clean windows per reference: today's rule
runs on the windows' status verdicts, the CUSUM at a scaled-down target on their dataset
p-values (a year-scale run length cannot be simulated); each rule restarts after every alarm
and its run length is windows over alarms. The run length depends on the reference the profile
was fitted on (every window is scored against the same one), so the runs are spread over
several references, each fitted from its own seed; the table gives the mean over all runs and
the range of the per-reference means.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from benchmarks.rollback.render import every, markdown, num, per_day
from benchmarks.rollback.rules import Rule, cusum, k_of_m_verdict
from benchmarks.rollback.world import ALPHA, BLOCK, World
from driftguard.errors import ConfigurationError
from driftguard.stats.run_length import cusum_run_length, cusum_threshold, k_of_m_run_length

__all__ = [
    "PROBE_LEVELS",
    "RATES",
    "FalseRollbacks",
    "ReferenceStream",
    "measure_reference",
    "run_false_rollbacks",
]

RATES = (10.0, 100.0, 1000.0)
"""Traffic, rows per second, of the table's columns."""
PROBE_LEVELS = (0.05, 0.01, 0.001)
"""Levels at which clean windows' ``P(p <= a) / a`` is reported."""
_CHUNK = 5000
_GIVE_UP = 20.0  # a reference's stream stops at this many times its expected length


@dataclass(frozen=True, slots=True)
class ReferenceStream:
    """One reference's clean stream: per rule the windows it used and its alarms."""

    seed: int
    windows: int
    verdict_rate: float
    p_ratios: tuple[float, ...]
    used: tuple[int, ...]
    alarms: tuple[int, ...]

    def run_length(self, rule: int) -> float:
        """Windows over alarms of rule ``rule`` (``nan`` without an alarm)."""
        return self.used[rule] / self.alarms[rule] if self.alarms[rule] else math.nan


def measure_reference(
    world: World,
    rules: tuple[Rule, ...],
    runs: int,
    expected: float,
    window_rows: int,
    progress: Callable[[str], None],
) -> ReferenceStream:
    """Run every rule on one clean stream until each has ``runs`` alarms."""
    g = np.random.default_rng((world.config.seed, 7))
    detectors = [rule.make() for rule in rules]
    age = [0] * len(rules)
    used = [0] * len(rules)
    alarms = [0] * len(rules)
    windows = breaches = 0
    hits = np.zeros(len(PROBE_LEVELS))
    while min(alarms) < runs and windows < _GIVE_UP * runs * expected:
        judged = world.clean(g, _CHUNK, window_rows)
        windows += len(judged)
        breaches += int(judged.verdict.sum())
        hits += [(judged.p <= a).sum() for a in PROBE_LEVELS]
        for i, rule in enumerate(rules):
            if alarms[i] >= runs:
                continue
            for x in rule.inputs(judged.p, judged.verdict).tolist():
                age[i] += 1
                if detectors[i].update(x):
                    used[i] += age[i]
                    alarms[i] += 1
                    age[i], detectors[i] = 0, rule.make()
                    if alarms[i] >= runs:
                        break
        progress(f"reference {world.config.seed}: {windows:,} clean windows, alarms {alarms}")
    used = [u + (a if n < runs else 0) for u, a, n in zip(used, age, alarms, strict=True)]
    ratios = tuple(float(h / windows / a) for h, a in zip(hits, PROBE_LEVELS, strict=True))
    return ReferenceStream(
        world.config.seed, windows, breaches / windows, ratios, tuple(used), tuple(alarms)
    )


@dataclass(frozen=True, slots=True)
class FalseRollbacks:
    """Derived and measured run lengths of both rules, and false rollbacks per day."""

    target: float
    h: float
    scaled_target: float
    h_scaled: float
    window_rows: int
    streams: tuple[ReferenceStream, ...]
    agreement: tuple[int, int]
    world: str
    pool_rows: int
    seconds: float

    @staticmethod
    def rules(h_scaled: float) -> tuple[Rule, ...]:
        """The measured rules, in :attr:`ReferenceStream.used` order."""
        return (k_of_m_verdict(), cusum(h_scaled))

    @property
    def today(self) -> float:
        """Derived run length of today's rule."""
        return k_of_m_run_length(3, 5, ALPHA)

    def measured(self, rule: int) -> tuple[float, int, float, float]:
        """Pooled run length, alarms, and the smallest and largest per-reference run length."""
        used = sum(s.used[rule] for s in self.streams)
        alarms = sum(s.alarms[rule] for s in self.streams)
        each = [s.run_length(rule) for s in self.streams]
        if not alarms:
            raise ConfigurationError("bench rollback: no alarm on the clean streams")
        return used / alarms, alarms, min(each), max(each)

    def per_day(self, rate: float, after: bool) -> float:
        """Derived false rollbacks per day at ``rate`` rows/s."""
        arl0 = cusum_run_length(self.h) if after else self.today
        return per_day(rate, self.window_rows, arl0)

    def _measured_cell(self, rule: int) -> str:
        arl, alarms, low, high = self.measured(rule)
        refs = len(self.streams)
        return f"{num(arl)} ({alarms} runs, {refs} references: {num(low)}-{num(high)})"

    def table(self) -> str:
        """The table, with a short per-reference table and the caption."""
        header = ["rule", "ARL0 derived (exact chain)", "ARL0 measured (simulated)"]
        header += [f"false rollbacks/day at {r:,.0f} rows/s" for r in RATES]
        today_measured = self.measured(0)[0]
        before = [
            "before: 3 of last 5 status verdicts (alpha 0.05)",
            f"{num(self.today)} windows",
            self._measured_cell(0),
        ]
        before += [
            f"{every(self.per_day(r, False))}; measured "
            f"{per_day(r, self.window_rows, today_measured):.3g}"
            for r in RATES
        ]
        after = [
            f"after: CUSUM h={self.h:.2f} (365 d at 1,000 rows/s = {num(self.target)} windows)",
            f"{num(cusum_run_length(self.h))} windows",
            "not simulable (year scale)",
        ]
        after += [every(self.per_day(r, True)) for r in RATES]
        check = [
            f"check: CUSUM h={self.h_scaled:.2f} (scaled-down target)",
            f"{num(cusum_run_length(self.h_scaled))} windows",
            self._measured_cell(1),
        ]
        check += [
            f"measured/derived = {self.measured(1)[0] / self.scaled_target:.2f}",
            "-",
            "-",
        ]
        return "\n\n".join(
            [markdown(header, [before, after, check]), self._per_reference(), self.caption()]
        )

    def _per_reference(self) -> str:
        header = ["reference seed", "clean windows", "verdict breach rate"]
        header += [f"P(p <= {a:g}) / {a:g}" for a in PROBE_LEVELS]
        header += ["3-of-5 ARL0 measured (chain at the breach rate)", "CUSUM h_scaled ARL0"]
        rows = []
        for s in self.streams:
            chain = k_of_m_run_length(3, 5, s.verdict_rate) if s.verdict_rate > 0 else math.inf
            row = [str(s.seed), f"{s.windows:,}", f"{s.verdict_rate:.4f}"]
            row += [f"{r:.2f}" for r in s.p_ratios]
            row += [f"{num(s.run_length(0))} ({num(chain)})", num(s.run_length(1))]
            rows.append(row)
        return markdown(header, rows)

    def caption(self) -> str:
        """What was simulated."""
        agree, checked = self.agreement
        return (
            f"Simulated: {self.world}; each {self.window_rows}-row clean window is "
            f"{self.window_rows // BLOCK} blocks of {BLOCK} consecutive rows drawn with "
            f"replacement from a {self.pool_rows:,}-row clean pool (iid rows, generated per "
            f"reference and binned once); one stream per reference (seeds "
            f"{self.streams[0].seed}-{self.streams[-1].seed}), both rules on the same windows, "
            f"each restarted after every alarm; run length = windows / alarms. Per day = "
            f"86400 x (rows/s / {self.window_rows}) / ARL0. The batch path (pooled scores, "
            f"dataset p-values, verdicts) equals DriftCheck.run on {agree}/{checked} windows. "
            f"{self.seconds:.0f} s."
        )


def run_false_rollbacks(
    worlds: Callable[[int], World],
    references: int,
    runs: int,
    target: float,
    scaled_target: float,
    window_rows: int,
    agreement_windows: int,
    progress: Callable[[str], None],
) -> FalseRollbacks:
    """Measure both rules on ``references`` references, ``runs`` alarms each in all."""
    start = time.perf_counter()
    h, h_scaled = cusum_threshold(target), cusum_threshold(scaled_target)
    rules = FalseRollbacks.rules(h_scaled)
    each = -(-runs // references)
    streams, agreement, world = [], (0, 0), None
    expected = max(k_of_m_run_length(3, 5, ALPHA), scaled_target)
    for r in range(references):
        world = worlds(r)
        if r == 0:
            agreement = world.agreement(agreement_windows, window_rows)
        streams.append(measure_reference(world, rules, each, expected, window_rows, progress))
    if world is None:
        raise ConfigurationError("bench rollback: need at least one reference")
    return FalseRollbacks(
        target,
        h,
        scaled_target,
        h_scaled,
        window_rows,
        tuple(streams),
        agreement,
        world.config.describe(),
        world.config.pool_rows,
        time.perf_counter() - start,
    )
