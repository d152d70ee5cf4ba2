"""The serving library without HTTP: window monitor, prediction log and feedback store,
label matching and feedback intake, and the model host (get, get_version, refresh, swaps).
"""

from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import cancer_records

from driftguard.drift.profile import ReferenceProfile
from driftguard.errors import (
    ConfigurationError,
    InvalidInputError,
    ModelUnavailableError,
    NoRollbackTargetError,
    RegistryError,
    UnknownRequestError,
    VersionNotFoundError,
)
from driftguard.monitor import WindowMonitor, drift_signals
from driftguard.registry import Registry
from driftguard.schema.validation import InputValidator, ValidatedBatch
from driftguard.serving import (
    Background,
    Feedback,
    FeedbackStore,
    LoggedPrediction,
    ModelHost,
    ModelOptions,
    PredictionLog,
    RequestPath,
)
from driftguard.serving.inbox import accept_feedback, label_codes

# --------------------------------------------------------------------------------------------
# WindowMonitor


@pytest.fixture(scope="module")
def profile() -> ReferenceProfile:
    g = np.random.default_rng(0)
    reference = {
        "x": g.normal(size=2000),
        "c": g.choice(np.array(["a", "b", "c"]), size=2000),
    }
    return ReferenceProfile(n_resamples=100).fit(reference)


def _batch(
    profile: ReferenceProfile, n: int, seed: int = 1, shift: float = 0.0, **policy: Any
) -> ValidatedBatch:
    g = np.random.default_rng(seed)
    columns = {
        "x": (g.normal(size=n) + shift).tolist(),
        "c": g.choice(np.array(["a", "b", "c"]), size=n).tolist(),
    }
    return InputValidator(profile.schema_, **policy).columns(columns)


def test_monitor_folds_rows_into_tumbling_windows(profile: ReferenceProfile) -> None:
    monitor = WindowMonitor(profile, window_size=100)
    assert monitor.observe(_batch(profile, 130))
    assert monitor.observe(_batch(profile, 120, seed=2))
    state = monitor.state()
    assert (state.rows_queued, state.rows_observed, state.windows_closed) == (250, 0, 0)
    assert monitor.drain() == 250
    assert monitor.drain() == 0
    state = monitor.state()
    assert (state.rows_queued, state.rows_observed) == (0, 250)
    assert (state.windows_closed, state.window_rows, state.window_size) == (2, 50, 100)
    assert [r.index for r in state.history] == [0, 1]
    assert all(r.closed and r.report.n_rows == 100 for r in state.history)
    assert state.last_closed is state.history[-1]


def test_monitor_queue_is_bounded_and_drops_are_counted(profile: ReferenceProfile) -> None:
    monitor = WindowMonitor(profile, window_size=50, queue_rows=100)
    assert monitor.observe(_batch(profile, 60))
    assert not monitor.observe(_batch(profile, 60))
    assert monitor.observe(_batch(profile, 40))
    state = monitor.state()
    assert (state.rows_queued, state.dropped_rows) == (100, 60)
    monitor.drain()
    assert monitor.observe(_batch(profile, 60))
    assert monitor.state().dropped_rows == 60


def test_monitor_counts_nonfinite_and_unseen_values(profile: ReferenceProfile) -> None:
    validator = InputValidator(profile.schema_, nonfinite="count")
    batch = validator.columns(
        {
            "x": [math.nan, math.inf, -math.inf, None, 0.5, 1.0],
            "c": ["a", "zzz", None, "b", "yyy", "c"],
        }
    )
    assert batch.nonfinite == {"x": 4, "c": 1}
    assert batch.unseen == {"c": 2}
    monitor = WindowMonitor(profile, window_size=4)
    monitor.observe(batch)
    monitor.observe(batch)
    assert monitor.drain() == 12  # non-finite values and "" fold in without error
    state = monitor.state()
    assert state.nonfinite == {"x": 8, "c": 2}
    assert state.unseen == {"c": 4}
    assert state.windows_closed == 3


def test_monitor_look_checks_the_open_window(profile: ReferenceProfile) -> None:
    monitor = WindowMonitor(profile, window_size=200, min_rows=50)
    monitor.observe(_batch(profile, 30))
    monitor.drain()
    assert monitor.look() is None
    assert monitor.state().current is None
    monitor.observe(_batch(profile, 40, seed=3))
    monitor.drain()
    report = monitor.look()
    assert report is not None
    assert (report.closed, report.index, report.report.n_rows) == (False, 0, 70)
    assert monitor.state().current is report
    monitor.observe(_batch(profile, 130, seed=4))
    monitor.drain()
    state = monitor.state()
    assert state.windows_closed == 1
    assert state.current is None  # a closed window replaces the look


