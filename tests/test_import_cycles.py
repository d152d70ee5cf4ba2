"""No import cycles among the modules of driftguard, driftguard_service and benchmarks.

The import graph comes from grimp, which also records imports made inside functions: a
function-level import can no longer hide a cycle. Imports under ``if TYPE_CHECKING:`` are left
out (they never run). A package's ``__init__`` is a module like any other, so a submodule that
imports its own package (``from driftguard.adversarial import X`` inside a module that
``driftguard/adversarial/__init__.py`` imports) closes a cycle and fails here.

Function-level imports of driftguard modules inside ``driftguard/`` are listed by an AST walk
and each must be in :data:`FUNCTION_LEVEL_IMPORTS` with its reason: such an import is for
laziness (torch, scipy or a command's modules load only when needed), never to dodge a cycle.
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterable, Mapping
from pathlib import Path

import grimp
import pytest

REPO = Path(__file__).resolve().parents[1]

PACKAGES = ("driftguard", "driftguard_service", "benchmarks")

#: ``(importing module, imported module)`` of every function-level ``import driftguard...`` /
#: ``from driftguard... import`` inside ``driftguard/``, and why it is not at the top.
FUNCTION_LEVEL_IMPORTS: dict[tuple[str, str], str] = {
    ("driftguard.checkpoint.folder", "driftguard.drift.profile"): (
        "lazy: keeps numpy and scipy out of `import driftguard.checkpoint` and the registry; "
        "only a draft's isinstance check needs the class"
    ),
    ("driftguard.checkpoint.folder", "driftguard.drift.profile_io"): (
        "lazy: keeps numpy and scipy out of `import driftguard.checkpoint` and the registry "
        "until a profile is read or written"
    ),
    ("driftguard.cli.audit", "driftguard.audit"): (
        "lazy: the audit screens load only when `driftguard audit-data` runs"
    ),
    ("driftguard.cli.audit", "driftguard.errors"): (
        "not needed (a light leaf the module already imports at the top); grouped with the "
        "command's lazy import of driftguard.audit"
    ),
    ("driftguard.cli.demo.story", "driftguard.training.defenses"): (
        "lazy: the training stack loads only when the demo trains its models"
    ),
    ("driftguard.cli.demo.story", "driftguard.training.pipeline"): (
        "lazy: the training stack loads only when the demo trains its models"
    ),
    ("driftguard.cli.demo.traffic", "driftguard.adversarial.attacks"): (
        "lazy: keeps torch out of the demo until the adversarial burst runs"
    ),
    ("driftguard.cli.demo.traffic", "driftguard.registry"): (
        "lazy: only the adversarial burst reads the registry (the other attacks speak HTTP only)"
    ),
    ("driftguard.cli.demo.traffic", "driftguard.training.predictor"): (
        "lazy: only the adversarial burst loads the served model"
    ),
    ("driftguard.cli.main", "driftguard.cli.demo.drift_only"): (
        "lazy: the drift-only demo loads only for `driftguard demo --drift-only`"
    ),
    ("driftguard.cli.main", "driftguard.cli.demo.story"): (
        "lazy: the demo (registry, traffic, service start) loads only for `driftguard demo`"
    ),
    ("driftguard.cli.models", "driftguard.registry"): (
        "lazy: the registry (sqlite3) loads only when a `driftguard models` action runs"
    ),
    ("driftguard.cli.report_data", "driftguard.registry"): (
        "lazy: the registry (sqlite3) loads only when `driftguard report` reads a checkpoint"
    ),
    ("driftguard.cli.train", "driftguard.audit.gate"): (
        "lazy: the audit gate loads only when `driftguard train` runs"
    ),
    ("driftguard.cli.train", "driftguard.errors"): (
        "not needed (a light leaf); grouped with the lazy import of the training pipeline"
    ),
    ("driftguard.cli.train", "driftguard.registry"): (
        "lazy: the registry (sqlite3) loads only when `driftguard train` runs"
    ),
    ("driftguard.cli.train", "driftguard.training.defenses"): (
        "lazy: the training stack loads only when `driftguard train` runs"
    ),
    ("driftguard.cli.train", "driftguard.training.pipeline"): (
        "lazy: the training stack loads only when `driftguard train` runs"
    ),
    ("driftguard.training.pipeline", "driftguard.training.config"): (
        "branch-local: only the torch path reads the torch config (a light module), next to "
        "the lazy torch trainer import"
    ),
    ("driftguard.training.pipeline", "driftguard.training.sklearn_trainer"): (
        "branch-local: only scikit-learn models need the trainer (the module is light; "
        "sklearn and skops load inside it)"
    ),
    ("driftguard.training.pipeline", "driftguard.training.torch_trainer"): (
        "lazy: keeps torch and safetensors out of `import driftguard.training.pipeline`"
    ),
    ("driftguard.training.predictor", "driftguard.training.config"): (
        "branch-local: only torch checkpoints read the torch config (a light module), next to "
        "the lazy torch model import"
    ),
    ("driftguard.training.predictor", "driftguard.training.sklearn_trainer"): (
        "branch-local: only scikit-learn checkpoints need the loader (the module is light; "
        "skops loads inside it)"
    ),
    ("driftguard.training.predictor", "driftguard.training.torch_models"): (
        "lazy: keeps torch and safetensors out of `import driftguard.training.predictor`"
    ),
}


# ---- the cycle finder -----------------------------------------------------------------------


def strongly_connected(edges: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components of ``edges`` that are cycles, each sorted.

    A component is a cycle when it has two or more modules, or one module importing itself.
    Iterative, so deep import chains cannot hit the recursion limit.
    """
    nodes = sorted(set(edges) | {w for targets in edges.values() for w in targets})
    succ = {v: sorted(edges.get(v, ())) for v in nodes}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    for root in nodes:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            v, i = work.pop()
            if i == 0:
                index[v] = low[v] = len(index)
                stack.append(v)
                on_stack.add(v)
            if i < len(succ[v]):
                work.append((v, i + 1))
                w = succ[v][i]
                if w not in index:
                    work.append((w, 0))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            if low[v] == index[v]:
                component = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    component.append(w)
                    if w == v:
                        break
                if len(component) > 1 or v in succ[v]:
                    cycles.append(sorted(component))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
    return sorted(cycles)


