"""The local metadata store: one SQLite file, safe with many threads and processes.

Every call opens its own connection (so threads and forked processes never share one), in WAL
mode with ``synchronous=FULL`` (a committed promote or rollback survives a crash) and a busy
timeout. Mutations run in ``BEGIN IMMEDIATE`` transactions: the write lock is taken before
anything is read, so a compare-and-set reads the generation it then replaces, and two racing
rollbacks serialise (the second sees the new generation and raises ConflictError). A process
killed mid-transaction leaves nothing behind: SQLite rolls the transaction back on next open.

Examples
--------
>>> import tempfile, pathlib
>>> from datetime import UTC, datetime
>>> from driftguard.registry.storage import AuditEntry, Status, VersionInfo
>>> store = SqliteStorage(pathlib.Path(tempfile.mkdtemp()) / "registry.db")
>>> info = VersionInfo("m", 1, datetime.now(UTC), Status.NONE, "0" * 64)
>>> store.add_version(info, AuditEntry("register", "ci"))
>>> store.set_active("m", 1, 0, AuditEntry("promote", "ci"), previous_known_good=True)
1
>>> [r.action for r in store.audit("m")]
['register', 'promote']
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from driftguard.errors import (
    ConflictError,
    RegistryError,
    UnsupportedVersionError,
    VersionNotFoundError,
)
from driftguard.registry.storage import (
    ActiveState,
    AuditEntry,
    AuditRecord,
    Status,
    VersionInfo,
)

__all__ = ["SCHEMA_VERSION", "SqliteStorage"]

SCHEMA_VERSION = 1

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS versions (
        name TEXT NOT NULL, version INTEGER NOT NULL CHECK (version >= 1),
        created TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('none', 'known_good', 'quarantined')),
        manifest_sha256 TEXT NOT NULL, parent INTEGER,
        PRIMARY KEY (name, version))""",
    """CREATE TABLE IF NOT EXISTS active (
        name TEXT PRIMARY KEY, version INTEGER NOT NULL, generation INTEGER NOT NULL,
        FOREIGN KEY (name, version) REFERENCES versions (name, version))""",
    """CREATE TABLE IF NOT EXISTS audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, name TEXT NOT NULL,
        action TEXT NOT NULL, actor TEXT NOT NULL, reason TEXT NOT NULL,
        evidence TEXT NOT NULL, from_version INTEGER, to_version INTEGER,
        generation INTEGER NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS audit_name ON audit (name, id)",
)
_VERSION_COLUMNS = "name, version, created, status, manifest_sha256, parent"
_AUDIT_COLUMNS = (
    "id, time, name, action, actor, reason, evidence, from_version, to_version, generation"
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _version_info(row: tuple[Any, ...]) -> VersionInfo:
    name, version, created, status, sha, parent = row
    return VersionInfo(name, version, datetime.fromisoformat(created), Status(status), sha, parent)


def _audit_record(row: tuple[Any, ...]) -> AuditRecord:
    rid, time, name, action, actor, reason, evidence, from_v, to_v, generation = row
    return AuditRecord(
        rid,
        datetime.fromisoformat(time),
        name,
        action,
        actor,
        reason,
        json.loads(evidence),
        from_v,
        to_v,
        generation,
    )


class SqliteStorage:
    """SQLite implementation of :class:`~driftguard.registry.storage.Storage`.

    Parameters
    ----------
    path : str or PathLike
        The database file (created with its tables if missing).
    timeout : float, default 30.0
        Seconds a call waits for another writer's lock before failing with RegistryError.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> store = SqliteStorage(pathlib.Path(tempfile.mkdtemp()) / "r.db", timeout=5.0)
    >>> store.active("m")
    ActiveState(version=None, generation=0)
    """

    def __init__(self, path: str | os.PathLike[str], timeout: float = 30.0) -> None:
        self.path = path
        self.timeout = timeout
        self._path = Path(path)
        self._init()

    def _connect(self) -> sqlite3.Connection:
        try:
            con = sqlite3.connect(self._path, timeout=self.timeout, isolation_level=None)
            con.execute("PRAGMA synchronous=FULL")
            con.execute("PRAGMA foreign_keys=ON")
        except sqlite3.Error as exc:
            raise RegistryError(f"registry database {self._path}: {exc}") from exc
        return con

    @contextmanager
    def _transaction(self, write: bool) -> Iterator[sqlite3.Connection]:
        con = self._connect()
        try:
            con.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
        except sqlite3.Error as exc:
            raise RegistryError(f"registry database {self._path}: {exc}") from exc
        finally:
            con.close()

    @staticmethod
    def _schema_version(con: sqlite3.Connection) -> str | None:
        query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
        if con.execute(query).fetchone() is None:
            return None
        row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return None if row is None else str(row[0])

    def _init(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        with self._transaction(write=False) as con:
            found = self._schema_version(con)
        if found is None:
            con = self._connect()
            try:
                con.execute("PRAGMA journal_mode=WAL")  # persistent: once per database file
            except sqlite3.Error as exc:
                raise RegistryError(f"registry database {self._path}: {exc}") from exc
            finally:
                con.close()
            with self._transaction(write=True) as con:
                for statement in _SCHEMA:
                    con.execute(statement)
                found = self._schema_version(con)
                if found is None:
                    found = str(SCHEMA_VERSION)
                    con.execute(
                        "INSERT INTO meta (key, value) VALUES ('schema_version', ?)", (found,)
                    )
        if found != str(SCHEMA_VERSION):
            raise UnsupportedVersionError(
                f"registry database {self._path}: schema version {found} is not supported "
                f"(this driftguard reads version {SCHEMA_VERSION})"
            )

    @staticmethod
    def _insert_audit(
        con: sqlite3.Connection,
        name: str,
        entry: AuditEntry,
        from_version: int | None,
        to_version: int | None,
        generation: int,
    ) -> int:
        evidence = json.dumps(dict(entry.evidence), sort_keys=True, allow_nan=False)
        versions = (from_version, to_version, generation)
        cursor = con.execute(
            "INSERT INTO audit (time, name, action, actor, reason, evidence, from_version, "
            "to_version, generation) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (_now(), name, entry.action, entry.actor, entry.reason, evidence, *versions),
        )
        return int(cursor.lastrowid or 0)

    @staticmethod
    def _generation(con: sqlite3.Connection, name: str) -> tuple[int | None, int]:
        row = con.execute("SELECT version, generation FROM active WHERE name = ?", (name,))
        found = row.fetchone()
        return (None, 0) if found is None else (found[0], found[1])

    @staticmethod
    def _row(con: sqlite3.Connection, name: str, version: int) -> VersionInfo:
        row = con.execute(
            f"SELECT {_VERSION_COLUMNS} FROM versions WHERE name = ? AND version = ?",
            (name, version),
        ).fetchone()
        if row is None:
            raise VersionNotFoundError(f"model {name!r} has no version {version}")
        return _version_info(row)

    def add_version(self, info: VersionInfo, entry: AuditEntry) -> None:
        """Insert a version and its audit record; ConflictError if it already exists."""
        with self._transaction(write=True) as con:
            exists = con.execute(
                "SELECT 1 FROM versions WHERE name = ? AND version = ?", (info.name, info.version)
            ).fetchone()
            if exists:
                raise ConflictError(f"model {info.name!r} version {info.version} already exists")
            row = (str(info.status), info.manifest_sha256, info.parent)
            con.execute(
                f"INSERT INTO versions ({_VERSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                (info.name, info.version, info.created.astimezone(UTC).isoformat(), *row),
            )
            generation = self._generation(con, info.name)[1]
            self._insert_audit(con, info.name, entry, None, info.version, generation)

    def versions(self, name: str) -> list[VersionInfo]:
        """Versions of ``name``, oldest first (empty for an unknown name)."""
        with self._transaction(write=False) as con:
            rows = con.execute(
                f"SELECT {_VERSION_COLUMNS} FROM versions WHERE name = ? ORDER BY version",
                (name,),
            ).fetchall()
        return [_version_info(row) for row in rows]

    def version(self, name: str, version: int) -> VersionInfo:
        """One version; VersionNotFoundError naming name and version if absent."""
        with self._transaction(write=False) as con:
            return self._row(con, name, version)

    def names(self) -> list[str]:
        """Names with at least one version, sorted."""
        with self._transaction(write=False) as con:
            rows = con.execute("SELECT DISTINCT name FROM versions ORDER BY name").fetchall()
        return [row[0] for row in rows]

    def active(self, name: str) -> ActiveState:
        """ACTIVE of ``name``; ``ActiveState(None, 0)`` before the first promote."""
        with self._transaction(write=False) as con:
            return ActiveState(*self._generation(con, name))

    def set_active(
        self,
        name: str,
        version: int,
        expected_generation: int | None,
        entry: AuditEntry,
        *,
        previous_known_good: bool,
    ) -> int:
        """Compare-and-set ACTIVE to ``version``; return the new generation."""
        with self._transaction(write=True) as con:
            current, generation = self._generation(con, name)
            if expected_generation is not None and expected_generation != generation:
                raise ConflictError(
                    f"model {name!r}: ACTIVE generation is {generation} (version {current}), "
                    f"not the expected {expected_generation}; nothing was changed"
                )
            if self._row(con, name, version).status is Status.QUARANTINED:
                raise RegistryError(f"model {name!r} version {version} is quarantined")
            if current == version:
                return generation
            con.execute(
                "INSERT INTO active (name, version, generation) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET version = excluded.version, "
                "generation = excluded.generation",
                (name, version, generation + 1),
            )
            if previous_known_good and current is not None:
                con.execute(
                    "UPDATE versions SET status = 'known_good' "
                    "WHERE name = ? AND version = ? AND status = 'none'",
                    (name, current),
                )
            self._insert_audit(con, name, entry, current, version, generation + 1)
            return generation + 1

    def set_status(self, name: str, version: int, status: Status, entry: AuditEntry) -> VersionInfo:
        """Set a version's status with its audit record; return the updated row."""
        with self._transaction(write=True) as con:
            info = self._row(con, name, version)
            if info.status is status:
                return info
            if info.status is Status.QUARANTINED:
                raise RegistryError(
                    f"model {name!r} version {version} is quarantined; it cannot become {status}"
                )
            con.execute(
                "UPDATE versions SET status = ? WHERE name = ? AND version = ?",
                (str(status), name, version),
            )
            generation = self._generation(con, name)[1]
            self._insert_audit(con, name, entry, None, version, generation)
            return self._row(con, name, version)

    def append_audit(
        self,
        name: str,
        entry: AuditEntry,
        *,
        from_version: int | None = None,
        to_version: int | None = None,
    ) -> AuditRecord:
        """Append an audit record that changes nothing else (e.g. a guard's warning)."""
        with self._transaction(write=True) as con:
            generation = self._generation(con, name)[1]
            rid = self._insert_audit(con, name, entry, from_version, to_version, generation)
            row = con.execute(f"SELECT {_AUDIT_COLUMNS} FROM audit WHERE id = ?", (rid,))
            return _audit_record(row.fetchone())

    def audit(self, name: str | None = None) -> list[AuditRecord]:
        """Audit records, oldest first, of one name or of all."""
        query = f"SELECT {_AUDIT_COLUMNS} FROM audit"
        with self._transaction(write=False) as con:
            if name is None:
                rows = con.execute(f"{query} ORDER BY id").fetchall()
            else:
                rows = con.execute(f"{query} WHERE name = ? ORDER BY id", (name,)).fetchall()
        return [_audit_record(row) for row in rows]
