"""The dashboard in a real browser: Debian's headless Chromium (Playwright) and a real server.

A ``driftguard serve`` process (uvicorn, loopback) gets clean and drifted traffic and labelled
feedback; the page is opened with the token in the URL fragment. The test checks what a person
would see: the active version, the drift table with every feature, the drift chart, the
reliability diagram and the rules panel (the input-drift rule's false-rollback interval at
the window rate the guard observed, as the data route states it); then a promotion and a
rollback through the API, which the page shows without a reload. No console error, no page
error, and no request to any host other than 127.0.0.1 (every other request is blocked and
recorded). A tab without the token asks for it, a wrong token gets the form back with a 401
banner, and a server that went away gets a banner while the last data stays on screen. A
full-page screenshot is saved to ``$DRIFTGUARD_ARTIFACTS/dashboard.png`` (default
``test-artifacts/``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
from conftest import cancer_columns, cancer_records, clean_window, drifted_window
from live_server import LiveServer, LiveServers, wait_for
from playwright.sync_api import Browser, ConsoleMessage, Page, Route, expect, sync_playwright

from driftguard.policy import format_duration
from driftguard.registry import Registry
from driftguard.training.pipeline import train_table

pytestmark = pytest.mark.slow  # starts a server and a browser

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
WINDOW = 43  # half a helper window: every clean_window/drifted_window closes two
LABELLED = 4 * WINDOW
TIMEOUT_S = 60.0  # liveness bound of every wait
UI_TIMEOUT_MS = 20_000
REPO = Path(__file__).resolve().parents[2]
FEATURES = sorted(k for k in cancer_columns() if k != "target")


def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        pytest.fail(
            "Debian's chromium is not installed: run `bash .ci/debian-packages` "
            "(apt-get install chromium); `playwright install` is not used here"
        )
    return found


def artifacts() -> Path:
    folder = Path(os.environ.get("DRIFTGUARD_ARTIFACTS") or REPO / "test-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def servers() -> Iterator[LiveServers]:
    started = LiveServers()
    try:
        yield started
    finally:
        started.stop_all()


@pytest.fixture
def browser() -> Iterator[Browser]:
    path = chromium()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Traffic:
    """Requests to the server and the snapshot it serves (the same data the page reads)."""

    def __init__(self, server: LiveServer, client: httpx.Client) -> None:
        self.server = server
        self.client = client

    def predict(self, rows: list[dict[str, float]]) -> dict[str, Any]:
        response = self.client.post("/predict/cancer", json={"records": rows})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def snapshot(self) -> dict[str, Any]:
        response = self.client.get("/dashboard/api/models/cancer", headers=self.server.auth())
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def judged(self, windows: int) -> None:
        """Wait until ``windows`` windows closed and the guard judged the last one."""

        def probe() -> bool:
            snap = self.snapshot()
            decision = snap["served"]["decision"]
            last = f"cancer:v{snap['served']['version']}:w{windows - 1}"
            closed = snap["drift"]["windows_closed"] == windows
            return closed and decision is not None and decision["window_id"] == last

        wait_for(probe, f"the guard's decision on window {windows - 1}")

    def windows(self, clean: int, drifted: int) -> int:
        """Send helper windows (two closed windows each); the windows closed."""
        for i in range(clean):
            self.predict(clean_window(i))
        for i in range(drifted):
            self.predict(drifted_window(i))
        return 2 * (clean + drifted)

    def switch(self, route: str, body: dict[str, Any]) -> None:
        response = self.client.post(
            f"/models/cancer/{route}", json=body, headers=self.server.auth()
        )
        assert response.status_code == 200, response.text


def watch(page: Page, errors: list[str], outside: list[str]) -> None:
    """Record console errors, page errors and (blocked) requests to other hosts."""

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"console: {message.text} at {message.location}")

    def on_route(route: Route) -> None:
        if urlparse(route.request.url).hostname != "127.0.0.1":
            outside.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.route("**/*", on_route)


def test_dashboard_in_chromium(
    cancer_registry: Path, servers: LiveServers, browser: Browser
) -> None:
    second = train_table(cancer_columns(), "target", name="second", model="logreg", seed=1)
    registry = Registry(cancer_registry)
    registry.register("second", second.draft, actor="test")
    registry.promote("second", 1, actor="test")
    server = servers.start(
        cancer_registry,
        WINDOW_SIZE=str(WINDOW),
        WATCH_INTERVAL_S="0.2",
        DRAIN_INTERVAL_S="0.1",
    )
    errors: list[str] = []
    outside: list[str] = []
    with server.client() as client:
        traffic = Traffic(server, client)
        labelled = traffic.predict(cancer_records(LABELLED))
        labels = [int(v) for v in cancer_columns()["target"][:LABELLED]]
        response = client.post(
            "/feedback", json={"request_id": labelled["request_id"], "label": labels}
        )
        assert response.status_code == 200, response.text
        closed = LABELLED // WINDOW + traffic.windows(clean=4, drifted=2)
        traffic.judged(closed)

        page = browser.new_page(viewport={"width": 1440, "height": 900})
        watch(page, errors, outside)
        page.goto(f"{server.url}/dashboard?refresh=0.5#token={server.token}")
        expect(page.locator("#model-name")).to_have_text("cancer", timeout=UI_TIMEOUT_MS)
        expect(page.locator("#active-version")).to_have_text("v1")
        assert "token" not in page.url  # read from the fragment, then removed
        expect(page.locator("#drift-table td.name")).to_have_count(
            len(FEATURES), timeout=UI_TIMEOUT_MS
        )
        assert sorted(page.locator("#drift-table td.name").all_inner_texts()) == FEATURES
        expect(page.locator("#drift-table-sub")).to_contain_text(f"window #{closed - 1}")
        assert page.locator("#drift-chart circle.hot").count() >= 2  # the drifted windows
        expect(page.locator("#card-calibration")).to_contain_text(str(LABELLED))
        assert page.locator("#calibration rect.bar").count() >= 2
        assert page.locator("#feature-charts svg").count() == 12
        rules = traffic.snapshot()  # no traffic meanwhile: the observed rate stays put
        drift_rule = next(r for r in rules["rules"] if r["rule"] == "input-drift")
        assert drift_rule["interval_s"] is not None
        row = page.locator("#rules tr", has_text="input-drift")
        expect(row).to_contain_text(
            format_duration(drift_rule["interval_s"]), timeout=UI_TIMEOUT_MS
        )
        expect(row).to_contain_text(f"/ {drift_rule['evidence_threshold']:.1f} nats")
        expect(page.locator("#rules-sub")).to_contain_text("observed")
        assert page.locator("#rules tr svg.progress").count() == len(rules["rules"])

        page.evaluate("window.__notReloaded = true")
        traffic.switch("promote", {"version": 2, "reason": "dashboard test"})
        expect(page.locator("#active-version")).to_have_text("v2", timeout=UI_TIMEOUT_MS)
        traffic.switch("rollback", {"reason": "dashboard test: back to v1"})
        expect(page.locator("#active-version")).to_have_text("v1", timeout=UI_TIMEOUT_MS)
        expect(page.locator("#timeline")).to_contain_text("rolled back by", timeout=UI_TIMEOUT_MS)
        expect(page.locator("#timeline")).to_contain_text("manual rollback")
        expect(page.locator("#audit")).to_contain_text("dashboard test: back to v1")
        expect(page.locator("#versions path.mark-rollback")).to_have_count(1)
        assert page.evaluate("window.__notReloaded") is True
        assert page.evaluate("performance.getEntriesByType('navigation').length") == 1

        # the version rolled back to starts a fresh monitor: give it windows to show
        traffic.judged(traffic.windows(clean=3, drifted=1))
        expect(page.locator("#drift-table td.name")).to_have_count(
            len(FEATURES), timeout=UI_TIMEOUT_MS
        )
        page.wait_for_timeout(700)  # one more refresh: every section drawn from one snapshot
        shot = artifacts() / "dashboard.png"
        shot.unlink(missing_ok=True)
        page.screenshot(path=str(shot), full_page=True)
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

        # a ratio that explodes (a feature constant in the reference) gets a log axis; a
        # threshold of practically zero keeps the linear one
        axis_text = """(args) => Array.from(DG.scoreChart({xs: [0, 1, 2], scores: args[0],
            thresholds: args[1], hot: [false, true, true]}).querySelectorAll("text"),
            (t) => t.textContent)"""
        exploding = page.evaluate(axis_text, [[0.5, 3e11, 1e12], [2.0, 2.0, 2.0]])
        assert "log scale" in exploding
        assert "1.0e12" in exploding
        flat = page.evaluate(axis_text, [[0.0, 0.8, 1.0], [1e-12, 1e-12, 1e-12]])
        assert "log scale" not in flat
        assert "0.5" in flat

        # several models: a picker; the choice is kept in the address (?model=)
        expect(page.locator("#picker")).to_be_visible()
        page.select_option("#model-select", "second")
        expect(page.locator("#model-name")).to_have_text("second", timeout=UI_TIMEOUT_MS)
        expect(page.locator("#drift-table")).to_contain_text("No checked window yet")
        assert "model=second" in page.url
        page.select_option("#model-select", "cancer")
        expect(page.locator("#model-name")).to_have_text("cancer", timeout=UI_TIMEOUT_MS)

        # a tab without the token asks for it
        fresh = browser.new_page()
        watch(fresh, errors, outside)
        fresh.goto(f"{server.url}/dashboard")
        expect(fresh.locator("#token-panel")).to_be_visible(timeout=UI_TIMEOUT_MS)
        assert server.token is not None
        fresh.fill("#token-input", server.token)
        fresh.click("#token-form button[type=submit]")
        expect(fresh.locator("#active-version")).to_have_text("v1", timeout=UI_TIMEOUT_MS)
        assert errors == []

        # failures are shown, not hidden (the browser logs them: not counted as errors)
        refused = browser.new_page()
        watch(refused, [], outside)
        refused.goto(f"{server.url}/dashboard#token=not-the-token")
        expect(refused.locator("#token-panel")).to_be_visible(timeout=UI_TIMEOUT_MS)
        expect(refused.locator("#banner")).to_contain_text("401")
        server.terminate()
        expect(page.locator("#banner")).to_contain_text("Could not refresh", timeout=UI_TIMEOUT_MS)
        expect(page.locator("#active-version")).to_have_text("v1")  # the last data stays
    assert outside == []
