"""``python -m benchmarks.guard``: the guard's statistical claims, measured on seeded streams."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from benchmarks._main import run_main
from benchmarks.guard.run import run_bench_guard
from benchmarks.guard.sections import BENCH_GUARD_SECTIONS


def build_parser() -> argparse.ArgumentParser:
    """Options of the guard benchmark."""
    p = argparse.ArgumentParser(
        prog="driftguard bench guard",
        description="sequential drift vs river, calibration, adversarial attacks, probing, "
        "poisoning",
    )
    p.add_argument(
        "--only", nargs="+", choices=BENCH_GUARD_SECTIONS, help="run only these sections"
    )
    p.add_argument("--runs", type=int, default=200, help="calibration runs (default 200)")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument("--json", action="store_true", help="print JSON")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; return the exit status."""
    return run_main(
        build_parser(),
        lambda a: run_bench_guard(
            runs=a.runs, seed=a.seed, as_json=a.json, only=a.only or BENCH_GUARD_SECTIONS
        ),
        argv,
    )


if __name__ == "__main__":
    sys.exit(main())
