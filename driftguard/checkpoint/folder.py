"""Immutable, self-verifying checkpoint directories.

A checkpoint is one directory: the model files (bytes from a codec, e.g. ``model.safetensors``
or ``model.skops``), ``profile.npz`` (the :class:`~driftguard.drift.profile.ReferenceProfile`),
``MODEL_CARD.md`` and ``manifest.json``, which lists every other file with its SHA-256 and
size (see :mod:`driftguard.checkpoint.manifest`). :func:`write_checkpoint` fills a fresh temporary
directory next to the target, fsyncs every file and the directory, then renames it into place,
so a checkpoint is either complete or absent. :func:`read_checkpoint` refuses missing, extra and
altered files with :class:`~driftguard.errors.IntegrityError` naming the file. Nothing here
unpickles, and the module imports neither torch nor scikit-learn (nor scipy, until a profile is
read or written).

Examples
--------
>>> import numpy as np, tempfile, pathlib
>>> from datetime import UTC, datetime
>>> from driftguard.drift.profile import ReferenceProfile
>>> draft = CheckpointDraft(
...     files={"model.bin": b"weights"}, config={"lr": 0.1}, metrics={"test": {"accuracy": 0.9}},
...     fingerprints={"n_rows": 200}, model_card="# demo", framework="none",
...     profile=ReferenceProfile(n_resamples=20).fit({"x": np.arange(200.0)}))
>>> target = pathlib.Path(tempfile.mkdtemp()) / "demo" / "1"
>>> manifest = write_checkpoint(
...     draft, target, name="demo", version=1, parent=None, created=datetime.now(UTC))
>>> sorted(manifest.files)
['MODEL_CARD.md', 'model.bin', 'profile.npz']
>>> checkpoint = read_checkpoint(target)
>>> checkpoint.file_bytes("model.bin"), checkpoint.manifest.config["lr"]
(b'weights', 0.1)
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from driftguard.checkpoint.integrity import FileIssue, hash_file, inspect, inspect_checkpoint
from driftguard.checkpoint.manifest import (
    MANIFEST,
    MODEL_CARD,
    PROFILE,
    RESERVED,
    FileEntry,
    Manifest,
    check_file_name,
    plain_json,
)
from driftguard.errors import ConfigurationError, IntegrityError

if TYPE_CHECKING:
    from driftguard.drift.profile import ReferenceProfile

__all__ = [
    "TEMP_SUFFIX",
    "Checkpoint",
    "CheckpointDraft",
    "FileIssue",
    "inspect_checkpoint",
    "is_temp_dir",
    "read_checkpoint",
    "write_checkpoint",
]

#: Suffix of the temporary directories :func:`write_checkpoint` renames into place; their
#: names also start with a dot.
TEMP_SUFFIX = ".tmp"


def is_temp_dir(name: str) -> bool:
    """Whether a directory entry is a (possibly abandoned) temporary checkpoint directory."""
    return name.startswith(".") and name.endswith(TEMP_SUFFIX)


@dataclass(frozen=True)
class CheckpointDraft:
    """Everything a checkpoint holds, before it has a name, a version and hashes.

    Parameters
    ----------
    files : mapping of str to bytes
        Model files as bytes, e.g. ``{"model.safetensors": ...}``; plain file names (no
        ``/``, no ``..``), not the reserved ``manifest.json``, ``profile.npz``,
        ``MODEL_CARD.md``; at least one.
    config : mapping
        Training configuration (JSON-able; numpy scalars are converted).
    metrics : mapping
        Evaluation metrics, e.g. ``{"test": {"accuracy": ..., "nll": ..., "brier": ...}}``.
    fingerprints : mapping
        Fingerprints of the training data (hashes, row counts).
    profile : ReferenceProfile
        The fitted reference profile the model is judged against.
    model_card : str
        Markdown model card.
    framework : str
        Which codec reads ``files`` (``"torch"``, ``"sklearn"``, ...).

    Examples
    --------
    >>> import numpy as np
    >>> from driftguard.drift.profile import ReferenceProfile
    >>> profile = ReferenceProfile(n_resamples=20).fit({"x": np.arange(200.0)})
    >>> CheckpointDraft({"w.bin": b"1"}, {}, {"acc": np.float32(0.5)}, {}, profile, "", "x").metrics
    {'acc': 0.5}
    """

    files: Mapping[str, bytes]
    config: Mapping[str, Any]
    metrics: Mapping[str, Any]
    fingerprints: Mapping[str, Any]
    profile: ReferenceProfile
    model_card: str
    framework: str

    def __post_init__(self) -> None:
        if not isinstance(self.files, Mapping) or not self.files:
            raise ConfigurationError("files must be a non-empty mapping of file name to bytes")
        for name, data in self.files.items():
            check_file_name(name, ConfigurationError, "files")
            if name in RESERVED:
                raise ConfigurationError(f"files: {name!r} is a reserved checkpoint file name")
            if not isinstance(data, bytes):
                raise ConfigurationError(f"files[{name!r}] must be bytes, not {type(data)}")
        for label in ("config", "metrics", "fingerprints"):
            value = getattr(self, label)
            if not isinstance(value, Mapping):
                raise ConfigurationError(f"{label} must be a mapping, not {type(value)}")
            object.__setattr__(self, label, plain_json(value, label))
        object.__setattr__(self, "files", dict(self.files))
        if not isinstance(self.model_card, str):
            raise ConfigurationError("model_card must be a str (Markdown)")
        if not isinstance(self.framework, str) or not self.framework:
            raise ConfigurationError("framework must be a non-empty str")
        from driftguard.drift.profile import ReferenceProfile  # the caller has imported it already

        if not isinstance(self.profile, ReferenceProfile):
            raise ConfigurationError(
                f"profile must be a ReferenceProfile, not {type(self.profile)}"
            )
        self.profile.calibration()  # NotFittedError now rather than at write time


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint directory whose files matched its manifest when it was read.

    Every read re-checks the file's hash, so a file altered after :func:`read_checkpoint`
    still raises :class:`~driftguard.errors.IntegrityError`.

    Parameters
    ----------
    manifest : Manifest
        The parsed ``manifest.json``.
    directory : Path
        Where the checkpoint lies.
    manifest_sha256 : str
        SHA-256 of the ``manifest.json`` bytes.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> from datetime import UTC, datetime
    >>> from driftguard.drift.profile import ReferenceProfile
    >>> profile = ReferenceProfile(n_resamples=20).fit({"x": np.arange(200.0)})
    >>> draft = CheckpointDraft({"w.bin": b"1"}, {}, {}, {}, profile, "# card", "none")
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "1"
    >>> _ = write_checkpoint(draft, target, name="m", version=1, parent=None,
    ...                      created=datetime.now(UTC))
    >>> ckpt = read_checkpoint(target)
    >>> ckpt.model_files, ckpt.model_card(), ckpt.profile().layout_id_ == profile.layout_id_
    (('w.bin',), '# card', True)
    """

    manifest: Manifest
    directory: Path
    manifest_sha256: str

    @property
    def model_files(self) -> tuple[str, ...]:
        """Names of the model files (every listed file but the profile and the model card)."""
        return tuple(sorted(set(self.manifest.files) - RESERVED))

    def file_bytes(self, name: str) -> bytes:
        """The verified bytes of one listed file."""
        entry = self.manifest.files.get(name)
        if entry is None:
            known = sorted(self.manifest.files)
            raise ConfigurationError(f"checkpoint {self.directory}: no file {name!r}; has {known}")
        try:
            data = (self.directory / name).read_bytes()
        except OSError as exc:
            issue = FileIssue(name, f"unreadable ({exc})")
            raise IntegrityError(issue.message(self.directory)) from exc
        if len(data) != entry.bytes or hashlib.sha256(data).hexdigest() != entry.sha256:
            issue = FileIssue(name, "SHA-256 differs from the manifest (file altered)")
            raise IntegrityError(issue.message(self.directory))
        return data

    def model_card(self) -> str:
        """The Markdown model card."""
        return self.file_bytes(MODEL_CARD).decode("utf-8")

    def profile(self) -> ReferenceProfile:
        """The reference profile, loaded after its hash is checked."""
        from driftguard.drift.profile_io import load_profile

        self.file_bytes(PROFILE)
        return load_profile(self.directory / PROFILE)


