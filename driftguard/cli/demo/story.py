"""``driftguard demo``: the whole story on scikit-learn's bundled digits, through a real service.

1. Train version 1 with the regularized torch trainer (dropout, weight decay, label
   smoothing, early stopping, temperature scaling) and promote it.
2. Train version 2 on mislabelled data (60% of labels moved to the next digit).
3. Start the service (uvicorn on 127.0.0.1) with the default policy; promote version 2
   through the API (version 1 becomes known-good and shadows it).
4. Drive traffic over HTTP: clean rows (version 1 shadows version 2 and disagrees: a
   regression, confirmed over windows, rolls back to version 1), then drifted rows (input
   drift is confirmed on version 1; a second rollback is held back by the cooldown, so it
   only warns), then labelled feedback (calibration and accuracy of version 1).
5. Print the timeline and the signals; ``--exit`` returns 0 only if exactly one rollback
   happened, to version 1, for the regression. Without ``--exit`` the service keeps serving
   until Ctrl-C.
"""

from __future__ import annotations

import json
import secrets
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np

from driftguard.cli.demo.recipe import DIGITS_MLP_OPTIONS
from driftguard.cli.demo.traffic import adversarial_burst, poisoned_feedback, probing_client
from driftguard.cli.render import fmt, table
from driftguard.errors import ConfigurationError, DriftguardError
from driftguard.registry import Registry

__all__ = ["run_story"]

NAME = "digits"
TRAIN_OPTIONS = DIGITS_MLP_OPTIONS


def _digits() -> tuple[dict[str, np.ndarray[Any, Any]], np.ndarray[Any, Any]]:
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ConfigurationError(
            "the demo needs scikit-learn: pip install 'driftguard[all]'"
        ) from None
    data = load_digits()
    cols = {f"px{j // 8}{j % 8}": data.data[:, j].astype(np.float64) for j in range(64)}
    return cols, data.target.astype(np.int64)


def _say(text: str) -> None:
    print(text, flush=True)


def _train(registry: Registry) -> None:
    from driftguard.training.defenses import defense_artefacts
    from driftguard.training.pipeline import train_table

    hooks = (defense_artefacts,)
    cols, y = _digits()
    _say("[1/5] training version 1 (regularized MLP, temperature-scaled) on digits ...")
    good = train_table({**cols, "digit": y}, "digit", name=NAME, model="mlp",
                       options=TRAIN_OPTIONS, seed=0, artefacts=hooks)  # fmt: skip
    v1 = registry.register(NAME, good.draft, actor="demo", reason="clean training data")
    registry.promote(NAME, v1, actor="demo", reason="first version")
    _say(f"      version {v1}: test accuracy {good.draft.metrics['test']['accuracy']:.3f}")
    g = np.random.default_rng(1)
    flipped = np.where(g.random(y.size) < 0.6, (y + 1) % 10, y)
    _say("[2/5] training version 2 on mislabelled data (60% of labels moved) ...")
    bad = train_table({**cols, "digit": flipped}, "digit", name=NAME, model="mlp",
                      options=TRAIN_OPTIONS, seed=0, artefacts=hooks)  # fmt: skip
    v2 = registry.register(NAME, bad.draft, actor="demo", reason="mislabelled training data")
    _say(f"      version {v2} registered (version {v1} is ACTIVE)")


