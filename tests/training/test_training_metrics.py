"""Calibration metrics, temperature scaling and the tabular encoder (numpy and scipy only)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from sklearn.metrics import brier_score_loss, log_loss

from driftguard.errors import (
    ConfigurationError,
    EmptyDataError,
    NotFittedError,
    SerializationError,
    TrainingDataError,
    UnsupportedVersionError,
)
from driftguard.schema.features import infer_schema, normalised_columns
from driftguard.training.encoding import TabularEncoder
from driftguard.training.metrics import (
    accuracy,
    brier,
    classification_metrics,
    ece,
    ece_equal_mass,
    mce,
    nll,
)
from driftguard.training.temperature import apply_temperature, fit_temperature, softmax

# --- metrics against hand computations ----------------------------------------------------

PROBS = np.array([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.5, 0.3, 0.2], [0.1, 0.15, 0.75]])
Y = np.array([0, 2, 0, 2])


def test_ece_by_hand() -> None:
    # confidences 0.9, 0.7, 0.5, 0.75; correct: yes, no, yes, yes. With 15 bins of width 1/15
    # the bins are (0.8667, 0.9333], (0.6667, 0.7333], (0.4667, 0.5333], (0.7333, 0.8]:
    # every row alone in its bin, so ECE = mean |correct - confidence|.
    expected = (0.1 + 0.7 + 0.5 + 0.25) / 4
    assert ece(PROBS, Y) == pytest.approx(expected, abs=1e-12)
    assert mce(PROBS, Y) == pytest.approx(0.7, abs=1e-12)
    # one bin: |mean correct - mean confidence| = |0.75 - 0.7125|
    assert ece(PROBS, Y, n_bins=1) == pytest.approx(0.0375, abs=1e-12)
    # equal mass, 2 bins: sorted confidences (0.5, 0.7 | 0.75, 0.9) -> |0.5-0.6| and |1-0.825|
    assert ece_equal_mass(PROBS, Y, n_bins=2) == pytest.approx((0.1 + 0.175) / 2, abs=1e-12)


def test_ece_zero_for_perfectly_calibrated_toy_cases() -> None:
    # 80% confident, right 4 times out of 5; 60% confident, right 3 times out of 5.
    probs = np.array([[0.8, 0.2]] * 5 + [[0.4, 0.6]] * 5)
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1, 0, 0])
    assert ece(probs, y) == pytest.approx(0.0, abs=1e-12)
    assert mce(probs, y) == pytest.approx(0.0, abs=1e-12)
    assert ece_equal_mass(probs, y, n_bins=2) == pytest.approx(0.0, abs=1e-12)
    one_hot = np.eye(4)[[0, 1, 2, 3]]
    assert ece(one_hot, np.arange(4)) == 0.0


def test_bin_edges_are_right_closed() -> None:
    # with 2 bins the edge 0.5 belongs to the lower bin (0, 0.5]
    probs = np.array([[0.5, 0.3, 0.2], [0.4, 0.35, 0.25], [0.9, 0.05, 0.05]])
    y = np.array([0, 1, 0])
    # lower bin: right, wrong at 0.5, 0.4 -> |0.5 - 0.45|; upper bin: right at 0.9 -> 0.1
    assert ece(probs, y, n_bins=2) == pytest.approx((2 * 0.05 + 0.1) / 3, abs=1e-12)


def test_brier_nll_accuracy_by_hand_and_against_sklearn() -> None:
    rows = [
        0.01 + 0.01 + 0.0,
        0.04 + 0.49 + 0.81,
        0.25 + 0.09 + 0.04,
        0.01 + 0.0225 + 0.0625,
    ]
    assert brier(PROBS, Y) == pytest.approx(np.mean(rows), abs=1e-12)
    assert brier(PROBS, Y) == pytest.approx(brier_score_loss(Y, PROBS, labels=[0, 1, 2]))
    assert nll(PROBS, Y) == pytest.approx(-np.mean(np.log([0.9, 0.1, 0.5, 0.75])), abs=1e-12)
    assert nll(PROBS, Y) == pytest.approx(log_loss(Y, PROBS, labels=[0, 1, 2]), abs=1e-9)
    assert accuracy(PROBS, Y) == 0.75


def test_nll_clips_zero_probabilities() -> None:
    assert nll(np.array([[1.0, 0.0]]), np.array([1])) == pytest.approx(-math.log(1e-12))


def test_classification_metrics_bundle() -> None:
    m = classification_metrics(PROBS, Y)
    assert m.to_dict() == {
        "accuracy": accuracy(PROBS, Y),
        "nll": nll(PROBS, Y),
        "brier": brier(PROBS, Y),
        "ece": ece(PROBS, Y),
    }
    with pytest.raises(AttributeError):
        m.accuracy = 1.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("probs", "y", "match"),
    [
        (np.ones(3), [0, 1, 2], "2-D"),
        (PROBS, [0, 1], "expected 4 labels"),
        (PROBS, [0, 1, 2, 3], "out of range"),
        (PROBS, [0, 1, 2, -1], "out of range"),
        (PROBS, [0.0, 1.5, 0.0, 1.0], "integers"),
        (PROBS, ["a", "b", "c", "d"], "integers"),
        (np.array([[np.nan, 1.0]]), [0], "NaN"),
    ],
)
def test_metrics_reject_bad_shapes_and_labels(probs: object, y: object, match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        ece(probs, y)  # type: ignore[arg-type]


def test_metrics_reject_empty_input_and_bad_bins() -> None:
    with pytest.raises(EmptyDataError):
        nll(np.zeros((0, 2)), np.zeros(0, dtype=int))
    with pytest.raises(ConfigurationError, match="n_bins"):
        ece(PROBS, Y, n_bins=0)


# --- temperature scaling -----------------------------------------------------------------


def _calibrated_logits(n: int, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Logits whose softmax is the true label distribution, and labels drawn from it."""
    g = np.random.default_rng(seed)
    centre = g.integers(0, k, size=n)
    logits = g.normal(size=(n, k)) + 2.5 * np.eye(k)[centre]
    cdf = np.cumsum(softmax(logits), axis=1)
    labels = np.minimum((g.random(n)[:, None] > cdf).sum(axis=1), k - 1)
    return logits, labels