def _write_file(path: Path, data: bytes) -> FileEntry:
    with open(path, "xb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return FileEntry(hashlib.sha256(data).hexdigest(), len(data))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_checkpoint(
    draft: CheckpointDraft,
    directory: str | os.PathLike[str],
    *,
    name: str,
    version: int,
    parent: int | None,
    created: datetime,
) -> Manifest:
    """Write ``draft`` as a complete checkpoint at ``directory``, which must not exist.

    Files go to a temporary sibling directory (``.<name>.<random>.tmp``), each fsynced, then
    ``manifest.json`` last; the directory is fsynced and renamed to ``directory`` and the
    parent directory fsynced. On any failure the temporary directory is removed; a crash may
    leave it behind (:func:`is_temp_dir` recognises it).
    """
    from driftguard.drift.profile_io import save_profile

    target = Path(directory)
    if not isinstance(draft, CheckpointDraft):
        raise ConfigurationError(f"draft must be a CheckpointDraft, not {type(draft)}")
    if os.path.lexists(target):
        raise ConfigurationError(f"checkpoint directory {target} already exists")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=TEMP_SUFFIX, dir=target.parent))
    try:
        os.chmod(tmp, 0o755)
        files = {file: _write_file(tmp / file, data) for file, data in draft.files.items()}
        save_profile(draft.profile, tmp / PROFILE)  # fsynced, renamed inside tmp
        files[PROFILE] = hash_file(tmp / PROFILE)
        files[MODEL_CARD] = _write_file(tmp / MODEL_CARD, draft.model_card.encode("utf-8"))
        manifest = Manifest(
            name=name,
            version=version,
            parent=parent,
            created=created,
            framework=draft.framework,
            config=draft.config,
            metrics=draft.metrics,
            fingerprints=draft.fingerprints,
            files=files,
        )
        _write_file(tmp / MANIFEST, manifest.to_json())
        _fsync_dir(tmp)
        try:
            os.rename(tmp, target)
        except OSError as exc:
            raise ConfigurationError(
                f"checkpoint directory {target}: cannot create ({exc})"
            ) from exc
        _fsync_dir(target.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def read_checkpoint(
    directory: str | os.PathLike[str], *, manifest_sha256: str | None = None
) -> Checkpoint:
    """Read and verify a checkpoint directory.

    Raises
    ------
    IntegrityError
        A file is missing, unexpected or altered (the message names it), or ``manifest.json``
        does not hash to ``manifest_sha256``.
    UnsupportedVersionError
        The manifest was written by an unknown checkpoint format version.
    SerializationError
        ``manifest.json`` is not a readable checkpoint manifest.
    """
    manifest, digest, issues = inspect(directory, manifest_sha256)
    if issues:
        more = f" (and {len(issues) - 1} more problems)" if len(issues) > 1 else ""
        raise issues[0].error(issues[0].message(directory) + more)
    assert manifest is not None
    return Checkpoint(manifest, Path(directory), digest)
