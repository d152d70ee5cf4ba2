"""The service as users run it: ``driftguard serve`` in its own process (uvicorn), over TCP.

Each server listens on a free port of 127.0.0.1 and is stopped by a fixture finalizer
(SIGTERM, then SIGKILL after 10 s), whatever the test did. Read-only checks share one
server; tests that change ACTIVE, the token file or the process itself start their own.
"""

from __future__ import annotations

import json
import shutil
import signal
import stat
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import cancer_records
from live_server import (
    ADMIN_TOKEN,
    LiveServer,
    LiveServers,
    clean_env,
    driftguard_command,
    free_port,
)

from driftguard.registry import Registry

pytestmark = pytest.mark.slow  # real processes and tools (make check skips them)

WATCH = "0.2"  # DRIFTGUARD_WATCH_INTERVAL_S of these servers
PICKUP_TIMEOUT_S = 60.0  # a liveness bound (the service must get there), not a speed claim


@pytest.fixture
def servers() -> Iterator[LiveServers]:
    pool = LiveServers()
    yield pool
    pool.stop_all()


@pytest.fixture(scope="module")
def shared(
    _cancer_registry_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """One server for the read-only checks (cancer versions 1-3, version 1 ACTIVE)."""
    root = tmp_path_factory.mktemp("served") / "registry"
    shutil.copytree(_cancer_registry_template, root)
    pool = LiveServers()
    try:
        yield pool.start(root, WATCH_INTERVAL_S=WATCH)
    finally:
        pool.stop_all()


def _predict(client: httpx.Client, n: int = 3) -> httpx.Response:
    return client.post("/predict/cancer", json={"records": cancer_records(n)})


def _sample(server: LiveServer, name: str, **labels: str) -> float | None:
    for found, value in server.metrics().get(name, []):
        if all(found.get(k) == v for k, v in labels.items()):
            return value
    return None


def test_live_and_ready(shared: LiveServer) -> None:
    with shared.client() as client:
        live = client.get("/v2/health/live")
        ready = client.get("/v2/health/ready")
        model_ready = client.get("/v2/models/cancer/ready")
    assert (live.status_code, live.json()) == (200, {"live": True})
    assert (ready.status_code, ready.json()) == (200, {"ready": True})
    assert (model_ready.status_code, model_ready.json()) == (200, {"name": "cancer", "ready": True})


def test_predict_answers_with_active_version(shared: LiveServer) -> None:
    with shared.client() as client:
        response = _predict(client, 3)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["model_name"], body["model_version"]) == ("cancer", "1")
    assert response.headers["x-model-name"] == "cancer"
    assert response.headers["x-model-version"] == "1"
    assert response.headers["x-request-id"] == body["request_id"]
    assert len(body["predictions"]) == 3
    assert set(body["predictions"]) <= set(body["labels"])
    for row in body["probabilities"]:
        assert len(row) == len(body["labels"])
        assert sum(row) == pytest.approx(1.0)


def test_v2_infer_answers_with_active_version(shared: LiveServer) -> None:
    records = cancer_records(4)
    with shared.client() as client:
        meta = client.get("/v2/models/cancer")
        assert meta.status_code == 200, meta.text
        assert meta.json()["active_version"] == "1"
        names = [tensor["name"] for tensor in meta.json()["inputs"]]
        rows = [[record[name] for name in names] for record in records]
        request = {
            "inputs": [
                {"name": "input-0", "shape": [4, len(names)], "datatype": "FP64", "data": rows}
            ]
        }
        infer = client.post("/v2/models/cancer/infer", json=request)
        plain = client.post("/predict/cancer", json={"records": records})
    assert infer.status_code == 200, infer.text
    body = infer.json()
    assert (body["model_name"], body["model_version"]) == ("cancer", "1")
    assert infer.headers["x-model-version"] == "1"
    outputs = {tensor["name"]: tensor for tensor in body["outputs"]}
    assert outputs["predict"]["shape"] == [4]
    assert outputs["predict_proba"]["shape"] == [4, len(body["parameters"]["labels"])]
    assert outputs["predict"]["data"] == plain.json()["predictions"]  # same rows, same answers


