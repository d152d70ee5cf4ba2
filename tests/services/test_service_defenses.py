"""The defences inside the service (TestClient against ``create_app``), on bundled digits.

Two versions of a digits logistic regression, trained with the defence artefacts; version 1
is promoted, then version 2 (so version 1 is known-good and the trusted screener). Checked:
probing clients are flagged and refused as the policy says (429 / 403, ``Retry-After``),
other clients are not; adversarial (off-grid, out-of-range) rows are flagged and counted;
poisoned feedback is flagged with the trusted version, its source quarantined, and neither
reaches calibration nor the export; everything shows in ``/metrics``, the signals and the
timeline.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from driftguard_service.app import create_app
from driftguard_service.settings import Settings
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from driftguard.registry import Registry
from driftguard.training.defenses import DEFENSE_FILES, defense_artefacts
from driftguard.training.pipeline import train_table

TOKEN = "d" * 20
AUTH = {"Authorization": f"Bearer {TOKEN}"}
NAME = "digits"


def _digits() -> tuple[dict[str, np.ndarray], np.ndarray]:
    from sklearn.datasets import load_digits

    data = load_digits()
    cols = {f"px{j}": data.data[:, j].astype(np.float64) for j in range(64)}
    return cols, data.target.astype(np.int64)


@pytest.fixture(scope="module")
def digits_registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("defended") / "registry"
    registry = Registry(root)
    cols, y = _digits()
    for seed in (0, 1):
        run = train_table({**cols, "digit": y}, "digit", name=NAME, model="logreg",
                          options={"C": 0.1, "max_iter": 500}, seed=seed,
                          artefacts=(defense_artefacts,))  # fmt: skip
        version = registry.register(NAME, run.draft, actor="test", reason="digits")
        registry.promote(NAME, version, actor="test", reason="test")
    return root


def _policy(tmp: Path, action: str) -> Path:
    text = Path("driftguard/policy/default.yaml").read_text()
    text = text.replace("on_probing: rate_limit", f"on_probing: {action}")
    path = tmp / f"policy-{action}.yaml"
    path.write_text(text)
    return path


@pytest.fixture
def client(digits_registry: Path, tmp_path: Path, request: Any) -> Iterator[TestClient]:
    action = getattr(request, "param", "rate_limit")
    settings = Settings(registry=digits_registry, admin_token=TOKEN,
                        policy=_policy(tmp_path, action), drain_interval_s=0.05)  # fmt: skip
    with TestClient(create_app(settings)) as c:
        deadline = time.monotonic() + 60
        while c.get("/v2/health/ready").status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        yield c


def _records(rows: np.ndarray) -> list[dict[str, float]]:
    return [{f"px{j}": float(v) for j, v in enumerate(row)} for row in rows]


def _metric(c: TestClient, family: str, sample: str, **labels: str) -> float:
    for fam in text_string_to_metric_families(c.get("/metrics").text):
        if fam.name == family:
            for s in fam.samples:
                if s.name == sample and all(s.labels.get(k) == v for k, v in labels.items()):
                    return float(s.value)
    return 0.0


def _probe(c: TestClient, start: np.ndarray, token: str, n: int) -> list[int]:
    g = np.random.default_rng(5)
    x = start.copy()
    codes = []
    for _ in range(n):
        step = x.copy()
        idx = g.choice(64, 2, replace=False)
        step[idx] = np.clip(step[idx] + g.choice([-1.0, 1.0], 2), 0, 16)
        r = c.post(f"/predict/{NAME}", json={"records": _records(step[None])},
                   headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        codes.append(r.status_code)
        if r.status_code == 200:
            x = step
        else:
            assert "probing" in r.json()["error"]
            assert r.json()["type"].endswith("Error")
    return codes


def test_checkpoints_carry_the_defences(digits_registry: Path) -> None:
    checkpoint = Registry(digits_registry).open(NAME, 1)
    assert set(DEFENSE_FILES) <= set(checkpoint.model_files)


def test_a_probing_client_is_rate_limited_and_others_are_not(client: TestClient) -> None:
    cols, _ = _digits()
    raw = np.column_stack(list(cols.values()))
    codes = _probe(client, raw[0], "prober", 80)
    assert codes[:10] == [200] * 10  # flagged only after a burst of near duplicates
    assert 429 in codes
    first = codes.index(429)  # flagged after a burst, then 30 requests a minute allowed
    assert 30 < first <= 30 + 40
    assert set(codes[first:]) == {429}
    ordinary = client.post(f"/predict/{NAME}", json={"records": _records(raw[1:40])},
                           headers={"Authorization": "Bearer honest"})  # fmt: skip
    assert ordinary.status_code == 200
    refused = client.post(f"/predict/{NAME}", json={"records": _records(raw[5:6])},
                          headers={"Authorization": "Bearer prober"})  # fmt: skip
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert _metric(client, "driftguard_probing_flags", "driftguard_probing_flags_total") == 1
    assert _metric(client, "driftguard_probing_refused", "driftguard_probing_refused_total",
                   action="rate_limit") >= 1  # fmt: skip
    events = client.app.state.service.guard.timeline(NAME)  # type: ignore[attr-defined]
    assert any(e.kind == "probing" and "rate_limit" in e.text for e in events)
    doc = client.get(f"/models/{NAME}/defenses", headers=AUTH).json()
    assert len(doc["clients"]["flagged"]) == 1
    assert doc["clients"]["action"] == "rate_limit"
    flagged = doc["clients"]["flagged"][0]
    assert client.post(f"/clients/{flagged}/release", headers=AUTH).status_code == 200
    assert client.post(f"/clients/{flagged}/release", headers=AUTH).status_code == 404
    assert client.post(f"/clients/{flagged}/release").status_code == 401


@pytest.mark.parametrize("client", ["block"], indirect=True)
def test_block_policy_answers_403(client: TestClient) -> None:
    cols, _ = _digits()
    codes = _probe(client, np.column_stack(list(cols.values()))[3], "prober2", 40)
    assert 403 in codes
    assert 429 not in codes
    first = codes.index(403)
    assert all(code == 403 for code in codes[first:])


def test_adversarial_rows_are_flagged_and_counted(client: TestClient) -> None:
    cols, _ = _digits()
    raw = np.column_stack(list(cols.values()))
    g = np.random.default_rng(0)
    clean = raw[g.permutation(len(raw))[:300]]
    assert client.post(f"/predict/{NAME}", json={"records": _records(clean)}).status_code == 200
    clean_flags = _metric(client, "driftguard_adversarial_flagged",
                          "driftguard_adversarial_flagged_total", model_version="2")  # fmt: skip
    noisy = np.clip(clean[:100] + g.uniform(-0.5, 0.5, (100, 64)), 0, 16)  # off the grid
    assert client.post(f"/predict/{NAME}", json={"records": _records(noisy)}).status_code == 200
    rows = _metric(client, "driftguard_adversarial_rows", "driftguard_adversarial_rows_total",
                   model_version="2")  # fmt: skip
    flagged = _metric(client, "driftguard_adversarial_flagged",
                      "driftguard_adversarial_flagged_total", model_version="2")  # fmt: skip
    assert rows == 400
    assert clean_flags <= 15
    assert flagged - clean_flags >= 95
    signals = client.get(f"/models/{NAME}/signals", headers=AUTH).json()["signals"]
    names = {s["name"] for s in signals}
    assert {"adversarial_inputs", "probing_clients"} <= names


def test_poisoned_feedback_is_flagged_quarantined_and_never_used(client: TestClient) -> None:
    cols, y = _digits()
    raw = np.column_stack(list(cols.values()))
    g = np.random.default_rng(1)
    rows = g.permutation(len(y))[:300]
    flagged = {"honest": 0, "poisoner": 0}
    for k, start in enumerate(range(0, 300, 10)):
        chunk = rows[start : start + 10]
        labels = y[chunk].copy()
        source = "honest" if k % 2 == 0 else "poisoner"
        if source == "poisoner":
            labels = (labels + 1) % 10
        r = client.post("/feedback", json={"model": NAME, "records": _records(raw[chunk]),
                        "label": labels.tolist(), "source": source})  # fmt: skip
        assert r.status_code == 200
        assert r.json()["trusted_version"] == 1
        flagged[source] += r.json()["flagged"]
    assert flagged["honest"] <= 5
    assert flagged["poisoner"] >= 145
    doc = client.get(f"/models/{NAME}/defenses", headers=AUTH).json()
    sources = {s["source"]: s for s in doc["sources"]}
    assert sources["poisoner"]["quarantined"]
    assert not sources["honest"]["quarantined"]
    accepted = client.get(f"/models/{NAME}/feedback", headers=AUTH).json()
    held = client.get(f"/models/{NAME}/feedback?state=flagged", headers=AUTH).json()
    assert accepted["rows"] + held["rows"] == 300
    assert held["rows"] == flagged["honest"] + flagged["poisoner"]
    assert sum(len(i["rows"]) for i in accepted["items"] if i["source"] == "honest") == (
        150 - flagged["honest"]
    )
    host = client.app.state.service.host  # type: ignore[attr-defined]
    _proba, labels = host.feedback.usable(NAME, 2)
    assert len(labels) == accepted["rows"]  # calibration sees only the accepted rows
    assert _metric(client, "driftguard_feedback_sources_quarantined",
                   "driftguard_feedback_sources_quarantined", model_name=NAME) == 1  # fmt: skip
    events = client.app.state.service.guard.timeline(NAME)  # type: ignore[attr-defined]
    assert any(e.kind == "poisoning" and "poisoner" in e.text for e in events)
    release = client.post(f"/models/{NAME}/feedback/sources/poisoner/release", headers=AUTH)
    assert release.status_code == 200
