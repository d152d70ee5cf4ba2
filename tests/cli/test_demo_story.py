"""`driftguard demo --exit` tells the whole story and exits 0 only if it ended right."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import cancer_columns

from driftguard.cli.main import main
from driftguard.registry import Registry
from driftguard.training.pipeline import train_table


@pytest.mark.slow
def test_demo_story_rolls_back_once_for_the_regression(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "registry"
    assert main(["demo", "--exit", "--registry", str(root)]) == 0
    out = capsys.readouterr().out
    assert "verdict: 1 rollback(s), ACTIVE is version 1, regression named: yes" in out
    registry = Registry(root)
    rollbacks = [r for r in registry.audit("digits") if r.action == "rollback"]
    assert len(rollbacks) == 1
    assert (rollbacks[0].from_version, rollbacks[0].to_version) == (2, 1)
    assert rollbacks[0].actor == "guard"


def test_demo_refuses_a_registry_that_already_has_the_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cols = cancer_columns()
    run = train_table(cols, "target", name="digits", model="logreg", seed=0)
    Registry(tmp_path / "r").register("digits", run.draft, actor="test")
    assert main(["demo", "--exit", "--registry", str(tmp_path / "r")]) == 2
    assert "already holds a 'digits' model" in capsys.readouterr().err
