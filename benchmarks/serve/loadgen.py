"""A small HTTP/1.1 load generator: N keep-alive connections, a warm-up, then a measured period.

Each connection sends the same pre-encoded request bytes, waits for the whole response
(status line, headers, then a ``Content-Length`` or chunked body) and sends the next one, so
the offered load is closed-loop: N requests in flight at any time. Only requests that finish
inside the measured period count. Standard library only (plus uvloop when it is installed).

Examples
--------
>>> raw = http_request("POST", "127.0.0.1", 8080, "/v2/models/m/infer", b"{}")
>>> raw.splitlines()[0]
b'POST /v2/models/m/infer HTTP/1.1'
>>> _percentile([4.0, 1.0, 3.0, 2.0], 50)
2.0
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from time import perf_counter
from typing import Any

from driftguard.errors import ConfigurationError

__all__ = ["LoadResult", "ProtocolError", "http_request", "run_load"]

#: Seconds an unfinished request may run past the end of the measured period.
GRACE_S = 10.0


class ProtocolError(Exception):
    """The server's answer is not an HTTP/1.x response this client can read."""


@dataclass(frozen=True)
class LoadResult:
    """Counts and latencies of the measured period of one load run.

    Parameters
    ----------
    requests : int
        Requests that finished inside the measured period (answered or failed).
    errors : int
        Of those, the ones with a non-2xx status, a broken connection or no answer in time.
    duration : float
        Length of the measured period in seconds.
    rps : float
        Successful (2xx) requests per second of the measured period.
    p50_ms, p99_ms : float
        Median and 99th percentile latency of the successful requests, in milliseconds
        (nan when there were none).

    Examples
    --------
    >>> r = LoadResult(requests=100, errors=0, duration=2.0, rps=50.0, p50_ms=1.5, p99_ms=4.0)
    >>> r.rps, r.to_dict()["p99_ms"]
    (50.0, 4.0)
    """

    requests: int
    errors: int
    duration: float
    rps: float
    p50_ms: float
    p99_ms: float

    def to_dict(self) -> dict[str, Any]:
        """The fields as a JSON-ready dictionary."""
        return asdict(self)


def http_request(
    method: str,
    host: str,
    port: int,
    path: str,
    body: bytes = b"",
    content_type: str = "application/json",
) -> bytes:
    """Encode one HTTP/1.1 keep-alive request (headers and body) as bytes."""
    head = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: keep-alive"]
    if body or method in ("POST", "PUT", "PATCH"):
        head += [f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode("ascii") + body


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        line = await reader.readuntil(b"\r\n")
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise ProtocolError(f"bad chunk size line {line[:40]!r}") from None
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers end with a blank line
                pass
            return b"".join(parts)
        parts.append((await reader.readexactly(size + 2))[:-2])


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool, bytes]:
    """Read one response; return its status, whether the connection stays open, and its body."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise ProtocolError(f"not an HTTP/1.x status line: {lines[0][:60]!r}")
    status = int(parts[1])
    keep_alive = parts[0] != b"HTTP/1.0"
    length: int | None = None
    chunked = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value
        elif name == b"connection":
            keep_alive = value == b"keep-alive" or (keep_alive and value != b"close")
    body = b""
    if chunked:
        body = await _read_chunked(reader)
    elif length is not None:
        body = await reader.readexactly(length)
    elif not (100 <= status < 200 or status in (204, 304)):
        body, keep_alive = await reader.read(), False  # body delimited by the server closing
    return status, keep_alive, body


def _percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (nan for no values)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100.0 * len(ordered)) - 1)]


@dataclass
class _Tally:
    start: float
    end: float
    done: int = 0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)

    def record(self, sent: float, finished: float, ok: bool) -> None:
        if self.start <= finished <= self.end:
            self.done += 1
            if ok:
                self.latencies_ms.append((finished - sent) * 1000.0)
            else:
                self.errors += 1


async def _connection(host: str, port: int, request: bytes, tally: _Tally) -> None:
    writer: asyncio.StreamWriter | None = None
    reader: asyncio.StreamReader | None = None
    sent = perf_counter()
    in_flight = False
    try:
        while (now := perf_counter()) < tally.end:
            try:
                if writer is None or reader is None:
                    reader, writer = await asyncio.open_connection(host, port)
                sent, in_flight = perf_counter(), True
                writer.write(request)
                status, keep_alive, _ = await read_response(reader)
                in_flight = False
                tally.record(sent, perf_counter(), 200 <= status < 300)
            except (OSError, EOFError, ValueError, ProtocolError, asyncio.LimitOverrunError):
                in_flight = False
                tally.record(now, perf_counter(), ok=False)
                keep_alive = False
                await asyncio.sleep(0.01)  # do not spin on a refused connection
            if not keep_alive and writer is not None:
                writer.close()
                writer = reader = None
    except asyncio.CancelledError:
        if in_flight and sent <= tally.end:  # no answer within the grace period
            tally.done += 1
            tally.errors += 1
        raise
    finally:
        if writer is not None:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


async def load(
    host: str, port: int, request: bytes, *, connections: int, warmup: float, duration: float
) -> LoadResult:
    """Drive ``connections`` keep-alive connections; measure after ``warmup`` seconds."""
    t0 = perf_counter()
    tally = _Tally(start=t0 + warmup, end=t0 + warmup + duration)
    tasks = [
        asyncio.create_task(_connection(host, port, request, tally)) for _ in range(connections)
    ]
    _, pending = await asyncio.wait(tasks, timeout=warmup + duration + GRACE_S)
    for task in pending:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    ok = tally.done - tally.errors
    return LoadResult(
        requests=tally.done,
        errors=tally.errors,
        duration=float(duration),
        rps=ok / duration,
        p50_ms=_percentile(tally.latencies_ms, 50),
        p99_ms=_percentile(tally.latencies_ms, 99),
    )


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def run_load(
    host: str,
    port: int,
    request: bytes,
    *,
    connections: int = 16,
    warmup: float = 2.0,
    duration: float = 10.0,
) -> LoadResult:
    """Run :func:`load` in a fresh event loop (uvloop when installed) and return its result."""
    if connections < 1 or warmup < 0 or duration <= 0:
        raise ConfigurationError("run_load needs connections >= 1, warmup >= 0 and duration > 0")
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        return runner.run(
            load(host, port, request, connections=connections, warmup=warmup, duration=duration)
        )
