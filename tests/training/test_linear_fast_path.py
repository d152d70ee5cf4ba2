"""The serving fast path of logistic regression equals scikit-learn's predict_proba."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from driftguard.training.predictor import _linear_logits
from driftguard.training.temperature import apply_temperature


@pytest.mark.parametrize("n_classes", [2, 3, 10])
def test_linear_logits_softmax_equals_predict_proba(n_classes: int) -> None:
    g = np.random.default_rng(n_classes)
    x = g.normal(size=(400, 12)).astype(np.float32)
    y = (x[:, 0] * 3 + g.normal(size=400)).round().astype(int) % n_classes
    model = LogisticRegression(max_iter=500).fit(x, y)
    logits = _linear_logits(model, x)
    assert logits is not None
    # scikit-learn computes in the input's precision; float64 input gives the exact reference
    expected = model.predict_proba(x.astype(np.float64))
    np.testing.assert_allclose(apply_temperature(logits, 1.0), expected, rtol=1e-9, atol=1e-12)
    # float32 input (what the encoder produces) only differs by float32 rounding
    np.testing.assert_allclose(apply_temperature(logits, 1.0), model.predict_proba(x), atol=1e-6)


def test_other_estimators_take_the_generic_path() -> None:
    from sklearn.ensemble import RandomForestClassifier

    x = np.random.default_rng(0).normal(size=(50, 3)).astype(np.float32)
    model = RandomForestClassifier(n_estimators=3).fit(x, (x[:, 0] > 0).astype(int))
    assert _linear_logits(model, x) is None
