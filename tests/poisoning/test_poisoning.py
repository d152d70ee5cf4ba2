"""Poisoned-feedback screening (trusted checkpoint, kNN disagreement) and source quarantine."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from driftguard.errors import (
    ConfigurationError,
    InvalidInputError,
    NotFittedError,
    SerializationError,
)
from driftguard.poisoning import (
    FeedbackScreen,
    SourceTracker,
    binomial_tail,
    fit_feedback_screen,
    knn_disagreement,
    stratified_subsample,
)


class _Trusted:
    """A trusted model with ``predict_proba_encoded``, as a Predictor has."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def predict_proba_encoded(self, x: Any) -> Any:
        return self.model.predict_proba(x)


@pytest.fixture(scope="module")
def digits() -> dict[str, Any]:
    x, y = load_digits(return_X_y=True)
    x = (x - x.mean(axis=0)) / np.where(x.std(axis=0) > 0, x.std(axis=0), 1.0)
    order = np.random.default_rng(0).permutation(y.size)
    train, cal, feed = order[:1000], order[1000:1400], order[1400:]
    model = LogisticRegression(C=0.1, max_iter=500).fit(x[train], y[train])
    trusted = _Trusted(model)
    screen = fit_feedback_screen(trusted, x[train], y[train], x[cal], y[cal])
    return {"x": x, "y": y, "feed": feed, "trusted": trusted, "screen": screen}


def _flip(y: Any, rate: float, seed: int) -> tuple[Any, Any]:
    g = np.random.default_rng(seed)
    idx = g.choice(y.size, round(rate * y.size), replace=False)
    noisy = y.copy()
    noisy[idx] = (y[idx] + g.integers(1, 10, idx.size)) % 10
    truth = np.zeros(y.size, dtype=bool)
    truth[idx] = True
    return noisy, truth


# --- the screen -----------------------------------------------------------------------------


def test_flipped_labels_score_higher_than_clean_ones(digits: dict[str, Any]) -> None:
    feed = digits["feed"]
    x, y = digits["x"][feed], digits["y"][feed]
    noisy, truth = _flip(y, 0.10, seed=1)
    scores = digits["screen"].score(digits["trusted"].predict_proba_encoded(x), x, noisy)
    assert roc_auc_score(truth, scores.combined) > 0.95
    assert roc_auc_score(truth, scores.label_loss) > 0.95
    assert roc_auc_score(truth, scores.knn_disagreement) > 0.95
    assert scores.flagged[truth].mean() > 0.5  # most flips caught at alpha 0.01
    assert np.all((scores.p_value > 0) & (scores.p_value <= 1))
    assert np.array_equal(scores.flagged, scores.p_value <= 0.01)


def test_clean_feedback_flagged_near_alpha(digits: dict[str, Any]) -> None:
    feed = digits["feed"]
    x, y = digits["x"][feed], digits["y"][feed]
    scores = digits["screen"].score(digits["trusted"].predict_proba_encoded(x), x, y)
    assert scores.flagged.mean() <= 0.03  # alpha 0.01 on 397 rows: a few at most
    assert digits["screen"].clean_flag_rate_ <= 0.01


def test_weights_choose_the_components(digits: dict[str, Any]) -> None:
    feed = digits["feed"][:50]
    x, y = digits["x"][feed], digits["y"][feed]
    proba = digits["trusted"].predict_proba_encoded(x)
    loss_only = FeedbackScreen(knn_weight=0.0).fit(x, y, proba, y, x).score(proba, x, y)
    assert np.allclose(loss_only.combined, loss_only.label_loss)


def test_knn_disagreement_is_chunked_consistently() -> None:
    g = np.random.default_rng(0)
    ref, ref_y = g.normal(size=(300, 4)), g.integers(0, 3, 300)
    q, q_y = g.normal(size=(50, 4)), g.integers(0, 3, 50)
    whole = knn_disagreement(ref, ref_y, q, q_y, k=7)
    chunked = knn_disagreement(ref, ref_y, q, q_y, k=7, max_cells=300 * 3)
    assert np.array_equal(whole, chunked)
    assert knn_disagreement(ref[:3], ref_y[:3], q, q_y, k=10).shape == (50,)


def test_reference_is_subsampled_by_class() -> None:
    y = np.repeat([0, 1, 2], [700, 200, 100])
    rows = stratified_subsample(y, 100, seed=0)
    assert rows.size == 100
    assert np.bincount(y[rows]).tolist() == [70, 20, 10]
    x = np.random.default_rng(0).normal(size=(1000, 2))
    p = np.full((1000, 3), 1 / 3)
    screen = FeedbackScreen(max_reference=100).fit(x, y, p[:30], y[:30], x[:30])
    assert screen.reference_x_.shape == (100, 2)


def test_round_trip_through_bytes(digits: dict[str, Any]) -> None:
    screen = digits["screen"]
    again = FeedbackScreen.from_bytes(screen.to_bytes())
    feed = digits["feed"][:40]
    x, y = digits["x"][feed], (digits["y"][feed] + 1) % 10
    proba = digits["trusted"].predict_proba_encoded(x)
    a, b = screen.score(proba, x, y), again.score(proba, x, y)
    assert np.array_equal(a.p_value, b.p_value)
    assert np.array_equal(a.flagged, b.flagged)
    assert (again.alpha, again.k, again.n_classes_) == (screen.alpha, screen.k, 10)


