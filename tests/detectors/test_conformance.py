"""Conformance suite: the same checks over every detector (cf. river.checks, check_estimator).

Each detector kind is given by a :class:`Case`: a factory that builds it (fitted on small
seeded data) with the constructor arguments it passed, and a feeder that makes one ``update``
call with enough seeded data for every signal to leave ``insufficient_data``. Every check in
this module runs over every case; a new detector joins by adding a case to ``CASES``.
"""

from __future__ import annotations

import functools
import inspect
import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from driftguard.adversarial.flag_rate import AdversarialRate
from driftguard.adversarial.probing import ProbeDetector
from driftguard.detectors import (
    STATUSES,
    CalibrationMonitor,
    Detector,
    PerformanceEstimator,
    SequentialDrift,
    SignalSource,
    WindowDrift,
    check_signal,
)
from driftguard.drift import ReferenceProfile
from driftguard.poisoning.detector import PoisonedFeedback
from driftguard.poisoning.sources import SourceTracker
from driftguard.schema.validation import ValidatedBatch
from driftguard.serving.shadow import Shadow
from driftguard.types import Signal

Made = tuple[Any, dict[str, Any]]


@dataclass(frozen=True)
class Case:
    """One detector kind under test."""

    id: str
    kinds: frozenset[str]
    make: Callable[[int], Made]  # seed -> (detector, the constructor arguments it was given)
    feed: Callable[[Any, np.random.Generator], Any]  # one update with enough data; its result
    roundtrip: Callable[[Any], Any] | None = None  # save and load, where the class can
    keeps_observations: bool = False  # whether the saved state includes what was observed


# -- factories ----------------------------------------------------------------------------


@functools.cache
def _profile(seed: int) -> ReferenceProfile:
    g = np.random.default_rng(seed)
    columns = {"a": g.normal(size=1000), "b": g.gamma(2.0, size=1000)}
    return ReferenceProfile(n_resamples=100, n_splits=10, seed=seed).fit(columns)


def make_drift(seed: int) -> Made:
    kwargs = {"profile": _profile(seed), "alpha": 0.01, "correction": "bh", "min_rows": 60}
    return WindowDrift(**kwargs), kwargs


def feed_drift(det: WindowDrift, g: np.random.Generator) -> Any:
    return det.update({"a": g.normal(size=120), "b": g.gamma(2.0, size=120)})


def roundtrip_drift(det: WindowDrift) -> WindowDrift:
    return WindowDrift.from_dict(json.loads(json.dumps(det.to_dict())), det.profile)


def make_sequential(seed: int) -> Made:
    kwargs = {"expected_run_length": 200, "shift": 1.0, "n_streams": 50, "seed": seed}
    reference = np.random.default_rng(seed + 100).normal(size=(400, 2))
    return SequentialDrift(**kwargs).fit(reference), kwargs


def feed_sequential(det: SequentialDrift, g: np.random.Generator) -> Any:
    return det.update(g.normal(size=(50, 2)))


def _probabilities(g: np.random.Generator, n: int) -> np.ndarray:
    return g.dirichlet(np.ones(3), size=n)


def make_calibration(seed: int) -> Made:
    kwargs = {"n_bins": 5, "n_resamples": 99, "min_labels": 50, "reference_accuracy": 0.5}
    return CalibrationMonitor(**kwargs, seed=seed), {**kwargs, "seed": seed}


def feed_calibration(det: CalibrationMonitor, g: np.random.Generator) -> Any:
    p = _probabilities(g, 150)
    y = (g.random(150)[:, None] > np.cumsum(p, axis=1)[:, :-1]).sum(axis=1)
    return det.update(p, y)


def make_performance(seed: int) -> Made:
    kwargs = {"min_rows": 50, "reference_accuracy": 0.6, "reference_confidence": 0.6}
    return PerformanceEstimator(**kwargs), kwargs


def feed_performance(det: PerformanceEstimator, g: np.random.Generator) -> Any:
    return det.update(_probabilities(g, 150))


class _Previous:
    """Stands in for the previously active LoadedModel: a version, labels, predict_proba."""

    version = 1
    labels = ("no", "yes")

    def predict_proba(self, batch: ValidatedBatch) -> np.ndarray:
        p = 1.0 / (1.0 + np.exp(-np.asarray(batch.columns["x"])))
        return np.column_stack([1.0 - p, p])


_PREVIOUS = _Previous()


def make_shadow(seed: int) -> Made:
    kwargs = {
        "previous": _PREVIOUS,
        "current_version": 2,
        "current_labels": ("no", "yes"),
        "max_rows": 1000,
        "max_disagreement": 0.2,
        "min_rows": 50,
    }
    return Shadow(**kwargs), kwargs


def feed_shadow(det: Shadow, g: np.random.Generator) -> Any:
    x = g.normal(size=120)
    p = 1.0 / (1.0 + np.exp(-(x + g.normal(scale=0.5, size=120))))
    return det.update(ValidatedBatch({"x": x}, 120), np.column_stack([1.0 - p, p]))


def make_adversarial(seed: int) -> Made:
    kwargs = {"alpha": 0.05, "significance": 1e-3, "max_rows": 500, "min_rows": 20}
    return AdversarialRate(**kwargs), kwargs


def feed_adversarial(det: AdversarialRate, g: np.random.Generator) -> Any:
    return det.update(g.random(100))


def make_probing(seed: int) -> Made:
    kwargs = {"dims": 4, "history": 16, "min_near_duplicates": 4, "max_clients": 50, "seed": seed}
    reference = np.random.default_rng(seed + 100).normal(size=(300, 6))
    return ProbeDetector(**kwargs).fit(reference), kwargs