def test_monitor_flags_a_shifted_window(profile: ReferenceProfile) -> None:
    monitor = WindowMonitor(profile, window_size=200)
    monitor.observe(_batch(profile, 200, shift=3.0))
    monitor.drain()
    state = monitor.state()
    assert state.last_closed is not None
    assert state.last_closed.report.drift
    signals = drift_signals(state)
    assert signals[0].name == "input_drift"
    assert signals[0].status == "breach"
    assert signals[0].samples == 200
    assert {s.name for s in signals[1:]} == {"input_drift:x", "input_drift:c"}
    by_name = {s.name: s for s in signals}
    assert by_name["input_drift:x"].status == "breach"
    assert by_name["input_drift:x"].value is not None
    assert by_name["input_drift:x"].threshold is not None


def test_signals_without_a_checked_window_are_insufficient(profile: ReferenceProfile) -> None:
    monitor = WindowMonitor(profile, window_size=100)
    monitor.observe(_batch(profile, 10))
    monitor.drain()
    (signal,) = drift_signals(monitor.state())
    assert (signal.status, signal.value, signal.threshold, signal.samples) == (
        "insufficient_data",
        None,
        None,
        10,
    )


def test_monitor_settings(profile: ReferenceProfile) -> None:
    default = WindowMonitor(profile).state().window_size
    assert 2 <= default <= 1000
    assert default in [int(s) for s in profile.calibration().sizes]
    for kwargs in ({"window_size": 1}, {"queue_rows": 0}, {"min_rows": 0}):
        with pytest.raises(ConfigurationError):
            WindowMonitor(profile, **kwargs)
    monitor = WindowMonitor(profile, window_size=10, history=3)
    monitor.observe(_batch(profile, 55))
    monitor.drain()
    assert [r.index for r in monitor.state().history] == [2, 3, 4]


def test_monitor_under_concurrent_observe_and_drain(profile: ReferenceProfile) -> None:
    monitor = WindowMonitor(profile, window_size=64, queue_rows=10_000)
    batch = _batch(profile, 7)
    stop = threading.Event()

    def send() -> None:
        for _ in range(200):
            monitor.observe(batch)

    def drain() -> None:
        while not stop.is_set():
            monitor.drain()

    drainer = threading.Thread(target=drain)
    drainer.start()
    senders = [threading.Thread(target=send) for _ in range(4)]
    for t in senders:
        t.start()
    for t in senders:
        t.join()
    stop.set()
    drainer.join()
    monitor.drain()
    state = monitor.state()
    assert state.rows_observed + state.dropped_rows == 4 * 200 * 7
    assert state.windows_closed == state.rows_observed // 64
    assert state.window_rows == state.rows_observed % 64


# --------------------------------------------------------------------------------------------
# PredictionLog and FeedbackStore


def _logged(request_id: str, rows: int = 1, model: str = "m", version: int = 1) -> LoggedPrediction:
    return LoggedPrediction(
        request_id, model, version, 0.0, {}, np.full((rows, 2), 0.5), ("no", "yes")
    )


def test_prediction_log_take_and_put_back() -> None:
    log = PredictionLog(max_rows=10)
    log.add(_logged("a", 2))
    log.add(_logged("b", 3))
    assert len(log) == 2
    taken = log.take("a")
    assert (taken.request_id, taken.n_rows) == ("a", 2)
    with pytest.raises(UnknownRequestError, match="already labelled"):
        log.take("a")
    log.put_back(taken)
    assert log.take("a") is taken
    with pytest.raises(UnknownRequestError, match="'nope'"):
        log.take("nope")


def test_prediction_log_evicts_oldest_rows_and_counts_them() -> None:
    log = PredictionLog(max_rows=5)
    log.add(_logged("a", 2, version=1))
    log.add(_logged("b", 2, version=2))
    log.add(_logged("c", 2, version=2))  # 6 rows > 5: "a" goes
    assert log.evicted_rows_ == 2
    assert log.evicted_ == {("m", 1): 2}
    with pytest.raises(UnknownRequestError, match="evicted after the last 5 rows"):
        log.take("a")
    log.take("b")  # taking frees its rows: nothing else is evicted
    log.add(_logged("d", 3))
    assert log.evicted_rows_ == 2
    assert log.take("c").n_rows == 2
    assert log.take("d").n_rows == 3


