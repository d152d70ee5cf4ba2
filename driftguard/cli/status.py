"""``driftguard status NAME``: the signals and decision of a model, from a running service.

It calls ``GET /models/{name}/signals`` on the service (``--url``, default
``http://127.0.0.1:8000``) with the admin token (``--token``, else
``$DRIFTGUARD_ADMIN_TOKEN``, else the token stored next to the registry) and prints a table,
or the service's JSON unchanged with ``--json``. Uses the standard library's HTTP client.
"""

from __future__ import annotations

import argparse
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from driftguard.cli.registry_args import add_registry_arg, registry_root
from driftguard.cli.render import fmt, table
from driftguard.errors import ConfigurationError, DriftguardError, VersionNotFoundError

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


def _token(args: argparse.Namespace) -> str:
    if args.token:
        return str(args.token)
    if os.environ.get("DRIFTGUARD_ADMIN_TOKEN"):
        return os.environ["DRIFTGUARD_ADMIN_TOKEN"]
    root = registry_root(args)
    stored = Path(root).parent / f"{Path(root).name}.admin-token"
    if stored.exists():
        return stored.read_text(encoding="utf-8").strip()
    raise ConfigurationError(
        "no admin token: pass --token, set DRIFTGUARD_ADMIN_TOKEN, or point --registry at the "
        "registry the service generated its token for"
    )


def fetch_signals(url: str, name: str, token: str, timeout: float) -> dict[str, Any]:
    """The service's ``/models/{name}/signals`` document."""
    request = urllib.request.Request(
        f"{url.rstrip('/')}/models/{urllib.parse.quote(name, safe='')}/signals",
        headers={"Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data: dict[str, Any] = json.loads(response.read())
            return data
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read()).get("error", exc.reason)
        except ValueError:
            message = exc.reason
        kind = VersionNotFoundError if exc.code == 404 else DriftguardError
        raise kind(f"{url}: {exc.code} {message}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise DriftguardError(f"{url}: cannot reach the service ({exc})") from None


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
    doc = fetch_signals(args.url, args.name, _token(args), args.timeout)
    print(json.dumps(doc, indent=2) if args.json else signals_table(doc))
    return 0
