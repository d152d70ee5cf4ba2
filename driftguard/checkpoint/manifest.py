"""The checkpoint manifest: what a checkpoint is, and the SHA-256 of every file in it.

``manifest.json`` is canonical JSON (sorted keys, two-space indent, no NaN) holding the format
name and version, the model name, version and parent, the creation time (ISO-8601, UTC), the
framework, the training config, the metrics, the data fingerprints and ``files``:
``{file name: {"sha256": ..., "bytes": ...}}`` for every file of the checkpoint but the
manifest itself.

Examples
--------
>>> from datetime import UTC, datetime
>>> m = Manifest("churn", 2, 1, datetime(2025, 1, 2, tzinfo=UTC), "sklearn", {}, {}, {},
...              {"model.skops": FileEntry("ab" * 32, 10)})
>>> Manifest.from_dict(m.to_dict()) == m, m.to_dict()["created"]
(True, '2025-01-02T00:00:00.000000+00:00')
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from driftguard.errors import (
    ConfigurationError,
    DriftguardError,
    SerializationError,
    UnsupportedVersionError,
)

__all__ = [
    "FORMAT",
    "MANIFEST",
    "MODEL_CARD",
    "PROFILE",
    "RESERVED",
    "VERSION",
    "FileEntry",
    "Manifest",
    "check_file_name",
    "plain_json",
]

FORMAT = "driftguard.checkpoint"
VERSION = 1
MANIFEST = "manifest.json"
PROFILE = "profile.npz"
MODEL_CARD = "MODEL_CARD.md"
#: File names a checkpoint writes itself; model files may not use them.
RESERVED = frozenset({MANIFEST, PROFILE, MODEL_CARD})

_FILE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")
_SHA256 = re.compile(r"[0-9a-f]{64}")


def check_file_name(name: object, error: type[DriftguardError], where: str) -> str:
    """Return ``name`` if it is a plain file name (no ``/``, no ``..``, no leading dot)."""
    if not isinstance(name, str) or not _FILE_NAME.fullmatch(name) or ".." in name:
        raise error(
            f"{where}: file name {name!r} is not a plain file name "
            "(letters, digits, '.', '_', '-'; no '/', no '..', no leading dot; at most 128)"
        )
    return name


def plain_json(value: Any, path: str) -> Any:
    """A deep copy of ``value`` as plain JSON types, or ConfigurationError naming the path.

    Mappings need str keys; tuples become lists; numpy scalars and arrays are converted with
    ``tolist()``; floats must be finite (strict JSON has no NaN or infinity).

    Examples
    --------
    >>> plain_json({"a": (1, 2.5)}, "metrics")
    {'a': [1, 2.5]}
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ConfigurationError(f"{path}: {value} is not finite (JSON has no NaN/inf)")
        return float(value)
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ConfigurationError(f"{path}: key {key!r} is not a str")
            out[key] = plain_json(item, f"{path}[{key!r}]")
        return out
    if isinstance(value, list | tuple):
        return [plain_json(item, f"{path}[{i}]") for i, item in enumerate(value)]
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        return plain_json(tolist(), path)
    raise ConfigurationError(f"{path}: {type(value).__name__} is not JSON-able")


@dataclass(frozen=True)
class FileEntry:
    """SHA-256 (lower-case hex) and size in bytes of one checkpoint file.

    Examples
    --------
    >>> FileEntry("00" * 32, 3).to_dict()["bytes"]
    3
    """

    sha256: str
    bytes: int

    def to_dict(self) -> dict[str, Any]:
        """``{"sha256": ..., "bytes": ...}``."""
        return {"sha256": self.sha256, "bytes": self.bytes}


def _utc(created: datetime) -> datetime:
    if not isinstance(created, datetime) or created.tzinfo is None:
        raise ConfigurationError(f"created must be a timezone-aware datetime, got {created!r}")
    return created.astimezone(UTC)


