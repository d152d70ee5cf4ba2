"""The bearer token of the management routes.

``DRIFTGUARD_ADMIN_TOKEN`` wins. Without it, the token stored next to the registry
(``<registry>.admin-token``, mode 0600) is used, and on first start one is generated, written
atomically with mode 0600 and printed once.

Examples
--------
>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp()) / "registry"
>>> token, created = resolve_admin_token(None, root)
>>> created, resolve_admin_token(None, root) == (token, False)
(True, True)
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from driftguard.errors import ConfigurationError

__all__ = ["resolve_admin_token", "token_path"]

MIN_LENGTH = 16


def token_path(registry: Path) -> Path:
    """Where the generated token of ``registry`` is stored."""
    return registry.parent / f"{registry.name}.admin-token"


def resolve_admin_token(configured: str | None, registry: Path) -> tuple[str, bool]:
    """Return ``(token, created)``; ``created`` is ``True`` when it was generated just now."""
    if configured is not None:
        if len(configured) < MIN_LENGTH:
            raise ConfigurationError(
                f"DRIFTGUARD_ADMIN_TOKEN must be at least {MIN_LENGTH} characters"
            )
        return configured, False
    path = token_path(registry)
    if path.exists():
        token = path.read_text(encoding="utf-8").strip()
        if len(token) < MIN_LENGTH:
            raise ConfigurationError(f"{path}: stored admin token is too short; delete the file")
        return token, False
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, token.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # fails if another process stored one first
    except FileExistsError:
        tmp.unlink()
        return resolve_admin_token(None, registry)
    tmp.unlink()
    return token, True
