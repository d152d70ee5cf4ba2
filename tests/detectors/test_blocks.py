"""Disjoint evidence blocks and their p-values (driftguard.detectors.blocks).

The block tests of the detectors (estimated accuracy, realised accuracy, shadow disagreement)
are checked in their own modules; here: block numbering, batching, the randomised binomial
p-value against scipy, the degenerate-block bound and the skewness correction of the t test on
confidences piled up at 1/k (where the plain t test is anti-conservative).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats

from driftguard.detectors.blocks import (
    BinomialTail,
    BlockEvidence,
    MeanDrop,
    binomial_p_value,
    block_uniform,
    mean_drop_p_value,
)
from driftguard.errors import ConfigurationError


def _clipped_beta_mean(a: float, b: float, low: float) -> float:
    """Exact mean of ``max(Beta(a, b), low)``."""
    cdf = stats.beta.cdf
    return float(low * cdf(low, a, b) + a / (a + b) * (1.0 - cdf(low, a + 1, b)))


def test_blocks_are_numbered_from_one_and_only_the_last_complete_one_is_scored() -> None:
    seen: list[tuple[list[float], int]] = []

    def record(values: np.ndarray, block: int) -> float:
        seen.append((values.tolist(), block))
        return 0.5

    blocks = BlockEvidence(3, record)
    assert blocks.add([1.0, 2.0]) == 0
    assert blocks.latest_ is None
    assert blocks.add([3.0, 4.0]) == 1
    assert seen == [([1.0, 2.0, 3.0], 1)]
    assert blocks.latest_ == (0.5, 1)
    assert blocks.add(np.arange(5.0, 14.0)) == 3  # blocks 2 (4, 5, 6), 3 (7, 8, 9), 4 (10, 11, 12)
    assert seen[-1] == ([10.0, 11.0, 12.0], 4)
    assert len(seen) == 2  # blocks 2 and 3 are never scored: they are never seen
    assert (blocks.blocks_, blocks.latest_) == (4, (0.5, 4))
    assert blocks.pending_.tolist() == [13.0]


def test_binomial_p_values_do_not_depend_on_batching() -> None:
    g = np.random.default_rng(0)
    x = (g.random(1000) < 0.3).astype(float)
    test = BinomialTail(0.3, "upper", seed=4, stream="s")
    whole, pieces = BlockEvidence(100, test), BlockEvidence(100, test)
    whole.add(x)
    for chunk in np.array_split(x, 37):
        pieces.add(chunk)
    assert whole.latest_ == pieces.latest_
    assert whole.latest_ is not None
    expected = test(x[900:], 10)
    assert whole.latest_ == (expected, 10)


def test_randomised_binomial_p_value_brackets_the_exact_one() -> None:
    for rate in (0.0, 1.0):
        assert binomial_p_value(0, 20, rate, 0.5, "lower") == (0.5 if rate == 0.0 else 1e-300)
        assert binomial_p_value(20, 20, rate, 0.5, "upper") == (1e-300 if rate == 0.0 else 0.5)
    for count in (0, 3, 10, 20):
        pmf = stats.binom.pmf(count, 20, 0.4)
        half = binomial_p_value(count, 20, 0.4, 0.5, "lower")
        assert half == pytest.approx(stats.binom.cdf(count - 1, 20, 0.4) + 0.5 * pmf)
        lower0 = binomial_p_value(count, 20, 0.4, 0.0, "lower")
        lower1 = binomial_p_value(count, 20, 0.4, 1.0, "lower")
        assert lower1 == pytest.approx(stats.binomtest(count, 20, 0.4, "less").pvalue)
        assert lower0 == pytest.approx(max(1e-300, stats.binom.cdf(count - 1, 20, 0.4)))
        upper1 = binomial_p_value(count, 20, 0.4, 1.0, "upper")
        assert upper1 == pytest.approx(stats.binomtest(count, 20, 0.4, "greater").pvalue)


def test_randomised_binomial_p_values_are_exactly_uniform_under_the_null() -> None:
    g = np.random.default_rng(1)
    counts = g.binomial(50, 0.85, size=4000)
    u = g.random(4000)
    pairs = zip(counts, u, strict=True)
    p = np.array([binomial_p_value(int(c), 50, 0.85, float(v), "lower") for c, v in pairs])
    assert stats.kstest(p, "uniform").pvalue > 0.01
    assert np.mean(p <= 0.01) < 0.02
    assert np.mean(p <= 0.05) == pytest.approx(0.05, abs=0.015)


def test_block_uniform_is_reproducible_and_differs_by_stream_and_block() -> None:
    a = block_uniform(0, 1, "accuracy")
    assert a == block_uniform(0, 1, "accuracy")
    assert a != block_uniform(0, 2, "accuracy")
    assert a != block_uniform(0, 1, "shadow_disagreement")
    assert a != block_uniform(1, 1, "accuracy")
    draws = np.array([block_uniform(0, b, "x") for b in range(1, 2001)])
    assert stats.kstest(draws, "uniform").pvalue > 0.01


def test_constant_blocks_get_the_distribution_free_bound() -> None:
    assert mean_drop_p_value([0.9] * 50, 0.8) == 1.0
    assert mean_drop_p_value([0.8] * 50, 0.8) == 1.0
    assert mean_drop_p_value([0.6] * 50, 0.8) == pytest.approx(0.5**50)
    assert mean_drop_p_value([0.799] * 10, 0.8) > 0.95  # a hair below: no evidence
    assert mean_drop_p_value([0.79] * 10, 0.8) == pytest.approx((0.2 / 0.21) ** 10)
    assert mean_drop_p_value([0.5] * 10, 1.0) == 1e-300  # impossible under the reference


def test_mean_drop_p_value_is_monotone_in_the_shift() -> None:
    g = np.random.default_rng(2)
    x = np.clip(g.beta(2.0, 2.0, size=200), 0.5, 1.0)  # right-skewed: the quadratic term bites
    shifts = np.linspace(-0.3, 0.3, 61)
    p = [mean_drop_p_value(np.clip(x + d, 0.0, 1.0), 0.7) for d in shifts]
    assert all(b >= a for a, b in itertools.pairwise(p))  # Hall's cubic keeps it monotone
    assert p[0] < 1e-30
    assert p[-1] > 0.999


def test_skewness_correction_holds_the_level_where_the_plain_t_test_does_not() -> None:
    """A weak binary model piles confidences up at 0.5: right-skewed, the plain t test
    rejects about 1.8% at 1%; corrected, at most the nominal 1%."""
    g = np.random.default_rng(3)
    ref = _clipped_beta_mean(2.0, 2.0, 0.5)
    x = np.clip(g.beta(2.0, 2.0, size=(4000, 100)), 0.5, 1.0)
    p = np.array([mean_drop_p_value(row, ref) for row in x])
    t = stats.ttest_1samp(x, ref, axis=1, alternative="less").pvalue
    assert np.mean(t <= 0.01) > 0.015
    assert np.mean(p <= 0.01) < 0.012
    assert np.mean(p <= 0.1) == pytest.approx(0.1, abs=0.02)


def test_bad_arguments_are_refused_with_their_names() -> None:
    with pytest.raises(ConfigurationError, match="block size"):
        BlockEvidence(0, MeanDrop(0.5))
    with pytest.raises(ConfigurationError, match="at least 2"):
        mean_drop_p_value([0.5], 0.5)
    with pytest.raises(ConfigurationError, match="reference"):
        mean_drop_p_value([0.5, 0.6], 1.5)
    with pytest.raises(ConfigurationError, match="rate"):
        binomial_p_value(1, 2, 1.5, 0.5, "lower")
    with pytest.raises(ConfigurationError, match="count"):
        binomial_p_value(3, 2, 0.5, 0.5, "lower")
    with pytest.raises(ConfigurationError, match="tail"):
        binomial_p_value(1, 2, 0.5, 0.5, "both")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="seed"):
        block_uniform(-1, 1, "x")
