"""Checking a checkpoint directory against its manifest.

``manifest.json`` is read first: when the registry's recorded SHA-256 of it is known it must
match before anything is parsed, so any change to the manifest is reported as a change to
``manifest.json`` itself. Then every listed file must exist as a regular file with the listed
size and SHA-256, and no other entry may exist. Every problem is reported, naming the file.

Examples
--------
>>> import tempfile
>>> [(issue.file, issue.detail) for issue in inspect_checkpoint(tempfile.mkdtemp())]
[('manifest.json', 'missing')]
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from driftguard.checkpoint.manifest import MANIFEST, MODEL_CARD, PROFILE, FileEntry, Manifest
from driftguard.errors import IntegrityError, SerializationError

__all__ = ["FileIssue", "hash_file", "inspect", "inspect_checkpoint"]

_CHUNK = 1 << 20


@dataclass(frozen=True)
class FileIssue:
    """One reason a checkpoint directory cannot be trusted.

    Parameters
    ----------
    file : str or None
        The file at fault (``None``: the directory itself).
    detail : str
        What is wrong with it.
    error : type
        The exception :func:`~driftguard.checkpoint.folder.read_checkpoint` raises for it.

    Examples
    --------
    >>> FileIssue("model.bin", "missing").message("/reg/m/1")
    "checkpoint /reg/m/1: file 'model.bin': missing"
    """

    file: str | None
    detail: str
    error: type[SerializationError] = IntegrityError

    def message(self, directory: str | os.PathLike[str]) -> str:
        """The error message, naming the directory and the file."""
        where = "" if self.file is None else f" file {self.file!r}:"
        return f"checkpoint {os.fspath(directory)}:{where} {self.detail}"


def hash_file(path: Path) -> FileEntry:
    """SHA-256 and size of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return FileEntry(digest.hexdigest(), size)


def _load_manifest(
    root: Path, manifest_sha256: str | None
) -> tuple[Manifest | None, str, list[FileIssue]]:
    try:
        raw = (root / MANIFEST).read_bytes()
    except FileNotFoundError:
        return None, "", [FileIssue(MANIFEST, "missing")]
    except OSError as exc:
        return None, "", [FileIssue(MANIFEST, f"unreadable ({exc})")]
    digest = hashlib.sha256(raw).hexdigest()
    if manifest_sha256 is not None and digest != manifest_sha256:
        detail = f"SHA-256 {digest[:12]}... differs from the recorded {manifest_sha256[:12]}..."
        return None, digest, [FileIssue(MANIFEST, f"{detail} (file altered)")]
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, digest, [FileIssue(MANIFEST, f"not valid JSON ({exc})", SerializationError)]
    try:
        manifest = Manifest.from_dict(data)
    except SerializationError as exc:
        return None, digest, [FileIssue(MANIFEST, str(exc), type(exc))]
    missing = sorted({PROFILE, MODEL_CARD} - set(manifest.files))
    if missing:
        return None, digest, [FileIssue(MANIFEST, f"lists no {missing}", SerializationError)]
    return manifest, digest, []


def inspect(
    directory: str | os.PathLike[str], manifest_sha256: str | None
) -> tuple[Manifest | None, str, list[FileIssue]]:
    """The manifest (``None`` if unusable), the manifest's SHA-256 and every issue found."""
    root = Path(directory)
    if not root.is_dir():
        return None, "", [FileIssue(None, "directory is missing")]
    manifest, digest, issues = _load_manifest(root, manifest_sha256)
    if manifest is None:
        return None, digest, issues
    present = {entry.name: entry for entry in os.scandir(root)}
    issues += [
        FileIssue(extra, "not listed in the manifest (unexpected file)")
        for extra in sorted(set(present) - set(manifest.files) - {MANIFEST})
    ]
    for file, entry in sorted(manifest.files.items()):
        found = present.get(file)
        if found is None:
            issues.append(FileIssue(file, "missing"))
        elif not stat.S_ISREG(found.stat(follow_symlinks=False).st_mode):
            issues.append(FileIssue(file, "not a regular file"))
        elif (actual := hash_file(root / file)) != entry:
            issues.append(
                FileIssue(
                    file,
                    f"SHA-256 {actual.sha256[:12]}... ({actual.bytes} bytes) differs from the "
                    f"manifest's {entry.sha256[:12]}... ({entry.bytes} bytes) (file altered)",
                )
            )
    return manifest, digest, issues


def inspect_checkpoint(
    directory: str | os.PathLike[str], *, manifest_sha256: str | None = None
) -> list[FileIssue]:
    """Every problem of a checkpoint directory; an empty list means it is intact.

    ``manifest_sha256``, when given (a registry records it), must match ``manifest.json``.
    """
    return inspect(directory, manifest_sha256)[2]
