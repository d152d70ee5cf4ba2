"""``driftguard status NAME``: the signals, decision and rules of a model, from a running service.

It calls ``GET /models/{name}/signals`` on the service (``--url``, default
``http://127.0.0.1:8000``) with the admin token (``--token``, else
``$DRIFTGUARD_ADMIN_TOKEN``, else the token stored next to the registry) and prints two tables,
or the service's JSON unchanged with ``--json`` (its ``rules`` list included). The signals
table is the last checked window; the rules table says, per rule, how often it would decide
falsely on clean traffic at the window rate the service sees (at the policy's planning traffic,
marked ``(planned)``, until the service has seen two windows) and the evidence gathered so far.
Uses the standard library's HTTP client.

Examples
--------
>>> doc = {"windows_per_s": None, "planned_windows_per_s": 4.0, "rules": [{
...     "rule": "input-drift", "action": "rollback", "method": "cusum",
...     "run_length_windows": 126144000.0, "run_length_exact": True,
...     "planned_interval_s": 31536000.0, "interval_s": None, "evidence": 3.21,
...     "evidence_threshold": 14.99, "breaches": 0, "k": 1, "m": 1, "latched": False}]}
>>> print(rules_table(doc))
Rules (no window rate observed yet; planning traffic 4 windows/s)
rule         action    method  false decision every  run length (windows)  evidence         state
-----------  --------  ------  --------------------  --------------------  ---------------  -----
input-drift  rollback  cusum   1.0 years (planned)   1.26e+08              3.2 / 15.0 nats  armed
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from driftguard.cli.registry_args import add_registry_arg, registry_root
from driftguard.cli.render import fmt, table
from driftguard.cli.service_client import admin_token, get_json, model_path
from driftguard.policy.run_length import format_duration

__all__ = ["add_status_parser", "rules_table", "signals_table"]


def add_status_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``status`` sub-command."""
    p = sub.add_parser("status", help="signals, decision and rules of a served model")
    p.add_argument("name", help="model name")
    p.add_argument("--url", default="http://127.0.0.1:8000", help="service base URL")
    p.add_argument("--token", default=None, help="admin token (default: env, then stored file)")
    p.add_argument("--json", action="store_true", help="print the service's JSON")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait (default 10)")
    add_registry_arg(p)
    p.set_defaults(handler=_run_status)


def fetch_signals(url: str, name: str, token: str, timeout: float) -> dict[str, Any]:
    """The service's ``/models/{name}/signals`` document."""
    return get_json(url, model_path(name, "signals"), token, timeout)


def _num(value: Any) -> str:
    return "-" if value is None else fmt(float(value))


def signals_table(doc: dict[str, Any]) -> str:
    """A table of the signals and a line for the decision."""
    rows = [
        [
            s["name"],
            s["kind"],
            _num(s["value"]),
            _num(s["threshold"]),
            s["status"],
            str(s["samples"]),
        ]
        for s in doc.get("signals", [])
    ]
    head = f"model {doc.get('model')} version {doc.get('version')}"
    body = table(["signal", "kind", "value", "threshold", "status", "samples"], rows)
    decision = doc.get("decision")
    tail = "decision: none yet" if not decision else f"decision: {json.dumps(decision)}"
    return f"{head}\n{body}\n{tail}"


def _interval(rule: dict[str, Any]) -> str:
    """The false-decision interval at current traffic, else at planning traffic (marked)."""
    if rule["interval_s"] is not None:
        return format_duration(rule["interval_s"])
    planned = rule["planned_interval_s"]
    return format_duration(float("inf") if planned is None else planned) + " (planned)"


def _evidence(rule: dict[str, Any]) -> str:
    """CUSUM statistic against its threshold, or breaches against ``k`` of the last ``m``."""
    if rule["method"] == "cusum":
        return f"{rule['evidence'] or 0.0:.1f} / {rule['evidence_threshold']:.1f} nats"
    return f"{rule['breaches']} / {rule['k']} of {rule['m']}"


def _rate_line(doc: dict[str, Any]) -> str:
    planned = f"planning traffic {fmt(float(doc['planned_windows_per_s']))} windows/s"
    seen = doc.get("windows_per_s")
    if seen is None:
        return f"Rules (no window rate observed yet; {planned})"
    return f"Rules (at {fmt(float(seen))} windows/s observed; {planned})"


def rules_table(doc: dict[str, Any]) -> str:
    """Per rule: false-decision interval, run length in windows, evidence so far, state."""
    rows = [
        [
            r["rule"],
            r["action"],
            r["method"],
            _interval(r),
            ("" if r["run_length_exact"] else ">=") + fmt(float(r["run_length_windows"])),
            _evidence(r),
            "latched" if r["latched"] else "armed",
        ]
        for r in doc.get("rules", [])
    ]
    header = ["rule", "action", "method", "false decision every", "run length (windows)"]
    return f"{_rate_line(doc)}\n{table([*header, 'evidence', 'state'], rows)}"


def _run_status(args: argparse.Namespace) -> int:
    token = admin_token(args.token, registry_root(args))
    doc = fetch_signals(args.url, args.name, token, args.timeout)
    if args.json:
        print(json.dumps(doc, indent=2))
    elif "rules" in doc:
        print(f"{signals_table(doc)}\n\n{rules_table(doc)}")
    else:  # a service from before the rules were shown
        print(signals_table(doc))
    return 0
