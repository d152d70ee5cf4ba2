"""``python -m benchmarks.rollback``: false rollbacks per day and detection delay, before/after."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace

from benchmarks._main import run_main
from benchmarks.rollback.run import FULL, QUICK, run_bench_rollback


def build_parser() -> argparse.ArgumentParser:
    """Options of the rollback benchmark."""
    p = argparse.ArgumentParser(
        prog="driftguard bench rollback",
        description="false rollbacks per day and detection delay: today's 3-of-5 rule vs the "
        "e-value CUSUM (and river's ADWIN and PageHinkley at a matched run length)",
    )
    p.add_argument("--quick", action="store_true", help="a small configuration (seconds)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument(
        "--references", type=int, help=f"references measured (default {FULL.references})"
    )
    p.add_argument("--runs", type=int, help=f"alarms per measured rule (default {FULL.runs})")
    p.add_argument("--delay-runs", type=int, help=f"runs per shift (default {FULL.delay_runs})")
    p.add_argument(
        "--matched",
        type=float,
        help=f"common run length of the delay table, windows (default {FULL.matched:,.0f})",
    )
    return p


def _run(args: argparse.Namespace) -> int:
    config = replace(QUICK if args.quick else FULL, seed=args.seed)
    given = {
        "references": args.references,
        "runs": args.runs,
        "delay_runs": args.delay_runs,
        "matched": args.matched,
    }
    config = replace(config, **{k: v for k, v in given.items() if v is not None})
    return run_bench_rollback(config)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; return the exit status."""
    return run_main(build_parser(), _run, argv)


if __name__ == "__main__":
    sys.exit(main())
