"""The demo's attacks: an adversarial burst, a probing client and a poisoned labeller.

Run by :mod:`driftguard.cli.demo.story` against the real service once the regression has been
rolled back (version 1, known-good, serves):

- an attacker sends PGD adversarial digits (torch, L-inf 2 pixel levels, through the served
  model's own gradients): the per-request scorer flags them and ``adversarial_inputs``
  breaches, so the policy's ``adversarial`` rule notifies;
- a client walks a digit towards the decision boundary with small random steps (a black-box
  probe): it is flagged after a burst of near-duplicate queries and rate-limited (429);
- a labeller sends feedback whose labels are mostly moved by one class: the trusted version
  flags them, the source is quarantined, and none of its labels reach calibration.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["adversarial_burst", "poisoned_feedback", "probing_client"]


def _send(url: str, body: dict[str, Any], token: str | None = None) -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, json.dumps(body).encode(), headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status), json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return int(exc.code), json.loads(exc.read() or b"{}")


def _records(names: list[str], rows: np.ndarray[Any, Any]) -> list[dict[str, float]]:
    return [{n: float(v) for n, v in zip(names, row, strict=True)} for row in rows]


def adversarial_burst(
    url: str, registry: Path, name: str, raw: np.ndarray[Any, Any], y: np.ndarray[Any, Any]
) -> str:
    """PGD adversarials of the served version 1, sent in requests of 10 rows."""
    import torch

    from driftguard.adversarial.attacks import TorchForward, pgd, predicted_labels
    from driftguard.registry import Registry
    from driftguard.training.predictor import load_predictor

    predictor = load_predictor(Registry(registry).open(name, 1))
    net = TorchForward.from_predictor(predictor)
    x0 = torch.tensor(raw, dtype=torch.float32)
    target = torch.tensor(y, dtype=torch.int64)
    low, high = torch.zeros(raw.shape[1]), torch.full((raw.shape[1],), 16.0)
    torch.manual_seed(0)
    adv = pgd(net, x0, target, 2.0, low, high)
    fooled = predicted_labels(net, adv) != y
    rows = adv.numpy()[fooled]
    names = [f.name for f in predictor.encoder.schema.features]
    for start in range(0, len(rows), 10):
        _send(f"{url}/predict/{name}", {"records": _records(names, rows[start : start + 10])},
              token="demo-attacker")  # fmt: skip
    return f"{len(rows)} PGD adversarials (of {len(raw)} tried) sent"


def probing_client(url: str, name: str, start: np.ndarray[Any, Any], names: list[str]) -> str:
    """A black-box random walk from one digit: +-1 on two pixels per query."""
    g = np.random.default_rng(3)
    x = start.astype(np.float64).copy()
    codes: list[int] = []
    for _ in range(80):
        step = x.copy()
        idx = g.choice(x.size, 2, replace=False)
        step[idx] = np.clip(step[idx] + g.choice([-1.0, 1.0], 2), 0, 16)
        status, _ = _send(f"{url}/predict/{name}", {"records": _records(names, step[None])},
                          token="demo-prober")  # fmt: skip
        codes.append(status)
        if status == 200:
            x = step
    refused = sum(c == 429 for c in codes)
    first = next((i + 1 for i, c in enumerate(codes) if c == 429), None)
    return f"80 probing queries: {refused} refused with 429 (the first at query {first})"


def poisoned_feedback(
    url: str, name: str, cols: dict[str, np.ndarray[Any, Any]], y: np.ndarray[Any, Any]
) -> str:
    """An honest labeller and a poisoning one (70% of labels moved by one class)."""
    g = np.random.default_rng(11)
    rows = g.permutation(y.size)[:400]
    names = list(cols)
    raw = np.column_stack([cols[n] for n in names])
    outcome = {"honest": 0, "poisoner": 0}
    flagged = {"honest": 0, "poisoner": 0}
    for k, start in enumerate(range(0, len(rows), 10)):
        chunk = rows[start : start + 10]
        source = "labeller-honest" if k % 2 == 0 else "labeller-b"
        labels = y[chunk].copy()
        if source == "labeller-b":
            moved = g.random(len(chunk)) < 0.7
            labels[moved] = (labels[moved] + 1) % 10
        body = {"model": name, "records": _records(names, raw[chunk]),
                "label": [int(v) for v in labels], "source": source}  # fmt: skip
        status, answer = _send(f"{url}/feedback", body)
        who = "honest" if source == "labeller-honest" else "poisoner"
        if status == 200:
            outcome[who] += len(chunk)
            flagged[who] += int(answer.get("flagged", 0))
    return (
        f"labeller-honest: {flagged['honest']} of {outcome['honest']} labels held back; "
        f"labeller-b: {flagged['poisoner']} of {outcome['poisoner']} held back"
    )
