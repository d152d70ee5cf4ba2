"""Agreement of driftguard.stats with scipy (and with the textbook formulas) to 1e-9."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from scipy import stats as sps
from scipy.spatial import distance as spd

from driftguard import stats
from driftguard.errors import ConfigurationError, EmptyDataError
from driftguard.stats.binned import (
    hellinger_values,
    jensen_shannon_values,
    kl_values,
    psi_values,
    tvd_values,
)

RTOL, ATOL = 1e-9, 1e-12


def _close(actual: float | None, expected: float) -> None:
    assert actual is not None
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL)


def _continuous(seed: int, n: int, m: int, shift: float) -> tuple[np.ndarray, np.ndarray]:
    g = np.random.default_rng(seed)
    return g.normal(size=n), g.normal(shift, 1.3, size=m)


def _discrete(seed: int, n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Integer-valued samples with many ties inside and across the two samples."""
    g = np.random.default_rng(seed)
    return g.poisson(3.0, size=n).astype(float), g.poisson(3.4, size=m).astype(float)


SAMPLE_CASES = {
    "equal-sizes": _continuous(1, 200, 200, 0.2),
    "unequal-sizes": _continuous(2, 57, 313, 0.0),
    "large-shift": _continuous(3, 500, 90, 1.5),
    "small": _continuous(4, 25, 31, 0.4),
    "ties": _discrete(5, 150, 240),
    "ties-unequal": _discrete(6, 41, 400),
    "rounded": tuple(np.round(x, 1) for x in _continuous(7, 300, 120, 0.1)),
}


@pytest.fixture(params=sorted(SAMPLE_CASES), name="samples")
def _samples(request: pytest.FixtureRequest) -> tuple[np.ndarray, np.ndarray]:
    a, b = SAMPLE_CASES[request.param]
    return a.copy(), b.copy()


# --- sample statistics -----------------------------------------------------------------


def test_ks_matches_scipy_asymp(samples: tuple[np.ndarray, np.ndarray]) -> None:
    a, b = samples
    ours = stats.ks(a, b)
    ref = sps.ks_2samp(a, b, method="asymp")
    _close(ours.statistic, ref.statistic)
    _close(ours.p_value, ref.pvalue)


def test_ks_is_symmetric_in_p_value() -> None:
    a, b = SAMPLE_CASES["unequal-sizes"]
    assert stats.ks(a, b).p_value == pytest.approx(stats.ks(b, a).p_value, rel=1e-12)


def test_cvm_matches_scipy_asymptotic(samples: tuple[np.ndarray, np.ndarray]) -> None:
    a, b = samples
    assert a.size > 20
    assert b.size > 20
    ours = stats.cvm(a, b)
    ref = sps.cramervonmises_2samp(a, b, method="asymptotic")
    _close(ours.statistic, ref.statistic)
    _close(ours.p_value, ref.pvalue)


def test_cvm_p_value_one_for_identical_samples() -> None:
    a = np.random.default_rng(8).normal(size=60)
    res = stats.cvm(a, a.copy())
    ref = sps.cramervonmises_2samp(a, a.copy(), method="asymptotic")
    _close(res.p_value, ref.pvalue)
    assert res.p_value == pytest.approx(1.0)


def test_wasserstein_matches_scipy(samples: tuple[np.ndarray, np.ndarray]) -> None:
    a, b = samples
    ours = stats.wasserstein(a, b)
    _close(ours.statistic, sps.wasserstein_distance(a, b))
    assert ours.p_value is None


def test_wasserstein_normalised_divides_by_reference_std(
    samples: tuple[np.ndarray, np.ndarray],
) -> None:
    a, b = samples
    expected = sps.wasserstein_distance(a, b) / np.std(a)
    _close(stats.wasserstein(a, b, normalised=True).statistic, expected)


def test_wasserstein_normalised_constant_reference_divides_by_one() -> None:
    a = np.full(10, 3.0)
    b = np.array([3.0, 4.0, 5.0])
    _close(stats.wasserstein(a, b, normalised=True).statistic, sps.wasserstein_distance(a, b))


def test_energy_matches_scipy(samples: tuple[np.ndarray, np.ndarray]) -> None:
    a, b = samples
    _close(stats.energy(a, b).statistic, sps.energy_distance(a, b))


# --- NaN, empty and infinite input -------------------------------------------------------


def _with_nans(x: np.ndarray, every: int) -> np.ndarray:
    out = x.copy()
    out[::every] = np.nan
    return out


