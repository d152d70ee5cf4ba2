"""A registered checkpoint rebuilds its model and predicts from raw, mixed-type columns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from driftguard.registry import Registry
from driftguard.training.pipeline import train_table
from driftguard.training.predictor import load_predictor


def _table(n: int = 500, seed: int = 0) -> dict[str, np.ndarray]:
    g = np.random.default_rng(seed)
    x1 = g.normal(size=n)
    city = g.choice(["paris", "oslo", "rome"], size=n)
    member = g.choice([True, False], size=n)
    score = x1 + np.where(city == "oslo", 1.0, 0.0) + np.where(member, 0.5, -0.5)
    label = np.where(score + g.normal(scale=0.3, size=n) > 0.3, "yes", "no")
    return {"x1": x1, "city": city, "member": member, "label": label}


@pytest.mark.parametrize(
    ("model", "options"),
    [("logreg", {"C": 1.0}), ("mlp", {"epochs": 15, "dropout": 0.1, "progress": False})],
)
def test_checkpoint_rebuilds_the_model(tmp_path: Path, model: str, options: dict) -> None:
    table = _table()
    run = train_table(table, "label", name="m", model=model, options=options, seed=1)
    registry = Registry(tmp_path / "reg")
    version = registry.register("m", run.draft, actor="test")
    predictor = load_predictor(registry.open("m", version))
    features = {k: v for k, v in table.items() if k != "label"}
    proba = predictor.predict_proba(features)
    assert proba.shape == (500, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-9)
    predicted = predictor.predict(features)
    assert set(predicted) <= set(predictor.labels) == {"no", "yes"}
    accuracy = np.mean(np.asarray(predicted) == table["label"])
    assert accuracy == pytest.approx(run.metrics["accuracy"], abs=0.08)
    again = load_predictor(registry.open("m", version)).predict_proba(features)
    np.testing.assert_array_equal(proba, again)
    assert predictor.temperature == run.draft.config["temperature"]
    unseen = dict(features)
    unseen["city"] = np.full(500, "berlin")
    assert np.all(np.isfinite(predictor.predict_proba(unseen)))
