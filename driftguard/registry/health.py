"""What :meth:`Registry.verify <driftguard.registry.Registry.verify>` finds wrong.

Every recorded checkpoint is checked file by file against its manifest (and the manifest
against the SHA-256 the store recorded), and each ACTIVE pointer must name a recorded
version. Orphan and temporary directories left by crashes are unreferenced and harmless, so
they are not problems (:meth:`Registry.sweep <driftguard.registry.Registry.sweep>` tidies
them).

Examples
--------
>>> Problem("churn", 3, "model.bin", "missing").to_dict()["file"]
'model.bin'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from driftguard.checkpoint.integrity import inspect_checkpoint
from driftguard.registry.storage import Storage

__all__ = ["Problem", "find_problems"]


@dataclass(frozen=True)
class Problem:
    """One finding of :meth:`Registry.verify <driftguard.registry.Registry.verify>`.

    Parameters
    ----------
    name : str
        Model name.
    version : int or None
        The version concerned (``None``: the name as a whole).
    file : str or None
        The file at fault (``None``: the checkpoint directory or the ACTIVE pointer).
    detail : str
        What is wrong.

    Examples
    --------
    >>> Problem("churn", None, None, "ACTIVE points to an unregistered version").version
    """

    name: str
    version: int | None
    file: str | None
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "name": self.name,
            "version": self.version,
            "file": self.file,
            "detail": self.detail,
        }


def find_problems(root: Path, storage: Storage, names: Iterable[str]) -> list[Problem]:
    """Problems of the named models whose checkpoints lie at ``root/<name>/<version>``."""
    problems: list[Problem] = []
    for name in names:
        versions = storage.versions(name)
        for info in versions:
            issues = inspect_checkpoint(
                root / name / str(info.version), manifest_sha256=info.manifest_sha256
            )
            problems += [Problem(name, info.version, i.file, i.detail) for i in issues]
        state = storage.active(name)
        if state.version is not None and state.version not in {v.version for v in versions}:
            problems.append(
                Problem(name, state.version, None, "ACTIVE points to an unregistered version")
            )
    return problems
