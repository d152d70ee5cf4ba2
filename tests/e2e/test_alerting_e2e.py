"""End to end with real processes on 127.0.0.1: service → Prometheus → Alertmanager → webhook.

A real ``driftguard serve`` (uvicorn) serves ``cancer`` with Alertmanager as its rollback
controller (``DRIFTGUARD_ROLLBACK_BY=alertmanager``: the in-process policy decides but does
not act). A real Prometheus scrapes it every second with the shipped alert rules (timers
shortened, expressions unchanged) and sends alerts to a real Alertmanager with the shipped
routes, which posts to the service's webhook with the admin token. Version 2 is promoted, then
drifted traffic makes ``DriftguardDriftConfirmed`` fire; the webhook rolls back to version 1.
Alertmanager keeps delivering the alert (``keep_firing_for`` and a 3 s repeat interval), and
every later delivery changes nothing: exactly one rollback in the audit log.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import clean_window, drifted_window
from live_server import LiveServer, LiveServers, wait_for
from real_services import Processes

pytestmark = pytest.mark.slow


@pytest.fixture
def servers() -> Iterator[LiveServers]:
    started = LiveServers()
    yield started
    started.stop_all()


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    started = Processes(tmp_path)
    yield started
    started.stop_all()


def received(server: LiveServer) -> dict[str, float]:
    samples = server.metrics().get("driftguard_alerts_received_total", [])
    return {labels["outcome"]: value for labels, value in samples}


def audit(server: LiveServer, client: httpx.Client, action: str) -> list[dict[str, Any]]:
    response = client.get("/models/cancer/audit", headers=server.auth())
    assert response.status_code == 200, response.text
    return [r for r in response.json() if r["action"] == action]


def test_drift_fires_the_alert_and_the_webhook_rolls_back_exactly_once(
    servers: LiveServers, processes: Processes, cancer_registry: Path
) -> None:
    server = servers.start(
        cancer_registry,
        ROLLBACK_BY="alertmanager",
        WATCH_INTERVAL_S="0.2",
        LOOK_INTERVAL_S="1",
    )
    client = server.client()
    promoted = client.post("/models/cancer/promote", json={"version": 2}, headers=server.auth())
    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["generation"] == 2

    host_port = server.url.removeprefix("http://")
    alertmanager = processes.alertmanager(f"{server.url}/alerts/alertmanager", server.token or "")
    prometheus = processes.prometheus(host_port, alertmanager.url.removeprefix("http://"))
    logs = (server, prometheus, alertmanager)

    def scraped() -> bool:
        up = prometheus.get("/api/v1/query", query='up{job="driftguard"}')["data"]["result"]
        return bool(up) and up[0]["value"][1] == "1"

    wait_for(scraped, "Prometheus to scrape the service", 60, interval=0.5, logs=logs)

    # A clean window first: the drift alert must stay quiet on it.
    for rows in (clean_window(0),):
        assert client.post("/predict/cancer", json={"records": rows}).status_code == 200
    time.sleep(3)
    firing = prometheus.get("/api/v1/alerts")["data"]["alerts"]
    assert not [a for a in firing if a["labels"]["alertname"] == "DriftguardDriftConfirmed"]

    # Drifted traffic until the alert fires and the webhook rolls back.
    def rolled_back() -> list[dict[str, Any]] | None:
        if client.get("/v2/models/cancer").json()["active_version"] == "1":
            return audit(server, client, "rollback") or None
        response = client.post("/predict/cancer", json={"records": drifted_window(1)})
        assert response.status_code == 200, response.text
        return audit(server, client, "rollback") or None

    records = wait_for(
        rolled_back, "the alert to roll version 2 back", 120, interval=0.5, logs=logs
    )
    assert len(records) == 1
    record = records[0]
    assert record["actor"] == "alertmanager:DriftguardDriftConfirmed"
    assert (record["from_version"], record["to_version"]) == (2, 1)
    assert record["evidence"]["labels"]["model_version"] == "2"
    assert record["evidence"]["labels"]["generation"] == "2"

    # Alertmanager goes on delivering the (kept-firing) alert; none of it rolls back again.
    wait_for(
        lambda: received(server).get("duplicate", 0) >= 2,
        "repeated deliveries",
        60,
        interval=0.5,
        logs=logs,
    )
    alerts = prometheus.get("/api/v1/alerts")["data"]["alerts"]
    drift = [a for a in alerts if a["labels"]["alertname"] == "DriftguardDriftConfirmed"]
    assert drift, "the drift alert should still be firing (keep_firing_for)"
    assert drift[0]["labels"]["model_version"] == "2"
    counts = received(server)
    assert counts["rolled_back"] == 1
    assert len(audit(server, client, "rollback")) == 1
    active = client.get("/models/cancer/versions", headers=server.auth()).json()
    assert [v["version"] for v in active if v["active"]] == [1]
    # Alertmanager itself reports it delivered the notifications to the webhook.
    am_metrics = httpx.get(f"{alertmanager.url}/metrics", timeout=10).text
    sent = [
        line
        for line in am_metrics.splitlines()
        if line.startswith('alertmanager_notifications_total{integration="webhook"}')
    ]
    assert sent, am_metrics
    assert float(sent[0].split()[-1]) >= 3, sent
