"""``driftguard bench SUITE [OPTIONS]``: a thin launcher for the benchmarks of a checkout.

The benchmarks live in the top-level ``benchmarks/`` folder of a driftguard checkout and never
ship in the wheel. From a checkout (an editable install) this command runs
``benchmarks/SUITE`` with the options given; elsewhere it says how to get them.

Examples
--------
>>> SUITES
('drift', 'serve', 'guard', 'rollback')
"""

from __future__ import annotations

import argparse
import importlib
from typing import Any

from driftguard.errors import ConfigurationError

__all__ = ["SUITES", "add_bench_parser"]

SUITES = ("drift", "serve", "guard", "rollback")
_HELP = {
    "drift": "drift verdict vs Evidently's DataDriftPreset",
    "serve": "requests/s and latency: driftguard serve vs MLServer",
    "guard": "sequential drift vs river, calibration, adversarial, probing, poisoning",
    "rollback": "false rollbacks per day and detection delay: 3-of-5 rule vs CUSUM",
}


def _suite_main(suite: str) -> Any:
    try:
        return importlib.import_module(f"benchmarks.{suite}.__main__").main
    except ModuleNotFoundError as exc:
        if exc.name is None or not exc.name.startswith("benchmarks"):
            raise
        raise ConfigurationError(
            "the benchmarks are not installed with driftguard; they live in a checkout: "
            f"clone the repository and run `make bench` or `python -m benchmarks.{suite}` there"
        ) from None


def _run(args: argparse.Namespace) -> int:
    status: int = _suite_main(args.suite)(args.options)
    return status


def add_bench_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``driftguard bench``."""
    suites = "; ".join(f"{name}: {text}" for name, text in _HELP.items())
    bench = sub.add_parser(
        "bench",
        help="run a benchmark of a checkout (drift, serve, guard, rollback)",
        description=f"Run a benchmark from a driftguard checkout ({suites}). "
        "`driftguard bench SUITE --help` lists its options.",
        add_help=True,
    )
    bench.add_argument("suite", choices=SUITES, help="which benchmark")
    bench.add_argument("options", nargs=argparse.REMAINDER, help="the benchmark's own options")
    bench.set_defaults(handler=_run)
