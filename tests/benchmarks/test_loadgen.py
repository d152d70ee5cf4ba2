"""The load generator against a real HTTP/1.1 server on 127.0.0.1 (no timing assertions)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from benchmarks.serve.loadgen import LoadResult, http_request, read_response, run_load
from driftguard.errors import ConfigurationError


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.path == "/fail":
            self._answer(503, b'{"error": "unavailable"}')
        elif self.path == "/chunked":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b'{"echo": ', body, b"}"):
                self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        else:
            self._answer(200, b'{"echo": ' + body + b"}")

    def _answer(self, status: int, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def _request(port: int, path: str) -> bytes:
    return http_request("POST", "127.0.0.1", port, path, b'{"x": [1, 2, 3]}')


def _check_ordered(result: LoadResult) -> None:
    assert 0 < result.p50_ms <= result.p99_ms
    assert result.rps == pytest.approx((result.requests - result.errors) / result.duration)


@pytest.mark.parametrize("path", ["/ok", "/chunked"])
def test_counts_successful_requests(port: int, path: str) -> None:
    result = run_load(
        "127.0.0.1", port, _request(port, path), connections=4, warmup=0.2, duration=0.8
    )
    assert result.requests > 0
    assert result.errors == 0
    assert result.duration == 0.8
    _check_ordered(result)


def test_non_2xx_answers_are_errors(port: int) -> None:
    result = run_load(
        "127.0.0.1", port, _request(port, "/fail"), connections=2, warmup=0.1, duration=0.5
    )
    assert result.requests > 0
    assert result.errors == result.requests
    assert result.rps == 0.0


def test_refused_connections_are_errors() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    free = server.server_address[1]
    server.server_close()  # nothing listens on this port any more
    result = run_load("127.0.0.1", free, _request(free, "/ok"), connections=2, duration=0.3)
    assert result.errors == result.requests > 0


def _one(port: int, path: str) -> tuple[int, bool, bytes]:
    async def exchange() -> tuple[int, bool, bytes]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(_request(port, path))
            return await read_response(reader)
        finally:
            writer.close()

    return asyncio.run(exchange())


@pytest.mark.parametrize("path", ["/ok", "/chunked"])
def test_reads_bodies_and_statuses(port: int, path: str) -> None:
    assert _one(port, path) == (200, True, b'{"echo": {"x": [1, 2, 3]}}')
    assert _one(port, "/fail")[0] == 503


def test_rejects_bad_options() -> None:
    with pytest.raises(ConfigurationError, match="connections"):
        run_load("127.0.0.1", 1, b"", connections=0)