def test_management_routes_need_the_token(shared: LiveServer) -> None:
    with shared.client() as client:
        anonymous = client.get("/models/cancer/versions")
        wrong = client.get(
            "/models/cancer/versions", headers={"Authorization": "Bearer not-the-token-at-all"}
        )
        promote = client.post("/models/cancer/promote", json={"version": 2})
        allowed = client.get("/models/cancer/versions", headers=shared.auth())
    for refused in (anonymous, wrong, promote):
        assert refused.status_code == 401, refused.text
        assert refused.json()["type"] == "UnauthorizedError"
        assert refused.headers["www-authenticate"] == "Bearer"
    assert (
        Registry(shared.registry).active("cancer").version == 1
    )  # the refused promote did nothing
    assert allowed.status_code == 200, allowed.text
    assert [(v["version"], v["active"]) for v in allowed.json()] == [
        (1, True),
        (2, False),
        (3, False),
    ]


def test_metrics_scrape_parses_and_counts_predictions(shared: LiveServer) -> None:
    with shared.client() as client:
        assert _predict(client).status_code == 200
    requests = _sample(
        shared,
        "driftguard_http_requests_total",
        endpoint="/predict/{name}",
        model_name="cancer",
        model_version="1",
        status_class="2xx",
    )
    assert requests is not None
    assert requests >= 1
    assert _sample(shared, "driftguard_model_active_version", model_name="cancer") == 1.0


def test_registry_change_by_another_process_is_hot_swapped(
    servers: LiveServers, cancer_registry: Path
) -> None:
    server = servers.start(cancer_registry, WATCH_INTERVAL_S=WATCH)
    seen: list[str] = []
    with server.client() as client:
        first = _predict(client)
        assert first.json()["model_version"] == "1"
        Registry(cancer_registry).promote("cancer", 2, actor="test:other-process", reason="test")
        deadline = time.monotonic() + PICKUP_TIMEOUT_S
        while not seen or seen[-1] != "2":
            response = _predict(client, 1)
            assert response.status_code == 200, response.text
            seen.append(response.json()["model_version"])
            assert time.monotonic() < deadline, (
                f"still serving {seen[-1]} {PICKUP_TIMEOUT_S:.0f} s after another process made "
                f"version 2 ACTIVE; output:\n{server.output()}"
            )
            time.sleep(0.05)
        after = [_predict(client, 1).json()["model_version"] for _ in range(5)]
        meta = client.get("/v2/models/cancer").json()
    assert set(seen) <= {"1", "2"}
    assert seen == sorted(seen)  # 1, ..., 1, 2: never back to 1 once 2 is served
    assert after == ["2"] * 5
    assert (meta["active_version"], meta["generation"]) == ("2", 2)
    assert _sample(server, "driftguard_model_swaps_total", model_name="cancer") == 1.0
    assert _sample(server, "driftguard_model_active_version", model_name="cancer") == 2.0


