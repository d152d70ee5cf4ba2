"""MUST-SHOW: SIGKILL at random moments never leaves the registry broken.

A warm zygote (``registry_crash_worker.py``) forks writers that register, promote, roll back,
mark known-good and quarantine in a loop; the test kills each writer with SIGKILL after a random
5-150 ms (seeded), then opens the registry afresh and checks it: ``verify()`` finds nothing,
each ACTIVE version is complete and hash-verified, the audit log agrees with the generation, and
the number of versions keeps growing from kill to kill.
"""

from __future__ import annotations

import itertools
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from driftguard.checkpoint.folder import CheckpointDraft, is_temp_dir
from driftguard.drift.profile import ReferenceProfile
from driftguard.registry import Registry

WORKER = Path(__file__).with_name("registry_crash_worker.py")
REPO = WORKER.parents[2]
N_KILLS = 60
SEED = 20251125


def _check(root: Path) -> tuple[int, int]:
    """Open the registry as a fresh reader; return (versions, leftover directories)."""
    registry = Registry(root)
    assert registry.verify() == []
    n_versions = 0
    for name in registry.names():
        versions = registry.versions(name)
        assert [v.version for v in versions] == list(range(1, len(versions) + 1))
        n_versions += len(versions)
        state = registry.active(name)
        if state.version is not None:
            checkpoint = registry.open(name)  # every file hash-verified
            assert checkpoint.manifest.version == state.version
            assert checkpoint.file_bytes("model.bin")
            checkpoint.profile()
        switches = [r for r in registry.audit(name) if r.action in ("promote", "rollback")]
        assert len(switches) == state.generation
        assert [r.generation for r in switches] == list(range(1, state.generation + 1))
        if switches:
            assert switches[-1].to_version == state.version
        registers = [r.to_version for r in registry.audit(name) if r.action == "register"]
        assert registers == [v.version for v in versions]
    leftovers = sum(
        1
        for folder in root.iterdir()
        if folder.is_dir()
        for entry in folder.iterdir()
        if is_temp_dir(entry.name)
        or (entry.name.isdigit() and not _registered(registry, folder.name, int(entry.name)))
    )
    return n_versions, leftovers


def _registered(registry: Registry, name: str, version: int) -> bool:
    return name in registry.names() and version <= len(registry.versions(name))


@pytest.mark.slow
def test_sigkill_at_random_moments_never_breaks_the_registry(tmp_path: Path) -> None:
    root, log = tmp_path / "reg", tmp_path / "ops.log"
    rng = random.Random(SEED)
    with open(tmp_path / "worker.err", "w") as err:
        zygote = subprocess.Popen(
            [sys.executable, str(WORKER), str(root), str(log)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            cwd=REPO,
        )
    assert zygote.stdin is not None
    assert zygote.stdout is not None

    def ask(command: str) -> int:
        assert zygote.stdin is not None
        assert zygote.stdout is not None
        zygote.stdin.write(command + "\n")
        zygote.stdin.flush()
        answer = zygote.stdout.readline()
        assert answer, (tmp_path / "worker.err").read_text()
        return int(answer)

    started = time.monotonic()
    try:
        assert zygote.stdout.readline().strip() == "ready", (tmp_path / "worker.err").read_text()
        counts, mid_operation, with_leftovers = [], 0, 0
        for kill in range(N_KILLS):
            pid = ask(f"fork {SEED + kill}")
            time.sleep(rng.uniform(0.005, 0.150))
            os.kill(pid, signal.SIGKILL)
            status = ask(f"reap {pid}")
            assert os.WIFSIGNALED(status), (tmp_path / "worker.err").read_text()
            assert os.WTERMSIG(status) == signal.SIGKILL
            lines = log.read_text().splitlines() if log.exists() else []
            mid_operation += bool(lines) and lines[-1].startswith("begin")
            n_versions, leftovers = _check(root)
            with_leftovers += leftovers > 0
            counts.append(n_versions)
    finally:
        if zygote.stdin is not None:
            zygote.stdin.close()
        zygote.wait(timeout=30)
    elapsed = time.monotonic() - started
    # the loop made progress: never lost a version, and gained versions across the kills
    # (thresholds leave room for a busy machine: unloaded runs reach about 100 versions)
    assert counts == sorted(counts)
    assert counts[-1] >= N_KILLS // 6, counts
    assert sum(b > a for a, b in itertools.pairwise(counts)) >= N_KILLS // 10, counts
    # the kills really landed inside operations
    assert mid_operation >= N_KILLS // 4, (mid_operation, counts)
    # whatever the crashes left behind, the next writer tidies up and carries on
    registry = Registry(root)
    profile = ReferenceProfile(n_resamples=20).fit({"x": np.arange(200.0)})
    draft = CheckpointDraft({"model.bin": b"final"}, {}, {}, {}, profile, "# final", "none")
    for name in registry.names():
        version = registry.register(name, draft, actor="test")
        registry.promote(name, version, actor="test")
        assert registry.open(name).file_bytes("model.bin") == b"final"
    registry.sweep()
    assert _check(root) == (counts[-1] + len(registry.names()), 0)
    print(
        f"\n{N_KILLS} kills in {elapsed:.1f} s: {counts[-1]} versions, "
        f"{mid_operation} kills mid-operation, {with_leftovers} left orphan/temp directories"
    )
