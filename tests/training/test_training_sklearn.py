"""scikit-learn trainer, skops codec and data hygiene."""

from __future__ import annotations

import numpy as np
import pytest

from driftguard.errors import ConfigurationError, SerializationError, TrainingDataError
from driftguard.training.hygiene import check_targets, leakage_report
from driftguard.training.sklearn_trainer import SklearnTrainer, load_estimator, save_estimator


def _data(seed: int = 0, n: int = 600) -> tuple[np.ndarray, np.ndarray]:
    g = np.random.default_rng(seed)
    x = g.normal(size=(n, 5))
    y = (x[:, 0] + 0.5 * x[:, 1] + g.normal(scale=0.5, size=n) > 0).astype(int)
    return x, y


def test_logreg_trains_calibrates_and_round_trips() -> None:
    x, y = _data()
    trainer = SklearnTrainer("logreg", {"C": 0.5}).fit(x[:400], y[:400], x[400:500], y[400:500])
    proba = trainer.predict_proba(x[500:])
    assert proba.shape == (100, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert (proba.argmax(axis=1) == y[500:]).mean() > 0.75
    assert 0.05 <= trainer.temperature_ <= 20.0
    assert trainer.estimator_.C == 0.5
    clone = load_estimator(save_estimator(trainer.estimator_))
    np.testing.assert_array_equal(
        clone.predict_proba(x[500:]), trainer.estimator_.predict_proba(x[500:])
    )


def test_other_estimators_and_regressor() -> None:
    x, y = _data(1)
    forest = SklearnTrainer("random_forest", {"n_estimators": 20, "max_depth": 4}, seed=3)
    forest.fit(x[:400], y[:400], x[400:], y[400:])
    assert forest.estimator_.random_state == 3
    ridge = SklearnTrainer("ridge", {"alpha": 2.0}).fit(x[:400], x[:400, 0], x[400:], x[400:, 0])
    assert not ridge.is_classifier_
    with pytest.raises(ConfigurationError, match="regressor"):
        ridge.predict_proba(x[:2])


def test_bad_estimator_and_params_name_the_problem() -> None:
    x, y = _data()
    with pytest.raises(ConfigurationError, match="estimator: 'svm_x'"):
        SklearnTrainer("svm_x").fit(x, y, x, y)
    with pytest.raises(ConfigurationError, match="logreg"):
        SklearnTrainer("logreg", {"not_a_param": 1}).fit(x, y, x, y)
    x_bad = x.copy()
    x_bad[0, 0] = np.nan
    with pytest.raises(TrainingDataError, match="NaN"):
        SklearnTrainer().fit(x_bad, y, x, y)


def test_skops_loader_refuses_garbage() -> None:
    with pytest.raises(SerializationError):
        load_estimator(b"definitely not a skops file")


def test_check_targets() -> None:
    check_targets(np.array([0, 1, 1]), 3)
    with pytest.raises(TrainingDataError, match="missing"):
        check_targets(np.array([0.0, np.nan, 1.0]), 3)
    with pytest.raises(TrainingDataError, match="single class"):
        check_targets(np.array(["a", "a"]), 2)
    with pytest.raises(TrainingDataError, match="3 values but the data 4 rows"):
        check_targets(np.array([0, 1, 0]), 4)
    with pytest.raises(TrainingDataError, match="missing"):
        check_targets(np.array(["a", None, "b"], dtype=object), 3)


def test_leakage_report_counts_exact_and_near_duplicates() -> None:
    g = np.random.default_rng(0)
    train = g.normal(size=(200, 4))
    other = g.normal(size=(50, 4))
    other[:3] = train[:3]  # exact copies
    other[3:7] = train[10:14] + 1e-6  # near copies
    report = leakage_report(train, other, "test")
    assert (report.exact, report.near) == (3, 7)
    assert report.share == pytest.approx(7 / 50)
    assert report.to_dict() == {"split": "test", "rows": 50, "exact": 3, "near": 7}
    with pytest.raises(TrainingDataError):
        leakage_report(train, other[:, :2], "test")