def feed_probing(det: ProbeDetector, g: np.random.Generator) -> Any:
    return det.update(f"client-{g.integers(3)}", g.normal(size=(30, 6)))


def roundtrip_probing(det: ProbeDetector) -> ProbeDetector:
    return ProbeDetector.from_bytes(det.to_bytes())


def make_poisoning(seed: int) -> Made:
    kwargs = {"alpha": 0.05, "max_rows": 500, "min_items": 10, "min_ratio": 2.0}
    return PoisonedFeedback(**kwargs), kwargs


def feed_poisoning(det: PoisonedFeedback, g: np.random.Generator) -> Any:
    return det.update(g.random(40) < 0.05, source=f"source-{g.integers(3)}")


CASES = [
    Case("drift", frozenset({"drift"}), make_drift, feed_drift, roundtrip_drift, True),
    Case("sequential", frozenset({"drift"}), make_sequential, feed_sequential),
    Case(
        "calibration",
        frozenset({"calibration", "performance"}),
        make_calibration,
        feed_calibration,
    ),
    Case("performance", frozenset({"performance", "drift"}), make_performance, feed_performance),
    Case("shadow", frozenset({"regression"}), make_shadow, feed_shadow),
    Case("adversarial", frozenset({"adversarial"}), make_adversarial, feed_adversarial),
    Case("probing", frozenset({"adversarial"}), make_probing, feed_probing, roundtrip_probing),
    Case("poisoning", frozenset({"poisoning"}), make_poisoning, feed_poisoning),
]

each_case = pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])


def _run(case: Case, seed: int = 0, batches: int = 2) -> tuple[Any, tuple[Signal, ...]]:
    det, _ = case.make(seed)
    g = np.random.default_rng(seed)
    for _ in range(batches):
        case.feed(det, g)
    return det, det.signals()


# -- the checks ---------------------------------------------------------------------------


@each_case
def test_implements_the_protocol(case: Case) -> None:
    det, _ = case.make(0)
    assert isinstance(det, Detector)
    assert isinstance(det, SignalSource)


@each_case
def test_constructor_stores_parameters_verbatim(case: Case) -> None:
    det, kwargs = case.make(0)
    params = det.get_params()
    signature = inspect.signature(type(det))
    assert list(params) == list(signature.parameters)
    for name, value in kwargs.items():
        assert params[name] is value, name
    for name, value in params.items():
        assert getattr(det, name) is value, name
    assert type(det)(**params).get_params() == params


@each_case
def test_learned_state_ends_in_underscore(case: Case) -> None:
    det, _ = _run(case)
    public = {k for k in vars(det) if not k.startswith("_") and not k.endswith("_")}
    assert public == set(det.get_params())


@each_case
def test_insufficient_data_before_enough_samples(case: Case) -> None:
    det, _ = case.make(0)
    fresh = type(det)(**det.get_params())  # maybe unfitted: signals() must not raise either
    for d in (det, fresh):
        signals = d.signals()
        assert signals
        assert all(s.status == "insufficient_data" for s in signals)
        assert all(s.value is None for s in signals)


@each_case
def test_signal_fields(case: Case) -> None:
    _, signals = _run(case)
    assert isinstance(signals, tuple)
    assert signals
    names = [s.name for s in signals]
    assert len(set(names)) == len(names)
    for s in signals:
        assert isinstance(s, Signal)
        check_signal(s)
        assert s.status in STATUSES
        assert s.kind in case.kinds
        assert isinstance(s.name, str)
        assert s.value is None or isinstance(s.value, float)
        assert s.threshold is None or isinstance(s.threshold, float)
        assert isinstance(s.samples, int)
        assert s.samples > 0
    assert any(s.status != "insufficient_data" for s in signals)


@each_case
def test_update_returns_self(case: Case) -> None:
    det, _ = case.make(0)
    assert case.feed(det, np.random.default_rng(0)) is det


@each_case
def test_same_signal_names_before_and_after_data(case: Case) -> None:
    det, _ = case.make(0)
    before = [s.name for s in det.signals()]
    after = [s.name for s in case.feed(det, np.random.default_rng(0)).signals()]
    assert before == after


@each_case
def test_no_runtime_warning_on_finite_input(case: Case) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        det, _ = _run(case, batches=3)
        det.signals()


@each_case
def test_deterministic_under_a_seed(case: Case) -> None:
    assert _run(case, seed=3)[1] == _run(case, seed=3)[1]


SAVED = [c for c in CASES if c.roundtrip is not None]


@pytest.mark.parametrize("case", SAVED, ids=[c.id for c in SAVED])
def test_state_survives_save_and_load(case: Case) -> None:
    assert case.roundtrip is not None
    det, _ = case.make(0)
    loaded = case.roundtrip(det)
    assert type(loaded) is type(det)
    assert loaded.get_params() == det.get_params()
    g1, g2 = np.random.default_rng(5), np.random.default_rng(5)
    assert case.feed(det, g1).signals() == case.feed(loaded, g2).signals()
    if case.keeps_observations:
        assert case.roundtrip(det).signals() == det.signals()


def test_source_tracker_is_a_signal_source() -> None:
    """The tracker reports ``quarantined_sources``; its update returns a verdict, not self."""
    tracker = SourceTracker(min_items=5)
    assert tracker.signals()[0].status == "insufficient_data"
    tracker.update("s", 10, 10)
    (signal,) = tracker.signals()
    assert check_signal(signal).status == "breach"
    assert SourceTracker(**tracker.get_params()).get_params() == tracker.get_params()