@pytest.mark.parametrize("true_t", [0.4, 2.5])
def test_fit_temperature_recovers_a_known_temperature(true_t: float) -> None:
    # softmax(logits) is calibrated, so softmax(model_logits / T) is calibrated at T = true_t
    logits, y = _calibrated_logits(20_000, 4, seed=3)
    model_logits = logits * true_t  # over-confident when true_t > 1, under when < 1
    fitted = fit_temperature(model_logits, y)
    assert fitted == pytest.approx(true_t, rel=0.05)
    assert fit_temperature(logits, y) == pytest.approx(1.0, rel=0.05)
    scaled = apply_temperature(model_logits, fitted)
    assert nll(scaled, y) <= nll(softmax(model_logits), y)


def test_temperature_keeps_arg_max_and_softmax_is_stable() -> None:
    logits = np.array([[1000.0, 999.0, -1000.0], [-5.0, 3.0, 2.0]])
    probs = softmax(logits)
    assert np.all(np.isfinite(probs))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    for t in (0.1, 1.0, 7.0):
        assert np.array_equal(apply_temperature(logits, t).argmax(1), logits.argmax(1))


def test_temperature_errors() -> None:
    logits = np.zeros((3, 2))
    with pytest.raises(ConfigurationError, match="temperature"):
        apply_temperature(logits, 0.0)
    with pytest.raises(ConfigurationError, match="bounds"):
        fit_temperature(logits, [0, 1, 0], bounds=(2.0, 1.0))
    with pytest.raises(ConfigurationError, match="out of range"):
        fit_temperature(logits, [0, 1, 2])
    with pytest.raises(ConfigurationError, match="NaN"):
        fit_temperature(np.array([[np.inf, 0.0]]), [0])


# --- tabular encoder ---------------------------------------------------------------------


def _table() -> dict[str, np.ndarray]:
    return {
        "age": np.array([20.0, 30.0, np.nan, 50.0, 40.0]),
        "const": np.array([3.0, 3.0, 3.0, 3.0, 3.0]),
        "city": np.array(["b", "a", "b", None, "c"], dtype=object),
    }


