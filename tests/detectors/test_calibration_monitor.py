"""Calibration monitor and label-free performance estimate (issue 5, item 2).

Statistics agree with direct loops, scikit-learn and the training-time metrics; thresholds
follow the label count; the claims "no alarm on a calibrated model at 500 labels in >= 95% of
seeded runs" and "an alarm within 1000 labels when 30% of labels are shifted by one class"
are measured on seeded synthetic models.
"""

from __future__ import annotations

import time

import numpy as np
import numpy.typing as npt
import pytest
from scipy import stats
from scipy.stats import binomtest
from sklearn.metrics import brier_score_loss, log_loss

from benchmarks.guard.calibration import calibrated_rows, run_calibration_bench
from driftguard.detectors import (
    CalibrationMonitor,
    PerformanceEstimator,
    calibration_statistics,
    wilson_interval,
)
from driftguard.detectors.blocks import binomial_p_value, block_uniform, mean_drop_p_value
from driftguard.detectors.calibration_stats import (
    ReliabilityBins,
    label_terms,
    moment_check,
    resampled_check,
)
from driftguard.errors import ConfigurationError, EmptyDataError
from driftguard.training import metrics
from driftguard.types import Signal

Probs = npt.NDArray[np.float64]
Labels = npt.NDArray[np.int64]


def _ece_loop(p: Probs, y: Labels, n_bins: int, equal_mass: bool) -> tuple[float, float]:
    """ECE and MCE by an explicit loop over bins (the textbook definition)."""
    conf = p.max(axis=1)
    correct = (p.argmax(axis=1) == y).astype(float)
    n = len(y)
    if equal_mass:
        order = sorted(range(n), key=lambda i: conf[i])  # stable, like argsort(kind="stable")
        k = min(n_bins, n)
        base, extra = divmod(n, k)
        groups, start = [], 0
        for j in range(k):
            size = base + (1 if j < extra else 0)
            groups.append(order[start : start + size])
            start += size
    else:
        groups = []
        for j in range(n_bins):
            lo, hi = j / n_bins, (j + 1) / n_bins
            members = [i for i in range(n) if (lo < conf[i] <= hi) or (j == 0 and conf[i] <= hi)]
            groups.append(members)
    total, worst = 0.0, 0.0
    for members in groups:
        if not members:
            continue
        gap = abs(
            sum(correct[i] for i in members) / len(members)
            - sum(conf[i] for i in members) / len(members)
        )
        total += len(members) * gap
        worst = max(worst, gap)
    return total / n, worst


def _case(seed: int, n: int, k: int, edges: bool = False) -> tuple[Probs, Labels]:
    g = np.random.default_rng(seed)
    p = g.dirichlet(np.full(k, 0.4), size=n)
    if edges:  # confidences exactly on bin edges, and certain rows
        quarter = n // 4
        p[:quarter] = np.eye(k)[g.integers(0, k, quarter)]
        top = np.array([2 / 3, 0.8, 0.6, 13 / 15])[g.integers(0, 4, quarter)]
        q = np.full((quarter, k), 0.0)
        q[:, 0] = top
        q[:, 1] = 1 - top
        p[quarter : 2 * quarter] = q
    y = g.integers(0, k, n)
    return p, y


@pytest.mark.parametrize(
    ("seed", "n", "k", "n_bins", "edges"),
    [
        (0, 37, 2, 15, False),
        (1, 500, 3, 15, True),
        (2, 1000, 10, 15, False),
        (3, 8, 4, 15, False),
        (4, 250, 5, 7, True),
        (5, 1, 3, 15, False),
    ],
)
def test_ece_and_mce_match_direct_loops(
    seed: int, n: int, k: int, n_bins: int, edges: bool
) -> None:
    p, y = _case(seed, n, k, edges)
    got = calibration_statistics(p, y, n_bins=n_bins)
    ece_w, mce_w = _ece_loop(p, y, n_bins, equal_mass=False)
    ece_m, _ = _ece_loop(p, y, n_bins, equal_mass=True)
    assert got["ece_width"] == pytest.approx(ece_w, abs=1e-12)
    assert got["mce"] == pytest.approx(mce_w, abs=1e-12)
    assert got["ece_mass"] == pytest.approx(ece_m, abs=1e-12)
    # and the training-time metrics, whose conventions the monitor keeps
    assert got["ece_width"] == pytest.approx(metrics.ece(p, y, n_bins), abs=1e-12)
    assert got["ece_mass"] == pytest.approx(metrics.ece_equal_mass(p, y, n_bins), abs=1e-12)
    assert got["mce"] == pytest.approx(metrics.mce(p, y, n_bins), abs=1e-12)
    assert got["brier"] == pytest.approx(metrics.brier(p, y), abs=1e-12)
    assert got["nll"] == pytest.approx(metrics.nll(p, y), abs=1e-12)


