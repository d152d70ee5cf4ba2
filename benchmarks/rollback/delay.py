"""Table 2: detection delay, in windows from the change to the rollback decision.

Every run draws its own post-change windows (fresh rows with the shift, scored with
``profile.score_windows``) and every rule sees the same ones (common random numbers). The
delay is the 1-based index of the post-change window whose decision is a rollback: 1 means
the first shifted window fired. CUSUM and k-of-m start from zero at the change (CUSUM at 0,
an empty history), their worst case. river's detectors need a baseline to see a change in
mean, so each first sees ``warmup`` clean windows (drawn from the pool; a false alarm there
renews the detector, as a rollback would, and is counted), then the shifted ones. A rule that
has not fired ``horizon`` windows after the change is counted as missed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from benchmarks.rollback.render import markdown, num
from benchmarks.rollback.rules import Detector, Rule
from benchmarks.rollback.world import Judged, World

__all__ = ["Contender", "DelayRow", "DelayTable", "Shift", "default_shifts", "simulate_delays"]

FloatArray = npt.NDArray[np.float64]
_BATCH = 10
_WARM, _POST = 8, 9


@dataclass(frozen=True, slots=True)
class Shift:
    """A mean shift of the features (sd units), and its label."""

    label: str
    vector: FloatArray


def default_shifts(features: int) -> tuple[Shift, ...]:
    """(a) 0.5 sd in the first feature; (b) 0.25 sd in every feature."""
    one = np.zeros(features)
    one[0] = 0.5
    return (
        Shift(f"(a) 0.5 sd in 1 of {features}", one),
        Shift(f"(b) 0.25 sd in all {features}", np.full(features, 0.25)),
    )


@dataclass(frozen=True, slots=True)
class Contender:
    """A rule in the table: what run length it is set for, derived and measured."""

    rule: Rule
    matched: str
    derived: float
    measured: str
    warmup: bool = False


@dataclass(frozen=True, slots=True)
class DelayRow:
    """A contender's delays per shift (``None``: missed) and its warm-up false alarms."""

    contender: Contender
    delays: tuple[tuple[int | None, ...], ...]
    warmup_alarms: int

    def summary(self, shift: int) -> tuple[float, float, int]:
        """Mean and 95th percentile of the delays found, and the runs missed."""
        found = [d for d in self.delays[shift] if d is not None]
        missed = len(self.delays[shift]) - len(found)
        if not found:
            return math.nan, math.nan, missed
        return float(np.mean(found)), float(np.percentile(found, 95)), missed


@dataclass(frozen=True, slots=True)
class DelayTable:
    """Every contender's row, and what was simulated."""

    rows: tuple[DelayRow, ...]
    shifts: tuple[str, ...]
    runs: int
    warmup: int
    horizon: int
    window_rows: int
    world: str
    seed: int
    seconds: float

    def table(self) -> str:
        """The markdown table and its caption."""
        header = ["rule", "per-window input", "setting", "ARL0 matched at (windows)"]
        header += ["ARL0 derived", "ARL0 measured"]
        header += [f"delay {s}: mean / p95" for s in self.shifts]
        header += ["missed", "river warm-up false alarms"]
        body = []
        for row in self.rows:
            c = row.contender
            line = [c.rule.name, c.rule.feeds, c.rule.setting, c.matched, num(c.derived)]
            line.append(c.measured)
            summaries = [row.summary(j) for j in range(len(self.shifts))]
            line += [f"{m:.2f} / {p:.0f}" for m, p, _ in summaries]
            line.append(" / ".join(str(miss) for _, _, miss in summaries))
            line.append(str(row.warmup_alarms) if c.warmup else "-")
            body.append(line)
        return markdown(header, body) + "\n\n" + self.caption()

    def caption(self) -> str:
        """What was simulated."""
        return (
            f"Simulated: {self.world}; {self.window_rows}-row windows; {self.runs} runs per "
            f"shift (seed {self.seed}), shifted windows generated fresh, the same for every rule. "
            f"Delay = windows from the change to the rollback, 1 = the first shifted window; "
            f"CUSUM and k-of-m start from zero at the change; river sees {self.warmup:,} clean "
            f"pool windows first. Missed = no rollback within {self.horizon} windows (per shift). "
            f"{self.seconds:.0f} s."
        )


class _PostChange:
    """A run's shifted windows, generated in batches as the slowest rule needs them."""

    def __init__(self, world: World, g: np.random.Generator, shift: Shift, rows: int) -> None:
        self.world, self.g, self.shift, self.rows = world, g, shift, rows
        self.p = np.empty(0)
        self.verdict = np.empty(0, dtype=np.bool_)

    def upto(self, n: int) -> Judged:
        while self.p.size < n:
            more = self.world.shifted(self.g, _BATCH, self.rows, self.shift.vector)
            self.p = np.concatenate([self.p, more.p])
            self.verdict = np.concatenate([self.verdict, more.verdict])
        return Judged(self.p[:n], self.verdict[:n])


def _warm(rule: Rule, warm: Judged) -> tuple[Detector, int]:
    detector, alarms = rule.make(), 0
    for x in rule.inputs(warm.p, warm.verdict).tolist():
        if detector.update(x):
            detector, alarms = rule.make(), alarms + 1
    return detector, alarms


def _delay(rule: Rule, detector: Detector, post: _PostChange, horizon: int) -> int | None:
    seen = 0
    while seen < horizon:
        batch = post.upto(min(seen + _BATCH, horizon))
        new = slice(seen, batch.p.size)
        for t, x in enumerate(rule.inputs(batch.p[new], batch.verdict[new]).tolist(), seen + 1):
            if detector.update(x):
                return t
        seen = batch.p.size
    return None


def simulate_delays(
    world: World,
    contenders: tuple[Contender, ...],
    shifts: tuple[Shift, ...],
    runs: int,
    warmup: int,
    horizon: int,
    window_rows: int,
    progress: Callable[[str], None],
) -> DelayTable:
    """Run every contender on the same post-change windows, ``runs`` per shift."""
    start = time.perf_counter()
    seed = world.config.seed
    delays: list[list[list[int | None]]] = [[[] for _ in shifts] for _ in contenders]
    warm_alarms = [0] * len(contenders)
    for i in range(runs):
        warm = world.clean(np.random.default_rng((seed, _WARM, i)), warmup, window_rows)
        for j, shift in enumerate(shifts):
            post = _PostChange(
                world, np.random.default_rng((seed, _POST, j, i)), shift, window_rows
            )
            for k, c in enumerate(contenders):
                detector, alarms = _warm(c.rule, warm) if c.warmup else (c.rule.make(), 0)
                warm_alarms[k] += alarms
                delays[k][j].append(_delay(c.rule, detector, post, horizon))
        if (i + 1) % max(1, runs // 10) == 0:
            progress(f"delays: {i + 1}/{runs} runs")
    rows = tuple(
        DelayRow(c, tuple(tuple(d) for d in delays[k]), warm_alarms[k])
        for k, c in enumerate(contenders)
    )
    return DelayTable(
        rows,
        tuple(s.label for s in shifts),
        runs,
        warmup,
        horizon,
        window_rows,
        world.config.describe(),
        seed,
        time.perf_counter() - start,
    )
