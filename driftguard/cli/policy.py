"""``driftguard policy [FILE]``: check a policy and state every rule's run length.

Loads the policy file (the default policy without one) exactly as the service does, so a bad
file or a rollback rule below ``false_rollback_floor`` fails here with the same
``FILE:LINE: problem``, and prints one row per rule: how it decides, the setting derived from
its target (CUSUM threshold ``h`` or per-window level), its run length to a false decision
under no change in windows, and that run length in time at the policy's planning traffic and,
with ``--rows-per-s`` / ``--window-rows``, at the traffic you expect.

Examples
--------
>>> from driftguard.policy import default_policy
>>> print(run_length_table(default_policy(), None).splitlines()[4])
input-drift    rollback  cusum   h = 14.99 nats    365d    1.26e+08              1.0 years
"""

from __future__ import annotations

import argparse
import json

from driftguard.cli.render import table
from driftguard.errors import ConfigurationError
from driftguard.policy import Policy, RunLength, Traffic, default_policy, load_policy
from driftguard.policy.run_length import format_duration

__all__ = ["add_policy_parser", "run_length_table"]


def add_policy_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``policy`` sub-command."""
    p = sub.add_parser(
        "policy",
        help="check a policy file and state each rule's run length to a false decision",
        description="Load a policy (the default one without FILE) and print, per rule, the "
        "expected windows and time to a false decision when nothing changed.",
    )
    p.add_argument("file", nargs="?", default=None, help="policy YAML (default: the built-in)")
    p.add_argument("--rows-per-s", type=float, default=None, help="traffic to state times at")
    p.add_argument("--window-rows", type=int, default=None, help="rows per monitoring window")
    p.add_argument("--json", action="store_true", help="print the run lengths as JSON")
    p.set_defaults(handler=_run_policy)


def _setting(run: RunLength) -> str:
    if run.method == "cusum" and run.threshold is not None:
        return f"h = {run.threshold:.2f} nats"
    if run.method == "k_of_m_p" and run.level is not None:
        return f"p <= {run.level:.3g}"
    return f"breach rate {run.level:g}" if run.level is not None else "-"


def run_length_table(policy: Policy, traffic: Traffic | None) -> str:
    """A table of every rule's run length (and the traffic the times are stated at)."""
    at = traffic or policy.traffic
    head = f"{policy.source}: traffic {at.rows_per_s:g} rows/s in {at.window_rows}-row windows"
    rows = []
    for rule in policy.rules:
        run = policy.run_length(rule)
        bound = "" if run.exact else ">= "
        rows.append(
            [
                rule.name,
                rule.action,
                run.method,
                _setting(run),
                run.target or "-",
                f"{bound}{run.windows:.3g}",
                bound + format_duration(run.seconds(at.windows_per_s)),
            ]
        )
    header = ["rule", "action", "method", "setting", "target", "run length (windows)"]
    return f"{head}\n\n" + table([*header, "false decision every"], rows)


def _traffic(policy: Policy, args: argparse.Namespace) -> Traffic | None:
    if args.rows_per_s is None and args.window_rows is None:
        return None
    rows = policy.traffic.rows_per_s if args.rows_per_s is None else args.rows_per_s
    window = policy.traffic.window_rows if args.window_rows is None else args.window_rows
    try:
        return Traffic(rows_per_s=rows, window_rows=window)
    except ConfigurationError as exc:
        raise ConfigurationError(f"--rows-per-s / --window-rows: {exc}") from None


def _run_policy(args: argparse.Namespace) -> int:
    policy = load_policy(args.file) if args.file else default_policy()
    traffic = _traffic(policy, args)
    if args.json:
        per_s = (traffic or policy.traffic).windows_per_s
        doc = {
            "source": policy.source,
            "traffic": (traffic or policy.traffic).to_dict(),
            "rules": [policy.run_length(r).to_dict(per_s) for r in policy.rules],
        }
        print(json.dumps(doc, indent=2))
        return 0
    print(run_length_table(policy, traffic))
    return 0