@pytest.mark.parametrize("k", [2, 3, 7])
def test_brier_and_nll_match_sklearn(k: int) -> None:
    g = np.random.default_rng(k)
    p = 0.9 * g.dirichlet(np.ones(k), size=400) + 0.1 / k  # away from 0: no clipping anywhere
    y = g.integers(0, k, 400)
    got = calibration_statistics(p, y)
    classes = list(range(k))
    assert got["nll"] == pytest.approx(log_loss(y, p, labels=classes), abs=1e-9)
    assert got["brier"] == pytest.approx(
        brier_score_loss(y, p, labels=classes, scale_by_half=False), abs=1e-9
    )
    if k == 2:  # the familiar binary Brier score is half the two-class sum
        assert got["brier"] / 2 == pytest.approx(brier_score_loss(y, p[:, 1]), abs=1e-9)


def test_wilson_interval_matches_scipy() -> None:
    for successes, n in [(0, 10), (3, 10), (45, 50), (500, 500), (812, 1000)]:
        expected = binomtest(successes, n).proportion_ci(0.95, method="wilson")
        low, high = wilson_interval(successes, n)
        assert low == pytest.approx(expected.low, abs=1e-12)
        assert high == pytest.approx(expected.high, abs=1e-12)


# --- thresholds ---------------------------------------------------------------------------


def test_threshold_and_p_value_give_the_same_verdict() -> None:
    g = np.random.default_rng(0)
    for b, alpha in [(1000, 0.01), (999, 0.05), (99, 0.01), (200, 0.1)]:
        null = np.round(g.random(b), 2)  # ties on purpose
        grid = np.unique(null)
        for value in np.concatenate([grid - 1e-9, grid, grid + 1e-9, [-1.0, 2.0]]):
            check = resampled_check(float(value), null, alpha)
            assert (check.value > check.threshold) == check.exceeded(alpha)
            assert 1 / (1 + b) <= check.p_value <= 1.0


def test_ece_threshold_follows_the_label_count() -> None:
    g = np.random.default_rng(1)
    p, y = calibrated_rows(g, 5000)
    thresholds = {}
    for n in (100, 500, 5000):
        report = CalibrationMonitor(max_labels=n).update(p[:n], y[:n]).score()
        thresholds[n] = report.ece_width.threshold
        assert report.ece_width.expected < report.ece_width.threshold
    assert thresholds[100] > thresholds[500] > thresholds[5000]
    assert 0.02 < thresholds[500] < 0.15  # ECE ~0.04 of a calibrated model does not alarm


@pytest.mark.parametrize(("alpha_dir", "n", "k"), [(0.1, 100, 10), (0.3, 100, 3), (0.5, 1000, 5)])
def test_brier_and_nll_thresholds_agree_with_resampling(alpha_dir: float, n: int, k: int) -> None:
    g = np.random.default_rng(7)
    p = g.dirichlet(np.full(k, alpha_dir), size=n)
    cumulative = np.cumsum(p, axis=1)[:, :-1]
    draws = np.concatenate(
        [(g.random((1000, n, 1)) > cumulative[None]).sum(axis=2) for _ in range(20)]
    )
    rows = np.arange(n)
    for terms in label_terms(p):
        null = terms[rows, draws].mean(axis=1)
        check = moment_check(float(np.median(null)), terms, p, alpha=0.01)
        assert check.expected == pytest.approx(null.mean(), rel=2e-3)
        assert check.threshold == pytest.approx(np.quantile(null, 0.99), rel=5e-3)
        assert check.p_value == pytest.approx(0.5, abs=0.05)


