"""``driftguard bench serve``: option errors, server processes, answers, and a short real run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.serve.model import predicted_classes
from benchmarks.serve.servers import free_port, http_call, serving
from driftguard.cli.main import main
from driftguard.errors import ModelUnavailableError

CLI = (sys.executable, "-m", "driftguard.cli.main", "bench", "serve", "--json")


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--duration", "0"),
        ("--warmup", "-1"),
        ("--connections", "0"),
        ("--rows-per-request", "0"),
        ("--repeat", "0"),
    ],
)
def test_bad_options_print_one_line(
    capsys: pytest.CaptureFixture[str], flag: str, value: str
) -> None:
    assert main(["bench", "serve", "--skip-mlserver", flag, value]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("driftguard: error: " + flag), err
    assert len(err.splitlines()) == 1


def test_reads_probabilities_or_labels() -> None:
    probabilities = {"outputs": [{"name": "p", "data": [0.2, 0.8, 0.7, 0.3]}]}
    labels = {"outputs": [{"name": "label", "data": ["1", "0"]}]}
    both = {"outputs": [labels["outputs"][0], probabilities["outputs"][0]]}
    assert predicted_classes(probabilities, 2, 2) == [1, 0]
    assert predicted_classes(labels, 2, 2) == [1, 0]
    assert predicted_classes(both, 2, 2) == [1, 0]
    assert predicted_classes({"outputs": [{"data": ["yes", "no"]}]}, 2, 2) is None
    assert predicted_classes({"error": "bad"}, 2, 2) is None


def test_serving_waits_for_ready_and_stops(tmp_path: Path) -> None:
    port = free_port()
    command = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    (tmp_path / "ready").write_text("ok")
    log = tmp_path / "server.log"
    with serving(
        "http.server", command, port=port, ready_path="/ready", log=log, cwd=tmp_path
    ) as p:
        assert http_call(port, "GET", "/ready") == (200, b"ok")
    assert p.returncode is not None
    with pytest.raises(ConnectionRefusedError):
        http_call(port, "GET", "/ready", timeout=1.0)


def test_serving_reports_an_early_exit(tmp_path: Path) -> None:
    command = [sys.executable, "-c", "import sys; print('no model here'); sys.exit(3)"]
    log = tmp_path / "server.log"
    with (
        pytest.raises(ModelUnavailableError, match=r"status 3(.|\n)*no model here"),
        serving("fake", command, port=free_port(), ready_path="/", log=log),
    ):
        pass


@pytest.mark.slow
def test_short_run_against_driftguard_serve() -> None:
    proc = subprocess.run(
        [*CLI, "--skip-mlserver", "--duration", "0.5", "--warmup", "0.2", "--connections", "4"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    found = json.loads(proc.stdout)
    servers = {row["key"]: row for row in found["servers"]}
    assert set(servers) == {"driftguard_monitoring_on", "driftguard_monitoring_off"}
    for row in servers.values():
        assert row["requests"] > 0
        assert row["errors"] == 0
        assert row["classes_agree"] == "569/569"
        assert row["p50_ms"] <= row["p99_ms"]
    assert "monitoring_cost_pct" in found