@dataclass(frozen=True)
class Manifest:
    """The parsed ``manifest.json`` of a checkpoint.

    Parameters
    ----------
    name, version, parent : str, int, int or None
        Model name, version (1, 2, ...) and the version that was ACTIVE when it was registered.
    created : datetime
        Creation time (timezone-aware; stored in UTC).
    framework : str
        Which codec reads the model files.
    config, metrics, fingerprints : mapping
        Training config, metrics and data fingerprints (plain JSON).
    files : mapping of str to FileEntry
        Every file of the checkpoint but ``manifest.json``.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> m = Manifest("m", 1, None, datetime.now(UTC), "torch", {}, {}, {}, {})
    >>> m.to_dict()["format"], m.to_dict()["format_version"]
    ('driftguard.checkpoint', 1)
    """

    FORMAT: ClassVar[str] = FORMAT
    VERSION: ClassVar[int] = VERSION

    name: str
    version: int
    parent: int | None
    created: datetime
    framework: str
    config: Mapping[str, Any]
    metrics: Mapping[str, Any]
    fingerprints: Mapping[str, Any]
    files: Mapping[str, FileEntry]

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ConfigurationError(f"name must be a non-empty str, got {self.name!r}")
        for label in ("version", "parent"):
            value = getattr(self, label)
            if not (value is None and label == "parent") and (
                isinstance(value, bool) or not isinstance(value, int) or value < 1
            ):
                raise ConfigurationError(f"{label} must be a positive int, got {value!r}")
        object.__setattr__(self, "created", _utc(self.created))
        for label in ("config", "metrics", "fingerprints"):
            object.__setattr__(self, label, plain_json(getattr(self, label), label))
        files = {}
        for file, entry in self.files.items():
            check_file_name(file, ConfigurationError, "files")
            if not isinstance(entry, FileEntry) or not _SHA256.fullmatch(str(entry.sha256)):
                raise ConfigurationError(f"files[{file!r}]: not a valid FileEntry: {entry!r}")
            files[file] = entry
        object.__setattr__(self, "files", files)

    def to_dict(self) -> dict[str, Any]:
        """The JSON document written to ``manifest.json``."""
        return {
            "format": FORMAT,
            "format_version": VERSION,
            "name": self.name,
            "version": self.version,
            "parent": self.parent,
            "created": self.created.isoformat(timespec="microseconds"),
            "framework": self.framework,
            "config": dict(self.config),
            "metrics": dict(self.metrics),
            "fingerprints": dict(self.fingerprints),
            "files": {file: entry.to_dict() for file, entry in sorted(self.files.items())},
        }

    def to_json(self) -> bytes:
        """Canonical UTF-8 JSON bytes (sorted keys, indented, trailing newline)."""
        text = json.dumps(self.to_dict(), indent=2, sort_keys=True, allow_nan=False)
        return (text + "\n").encode("utf-8")

    @classmethod
    def from_dict(cls, data: Any) -> Manifest:
        """Parse a manifest document; SerializationError (or UnsupportedVersionError) if bad."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            found = data.get("format") if isinstance(data, dict) else type(data).__name__
            raise SerializationError(f"{MANIFEST}: format {found!r} is not {FORMAT!r}")
        if data.get("format_version") != VERSION:
            raise UnsupportedVersionError(
                f"{MANIFEST}: checkpoint format version {data.get('format_version')!r} is not "
                f"supported (this driftguard reads version {VERSION})"
            )
        try:
            files = {}
            for file, entry in data["files"].items():
                size = entry["bytes"]
                if isinstance(size, bool) or not isinstance(size, int) or size < 0:
                    raise ValueError(f"files[{file!r}]: bad size {size!r}")
                files[check_file_name(file, SerializationError, MANIFEST)] = FileEntry(
                    str(entry["sha256"]), size
                )
            return cls(
                name=data["name"],
                version=data["version"],
                parent=data["parent"],
                created=datetime.fromisoformat(data["created"]),
                framework=str(data["framework"]),
                config=data["config"],
                metrics=data["metrics"],
                fingerprints=data["fingerprints"],
                files=files,
            )
        except SerializationError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, ConfigurationError) as exc:
            raise SerializationError(f"{MANIFEST}: malformed manifest ({exc!r})") from None
