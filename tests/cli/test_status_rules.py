"""``driftguard status NAME``: the rules table (and ``--json``) against a stand-in service.

A loopback HTTP server answers ``GET /models/{name}/signals`` with a document shaped as the
service's (the rules are :meth:`RuleStanding.to_dict` of the default policy, as the service
sends them) and checks the bearer token; ``main`` runs in-process. The route itself is tested
in ``tests/services/test_signals_rules.py``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import pytest

from driftguard.cli.main import main
from driftguard.cli.status import rules_table
from driftguard.policy import PolicyState, RuleState, default_policy, format_duration, standings

TOKEN = "s" * 24
RATE = 0.5  # windows a second, as observed by the service


def _document(rate: float | None) -> dict[str, Any]:
    policy = default_policy()
    state = PolicyState(
        rules=(
            RuleState("input-drift", evidence=3.2),
            RuleState("feature-drift", history=(False, True, False)),
            RuleState("adversarial", history=(True,), latched=True),
        )
    )
    return {
        "model": "cancer",
        "version": 1,
        "signals": [
            {
                "name": "input_drift",
                "kind": "drift",
                "value": 0.8,
                "threshold": 1.0,
                "status": "ok",
                "samples": 250,
                "p_value": 0.4,
                "block": None,
            }
        ],
        "decision": None,
        "window": {"monitoring": True},
        "rules": [s.to_dict() for s in standings(policy, state, rate)],
        "windows_per_s": rate,
        "planned_windows_per_s": policy.traffic.windows_per_s,
    }


class _Service(BaseHTTPRequestHandler):
    document: ClassVar[dict[str, Any]] = {}

    def do_GET(self) -> None:
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._send(401, {"error": "missing or wrong bearer token"})
        elif self.path != "/models/cancer/signals":
            self._send(404, {"error": "model 'nope' is not served here"})
        else:
            self._send(200, self.document)

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def service() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Service)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _status(capsys: pytest.CaptureFixture[str], url: str, *extra: str) -> tuple[int, str, str]:
    code = main(["status", "cancer", "--url", url, "--token", TOKEN, *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _rows(out: str) -> dict[str, list[str]]:
    """Rows of the rules table by rule name (cells split on runs of two spaces or more)."""
    lines = out[out.index("Rules (") :].splitlines()
    header = [c.strip() for c in lines[1].split("  ") if c.strip()]
    assert header == [
        "rule",
        "action",
        "method",
        "false decision every",
        "run length (windows)",
        "evidence",
        "state",
    ]
    cells = ([c.strip() for c in line.split("  ") if c.strip()] for line in lines[3:])
    return {row[0]: row for row in cells}


def test_status_prints_every_rule_at_the_observed_traffic(
    capsys: pytest.CaptureFixture[str], service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_Service, "document", _document(RATE))
    code, out, err = _status(capsys, service)
    assert (code, err) == (0, "")
    assert out.startswith("model cancer version 1\nsignal")
    assert "Rules (at 0.5 windows/s observed; planning traffic 4 windows/s)" in out
    rows = _rows(out)
    policy = default_policy()
    assert list(rows) == list(policy.names)
    drift = rows["input-drift"]
    windows = policy.run_length("input-drift").windows
    assert drift[:4] == ["input-drift", "rollback", "cusum", format_duration(windows / RATE)]
    assert drift[4:] == ["1.26e+08", "3.2 / 15.0 nats", "armed"]
    feature = rows["feature-drift"]
    assert feature[1:3] == ["notify", "k_of_m"]
    assert feature[5:] == ["1 / 3 of 5", "armed"]
    assert rows["adversarial"][5:] == ["1 / 1 of 1", "latched"]
    assert not any("(planned)" in cell for row in rows.values() for cell in row)


def test_status_marks_planned_intervals_until_a_rate_is_seen(
    capsys: pytest.CaptureFixture[str], service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_Service, "document", _document(None))
    code, out, _ = _status(capsys, service)
    assert code == 0
    assert "Rules (no window rate observed yet; planning traffic 4 windows/s)" in out
    rows = _rows(out)
    assert rows["input-drift"][3] == "1.0 years (planned)"  # 365d at the planning traffic
    assert all(row[3].endswith("(planned)") for row in rows.values())


def test_status_json_carries_the_rules(
    capsys: pytest.CaptureFixture[str], service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = _document(RATE)
    monkeypatch.setattr(_Service, "document", document)
    code, out, _ = _status(capsys, service, "--json")
    assert code == 0
    body = json.loads(out)
    assert body["rules"] == document["rules"]
    assert (body["windows_per_s"], body["planned_windows_per_s"]) == (RATE, 4.0)
    assert body["rules"][0]["evidence"] == 3.2


def test_a_service_without_rules_still_gets_its_signals_table(
    capsys: pytest.CaptureFixture[str], service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = {k: v for k, v in _document(RATE).items() if k not in ("rules", "windows_per_s")}
    monkeypatch.setattr(_Service, "document", old)
    code, out, _ = _status(capsys, service)
    assert code == 0
    assert "input_drift" in out
    assert "Rules" not in out
    assert rules_table({**old, "rules": []}).startswith("Rules (no window rate observed yet")


def test_status_errors_are_one_line(capsys: pytest.CaptureFixture[str], service: str) -> None:
    code = main(["status", "nope", "--url", service, "--token", TOKEN])
    captured = capsys.readouterr()
    assert code != 0
    assert "nope" in captured.err
    assert "Traceback" not in captured.err
