"""``driftguard train --audit`` and the checkpoint artefact hook."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from driftguard.audit.gate import audit_gate
from driftguard.errors import ConfigurationError, TrainingDataError
from driftguard.training.pipeline import ArtefactInputs, train_table


def _table(flip: float, seed: int = 0) -> dict[str, Any]:
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    g = np.random.default_rng(seed)
    y = data.target.copy()
    moved = g.random(y.size) < flip
    y[moved] = 1 - y[moved]
    cols = {f"f{j}": data.data[:, j] for j in range(data.data.shape[1])}
    return {**cols, "label": y}


def test_drop_removes_flagged_rows_and_fail_refuses() -> None:
    table = _table(0.1)
    kept, summary = audit_gate(table, "label", mode="drop", max_share=0.5)
    assert summary["dropped"] == summary["flagged"] > 20
    assert len(kept["label"]) == len(table["label"]) - summary["dropped"]
    with pytest.raises(TrainingDataError, match=r"--audit fail: .* look mislabelled"):
        audit_gate(table, "label", mode="fail", max_share=0.01)
    kept, summary = audit_gate(table, "label", mode="warn")
    assert len(kept["label"]) == len(table["label"])
    assert summary["dropped"] == 0
    with pytest.raises(ConfigurationError, match="--audit must be one of"):
        audit_gate(table, "label", mode="maybe")


def test_artefact_hooks_see_the_splits_and_add_files() -> None:
    seen: list[ArtefactInputs] = []

    def hook(inputs: ArtefactInputs) -> dict[str, bytes]:
        seen.append(inputs)
        return {"extra.bin": b"x"}

    run = train_table(_table(0.0), "label", name="c", model="logreg", artefacts=(hook,))
    assert run.draft.files["extra.bin"] == b"x"
    (inputs,) = seen
    assert inputs.x_train.shape[1] == 30
    assert inputs.raw_test is not None
    assert len(inputs.x_test) == len(inputs.y_test) == len(inputs.raw_test)
    proba = inputs.predictor.predict_proba_encoded(inputs.x_test)
    accuracy = float((proba.argmax(axis=1) == inputs.y_test).mean())
    assert accuracy == pytest.approx(run.metrics["accuracy"])
