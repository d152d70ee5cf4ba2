"""``driftguard models ...``: inspect and steer the registry (every action takes ``--json``)."""

from __future__ import annotations

import argparse
import dataclasses
import getpass
from typing import Any

from driftguard.cli.registry_args import add_registry_arg, as_json, registry_root
from driftguard.cli.render import table

__all__ = ["add_models_parser"]


def add_models_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``models`` and its actions."""
    models = sub.add_parser("models", help="list, inspect, promote, roll back, verify models")
    actions = models.add_subparsers(dest="action", required=True, metavar="ACTION")

    def action(name: str, help_text: str, *, version: str | None = None) -> argparse.ArgumentParser:
        p = actions.add_parser(name, help=help_text)
        if version != "none":
            p.add_argument(
                "name", nargs="?" if version == "optional-name" else None, help="model name"
            )
        if version == "required":
            p.add_argument("version", type=int, help="version number")
        add_registry_arg(p)
        p.add_argument("--json", action="store_true", help="print JSON")
        p.set_defaults(handler=_dispatch)
        return p

    action("list", "models, or the versions of one model", version="optional-name")
    show = action("show", "manifest and status of a version (default: ACTIVE)")
    show.add_argument("--version", type=int, default=None)
    for name, text in (
        ("promote", "make a version ACTIVE"),
        ("quarantine", "never roll back to this version"),
        ("known-good", "mark a version as a rollback target"),
    ):
        p = action(name, text, version="required")
        p.add_argument("--reason", default="", help="why (kept in the audit log)")
    rollback = action("rollback", "roll back to the newest earlier known-good version")
    rollback.add_argument("--to", type=int, default=None, help="explicit target version")
    rollback.add_argument(
        "--expected-generation",
        type=int,
        default=None,
        help="compare-and-set: only if ACTIVE is still at this generation",
    )
    rollback.add_argument("--reason", default="", help="why (kept in the audit log)")
    action(
        "verify",
        "check every checkpoint's hashes and ACTIVE (exit 1 on problems)",
        version="optional-name",
    )
    action("audit", "the audit log", version="optional-name")


def _rows(items: list[Any]) -> str:
    if not items:
        return "(none)"
    fields = [f.name for f in dataclasses.fields(items[0])]
    return table(fields, [[str(getattr(item, f)) for f in fields] for item in items])


def _dispatch(args: argparse.Namespace) -> int:
    from driftguard.registry import Registry

    registry = Registry(registry_root(args))
    actor = f"cli:{getpass.getuser()}"
    result: Any
    status = 0
    if args.action == "list":
        if args.name:
            result = registry.versions(args.name)
        else:
            result = [{"name": n, "active": registry.active(n)} for n in registry.names()]
    elif args.action == "show":
        checkpoint = registry.open(args.name, args.version)
        result = {"manifest": checkpoint.manifest, "active": registry.active(args.name)}
    elif args.action == "promote":
        result = registry.promote(args.name, args.version, actor=actor, reason=args.reason)
    elif args.action == "quarantine":
        result = registry.quarantine(args.name, args.version, actor=actor, reason=args.reason)
    elif args.action == "known-good":
        result = registry.mark_known_good(args.name, args.version, actor=actor, reason=args.reason)
    elif args.action == "rollback":
        result = registry.rollback(
            args.name,
            actor=actor,
            reason=args.reason,
            to=args.to,
            expected_generation=args.expected_generation,
        )
    elif args.action == "verify":
        result = registry.verify(args.name)
        status = 1 if result else 0
    else:
        result = registry.audit(args.name)
    if args.json:
        print(as_json(result))
    elif isinstance(result, list) and result and dataclasses.is_dataclass(result[0]):
        print(_rows(result))
    elif args.action == "verify":
        print("registry verified: no problems" if not result else as_json(result))
    else:
        print(as_json(result))
    return status
