"""DriftCheck: per-feature verdicts, the practical-effect gate and the report."""

from __future__ import annotations

import numpy as np
import pytest

from driftguard.drift.check import DriftCheck
from driftguard.drift.profile import ReferenceProfile
from driftguard.errors import ConfigurationError, EmptyDataError, NotFittedError
from driftguard.stats.multiple import adjust
from driftguard.types import DriftReport

B = 200  # resamples per calibrated window size


def _rows(g: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    return {
        "a": g.normal(size=n),
        "b": g.normal(5.0, 2.0, size=n),
        "c": g.choice(["x", "y", "z"], size=n, p=[0.5, 0.3, 0.2]),
    }


@pytest.fixture(scope="module", name="profile")
def _profile() -> ReferenceProfile:
    return ReferenceProfile(n_resamples=B, seed=1).fit(_rows(np.random.default_rng(0), 6000))


def _p_floor(report: DriftReport) -> None:
    for f in report.features:
        assert f.p_value >= 1 / (B + 1) - 1e-12
        assert f.p_value <= 1.0
        assert f.p_adjusted >= f.p_value - 1e-12
    # The dataset p-value has a fitted tail: positive, but not floored at 1 / (1 + B).
    assert 0.0 < report.dataset_p_value <= 1.0


def test_dataset_p_value_beyond_the_resampling_floor(profile: ReferenceProfile) -> None:
    cur = _rows(np.random.default_rng(12), 500)
    cur["b"] = cur["b"] + 3.0  # 1.5 std: far beyond every resampled null draw
    report = DriftCheck().run(profile, cur)
    assert report.dataset_p_value < 1e-3 / (B + 1)


def test_clear_shift_detected(profile: ReferenceProfile) -> None:
    cur = _rows(np.random.default_rng(11), 500)
    cur["b"] = cur["b"] + 1.5  # 0.75 std
    report = DriftCheck().run(profile, cur)
    assert report.drift
    assert report.drifted_features == ("b",)
    b = report.features[1]
    assert b.feature == "b"
    assert b.method == "wasserstein"
    assert b.score > b.threshold
    assert b.score > 0.5
    assert b.p_value == pytest.approx(1 / (B + 1))
    assert report.share_drifted == pytest.approx(1 / 3)
    assert report.dataset_score > report.dataset_threshold
    assert report.calibrated
    _p_floor(report)


def test_no_shift_mostly_not_flagged(profile: ReferenceProfile) -> None:
    g = np.random.default_rng(20)
    check = DriftCheck(min_effect=0.0)  # no effect gate: calibration alone decides
    reports = [check.run(profile, _rows(g, 400)) for _ in range(20)]
    assert sum(r.drift for r in reports) <= 4
    flagged = sum(f.drift for r in reports for f in r.features)
    assert flagged <= 6  # of 60 feature verdicts
    for r in reports:
        _p_floor(r)
    # with the default effect gate nothing this small counts as drift
    assert not any(DriftCheck().run(profile, _rows(g, 400)).drift for _ in range(5))


def test_categorical_distribution_change_detected_by_psi(profile: ReferenceProfile) -> None:
    g = np.random.default_rng(30)
    cur = _rows(g, 500)
    cur["c"] = g.choice(["x", "y", "z"], size=500, p=[0.2, 0.3, 0.5])
    report = DriftCheck().run(profile, cur)
    c = report.features[2]
    assert c.method == "psi"
    assert c.drift
    assert report.drifted_features == ("c",)
    assert report.drift


def test_new_category_detected(profile: ReferenceProfile) -> None:
    g = np.random.default_rng(31)
    cur = _rows(g, 500)
    cur["c"] = np.where(g.random(500) < 0.3, "brand-new", cur["c"])
    report = DriftCheck().run(profile, cur)
    assert report.drifted_features == ("c",)
    _p_floor(report)


def test_missing_rate_change_detected(profile: ReferenceProfile) -> None:
    g = np.random.default_rng(32)
    cur = _rows(g, 500)
    cur["a"][g.random(500) < 0.3] = np.nan
    report = DriftCheck().run(profile, cur)
    a = report.features[0]
    # the finite values are unchanged, so the score is mostly the ~0.3 missing share
    assert 0.2 < a.score < 0.45
    assert a.drift
    assert report.drifted_features == ("a",)


def test_p_values_never_zero_under_extreme_drift(profile: ReferenceProfile) -> None:
    g = np.random.default_rng(33)
    cur = {
        "a": g.normal(50.0, size=300),
        "b": np.full(300, np.nan),
        "c": np.array(["never-seen"] * 300),
    }
    report = DriftCheck().run(profile, cur)
    assert report.drifted_features == ("a", "b", "c")
    for f in report.features:
        assert f.p_value == pytest.approx(1 / (B + 1))
        assert f.p_value > 0
    assert report.dataset_p_value > 0
    _p_floor(report)


def test_corrections_bh_and_holm(profile: ReferenceProfile) -> None:
    # a: 0.2-std shift with a raw p-value in (alpha/2, 2 * alpha / 3], where BH rejects and
    # Holm does not (seeded case); b: a clear 0.6-std shift
    g = np.random.default_rng(0)
    cur = _rows(g, 300)
    cur["a"] = cur["a"] + 0.2
    cur["b"] = cur["b"] + 1.2
    holm = DriftCheck(correction="holm", min_effect=0.0).run(profile, cur)
    bh = DriftCheck(correction="bh", min_effect=0.0).run(profile, cur)
    none = DriftCheck(correction="none", min_effect=0.0).run(profile, cur)
    assert (holm.correction, bh.correction) == ("holm", "bh")
    raw = np.array([f.p_value for f in holm.features])
    np.testing.assert_array_equal(raw, [f.p_value for f in bh.features])
    np.testing.assert_allclose([f.p_adjusted for f in holm.features], adjust(raw, "holm"))
    np.testing.assert_allclose([f.p_adjusted for f in bh.features], adjust(raw, "bh"))
    np.testing.assert_allclose([f.p_adjusted for f in none.features], raw)
    for h, b in zip(holm.features, bh.features, strict=True):
        assert b.p_adjusted <= h.p_adjusted + 1e-15
        assert b.drift >= h.drift
    assert set(holm.drifted_features) <= set(bh.drifted_features)
    assert 0.025 < holm.features[0].p_value <= 0.05 / 1.5
    assert holm.drifted_features == ("b",)
    assert bh.drifted_features == ("a", "b")
    assert none.drifted_features == ("a", "b")


@pytest.mark.parametrize("alpha", [0.0, 1.0, -0.1, 1.5, float("nan")])
def test_bad_alpha(profile: ReferenceProfile, alpha: float) -> None:
    with pytest.raises(ConfigurationError, match="alpha"):
        DriftCheck(alpha=alpha).run(profile, _rows(np.random.default_rng(0), 50))


def test_bad_correction(profile: ReferenceProfile) -> None:
    with pytest.raises(ConfigurationError, match="bonferroni"):
        DriftCheck(correction="bonferroni").run(profile, _rows(np.random.default_rng(0), 50))


def test_bad_min_effect_keys(profile: ReferenceProfile) -> None:
    with pytest.raises(ConfigurationError, match="ghost"):
        DriftCheck(min_effect={"ghost": 0.2}).run(profile, _rows(np.random.default_rng(0), 50))


def test_min_effect_mapping_overrides_one_feature(profile: ReferenceProfile) -> None:
    check = DriftCheck(min_effect={"b": 5.0})
    np.testing.assert_array_equal(check.effect_sizes(profile), [0.1, 5.0, 0.1])
    np.testing.assert_array_equal(DriftCheck(min_effect=0.3).effect_sizes(profile), [0.3] * 3)
    cur = _rows(np.random.default_rng(35), 500)
    cur["b"] = cur["b"] + 1.5
    report = check.run(profile, cur)
    assert report.features[1].min_effect == 5.0
    assert not report.features[1].drift
    assert not report.drift


def test_empty_window(profile: ReferenceProfile) -> None:
    with pytest.raises(EmptyDataError):
        DriftCheck().run(profile, profile.new_window())
    empty = {"a": np.array([]), "b": np.array([]), "c": np.array([], dtype=str)}
    with pytest.raises(EmptyDataError):
        DriftCheck().run(profile, empty)


def test_unfitted_profile(profile: ReferenceProfile) -> None:
    with pytest.raises(NotFittedError):
        DriftCheck().run(ReferenceProfile(), _rows(np.random.default_rng(0), 50))


def test_window_and_rows_give_same_report(profile: ReferenceProfile) -> None:
    cur = _rows(np.random.default_rng(36), 700)
    assert DriftCheck().run(profile, cur) == DriftCheck().run(profile, profile.window(cur))


def test_report_to_dict(profile: ReferenceProfile) -> None:
    cur = _rows(np.random.default_rng(37), 400)
    cur["a"] = cur["a"] - 1.0
    report = DriftCheck().run(profile, cur)
    doc = report.to_dict()
    assert {"drift", "share_drifted", "features"} <= set(doc)
    assert doc["drift"] is True
    assert doc["share_drifted"] == report.share_drifted
    assert doc["n_rows"] == 400
    assert list(doc["features"]) == ["a", "b", "c"]
    for name, f in zip(["a", "b", "c"], report.features, strict=True):
        entry = doc["features"][name]
        assert {"method", "score", "threshold", "p_value", "drift"} <= set(entry)
        assert entry["method"] == f.method
        assert entry["score"] == f.score
        assert entry["threshold"] == f.threshold
        assert entry["p_value"] == f.p_value
        assert entry["drift"] is f.drift
    assert doc["features"]["a"]["drift"] is True
    assert doc["features"]["c"]["method"] == "psi"


# --- the practical-effect gate at very large windows -------------------------------------


@pytest.fixture(scope="module", name="big_profile")
def _big_profile() -> ReferenceProfile:
    g = np.random.default_rng(40)
    ref = {f"f{i}": g.normal(size=100_000) for i in range(5)}
    return ReferenceProfile(n_resamples=B, max_window=5000, seed=2).fit(ref)


def _big_window(seed: int, shift: float) -> dict[str, np.ndarray]:
    g = np.random.default_rng(seed)
    cur = {f"f{i}": g.normal(size=100_000) for i in range(5)}
    cur["f2"] = cur["f2"] + shift
    return cur


def test_tiny_shift_in_huge_window_is_not_drift(big_profile: ReferenceProfile) -> None:
    report = DriftCheck().run(big_profile, _big_window(41, 0.005))
    assert report.n_rows == 100_000
    assert not report.calibrated  # beyond max_window: extrapolated thresholds
    assert not report.drift
    assert report.drifted_features == ()
    assert all(f.score < f.min_effect == 0.1 for f in report.features)


def test_small_but_significant_shift_blocked_only_by_gate(big_profile: ReferenceProfile) -> None:
    cur = _big_window(42, 0.05)
    gated = DriftCheck().run(big_profile, cur)
    ungated = DriftCheck(min_effect=0.0).run(big_profile, cur)
    f2_gated, f2_ungated = gated.features[2], ungated.features[2]
    assert f2_gated.score == f2_ungated.score
    assert f2_ungated.p_value <= 0.05
    assert f2_ungated.drift
    assert not f2_gated.drift
    assert not gated.drift


def test_real_shift_in_one_of_five_is_drift(big_profile: ReferenceProfile) -> None:
    report = DriftCheck().run(big_profile, _big_window(43, 0.3))
    assert report.drift
    assert report.drifted_features == ("f2",)
    assert report.features[2].score == pytest.approx(0.3, rel=0.05)
    assert report.share_drifted == pytest.approx(0.2)
    _p_floor(report)


# --- exact tests against the reservoir ----------------------------------------------------


def test_exact_tests_use_the_reservoir(profile: ReferenceProfile) -> None:
    import scipy.stats as ss

    from driftguard.drift.check import exact_tests

    g = np.random.default_rng(77)
    cur = _rows(g, 400)
    cur["a"] = cur["a"] + 0.5
    results = exact_tests(profile, cur)
    expected = ss.ks_2samp(profile.reservoir_["a"], cur["a"], method="asymp")
    assert results["a"].statistic == pytest.approx(expected.statistic, abs=1e-12)
    assert results["a"].p_value == pytest.approx(expected.pvalue, rel=1e-9)
    assert results["a"].p_value < 1e-6
    assert results["b"].p_value > 0.001
    assert results["c"].p_value is not None
    cvm_results = exact_tests(profile, cur, test="cvm")
    assert cvm_results["a"].p_value < 1e-6
    with pytest.raises(ConfigurationError, match="test"):
        exact_tests(profile, cur, test="t")
