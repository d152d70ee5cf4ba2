"""Hot swap under load, against a real ``driftguard serve`` process.

Client threads send ``POST /predict/cancer`` continuously (keep-alive connections) while
ACTIVE is switched 20 times, cycling versions 1 -> 2 -> 3 -> 1 ...: through the API, and
through another process writing the registry (the service's watcher picks it up). Every
request is recorded as ``(start, end, version, status)`` on ``time.monotonic()``.

What must hold: no request fails, and every response's version was ACTIVE at some moment
during its request. Version ``v`` made ACTIVE by switch ``i`` counts as ACTIVE from the start
of switch ``i`` until the end of switch ``i + 1``; a switch ends when its promote call
returns (API), or when the service is first seen serving the new version (registry).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from conftest import cancer_records
from live_server import LiveServer, LiveServers

from driftguard.registry import Registry

SWITCHES = 20
CLIENTS = 4
CYCLE = (1, 2, 3)  # version 1 is ACTIVE at the start; the first switch goes to 2
PROGRESS = 8  # responses to requests sent after a switch, before the next switch
LIVENESS_TIMEOUT_S = 60.0  # the service must get there; not a speed claim

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Served:
    """One request: when it ran and what it was answered with."""

    start: float
    end: float
    status: int | None
    version: str | None
    header_version: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class Switch:
    """One ACTIVE change: the version it made ACTIVE and when it started and ended."""

    version: int
    start: float
    end: float


@dataclass
class Clients:
    """``CLIENTS`` threads sending single-row predictions until stopped."""

    server: LiveServer
    records: list[Served] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    def __enter__(self) -> Clients:
        body = {"records": cancer_records(1)}
        self._threads = [
            threading.Thread(target=self._run, args=(body,), name=f"swap-client-{k}", daemon=True)
            for k in range(CLIENTS)
        ]
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(LIVENESS_TIMEOUT_S)
        assert not any(t.is_alive() for t in self._threads), "a client thread did not stop"

    def _run(self, body: dict[str, object]) -> None:
        with self.server.client() as client:
            while not self._stop.is_set():
                self.add(send(client, body))

    def add(self, served: Served) -> None:
        with self._lock:
            self.records.append(served)

    def snapshot(self) -> list[Served]:
        with self._lock:
            return list(self.records)

    def wait_for_responses(self, after: float, count: int = PROGRESS) -> None:
        """Wait until ``count`` requests sent after ``after`` have been answered."""
        deadline = time.monotonic() + LIVENESS_TIMEOUT_S
        while sum(r.start >= after for r in self.snapshot()) < count:
            assert time.monotonic() < deadline, (
                f"clients made no progress for {LIVENESS_TIMEOUT_S:.0f} s; server output:\n"
                f"{self.server.output()}"
            )
            time.sleep(0.005)


def send(client: httpx.Client, body: dict[str, object]) -> Served:
    """One prediction request, timed."""
    start = time.monotonic()
    try:
        response = client.post("/predict/cancer", json=body)
    except httpx.HTTPError as exc:
        return Served(start, time.monotonic(), None, None, error=repr(exc))
    end = time.monotonic()
    version = response.json().get("model_version") if response.status_code == 200 else None
    return Served(
        start,
        end,
        response.status_code,
        version,
        header_version=response.headers.get("x-model-version"),
        error=None if response.status_code == 200 else response.text[:300],
    )


def active_intervals(initial: int, switches: list[Switch]) -> list[tuple[str, float, float]]:
    """``(version, from, to)``: when each version counts as ACTIVE (see the module docstring).

    >>> active_intervals(1, [Switch(2, 10.0, 11.0), Switch(3, 20.0, 21.0)])
    [('1', -inf, 11.0), ('2', 10.0, 21.0), ('3', 20.0, inf)]
    """
    out = []
    version, since = initial, -math.inf
    for switch in switches:
        out.append((str(version), since, switch.end))
        version, since = switch.version, switch.start
    out.append((str(version), since, math.inf))
    return out


def check(server: LiveServer, records: list[Served], switches: list[Switch]) -> None:
    """Every assertion of the swap tests."""
    assert len(switches) == SWITCHES
    failed = [r for r in records if r.status != 200 or r.error is not None]
    assert not failed, f"{len(failed)} of {len(records)} requests failed, e.g. {failed[:3]}"
    mismatched = [r for r in records if r.header_version != r.version]
    assert not mismatched, f"body and X-Model-Version disagree: {mismatched[:3]}"
    intervals = active_intervals(CYCLE[0], switches)
    wrong = [
        r
        for r in records
        if not any(v == r.version and a <= r.end and b >= r.start for v, a, b in intervals)
    ]
    if wrong:
        origin = min(r.start for r in records)
        shown = [(r.version, r.start - origin, r.end - origin) for r in wrong[:5]]
        spans = [(v, a - origin, b - origin) for v, a, b in intervals]
        pytest.fail(
            f"{len(wrong)} of {len(records)} responses name a version that was not ACTIVE "
            f"during the request, e.g. (version, start, end) {shown}; ACTIVE spans {spans}"
        )
    assert {r.version for r in records} == {str(v) for v in CYCLE}
    swaps = [
        value
        for labels, value in server.metrics().get("driftguard_model_swaps_total", [])
        if labels.get("model_name") == "cancer"
    ]
    assert swaps == [float(SWITCHES)]
    registry = Registry(server.registry)
    assert registry.active("cancer").version == switches[-1].version
    promotes = [r for r in registry.audit("cancer") if r.action == "promote"]
    assert len(promotes) == 1 + SWITCHES  # the fixture's first promote, then ours


def targets() -> Iterator[int]:
    """2, 3, 1, 2, ...: the versions the switches make ACTIVE."""
    for k in range(1, SWITCHES + 1):
        yield CYCLE[k % len(CYCLE)]


def run_swaps(server: LiveServer, switch: Callable[[Clients, int], Switch]) -> None:
    """Start the clients, switch ``SWITCHES`` times, stop the clients and check."""
    switches: list[Switch] = []
    with Clients(server) as clients:
        clients.wait_for_responses(after=-math.inf)  # version 1 is served first
        for version in targets():
            done = switch(clients, version)
            switches.append(done)
            clients.wait_for_responses(after=done.end)
    check(server, clients.snapshot(), switches)


@pytest.fixture
def servers() -> Iterator[LiveServers]:
    pool = LiveServers()
    yield pool
    pool.stop_all()


def test_api_switches_under_load(servers: LiveServers, cancer_registry: Path) -> None:
    server = servers.start(cancer_registry, WATCH_INTERVAL_S="0.2")
    with server.client() as admin:

        def switch(clients: Clients, version: int) -> Switch:
            start = time.monotonic()
            response = admin.post(
                "/models/cancer/promote",
                json={"version": version, "reason": "swap test"},
                headers=server.auth(),
            )
            end = time.monotonic()
            assert response.status_code == 200, response.text
            assert response.json()["version"] == version
            return Switch(version, start, end)

        run_swaps(server, switch)


def test_registry_switches_by_another_process_under_load(
    servers: LiveServers, cancer_registry: Path
) -> None:
    server = servers.start(cancer_registry, WATCH_INTERVAL_S="0.2")
    registry = Registry(cancer_registry)
    body = {"records": cancer_records(1)}
    with server.client() as probe:

        def switch(clients: Clients, version: int) -> Switch:
            start = time.monotonic()
            registry.promote("cancer", version, actor="test:other-process", reason="swap test")
            deadline = time.monotonic() + LIVENESS_TIMEOUT_S
            while True:  # the switch ends once the service is seen serving the new version
                served = send(probe, body)
                clients.add(served)
                if served.version == str(version):
                    return Switch(version, start, served.end)
                assert served.status == 200, served
                assert time.monotonic() < deadline, (
                    f"still serving {served.version} {LIVENESS_TIMEOUT_S:.0f} s after version "
                    f"{version} was made ACTIVE; server output:\n{server.output()}"
                )
                time.sleep(0.01)

        run_swaps(server, switch)