def test_an_oversize_prediction_does_not_flush_the_log() -> None:
    log = PredictionLog(max_rows=5)
    log.add(_logged("a", 2))
    log.add(_logged("big", 6, version=2))
    assert log.evicted_ == {("m", 2): 6}
    assert log.take("a").n_rows == 2  # still there
    with pytest.raises(UnknownRequestError, match="evicted"):
        log.take("big")
    with pytest.raises(UnknownRequestError) as info:
        log.take("r" * 10_000)
    assert len(str(info.value)) < 300


def test_stores_refuse_a_zero_bound() -> None:
    with pytest.raises(ConfigurationError):
        PredictionLog(max_rows=0)
    with pytest.raises(ConfigurationError):
        FeedbackStore(max_rows=0)


def test_feedback_store_is_bounded_and_filterable() -> None:
    store = FeedbackStore(max_rows=4)
    a, b, c = _logged("a", 2), _logged("b", 2, version=2), _logged("c", 1, model="other")
    store.add(Feedback(a, (0, 1), "s1", 1.0)).add(Feedback(b, (1, 1), "s2", 2.0))
    assert [f.prediction.request_id for f in store.recent("m")] == ["a", "b"]
    assert [f.prediction.request_id for f in store.recent("m", 2)] == ["b"]
    store.add(Feedback(c, (0,), "s3", 3.0))  # 5 rows > 4: "a" goes
    assert store.evicted_rows_ == 2
    assert store.evicted_ == {("m", 1): 2}
    assert [f.prediction.request_id for f in store.recent("m")] == ["b"]
    assert store.recent("other")[0].labels == (0,)
    assert store.received_ == {("m", 1): 2, ("m", 2): 2, ("other", 1): 1}


# --------------------------------------------------------------------------------------------
# label matching


@pytest.mark.parametrize(
    ("labels", "given", "n_rows", "codes"),
    [
        (("0", "1"), 1, 1, (1,)),
        (("0", "1"), 1.0, 1, (1,)),
        (("0", "1"), "0", 1, (0,)),
        (("0", "1"), [0, "1", 1.0], 3, (0, 1, 1)),
        (("no", "yes"), ["yes", "no"], 2, (1, 0)),
        (("1.0", "2.5"), 1, 1, (0,)),
        (("1.0", "2.5"), 2.5, 1, (1,)),
        (("False", "True"), True, 1, (1,)),
    ],
)
def test_labels_are_matched_as_training_read_them(
    labels: tuple[str, ...], given: Any, n_rows: int, codes: tuple[int, ...]
) -> None:
    assert label_codes(labels, given, n_rows) == codes


