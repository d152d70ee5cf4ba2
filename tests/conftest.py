"""Shared fixtures: a registry with trained breast-cancer models, copied fresh per test."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

CANCER_VERSIONS = 3  # logistic regressions with C = 1.0, 0.1, 0.01


def cancer_columns() -> dict[str, np.ndarray]:
    """breast_cancer as columns (feature names with underscores) plus ``target``."""
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    names = [n.replace(" ", "_") for n in data.feature_names]
    cols = {n: data.data[:, j] for j, n in enumerate(names)}
    cols["target"] = data.target
    return cols


def cancer_records(n: int = 5, start: int = 0) -> list[dict[str, float]]:
    """``n`` rows of breast_cancer as request records."""
    cols = cancer_columns()
    names = [k for k in cols if k != "target"]
    return [{k: float(cols[k][i]) for k in names} for i in range(start, start + n)]


@pytest.fixture(scope="session")
def _cancer_registry_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from driftguard.registry import Registry
    from driftguard.training.pipeline import train_table

    root = tmp_path_factory.mktemp("cancer") / "registry"
    registry = Registry(root)
    cols = cancer_columns()
    for c in (1.0, 0.1, 0.01)[:CANCER_VERSIONS]:
        run = train_table(cols, "target", name="cancer", model="logreg", options={"C": c}, seed=0)
        registry.register("cancer", run.draft, actor="fixture")
    registry.promote("cancer", 1, actor="fixture")
    return root


@pytest.fixture
def cancer_registry(_cancer_registry_template: Path, tmp_path: Path) -> Path:
    """A private copy of a registry holding ``cancer`` versions 1-3, version 1 ACTIVE."""
    root = tmp_path / "registry"
    shutil.copytree(_cancer_registry_template, root)
    return root
