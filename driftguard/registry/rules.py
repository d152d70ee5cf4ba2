"""The rules of a change: a well-formed audit entry, and where a rollback may go.

Pure functions on values the store returned, so a policy can preview a rollback without
touching the registry.

Examples
--------
>>> from datetime import UTC, datetime
>>> t = datetime(2025, 1, 1, tzinfo=UTC)
>>> versions = [VersionInfo("m", v, t, s, "0" * 64) for v, s in
...             [(1, Status.KNOWN_GOOD), (2, Status.QUARANTINED), (3, Status.NONE)]]
>>> rollback_target("m", 3, versions)
1
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from driftguard.checkpoint.manifest import plain_json
from driftguard.errors import (
    ConfigurationError,
    NoRollbackTargetError,
    RegistryError,
    VersionNotFoundError,
)
from driftguard.registry.storage import AuditEntry, Status, VersionInfo

__all__ = ["audit_entry", "rollback_target"]


def audit_entry(
    action: str, actor: str, reason: str, evidence: Mapping[str, Any] | None
) -> AuditEntry:
    """Validate who acts, why and on what evidence (plain JSON) into an :class:`AuditEntry`.

    Examples
    --------
    >>> audit_entry("rollback", "guard", "drift", {"psi": 0.3}).evidence
    {'psi': 0.3}
    """
    if not isinstance(actor, str) or not actor.strip():
        raise ConfigurationError(f"actor must be a non-empty str (who or what acts), got {actor!r}")
    if not isinstance(reason, str):
        raise ConfigurationError(f"reason must be a str, got {type(reason).__name__}")
    if evidence is not None and not isinstance(evidence, Mapping):
        raise ConfigurationError(f"evidence must be a mapping, got {type(evidence).__name__}")
    return AuditEntry(action, actor, reason, plain_json(evidence or {}, "evidence"))


def rollback_target(
    name: str, active: int | None, versions: Sequence[VersionInfo], to: int | None = None
) -> int:
    """The version a rollback from ``active`` goes to.

    ``to`` if given (it must be registered, earlier than ACTIVE and not quarantined), else the
    newest version earlier than ACTIVE that is known-good (quarantined versions never are).

    Raises
    ------
    NoRollbackTargetError
        Nothing is ACTIVE, or no earlier version is known-good.
    VersionNotFoundError, RegistryError
        ``to`` is not registered, not earlier than ACTIVE, or quarantined.
    """
    if active is None:
        raise NoRollbackTargetError(f"model {name!r} has no ACTIVE version to roll back from")
    if to is not None:
        found = [v for v in versions if v.version == to]
        if not found:
            raise VersionNotFoundError(f"model {name!r} has no version {to}")
        if to >= active:
            raise RegistryError(
                f"model {name!r}: rollback target {to} is not earlier than ACTIVE {active} "
                "(use promote)"
            )
        if found[0].status is Status.QUARANTINED:
            raise RegistryError(f"model {name!r} version {to} is quarantined; not a target")
        return to
    candidates = [
        v.version for v in versions if v.version < active and v.status is Status.KNOWN_GOOD
    ]
    if not candidates:
        raise NoRollbackTargetError(
            f"model {name!r}: no known-good, non-quarantined version earlier than ACTIVE "
            f"version {active}"
        )
    return max(candidates)
