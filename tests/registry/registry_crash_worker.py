"""Worker for test_registry_crash.py: a zygote that forks registry writers to be killed.

Run as ``python registry_crash_worker.py ROOT LOG``. It imports driftguard and fits a tiny
profile once, prints ``ready``, then answers commands on stdin, one per line:

* ``fork SEED``: fork a writer that loops register / promote / rollback / mark_known_good /
  quarantine on ROOT forever (appending ``begin OP`` and ``end OP`` lines to LOG with unbuffered
  writes); print its pid. The parent SIGKILLs it whenever it likes.
* ``reap PID``: wait for that writer and print its raw wait status.
* ``quit``: exit.

Forking from a warm process makes each writer start in microseconds, so the kills land in the
middle of registry operations rather than during interpreter start-up.
"""

from __future__ import annotations

import contextlib
import os
import random
import sys
import traceback

import numpy as np

from driftguard.checkpoint.folder import CheckpointDraft
from driftguard.drift.profile import ReferenceProfile
from driftguard.errors import RegistryError
from driftguard.registry import Registry, Status

NAMES = ("alpha", "beta")


def _writer(root: str, log_path: str, seed: int, profile: ReferenceProfile) -> None:
    rng = random.Random(seed)
    log = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def step(op: str, name: str) -> None:
        os.write(log, f"begin {op} {name}\n".encode())
        with contextlib.suppress(RegistryError):  # no rollback target, quarantined: expected
            run(op, name)
        os.write(log, f"end {op} {name}\n".encode())

    registry = Registry(root)

    def run(op: str, name: str) -> None:
        if op == "register":
            draft = CheckpointDraft(
                files={"model.bin": rng.randbytes(rng.randint(1_000, 64_000))},
                config={"seed": seed},
                metrics={"test": {"accuracy": rng.random()}},
                fingerprints={"n_rows": 200},
                profile=profile,
                model_card=f"# {name}\n",
                framework="none",
            )
            version = registry.register(name, draft, actor=f"writer-{seed}")
            if rng.random() < 0.8:
                registry.promote(name, version, actor=f"writer-{seed}", reason="loop")
        elif op == "rollback":
            registry.rollback(name, actor=f"writer-{seed}", reason="loop", evidence={"seed": seed})
        else:
            versions = registry.versions(name)
            version = rng.choice(versions).version
            if op == "quarantine" and version != registry.active(name).version:
                registry.quarantine(name, version, actor=f"writer-{seed}")
            elif op == "mark_known_good" and versions[version - 1].status is Status.NONE:
                registry.mark_known_good(name, version, actor=f"writer-{seed}")

    ops = ["register"] * 6 + ["rollback"] * 3 + ["mark_known_good", "quarantine"]
    while True:
        name = rng.choice(NAMES)
        op = rng.choice(ops)
        if op != "register" and name not in registry.names():
            op = "register"
        step(op, name)


def main() -> None:
    """Serve ``fork`` / ``reap`` / ``quit`` commands until stdin closes."""
    root, log_path = sys.argv[1], sys.argv[2]
    profile = ReferenceProfile(n_resamples=20).fit({"x": np.arange(200.0)})
    print("ready", flush=True)
    for line in sys.stdin:
        command, *args = line.split()
        if command == "fork":
            pid = os.fork()
            if pid == 0:
                code = 0
                try:
                    _writer(root, log_path, int(args[0]), profile)
                except BaseException:
                    traceback.print_exc()
                    code = 1
                finally:
                    os._exit(code or 1)
            print(pid, flush=True)
        elif command == "reap":
            _, status = os.waitpid(int(args[0]), 0)
            print(status, flush=True)
        else:
            break


if __name__ == "__main__":
    main()