def test_scoring_is_deterministic_and_vectorised_fast() -> None:
    p, y = calibrated_rows(np.random.default_rng(2), 5000)
    monitor = CalibrationMonitor(max_labels=5000).update(p, y)
    start = time.perf_counter()
    first = monitor.score()
    assert time.perf_counter() - start < 1.0  # B = 1000 resamples of 5000 labels
    assert monitor.score() == first
    bins = ReliabilityBins(p, 15)
    assert bins.null(1000, seed=0).shape == (1000, 3)


# --- the claims ---------------------------------------------------------------------------


def _ece_breach(monitor: CalibrationMonitor) -> Signal:
    return next(s for s in monitor.signals() if s.name == "ece")


@pytest.mark.slow
def test_calibrated_model_rarely_alarms_and_a_shift_alarms_within_1000_labels() -> None:
    runs = 200
    at_500 = sequential = detected = 0
    for run in range(runs):
        g = np.random.default_rng([2024, run])
        p, y = calibrated_rows(g, 1000)
        shifted = y.copy()
        moved = g.random(1000) < 0.3
        shifted[moved] = (shifted[moved] + 1) % p.shape[1]
        calm, drifting = CalibrationMonitor(), CalibrationMonitor()
        calm_alarm = found = False
        for look in range(10):  # a check after every 100 labels
            rows = slice(100 * look, 100 * (look + 1))
            breach = _ece_breach(calm.update(p[rows], y[rows])).status == "breach"
            calm_alarm |= breach
            if look == 4:
                at_500 += breach  # the claim: exactly 500 labels
            if not found:
                found = _ece_breach(drifting.update(p[rows], shifted[rows])).status == "breach"
        sequential += calm_alarm
        detected += found
    print(
        f"false alarm at 500: {at_500 / runs:.3f}; sequential (10 looks): {sequential / runs:.3f};"
        f" detection within 1000: {detected / runs:.3f}"
    )
    assert at_500 / runs <= 0.05
    assert detected / runs >= 0.95
    assert sequential / runs <= 0.10  # 10 looks at alpha = 0.01: at most 10% by the union bound


@pytest.mark.slow
def test_estimate_covers_realised_accuracy_and_turns_unreliable_on_breach() -> None:
    runs, covered = 200, 0
    for run in range(runs):
        p, y = calibrated_rows(np.random.default_rng([99, run]), 500)
        est = PerformanceEstimator().update(p).estimate()
        assert est.reliable
        realised = float(np.mean(p.argmax(axis=1) == y))
        covered += abs(est.estimated_accuracy - realised) <= 2 * est.std_error
    assert covered / runs >= 0.90

    # a model whose labels moved by one class for 30% of rows: calibration breaches and the
    # label-free estimate must no longer be reported
    g = np.random.default_rng(5)
    p, y = calibrated_rows(g, 1000)
    moved = g.random(1000) < 0.3
    y[moved] = (y[moved] + 1) % p.shape[1]
    ece = _ece_breach(CalibrationMonitor().update(p, y))
    assert ece.status == "breach"
    estimator = PerformanceEstimator(reference_accuracy=0.99).update(p)
    assert not estimator.estimate(ece).reliable
    accuracy, _ = estimator.signals(ece)
    assert (accuracy.value, accuracy.status) == (None, "insufficient_data")
    assert estimator.signals()[0].value is not None  # no labelled evidence: reliable


# --- signals and state --------------------------------------------------------------------


def test_signals_below_min_labels_are_insufficient() -> None:
    p, y = calibrated_rows(np.random.default_rng(3), 99)
    monitor = CalibrationMonitor(reference_accuracy=0.9).update(p, y)
    signals = monitor.signals()
    assert [s.name for s in signals] == ["ece", "ece_equal_mass", "mce", "brier", "nll", "accuracy"]
    assert {s.status for s in signals} == {"insufficient_data"}
    assert all(s.samples == 99 for s in signals)
    assert signals[-1].threshold == pytest.approx(0.85)
    assert {s.status for s in CalibrationMonitor().signals()} == {"insufficient_data"}
    with pytest.raises(EmptyDataError):
        CalibrationMonitor().score()


