"""The front door: what ``import driftguard`` offers a library user.

``EXPECTED`` is the public list, written out: adding, removing or renaming a name of
``driftguard.__all__`` is a deliberate change of this test too.
"""

from __future__ import annotations

import importlib.metadata
import inspect
import tomllib
from pathlib import Path

import pytest

import driftguard
from driftguard.monitor import WindowReport, drift_signals, window_signals
from driftguard.monitor.window_monitor import MonitorState
from driftguard.types import DriftReport, FeatureDrift

REPO = Path(__file__).resolve().parents[1]

EXPECTED = [
    "Checkpoint",
    "ConfigurationError",
    "ConflictError",
    "Decision",
    "DriftCheck",
    "DriftReport",
    "DriftguardError",
    "EmptyDataError",
    "FeatureDrift",
    "Guard",
    "IntegrityError",
    "ModelHost",
    "NoRollbackTargetError",
    "NotFittedError",
    "Policy",
    "PolicyError",
    "PolicyState",
    "ReferenceProfile",
    "Registry",
    "RegistryError",
    "Schema",
    "SchemaError",
    "SerializationError",
    "Signal",
    "TorchConfig",
    "TrainedRun",
    "TrainingDataError",
    "VersionNotFoundError",
    "WindowCounts",
    "__version__",
    "compare_tables",
    "decide",
    "default_policy",
    "infer_schema",
    "load_policy",
    "load_profile",
    "read_checkpoint",
    "save_profile",
    "train_table",
]


def test_all_is_sorted_and_is_the_expected_list() -> None:
    assert driftguard.__all__ == sorted(driftguard.__all__)
    assert len(set(driftguard.__all__)) == len(driftguard.__all__)
    assert driftguard.__all__ == EXPECTED


@pytest.mark.parametrize("name", EXPECTED)
def test_every_name_resolves(name: str) -> None:
    value = getattr(driftguard, name)
    assert value is not None
    if name == "__version__":
        return
    # the name is the object its defining module exports, not a copy or a wrapper
    module = importlib.import_module(value.__module__)
    assert getattr(module, name) is value
    assert module.__name__.startswith("driftguard.")
    if inspect.isclass(value) and issubclass(value, Exception):
        assert issubclass(value, driftguard.DriftguardError)


def test_dir_lists_every_name() -> None:
    listed = dir(driftguard)
    assert set(EXPECTED) <= set(listed)
    assert listed == sorted(listed)


def test_version_matches_pyproject() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert driftguard.__version__ == project["version"]
    try:
        installed = importlib.metadata.version("driftguard")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - run from a checkout
        return
    assert driftguard.__version__ == installed


def test_unknown_attribute_raises_attribute_error() -> None:
    with pytest.raises(AttributeError, match=r"^module 'driftguard' has no attribute 'nope'$"):
        _ = driftguard.nope
    assert not hasattr(driftguard, "_private_nope")
    with pytest.raises(ImportError, match="cannot import name 'nope'"):
        exec("from driftguard import nope", {})


def test_from_import_star_gives_every_name() -> None:
    namespace: dict[str, object] = {}
    exec("from driftguard import *", namespace)
    assert set(EXPECTED) <= set(namespace)
    assert namespace["Registry"] is driftguard.Registry


# --- DriftReport.signals: one definition with the guard's ------------------------------------


def _report(*, drift: bool) -> DriftReport:
    features = (
        FeatureDrift("age", "wasserstein", 0.31, 0.08, 0.001, 0.002, 0.1, drift),
        FeatureDrift("plan", "psi", 0.02, 0.05, 0.6, 0.6, 0.1, False),
    )
    p_value = 1e-5 if drift else 0.4
    return DriftReport(500, 0.05, "holm", 3.9 if drift else 0.4, 1.3, p_value, drift, features)


@pytest.mark.parametrize("drift", [True, False])
def test_report_signals_equal_the_guards(drift: bool) -> None:
    report = _report(drift=drift)
    window = WindowReport(3, True, 1_700_000_000.0, report)
    state = MonitorState(
        rows_observed=2_000,
        rows_queued=0,
        window_rows=0,
        windows_closed=4,
        dropped_rows=0,
        window_size=500,
        last_closed=window,
    )
    signals = report.signals()
    assert signals == drift_signals(state) == window_signals(window)
    names = [s.name for s in signals]
    assert names == ["input_drift", "input_drift:age", "input_drift:plan"]
    assert {s.kind for s in signals} == {"drift"}
    assert {s.samples for s in signals} == {500}
    dataset, age, plan = signals
    assert (dataset.value, dataset.threshold) == (report.dataset_score, 1.3)
    assert (age.value, age.threshold) == (0.31, 0.08)
    expected = "breach" if drift else "ok"
    assert (dataset.status, age.status, plan.status) == (expected, expected, "ok")


def test_report_signals_feed_decide_like_the_guards() -> None:
    policy = driftguard.default_policy()
    state = driftguard.PolicyState()
    for minute in range(3):  # the default input-drift CUSUM: 3 windows at p = 1e-5 each
        signals = _report(drift=True).signals()
        decision, state = driftguard.decide(policy, signals, state, now=60.0 * minute)
    assert decision.action == "rollback"
    assert "input-drift" in decision.rules_fired