class _Service:
    """The real service on a free loopback port, in a thread of this process."""

    def __init__(self, registry: Path, port: int) -> None:
        import uvicorn
        from driftguard_service.app import create_app
        from driftguard_service.settings import Settings
        from pydantic import SecretStr

        self.root = registry
        self.token = secrets.token_urlsafe(24)
        settings = Settings(
            registry=registry,
            admin_token=SecretStr(self.token),
            drain_interval_s=0.1,
            watch_interval_s=0.5,
            shadow_rows=800,
        )
        self.app = create_app(settings)
        config = uvicorn.Config(self.app, host="127.0.0.1", port=port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> str:
        self.thread.start()
        for _ in range(600):
            if self.server.started and self.app.state.service.host.ready:
                sockets = self.server.servers[0].sockets
                return f"http://127.0.0.1:{sockets[0].getsockname()[1]}"
            time.sleep(0.1)
        raise DriftguardError("the demo service did not become ready within 60 s")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(15)


def _post(url: str, body: dict[str, Any], token: str | None = None) -> dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, json.dumps(body).encode(), headers, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        data: dict[str, Any] = json.loads(response.read())
        return data


def _records(cols: dict[str, np.ndarray[Any, Any]], rows: np.ndarray[Any, Any]) -> list[Any]:
    return [{k: float(v[i]) for k, v in cols.items()} for i in rows]


def _drive(url: str, records: list[Any], batch: int = 10) -> list[tuple[str, str, int]]:
    """Send rows in requests of ``batch``; return (request id, version, rows) per request."""
    served = []
    for start in range(0, len(records), batch):
        chunk = records[start : start + batch]
        answer = _post(f"{url}/predict/{NAME}", {"records": chunk})
        served.append((answer["request_id"], answer["model_version"], len(chunk)))
        time.sleep(0.005)
    time.sleep(0.5)  # let the evaluator fold the last requests in
    return served


def _phases(service: _Service, url: str) -> None:
    cols, y = _digits()
    g = np.random.default_rng(7)
    guard = service.app.state.service.guard
    _say("[4/5] traffic: 900 clean rows (version 2 serves; version 1 shadows it) ...")
    guard.note(NAME, 2, "traffic", "900 clean rows")
    clean = g.permutation(y.size)[:900]
    _drive(url, _records(cols, clean))
    _attacks(service, url, cols, y, g)
    _say("      ... then 1200 drifted rows (brighter strokes, noise)")
    guard.note(NAME, 1, "traffic", "1200 drifted rows")
    drifted = g.permutation(y.size)[:1200]
    shifted = {k: np.clip(v + 3.0 + g.normal(0, 1.0, v.size), 0, 16) for k, v in cols.items()}
    _drive(url, _records(shifted, drifted))
    _say("      ... then 600 clean rows with their true labels as feedback")
    guard.note(NAME, 1, "traffic", "600 clean rows, then their labels as feedback")
    labelled = g.permutation(y.size)[:600]
    served = _drive(url, _records(cols, labelled))
    offset = 0
    for request_id, _, rows in served:
        labels = [int(v) for v in y[labelled[offset : offset + rows]]]
        _post(f"{url}/feedback", {"request_id": request_id, "label": labels, "source": "demo"})
        offset += rows
    _say("      ... and two more labellers, one of them poisoning (70% of labels moved)")
    guard.note(NAME, 1, "traffic", "feedback from an honest and a poisoning labeller")
    _say("      " + poisoned_feedback(url, NAME, cols, y))
    _say("      ... and 300 more clean rows, so that the guard evaluates another window")
    guard.note(NAME, 1, "traffic", "300 clean rows")
    _drive(url, _records(cols, g.permutation(y.size)[:300]))
    time.sleep(1.0)


def _attacks(
    service: _Service,
    url: str,
    cols: dict[str, np.ndarray[Any, Any]],
    y: np.ndarray[Any, Any],
    g: np.random.Generator,
) -> None:
    guard = service.app.state.service.guard
    names = list(cols)
    raw = np.column_stack([cols[n] for n in names])
    _say("      ... then an adversarial burst: PGD digits (torch, 2 pixel levels) at version 1")
    guard.note(NAME, 1, "traffic", "adversarial burst (PGD)")
    picked = g.permutation(y.size)[:200]
    _say("      " + adversarial_burst(url, service.root, NAME, raw[picked], y[picked]))
    _say("      ... and a client probing the decision boundary with tiny random steps")
    guard.note(NAME, 1, "traffic", "a client probes the boundary (random walk)")
    _say("      " + probing_client(url, NAME, raw[picked[0]], names))


def _what(event: Any) -> str:
    """A timeline line; a decision names the rules it fired (the reason says why)."""
    fired = event.details.get("rules_fired") if event.kind == "decision" else None
    if not fired:
        return str(event.text)[:110]
    action = event.details.get("action", "")
    held = event.details.get("suppressed_by")
    text = f"{action}: rules fired: {', '.join(fired)}" + (f" (held back: {held})" if held else "")
    return text[:110]


def _timeline(service: _Service, started: float) -> str:
    events = service.app.state.service.guard.timeline(NAME)
    rows = [[f"+{e.time - started:5.1f}s", f"v{e.version}", e.kind, _what(e)] for e in events]
    return table(["time", "version", "event", "what"], rows)


def _signals(url: str, token: str) -> str:
    request = urllib.request.Request(
        f"{url}/models/{NAME}/signals", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        doc = json.loads(response.read())
    rows = [
        [s["name"], s["kind"], "-" if s["value"] is None else fmt(s["value"]),
         "-" if s["threshold"] is None else fmt(s["threshold"]), s["status"], str(s["samples"])]
        for s in doc["signals"] if not s["name"].startswith("input_drift:")
    ]  # fmt: skip
    head = f"signals of {doc['model']} version {doc['version']} (per-feature drift omitted)"
    return head + "\n" + table(["signal", "kind", "value", "threshold", "status", "samples"], rows)


def _verdict(service: _Service) -> tuple[bool, str]:
    events = service.app.state.service.guard.timeline(NAME)
    rollbacks = [e for e in events if e.kind == "rollback"]
    active = service.app.state.service.host.registry.active(NAME).version
    reasons = [
        e
        for e in events
        if e.kind == "decision" and e.text.startswith("rollback:") and "regression" in e.text
    ]
    probing = any(e.kind == "probing" for e in events)
    quarantined = any(e.kind == "poisoning" for e in events)
    fired = {r for e in events if e.kind == "decision" for r in e.details.get("rules_fired", ())}
    defended = probing and quarantined and {"adversarial", "poisoning"} <= fired
    ok = len(rollbacks) == 1 and active == 1 and bool(reasons) and defended
    return ok, (
        f"{len(rollbacks)} rollback(s), ACTIVE is version {active}, "
        f"regression named: {'yes' if reasons else 'no'}, "
        f"probing client flagged: {'yes' if probing else 'no'}, "
        f"poisoning source quarantined: {'yes' if quarantined else 'no'}, "
        f"rules fired: {', '.join(sorted(fired))}"
    )


def run_story(exit_after: bool = False, registry: str | None = None, port: int = 0) -> int:
    """Run the demo story; with ``exit_after`` return 0 only if it ended as it should."""
    root = Path(registry) if registry else Path(tempfile.mkdtemp(prefix="driftguard-demo-"))
    root = root / "registry" if not registry else root
    reg = Registry(root)
    if NAME in reg.names():
        raise ConfigurationError(f"{root}: already holds a {NAME!r} model; use an empty folder")
    started = time.time()
    _train(reg)
    _say("[3/5] starting the service (FastAPI on uvicorn, default policy) ...")
    service = _Service(root, port)
    url = service.start()
    _say(f"      serving {root} at {url}")
    _say(f"      dashboard: {url}/dashboard#token={service.token}")
    try:
        promote = {"version": 2, "reason": "new version"}
        _post(f"{url}/models/{NAME}/promote", promote, service.token)
        _say("      version 2 promoted through the API; version 1 is now known-good")
        _phases(service, url)
        _say("[5/5] timeline")
        _say(_timeline(service, started))
        _say("")
        _say(_signals(url, service.token))
        ok, summary = _verdict(service)
        _say(f"\nverdict: {summary} -> {'as expected' if ok else 'NOT as expected'}")
        if exit_after:
            return 0 if ok else 1
        _say(f"\nstill serving at {url} (admin token {service.token}); Ctrl-C stops")
        _say(f"dashboard: {url}/dashboard#token={service.token}")
        while True:
            time.sleep(3600)
    finally:
        service.stop()
        sys.stdout.flush()