def test_only_ece_breaches_and_accuracy_breaches_below_reference() -> None:
    g = np.random.default_rng(4)
    p, y = calibrated_rows(g, 1000)
    y = (y + 1) % p.shape[1]  # every label wrong-by-one: accuracy collapses
    signals = {s.name: s for s in CalibrationMonitor(reference_accuracy=0.9).update(p, y).signals()}
    assert signals["ece"].status == "breach"
    assert {signals[n].status for n in ("ece_equal_mass", "mce", "brier", "nll")} <= {"ok", "warn"}
    assert signals["brier"].status == "warn"
    assert signals["accuracy"].status == "breach"
    assert signals["accuracy"].kind == "performance"
    assert {s.kind for n, s in signals.items() if n != "accuracy"} == {"calibration"}
    # a model right as often as the reference: no accuracy breach
    p, y = calibrated_rows(np.random.default_rng(6), 1000)
    acc = float(np.mean(p.argmax(axis=1) == y))
    signals = {s.name: s for s in CalibrationMonitor(reference_accuracy=acc).update(p, y).signals()}
    assert signals["accuracy"].status == "ok"


def test_monitor_keeps_the_last_max_labels() -> None:
    p, y = calibrated_rows(np.random.default_rng(8), 300)
    monitor = CalibrationMonitor(min_labels=10, max_labels=120)
    for start in range(0, 300, 50):
        assert monitor.update(p[start : start + 50], y[start : start + 50]) is monitor
    assert (monitor.n_labels_, monitor.n_seen_, monitor.n_classes_) == (120, 300, p.shape[1])
    np.testing.assert_array_equal(monitor.labels_, y[-120:])
    np.testing.assert_array_equal(monitor.probabilities_, p[-120:])
    report = monitor.score()
    assert report.n == 120
    assert report.accuracy == pytest.approx(np.mean(p[-120:].argmax(axis=1) == y[-120:]))
    assert report.accuracy_low < report.accuracy < report.accuracy_high
    assert report.to_dict()["ece_width"]["value"] == report.ece_width.value


def test_bad_input_is_refused_with_a_message() -> None:
    monitor = CalibrationMonitor().update(np.array([[0.5, 0.5]]), [1])
    with pytest.raises(ConfigurationError, match="expected 2 classes"):
        monitor.update(np.array([[0.2, 0.3, 0.5]]), [0])
    with pytest.raises(ConfigurationError, match="out of range"):
        monitor.update(np.array([[0.5, 0.5]]), [2])
    with pytest.raises(ConfigurationError, match="sum to 1"):
        monitor.update(np.array([[0.5, 0.6]]), [0])
    with pytest.raises(ConfigurationError, match="NaN"):
        monitor.update(np.array([[np.nan, 0.5]]), [0])
    with pytest.raises(ConfigurationError, match="expected 1 labels"):
        monitor.update(np.array([[0.5, 0.5]]), [0, 1])
    with pytest.raises(ConfigurationError, match="integer"):
        monitor.update(np.array([[0.5, 0.5]]), [0.5])
    with pytest.raises(ConfigurationError, match="alpha"):
        CalibrationMonitor(alpha=0.01, n_resamples=50)
    with pytest.raises(ConfigurationError):
        CalibrationMonitor(min_labels=10, max_labels=5)
    with pytest.raises(ConfigurationError):
        PerformanceEstimator(reference_accuracy=1.5)
    with pytest.raises(ConfigurationError, match="calibration signal"):
        PerformanceEstimator().update(np.array([[0.5, 0.5]])).estimate(
            Signal("input_drift", "drift", 0.1, 1.0, "ok", 100)
        )
    with pytest.raises(EmptyDataError):
        PerformanceEstimator().estimate()
    # float32 soft-max rows that miss 1 by rounding are accepted and renormalised
    monitor.update(np.array([[0.7, 0.3000001]], dtype=np.float32), [0])
    assert monitor.probabilities_[-1].sum() == pytest.approx(1.0, abs=1e-15)


def test_confidence_shift_warns_only_on_a_real_shift() -> None:
    p, _ = calibrated_rows(np.random.default_rng(9), 2000)
    reference = float(p[:1000].max(axis=1).mean())
    same = PerformanceEstimator(reference_confidence=reference).update(p[1000:])
    _, shift = same.signals()
    assert (shift.name, shift.kind, shift.status) == ("mean_confidence_shift", "drift", "ok")
    flatter = 0.5 * p[1000:] + 0.5 / p.shape[1]  # less confident traffic
    _, shift = PerformanceEstimator(reference_confidence=reference).update(flatter).signals()
    assert shift.status == "warn"
    assert shift.value is not None
    assert shift.threshold is not None
    assert shift.value > shift.threshold >= 0.05
    assert PerformanceEstimator().update(p).signals()[1].status == "insufficient_data"


