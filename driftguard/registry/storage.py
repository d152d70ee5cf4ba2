"""The registry's metadata store: a small protocol so other backends can come later.

The store holds the versions table (name, version, created, status, manifest SHA-256, parent),
the ACTIVE pointer of each name (version and generation) and the append-only audit log. Each
mutating method is one atomic transaction that also appends its audit record, and enforces the
rules that must hold under concurrency (compare-and-set on the generation, no quarantined
ACTIVE target, no duplicate versions). The local backend is
:class:`~driftguard.registry.sqlite_storage.SqliteStorage`; a Redis or PostgreSQL backend only
has to implement :class:`Storage` (``WATCH``/``MULTI`` or a Lua script; one SQL transaction).

Examples
--------
>>> from datetime import UTC
>>> VersionInfo("churn", 1, datetime(2025, 1, 1, tzinfo=UTC), Status.NONE, "ab" * 32).status
<Status.NONE: 'none'>
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "ActiveState",
    "AuditEntry",
    "AuditRecord",
    "Status",
    "Storage",
    "VersionInfo",
]


class Status(StrEnum):
    """What is known about a version: nothing yet, known-good, or quarantined."""

    NONE = "none"
    KNOWN_GOOD = "known_good"
    QUARANTINED = "quarantined"


@dataclass(frozen=True)
class VersionInfo:
    """One row of the versions table.

    Parameters
    ----------
    name, version : str, int
        Model name and version number (1, 2, ... per name).
    created : datetime
        Registration time (UTC).
    status : Status
        ``none``, ``known_good`` or ``quarantined``.
    manifest_sha256 : str
        SHA-256 of the checkpoint's ``manifest.json`` (which hashes every other file).
    parent : int or None
        The version that was ACTIVE when this one was registered.

    Examples
    --------
    >>> from datetime import UTC
    >>> v = VersionInfo("m", 2, datetime(2025, 1, 1, tzinfo=UTC), Status.KNOWN_GOOD, "0" * 64, 1)
    >>> v.to_dict()["status"], v.parent
    ('known_good', 1)
    """

    name: str
    version: int
    created: datetime
    status: Status
    manifest_sha256: str
    parent: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "name": self.name,
            "version": self.version,
            "created": self.created.isoformat(),
            "status": str(self.status),
            "manifest_sha256": self.manifest_sha256,
            "parent": self.parent,
        }


@dataclass(frozen=True)
class ActiveState:
    """The ACTIVE pointer of a name: a version and its generation.

    ``version`` is ``None`` before the first promote; every promote or rollback increases
    ``generation`` by one.

    Examples
    --------
    >>> ActiveState(version=3, generation=5)
    ActiveState(version=3, generation=5)
    """

    version: int | None
    generation: int


@dataclass(frozen=True)
class AuditEntry:
    """What the caller says about a change: the audit record before the store completes it.

    The store adds the id, the time, the name, the versions and the generation in the same
    transaction as the change.

    Examples
    --------
    >>> AuditEntry("rollback", "guard", "psi breach", {"psi": 0.3}).evidence
    {'psi': 0.3}
    """

    action: str
    actor: str
    reason: str = ""
    evidence: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AuditRecord:
    """One row of the append-only audit log.

    Parameters
    ----------
    id : int
        Increasing record number.
    time : datetime
        When the change was committed (UTC).
    name, action, actor, reason : str
        Model name, what happened (``register``, ``promote``, ``rollback``,
        ``mark_known_good``, ``quarantine``, ...), who or what did it, and why.
    evidence : dict
        JSON evidence (e.g. the signal snapshot that triggered a rollback).
    from_version, to_version : int or None
        ACTIVE before and after (promote, rollback); the version concerned otherwise
        (``to_version``).
    generation : int
        ACTIVE's generation after the change.

    Examples
    --------
    >>> from datetime import UTC
    >>> r = AuditRecord(1, datetime(2025, 1, 1, tzinfo=UTC), "m", "promote", "ci", "", {},
    ...                 None, 1, 1)
    >>> r.to_dict()["to_version"]
    1
    """

    id: int
    time: datetime
    name: str
    action: str
    actor: str
    reason: str
    evidence: dict[str, Any]
    from_version: int | None
    to_version: int | None
    generation: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "id": self.id,
            "time": self.time.isoformat(),
            "name": self.name,
            "action": self.action,
            "actor": self.actor,
            "reason": self.reason,
            "evidence": self.evidence,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "generation": self.generation,
        }


@runtime_checkable
class Storage(Protocol):
    """Metadata store of a registry; every mutating method is one atomic transaction.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from driftguard.registry.sqlite_storage import SqliteStorage
    >>> store = SqliteStorage(pathlib.Path(tempfile.mkdtemp()) / "registry.db")
    >>> isinstance(store, Storage), store.names()
    (True, [])
    """

    def add_version(self, info: VersionInfo, entry: AuditEntry) -> None:
        """Insert a version and its audit record; ConflictError if it already exists."""
        ...

    def versions(self, name: str) -> list[VersionInfo]:
        """Versions of ``name``, oldest first (empty for an unknown name)."""
        ...

    def version(self, name: str, version: int) -> VersionInfo:
        """One version; VersionNotFoundError naming name and version if absent."""
        ...

    def names(self) -> list[str]:
        """Names with at least one version, sorted."""
        ...

    def active(self, name: str) -> ActiveState:
        """ACTIVE of ``name``; ``ActiveState(None, 0)`` before the first promote."""
        ...

    def set_active(
        self,
        name: str,
        version: int,
        expected_generation: int | None,
        entry: AuditEntry,
        *,
        previous_known_good: bool,
    ) -> int:
        """Compare-and-set ACTIVE to ``version``; return the new generation.

        Atomically: ConflictError if ``expected_generation`` is given and differs from the
        current generation; VersionNotFoundError if the version is not registered;
        RegistryError if it is quarantined. If it is already ACTIVE nothing changes and the
        current generation is returned. Otherwise the generation increases by one, the
        replaced version becomes known-good when ``previous_known_good`` (unless quarantined),
        and the audit record (from, to, new generation) is appended.
        """
        ...

    def set_status(self, name: str, version: int, status: Status, entry: AuditEntry) -> VersionInfo:
        """Set a version's status with its audit record; return the updated row.

        Setting the status it already has changes nothing (no record); a quarantined version
        cannot become known-good (RegistryError).
        """
        ...

    def append_audit(
        self,
        name: str,
        entry: AuditEntry,
        *,
        from_version: int | None = None,
        to_version: int | None = None,
    ) -> AuditRecord:
        """Append an audit record that changes nothing else (e.g. a guard's warning)."""
        ...

    def audit(self, name: str | None = None) -> list[AuditRecord]:
        """Audit records, oldest first, of one name or of all."""
        ...
