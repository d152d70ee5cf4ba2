"""Importing driftguard's core stays light: no deep-learning, web, reporting or pandas stack.

Each check runs in a fresh interpreter (``sys.executable -c ...``) so that modules other tests
imported into this process cannot hide a heavy import.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]

HEAVY = ("torch", "fastapi", "prometheus_client", "evidently", "pandas", "sklearn")

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

# Imports the given modules one by one and records, for each, the heavy top-level packages
# that appeared in sys.modules right after it; prints the result as JSON.
PROBE = """
import importlib, json, sys
heavy = set(json.loads(sys.argv[1]))
def found():
    return {name.split(".")[0] for name in sys.modules} & heavy
before = set(sys.modules)
pulled = {}
already = found()
for module in json.loads(sys.argv[2]):
    importlib.import_module(module)
    new = sorted(found() - already)
    if new:
        pulled[module] = new
        already |= set(new)
print(json.dumps({
    "heavy": sorted(found()),
    "pulled": pulled,
    "new_modules": sorted(set(sys.modules) - before),
}))
"""


def probe(modules: tuple[str, ...]) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(HEAVY), json.dumps(modules)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def test_core_modules_import_no_heavy_dependency() -> None:
    result = probe(CORE)
    found = set(result["heavy"])
    assert found == set(), (
        f"heavy modules imported by the core: {sorted(found)}; "
        f"first pulled in by: {result['pulled']}"
    )
    assert {m for m in CORE if m in result["new_modules"]} == set(CORE)


def _init_imports() -> set[str]:
    """The driftguard submodules that ``driftguard/__init__.py`` itself imports."""
    tree = ast.parse((REPO / "driftguard" / "__init__.py").read_text(encoding="utf-8"))
    named: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            named |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module != "__future__":
            base = "driftguard." * node.level + (node.module or "")
            named.add(base.rstrip("."))
            named |= {f"{base.rstrip('.')}.{alias.name}" for alias in node.names}
    return {n for n in named if n.startswith("driftguard.")}


def test_import_driftguard_alone_is_light() -> None:
    allowed = _init_imports()  # today: empty, __init__ holds only a docstring
    result = probe(("driftguard",))
    new = set(result["new_modules"])
    assert set(result["heavy"]) == set(), f"heavy modules after `import driftguard`: {result}"
    submodules = sorted(m for m in new if m.startswith("driftguard.") and m not in allowed)
    assert submodules == [], f"`import driftguard` imported submodules: {submodules}"
    if "driftguard.drift.profile" not in allowed:
        assert "driftguard.drift.profile" not in new
    if not allowed:
        # the bare package needs neither numpy nor scipy
        numeric = sorted({m.split(".")[0] for m in new} & {"numpy", "scipy"})
        assert numeric == [], f"`import driftguard` imported {numeric}"
