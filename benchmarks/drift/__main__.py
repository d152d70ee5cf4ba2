"""``python -m benchmarks.drift``: the drift verdict against Evidently's DataDriftPreset."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from benchmarks._main import run_main
from benchmarks.drift.run import run_bench_drift


def build_parser() -> argparse.ArgumentParser:
    """Options of the drift benchmark."""
    p = argparse.ArgumentParser(
        prog="driftguard bench drift", description="drift verdict vs Evidently's DataDriftPreset"
    )
    p.add_argument("--rows", type=int, default=100_000, help="rows per data set")
    p.add_argument("--features", type=int, default=50, help="numeric features")
    p.add_argument("--repeat", type=int, default=2, help="timed repetitions (best is kept)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; return the exit status."""
    return run_main(
        build_parser(),
        lambda a: run_bench_drift(rows=a.rows, features=a.features, repeat=a.repeat),
        argv,
    )


if __name__ == "__main__":
    sys.exit(main())
