"""``python -m benchmarks.serve``: requests/s and latency, driftguard serve against MLServer."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from benchmarks._main import run_main
from benchmarks.serve.run import run_bench_serve


def build_parser() -> argparse.ArgumentParser:
    """Options of the serving benchmark."""
    p = argparse.ArgumentParser(
        prog="driftguard bench serve",
        description="requests/s and latency: driftguard serve (monitoring on/off) vs MLServer",
    )
    p.add_argument(
        "--duration", type=float, default=10.0, help="measured seconds per server (default 10)"
    )
    p.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds per server")
    p.add_argument("--connections", type=int, default=16, help="keep-alive connections")
    p.add_argument("--rows-per-request", type=int, default=1, help="rows per request")
    p.add_argument("--repeat", type=int, default=1, help="round-robin rounds, median kept")
    p.add_argument("--skip-mlserver", action="store_true", help="measure driftguard only")
    p.add_argument(
        "--mlserver-venv",
        default=".venv-mlserver",
        metavar="PATH",
        help="virtual environment for MLServer, created on first use (default .venv-mlserver)",
    )
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    return p


def _run(args: argparse.Namespace) -> int:
    return run_bench_serve(
        duration=args.duration,
        warmup=args.warmup,
        connections=args.connections,
        rows_per_request=args.rows_per_request,
        repeat=args.repeat,
        skip_mlserver=args.skip_mlserver,
        mlserver_venv=Path(args.mlserver_venv),
        as_json=args.json,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; return the exit status."""
    return run_main(build_parser(), _run, argv)


if __name__ == "__main__":
    sys.exit(main())