@pytest.mark.parametrize("name", ["ks", "cvm", "wasserstein", "energy"])
def test_nan_values_are_dropped(name: str) -> None:
    a, b = _continuous(11, 120, 90, 0.3)
    a_nan, b_nan = _with_nans(a, 7), _with_nans(b, 5)
    fn = getattr(stats, name)
    with_nan = fn(a_nan, b_nan)
    without = fn(a_nan[~np.isnan(a_nan)], b_nan[~np.isnan(b_nan)])
    assert np.isfinite(with_nan.statistic)
    assert with_nan.statistic == without.statistic
    assert with_nan.p_value == without.p_value


def test_nan_dropped_ks_matches_scipy_on_clean_data() -> None:
    a, b = _continuous(12, 80, 140, 0.5)
    a_nan, b_nan = _with_nans(a, 4), _with_nans(b, 3)
    ref = sps.ks_2samp(a_nan[~np.isnan(a_nan)], b_nan[~np.isnan(b_nan)], method="asymp")
    ours = stats.ks(a_nan, b_nan)
    _close(ours.statistic, ref.statistic)
    _close(ours.p_value, ref.pvalue)


@pytest.mark.parametrize("name", ["ks", "cvm", "wasserstein", "energy"])
@pytest.mark.parametrize("side", ["reference", "current"])
@pytest.mark.parametrize("empty", [np.array([]), np.array([np.nan, np.nan])])
def test_empty_sample_raises(name: str, side: str, empty: np.ndarray) -> None:
    full = np.arange(10.0)
    args = (empty, full) if side == "reference" else (full, empty)
    with pytest.raises(EmptyDataError, match=side):
        getattr(stats, name)(*args)


@pytest.mark.parametrize("name", ["wasserstein", "energy"])
@pytest.mark.parametrize("bad", [np.inf, -np.inf])
def test_infinite_values_have_no_distance(name: str, bad: float) -> None:
    a = np.arange(10.0)
    b = np.array([1.0, 2.0, bad])
    with pytest.raises(ConfigurationError, match="current"):
        getattr(stats, name)(a, b)
    with pytest.raises(ConfigurationError, match="reference"):
        getattr(stats, name)(b, a)


def test_wasserstein_normalised_infinite_raises() -> None:
    with pytest.raises(ConfigurationError):
        stats.wasserstein(np.array([0.0, np.inf]), np.array([1.0]), normalised=True)


# --- binned statistics -------------------------------------------------------------------

BIN_CASES = {
    "uniform-vs-skewed": (np.array([25, 25, 25, 25]), np.array([10, 20, 30, 40])),
    "unequal-totals": (np.array([120, 40, 300, 7, 33]), np.array([12, 9, 40, 3, 6])),
    "random-20": (
        np.random.default_rng(21).integers(1, 200, size=20),
        np.random.default_rng(22).integers(1, 50, size=20),
    ),
    "identical-shape": (np.array([3, 6, 9]), np.array([1, 2, 3])),
}


@pytest.fixture(params=sorted(BIN_CASES), name="bins")
def _bins(request: pytest.FixtureRequest) -> tuple[np.ndarray, np.ndarray]:
    return BIN_CASES[request.param]


def _props(c: np.ndarray) -> np.ndarray:
    c = np.asarray(c, dtype=np.float64)
    return c / c.sum()


def test_chi2_matches_scipy_chisquare(bins: tuple[np.ndarray, np.ndarray]) -> None:
    ref, cur = bins
    expected = _props(ref) * cur.sum()
    assert np.all(expected > 0)
    res = sps.chisquare(f_obs=cur.astype(float), f_exp=expected)
    ours = stats.chi2(ref, cur)
    _close(ours.statistic, res.statistic)
    _close(ours.p_value, res.pvalue)


def test_chi2_unseen_bin_is_infinite() -> None:
    res = stats.chi2(np.array([10, 0, 10]), np.array([5, 1, 5]))
    assert res.statistic == np.inf
    assert res.p_value == 0.0


def test_chi2_drops_bins_empty_on_both_sides() -> None:
    ref, cur = np.array([10, 0, 30, 20]), np.array([4, 0, 9, 7])
    keep = np.array([0, 2, 3])
    res = sps.chisquare(f_obs=cur[keep].astype(float), f_exp=_props(ref[keep]) * cur.sum())
    ours = stats.chi2(ref, cur)
    _close(ours.statistic, res.statistic)
    _close(ours.p_value, res.pvalue)


