"""Where the command line finds the registry.

``--registry``, else ``$DRIFTGUARD_REGISTRY``, else ``./.driftguard/registry`` (a
project-local folder, like MLflow's ``./mlruns``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
from pathlib import Path
from typing import Any

__all__ = ["DEFAULT_REGISTRY", "add_registry_arg", "as_json", "registry_root"]

DEFAULT_REGISTRY = Path(".driftguard") / "registry"


def add_registry_arg(parser: argparse.ArgumentParser) -> None:
    """Add ``--registry DIR`` to a sub-command."""
    parser.add_argument(
        "--registry",
        default=None,
        metavar="DIR",
        help=f"registry folder (default: $DRIFTGUARD_REGISTRY or ./{DEFAULT_REGISTRY})",
    )


def registry_root(args: argparse.Namespace) -> Path:
    """The registry folder chosen by flag, environment or default."""
    if args.registry:
        return Path(args.registry)
    return Path(os.environ.get("DRIFTGUARD_REGISTRY") or DEFAULT_REGISTRY)


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Path):
        return str(value)
    return value


def as_json(value: Any) -> str:
    """Dataclasses, lists and dicts as indented JSON."""
    return json.dumps(_plain(value), indent=2, default=str)