def test_bench_result_table() -> None:
    result = run_calibration_bench(runs=3, seed=1)
    assert result.runs == 3
    text = result.table()
    for label in ("false alarm at 500 labels", "alarm within 1000 labels", "looking every 100"):
        assert label in text
    assert result.to_dict()["seed"] == 1


# --- evidence blocks for sequential rules ---------------------------------------------------


def _rows_with_confidence(confidence: npt.NDArray[np.float64], k: int = 3) -> Probs:
    """Probability rows whose top-label confidence is ``confidence`` (the rest spread evenly)."""
    rest = (1.0 - confidence) / (k - 1)
    p = np.repeat(rest[:, None], k, axis=1)
    p[:, 0] = confidence
    return p


def _confidences(g: np.random.Generator, n: int) -> npt.NDArray[np.float64]:
    """Confidences of a good 3-class model: Beta(8, 1.5), clipped to [1/3, 1] (left-skewed)."""
    return np.clip(g.beta(8.0, 1.5, size=n), 1.0 / 3.0, 1.0)


#: Exact mean of Beta(8, 1.5) clipped to [1/3, 1]: the reference confidence under no change.
REFERENCE_CONFIDENCE = float(
    (1 / 3) * stats.beta.cdf(1 / 3, 8.0, 1.5) + 8.0 / 9.5 * (1.0 - stats.beta.cdf(1 / 3, 9.0, 1.5))
)


def test_estimated_accuracy_p_value_rests_on_the_latest_complete_block() -> None:
    g = np.random.default_rng(20)
    c = _confidences(g, 260)
    est = PerformanceEstimator(min_rows=50, block_rows=100, reference_confidence=0.8)
    assert est.get_params()["block_rows"] == 100
    est.update(_rows_with_confidence(c[:60]))
    accuracy = est.signals()[0]
    assert accuracy.value is not None
    assert (accuracy.p_value, accuracy.block) == (None, None)  # no complete block yet
    est.update(_rows_with_confidence(c[60:100]))
    assert est.signals()[0].block == 1
    assert est.signals()[0].p_value == mean_drop_p_value(c[:100], 0.8)
    est.update(_rows_with_confidence(c[100:260]))
    first = est.signals()[0]
    assert (first.p_value, first.block) == (mean_drop_p_value(c[100:200], 0.8), 2)
    assert all(est.signals()[0] == first for _ in range(5))  # looking again changes nothing
    assert est.signals()[1].p_value is None  # the shift signal carries no evidence
    # block_rows defaults to min_rows; without a reference confidence there is no p-value
    default = PerformanceEstimator(min_rows=50, reference_confidence=0.8)
    assert default.block_rows is None
    assert default.update(_rows_with_confidence(c[:50])).signals()[0].block == 1
    bare = PerformanceEstimator(min_rows=50).update(_rows_with_confidence(c))
    assert (bare.signals()[0].p_value, bare.signals()[0].block) == (None, None)


def test_estimated_accuracy_has_no_p_value_while_unreliable_or_insufficient() -> None:
    c = _confidences(np.random.default_rng(21), 100)
    est = PerformanceEstimator(min_rows=80, block_rows=40, reference_confidence=0.8)
    est.update(_rows_with_confidence(c[:60]))
    assert est.evidence_ is not None
    assert est.evidence_.latest_ is not None  # a block is complete, but below min_rows
    assert (est.signals()[0].p_value, est.signals()[0].block) == (None, None)
    est.update(_rows_with_confidence(c[60:]))
    assert est.signals()[0].block == 2
    breach = Signal("ece", "calibration", 0.2, 0.05, "breach", 500)
    unreliable = est.signals(breach)[0]
    assert (unreliable.status, unreliable.p_value, unreliable.block) == (
        "insufficient_data",
        None,
        None,
    )
    with pytest.raises(ConfigurationError, match="block_rows"):
        PerformanceEstimator(block_rows=1)


