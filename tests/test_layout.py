"""The shape of the tree: packages follow the data path and the tests mirror them.

- Only ``errors.py``, ``types.py`` and ``__init__.py`` sit flat under ``driftguard/``; every
  other module lives in a package named for its step of the data path.
- Every folder of ``tests/`` is named after a package of ``driftguard/`` or is one of the few
  cross-cutting folders (the in-process service, end-to-end runs, benchmarks, packaging).
- Test file names are unique across ``tests/`` (the folders have no ``__init__.py``, so pytest
  imports each test module by its base name).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "driftguard"
TESTS = ROOT / "tests"
CROSS_CUTTING = {"services", "e2e", "benchmarks", "packaging"}
IGNORED = {"__pycache__", "test-artifacts"}


def _packages() -> set[str]:
    return {p.parent.name for p in PACKAGE.glob("*/__init__.py")}


def test_only_errors_types_and_init_are_flat() -> None:
    flat = {p.name for p in PACKAGE.glob("*.py")}
    assert flat == {"__init__.py", "errors.py", "types.py"}


def test_every_package_has_a_docstring_saying_what_it_owns() -> None:
    for init in sorted(PACKAGE.glob("*/__init__.py")):
        text = init.read_text(encoding="utf-8").lstrip()
        assert text.startswith(('"""', 'r"""')), f"{init.relative_to(ROOT)} has no docstring"


def test_test_folders_mirror_the_packages() -> None:
    folders = {p.name for p in TESTS.iterdir() if p.is_dir() and p.name not in IGNORED}
    unknown = folders - _packages() - CROSS_CUTTING
    assert not unknown, f"tests/ folders that match no driftguard package: {sorted(unknown)}"
    assert (TESTS / "drift").is_dir()
    assert (TESTS / "serving").is_dir()


def test_no_test_module_lies_flat_but_the_cross_cutting_ones() -> None:
    flat = {p.name for p in TESTS.glob("test_*.py")}
    assert flat <= {
        "test_front_door.py",
        "test_import_cycles.py",
        "test_import_light.py",
        "test_layout.py",
        "test_readme.py",
    }


def test_test_file_names_are_unique() -> None:
    names = Counter(
        p.name
        for p in TESTS.rglob("*.py")
        if not set(p.parts) & IGNORED and p.name != "__init__.py"
    )
    assert [n for n, count in names.items() if count > 1] == []