@pytest.mark.parametrize(
    ("given", "n_rows", "location", "fragment"),
    [
        ("maybe", 1, "label", "unknown label 'maybe'; the model's labels are 0, 1"),
        ([0, "maybe"], 2, "label[1]", "unknown label 'maybe'"),
        (True, 1, "label", "unknown label True"),
        (2, 1, "label", "unknown label 2"),
        ("1", 2, "label", "1 labels given for 2 rows"),
        ([0, 1, 1], 2, "label", "3 labels given for 2 rows"),
        ({"a": 1}, 1, "label", "expected a string, number or boolean"),
        (None, 1, "label", "expected a string, number or boolean"),
        ([0, [1]], 2, "label[1]", "expected a string, number or boolean, got [1]"),
        ([{"a": 1}], 1, "label[0]", "got {'a': 1}"),
        ("x" * 10_000, 1, "label", "unknown label 'xxxx"),
    ],
)
def test_label_errors_name_the_label(given: Any, n_rows: int, location: str, fragment: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        label_codes(("0", "1"), given, n_rows)
    assert info.value.location == location
    assert fragment in str(info.value)
    assert len(str(info.value)) < 200  # a huge label is not echoed back


# --------------------------------------------------------------------------------------------
# ModelHost


def _host(root: Path, **kwargs: Any) -> ModelHost:
    options = kwargs.pop("options", ModelOptions(window_size=50))
    return ModelHost(Registry(root), options, **kwargs)


@pytest.fixture
def host(cancer_registry: Path) -> ModelHost:
    host = _host(cancer_registry)
    assert host.refresh() == ["cancer"]
    return host


def _predict(host: ModelHost, n: int = 2, version: int | None = None) -> str:
    model = host.get("cancer") if version is None else host.get_version("cancer", version)
    return RequestPath(host).score_records(model, cancer_records(n)).request_id


def test_host_loads_the_active_version(cancer_registry: Path) -> None:
    host = _host(cancer_registry)
    assert not host.ready
    with pytest.raises(ModelUnavailableError, match="not loaded yet"):
        host.get("cancer")
    with pytest.raises(VersionNotFoundError, match="not served here"):
        host.get("nope")
    assert host.refresh() == ["cancer"]
    assert host.ready
    model = host.get("cancer")
    state = host.registry.active("cancer")
    assert (model.name, model.version, model.generation) == ("cancer", 1, state.generation)
    assert host.refresh() == []  # unchanged: no reload
    assert host.get("cancer") is model
    assert host.swaps_ == {}
    assert [m.version for m in host.loaded()] == [1]


def test_host_serves_only_the_names_it_is_given(cancer_registry: Path) -> None:
    host = _host(cancer_registry, names=["other"])
    assert host.refresh() == []
    assert not host.ready
    with pytest.raises(VersionNotFoundError):
        host.get("cancer")
    with pytest.raises(VersionNotFoundError):
        host.get_version("cancer", 2)


def test_get_version_pins_and_evicts(cancer_registry: Path) -> None:
    host = _host(cancer_registry, pinned=1)
    host.refresh()
    assert host.get_version("cancer", 1) is host.get("cancer")
    two = host.get_version("cancer", 2)
    assert two.version == 2
    assert host.get_version("cancer", 2) is two
    assert [m.version for m in host.pinned_models()] == [2]
    assert host.get("cancer").version == 1  # pinning does not change ACTIVE
    three = host.get_version("cancer", 3)
    assert [m.version for m in host.pinned_models()] == [3]
    assert host.get_version("cancer", 3) is three
    with pytest.raises(VersionNotFoundError, match="no version 99"):
        host.get_version("cancer", 99)
    roles = sorted((s.role, s.version) for s in host.model_states())
    assert roles == [("active", 1), ("pinned", 3)]
    assert [m.version for m in host.monitors()] == [1, 3]


def test_refresh_picks_up_changes_made_elsewhere(host: ModelHost, cancer_registry: Path) -> None:
    host.get_version("cancer", 2)
    other = Registry(cancer_registry)  # another process
    other.promote("cancer", 2, actor="cli")
    assert host.get("cancer").version == 1  # until the watcher looks
    assert host.refresh() == ["cancer"]
    model = host.get("cancer")
    assert (model.version, model.generation) == (2, other.active("cancer").generation)
    assert host.pinned_models() == []  # the pinned copy became ACTIVE
    assert host.swaps_ == {"cancer": 1}
    assert host.host_state().swaps == {"cancer": 1}


def test_a_version_that_fails_to_load_keeps_the_old_one(
    host: ModelHost, cancer_registry: Path
) -> None:
    Registry(cancer_registry).promote("cancer", 2, actor="cli")
    with (cancer_registry / "cancer" / "2" / "model.skops").open("ab") as f:
        f.write(b"tampered")
    assert host.refresh() == []
    assert host.get("cancer").version == 1
    assert host.load_failures_ == {"cancer": 1}
    assert "version 2 failed to load" in host.last_error_["cancer"]
    assert host.host_state().load_failures == {"cancer": 1}


def test_promote_and_rollback_through_the_host(host: ModelHost) -> None:
    before = host.registry.active("cancer")
    state = host.promote("cancer", 3, actor="test", reason="try")
    assert (state.version, state.generation) == (3, before.generation + 1)
    assert host.get("cancer").version == 3  # swapped before returning
    assert host.get("cancer").generation == state.generation
    state = host.rollback("cancer", actor="test", reason="back")
    assert state.version == 1
    assert host.get("cancer").version == 1
    with pytest.raises(NoRollbackTargetError):
        host.rollback("cancer", actor="test")
    with pytest.raises(VersionNotFoundError):
        host.promote("cancer", 99, actor="test")
    assert host.registry.active("cancer").version == 1
    actions = [(r.action, r.actor) for r in host.registry.audit("cancer")][-2:]
    assert actions == [("promote", "test"), ("rollback", "test")]
    assert host.swaps_ == {"cancer": 2}


def test_record_queues_rows_and_logs_the_prediction(host: ModelHost) -> None:
    request_id = _predict(host, 3)
    model = host.get("cancer")
    assert model.monitor is not None
    assert model.monitor.state().rows_queued == 3
    logged = host.predictions.take(request_id)
    assert (logged.model, logged.version, logged.n_rows) == ("cancer", 1, 3)
    assert logged.labels == ("0", "1")
    Background(host).run_once()
    assert model.monitor.state().rows_observed == 3
    (state,) = host.model_states()
    assert (state.role, state.rows_scored, state.rows_observed) == ("active", 3, 3)


# --------------------------------------------------------------------------------------------
# accept_feedback


def test_feedback_by_request_id(host: ModelHost) -> None:
    request_id = _predict(host, 2)
    stored = accept_feedback(host, label=["1", 0], request_id=request_id, source="s")
    assert stored.labels == (1, 0)
    assert stored.prediction.request_id == request_id
    assert stored.source == "s"
    assert host.feedback.recent("cancer", 1) == [stored]
    with pytest.raises(UnknownRequestError):
        accept_feedback(host, label=["1", 0], request_id=request_id)


def test_refused_feedback_can_be_retried(host: ModelHost) -> None:
    request_id = _predict(host, 2)
    for label in ("benign", [0], [0, "x"], {"a": 1}):
        with pytest.raises(InvalidInputError):
            accept_feedback(host, label=label, request_id=request_id)
    assert host.feedback.recent("cancer") == []
    stored = accept_feedback(host, label=[0, 0], request_id=request_id)
    assert stored.labels == (0, 0)


def test_feedback_by_records_predicts_them(host: ModelHost) -> None:
    rows = cancer_records(3)
    stored = accept_feedback(host, label=[0, 0, 1], records=rows, model="cancer")
    assert (stored.prediction.model, stored.prediction.version) == ("cancer", 1)
    assert stored.prediction.n_rows == 3
    model = host.get("cancer")
    expected = model.predict_proba(model.validator.records(rows))
    np.testing.assert_array_equal(stored.prediction.probabilities, expected)
    assert accept_feedback(host, label=1, records=rows[:1]).prediction.model == "cancer"
    with pytest.raises(InvalidInputError) as info:
        accept_feedback(host, label=0, records=[{"mean_radius": 1.0}], model="cancer")
    assert info.value.location == "records[0]"
    with pytest.raises(VersionNotFoundError):
        accept_feedback(host, label=0, records=rows[:1], model="nope")


def test_feedback_needs_exactly_one_of_request_id_and_records(host: ModelHost) -> None:
    with pytest.raises(InvalidInputError, match="exactly one"):
        accept_feedback(host, label=0)
    request_id = _predict(host, 1)
    with pytest.raises(InvalidInputError, match="exactly one"):
        accept_feedback(host, label=0, request_id=request_id, records=cancer_records(1))


@pytest.fixture
def unmonitored(cancer_registry: Path) -> ModelHost:
    host = _host(cancer_registry, options=ModelOptions(monitoring=False))
    host.refresh()
    return host


def test_without_monitoring_nothing_is_logged(unmonitored: ModelHost) -> None:
    model = unmonitored.get("cancer")
    assert model.monitor is None
    request_id = _predict(unmonitored, 2)
    assert len(unmonitored.predictions) == 0
    assert unmonitored.monitors() == []
    with pytest.raises(UnknownRequestError, match="DRIFTGUARD_MONITORING"):
        accept_feedback(unmonitored, label=[0, 1], request_id=request_id)
    stored = accept_feedback(unmonitored, label=[0, 1], records=cancer_records(2))
    assert stored.labels == (0, 1)


def test_quarantined_version_is_not_served_by_version(cancer_registry: Path) -> None:
    registry = Registry(cancer_registry)
    host = ModelHost(registry)
    host.refresh()
    assert host.get_version("cancer", 3).version == 3  # pinned
    registry.quarantine("cancer", 3, actor="test", reason="bad")
    with pytest.raises(RegistryError, match="quarantined"):
        host.get_version("cancer", 3)
    assert all(m.version != 3 for m in host.pinned_models())
