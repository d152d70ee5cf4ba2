"""``driftguard report NAME``: an Evidently HTML data-drift report of the recent traffic.

The reference is the served version's checkpoint sample (its profile's reservoir); the
current rows are the service's most recent window (``GET /models/{name}/window`` with the
admin token, as ``driftguard status`` sends it) or a file given with ``--current``. Evidently's
``DataDriftPreset`` compares them, told which features are numerical and which categorical by
the checkpoint's schema; the HTML is written atomically (a temporary file in the same folder,
then renamed) and a short summary is printed. Evidently and pandas are imported only here,
when the command runs (``pip install 'driftguard[reports]'``).

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
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from driftguard.cli.registry_args import add_registry_arg, registry_root
from driftguard.cli.report_data import (
    MIN_CURRENT_ROWS,
    Reference,
    conform,
    fetch_window,
    load_reference,
    read_current,
)
from driftguard.cli.service_client import admin_token
from driftguard.errors import ConfigurationError, DriftguardError, EmptyDataError
from driftguard.schema.features import Columns
from driftguard.types import FeatureKind

__all__ = ["DriftSummary", "add_report_parser", "drift_summary", "write_atomic"]

EXTRAS_HINT = "pip install 'driftguard[reports]'"


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


@dataclass(frozen=True)
class DriftSummary:
    """What Evidently's result says: the columns it judged drifted, of those it tested.

    Examples
    --------
    >>> DriftSummary(("a",), ("a", "b"), 0.5).line()
    'drifted columns: 1 of 2 (a)'
    """

    drifted: tuple[str, ...]
    columns: tuple[str, ...]
    share: float

    def line(self, shown: int = 8) -> str:
        """``drifted columns: k of n (names...)``."""
        names = ", ".join(self.drifted[:shown])
        more = f", and {len(self.drifted) - shown} more" if len(self.drifted) > shown else ""
        detail = f" ({names}{more})" if self.drifted else ""
        return f"drifted columns: {len(self.drifted)} of {len(self.columns)}{detail}"


def drift_summary(result: dict[str, Any]) -> DriftSummary:
    """Read the drifted columns from an Evidently 0.7 snapshot's ``dict()``.

    Each ``ValueDrift`` metric holds a p-value (drift below the threshold) or a distance
    (drift at or above it), as Evidently's own ``DriftedColumnsCount`` decides.

    Examples
    --------
    >>> drift_summary({"metrics": [
    ...     {"config": {"type": "evidently:metric_v2:DriftedColumnsCount"},
    ...      "value": {"count": 1.0, "share": 0.5}},
    ...     {"config": {"type": "evidently:metric_v2:ValueDrift", "column": "a",
    ...                 "method": "K-S p_value", "threshold": 0.05}, "value": 0.001},
    ...     {"config": {"type": "evidently:metric_v2:ValueDrift", "column": "b",
    ...                 "method": "Wasserstein distance (normed)", "threshold": 0.1},
    ...      "value": 0.02}]}).drifted
    ('a',)
    """
    drifted: list[str] = []
    columns: list[str] = []
    share = float("nan")
    for metric in result.get("metrics", []):
        config, value = metric.get("config", {}), metric.get("value")
        kind = str(config.get("type", ""))
        if kind.endswith("DriftedColumnsCount") and isinstance(value, dict):
            share = float(value.get("share", share))
        elif kind.endswith("ValueDrift") and isinstance(value, int | float):
            column, threshold = str(config["column"]), float(config["threshold"])
            columns.append(column)
            p_value = "p_value" in str(config.get("method", ""))
            if (value < threshold) if p_value else (value >= threshold):
                drifted.append(column)
    if not columns:
        raise DriftguardError("Evidently's result has no per-column drift (ValueDrift) metrics")
    return DriftSummary(tuple(drifted), tuple(columns), share)


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


def _extras() -> tuple[ModuleType, ModuleType, ModuleType]:
    try:
        import evidently
        import evidently.presets
        import pandas
    except ImportError as exc:
        raise ConfigurationError(
            f"driftguard report needs Evidently and pandas ({exc}): {EXTRAS_HINT}"
        ) from None
    return pandas, evidently, evidently.presets


def _frame(pandas: ModuleType, ref: Reference, columns: Columns) -> Any:
    data: dict[str, Any] = {}
    for spec in ref.schema.features:
        values = columns[spec.name]
        if spec.kind is FeatureKind.NUMERIC:
            data[spec.name] = np.asarray(values, dtype=np.float64)
        else:
            data[spec.name] = [None if v == "" else str(v) for v in values.tolist()]
    return pandas.DataFrame(data, columns=list(ref.schema.names))


def build_report(ref: Reference, current: Columns) -> tuple[str, DriftSummary]:
    """Evidently's HTML and the drift summary of ``current`` against the reference sample."""
    pandas, evidently, presets = _extras()
    kinds = {f.name: f.kind for f in ref.schema.features}
    definition = evidently.DataDefinition(
        numerical_columns=[n for n, k in kinds.items() if k is FeatureKind.NUMERIC],
        categorical_columns=[n for n, k in kinds.items() if k is FeatureKind.CATEGORICAL],
    )
    datasets = [
        evidently.Dataset.from_pandas(_frame(pandas, ref, cols), data_definition=definition)
        for cols in (ref.columns, current)
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy's and plotly's warnings on small categories
        try:
            snapshot = evidently.Report([presets.DataDriftPreset()]).run(
                current_data=datasets[1], reference_data=datasets[0]
            )
            html = snapshot.get_html_str(as_iframe=False)
            result = snapshot.dict()
        except Exception as exc:  # a third-party library: say what failed, in one line
            raise DriftguardError(
                f"Evidently could not build the report: {type(exc).__name__}: {exc}"
            ) from None
    return str(html), drift_summary(result)


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
    html, summary = build_report(ref, current)
    target = write_atomic(out or Path(f"report-{ref.name}-v{ref.version}.html"), html)
    print(summary.line())
    print(f"wrote {target}")
    return 0
