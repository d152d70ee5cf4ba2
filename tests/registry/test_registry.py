"""The registry: lifecycle, compare-and-set, audit, integrity and concurrency (real SQLite)."""

from __future__ import annotations

import functools
import itertools
import json
import multiprocessing
import os
import re
import sqlite3
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from driftguard.checkpoint.folder import CheckpointDraft, write_checkpoint
from driftguard.checkpoint.manifest import MANIFEST, MODEL_CARD, PROFILE
from driftguard.drift.profile import ReferenceProfile
from driftguard.errors import (
    ConfigurationError,
    ConflictError,
    IntegrityError,
    NoRollbackTargetError,
    RegistryError,
    SerializationError,
    UnsupportedVersionError,
    VersionNotFoundError,
)
from driftguard.registry import (
    ActiveState,
    AuditEntry,
    Registry,
    SqliteStorage,
    Status,
    Storage,
)


@functools.cache
def _profile() -> ReferenceProfile:
    return ReferenceProfile(n_resamples=20).fit({"x": np.arange(200.0)})


def _draft(tag: int = 0) -> CheckpointDraft:
    return CheckpointDraft(
        files={"model.bin": f"weights-{tag}-".encode() * 50},
        config={"tag": tag},
        metrics={"test": {"accuracy": 0.9, "nll": 0.3, "brier": 0.1}},
        fingerprints={"sha256": "cd" * 32, "n_rows": 200},
        profile=_profile(),
        model_card=f"# model {tag}\n",
        framework="none",
    )


def _registry(tmp_path: Path, n: int = 3, name: str = "churn") -> Registry:
    registry = Registry(tmp_path / "reg")
    for tag in range(1, n + 1):
        assert registry.register(name, _draft(tag), actor="ci", reason=f"train {tag}") == tag
    return registry


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset % len(data)] ^= 0x01
    path.write_bytes(bytes(data))


def _status(registry: Registry, name: str = "churn") -> dict[int, Status]:
    return {v.version: v.status for v in registry.versions(name)}


# --- lifecycle ---------------------------------------------------------------------------


def test_register_numbers_versions_and_links_parents(tmp_path: Path) -> None:
    registry = _registry(tmp_path, n=2)
    assert registry.active("churn") == ActiveState(None, 0)
    registry.promote("churn", 2, actor="ci")
    assert registry.register("churn", _draft(3), actor="ci") == 3
    assert registry.register("other", _draft(9), actor="ci") == 1
    versions = registry.versions("churn")
    assert [(v.version, v.parent, v.status) for v in versions] == [
        (1, None, Status.NONE),
        (2, None, Status.NONE),
        (3, 2, Status.NONE),
    ]
    assert registry.names() == ["churn", "other"]
    checkpoint = registry.open("churn", 3)
    assert checkpoint.manifest.parent == 2
    assert checkpoint.manifest.config == {"tag": 3}
    assert checkpoint.file_bytes("model.bin") == b"weights-3-" * 50
    assert checkpoint.directory == tmp_path / "reg" / "churn" / "3"
    assert versions[2].manifest_sha256 == checkpoint.manifest_sha256
    assert registry.open("churn").manifest.version == 2  # ACTIVE by default
    assert registry.verify() == []


def test_promote_rollback_and_known_good(tmp_path: Path) -> None:
    registry = _registry(tmp_path)
    assert registry.promote("churn", 1, actor="ci") == ActiveState(1, 1)
    assert registry.promote("churn", 2, actor="ci") == ActiveState(2, 2)
    assert registry.promote("churn", 3, actor="ci") == ActiveState(3, 3)
    # each version replaced by a promote became known-good
    assert _status(registry) == {1: Status.KNOWN_GOOD, 2: Status.KNOWN_GOOD, 3: Status.NONE}
    assert registry.rollback_target("churn") == 2
    assert registry.rollback("churn", actor="guard") == ActiveState(2, 4)
    # the version rolled back from is not made known-good
    assert _status(registry)[3] is Status.NONE
    assert registry.rollback("churn", actor="guard") == ActiveState(1, 5)
    with pytest.raises(NoRollbackTargetError, match="earlier than ACTIVE version 1"):
        registry.rollback("churn", actor="guard")
    assert registry.promote("churn", 3, actor="ci") == ActiveState(3, 6)
    assert registry.rollback("churn", actor="ops", to=1) == ActiveState(1, 7)  # explicit
    assert registry.promote("churn", 1, actor="ci") == ActiveState(1, 7)  # already ACTIVE
    assert registry.open("churn").manifest.version == 1


