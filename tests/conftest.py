"""Shared fixtures: a registry with trained breast-cancer models, copied fresh per test."""

from __future__ import annotations

import functools
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


CANCER_ROWS = 569
CANCER_WINDOW = 86  # the cancer profile's largest calibrated window size (the monitor's default)


@functools.cache
def _shuffled_cancer() -> tuple[dict[str, float], ...]:
    records = cancer_records(CANCER_ROWS)
    order = np.random.default_rng(0).permutation(CANCER_ROWS)
    return tuple(records[i] for i in order)


def clean_window(i: int) -> list[dict[str, float]]:
    """Clean window ``i``: one of 6 slices of seeded-shuffled breast_cancer (all judged ok)."""
    j = i % (CANCER_ROWS // CANCER_WINDOW)
    return [dict(r) for r in _shuffled_cancer()[j * CANCER_WINDOW : (j + 1) * CANCER_WINDOW]]


def drifted_window(i: int) -> list[dict[str, float]]:
    """Drifted window ``i``: every feature of a clean window x 1.5."""
    return [{k: v * 1.5 for k, v in r.items()} for r in clean_window(i)]


def as_columns(rows: list[dict[str, float]]) -> dict[str, np.ndarray]:
    """Records as columns (for an in-process DriftCheck)."""
    return {k: np.array([r[k] for r in rows]) for k in rows[0]}


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
