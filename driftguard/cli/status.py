"""``driftguard status NAME``: the signals and decision of a model, from a running service.

It calls ``GET /models/{name}/signals`` on the service (``--url``, default
``http://127.0.0.1:8000``) with the admin token (``--token``, else
``$DRIFTGUARD_ADMIN_TOKEN``, else the token stored next to the registry) and prints a table,
or the service's JSON unchanged with ``--json``. Uses the standard library's HTTP client.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from driftguard.cli.registry_args import add_registry_arg, registry_root
from driftguard.cli.render import fmt, table
from driftguard.cli.service_client import admin_token, get_json, model_path

__all__ = ["add_status_parser", "signals_table"]


def add_status_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``status`` sub-command."""
    p = sub.add_parser("status", help="signals and decision of a served model")
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


def _run_status(args: argparse.Namespace) -> int:
    token = admin_token(args.token, registry_root(args))
    doc = fetch_signals(args.url, args.name, token, args.timeout)
    print(json.dumps(doc, indent=2) if args.json else signals_table(doc))
    return 0