def test_jensen_shannon_matches_scipy(bins: tuple[np.ndarray, np.ndarray]) -> None:
    ref, cur = bins
    expected = spd.jensenshannon(_props(ref), _props(cur))
    _close(stats.jensen_shannon(ref, cur).statistic, expected)


def test_jensen_shannon_with_zero_bins_matches_scipy() -> None:
    ref, cur = np.array([10, 0, 5, 5]), np.array([0, 8, 4, 8])
    expected = spd.jensenshannon(_props(ref), _props(cur))
    _close(stats.jensen_shannon(ref, cur).statistic, expected)


def _floored(c: np.ndarray) -> np.ndarray:
    return np.maximum(_props(c), 1e-4)


def test_psi_formula(bins: tuple[np.ndarray, np.ndarray]) -> None:
    ref, cur = bins
    p, q = _floored(ref), _floored(cur)
    _close(stats.psi(ref, cur).statistic, np.sum((q - p) * np.log(q / p)))


def test_kl_formula(bins: tuple[np.ndarray, np.ndarray]) -> None:
    ref, cur = bins
    p, q = _floored(ref), _floored(cur)
    _close(stats.kl(ref, cur).statistic, np.sum(q * np.log(q / p)))


def test_hellinger_formula(bins: tuple[np.ndarray, np.ndarray]) -> None:
    ref, cur = bins
    p, q = _props(ref), _props(cur)
    _close(stats.hellinger(ref, cur).statistic, np.sqrt(1.0 - np.sum(np.sqrt(p * q))))


def test_tvd_formula(bins: tuple[np.ndarray, np.ndarray]) -> None:
    ref, cur = bins
    p, q = _props(ref), _props(cur)
    _close(stats.tvd(ref, cur).statistic, 0.5 * np.sum(np.abs(p - q)))


def test_psi_and_kl_floor_zero_bins() -> None:
    ref, cur = np.array([50, 50, 0]), np.array([40, 40, 20])
    p = np.maximum(np.array([0.5, 0.5, 0.0]), 1e-4)
    q = np.array([0.4, 0.4, 0.2])
    _close(stats.psi(ref, cur).statistic, np.sum((q - p) * np.log(q / p)))
    _close(stats.kl(ref, cur).statistic, np.sum(q * np.log(q / p)))
    assert np.isfinite(stats.psi(ref, cur).statistic)


def test_psi_custom_eps() -> None:
    ref, cur = np.array([10, 0]), np.array([5, 5])
    p, q = np.maximum(np.array([1.0, 0.0]), 1e-2), np.array([0.5, 0.5])
    _close(stats.psi(ref, cur, eps=1e-2).statistic, np.sum((q - p) * np.log(q / p)))


@pytest.mark.parametrize("name", ["psi", "kl", "jensen_shannon", "hellinger", "tvd"])
def test_binned_identical_distributions_score_zero(name: str) -> None:
    assert getattr(stats, name)(np.array([2, 4, 6]), np.array([1, 2, 3])).statistic == (
        pytest.approx(0.0, abs=1e-12)
    )


@pytest.mark.parametrize(
    "fn", [psi_values, kl_values, jensen_shannon_values, hellinger_values, tvd_values]
)
def test_vectorised_values_equal_row_by_row(
    fn: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> None:
    g = np.random.default_rng(31)
    p = _props(g.integers(0, 40, size=12) + 1)
    q_counts = g.integers(0, 40, size=(25, 12)).astype(np.float64)
    q_counts[3, :5] = 0.0  # some zero bins in the batch
    q = q_counts / q_counts.sum(axis=1, keepdims=True)
    batch = fn(p, q)
    assert batch.shape == (25,)
    rows = np.array([fn(p, q[i]) for i in range(q.shape[0])])
    np.testing.assert_allclose(batch, rows, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name", ["psi", "kl", "jensen_shannon", "hellinger", "tvd", "chi2"])
def test_binned_rejects_bad_counts(name: str) -> None:
    fn = getattr(stats, name)
    with pytest.raises(EmptyDataError):
        fn(np.array([0, 0]), np.array([1, 1]))
    with pytest.raises(ConfigurationError):
        fn(np.array([1, -1, 3]), np.array([1, 1, 1]))
    with pytest.raises(ConfigurationError):
        fn(np.array([1, np.nan]), np.array([1, 1]))
