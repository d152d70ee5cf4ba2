"""Entry point of the ``driftguard`` command.

User mistakes (bad files, wrong columns, invalid options) print one line,
``driftguard: error: ...``, and exit with status 2; no traceback.

Examples
--------
>>> build_parser().parse_args(["drift", "a.csv", "b.csv", "--alpha", "0.01"]).alpha
0.01
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from driftguard.cli.audit import add_audit_parser
from driftguard.cli.bench import add_bench_parser
from driftguard.cli.models import add_models_parser
from driftguard.cli.policy import add_policy_parser
from driftguard.cli.render import drift_table, stderr_progress
from driftguard.cli.report import add_report_parser
from driftguard.cli.serve import add_serve_parser
from driftguard.cli.status import add_status_parser
from driftguard.cli.tables import align, read_table
from driftguard.cli.train import add_train_parser
from driftguard.drift.check import DriftCheck
from driftguard.drift.compare import compare_tables
from driftguard.drift.profile import MIN_REFERENCE_ROWS, ReferenceProfile
from driftguard.errors import ConfigurationError, DriftguardError, EmptyDataError

__all__ = ["build_parser", "main"]


def _add_drift(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "drift",
        help="compare two CSV/Parquet files feature by feature",
        description="Calibrated drift check of CURRENT against REFERENCE (same columns).",
    )
    p.add_argument("reference", help="reference rows (.csv or .parquet)")
    p.add_argument("current", help="current rows (.csv or .parquet)")
    p.add_argument("--json", action="store_true", help="print the verdict as JSON")
    p.add_argument("--alpha", type=float, default=0.05, help="false-alarm rate (default 0.05)")
    p.add_argument(
        "--categorical", nargs="+", default=[], metavar="COL", help="read these columns as labels"
    )
    p.add_argument(
        "--correction", choices=["holm", "bh", "none"], default="holm", help="across features"
    )
    p.add_argument(
        "--min-effect", type=float, default=None, help="practical effect size (default 0.1)"
    )
    p.add_argument("--bins", type=int, default=32, help="quantile bins per numeric feature")
    p.add_argument("--resamples", type=int, default=1000, help="null resamples per window size")
    p.add_argument("--max-window", type=int, default=None, help="largest calibrated window")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument("--fail-on-drift", action="store_true", help="exit 1 when the data drifted")
    p.set_defaults(handler=_run_drift)


_FLAGS = {
    "n_resamples": "--resamples",
    "n_bins": "--bins",
    "max_window": "--max-window",
    "alpha": "--alpha",
    "correction": "--correction",
}


def _flag_names(message: str) -> str:
    """Speak of command-line flags, not the library parameters behind them."""
    for parameter, flag in _FLAGS.items():
        if message.startswith(parameter):
            return flag + message[len(parameter) :]
    return message


def _run_drift(args: argparse.Namespace) -> int:
    profile = ReferenceProfile(
        n_bins=args.bins,
        n_resamples=args.resamples,
        max_window=args.max_window,
        seed=args.seed,
    )
    check = DriftCheck(alpha=args.alpha, correction=args.correction, min_effect=args.min_effect)
    try:
        profile.validate()
        check.validate()
    except ConfigurationError as exc:
        raise ConfigurationError(_flag_names(str(exc))) from None
    ref_raw, cur_raw = read_table(args.reference), read_table(args.current)
    ref, cur, cats = align(ref_raw, cur_raw, args.categorical, (args.reference, args.current))
    n_ref = len(next(iter(ref.values())))
    if n_ref < MIN_REFERENCE_ROWS:
        raise EmptyDataError(
            f"{args.reference}: {n_ref} rows; a reference needs at least {MIN_REFERENCE_ROWS}"
        )
    report = compare_tables(
        ref, cur, categorical=cats, profile=profile, check=check, progress=stderr_progress()
    )
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(drift_table(report))
    return 1 if (args.fail_on_drift and report.drift) else 0


def _run_demo(args: argparse.Namespace) -> int:
    if args.drift_only:
        from driftguard.cli.demo.drift_only import run_demo

        return run_demo()
    from driftguard.cli.demo.story import run_story

    return run_story(exit_after=args.exit, registry=args.registry, port=args.port)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    parser = argparse.ArgumentParser(
        prog="driftguard", description="Keep deployed models honest: calibrated drift checks."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_drift(sub)
    add_train_parser(sub)
    add_models_parser(sub)
    add_serve_parser(sub)
    add_status_parser(sub)
    add_policy_parser(sub)
    add_report_parser(sub)
    add_audit_parser(sub)
    demo = sub.add_parser(
        "demo",
        help="the whole story on bundled digits: train, serve, drift, automatic rollback",
    )
    demo.add_argument("--exit", action="store_true", help="exit (0 only if it ended right)")
    demo.add_argument("--registry", default=None, metavar="DIR", help="empty registry folder")
    demo.add_argument("--port", type=int, default=0, help="service port (default: a free one)")
    demo.add_argument(
        "--drift-only", action="store_true", help="only the drift check on breast_cancer"
    )
    demo.set_defaults(handler=_run_demo)
    add_bench_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        status: int = args.handler(args)
    except DriftguardError as exc:
        print(f"driftguard: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("driftguard: interrupted", file=sys.stderr)
        return 130
    return status


if __name__ == "__main__":
    sys.exit(main())
