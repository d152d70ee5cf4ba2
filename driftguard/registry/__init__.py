"""The model registry: immutable checkpoints, an ACTIVE pointer moved by compare-and-set, audit.

The registry never imports torch or scikit-learn and never unpickles: model weights arrive as
bytes (codecs live in :mod:`driftguard.training`).

Examples
--------
>>> import tempfile
>>> from driftguard.registry import Registry
>>> Registry(tempfile.mkdtemp()).names()
[]
"""

from __future__ import annotations

from driftguard.registry.health import Problem
from driftguard.registry.registry import DATABASE, Registry
from driftguard.registry.rules import rollback_target
from driftguard.registry.sqlite_storage import SqliteStorage
from driftguard.registry.storage import (
    ActiveState,
    AuditEntry,
    AuditRecord,
    Status,
    Storage,
    VersionInfo,
)

__all__ = [
    "DATABASE",
    "ActiveState",
    "AuditEntry",
    "AuditRecord",
    "Problem",
    "Registry",
    "SqliteStorage",
    "Status",
    "Storage",
    "VersionInfo",
    "rollback_target",
]
