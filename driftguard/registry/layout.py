"""Where a registry keeps checkpoints on disk, and how it tidies up after a crash.

``<root>/<name>/<version>/`` is a checkpoint; ``<root>/<name>/.lock`` is the per-name lock
(``flock``, released by the kernel when its holder dies, so a crash never leaves it held);
``<root>/<name>/.orphans/`` receives checkpoint directories no database row refers to (a crash
between the rename and the commit); ``.<version>.*.tmp`` directories are unfinished writes.

Examples
--------
>>> check_name("churn-v2.eu"), check_version(3)
('churn-v2.eu', 3)
>>> check_name("../etc")
Traceback (most recent call last):
...
driftguard.errors.ConfigurationError: model name '../etc' must match [A-Za-z0-9][A-Za-z0-9._-]{0,63}
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from driftguard.checkpoint.folder import is_temp_dir
from driftguard.errors import ConfigurationError

__all__ = [
    "LOCK",
    "NAME_PATTERN",
    "ORPHANS",
    "check_name",
    "check_version",
    "model_dirs",
    "name_lock",
    "sweep_name",
]

NAME_PATTERN = "[A-Za-z0-9][A-Za-z0-9._-]{0,63}"
LOCK = ".lock"
ORPHANS = ".orphans"
_NAME = re.compile(NAME_PATTERN)
_RESERVED_PREFIX = "registry.db"  # the default database and its -wal/-shm files


def check_name(name: object) -> str:
    """Return ``name`` if it is a valid model name, else raise ConfigurationError."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ConfigurationError(f"model name {name!r} must match {NAME_PATTERN}")
    if name.startswith(_RESERVED_PREFIX):
        raise ConfigurationError(f"model name {name!r} is reserved (registry database)")
    return name


def check_version(version: object) -> int:
    """Return ``version`` if it is a positive int, else raise ConfigurationError."""
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ConfigurationError(f"version must be a positive int, got {version!r}")
    return version


def model_dirs(root: Path) -> list[str]:
    """Names of the model folders under ``root``, sorted."""
    if not root.is_dir():
        return []
    return sorted(
        entry.name
        for entry in os.scandir(root)
        if entry.is_dir(follow_symlinks=False)
        and _NAME.fullmatch(entry.name)
        and not entry.name.startswith(_RESERVED_PREFIX)
    )


@contextmanager
def name_lock(folder: Path) -> Iterator[None]:
    """Hold the exclusive per-name lock (across threads and processes) for the block.

    Creates the model folder if needed, and makes its creation durable.
    """
    if not folder.is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _version_dir(name: str) -> int | None:
    if name.isascii() and name.isdigit() and name == str(int(name)) and int(name) >= 1:
        return int(name)
    return None


def sweep_name(folder: Path, known: set[int]) -> list[Path]:
    """Tidy one model folder; the caller holds :func:`name_lock` and passes the recorded versions.

    Temporary directories are deleted; version directories not in ``known`` are moved to
    ``.orphans/<version>.<UTC time>.<random>`` (kept for inspection, never read again).
    Returns the paths deleted or created.
    """
    if not folder.is_dir():
        return []
    done: list[Path] = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if not entry.is_dir(follow_symlinks=False):
            continue
        if is_temp_dir(entry.name):
            shutil.rmtree(entry.path, ignore_errors=True)
            done.append(Path(entry.path))
            continue
        version = _version_dir(entry.name)
        if version is not None and version not in known:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
            target = folder / ORPHANS / f"{version}.{stamp}.{uuid.uuid4().hex[:8]}"
            target.parent.mkdir(exist_ok=True)
            os.rename(entry.path, target)
            done.append(target)
    return done