@pytest.mark.parametrize("data", [b"", b"garbage", b"PK\x03\x04broken"])
def test_bad_bytes_raise_serialization_error(data: bytes) -> None:
    with pytest.raises(SerializationError, match="feedback screen"):
        FeedbackScreen.from_bytes(data)


def test_bad_inputs_name_the_field(digits: dict[str, Any]) -> None:
    screen = digits["screen"]
    feed = digits["feed"][:5]
    x, y = digits["x"][feed], digits["y"][feed]
    proba = digits["trusted"].predict_proba_encoded(x)
    with pytest.raises(InvalidInputError, match=r"^labels: .*0\.\.9, got 10"):
        screen.score(proba, x, np.array([1, 2, 3, 4, 10]))
    with pytest.raises(InvalidInputError, match=r"^labels: has 4 rows"):
        screen.score(proba, x, y[:4])
    with pytest.raises(InvalidInputError, match=r"^x_encoded: expected 64 columns"):
        screen.score(proba, x[:, :10], y)
    with pytest.raises(InvalidInputError, match=r"^proba_trusted: expected 10 columns"):
        screen.score(proba[:, :3], x, y)
    with pytest.raises(InvalidInputError, match=r"^labels: class indices must be integers"):
        screen.score(proba, x, y + 0.5)
    with pytest.raises(InvalidInputError, match=r"^x_encoded: contains NaN"):
        screen.score(proba, np.full_like(x, np.nan), y)
    with pytest.raises(InvalidInputError, match=r"^y_ref: has 4 rows"):
        FeedbackScreen().fit(x, y[:4], proba, y, x)


def test_configuration_and_fitting_errors() -> None:
    with pytest.raises(NotFittedError):
        FeedbackScreen().score([[1.0]], [[0.0]], [0])
    x, p = np.zeros((20, 2)), np.full((20, 2), 0.5)
    y = np.tile([0, 1], 10)
    for bad, name in [({"alpha": 1.5}, "alpha"), ({"k": 0}, "k"), ({"knn_weight": -1}, "weight")]:
        with pytest.raises(ConfigurationError, match=name):
            FeedbackScreen(**bad).fit(x, y, p, y, x)


# --- source quarantine ----------------------------------------------------------------------


def test_tracker_quarantines_a_poisoner_and_no_honest_source() -> None:
    g = np.random.default_rng(0)
    tracker = SourceTracker(baseline=0.01)
    caught_after = None
    for step in range(1, 41):  # batches of 10 items
        for s in range(20):
            verdict = tracker.update(f"honest-{s}", 10, int(g.binomial(10, 0.01)))
            assert not verdict.quarantined
        verdict = tracker.update("poisoner", 10, int(g.binomial(10, 0.2)))
        if verdict.newly_quarantined:
            caught_after = step * 10
    assert caught_after is not None
    assert caught_after <= 150  # median about 20-30 items in simulation
    assert tracker.state().quarantined == ("poisoner",)


def test_quarantine_is_sticky_until_released() -> None:
    tracker = SourceTracker(baseline=0.01, min_items=20)
    assert not tracker.update("s", 10, 10).quarantined  # below min_items
    assert tracker.update("s", 10, 0).newly_quarantined
    for _ in range(20):
        verdict = tracker.update("s", 100, 0)
    assert verdict.quarantined
    assert not verdict.newly_quarantined
    assert tracker.release("s")
    assert not tracker.is_quarantined("s")
    assert tracker.state().sources[0].items == 0
    assert not tracker.release("s")


def test_sources_are_bounded_and_quarantined_ones_kept() -> None:
    tracker = SourceTracker(baseline=0.01, min_items=5, max_sources=3)
    tracker.update("bad", 10, 10)
    for i in range(10):
        tracker.update(f"s{i}", 1, 0)
    state = tracker.state()
    assert len(state.sources) == 3
    assert state.evicted == 8
    assert "bad" in [s.source for s in state.sources]
    assert [s.source for s in state.sources][-2:] == ["s8", "s9"]


def test_tracker_input_errors_and_binomial_tail() -> None:
    tracker = SourceTracker()
    with pytest.raises(InvalidInputError, match="n_flagged"):
        tracker.update("a", 3, 5)
    with pytest.raises(InvalidInputError, match="source"):
        tracker.update("", 3, 1)
    with pytest.raises(ConfigurationError, match="baseline"):
        SourceTracker(baseline=0.0)
    assert binomial_tail(1, 10, 0.5) == pytest.approx(1 - 0.5**10)


def test_tracker_is_thread_safe() -> None:
    tracker = SourceTracker(baseline=0.01)

    def work() -> None:
        for _ in range(500):
            tracker.update("shared", 1, 0)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert tracker.state().sources[0].items == 2000


# --- the benchmark --------------------------------------------------------------------------


@pytest.mark.slow
def test_poisoning_bench_meets_its_targets_on_one_model() -> None:
    pytest.importorskip("torch")
    from benchmarks.guard.poisoning import run_poisoning_bench

    bench = run_poisoning_bench(seed=0, model_seeds=1, flip_draws=1, audit_draws=1)
    assert all(row.auroc_combined >= 0.99 for row in bench.screening)
    assert bench.clean_flag_rate <= 0.03
    assert all(q.caught == q.runs and q.honest_quarantined == 0 for q in bench.quarantine)
    clean = [a for a in bench.audit if a.rate == 0]
    assert all(a.flagged_share <= 0.01 for a in clean)
    assert np.mean([a.f1 for a in bench.audit if a.rate > 0]) >= 0.85
    assert "AUROC combined" in bench.table()
    assert bench.to_dict()["screening"][0]["kind"] == "random"
