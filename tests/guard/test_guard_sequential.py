"""The opt-in sequential drift signal: armed per served version, fed by drained traffic."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from conftest import cancer_records

from driftguard.guard import Guard, SequentialSignals, Timeline
from driftguard.policy import default_policy
from driftguard.registry import Registry
from driftguard.serving import ModelHost, RequestPath


def _send(host: ModelHost, records: list[dict[str, float]]) -> None:
    model = host.get("cancer")
    path = RequestPath(host)
    for start in range(0, len(records), 10):
        path.score_records(model, records[start : start + 10])
    assert model.monitor is not None
    model.monitor.drain()


def test_sequential_signal_arms_then_breaches_on_shifted_traffic(cancer_registry: Path) -> None:
    host = ModelHost(Registry(cancer_registry))
    host.refresh()
    timeline = Timeline()
    source = SequentialSignals(500, note=timeline.note)
    guard = Guard(host, default_policy(), sources=(source,), timeline=timeline)
    assert guard.sources == (source,)
    model = host.get("cancer")
    (signal,) = source(model)
    assert signal.name == "sequential_drift"
    assert signal.status == "insufficient_data"
    assert any(e.kind == "sequential" and "armed" in e.text for e in guard.timeline())
    rows = cancer_records(569)
    order = np.random.default_rng(0).permutation(len(rows))
    _send(host, [rows[i] for i in order[:60]])
    (signal,) = source(model)
    assert signal.status == "ok"
    assert signal.samples == 60
    shifted = [{k: v * 1.5 for k, v in rows[i].items()} for i in order[100:300]]
    _send(host, shifted)
    (signal,) = source(model)
    assert signal.status == "breach"
    assert signal.value is not None
    assert signal.threshold is not None
    assert signal.value > signal.threshold