def test_quarantined_versions_are_never_targets(tmp_path: Path) -> None:
    registry = _registry(tmp_path, n=4)
    for version in (1, 2, 3, 4):
        registry.promote("churn", version, actor="ci")
    info = registry.quarantine("churn", 3, actor="guard", reason="poisoned", evidence={"z": 5.0})
    assert info.status is Status.QUARANTINED
    assert registry.rollback("churn", actor="guard") == ActiveState(2, 5)  # skips 3
    with pytest.raises(RegistryError, match="version 3 is quarantined"):
        registry.promote("churn", 3, actor="ci")
    registry.promote("churn", 4, actor="ci")
    with pytest.raises(RegistryError, match="version 3 is quarantined"):
        registry.rollback("churn", actor="ops", to=3)
    with pytest.raises(RegistryError, match="quarantined; it cannot become known_good"):
        registry.mark_known_good("churn", 3, actor="ops")
    # quarantining ACTIVE is allowed and leaves ACTIVE alone
    state = registry.active("churn")
    registry.quarantine("churn", 4, actor="guard")
    assert registry.active("churn") == state
    registry.quarantine("churn", 2, actor="guard")
    registry.quarantine("churn", 1, actor="guard")
    with pytest.raises(NoRollbackTargetError, match="no known-good, non-quarantined"):
        registry.rollback("churn", actor="guard")


def test_rollback_needs_an_active_earlier_known_good_version(tmp_path: Path) -> None:
    registry = _registry(tmp_path, n=3)
    with pytest.raises(NoRollbackTargetError, match="no ACTIVE version"):
        registry.rollback("churn", actor="guard")
    registry.promote("churn", 2, actor="ci")
    with pytest.raises(NoRollbackTargetError):
        registry.rollback("churn", actor="guard")  # 1 was never known-good
    registry.mark_known_good("churn", 3, actor="ops")
    with pytest.raises(NoRollbackTargetError):
        registry.rollback("churn", actor="guard")  # 3 is known-good but not earlier
    with pytest.raises(RegistryError, match="not earlier than ACTIVE 2"):
        registry.rollback("churn", actor="ops", to=3)
    registry.mark_known_good("churn", 1, actor="ops", reason="offline eval")
    assert registry.rollback("churn", actor="guard").version == 1


def test_audit_records_every_change_with_evidence(tmp_path: Path) -> None:
    registry = _registry(tmp_path, n=2)
    registry.promote("churn", 1, actor="ci", reason="first")
    registry.promote("churn", 2, actor="ci", reason="better", evidence={"accuracy": 0.93})
    evidence = {"signals": [{"name": "psi", "value": 0.41}], "window": 500}
    registry.rollback("churn", actor="alertmanager", reason="drift", evidence=evidence)
    registry.quarantine("churn", 2, actor="guard", reason="bad")
    registry.quarantine("churn", 2, actor="guard", reason="again")  # no change, no record
    registry.record("churn", "warn", actor="guard", reason="ece rising", version=1)
    records = registry.audit("churn")
    rows = [
        (r.action, r.actor, r.reason, r.from_version, r.to_version, r.generation) for r in records
    ]
    assert rows == [
        ("register", "ci", "train 1", None, 1, 0),
        ("register", "ci", "train 2", None, 2, 0),
        ("promote", "ci", "first", None, 1, 1),
        ("promote", "ci", "better", 1, 2, 2),
        ("rollback", "alertmanager", "drift", 2, 1, 3),
        ("quarantine", "guard", "bad", None, 2, 3),
        ("warn", "guard", "ece rising", None, 1, 3),
    ]  # fmt: skip
    assert records[4].evidence == evidence
    assert records[3].evidence == {"accuracy": 0.93}
    assert records[0].evidence["manifest_sha256"] == registry.versions("churn")[0].manifest_sha256
    assert [r.id for r in records] == sorted({r.id for r in records})
    assert all(a.time <= b.time for a, b in itertools.pairwise(records))
    assert all(r.time.tzinfo is not None for r in records)
    json.dumps([r.to_dict() for r in records])
    assert registry.audit() == records