def test_sigterm_stops_cleanly_after_the_request_in_flight(
    servers: LiveServers, cancer_registry: Path
) -> None:
    server = servers.start(cancer_registry, WATCH_INTERVAL_S=WATCH)
    rows = cancer_records(200)
    text = json.dumps({"records": rows})
    half = len(text) // 2
    first_half_sent = threading.Event()
    release = threading.Event()
    result: dict[str, object] = {}

    def body() -> Iterator[bytes]:  # streamed: the request cannot finish before `release`
        yield text[:half].encode()
        first_half_sent.set()
        release.wait(120)
        yield text[half:].encode()

    def send() -> None:
        try:
            with server.client() as client:
                headers = {"content-type": "application/json"}
                result["response"] = client.post("/predict/cancer", content=body(), headers=headers)
        except httpx.HTTPError as exc:
            result["error"] = exc

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    try:
        assert first_half_sent.wait(60), "the request was not sent"
        time.sleep(1.0)  # let the server read the headers: the request is now in flight
        server.process.send_signal(signal.SIGTERM)
        time.sleep(0.5)  # the shutdown has begun while the body is still arriving
    finally:
        release.set()
    sender.join(120)
    try:
        status = server.process.wait(60)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running 60 s after SIGTERM; output:\n{server.output()}")
    output = server.output()
    assert "error" not in result, f"{result['error']!r}; output:\n{output}"
    response = result["response"]
    assert isinstance(response, httpx.Response)
    assert response.status_code == 200, response.text
    assert len(response.json()["predictions"]) == len(rows)
    assert status == 0, output
    assert "Traceback" not in output, output
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/v2/health/live", timeout=5.0)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DRIFTGUARD_NONFINITE", "maybe"),
        ("DRIFTGUARD_WINDOW_SIZE", "1"),
        ("DRIFTGUARD_ADMIN_TOKEN", "short"),
    ],
)
def test_bad_setting_exits_2_with_one_line(tmp_path: Path, variable: str, value: str) -> None:
    command = [*driftguard_command(), "serve", "--registry", str(tmp_path / "registry")]
    result = subprocess.run(
        [*command, "--port", str(free_port())],
        env=clean_env(**{variable: value}),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"driftguard: error: {variable}"), result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "registry.admin-token").exists()


@pytest.mark.slow  # two server starts
def test_generated_admin_token_is_stored_0600_and_printed_once(
    servers: LiveServers, cancer_registry: Path
) -> None:
    server = servers.start(cancer_registry, token=None, WATCH_INTERVAL_S=WATCH)
    path = cancer_registry.parent / f"{cancer_registry.name}.admin-token"
    assert path.is_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    token = path.read_text(encoding="utf-8").strip()
    assert len(token) >= 16
    output = server.output()
    assert output.count(token) == 1, output
    assert output.count("generated admin token") == 1, output
    with server.client() as client:
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get("/models/cancer/versions", headers=headers).status_code == 200
        assert client.get("/models/cancer/versions").status_code == 401
    assert server.terminate() == 0, server.output()

    again = servers.start(cancer_registry, token=None, WATCH_INTERVAL_S=WATCH)
    assert token not in again.output()  # stored, not printed again
    assert "generated admin token" not in again.output()
    with again.client() as client:
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get("/models/cancer/versions", headers=headers).status_code == 200


def test_configured_token_is_neither_stored_nor_printed(shared: LiveServer) -> None:
    assert not (shared.registry.parent / f"{shared.registry.name}.admin-token").exists()
    assert ADMIN_TOKEN not in shared.output()


@pytest.mark.slow
def test_two_workers_serve_and_follow_a_promote(
    servers: LiveServers, cancer_registry: Path
) -> None:
    server = servers.start(cancer_registry, workers=2, WATCH_INTERVAL_S=WATCH)
    records = {"records": cancer_records(1)}
    # fresh connections, so that requests reach both workers; each worker loads its models
    # before it accepts connections, so none may answer 503 once the service said ready
    first = [httpx.post(f"{server.url}/predict/cancer", json=records) for _ in range(20)]
    assert [r.text for r in first if r.status_code != 200] == []
    assert {r.json()["model_version"] for r in first} == {"1"}
    with server.client() as client:
        promoted = client.post("/models/cancer/promote", json={"version": 3}, headers=server.auth())
    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["version"] == 3
    # the worker that did not handle the promote catches up through its registry watcher
    deadline = time.monotonic() + PICKUP_TIMEOUT_S
    streak = 0
    while streak < 10:
        response = httpx.post(f"{server.url}/predict/cancer", json=records)
        assert response.status_code == 200, response.text
        streak = streak + 1 if response.json()["model_version"] == "3" else 0
        assert time.monotonic() < deadline, f"workers disagree; output:\n{server.output()}"
    assert server.terminate(timeout=60) == 0, server.output()
