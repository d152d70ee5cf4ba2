"""SequentialDrift: calibrated run length, detection, state handling and the benchmark."""

from __future__ import annotations

import math
import sys
from dataclasses import fields

import numpy as np
import pytest

from benchmarks.guard.sequential import run_sequential_bench
from driftguard.detectors.sequential import SequentialDrift
from driftguard.drift.profile import ReferenceProfile
from driftguard.errors import ConfigurationError, NotFittedError
from driftguard.types import Signal

FEATURES = 20
_CORRELATION = np.linalg.cholesky(0.5 * np.eye(FEATURES) + 0.5)

SIGNAL_FIELDS = {f.name for f in fields(Signal)}


def normal(g: np.random.Generator, n: int) -> np.ndarray:
    return g.normal(size=(n, FEATURES))


def correlated_skewed(g: np.random.Generator, n: int) -> np.ndarray:
    """Equicorrelated normal features (rho = 0.5), five of them replaced by gamma(4) ones."""
    x = g.normal(size=(n, FEATURES)) @ _CORRELATION.T
    x[:, :5] = g.gamma(4.0, size=(n, 5))
    return x


def run_lengths(det: SequentialDrift, make, g: np.random.Generator, runs: int) -> np.ndarray:
    out = []
    for _ in range(runs):
        det.reset()
        while not det.alarm_:
            det.update(make(g, 256))
        out.append(det.alarm_at_)
    return np.asarray(out, dtype=np.float64)


@pytest.fixture(scope="module")
def detector() -> SequentialDrift:
    g = np.random.default_rng(7)
    return SequentialDrift(expected_run_length=2000, n_streams=400).fit(normal(g, 5000))


@pytest.mark.parametrize("make", [normal, correlated_skewed], ids=["normal", "correlated-skewed"])
def test_mean_run_length_within_15_percent_of_target(make) -> None:
    target, lengths = 500, []
    for seed in (1, 2):  # the calibration targets the mean over references: use two
        g = np.random.default_rng(100 + seed)
        det = SequentialDrift(expected_run_length=target, seed=seed).fit(make(g, 5000))
        assert det.calibration_error_ < 0.04
        lengths.append(run_lengths(det, make, g, 600))
    pooled = np.concatenate(lengths)
    ratio = pooled.mean() / target
    standard_error = pooled.std(ddof=1) / math.sqrt(pooled.size) / target
    assert standard_error < 0.04  # the ±15 % band is more than 3.5 standard errors wide
    assert abs(ratio - 1.0) <= 0.15, (ratio, standard_error)


def test_detects_a_one_sigma_shift_in_one_of_twenty_features(detector) -> None:
    g = np.random.default_rng(11)
    delays = []
    for _ in range(20):
        detector.reset().update(normal(g, 300))
        if detector.alarm_:  # a false alarm before the change (rare at ARL0 = 2000)
            continue
        shifted = normal(g, 400)
        shifted[:, 7] += 1.0
        detector.update(shifted)
        assert detector.alarm_
        assert detector.feature_ == "x7"
        delays.append(detector.alarm_at_ - 300)
    assert len(delays) >= 15
    assert 5 <= np.mean(delays) <= 60  # CUSUM theory: (h + overshoot) / (1 - k) ~ 24
    assert max(delays) <= 120


def test_batch_update_equals_row_by_row(detector) -> None:
    g = np.random.default_rng(3)
    x = normal(g, 700)
    x[400:, 2] -= 0.8
    x[5, 4], x[6, 1], x[9, 0] = np.nan, np.inf, -np.inf
    detector.reset().update(x[:250]).update(x[250:])
    batch = (detector.statistics_.copy(), detector.alarm_at_, detector.run_length_, detector.peak_)
    detector.reset()
    for row in x:
        detector.update(row)
    np.testing.assert_allclose(batch[0], detector.statistics_, rtol=1e-9, atol=1e-9)
    assert batch[1] == detector.alarm_at_ is not None
    assert batch[2] == detector.run_length_ == 700
    assert batch[3] == pytest.approx(detector.peak_, rel=1e-9)


def test_statistic_is_the_two_sided_cusum_recursion(detector) -> None:
    g = np.random.default_rng(4)
    x = normal(g, 200) * 1.3
    x[50, 3] = np.nan
    z = np.clip((x - detector.mean_) / detector.scale_, -detector.clip, detector.clip)
    k = detector.shift / 2
    up, down = np.zeros(FEATURES), np.zeros(FEATURES)
    for row in z:
        step = np.where(np.isnan(row), 0.0, row)
        seen = ~np.isnan(row)
        up = np.where(seen, np.maximum(0.0, up + step - k), up)
        down = np.where(seen, np.maximum(0.0, down - step - k), down)
    detector.reset().update(x)
    np.testing.assert_allclose(detector.statistics_, np.maximum(up, down), atol=1e-9)
    assert detector.statistic_ == pytest.approx(np.maximum(up, down).max())


def test_missing_values_leave_the_sums_and_infinities_are_clipped(detector) -> None:
    detector.reset().update(np.full((3, FEATURES), np.nan))
    assert detector.statistic_ == 0.0
    assert detector.run_length_ == 3
    row = np.zeros(FEATURES)
    row[0] = np.inf
    detector.reset().update(row)
    expected = detector.clip - detector.shift / 2
    assert detector.statistics_[0] == pytest.approx(expected)
    assert not detector.alarm_  # one row never alarms alone