def test_nothing_is_ever_deleted(tmp_path: Path) -> None:
    registry = _registry(tmp_path, n=3)
    for version in (1, 2, 3):
        registry.promote("churn", version, actor="ci")
    registry.rollback("churn", actor="guard")
    registry.quarantine("churn", 3, actor="guard")
    registry.rollback("churn", actor="guard")
    assert [v.version for v in registry.versions("churn")] == [1, 2, 3]
    for version in (1, 2, 3):
        assert registry.open("churn", version).manifest.version == version
    assert sorted(os.listdir(tmp_path / "reg" / "churn")) == [".lock", "1", "2", "3"]


def test_compare_and_set_refuses_a_stale_generation(tmp_path: Path) -> None:
    registry = _registry(tmp_path)
    registry.promote("churn", 1, actor="ci", expected_generation=0)
    registry.promote("churn", 2, actor="ci", expected_generation=1)
    n_records = len(registry.audit("churn"))
    with pytest.raises(ConflictError, match=r"generation is 2 .* not the expected 1"):
        registry.promote("churn", 3, actor="ci", expected_generation=1)
    with pytest.raises(ConflictError):
        registry.rollback("churn", actor="guard", expected_generation=5)
    assert registry.active("churn") == ActiveState(2, 2)
    assert len(registry.audit("churn")) == n_records
    assert registry.rollback("churn", actor="guard", expected_generation=2) == ActiveState(1, 3)


def test_clear_errors(tmp_path: Path) -> None:
    registry = _registry(tmp_path, n=1)
    for bad in ["", "-x", "a/b", "../x", ".hidden", "x" * 65, "registry.db", 3]:
        with pytest.raises(ConfigurationError, match="model name"):
            registry.register(bad, _draft(), actor="ci")  # type: ignore[arg-type]
    with pytest.raises(VersionNotFoundError, match="model 'nope' is not registered"):
        registry.open("nope")
    with pytest.raises(VersionNotFoundError, match="model 'churn' has no version 7"):
        registry.promote("churn", 7, actor="ci")
    with pytest.raises(VersionNotFoundError, match="model 'churn' has no ACTIVE version"):
        registry.open("churn")
    with pytest.raises(VersionNotFoundError, match="'nope'"):
        registry.active("nope")
    with pytest.raises(ConfigurationError, match="version must be a positive int"):
        registry.open("churn", 0)
    with pytest.raises(ConfigurationError, match="actor"):
        registry.promote("churn", 1, actor="")
    with pytest.raises(ConfigurationError, match="evidence"):
        registry.promote("churn", 1, actor="ci", evidence={"x": float("inf")})
    with pytest.raises(ConfigurationError, match="action"):
        registry.record("churn", "rollback", actor="ci")
    with pytest.raises(ConfigurationError, match="CheckpointDraft"):
        registry.register("churn", {"model.bin": b""}, actor="ci")  # type: ignore[arg-type]


# --- integrity ---------------------------------------------------------------------------


