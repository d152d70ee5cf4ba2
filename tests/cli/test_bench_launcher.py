"""``driftguard bench``: a thin launcher for the benchmarks of a checkout."""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

import pytest

from driftguard.cli import bench
from driftguard.cli.main import main


def test_forwards_the_options_to_the_benchmark(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []
    fake = ModuleType("benchmarks.drift.__main__")
    fake.main = lambda argv: seen.append(list(argv)) or 7  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "benchmarks.drift.__main__", fake)
    assert main(["bench", "drift", "--rows", "2000", "--repeat", "1"]) == 7
    assert seen == [["--rows", "2000", "--repeat", "1"]]


def test_outside_a_checkout_it_says_where_the_benchmarks_are(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def missing(name: str) -> ModuleType:
        raise ModuleNotFoundError(f"No module named {name!r}", name="benchmarks")

    monkeypatch.setattr(importlib, "import_module", missing)
    assert main(["bench", "serve"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("driftguard: error: the benchmarks are not installed")
    assert "python -m benchmarks.serve" in err
    assert len(err.splitlines()) == 1


def test_other_import_errors_are_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(name: str) -> ModuleType:
        raise ModuleNotFoundError("No module named 'evidently'", name="evidently")

    monkeypatch.setattr(importlib, "import_module", broken)
    with pytest.raises(ModuleNotFoundError, match="evidently"):
        main(["bench", "drift"])


def test_every_suite_has_a_main_in_the_checkout() -> None:
    for suite in bench.SUITES:
        module = importlib.import_module(f"benchmarks.{suite}.__main__")
        assert callable(module.main)
        with pytest.raises(SystemExit) as exit_info:
            module.main(["--help"])
        assert exit_info.value.code == 0
