"""Permutation p-values, MMD tests and multiple-testing corrections."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from driftguard import stats
from driftguard.errors import ConfigurationError, EmptyDataError
from driftguard.stats.kernel import median_bandwidth
from driftguard.stats.multiple import adjust, benjamini_hochberg, holm
from driftguard.stats.resampling import permutation_p_value, permutation_p_values, rng
from driftguard.types import StatResult

StatFn = Callable[..., StatResult]

# --- permutation p-values ----------------------------------------------------------------


def test_p_value_counts_draws_at_least_as_large() -> None:
    null = np.array([1.0, 2.0, 2.0, 3.0, 5.0])
    # k = 4 draws >= 2.0 (2, 2, 3, 5: ties count), B = 5
    assert permutation_p_value(2.0, null) == pytest.approx((1 + 4) / (1 + 5))
    assert permutation_p_value(2.5, null) == pytest.approx((1 + 2) / (1 + 5))
    assert permutation_p_value(4.0, null) == pytest.approx((1 + 1) / (1 + 5))


def test_p_value_never_zero_when_observed_beats_every_draw() -> None:
    null = np.random.default_rng(0).normal(size=999)
    assert permutation_p_value(1e6, null) == pytest.approx(1.0 / 1000)
    assert permutation_p_value(np.inf, null) == pytest.approx(1.0 / 1000)


def test_p_value_is_one_when_observed_below_every_draw() -> None:
    null = np.arange(1.0, 50.0)
    assert permutation_p_value(-1.0, null) == 1.0


def test_vectorised_p_values_equal_scalar_calls() -> None:
    g = np.random.default_rng(1)
    null = g.normal(size=199)
    observed = np.concatenate([g.normal(size=30), null[:5], [10.0, -10.0]])
    batch = permutation_p_values(observed, null)
    scalar = np.array([permutation_p_value(o, null) for o in observed])
    np.testing.assert_array_equal(batch, scalar)
    brute = np.array([(1 + np.sum(null >= o)) / (1 + null.size) for o in observed])
    np.testing.assert_allclose(batch, brute, rtol=1e-15)


def test_empty_null_rejected() -> None:
    with pytest.raises(ConfigurationError, match="null"):
        permutation_p_value(1.0, np.array([]))


def test_rng_none_is_seed_zero_and_generator_passes_through() -> None:
    assert rng(None).random() == np.random.default_rng(0).random()
    g = np.random.default_rng(5)
    assert rng(g) is g


# --- MMD ---------------------------------------------------------------------------------


def _same(seed: int, n: int = 150, d: int = 2) -> tuple[np.ndarray, np.ndarray]:
    g = np.random.default_rng(seed)
    return g.normal(size=(n, d)), g.normal(size=(n, d))


def _shifted(
    seed: int, n: int = 150, d: int = 2, shift: float = 0.8
) -> tuple[np.ndarray, np.ndarray]:
    g = np.random.default_rng(seed)
    return g.normal(size=(n, d)), g.normal(shift, size=(n, d))


def _on_grid(p: float, b: int) -> bool:
    k = p * (b + 1) - 1
    return abs(k - round(k)) < 1e-9 and 1.0 / (b + 1) - 1e-15 <= p <= 1.0


@pytest.mark.parametrize("fn", [stats.mmd, stats.rff_mmd], ids=["mmd", "rff_mmd"])
def test_mmd_detects_shift(fn: StatFn) -> None:
    x, y = _shifted(2)
    res = fn(x, y, n_permutations=99, seed=0)
    assert res.p_value == pytest.approx(1 / 100)
    assert res.statistic > 0


@pytest.mark.parametrize("fn", [stats.mmd, stats.rff_mmd], ids=["mmd", "rff_mmd"])
def test_mmd_same_distribution_not_small(fn: StatFn) -> None:
    x, y = _same(2)
    res = fn(x, y, n_permutations=199, seed=0)
    assert res.p_value is not None
    assert res.p_value > 0.05
    assert _on_grid(res.p_value, 199)


@pytest.mark.parametrize("fn", [stats.mmd, stats.rff_mmd], ids=["mmd", "rff_mmd"])
def test_mmd_null_p_values_spread_over_unit_interval(fn: StatFn) -> None:
    ps = np.array([fn(*_same(100 + s, n=60), n_permutations=49, seed=s).p_value for s in range(20)])
    assert np.all((ps >= 1 / 50) & (ps <= 1.0))
    assert np.all([_on_grid(p, 49) for p in ps])
    # under the null, p is (nearly) uniform: not piled at small values
    assert np.mean(ps <= 0.05) <= 0.2
    assert 0.25 < np.mean(ps) < 0.75


@pytest.mark.parametrize("fn", [stats.mmd, stats.rff_mmd], ids=["mmd", "rff_mmd"])
def test_mmd_repeatable_with_same_seed(fn: StatFn) -> None:
    x, y = _shifted(3, shift=0.2)
    first = fn(x, y, n_permutations=59, seed=7)
    again = fn(x, y, n_permutations=59, seed=7)
    assert first == again


def test_rff_mmd_seed_changes_features() -> None:
    x, y = _shifted(3, shift=0.2)
    a = stats.rff_mmd(x, y, n_features=32, n_permutations=20, seed=1)
    b = stats.rff_mmd(x, y, n_features=32, n_permutations=20, seed=2)
    assert a.statistic != b.statistic


def _unbiased_mmd2(x: np.ndarray, y: np.ndarray, sigma: float) -> float:
    def k(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        d = ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)
        return np.exp(-d / (2 * sigma * sigma))

    n, m = len(x), len(y)
    kxx, kyy, kxy = k(x, x), k(y, y), k(x, y)
    return float(
        (kxx.sum() - np.trace(kxx)) / (n * (n - 1))
        + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
        - 2 * kxy.mean()
    )


def test_mmd_statistic_is_unbiased_rbf_mmd2() -> None:
    g = np.random.default_rng(4)
    x, y = g.normal(size=(40, 3)), g.normal(0.3, size=(55, 3))
    sigma = median_bandwidth(np.vstack([x, y]))
    res = stats.mmd(x, y, n_permutations=10)
    np.testing.assert_allclose(res.statistic, _unbiased_mmd2(x, y, sigma), rtol=1e-9, atol=1e-12)
    fixed = stats.mmd(x, y, n_permutations=10, bandwidth=0.7)
    np.testing.assert_allclose(fixed.statistic, _unbiased_mmd2(x, y, 0.7), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("shift", [0.0, 0.5, 1.5])
def test_rff_statistic_approximates_exact_mmd(shift: float) -> None:
    x, y = _shifted(5, n=300, shift=shift)
    exact = stats.mmd(x, y, n_permutations=5).statistic
    approx = stats.rff_mmd(x, y, n_features=8192, n_permutations=5).statistic
    # RFF estimates the biased (V-statistic) MMD^2: O(1/n) bias plus O(1/sqrt(D)) noise
    assert abs(approx - exact) <= 0.15 * abs(exact) + 0.01


def test_mmd_accepts_1d_samples() -> None:
    g = np.random.default_rng(6)
    res = stats.mmd(g.normal(size=80), g.normal(2.0, size=80), n_permutations=49)
    assert res.p_value == pytest.approx(1 / 50)


@pytest.mark.parametrize("fn", [stats.mmd, stats.rff_mmd], ids=["mmd", "rff_mmd"])
def test_mmd_input_errors(fn: StatFn) -> None:
    x = np.zeros((10, 2))
    with pytest.raises(ConfigurationError, match="features"):
        fn(x, np.zeros((10, 3)))
    with pytest.raises(ConfigurationError, match="n_permutations"):
        fn(x, x, n_permutations=0)
    bad = np.ones((10, 2))
    bad[3, 1] = np.nan
    with pytest.raises(ConfigurationError, match="current"):
        fn(x, bad)
    with pytest.raises(EmptyDataError, match="reference"):
        fn(np.zeros((1, 2)), x)


def test_rff_mmd_rejects_zero_features() -> None:
    x = np.random.default_rng(0).normal(size=(10, 2))
    with pytest.raises(ConfigurationError, match="n_features"):
        stats.rff_mmd(x, x, n_features=0)


# --- multiple testing --------------------------------------------------------------------

P = np.array([0.01, 0.04, 0.03, 0.005])


def test_holm_hand_computed() -> None:
    # sorted: 0.005*4=0.02, 0.01*3=0.03, 0.03*2=0.06, 0.04*1=0.04 -> running max 0.06
    np.testing.assert_allclose(holm(P), [0.03, 0.06, 0.06, 0.02], rtol=1e-12)


def test_bh_hand_computed() -> None:
    # sorted: 0.005*4/1=0.02, 0.01*4/2=0.02, 0.03*4/3=0.04, 0.04*4/4=0.04 -> running min
    np.testing.assert_allclose(benjamini_hochberg(P), [0.02, 0.04, 0.04, 0.02], rtol=1e-12)


def test_corrections_cap_at_one_and_handle_ties() -> None:
    p = np.array([0.5, 0.5, 0.9])
    np.testing.assert_allclose(holm(p), [1.0, 1.0, 1.0])
    np.testing.assert_allclose(benjamini_hochberg(p), [0.75, 0.75, 0.9])
    np.testing.assert_allclose(holm([0.02, 0.02]), [0.04, 0.04])
    np.testing.assert_allclose(benjamini_hochberg([0.02, 0.02]), [0.02, 0.02])


def test_bh_step_up_rescues_smaller_p_values() -> None:
    # step-up: the largest p (0.049 * 5/5) carries every smaller one below alpha
    p = np.array([0.045, 0.046, 0.047, 0.048, 0.049])
    np.testing.assert_allclose(benjamini_hochberg(p), np.full(5, 0.049))
    assert not np.any(holm(p) <= 0.05)


def test_bh_rejects_superset_of_holm() -> None:
    g = np.random.default_rng(9)
    for _ in range(200):
        p = np.concatenate([g.uniform(size=6), g.uniform(0, 0.02, size=g.integers(0, 5))])
        h, b = holm(p), benjamini_hochberg(p)
        assert np.all(b <= h + 1e-15)
        assert np.all(h >= p - 1e-15)
        assert np.all(b >= p - 1e-15)
        for alpha in (0.01, 0.05, 0.1):
            assert set(np.flatnonzero(h <= alpha)) <= set(np.flatnonzero(b <= alpha))


def test_adjust_dispatches_and_rejects_unknown() -> None:
    np.testing.assert_array_equal(adjust(P, "holm"), holm(P))
    np.testing.assert_array_equal(adjust(P, "bh"), benjamini_hochberg(P))
    np.testing.assert_array_equal(adjust(P, "none"), P)
    with pytest.raises(ConfigurationError, match="bonferroni"):
        adjust(P, "bonferroni")


@pytest.mark.parametrize("bad", [[0.1, 1.2], [-0.1, 0.5], [np.nan, 0.5]])
def test_corrections_reject_invalid_p_values(bad: list[float]) -> None:
    for fn in (holm, benjamini_hochberg):
        with pytest.raises(ConfigurationError, match="p_values"):
            fn(bad)