@pytest.mark.parametrize("file", ["model.bin", PROFILE, MODEL_CARD, MANIFEST])
def test_tampering_with_any_checkpoint_file_is_caught(tmp_path: Path, file: str) -> None:
    """MUST-SHOW: one flipped byte in any file makes open fail naming it; verify reports it."""
    registry = _registry(tmp_path, n=2)
    registry.promote("churn", 1, actor="ci")
    registry.promote("churn", 2, actor="ci")
    path = tmp_path / "reg" / "churn" / "2" / file
    original = path.read_bytes()
    for offset in sorted({0, 1, len(original) // 2, len(original) - 1}):
        _flip(path, offset)
        with pytest.raises((IntegrityError, SerializationError)) as caught:
            registry.open("churn", 2)
        assert f"'{file}'" in str(caught.value)
        with pytest.raises(SerializationError, match=re.escape(f"'{file}'")):
            registry.open("churn")  # the ACTIVE one, by default
        problems = registry.verify()
        assert [(p.name, p.version, p.file) for p in problems] == [("churn", 2, file)]
        assert registry.verify("churn") == problems
        path.write_bytes(original)
        assert registry.verify() == []
    # a damaged version can be neither promoted nor rolled back to
    registry.promote("churn", 1, actor="ci")
    _flip(path, 0)
    with pytest.raises(SerializationError, match=re.escape(f"'{file}'")):
        registry.promote("churn", 2, actor="ci")
    path.write_bytes(original)
    registry.promote("churn", 2, actor="ci")
    _flip(tmp_path / "reg" / "churn" / "1" / file, 0)
    with pytest.raises(SerializationError, match=re.escape(f"'{file}'")):
        registry.rollback("churn", actor="guard")
    assert registry.active("churn").version == 2


def test_verify_reports_missing_and_extra_files(tmp_path: Path) -> None:
    registry = _registry(tmp_path, n=2)
    (tmp_path / "reg" / "churn" / "1" / "notes.txt").write_text("hello")
    (tmp_path / "reg" / "churn" / "2" / MODEL_CARD).unlink()
    problems = registry.verify()
    assert [(p.version, p.file) for p in problems] == [(1, "notes.txt"), (2, MODEL_CARD)]
    assert "not listed" in problems[0].detail
    assert problems[1].detail == "missing"


# --- crash leftovers ---------------------------------------------------------------------


def test_orphan_and_temporary_directories_are_harmless_and_swept(tmp_path: Path) -> None:
    registry = _registry(tmp_path, n=1)
    registry.promote("churn", 1, actor="ci")
    folder = tmp_path / "reg" / "churn"
    # a crash after the rename, before the commit: a complete directory no row refers to
    write_checkpoint(_draft(99), folder / "2", name="churn", version=2, parent=1,
                     created=registry.versions("churn")[0].created)  # fmt: skip
    # a crash while writing: a half-written temporary directory
    (folder / ".2.abcd.tmp").mkdir()
    (folder / ".2.abcd.tmp" / "model.bin").write_bytes(b"half")
    # a crash before the first commit of a new name
    write_checkpoint(_draft(7), tmp_path / "reg" / "fresh" / "1", name="fresh", version=1,
                     parent=None, created=registry.versions("churn")[0].created)  # fmt: skip
    reopened = Registry(tmp_path / "reg")
    assert reopened.verify() == []
    assert reopened.names() == ["churn"]
    assert [v.version for v in reopened.versions("churn")] == [1]
    assert reopened.register("churn", _draft(2), actor="ci") == 2  # sweeps, then reuses "2"
    assert reopened.open("churn", 2).manifest.config == {"tag": 2}
    assert not (folder / ".2.abcd.tmp").exists()
    (orphan,) = (folder / ".orphans").iterdir()
    assert orphan.name.startswith("2.")
    assert json.loads((orphan / MANIFEST).read_text())["config"] == {"tag": 99}
    moved = reopened.sweep()
    assert [p.parent.name for p in moved] == [".orphans"]  # fresh/1 moved aside
    assert reopened.register("fresh", _draft(1), actor="ci") == 1
    assert reopened.verify() == []


def test_storage_protocol_and_schema_version(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "x.db")
    assert isinstance(storage, Storage)
    registry = Registry(tmp_path / "reg", storage=storage)
    registry.register("m", _draft(), actor="ci")
    assert Registry(tmp_path / "reg", storage=SqliteStorage(tmp_path / "x.db")).names() == ["m"]
    assert not (tmp_path / "reg" / "registry.db").exists()
    with sqlite3.connect(tmp_path / "x.db") as con:
        con.execute("UPDATE meta SET value = '9' WHERE key = 'schema_version'")
    with pytest.raises(UnsupportedVersionError, match="schema version 9"):
        SqliteStorage(tmp_path / "x.db")
    (tmp_path / "junk.db").write_bytes(b"not a database" * 100)
    with pytest.raises(RegistryError, match=re.escape("junk.db")):
        SqliteStorage(tmp_path / "junk.db")
    mode = sqlite3.connect(tmp_path / "reg2.db")
    SqliteStorage(tmp_path / "reg2.db")
    assert mode.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    mode.close()


# --- concurrency -------------------------------------------------------------------------


def _prepared(tmp_path: Path) -> tuple[Registry, int]:
    registry = _registry(tmp_path, n=3)
    for version in (1, 2, 3):
        registry.promote("churn", version, actor="ci")
    return registry, registry.active("churn").generation


def _rollback_once(root: str, generation: int, barrier: Any, results: Any, who: str) -> None:
    registry = Registry(root)
    barrier.wait()
    try:
        state = registry.rollback(
            "churn", actor=who, reason="duplicate webhook", expected_generation=generation
        )
        results.put(("ok", state.version, state.generation))
    except ConflictError as exc:
        results.put(("conflict", str(exc), None))
    except BaseException as exc:  # reported to the parent, which fails the test
        results.put(("error", repr(exc), None))


def _check_exactly_one(
    registry: Registry, outcomes: list[tuple[Any, ...]], generation: int
) -> None:
    assert sorted(o[0] for o in outcomes) == ["conflict", "ok"], outcomes
    (won,) = [o for o in outcomes if o[0] == "ok"]
    assert won[1:] == (2, generation + 1)
    assert registry.active("churn") == ActiveState(2, generation + 1)
    rollbacks = [r for r in registry.audit("churn") if r.action == "rollback"]
    assert len(rollbacks) == 1
    assert (rollbacks[0].from_version, rollbacks[0].to_version) == (3, 2)


@pytest.mark.parametrize("round_", range(4))
def test_duplicate_rollbacks_in_two_processes_change_once(tmp_path: Path, round_: int) -> None:
    """MUST-SHOW: two processes, same expected generation: one rollback, one ConflictError."""
    registry, generation = _prepared(tmp_path)
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [
        ctx.Process(
            target=_rollback_once,
            args=(str(registry.root), generation, barrier, results, f"webhook-{i}"),
        )
        for i in range(2)
    ]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=60) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0
    _check_exactly_one(registry, outcomes, generation)


@pytest.mark.parametrize("round_", range(4))
def test_duplicate_rollbacks_in_two_threads_change_once(tmp_path: Path, round_: int) -> None:
    """MUST-SHOW: two threads, same expected generation: one rollback, one ConflictError."""
    import queue

    registry, generation = _prepared(tmp_path)
    barrier, results = threading.Barrier(2), queue.Queue[tuple[Any, ...]]()
    threads = [
        threading.Thread(
            target=_rollback_once,
            args=(str(registry.root), generation, barrier, results, f"webhook-{i}"),
        )
        for i in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    _check_exactly_one(registry, [results.get_nowait() for _ in threads], generation)


def test_storage_compare_and_set_under_an_eight_thread_race(tmp_path: Path) -> None:
    registry, generation = _prepared(tmp_path)
    storage = registry.storage
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def attempt(i: int) -> None:
        barrier.wait()
        try:
            storage.set_active(
                "churn", 1 + i % 2, generation, AuditEntry("rollback", f"t{i}"),
                previous_known_good=False,
            )  # fmt: skip
            outcomes.append("ok")
        except ConflictError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["conflict"] * 7 + ["ok"]
    assert registry.active("churn").generation == generation + 1
    assert sum(r.action == "rollback" for r in registry.audit("churn")) == 1


def _register_many(root: str, n: int, tag: int, barrier: Any) -> None:
    registry = Registry(root)
    barrier.wait()
    for i in range(n):
        registry.register("churn", _draft(tag * 100 + i), actor=f"trainer-{tag}")


def test_concurrent_registers_get_distinct_versions(tmp_path: Path) -> None:
    root = tmp_path / "reg"
    Registry(root)
    _profile()  # fitted before the fork, shared by the children
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(3)
    procs = [ctx.Process(target=_register_many, args=(str(root), 5, t, barrier)) for t in (1, 2, 3)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=120)
        assert proc.exitcode == 0
    registry = Registry(root)
    versions = registry.versions("churn")
    assert [v.version for v in versions] == list(range(1, 16))
    tags = sorted(registry.open("churn", v.version).manifest.config["tag"] for v in versions)
    assert tags == sorted(t * 100 + i for t in (1, 2, 3) for i in range(5))
    assert registry.verify() == []
