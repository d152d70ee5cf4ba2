"""``driftguard audit-data``: screen a training table for label issues and poisoned rows.

Examples
--------
>>> import argparse
>>> sub = argparse.ArgumentParser().add_subparsers()
>>> add_audit_parser(sub)
>>> parser = sub.choices["audit-data"]
>>> parser.parse_args(["t.csv", "--target", "y"]).methods
'confident'
"""

from __future__ import annotations

import argparse
import json

from driftguard.cli.render import table
from driftguard.cli.tables import align, read_table
from driftguard.errors import ConfigurationError

__all__ = ["add_audit_parser"]


def add_audit_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``audit-data`` sub-command."""
    p = sub.add_parser(
        "audit-data",
        help="flag training rows with likely wrong labels or backdoor-like poisoning",
        description=(
            "Confident learning on out-of-fold probabilities (label issues) and spectral "
            "signatures (poisoned rows); prints what it would drop and why."
        ),
    )
    p.add_argument("file", help="training table (.csv or .parquet)")
    p.add_argument("--target", required=True, help="the label column")
    p.add_argument(
        "--methods",
        default="confident",
        help="comma-separated: confident, spectral (default confident)",
    )
    p.add_argument("--folds", type=int, default=5, help="cross-fitting folds (default 5)")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument(
        "--max-flag-fraction",
        type=float,
        default=0.5,
        help="most rows one method may flag, as a share (default 0.5)",
    )
    p.add_argument(
        "--poison-fraction",
        type=float,
        default=0.05,
        help="spectral: upper bound on the poisoned share (default 0.05)",
    )
    p.add_argument(
        "--categorical", nargs="+", default=[], metavar="COL", help="read these columns as labels"
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(handler=_run_audit)


def _run_audit(args: argparse.Namespace) -> int:
    from driftguard.audit import METHODS, audit_table
    from driftguard.errors import MissingColumnError

    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    bad = [m for m in methods if m not in METHODS]
    if bad or not methods:
        raise ConfigurationError(f"--methods: expected a list of {', '.join(METHODS)}")
    if args.folds < 2:
        raise ConfigurationError(f"--folds must be >= 2, got {args.folds}")
    if not 0.0 < args.max_flag_fraction <= 1.0:
        raise ConfigurationError(
            f"--max-flag-fraction must be in (0, 1], got {args.max_flag_fraction}"
        )
    if not 0.0 < args.poison_fraction < 0.5:
        raise ConfigurationError(
            f"--poison-fraction must be in (0, 0.5), got {args.poison_fraction}"
        )
    raw = read_table(args.file)
    if args.target not in raw:
        raise MissingColumnError(args.target, f"is the --target but not a column of {args.file}")
    cols, _, cats = align(raw, raw, [*args.categorical, args.target], (args.file, args.file))
    report = audit_table(
        cols,
        args.target,
        methods=methods,
        folds=args.folds,
        seed=args.seed,
        max_flag_fraction=args.max_flag_fraction,
        poison_fraction=args.poison_fraction,
        categorical=cats,
    )
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
        return 0
    rows = [[str(row), "; ".join(report.reasons[row])] for row in report.flagged]
    if rows:
        print(table(["row", "reason"], rows))
        print()
    per_method = ", ".join(f"{name} {count}" for name, count in report.counts.items())
    print(
        f"{len(report.flagged)} of {report.n_rows} rows flagged ({report.share:.1%}; "
        f"{per_method}); rows are 0-based data rows"
    )
    return 0
