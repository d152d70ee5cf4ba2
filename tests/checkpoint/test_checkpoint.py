"""Checkpoint directories: atomic write, manifest, and refusal of every altered file."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from driftguard.checkpoint.folder import (
    CheckpointDraft,
    inspect_checkpoint,
    read_checkpoint,
    write_checkpoint,
)
from driftguard.checkpoint.manifest import MANIFEST, MODEL_CARD, PROFILE, FileEntry, Manifest
from driftguard.drift.profile import ReferenceProfile
from driftguard.errors import (
    ConfigurationError,
    IntegrityError,
    NotFittedError,
    SerializationError,
    UnsupportedVersionError,
)

CREATED = datetime(2025, 11, 25, 12, 0, tzinfo=UTC)


@functools.cache
def _profile() -> ReferenceProfile:
    return ReferenceProfile(n_resamples=20).fit({"x": np.arange(200.0)})


def _draft(**changes: object) -> CheckpointDraft:
    fields: dict[str, object] = {
        "files": {"model.safetensors": bytes(range(256)) * 4, "extra.json": b"{}"},
        "config": {"lr": 0.01, "layers": (64, 32)},
        "metrics": {"test": {"accuracy": np.float64(0.91), "n": np.int64(50), "ece": 0.02}},
        "fingerprints": {"sha256": "ab" * 32, "n_rows": 200},
        "profile": _profile(),
        "model_card": "# Model card\n\nÜnïcode welcome.\n",
        "framework": "torch",
    }
    fields.update(changes)
    return CheckpointDraft(**fields)  # type: ignore[arg-type]


def _write(tmp_path: Path, version: int = 1) -> Path:
    target = tmp_path / "model" / str(version)
    write_checkpoint(_draft(), target, name="model", version=version, parent=None, created=CREATED)
    return target


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset % len(data)] ^= 0x01
    path.write_bytes(bytes(data))


def test_write_then_read_round_trips_everything(tmp_path: Path) -> None:
    target = tmp_path / "model" / "3"
    cest = timezone(timedelta(hours=2))
    manifest = write_checkpoint(
        _draft(), target, name="model", version=3, parent=2, created=CREATED.astimezone(cest)
    )
    assert sorted(os.listdir(target)) == sorted(
        ["model.safetensors", "extra.json", PROFILE, MODEL_CARD, MANIFEST]
    )
    assert os.listdir(target.parent) == ["3"]  # no temporary directory left behind
    doc = json.loads((target / MANIFEST).read_text())
    assert doc["format"] == "driftguard.checkpoint"
    assert doc["format_version"] == 1
    assert (doc["name"], doc["version"], doc["parent"]) == ("model", 3, 2)
    assert doc["created"] == "2025-11-25T12:00:00.000000+00:00"  # stored in UTC
    assert doc["framework"] == "torch"
    assert doc["config"] == {"lr": 0.01, "layers": [64, 32]}
    assert doc["metrics"]["test"] == {"accuracy": 0.91, "n": 50, "ece": 0.02}
    assert doc["fingerprints"]["n_rows"] == 200
    for file in ("model.safetensors", "extra.json", PROFILE, MODEL_CARD):
        data = (target / file).read_bytes()
        assert doc["files"][file] == {
            "sha256": hashlib.sha256(data).hexdigest(),
            "bytes": len(data),
        }
    assert set(doc["files"]) == {"model.safetensors", "extra.json", PROFILE, MODEL_CARD}

    checkpoint = read_checkpoint(target)
    assert checkpoint.manifest == manifest
    assert (
        checkpoint.manifest_sha256 == hashlib.sha256((target / MANIFEST).read_bytes()).hexdigest()
    )
    assert checkpoint.model_files == ("extra.json", "model.safetensors")
    assert checkpoint.file_bytes("model.safetensors") == bytes(range(256)) * 4
    assert checkpoint.model_card() == "# Model card\n\nÜnïcode welcome.\n"
    profile = checkpoint.profile()
    assert profile.layout_id_ == _profile().layout_id_
    np.testing.assert_array_equal(profile.counts_, _profile().counts_)
    assert manifest.to_json() == (target / MANIFEST).read_bytes()  # canonical bytes
    assert Manifest.from_dict(manifest.to_dict()) == manifest


def test_write_refuses_an_existing_directory_and_leaves_no_temp(tmp_path: Path) -> None:
    target = _write(tmp_path)
    before = (target / MANIFEST).read_bytes()
    with pytest.raises(ConfigurationError, match="already exists"):
        write_checkpoint(_draft(), target, name="model", version=1, parent=None, created=CREATED)
    (tmp_path / "model" / "2").mkdir()  # even an empty one
    with pytest.raises(ConfigurationError, match="already exists"):
        write_checkpoint(_draft(), tmp_path / "model" / "2", name="m", version=2, parent=None,
                         created=CREATED)  # fmt: skip
    assert (target / MANIFEST).read_bytes() == before
    assert sorted(os.listdir(tmp_path / "model")) == ["1", "2"]


def test_failed_write_removes_its_temporary_directory(tmp_path: Path) -> None:
    naive = datetime(2025, 1, 1)
    with pytest.raises(ConfigurationError, match="timezone-aware"):
        write_checkpoint(_draft(), tmp_path / "m" / "1", name="m", version=1, parent=None,
                         created=naive)  # fmt: skip
    assert os.listdir(tmp_path / "m") == []


@pytest.mark.parametrize(
    "name",
    ["a/b", "..", "../x", "x..y", ".hidden", "", "a\\b", MANIFEST, PROFILE, MODEL_CARD, "x" * 200],
)
def test_draft_refuses_bad_file_names(name: str) -> None:
    with pytest.raises(ConfigurationError, match="files"):
        _draft(files={name: b"1"})


def test_draft_validates_its_fields() -> None:
    with pytest.raises(ConfigurationError, match="non-empty"):
        _draft(files={})
    with pytest.raises(ConfigurationError, match=r"files\['w.bin'\] must be bytes"):
        _draft(files={"w.bin": "text"})
    with pytest.raises(ConfigurationError, match=r"metrics\['test'\]\['ece'\]: nan is not finite"):
        _draft(metrics={"test": {"ece": float("nan")}})
    with pytest.raises(ConfigurationError, match=r"config\['f'\]: object is not JSON-able"):
        _draft(config={"f": object()})
    with pytest.raises(ConfigurationError, match="key 1 is not a str"):
        _draft(fingerprints={1: "x"})
    with pytest.raises(ConfigurationError, match="profile must be a ReferenceProfile"):
        _draft(profile={"x": 1})
    with pytest.raises(NotFittedError):
        _draft(profile=ReferenceProfile())
    with pytest.raises(ConfigurationError, match="framework"):
        _draft(framework="")
    draft = _draft(metrics={"a": np.arange(3), "b": np.float32(0.5)})
    assert draft.metrics == {"a": [0, 1, 2], "b": 0.5}


@pytest.mark.parametrize("file", ["model.safetensors", "extra.json", PROFILE, MODEL_CARD])
@pytest.mark.parametrize("where", [0, 1, -1])
def test_a_flipped_byte_in_any_listed_file_is_refused_naming_it(
    tmp_path: Path, file: str, where: int
) -> None:
    target = _write(tmp_path)
    size = (target / file).stat().st_size
    _flip(target / file, size // 2 if where == 1 else where)
    with pytest.raises(IntegrityError, match=re.escape(f"file '{file}': SHA-256")):
        read_checkpoint(target)
    issues = inspect_checkpoint(target)
    assert [issue.file for issue in issues] == [file]


def test_manifest_tampering(tmp_path: Path) -> None:
    target = _write(tmp_path)
    recorded = hashlib.sha256((target / MANIFEST).read_bytes()).hexdigest()
    _flip(target / MANIFEST, 0)  # '{' -> 'z': no longer JSON
    with pytest.raises(SerializationError, match=re.escape("file 'manifest.json': not valid JSON")):
        read_checkpoint(target)
    with pytest.raises(IntegrityError, match=re.escape("file 'manifest.json': SHA-256")):
        read_checkpoint(target, manifest_sha256=recorded)
    _flip(target / MANIFEST, 0)
    read_checkpoint(target, manifest_sha256=recorded)  # restored
    doc = json.loads((target / MANIFEST).read_text())
    doc["config"]["lr"] = 1.0  # still valid JSON, every listed hash still right
    (target / MANIFEST).write_text(json.dumps(doc))
    read_checkpoint(target)  # only the recorded hash can catch this
    with pytest.raises(IntegrityError, match=re.escape("manifest.json")):
        read_checkpoint(target, manifest_sha256=recorded)


def test_manifest_format_checks(tmp_path: Path) -> None:
    target = _write(tmp_path)
    good = json.loads((target / MANIFEST).read_text())
    for change, error, message in [
        ({"format_version": 2}, UnsupportedVersionError, "format version 2 is not supported"),
        ({"format": "other"}, SerializationError, "format 'other'"),
        ({"files": {"../../etc/passwd": {"sha256": "0" * 64, "bytes": 1}}}, SerializationError,
         "not a plain file name"),
        ({"version": "three"}, SerializationError, "malformed"),
        ({"files": {"a.bin": {"sha256": "0" * 64, "bytes": 1}}}, SerializationError,
         "lists no"),
    ]:  # fmt: skip
        (target / MANIFEST).write_text(json.dumps({**good, **change}))
        with pytest.raises(error, match=message):
            read_checkpoint(target)
    (target / MANIFEST).write_bytes(b"\xff\xfe")
    with pytest.raises(SerializationError, match="not valid JSON"):
        read_checkpoint(target)


def test_missing_extra_and_replaced_files_are_refused_naming_them(tmp_path: Path) -> None:
    target = _write(tmp_path)
    (target / "extra.json").unlink()
    with pytest.raises(IntegrityError, match=re.escape("file 'extra.json': missing")):
        read_checkpoint(target)
    (target / "extra.json").symlink_to(target / MODEL_CARD)
    with pytest.raises(IntegrityError, match=re.escape("file 'extra.json': not a regular file")):
        read_checkpoint(target)
    (target / "extra.json").unlink()
    (target / "extra.json").write_bytes(b"{}")
    read_checkpoint(target)
    (target / "planted.py").write_bytes(b"import os")
    with pytest.raises(IntegrityError, match=re.escape("file 'planted.py': not listed")):
        read_checkpoint(target)
    (target / MANIFEST).unlink()
    with pytest.raises(IntegrityError, match=re.escape("file 'manifest.json': missing")):
        read_checkpoint(target)
    with pytest.raises(IntegrityError, match="directory is missing"):
        read_checkpoint(tmp_path / "nowhere")


def test_inspect_lists_every_problem_and_reads_recheck(tmp_path: Path) -> None:
    target = _write(tmp_path)
    checkpoint = read_checkpoint(target)
    _flip(target / "model.safetensors", 10)
    _flip(target / PROFILE, 10)
    assert [i.file for i in inspect_checkpoint(target)] == ["model.safetensors", PROFILE]
    with pytest.raises(IntegrityError, match=r"and 1 more problems"):
        read_checkpoint(target)
    with pytest.raises(IntegrityError, match=re.escape("model.safetensors")):
        checkpoint.file_bytes("model.safetensors")  # altered after it was opened
    with pytest.raises(IntegrityError, match=re.escape("profile.npz")):
        checkpoint.profile()
    with pytest.raises(ConfigurationError, match="no file 'nope'"):
        checkpoint.file_bytes("nope")


def test_manifest_validates_on_construction() -> None:
    entry = FileEntry("0" * 64, 1)
    with pytest.raises(ConfigurationError, match="version must be a positive int"):
        Manifest("m", 0, None, CREATED, "torch", {}, {}, {}, {"a": entry})
    with pytest.raises(ConfigurationError, match="parent must be a positive int"):
        Manifest("m", 1, True, CREATED, "torch", {}, {}, {}, {"a": entry})  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="not a valid FileEntry"):
        Manifest("m", 1, None, CREATED, "torch", {}, {}, {}, {"a": FileEntry("XYZ", 1)})
