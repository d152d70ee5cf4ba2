"""``driftguard report NAME``: an Evidently HTML data-drift report of the recent traffic.

The reference is the served version's checkpoint sample (its profile's reservoir); the
current rows are the service's most recent window (``GET /models/{name}/window`` with the
admin token, as ``driftguard status`` sends it) or a file given with ``--current``. Evidently's
``DataDriftPreset`` compares them, told which features are numerical and which categorical by
the checkpoint's schema; the HTML is written atomically (a temporary file in the same folder,
then renamed) and a short summary is printed. The report itself is
:func:`~driftguard.reports.evidently.evidently_drift_report`, which imports Evidently and pandas
only when it runs (``pip install 'driftguard[reports]'``).

Examples
--------
>>> import argparse
>>> sub = argparse.ArgumentParser().add_subparsers()
>>> add_report_parser(sub)
>>> args = sub.choices["report"].parse_args(["cancer", "--current", "rows.csv"])
>>> args.current, args.rows, args.out
('rows.csv', 2000, None)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from driftguard.cli.registry_args import add_registry_arg, registry_root
from driftguard.cli.report_data import (
    MIN_CURRENT_ROWS,
    conform,
    fetch_window,
    load_reference,
    read_current,
)
from driftguard.cli.service_client import admin_token
from driftguard.errors import ConfigurationError, EmptyDataError
from driftguard.reports.evidently import evidently_drift_report

__all__ = ["add_report_parser", "write_atomic"]


def add_report_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``report`` sub-command."""
    p = sub.add_parser(
        "report",
        help="Evidently HTML drift report: checkpoint reference vs recent traffic",
        description="Compare the checkpoint's reference sample with the recent window in an "
        "Evidently DataDriftPreset report (HTML).",
    )
    p.add_argument("name", help="model name")
    p.add_argument(
        "--out", default=None, metavar="FILE", help="HTML file (default: ./report-NAME-vV.html)"
    )
    p.add_argument(
        "--current",
        default=None,
        metavar="FILE",
        help="current rows from a .csv, .parquet or .jsonl file instead of the service",
    )
    p.add_argument(
        "--version", type=int, default=None, help="reference checkpoint (default: the served one)"
    )
    p.add_argument("--url", default="http://127.0.0.1:8000", help="service base URL")
    p.add_argument("--token", default=None, help="admin token (default: env, then stored file)")
    p.add_argument("--rows", type=int, default=2000, help="recent rows to fetch (default 2000)")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds to wait (default 30)")
    add_registry_arg(p)
    p.set_defaults(handler=_run_report)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(target: Path, text: str) -> Path:
    """Write ``text`` to ``target`` through a temporary file in the same folder, then rename.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "r.html"
    >>> write_atomic(path, "<html></html>").read_text()
    '<html></html>'
    """
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise ConfigurationError(f"{target}: cannot write ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), 0o666 & ~_umask())  # as open() would, not mkstemp's 0600
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ConfigurationError(f"{target}: cannot write ({exc.strerror or exc})") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _out_path(out: str | None) -> Path | None:
    if out is None:
        return None
    target = Path(out)
    if target.is_dir():
        raise ConfigurationError(f"--out {out}: is a folder; name the HTML file")
    folder = target.parent
    if not folder.is_dir():
        raise ConfigurationError(f"--out {out}: folder {folder} does not exist")
    return target


def _run_report(args: argparse.Namespace) -> int:
    out = _out_path(args.out)
    root = registry_root(args)
    served: int | None = None
    if args.current is not None:
        raw: dict[str, Any] = read_current(Path(args.current))
        source = str(args.current)
    else:
        token = admin_token(args.token, root)
        doc = fetch_window(args.url, args.name, token, args.timeout, args.rows)
        raw, served = doc["columns"], int(doc["version"])
        source = f"{args.url} window of version {served}"
    ref = load_reference(root, args.name, args.version if args.version is not None else served)
    current = conform(ref.schema, raw, source)
    n_current = len(next(iter(current.values())))
    if n_current < MIN_CURRENT_ROWS:
        raise EmptyDataError(
            f"{source}: {n_current} current rows; a report needs at least {MIN_CURRENT_ROWS} "
            "(send more traffic to the model, or give a larger --current file)"
        )
    print(f"reference: {ref.name} version {ref.version} checkpoint sample, {ref.n_rows} rows")
    print(f"current:   {source}, {n_current} rows", flush=True)
    print(
        f"driftguard: building the Evidently report on {len(current)} columns "
        "(importing Evidently takes a few seconds) ...",
        file=sys.stderr,
        flush=True,
    )
    html, summary = evidently_drift_report(ref.schema, ref.columns, current)
    target = write_atomic(out or Path(f"report-{ref.name}-v{ref.version}.html"), html)
    print(summary.line())
    print(f"wrote {target}")
    return 0
