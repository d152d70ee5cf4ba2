"""Immutable checkpoint folders, their hashed manifests and integrity checks.

A checkpoint holds the weights, the :class:`~driftguard.drift.profile.ReferenceProfile`, the
calibration, the metrics and a manifest of every file's SHA-256; reading one verifies it.
Codecs for the model itself are passed in, so nothing here loads torch or scikit-learn.

Examples
--------
>>> from driftguard.checkpoint import MANIFEST
>>> MANIFEST
'manifest.json'
"""

from driftguard.checkpoint.folder import (
    Checkpoint,
    CheckpointDraft,
    read_checkpoint,
    write_checkpoint,
)
from driftguard.checkpoint.integrity import FileIssue, inspect_checkpoint
from driftguard.checkpoint.manifest import MANIFEST, FileEntry, Manifest

__all__ = [
    "MANIFEST",
    "Checkpoint",
    "CheckpointDraft",
    "FileEntry",
    "FileIssue",
    "Manifest",
    "inspect_checkpoint",
    "read_checkpoint",
    "write_checkpoint",
]
