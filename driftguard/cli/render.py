"""Plain-text tables for the terminal (no dependency beyond the standard library).

Examples
--------
>>> print(table(["a", "b"], [["x", "1"]]))
a  b
-  -
x  1
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

from driftguard.types import DriftReport

__all__ = ["drift_table", "fmt", "stderr_progress", "table"]


def fmt(value: float) -> str:
    """Format a number compactly: 4 significant digits, scientific when tiny."""
    if value != value:
        return "nan"
    if value == 0 or 1e-3 <= abs(value) < 1e5:
        return f"{value:.4g}"
    return f"{value:.2e}"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns separated by two spaces, with a rule under the header."""
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=False)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths).rstrip())
    for row in rows:
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)


def drift_table(report: DriftReport, limit: int | None = None) -> str:
    """The per-feature table (most drifted first) and the dataset verdict."""
    features = sorted(report.features, key=lambda f: (not f.drift, f.p_value, -f.score))
    shown = features if limit is None else features[:limit]
    rows = [
        [
            f.feature,
            f.method,
            fmt(f.score),
            fmt(f.threshold),
            fmt(f.p_value),
            fmt(f.p_adjusted),
            "DRIFT" if f.drift else "-",
        ]
        for f in shown
    ]
    header = [
        "feature",
        "method",
        "score",
        "threshold",
        "p-value",
        f"p-{report.correction}",
        "drift",
    ]
    out = [table(header, rows)]
    if len(shown) < len(features):
        out.append(f"... {len(features) - len(shown)} more features without drift")
    verdict = "DRIFT" if report.drift else "no drift"
    out.append(
        f"\nDataset: {verdict}  ({len(report.drifted_features)}/{len(features)} features drifted, "
        f"dataset score {fmt(report.dataset_score)} vs threshold {fmt(report.dataset_threshold)}, "
        f"p={fmt(report.dataset_p_value)}, alpha={report.alpha}, window {report.n_rows} rows)"
    )
    if not report.calibrated:
        out.append(
            "note: the window is outside the calibrated sizes (up to half the held-out "
            "reference rows); thresholds follow the statistic's sampling law"
        )
    return "\n".join(out)


def stderr_progress(label: str = "calibrating thresholds") -> Callable[[int, int], None] | None:
    """A progress callback printing a percentage on stderr, or None when it is not a terminal."""
    if not sys.stderr.isatty():
        return None

    def report(done: int, total: int) -> None:
        end = "\n" if done >= total else ""
        print(f"\r{label}: {100 * done // max(total, 1):3d}%", end=end, file=sys.stderr, flush=True)

    return report
