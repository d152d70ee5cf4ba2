"""The built wheel: the library and the service under driftguard-owned names, nothing else.

Benchmarks, the load generator, the MLServer installer and the tests stay in the checkout; the
FastAPI app ships as ``driftguard_service`` (never a bare top-level ``services``), with the
dashboard's static files. The wheel is built from this checkout with ``python -m build
--no-isolation`` (hatchling comes with the dev group), then installed with ``--no-deps`` into
a folder and imported from there.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEV_ONLY = ("bench", "loadgen", "mlserver")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("driftguard-*.whl")
    return built


@pytest.fixture(scope="module")
def names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def test_top_level_names_are_driftguard_owned(names: list[str]) -> None:
    top = {name.split("/")[0] for name in names}
    dist_info = {t for t in top if t.endswith(".dist-info")}
    assert len(dist_info) == 1
    assert top - dist_info == {"driftguard", "driftguard_service"}


def test_no_benchmark_loadgen_or_mlserver_module(names: list[str]) -> None:
    modules = [n for n in names if n.endswith(".py")]
    dev_only = [n for n in modules if any(word in Path(n).name for word in DEV_ONLY)]
    # `driftguard bench` stays as a thin launcher that points at a checkout; nothing else.
    assert dev_only == ["driftguard/cli/bench.py"]
    assert not [n for n in names if n.startswith(("services/", "benchmarks/", "tests/"))]


def test_launcher_is_thin(names: list[str], wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        launcher = archive.read("driftguard/cli/bench.py").decode()
    assert "import_module" in launcher
    assert len(launcher.splitlines()) < 100


def test_service_ships_with_its_assets(names: list[str]) -> None:
    for name in ("app.py", "routers/inference.py", "static/dashboard/index.html"):
        assert f"driftguard_service/{name}" in names


def test_installed_wheel_imports_and_runs(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
         str(wheel)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    code = (
        "import driftguard, driftguard_service.app as app, driftguard.cli.main as m;"
        "print(driftguard.__file__); print(app.__file__); print(m.build_parser().prog)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    lines = done.stdout.splitlines()
    assert lines[0].startswith(str(target)), done.stderr
    assert lines[1].startswith(str(target)), done.stderr
    assert lines[2] == "driftguard"