def import_cycles(graph: grimp.ImportGraph, packages: Iterable[str]) -> list[list[str]]:
    """The import cycles among the modules of ``packages`` (edges leaving them are ignored)."""
    roots = tuple(packages)

    def inside(module: str) -> bool:
        return any(module == r or module.startswith(r + ".") for r in roots)

    modules = {m for m in graph.modules if inside(m)}
    edges = {m: graph.find_modules_directly_imported_by(m) & modules for m in modules}
    return strongly_connected(edges)


def build_graph(*packages: str) -> grimp.ImportGraph:
    return grimp.build_graph(*packages, exclude_type_checking_imports=True, cache_dir=None)


def describe(cycles: list[list[str]], graph: grimp.ImportGraph) -> str:
    """One block per cycle: its modules and the imports between them, with line numbers."""
    blocks = []
    for cycle in cycles:
        members = set(cycle)
        lines = [f"cycle of {len(cycle)} modules: {', '.join(cycle)}"]
        for module in cycle:
            for target in sorted(graph.find_modules_directly_imported_by(module) & members):
                for detail in graph.get_import_details(importer=module, imported=target):
                    lines.append(
                        f"    {module} -> {target}  (line {detail['line_number']}: "
                        f"{detail['line_contents']})"
                    )
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


# ---- function-level imports -----------------------------------------------------------------


