"""Start and stop a real ``driftguard serve`` process (uvicorn) for the service tests.

``LiveServers`` starts servers on free ports of 127.0.0.1, waits for ``/v2/health/ready``
and stops every server it started (SIGTERM, then SIGKILL after 10 s); the test modules wrap
it in a fixture so that a server is always stopped, whatever the test did.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
from prometheus_client.parser import text_string_to_metric_families

READY_TIMEOUT_S = 90.0  # loading a model imports sklearn/skops/torch: slow on a busy machine
STOP_TIMEOUT_S = 10.0
ADMIN_TOKEN = "test-admin-token-0123456789"
PORT_ATTEMPTS = 3


T = TypeVar("T")


def wait_for(
    probe: Callable[[], T | None],
    what: str,
    timeout: float = 30.0,
    *,
    interval: float = 0.05,
    logs: tuple[Any, ...] = (),
) -> T:
    """Poll ``probe`` until it returns something other than ``None`` or ``False``.

    On time-out the assertion names ``what`` and appends the tail of each ``logs`` entry's
    ``output()`` (a :class:`LiveServer` or any started process), so a failure shows why.
    """
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found is not None and found is not False:
            return found
        if time.monotonic() > deadline:
            tails = "".join(
                f"\n--- {getattr(p, 'name', 'driftguard serve')}:\n{p.output()[-3000:]}"
                for p in logs
            )
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}{tails}")
        time.sleep(interval)


class PortTakenError(AssertionError):
    """The server could not bind its port: another process took it after :func:`free_port`."""


def free_port() -> int:
    """A TCP port of 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def driftguard_command() -> list[str]:
    """The ``driftguard`` console script next to this interpreter (else ``python -m``)."""
    script = Path(sys.executable).with_name("driftguard")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "driftguard.cli.main"]


def clean_env(**settings: str) -> dict[str, str]:
    """This process's environment without ``DRIFTGUARD_*`` variables, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRIFTGUARD_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(settings)
    return env


@dataclass
class LiveServer:
    """One ``driftguard serve`` process and where to reach it."""

    process: subprocess.Popen[bytes]
    url: str
    registry: Path
    token: str | None
    log: Path
    _group_killed: bool = field(default=False, repr=False)

    def output(self) -> str:
        """Everything the server wrote to stdout and stderr so far."""
        return self.log.read_text(encoding="utf-8", errors="replace")

    def client(self) -> httpx.Client:
        """A keep-alive client of this server."""
        return httpx.Client(base_url=self.url, timeout=60.0)

    def auth(self) -> dict[str, str]:
        """The bearer header of the management routes."""
        assert self.token is not None
        return {"Authorization": f"Bearer {self.token}"}

    def metrics(self) -> dict[str, list[tuple[dict[str, str], float]]]:
        """``/metrics`` parsed: sample name -> [(labels, value), ...]."""
        response = httpx.get(f"{self.url}/metrics", timeout=60.0)
        assert response.status_code == 200, response.text
        out: dict[str, list[tuple[dict[str, str], float]]] = {}
        for family in text_string_to_metric_families(response.text):
            for sample in family.samples:
                out.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
        return out

    def terminate(self, timeout: float = STOP_TIMEOUT_S) -> int:
        """SIGTERM, then SIGKILL if still running after ``timeout`` s; the exit status.

        The server runs in its own process group (``--workers N`` forks workers), which is
        killed as a whole after the server exits, so that no worker outlives it.
        """
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if not self._group_killed:
            self._group_killed = True
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)  # workers left behind, if any
        return int(self.process.returncode)


@dataclass
class LiveServers:
    """Start servers; :meth:`stop_all` stops every one (call it from a fixture finalizer)."""

    started: list[LiveServer] = field(default_factory=list)

    def start(
        self,
        registry: Path,
        *,
        token: str | None = ADMIN_TOKEN,
        workers: int = 1,
        ready_timeout: float = READY_TIMEOUT_S,
        **settings: str,
    ) -> LiveServer:
        """Start ``driftguard serve`` on ``registry`` and wait until it is ready.

        ``settings`` are ``DRIFTGUARD_*`` variables without the prefix, e.g.
        ``WATCH_INTERVAL_S="0.2"``; ``token=None`` leaves the admin token unset.
        """
        env = clean_env(**{f"DRIFTGUARD_{k.upper()}": v for k, v in settings.items()})
        if token is not None:
            env["DRIFTGUARD_ADMIN_TOKEN"] = token
        for attempt in range(PORT_ATTEMPTS):
            server = self._spawn(registry, token, workers, env)
            try:
                self._wait_ready(server, ready_timeout)
            except PortTakenError:  # another process took the free port first: try another
                if attempt == PORT_ATTEMPTS - 1:
                    raise
                continue
            return server
        raise AssertionError("unreachable")

    def _spawn(
        self, registry: Path, token: str | None, workers: int, env: dict[str, str]
    ) -> LiveServer:
        port = free_port()
        fd, name = tempfile.mkstemp(prefix="driftguard-serve-", suffix=".log")
        command = [
            *driftguard_command(),
            "serve",
            "--registry",
            str(registry),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ]
        with os.fdopen(fd, "wb") as sink:
            process = subprocess.Popen(
                command,
                stdout=sink,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
        server = LiveServer(process, f"http://127.0.0.1:{port}", registry, token, Path(name))
        self.started.append(server)
        return server

    @staticmethod
    def _wait_ready(server: LiveServer, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                if "address already in use" in server.output().lower():
                    raise PortTakenError(server.output())
                raise AssertionError(
                    f"driftguard serve exited with status {server.process.returncode} before "
                    f"it was ready; its output:\n{server.output()}"
                )
            try:
                response = httpx.get(f"{server.url}/v2/health/ready", timeout=5.0)
                if response.status_code == 200:
                    return
                last = f"{response.status_code} {response.text}"
            except httpx.HTTPError as exc:
                last = repr(exc)
            time.sleep(0.2)
        server.terminate()
        raise AssertionError(
            f"driftguard serve was not ready within {timeout:.0f} s (last answer: {last}); "
            f"its output:\n{server.output()}"
        )

    def stop_all(self) -> None:
        """Stop every server started here (SIGTERM, SIGKILL after 10 s) and drop the logs."""
        for server in self.started:
            server.terminate()
            server.log.unlink(missing_ok=True)
        self.started.clear()
