"""Start, probe and stop the server processes that ``driftguard bench serve`` measures.

Each server runs as its own process group on 127.0.0.1 with its output in a log file; it is
ready when a GET of its readiness route answers 200, and it is always stopped (SIGTERM to the
group, SIGKILL after a grace period) when the ``with`` block ends.

Examples
--------
>>> port = free_port()
>>> 0 < port < 65536
True
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from driftguard.errors import ModelUnavailableError

__all__ = ["HOST", "free_port", "http_call", "serving"]

HOST = "127.0.0.1"
#: Seconds between SIGTERM and SIGKILL when stopping a server.
STOP_GRACE_S = 10.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def http_call(
    port: int, method: str, path: str, body: bytes = b"", timeout: float = 10.0
) -> tuple[int, bytes]:
    """One request to ``127.0.0.1:port``; return the status and the body."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json"} if body else {}
        conn.request(method, path, body=body or None, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def log_tail(log: Path, lines: int = 25) -> str:
    """The last ``lines`` lines of a server's log file."""
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    with contextlib.suppress(ProcessLookupError):  # workers the server left behind
        os.killpg(proc.pid, signal.SIGKILL)


def _wait_ready(
    name: str, proc: subprocess.Popen[bytes], port: int, path: str, log: Path, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ModelUnavailableError(
                f"{name} exited with status {proc.returncode} before it was ready; "
                f"last lines of {log}:\n{log_tail(log)}"
            )
        try:
            status, _ = http_call(port, "GET", path, timeout=2.0)
        except OSError as exc:
            last = f"{type(exc).__name__}: {exc}"
        else:
            if status == 200:
                return
            last = f"status {status}"
        time.sleep(0.2)
    raise ModelUnavailableError(
        f"{name} was not ready after {timeout:.0f} s (GET {path}: {last}); "
        f"last lines of {log}:\n{log_tail(log)}"
    )


@contextlib.contextmanager
def serving(
    name: str,
    command: Sequence[str],
    *,
    port: int,
    ready_path: str,
    log: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 60.0,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` until the block ends; enter once ``GET ready_path`` answers 200."""
    with log.open("ab") as out:
        try:
            proc = subprocess.Popen(
                list(command),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=dict(env) if env is not None else None,
                cwd=cwd,
                start_new_session=True,
            )
        except OSError as exc:
            raise ModelUnavailableError(f"{name}: cannot start {command[0]} ({exc})") from None
    try:
        _wait_ready(name, proc, port, ready_path, log, timeout)
        yield proc
    finally:
        _stop(proc)