def test_reset_clears_the_alarm_and_the_run(detector) -> None:
    g = np.random.default_rng(5)
    x = normal(g, 200) + 2.0
    detector.reset().update(x)
    assert detector.alarm_
    assert detector.signal().status == "breach"
    detector.reset()
    assert (detector.alarm_, detector.alarm_at_, detector.run_length_) == (False, None, 0)
    assert detector.statistic_ == 0.0
    assert detector.feature_ is None
    assert not detector.statistics_.any()
    assert detector.signal().status == "insufficient_data"


def test_alarm_latches_until_reset(detector) -> None:
    g = np.random.default_rng(6)
    detector.reset().update(normal(g, 100) + 2.0)
    first = detector.alarm_at_
    detector.update(normal(g, 3000))  # the sums fall back, the alarm stays
    assert detector.alarm_
    assert detector.alarm_at_ == first
    assert detector.statistic_ < detector.threshold_ < detector.peak_


def test_calibration_is_deterministic_with_a_seed() -> None:
    ref = normal(np.random.default_rng(8), 2000)
    a = SequentialDrift(expected_run_length=300, n_streams=200, seed=1).fit(ref)
    b = SequentialDrift(expected_run_length=300, n_streams=200, seed=1).fit(ref)
    c = SequentialDrift(expected_run_length=300, n_streams=200, seed=2).fit(ref)
    assert a.threshold_ == b.threshold_
    assert a.threshold_ != c.threshold_
    assert abs(a.threshold_ - c.threshold_) < 1.0


def test_threshold_grows_with_the_expected_run_length() -> None:
    ref = normal(np.random.default_rng(9), 2000)
    levels = [
        SequentialDrift(expected_run_length=n, n_streams=200).fit(ref).threshold_
        for n in (100, 400, 1600)
    ]
    assert levels[0] < levels[1] < levels[2]
    # log ARL0 grows by about 2k = 0.5 per unit of h for a CUSUM on normal data
    assert 0.35 < math.log(16) / (levels[2] - levels[0]) < 0.6


def test_expected_run_time_in_requests_and_hours() -> None:
    det = SequentialDrift(expected_run_length=36_000)
    assert det.expected_run_hours(rows_per_second=10.0) == pytest.approx(1.0)
    assert det.expected_run_hours(rows_per_second=0.5) == pytest.approx(20.0)
    with pytest.raises(ConfigurationError, match="rows_per_second"):
        det.expected_run_hours(0.0)


def test_signal_shape(detector) -> None:
    detector.reset()
    empty = detector.signal()
    assert (empty.name, empty.kind, empty.status, empty.samples) == (
        "sequential_drift",
        "drift",
        "insufficient_data",
        0,
    )
    assert empty.value is None
    assert empty.threshold == detector.threshold_
    detector.update(normal(np.random.default_rng(10), 50))
    ok = detector.signal()
    assert ok.status == "ok"
    assert ok.samples == 50
    assert ok.value == pytest.approx(detector.peak_)
    assert ok.value < ok.threshold
    assert set(ok.to_dict()) == SIGNAL_FIELDS


def test_fits_on_a_reference_profile_and_skips_categorical_features() -> None:
    g = np.random.default_rng(12)
    ref = {
        "a": g.normal(size=3000),
        "city": g.choice(["x", "y"], size=3000),
        "b": g.normal(5.0, 2.0, size=3000),
    }
    profile = ReferenceProfile(n_bins=8, n_resamples=50, max_window=100).fit(ref)
    det = SequentialDrift(expected_run_length=300, n_streams=100).fit(profile)
    assert det.features_ == ("a", "b")
    assert det.mean_[1] == pytest.approx(5.0, abs=0.1)
    assert det.scale_[1] == pytest.approx(2.0, abs=0.1)
    rows = {"a": g.normal(size=40), "city": ["x"] * 40, "b": g.normal(5.0, 2.0, size=40)}
    assert det.update(rows).run_length_ == 40
    det.update({"a": 0.1, "b": 5.0, "city": "y"})
    assert det.run_length_ == 41


def test_errors_name_the_problem() -> None:
    with pytest.raises(ConfigurationError, match="expected_run_length"):
        SequentialDrift(expected_run_length=1)
    with pytest.raises(ConfigurationError, match="shift"):
        SequentialDrift(shift=0.0)
    with pytest.raises(ConfigurationError, match="n_streams"):
        SequentialDrift(n_streams=10)
    det = SequentialDrift(expected_run_length=100, n_streams=50)
    with pytest.raises(NotFittedError):
        det.update(np.zeros((1, 3)))
    det.fit(np.random.default_rng(0).normal(size=(500, 3)))
    with pytest.raises(ConfigurationError, match="3 columns"):
        det.update(np.zeros((2, 4)))
    with pytest.raises(ConfigurationError, match="numeric"):
        SequentialDrift(n_streams=50).fit({"c": np.array(["a", "b"] * 20)})


def test_bench_without_river_runs_driftguard_only() -> None:
    res = run_sequential_bench(
        targets=(200,), peer_target=None, null_runs=40, shift_runs=10, shifts=(1.0,)
    )
    (row,) = res.rows
    assert row.detector == "driftguard"
    assert row.null_runs == 40
    assert row.shift_runs == 10
    assert row.missed == (0,)
    assert "driftguard" in res.table()


def test_bench_needs_river_for_the_peers(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "river", None)
    with pytest.raises(ConfigurationError, match="pip install river"):
        run_sequential_bench(targets=(200,), null_runs=5, shift_runs=5)
