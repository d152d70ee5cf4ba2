"""``driftguard bench rollback``: false rollbacks per day and detection delay, before and after.

Today's input-drift rollback rule fires when 3 of the last 5 windows' status verdicts (alpha
0.05) breached; the new default is a CUSUM on calibrated e-values whose threshold states the
in-control run length (``false_rollback_every: 365d`` at 1,000 rows/s of 250-row windows).

1. **False rollbacks per day of clean traffic** (:mod:`benchmarks.rollback.false_rollbacks`):
   run lengths derived by the exact chains, and measured on clean windows where feasible.
2. **Detection delay** (:mod:`benchmarks.rollback.delay`): windows from a mean shift to the
   rollback, at the default target, today's setting, and a common scaled-down run length at
   which river's ADWIN and PageHinkley are matched by simulation
   (:mod:`benchmarks.rollback.contenders`).

``--quick`` runs a small configuration (the test suite's) in seconds.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

from benchmarks.rollback.contenders import build_contenders
from benchmarks.rollback.delay import DelayTable, default_shifts, simulate_delays
from benchmarks.rollback.false_rollbacks import FalseRollbacks, run_false_rollbacks
from benchmarks.rollback.render import num
from benchmarks.rollback.world import World, WorldConfig
from driftguard.errors import ConfigurationError

__all__ = ["DEFAULT_TARGET", "FULL", "QUICK", "BenchConfig", "RollbackBench", "run_bench_rollback"]

WINDOW_ROWS = 250
PLANNING_ROWS_PER_S = 1000.0
DEFAULT_TARGET = 365 * 86_400 * PLANNING_ROWS_PER_S / WINDOW_ROWS
"""The default policy's ``false_rollback_every: 365d`` in 250-row windows at 1,000 rows/s."""
REQUIRED_DELAY = 3.0
"""The CUSUM's mean delay for shift (a) at the default target must be at most this."""


@dataclass(frozen=True, slots=True)
class BenchConfig:
    """Sizes of one run of the suite."""

    references: int = 6
    runs: int = 300
    scaled_target: float = 2000.0
    delay_runs: int = 200
    matched: float = 10_000.0
    null_runs: int = 200
    warmup: int = 1000
    horizon: int = 200
    pool_rows: int = 1_000_000
    n_resamples: int = 1000
    agreement: int = 200
    seed: int = 0

    def validate(self) -> None:
        """Raise :class:`ConfigurationError` on a size that cannot run."""
        counts = (self.references, self.runs, self.delay_runs, self.null_runs, self.horizon)
        if min(counts) < 1 or self.warmup < 0:
            raise ConfigurationError("bench rollback: references, runs and horizon must be >= 1")
        if self.scaled_target < 10 or self.matched < 100:
            raise ConfigurationError("bench rollback: scaled targets must be >= 10 and >= 100")


FULL = BenchConfig()
QUICK = BenchConfig(
    references=1,
    runs=20,
    scaled_target=500.0,
    delay_runs=20,
    matched=1000.0,
    null_runs=30,
    warmup=200,
    horizon=100,
    pool_rows=100_000,
    agreement=50,
)


@dataclass(frozen=True, slots=True)
class RollbackBench:
    """Both tables."""

    false_rollbacks: FalseRollbacks
    delays: DelayTable
    null_runs: int
    seconds: float

    def cusum_delay_a(self) -> float:
        """Mean delay of the CUSUM at the default target for shift (a)."""
        return self.delays.rows[0].summary(0)[0]

    def report(self) -> str:
        """Everything the command prints."""
        delay = self.cusum_delay_a()
        verdict = "met" if delay <= REQUIRED_DELAY else "NOT met"
        return "\n\n".join(
            [
                "## False rollbacks per day of clean traffic (250-row windows)",
                self.false_rollbacks.table(),
                "## Detection delay (windows from the change to the rollback decision)",
                self.delays.table(),
                f"Null streams: the common rows' ARL0 is measured on {self.null_runs} streams of "
                "iid uniform p-values (a calibrated window p-value is uniform under no change), "
                "each cut at 10x the run length; river's threshold / delta is matched to it on "
                "those same streams by bisection (in-sample, which favours river).",
                f"Requirement: CUSUM mean delay for shift (a) at the default target <= "
                f"{REQUIRED_DELAY:g} windows: {delay:.2f} windows, {verdict}.",
                f"({self.seconds:.0f} s in all)",
            ]
        )


class _Progress:
    """Lines on stderr, at most one every few seconds unless forced."""

    def __init__(self, every: float = 5.0, quiet: bool = False) -> None:
        self.start = self.last = time.perf_counter()
        self.every, self.quiet = every, quiet

    def __call__(self, message: str, force: bool = False) -> None:
        now = time.perf_counter()
        if not self.quiet and (force or now - self.last >= self.every):
            print(f"bench rollback [{now - self.start:4.0f} s] {message}", file=sys.stderr)
            self.last = now


def run_suite(config: BenchConfig, progress: _Progress | None = None) -> RollbackBench:
    """Compute both tables (what ``--quick`` and the full run differ in is ``config``)."""
    config.validate()
    say = progress or _Progress(quiet=True)
    start = time.perf_counter()

    def world(r: int) -> World:
        say(f"fitting reference {config.seed + r} and encoding its pool", force=True)
        return World(
            WorldConfig(
                pool_rows=config.pool_rows, n_resamples=config.n_resamples, seed=config.seed + r
            )
        )

    first = world(0)
    false_rollbacks = run_false_rollbacks(
        lambda r: first if r == 0 else world(r),
        config.references,
        config.runs,
        DEFAULT_TARGET,
        config.scaled_target,
        WINDOW_ROWS,
        config.agreement,
        say,
    )
    say(f"calibrating the delay table's rules at ARL0 {num(config.matched)}", force=True)
    label = f"{num(DEFAULT_TARGET)} (default)"
    arl, runs, _, _ = false_rollbacks.measured(0)
    today = f"{num(arl)} (table 1, {runs} runs)"
    contenders = build_contenders(
        DEFAULT_TARGET, label, config.matched, config.null_runs, config.seed, today, say
    )
    say("simulating detection delays", force=True)
    shifts = default_shifts(first.config.features)
    delays = simulate_delays(
        first,
        contenders,
        shifts,
        config.delay_runs,
        config.warmup,
        config.horizon,
        WINDOW_ROWS,
        say,
    )
    return RollbackBench(false_rollbacks, delays, config.null_runs, time.perf_counter() - start)


def run_bench_rollback(config: BenchConfig = FULL) -> int:
    """Run the suite, print the tables; return 0."""
    bench = run_suite(config, _Progress())
    print(bench.report())
    return 0
