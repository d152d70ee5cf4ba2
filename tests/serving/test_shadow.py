"""Shadow scoring of a promoted version: its disagreement signal and the block evidence.

The previous version is a stub that predicts the sign of the feature ``x``; the promoted
version's probabilities are built to disagree with it on a chosen share of rows.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from driftguard.detectors.blocks import binomial_p_value, block_uniform
from driftguard.errors import ConfigurationError, InvalidInputError
from driftguard.schema.validation import ValidatedBatch
from driftguard.serving.shadow import Shadow


class _Previous:
    """The previously active version: predicts ``yes`` where ``x > 0``."""

    version = 1
    labels = ("no", "yes")

    def __init__(self) -> None:
        self.fail = False

    def predict_proba(self, batch: ValidatedBatch) -> np.ndarray:
        if self.fail:
            raise InvalidInputError("x", "unknown feature")
        yes = (np.asarray(batch.columns["x"]) > 0).astype(float)
        return np.column_stack([1.0 - yes, yes])


def _batch(
    g: np.random.Generator, n: int, rate: float
) -> tuple[ValidatedBatch, np.ndarray, np.ndarray]:
    """A batch, the promoted version's probabilities and where they disagree (share ``rate``)."""
    x = g.normal(size=n)
    differ = g.random(n) < rate
    yes = (x > 0) != differ
    p = np.where(yes, 0.8, 0.2)
    return ValidatedBatch({"x": x}, n), np.column_stack([1.0 - p, p]), differ


def _shadow(**kwargs: object) -> Shadow:
    options: dict[str, object] = {"max_rows": 1_000_000, "max_disagreement": 0.1}
    return Shadow(_Previous(), 2, ("no", "yes"), **(options | kwargs))  # type: ignore[arg-type]


def test_p_value_rests_on_the_latest_complete_block() -> None:
    g = np.random.default_rng(0)
    shadow = _shadow(min_rows=50, block_rows=100, seed=3)
    assert shadow.get_params()["block_rows"] == 100
    assert shadow.get_params()["seed"] == 3
    differ = []
    batch, proba, d = _batch(g, 60, 0.1)
    differ.append(d)
    signal = shadow.update(batch, proba).signal()
    assert signal.value is not None
    assert (signal.p_value, signal.block) == (None, None)  # no complete block yet
    batch, proba, d = _batch(g, 190, 0.1)
    differ.append(d)
    latest = shadow.update(batch, proba).signal()
    rows = np.concatenate(differ)
    u = block_uniform(3, 2, "shadow_disagreement")
    expected = binomial_p_value(int(rows[100:200].sum()), 100, 0.1, u, "upper")
    assert (latest.p_value, latest.block) == (expected, 2)
    assert latest.value == pytest.approx(rows.mean())
    assert all(shadow.signals() == (latest,) for _ in range(3))  # looking again changes nothing
    # block_rows defaults to min_rows
    default = _shadow(min_rows=50)
    assert default.block_rows is None
    batch, proba, _ = _batch(g, 50, 0.1)
    assert default.update(batch, proba).signal().block == 1


def test_no_p_value_while_insufficient_or_after_a_failure() -> None:
    g = np.random.default_rng(1)
    shadow = _shadow(min_rows=100, block_rows=40)
    batch, proba, _ = _batch(g, 60, 0.1)
    shadow.update(batch, proba)
    assert shadow.evidence_.latest_ is not None  # block 1 complete, but below min_rows
    signal = shadow.signal()
    assert (signal.status, signal.p_value, signal.block) == ("insufficient_data", None, None)
    batch, proba, _ = _batch(g, 60, 0.1)
    assert shadow.update(batch, proba).signal().block == 3
    shadow.previous.fail = True  # type: ignore[attr-defined]
    batch, proba, _ = _batch(g, 60, 0.1)
    failed = shadow.update(batch, proba).signal()
    assert (failed.status, failed.p_value, failed.block) == ("insufficient_data", None, None)
    with pytest.raises(ConfigurationError, match="block_rows"):
        _shadow(block_rows=0)
    with pytest.raises(ConfigurationError, match="seed"):
        _shadow(seed=-1)


def test_p_values_are_uniform_at_the_boundary_and_conservative_below() -> None:
    g = np.random.default_rng(2)
    for rate in (0.1, 0.05):
        shadow = _shadow(min_rows=100)
        p_values = []
        for block in range(1, 2001):
            batch, proba, _ = _batch(g, 100, rate)
            signal = shadow.update(batch, proba).signal()
            assert signal.block == block
            p_values.append(signal.p_value)
        p = np.array(p_values, dtype=np.float64)
        assert np.mean(p <= 0.01) <= 0.016
        assert np.mean(p <= 0.001) <= 0.004
        if rate == 0.1:  # exactly uniform at the boundary
            assert stats.kstest(p, "uniform").pvalue > 0.01
        else:  # below it: stochastically larger
            assert np.mean(p <= 0.1) < 0.02


def test_doubled_disagreement_gives_tiny_p_values() -> None:
    g = np.random.default_rng(3)
    shadow = _shadow(min_rows=400)
    for _ in range(5):
        batch, proba, _ = _batch(g, 400, 0.2)
        signal = shadow.update(batch, proba).signal()
        assert signal.p_value is not None
        assert signal.p_value < 1e-4
