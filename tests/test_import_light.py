"""Importing driftguard stays light: no deep-learning, web, reporting or pandas stack.

The one home of the light-import checks. Each entry point runs in a fresh interpreter
(``sys.executable -c ...``) so that modules other tests imported into this process cannot hide
a heavy import; the probe reports which step first pulled each forbidden package in.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import driftguard

REPO = Path(__file__).resolve().parents[1]

#: Never imported by the library's light entry points.
HEAVY = frozenset({"torch", "fastapi", "prometheus_client", "evidently", "pandas", "sklearn"})
#: The numeric stack: not needed by the bare package, the registry or checkpoint folders.
NUMERIC = frozenset({"numpy", "scipy"})
#: Model codecs: the registry and checkpoints get model bytes, never (un)pickle or decode them.
CODECS = frozenset({"pickle", "skops", "safetensors"})

#: Names of ``driftguard.__all__`` that need torch or the web framework by nature (none today:
#: torch is imported only when a torch model is trained or loaded, not by the names).
NEEDS_HEAVY: frozenset[str] = frozenset()

CORE = (
    "driftguard",
    "driftguard.errors",
    "driftguard.types",
    "driftguard.schema.features",
    "driftguard.drift.binning",
    "driftguard.drift.window",
    "driftguard.drift.scores",
    "driftguard.drift.nulls",
    "driftguard.drift.profile",
    "driftguard.drift.profile_io",
    "driftguard.drift.check",
    "driftguard.stats",
    "driftguard.cli.main",
)

LIGHT_TRAINING = (
    "driftguard.training",
    "driftguard.training.metrics",
    "driftguard.training.temperature",
    "driftguard.training.encoding",
    "driftguard.training.config",
)


@dataclass(frozen=True)
class Entry:
    """Modules to import in order, then names of ``driftguard`` to touch, and what is banned."""

    modules: tuple[str, ...]
    forbidden: frozenset[str] = HEAVY
    names: tuple[str, ...] = ()


def _touched_names() -> tuple[str, ...]:
    return tuple(n for n in driftguard.__all__ if n not in NEEDS_HEAVY)


ENTRIES = {
    # the bare package: no submodule at all (names load lazily), not even numpy
    "import driftguard": Entry(("driftguard",), HEAVY | NUMERIC | CODECS),
    # every name of the front door, each loading only its own module
    "driftguard.<every name>": Entry(("driftguard",), HEAVY, _touched_names()),
    "core modules": Entry(CORE),
    "driftguard.drift": Entry(("driftguard.drift",)),
    "driftguard.schema": Entry(("driftguard.schema",)),
    "driftguard.stats": Entry(("driftguard.stats",)),
    "driftguard.checkpoint": Entry(("driftguard.checkpoint",), HEAVY | CODECS),
    "driftguard.registry": Entry(
        ("driftguard.registry", "driftguard.checkpoint.folder"), HEAVY | NUMERIC | CODECS
    ),
    "driftguard.training (light modules)": Entry(LIGHT_TRAINING, HEAVY | {"skops", "safetensors"}),
    "driftguard.policy": Entry(("driftguard.policy",)),
    "driftguard.metrics": Entry(("driftguard.metrics",)),
    "driftguard.monitor": Entry(("driftguard.monitor",)),
    "driftguard.serving": Entry(("driftguard.serving",)),
    "driftguard.guard": Entry(("driftguard.guard",)),
    "driftguard.reports": Entry(("driftguard.reports",)),
}

# Runs the steps one by one and records, for each, the forbidden top-level packages that
# appeared in sys.modules right after it; prints the result as JSON.
PROBE = """
import importlib, json, sys
forbidden = set(json.loads(sys.argv[1]))
def found():
    return {name.split(".")[0] for name in sys.modules} & forbidden
before = set(sys.modules)
pulled = {}
already = found()
steps = [("import " + m, m, None) for m in json.loads(sys.argv[2])]
steps += [("driftguard." + n, "driftguard", n) for n in json.loads(sys.argv[3])]
for label, module, name in steps:
    loaded = importlib.import_module(module)
    if name is not None:
        getattr(loaded, name)
    new = sorted(found() - already)
    if new:
        pulled[label] = new
        already |= set(new)
print(json.dumps({
    "forbidden": sorted(found()),
    "pulled": pulled,
    "new_modules": sorted(set(sys.modules) - before),
}))
"""


def probe(entry: Entry) -> dict[str, Any]:
    """Run one entry point's probe in a fresh interpreter."""
    args = [json.dumps(sorted(entry.forbidden)), json.dumps(entry.modules)]
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args, json.dumps(entry.names)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


@pytest.fixture(scope="module")
def probes() -> dict[str, dict[str, Any]]:
    """Every entry point's probe, one interpreter per CPU at a time (each is ~1 s of imports)."""
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return dict(zip(ENTRIES, pool.map(probe, ENTRIES.values()), strict=True))


@pytest.mark.parametrize("label", ENTRIES)
def test_entry_point_imports_nothing_heavy(label: str, probes: dict[str, dict[str, Any]]) -> None:
    entry, result = ENTRIES[label], probes[label]
    assert result["forbidden"] == [], (
        f"forbidden modules imported: {result['forbidden']}; first pulled in by: {result['pulled']}"
    )
    # every listed module was really imported by the probe (none came in before it)
    new = set(result["new_modules"])
    assert {m for m in entry.modules if m in new} == set(entry.modules)


def test_import_driftguard_alone_imports_no_submodule(probes: dict[str, dict[str, Any]]) -> None:
    result = probes["import driftguard"]
    submodules = sorted(m for m in result["new_modules"] if m.startswith("driftguard."))
    assert submodules == [], f"`import driftguard` imported submodules: {submodules}"


def test_every_front_door_name_is_touched_unless_it_needs_heavy_by_nature() -> None:
    assert set(NEEDS_HEAVY) <= set(driftguard.__all__)
    assert set(ENTRIES["driftguard.<every name>"].names) == set(driftguard.__all__) - NEEDS_HEAVY
