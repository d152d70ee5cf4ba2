"""Start and stop real Prometheus and Alertmanager processes on 127.0.0.1 for the tests.

The shipped files in ``dashboards/`` are used as they are, with only what a test must change:
targets and ports (free ones of 127.0.0.1), the admin token file, and timers (``for:``,
``keep_firing_for:``, scrape, evaluation and Alertmanager's group timers) shortened from
minutes to seconds. Expressions, labels and routes stay those of the shipped files.

Every process runs in its own session and is stopped (SIGTERM, then SIGKILL) by
:meth:`Processes.stop_all`, which the fixtures call whatever the test did.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml
from live_server import free_port

ROOT = Path(__file__).resolve().parents[1]
DASHBOARDS = ROOT / "dashboards"
RULES = sorted((DASHBOARDS / "prometheus" / "rules").glob("*.yml"))
ALERTMANAGER_CONFIG = DASHBOARDS / "alertmanager" / "alertmanager.yml"
READY_TIMEOUT_S = 60.0


def binary(name: str) -> str:
    """The path of a Debian-packaged program, installing the packages once when missing."""
    found = shutil.which(name)
    if found is None:
        subprocess.run(["bash", str(ROOT / ".ci" / "debian-packages")], check=False)
        found = shutil.which(name)
    if found is None:
        raise AssertionError(
            f"{name} is not installed and .ci/debian-packages could not install it "
            "(apt-get install prometheus prometheus-alertmanager)"
        )
    return found


def fast_rules(target: Path, for_s: str = "2s", keep_firing_s: str = "20s") -> list[Path]:
    """Copies of the shipped rule files with every ``for``/``keep_firing_for`` shortened."""
    target.mkdir(parents=True, exist_ok=True)
    out = []
    for path in RULES:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for group in doc["groups"]:
            group["interval"] = "1s"
            for rule in group["rules"]:
                if "for" in rule:
                    rule["for"] = for_s
                if "keep_firing_for" in rule:
                    rule["keep_firing_for"] = keep_firing_s
        copy = target / path.name
        copy.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        out.append(copy)
    return out


@dataclass
class Process:
    """One started program, its URL and its log file."""

    name: str
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def output(self) -> str:
        """What the program wrote so far."""
        return self.log.read_text(encoding="utf-8", errors="replace")

    def get(self, path: str, **params: Any) -> Any:
        """GET a JSON API path."""
        response = httpx.get(f"{self.url}{path}", params=params, timeout=10.0)
        response.raise_for_status()
        return response.json()

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@dataclass
class Processes:
    """Start Prometheus and Alertmanager; :meth:`stop_all` stops every one started."""

    workdir: Path
    started: list[Process] = field(default_factory=list)

    def _start(self, name: str, command: list[str], port: int) -> Process:
        log = self.workdir / f"{name}.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(
                command,
                stdout=sink,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.workdir,
                start_new_session=True,
            )
        started = Process(name, process, f"http://127.0.0.1:{port}", log)
        self.started.append(started)
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"{name} exited at start:\n{started.output()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{started.url}/-/ready", timeout=2.0).status_code == 200:
                    return started
            time.sleep(0.2)
        raise AssertionError(
            f"{name} not ready within {READY_TIMEOUT_S:.0f} s:\n{started.output()}"
        )

    def alertmanager(self, webhook_url: str, token: str, *, repeat_s: int = 3) -> Process:
        """Alertmanager with the shipped routes, posting to ``webhook_url`` with ``token``."""
        token_file = self.workdir / "admin-token"
        token_file.write_text(token, encoding="utf-8")
        token_file.chmod(0o600)
        doc = yaml.safe_load(ALERTMANAGER_CONFIG.read_text(encoding="utf-8"))
        routes = [doc["route"], *doc["route"].get("routes", [])]
        for route in routes:
            for key, value in (("group_wait", "1s"), ("group_interval", "1s")):
                if key in route or route is doc["route"]:
                    route[key] = value
            if "repeat_interval" in route or route is doc["route"]:
                route["repeat_interval"] = f"{repeat_s}s"
        for receiver in doc["receivers"]:
            for hook in receiver.get("webhook_configs", []):
                hook["url"] = webhook_url
                hook["http_config"]["authorization"]["credentials_file"] = str(token_file)
        config = self.workdir / "alertmanager.yml"
        config.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        port = free_port()
        command = [
            binary("prometheus-alertmanager"),
            f"--config.file={config}",
            f"--storage.path={self.workdir / 'alertmanager-data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            "--log.level=debug",
        ]
        return self._start("alertmanager", command, port)

    def prometheus(self, target: str, alertmanager: str) -> Process:
        """Prometheus scraping ``target`` (host:port) every second with the shipped rules."""
        rules = fast_rules(self.workdir / "rules")
        doc = yaml.safe_load((DASHBOARDS / "prometheus" / "prometheus.yml").read_text("utf-8"))
        doc["global"] = {**doc.get("global", {}), "scrape_interval": "1s",
                         "evaluation_interval": "1s"}  # fmt: skip
        for job in doc["scrape_configs"]:
            job["scrape_interval"] = "1s"
            job["static_configs"] = [{"targets": [target]}]
        doc["rule_files"] = [str(p) for p in rules]
        doc["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": [alertmanager]}]}]}
        config = self.workdir / "prometheus.yml"
        config.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        port = free_port()
        command = [
            binary("prometheus"),
            f"--config.file={config}",
            f"--storage.tsdb.path={self.workdir / 'prometheus-data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=info",
        ]
        return self._start("prometheus", command, port)

    def stop_all(self) -> None:
        """Stop every started process (newest first)."""
        for process in reversed(self.started):
            process.stop()