def test_encoder_standardises_imputes_and_one_hots() -> None:
    data = _table()
    enc = TabularEncoder(infer_schema(data)).fit(data)
    assert enc.feature_names_ == (
        "age",
        "const",
        "city=a",
        "city=b",
        "city=c",
        "city=<unseen>",
    )
    assert enc.mean_["age"] == 35.0
    assert enc.std_["age"] == pytest.approx(np.std([20.0, 30.0, 50.0, 40.0]))
    assert enc.std_["const"] == 1.0
    out = enc.transform(data)
    assert out.dtype == np.float32
    assert out.shape == (5, 6)
    assert out[2, 0] == 0.0  # NaN -> training mean -> 0
    assert np.all(out[:, 1] == 0.0)  # constant feature: (3 - 3) / 1
    np.testing.assert_array_equal(out[3, 2:], 0.0)  # missing category: all zeros
    np.testing.assert_array_equal(out[0, 2:], [0, 1, 0, 0])


def test_encoder_unseen_categories_and_infinities() -> None:
    data = _table()
    enc = TabularEncoder(infer_schema(data)).fit(data)
    new = {
        "age": np.array([np.inf, -np.inf, 1e5, 1e300]),
        "const": np.array([3.0, 4.0, 3.0, 3.0]),
        "city": np.array(["zzz", "a", "", "a"]),
    }
    out = enc.transform(new)
    sd = enc.std_["age"]
    assert out[0, 0] == pytest.approx((50.0 - 35.0) / sd)  # +inf -> training maximum
    assert out[1, 0] == pytest.approx((20.0 - 35.0) / sd)  # -inf -> training minimum
    assert out[2, 0] == pytest.approx((1e5 - 35.0) / sd)  # out-of-range values are kept
    assert out[3, 0] == pytest.approx(1e6)  # ... up to a million standard deviations
    np.testing.assert_array_equal(out[0, 2:], [0, 0, 0, 1])  # unseen
    np.testing.assert_array_equal(out[1, 2:], [1, 0, 0, 0])
    np.testing.assert_array_equal(out[2, 2:], [0, 0, 0, 0])  # "" is missing


def test_encoder_round_trip_is_identical() -> None:
    data = _table()
    schema = infer_schema(data)
    enc = TabularEncoder(schema).fit(data)
    text = json.dumps(enc.to_dict())  # JSON-ready
    back = TabularEncoder.from_dict(json.loads(text))
    g = np.random.default_rng(0)
    probe = {
        "age": np.where(g.random(50) < 0.1, np.nan, g.normal(35, 10, 50)),
        "const": np.full(50, 3.0),
        "city": g.choice(["a", "b", "c", "d", ""], size=50),
    }
    assert back.feature_names_ == enc.feature_names_
    np.testing.assert_array_equal(back.transform(probe), enc.transform(probe))
    # normalised columns (labels already strings, numbers already float) give the same rows
    normal = normalised_columns(schema, probe)
    np.testing.assert_array_equal(enc.transform(normal), enc.transform(probe))


def test_encoder_drop_mode_and_errors() -> None:
    data = _table()
    schema = infer_schema(data)
    enc = TabularEncoder(schema, categorical="drop").fit(data)
    assert enc.feature_names_ == ("age", "const")
    with pytest.raises(ConfigurationError, match="categorical"):
        TabularEncoder(schema, categorical="ordinal").fit(data)
    with pytest.raises(NotFittedError):
        TabularEncoder(schema).transform(data)
    with pytest.raises(TrainingDataError, match="age"):
        TabularEncoder(schema).fit({**data, "age": np.full(5, np.nan)})
    description = enc.to_dict()
    with pytest.raises(UnsupportedVersionError):
        TabularEncoder.from_dict({**description, "version": 99})
    with pytest.raises(SerializationError):
        TabularEncoder.from_dict({"format": "something else"})
    with pytest.raises(SerializationError, match="malformed"):
        TabularEncoder.from_dict({**description, "numeric": {"age": {"mean": 1.0}}})
