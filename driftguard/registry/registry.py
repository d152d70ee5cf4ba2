"""Versioned checkpoints, an ACTIVE pointer moved by compare-and-set, and an audit trail.

Layout under ``root``: ``<name>/<version>/`` holds each checkpoint (see
:mod:`driftguard.checkpoint.folder`), ``registry.db`` the metadata (see
:mod:`driftguard.registry.sqlite_storage`). Versions are immutable and never deleted; every
change is one audit record written in the same transaction as the change.

Crash safety: a checkpoint directory is complete before its rename and its rename is durable
before the database records it, so every recorded version is complete. A crash between the
rename and the commit leaves an *orphan* (a directory no row refers to); a crash while writing
leaves a dot-named ``.tmp`` directory. Neither is read by :meth:`Registry.open` or reported by
:meth:`Registry.verify`; the next :meth:`Registry.register` of that name (or
:meth:`Registry.sweep`) moves orphans to ``<name>/.orphans/`` and removes temporary
directories, under a per-name file lock that registrations also hold. ACTIVE only ever
points to a recorded version, which :meth:`Registry.promote` and :meth:`Registry.rollback`
hash-verify before switching to it.

Examples
--------
>>> import numpy as np, tempfile
>>> from driftguard.checkpoint.folder import CheckpointDraft
>>> from driftguard.drift.profile import ReferenceProfile
>>> profile = ReferenceProfile(n_resamples=20).fit({"x": np.arange(200.0)})
>>> draft = CheckpointDraft({"model.bin": b"w"}, {}, {}, {}, profile, "# card", "none")
>>> registry = Registry(tempfile.mkdtemp())
>>> [registry.register("churn", draft, actor="ci") for _ in range(2)]
[1, 2]
>>> registry.promote("churn", 1, actor="ci"), registry.promote("churn", 2, actor="ci")
(ActiveState(version=1, generation=1), ActiveState(version=2, generation=2))
>>> registry.rollback("churn", actor="guard", reason="drift", evidence={"psi": 0.4})
ActiveState(version=1, generation=3)
>>> [(r.action, r.from_version, r.to_version) for r in registry.audit("churn")][-1]
('rollback', 2, 1)
>>> registry.verify()
[]
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from driftguard.checkpoint.folder import (
    Checkpoint,
    CheckpointDraft,
    read_checkpoint,
    write_checkpoint,
)
from driftguard.checkpoint.manifest import MANIFEST
from driftguard.errors import (
    ConfigurationError,
    ConflictError,
    IntegrityError,
    RegistryError,
    VersionNotFoundError,
)
from driftguard.registry.health import Problem, find_problems
from driftguard.registry.layout import (
    check_name,
    check_version,
    model_dirs,
    name_lock,
    sweep_name,
)
from driftguard.registry.rules import audit_entry, rollback_target
from driftguard.registry.sqlite_storage import SqliteStorage
from driftguard.registry.storage import (
    ActiveState,
    AuditRecord,
    Status,
    Storage,
    VersionInfo,
)

__all__ = ["DATABASE", "Problem", "Registry"]

#: File name of the default SQLite database under the registry root.
DATABASE = "registry.db"
#: Audit actions the registry writes itself; :meth:`Registry.record` may not use them.
ACTIONS = frozenset({"register", "promote", "rollback", "mark_known_good", "quarantine"})


class Registry:
    """Versioned, verified checkpoints with an audited, compare-and-set ACTIVE pointer.

    Parameters
    ----------
    root : str or PathLike
        Folder holding ``<name>/<version>/`` checkpoints (created if missing).
    storage : Storage, optional
        Metadata store; default ``SqliteStorage(root / "registry.db")``.

    Examples
    --------
    >>> import tempfile
    >>> registry = Registry(tempfile.mkdtemp())
    >>> registry.names()
    []
    >>> registry.open("churn")
    Traceback (most recent call last):
    ...
    driftguard.errors.VersionNotFoundError: model 'churn' is not registered
    """

    def __init__(self, root: str | os.PathLike[str], storage: Storage | None = None) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.storage: Storage = (
            storage if storage is not None else SqliteStorage(self.root / DATABASE)
        )

    def _dir(self, name: str, version: int) -> Path:
        return self.root / name / str(version)

    def _known(self, name: str) -> list[VersionInfo]:
        versions = self.storage.versions(check_name(name))
        if not versions:
            raise VersionNotFoundError(f"model {name!r} is not registered")
        return versions

    def _version(self, name: str, version: int) -> VersionInfo:
        self._known(name)
        return self.storage.version(name, check_version(version))

    def register(self, name: str, draft: CheckpointDraft, *, actor: str, reason: str = "") -> int:
        """Store ``draft`` as the next version of ``name`` (1, 2, ...) and return the number.

        The parent is the version ACTIVE now. The checkpoint directory is written atomically,
        then recorded with a ``register`` audit record in one transaction.
        """
        check_name(name)
        entry = audit_entry("register", actor, reason, None)
        if not isinstance(draft, CheckpointDraft):
            raise ConfigurationError(f"draft must be a CheckpointDraft, not {type(draft)}")
        with name_lock(self.root / name):
            known = self.storage.versions(name)
            sweep_name(self.root / name, {v.version for v in known})
            version = known[-1].version + 1 if known else 1
            parent = self.storage.active(name).version
            created = datetime.now(UTC)
            manifest = write_checkpoint(
                draft,
                self._dir(name, version),
                name=name,
                version=version,
                parent=parent,
                created=created,
            )
            sha = hashlib.sha256(manifest.to_json()).hexdigest()
            evidence = {"manifest_sha256": sha, "framework": draft.framework, "parent": parent}
            info = VersionInfo(name, version, created, Status.NONE, sha, parent)
            self.storage.add_version(info, replace(entry, evidence=evidence))
        return version

    def _cas(self, name: str, expected_generation: int | None) -> ActiveState:
        state = self.active(name)
        if expected_generation is not None and expected_generation != state.generation:
            raise ConflictError(
                f"model {name!r}: ACTIVE generation is {state.generation} (version "
                f"{state.version}), not the expected {expected_generation}; nothing was changed"
            )
        return state

    def promote(
        self,
        name: str,
        version: int,
        *,
        actor: str,
        reason: str = "",
        evidence: Mapping[str, Any] | None = None,
        expected_generation: int | None = None,
    ) -> ActiveState:
        """Make ``version`` ACTIVE (compare-and-set when ``expected_generation`` is given).

        The replaced version becomes known-good (unless quarantined). A quarantined version
        cannot be promoted; the checkpoint is hash-verified first. Promoting the ACTIVE
        version changes nothing.
        """
        entry = audit_entry("promote", actor, reason, evidence)
        if self._version(name, version).status is Status.QUARANTINED:
            raise RegistryError(f"model {name!r} version {version} is quarantined; not promoted")
        self._cas(name, expected_generation)
        self.open(name, version)
        generation = self.storage.set_active(
            name, version, expected_generation, entry, previous_known_good=True
        )
        return ActiveState(version, generation)

    def rollback_target(self, name: str, to: int | None = None) -> int:
        """The version :meth:`rollback` would switch to now (NoRollbackTargetError if none)."""
        state = self.active(name)
        return rollback_target(name, state.version, self.storage.versions(name), to)

    def rollback(
        self,
        name: str,
        *,
        actor: str,
        reason: str = "",
        evidence: Mapping[str, Any] | None = None,
        to: int | None = None,
        expected_generation: int | None = None,
    ) -> ActiveState:
        """Switch ACTIVE back to ``to``, or to the newest earlier known-good version.

        Compare-and-set on the generation (``expected_generation``, else the one just read):
        of two identical rollbacks racing, one wins and the other raises ConflictError. The
        version rolled back from is not marked known-good; nothing is deleted.
        """
        entry = audit_entry("rollback", actor, reason, evidence)
        state = self._cas(name, expected_generation)
        target = rollback_target(name, state.version, self.storage.versions(name), to)
        self.open(name, target)
        generation = self.storage.set_active(
            name, target, state.generation, entry, previous_known_good=False
        )
        return ActiveState(target, generation)

    def mark_known_good(
        self,
        name: str,
        version: int,
        *,
        actor: str,
        reason: str = "",
        evidence: Mapping[str, Any] | None = None,
    ) -> VersionInfo:
        """Mark a version known-good (a rollback target); refused for a quarantined one."""
        entry = audit_entry("mark_known_good", actor, reason, evidence)
        self._version(name, version)
        return self.storage.set_status(name, version, Status.KNOWN_GOOD, entry)

    def quarantine(
        self,
        name: str,
        version: int,
        *,
        actor: str,
        reason: str = "",
        evidence: Mapping[str, Any] | None = None,
    ) -> VersionInfo:
        """Quarantine a version: never promoted or rolled back to again (ACTIVE is unchanged)."""
        entry = audit_entry("quarantine", actor, reason, evidence)
        self._version(name, version)
        return self.storage.set_status(name, version, Status.QUARANTINED, entry)

    def record(
        self,
        name: str,
        action: str,
        *,
        actor: str,
        reason: str = "",
        evidence: Mapping[str, Any] | None = None,
        version: int | None = None,
    ) -> AuditRecord:
        """Append an audit record that changes nothing (e.g. a guard's warning)."""
        if not isinstance(action, str) or not action or action in ACTIONS:
            raise ConfigurationError(f"action must be a new non-empty str, not {action!r}")
        entry = audit_entry(action, actor, reason, evidence)
        self._known(name)
        if version is not None:
            self._version(name, version)
        return self.storage.append_audit(name, entry, to_version=version)

    def active(self, name: str) -> ActiveState:
        """ACTIVE version and generation of ``name`` (version ``None`` before a promote)."""
        state = self.storage.active(check_name(name))
        if state.version is None:
            self._known(name)
        return state

    def versions(self, name: str) -> list[VersionInfo]:
        """All versions of ``name``, oldest first."""
        return self._known(name)

    def names(self) -> list[str]:
        """Registered model names, sorted."""
        return self.storage.names()

    def audit(self, name: str | None = None) -> list[AuditRecord]:
        """Audit records, oldest first, of ``name`` or of every name."""
        if name is not None:
            self._known(name)
        return self.storage.audit(name)

    def open(self, name: str, version: int | None = None) -> Checkpoint:
        """The hash-verified checkpoint of ``version`` (default: the ACTIVE one)."""
        if version is None:
            version = self.active(name).version
            if version is None:
                raise VersionNotFoundError(f"model {name!r} has no ACTIVE version")
        info = self._version(name, version)
        checkpoint = read_checkpoint(self._dir(name, version), manifest_sha256=info.manifest_sha256)
        if (checkpoint.manifest.name, checkpoint.manifest.version) != (name, version):
            raise IntegrityError(f"checkpoint {checkpoint.directory}: {MANIFEST} names another")
        return checkpoint

    def verify(self, name: str | None = None) -> list[Problem]:
        """Check every recorded checkpoint's files and each ACTIVE pointer; ``[]`` is healthy.

        Orphan and temporary directories (left by crashes, unreferenced) are harmless and not
        reported; :meth:`sweep` tidies them.
        """
        if name is not None:
            self._known(name)
        return find_problems(self.root, self.storage, [name] if name is not None else self.names())

    def sweep(self, name: str | None = None) -> list[Path]:
        """Move orphan checkpoint directories aside and delete temporary ones; return them."""
        done: list[Path] = []
        for each in [check_name(name)] if name is not None else model_dirs(self.root):
            if (self.root / each).is_dir():
                with name_lock(self.root / each):
                    known = {v.version for v in self.storage.versions(each)}
                    done += sweep_name(self.root / each, known)
        return done
