"""Tables and ratios of ``driftguard bench serve`` (medians over the round-robin rounds).

Examples
--------
>>> from benchmarks.serve.loadgen import LoadResult
>>> def run(rps: float) -> LoadResult:
...     return LoadResult(int(rps), 0, 1.0, rps, 1.0, 2.0)
>>> targets = [("driftguard_monitoring_on", "driftguard", "monitoring on"),
...            ("driftguard_monitoring_off", "driftguard", "monitoring off"),
...            ("mlserver_defaults", "mlserver", "defaults")]
>>> results = {"driftguard_monitoring_on": [run(950.0), run(900.0), run(1000.0)],
...            "driftguard_monitoring_off": [run(1000.0)], "mlserver_defaults": [run(500.0)]}
>>> rows = summarise(targets, results, {})
>>> rows[0]["rps"], rows[0]["requests"]
(950.0, 2850)
>>> {k: round(v, 2) for k, v in ratios(rows).items()}
{'monitoring_cost_pct': 5.0, 'driftguard_on_vs_mlserver_defaults': 1.9}
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from typing import Any

from benchmarks.serve.loadgen import LoadResult
from driftguard.cli.render import table

__all__ = ["MONITORING_TARGET_PCT", "ratios", "report", "summarise"]

#: The monitoring cost the service aims to stay under, in % of throughput (reported only).
MONITORING_TARGET_PCT = 10.0


def _median(results: Sequence[LoadResult], field: str) -> float:
    return float(statistics.median(float(getattr(r, field)) for r in results))


def summarise(
    targets: Sequence[tuple[str, str, str]],
    results: Mapping[str, Sequence[LoadResult]],
    checks: Mapping[str, str],
) -> list[dict[str, Any]]:
    """One row per ``(key, server, configuration)``: medians over rounds, summed counts."""
    return [
        {
            "key": key,
            "server": server,
            "configuration": configuration,
            "rps": _median(results[key], "rps"),
            "p50_ms": _median(results[key], "p50_ms"),
            "p99_ms": _median(results[key], "p99_ms"),
            "requests": sum(r.requests for r in results[key]),
            "errors": sum(r.errors for r in results[key]),
            "classes_agree": checks.get(key, "-"),
            "rounds": [r.to_dict() for r in results[key]],
        }
        for key, server, configuration in targets
    ]


def ratios(rows: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """Monitoring cost in % of throughput and driftguard-with-monitoring / MLServer req/s."""
    rps = {row["key"]: row["rps"] for row in rows}
    on = rps["driftguard_monitoring_on"]
    out: dict[str, float] = {}
    if rps["driftguard_monitoring_off"] > 0:
        out["monitoring_cost_pct"] = 100.0 * (1.0 - on / rps["driftguard_monitoring_off"])
    for key in ("mlserver_defaults", "mlserver_inline"):
        if rps.get(key):
            out[f"driftguard_on_vs_{key}"] = on / rps[key]
    return out


def report(header: str, rows: Sequence[Mapping[str, Any]], found: Mapping[str, float]) -> str:
    """The header, the table of servers and one line per ratio with its target."""
    lines = [header]
    cells = [
        [
            r["server"],
            r["configuration"],
            f"{r['rps']:.0f}",
            f"{r['p50_ms']:.2f}",
            f"{r['p99_ms']:.2f}",
            str(r["requests"]),
            str(r["errors"]),
            r["classes_agree"],
        ]
        for r in rows
    ]
    columns = ["server", "configuration", "req/s", "p50 ms", "p99 ms", "requests", "errors"]
    columns.append("classes agree")
    if any(len(r["rounds"]) > 1 for r in rows):
        columns.append("req/s per round")
        for cell, r in zip(cells, rows, strict=True):
            cell.append(" / ".join(f"{one['rps']:.0f}" for one in r["rounds"]))
    lines += [table(columns, cells), ""]
    if "monitoring_cost_pct" in found:
        cost = found["monitoring_cost_pct"]
        verdict = "met" if cost <= MONITORING_TARGET_PCT else "NOT met"
        lines.append(
            f"monitoring cost: {cost:.1f}% of throughput (1 - monitoring on / off req/s); "
            f"target <= {MONITORING_TARGET_PCT:.0f}%: {verdict}"
        )
    for key, label in (("defaults", "MLServer defaults"), ("inline", "MLServer inline")):
        ratio = found.get(f"driftguard_on_vs_mlserver_{key}")
        if ratio is not None:
            verdict = "met" if ratio >= 1.0 else "NOT met"
            lines.append(
                f"driftguard (monitoring on) / {label}: {ratio:.2f}x req/s; "
                f"target >= 1.0x: {verdict}"
            )
    return "\n".join(lines)