def module_name(path: Path, source_root: Path) -> str:
    parts = list(path.relative_to(source_root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def function_level_imports(
    package_dir: Path, source_root: Path, package: str
) -> dict[tuple[str, str], list[int]]:
    """``(importer, imported) -> line numbers`` of imports of ``package`` inside functions.

    ``imported`` is the module named by ``import X`` or ``from X import ...`` (relative imports
    resolved); imports at module or class level and under ``if TYPE_CHECKING:`` at module
    level are not function-level.
    """
    found: dict[tuple[str, str], list[int]] = {}
    for path in sorted(package_dir.rglob("*.py")):
        importer = module_name(path, source_root)
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):  # nested functions are walked twice: lines are a set
                if not isinstance(node, ast.Import | ast.ImportFrom):
                    continue
                for imported in _imported_modules(node, importer, is_package):
                    if imported == package or imported.startswith(package + "."):
                        found.setdefault((importer, imported), []).append(node.lineno)
    return {key: sorted(set(lines)) for key, lines in found.items()}


def _imported_modules(
    node: ast.Import | ast.ImportFrom, importer: str, is_package: bool
) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not node.level:
        return [node.module or ""]
    base = importer.split(".")
    drop = node.level - 1 if is_package else node.level
    base = base[: len(base) - drop] if drop else base
    return [".".join([*base, *([node.module] if node.module else [])])]


# ---- the tests ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return build_graph(*PACKAGES)


@pytest.mark.parametrize(
    "packages",
    [("driftguard",), ("driftguard_service",), ("benchmarks",), PACKAGES],
    ids=["driftguard", "driftguard_service", "benchmarks", "across-packages"],
)
def test_no_import_cycles(graph: grimp.ImportGraph, packages: tuple[str, ...]) -> None:
    cycles = import_cycles(graph, packages)
    assert cycles == [], (
        f"import cycles in {', '.join(packages)} (function-level imports count too):\n"
        + describe(cycles, graph)
    )


def test_cycle_finder_reports_a_planted_cycle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pkg = "dg_planted_cycle_probe"
    files = {
        # the package imports a submodule that imports the package back: a cycle via __init__
        "__init__.py": f"from {pkg}.d import VALUE\n",
        "d.py": f"VALUE = 1\n\ndef again():\n    from {pkg} import VALUE\n    return VALUE\n",
        # a <-> b, hidden behind a function-level import in a
        "a.py": f"def f():\n    from {pkg}.b import g\n    return g\n",
        "b.py": f"from {pkg}.a import f\n\ndef g():\n    return f\n",
        # c imports into the cycle but is not part of it
        "c.py": f"import {pkg}.a\n",
        # an import under TYPE_CHECKING never runs: no cycle
        "e.py": (
            f"from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from {pkg}.f import F\n"
        ),
        "f.py": f"from {pkg}.e import TYPE_CHECKING\nF = 1\n",
    }
    root = tmp_path / pkg
    root.mkdir()
    for name, text in files.items():
        (root / name).write_text(textwrap.dedent(text), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))

    planted = build_graph(pkg)
    cycles = import_cycles(planted, [pkg])
    assert cycles == [[pkg, f"{pkg}.d"], [f"{pkg}.a", f"{pkg}.b"]]
    text = describe(cycles, planted)
    assert f"{pkg}.a -> {pkg}.b  (line 2: from {pkg}.b import g)" in text

    assert function_level_imports(root, tmp_path, pkg) == {
        (f"{pkg}.a", f"{pkg}.b"): [2],
        (f"{pkg}.d", pkg): [4],
    }


def test_strongly_connected_on_plain_edges() -> None:
    edges = {"x": ["y"], "y": ["z"], "z": ["x"], "w": ["w", "x"], "v": []}
    assert strongly_connected(edges) == [["w"], ["x", "y", "z"]]
    assert strongly_connected({"a": ["b"], "b": []}) == []


def test_function_level_imports_are_listed_with_a_reason() -> None:
    found = function_level_imports(REPO / "driftguard", REPO, "driftguard")
    unlisted = {
        f"{importer} -> {imported} (lines {lines})"
        for (importer, imported), lines in found.items()
        if (importer, imported) not in FUNCTION_LEVEL_IMPORTS
    }
    assert not unlisted, (
        "function-level imports of driftguard modules without a reason; import at the top of "
        "the module, or add them to FUNCTION_LEVEL_IMPORTS with why they must be lazy (never "
        "to dodge a cycle: fix the cycle):\n  " + "\n  ".join(sorted(unlisted))
    )
    stale = sorted(set(FUNCTION_LEVEL_IMPORTS) - set(found))
    assert not stale, f"FUNCTION_LEVEL_IMPORTS lists imports that are gone: {stale}"
    assert all(reason.strip() for reason in FUNCTION_LEVEL_IMPORTS.values())