def test_estimated_accuracy_p_values_are_uniform_under_no_change() -> None:
    """2000 blocks of 100 rows of left-skewed confidences from the reference law: the block
    p-values (Student t with Hall's skewness correction) hold their level in the lower tail."""
    g = np.random.default_rng(22)
    est = PerformanceEstimator(
        min_rows=100, max_rows=100, reference_confidence=REFERENCE_CONFIDENCE
    )
    p_values, blocks = [], []
    for _ in range(2000):
        est.update(_rows_with_confidence(_confidences(g, 100)))
        signal = est.signals()[0]
        p_values.append(signal.p_value)
        blocks.append(signal.block)
    assert blocks == list(range(1, 2001))
    p = np.array(p_values, dtype=np.float64)
    assert np.mean(p <= 0.01) <= 0.015
    assert np.mean(p <= 0.001) <= 0.003
    for level in (0.05, 0.1, 0.5):
        assert np.mean(p <= level) == pytest.approx(level, abs=0.02)


def test_estimated_accuracy_p_value_sees_a_confidence_drop_of_a_tenth() -> None:
    g = np.random.default_rng(23)
    est = PerformanceEstimator(
        min_rows=200, max_rows=200, reference_confidence=REFERENCE_CONFIDENCE + 0.1
    )
    for _ in range(5):
        accuracy = est.update(_rows_with_confidence(_confidences(g, 200))).signals()[0]
        assert accuracy.p_value is not None
        assert accuracy.p_value < 1e-4


def _labelled(g: np.random.Generator, n: int, accuracy: float) -> tuple[Probs, Labels]:
    """Rows predicted as class 0, right with probability ``accuracy``."""
    p = np.tile([0.7, 0.2, 0.1], (n, 1))
    y = np.where(g.random(n) < accuracy, 0, 1 + g.integers(0, 2, size=n))
    return p, y.astype(np.int64)


def test_accuracy_p_value_rests_on_the_latest_complete_block() -> None:
    g = np.random.default_rng(30)
    p, y = _labelled(g, 260, 0.8)
    right = p.argmax(axis=1) == y
    mon = CalibrationMonitor(
        n_resamples=99, min_labels=50, block_labels=100, reference_accuracy=0.8, seed=7
    )
    mon.update(p[:60], y[:60])
    accuracy = mon.signals()[-1]
    assert accuracy.value is not None
    assert (accuracy.p_value, accuracy.block) == (None, None)
    mon.update(p[60:260], y[60:260])
    latest = mon.signals()[-1]
    u = block_uniform(7, 2, "accuracy")
    expected = binomial_p_value(int(right[100:200].sum()), 100, 0.8, u, "lower")
    assert (latest.p_value, latest.block) == (expected, 2)
    assert all(mon.signals()[-1] == latest for _ in range(3))  # looking again changes nothing
    assert all(s.p_value is None for s in mon.signals()[:-1])
    assert CalibrationMonitor(min_labels=50).block_labels is None
    default = CalibrationMonitor(n_resamples=99, min_labels=50, reference_accuracy=0.8)
    assert default.update(p[:50], y[:50]).signals()[-1].block == 1
    bare = CalibrationMonitor(n_resamples=99, min_labels=50).update(p, y)
    assert (bare.signals()[-1].p_value, bare.signals()[-1].block) == (None, None)
    with pytest.raises(ConfigurationError, match="block_labels"):
        CalibrationMonitor(block_labels=0)


def test_accuracy_p_values_are_exactly_uniform_under_no_change() -> None:
    g = np.random.default_rng(31)
    mon = CalibrationMonitor(min_labels=100, max_labels=100, reference_accuracy=0.85)
    p_values = []
    for block in range(1, 2001):
        mon.update(*_labelled(g, 100, 0.85))
        assert mon.evidence_ is not None
        latest = mon.evidence_.latest_
        assert latest is not None
        assert latest[1] == block
        p_values.append(latest[0])
    p = np.array(p_values)
    assert stats.kstest(p, "uniform").pvalue > 0.01
    assert np.mean(p <= 0.01) == pytest.approx(0.01, abs=0.006)
    assert np.mean(p <= 0.001) <= 0.004


def test_accuracy_p_value_sees_a_drop_of_a_tenth() -> None:
    g = np.random.default_rng(32)
    mon = CalibrationMonitor(
        n_resamples=99, min_labels=500, max_labels=500, reference_accuracy=0.85
    )
    for _ in range(5):
        accuracy = mon.update(*_labelled(g, 500, 0.75)).signals()[-1]
        assert accuracy.p_value is not None
        assert accuracy.p_value < 1e-4
