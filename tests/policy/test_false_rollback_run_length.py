"""Run lengths to a false rollback, measured on simulated clean traffic.

A rule configured for a scaled-down target (``false_alarm_every: N windows``) must, on traffic
where nothing changed, decide after N windows on average (within 20% over at least 300 runs):
for input drift on real drift p-values of correlated features (100- and 1,000-row windows)
and for the performance rule on real estimated-accuracy p-values. The default policy's
year-long run length is checked through the same derivation (it is far too long to simulate).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest
from clean_traffic import WindowSampler, correlated_rows, cusum_run_lengths

from driftguard.detectors import PerformanceEstimator
from driftguard.detectors.blocks import mean_drop_p_value
from driftguard.drift.profile import ReferenceProfile
from driftguard.policy import Policy, PolicyState, Rule, decide, default_policy
from driftguard.stats.run_length import cusum_run_length
from driftguard.types import Signal

pytestmark = pytest.mark.slow

YEAR_S = 365 * 86400.0


def _policy(every: str, kind: str = "drift", signal: str = "input_drift") -> Policy:
    rule = Rule("r", signal, kind=kind, false_alarm_every=every, action="rollback")
    return Policy("rollback", 0.0, (rule,), false_rollback_floor=None)


def _threshold(policy: Policy) -> float:
    h = policy.run_length("r").threshold
    assert h is not None
    return h


def _within(lengths: npt.NDArray[np.int64], target: float, tolerance: float = 0.2) -> None:
    mean = float(lengths.mean())
    print(f"run length: {mean:.0f} windows measured over {len(lengths)} runs, target {target:.0f}")
    assert len(lengths) >= 300
    assert abs(mean / target - 1.0) <= tolerance, f"mean run length {mean:.0f} vs {target:.0f}"


def test_the_rule_decide_runs_is_the_simulated_cusum() -> None:
    """decide() on a p-value stream fires exactly where the vectorised CUSUM crosses h."""
    policy = _policy("200 windows")
    g = np.random.default_rng(5)
    p = g.random(3000)
    fired_at, state = [], PolicyState()
    for t, value in enumerate(p):
        sig = Signal("input_drift", "drift", 1.0, 1.0, "ok", 250, p_value=float(value))
        decision, state = decide(policy, [sig], state, now=float(t))
        if "r" in decision.rules_fired:
            fired_at.append(t)
            state = PolicyState()  # re-armed at once: one run after the other
    from driftguard.stats.evidence import cusum_update

    w, expected = 0.0, []
    for t, value in enumerate(p):
        w = float(cusum_update(w, value)[0])
        if w >= _threshold(policy):
            expected.append(t)
            w = 0.0
    assert fired_at == expected
    assert len(fired_at) > 5


def test_cusum_meets_its_target_on_uniform_p_values() -> None:
    policy = _policy("2000 windows")
    h = _threshold(policy)
    assert cusum_run_length(h) == pytest.approx(2000.0, rel=1e-3)
    g = np.random.default_rng(11)
    lengths = cusum_run_lengths(lambda k, gen: gen.random(k), h, 1000, g, cap=60_000)
    _within(lengths, 2000.0, tolerance=0.1)


@pytest.mark.parametrize(
    ("rows", "target", "resamples", "references", "reference_rows"),
    [(100, 1000.0, 20_000, 1, 40_000), (1000, 200.0, 2_000, 4, 200_000)],
    ids=["100-row windows", "1000-row windows"],
)
def test_input_drift_rule_on_clean_correlated_windows(
    rows: int, target: float, resamples: int, references: int, reference_rows: int
) -> None:
    """20 features, pairwise correlation 0.5; real dataset p-values of fresh windows.

    The run length of one reference varies around the target (the reference is a sample
    too: at 1,000-row windows a 20,000-row reference moves it by a factor of 2 either way), so
    the 1,000-row case averages four 200,000-row references.
    """
    h = _threshold(_policy(f"{target:g} windows"))
    g = np.random.default_rng(rows)
    pool = correlated_rows(g, 300_000)
    lengths = []
    for seed in range(references):
        reference = correlated_rows(g, reference_rows)
        profile = ReferenceProfile(n_resamples=resamples, window_sizes=(rows,), seed=seed)
        sampler = WindowSampler(profile.fit(reference), pool, rows)
        runs = -(-300 // references)
        lengths.extend(cusum_run_lengths(sampler.p_values, h, runs, g, cap=int(30 * target)))
    _within(np.asarray(lengths), target)


def _confidences(g: np.random.Generator, shape: tuple[int, ...]) -> npt.NDArray[np.float64]:
    """Top-label confidences of a good 3-class model: Beta(8, 1.5) clipped to [1/3, 1]."""
    return np.clip(g.beta(8.0, 1.5, size=shape), 1 / 3, 1.0)


def test_performance_rule_on_clean_traffic() -> None:
    """Estimated-accuracy p-values of 250-row blocks; the reference is the population mean."""
    policy = _policy("1000 windows", kind="performance", signal="*")
    h = _threshold(policy)
    reference = 8.0 / 9.5  # the mean of Beta(8, 1.5) (clipping at 1/3 moves it by < 1e-6)
    g = np.random.default_rng(21)

    def draw(k: int, gen: np.random.Generator) -> npt.NDArray[np.float64]:
        blocks = _confidences(gen, (k, 250))
        return np.array([mean_drop_p_value(b, reference) for b in blocks])

    _within(cusum_run_lengths(draw, h, 300, g, cap=30_000), 1000.0)


def test_performance_rule_reads_the_estimators_blocks_once() -> None:
    """Through the real estimator: each block is counted once however often it is read."""
    policy = _policy("1e6 windows", kind="performance", signal="*")
    est = PerformanceEstimator(min_rows=100, block_rows=100, reference_confidence=0.85)
    g = np.random.default_rng(2)
    state = PolicyState()
    evidence = []
    for _ in range(5):
        top = _confidences(g, (50, 1))  # no change: the mean stays near 0.842
        est.update(np.hstack([top, 1.0 - top]))
        for _ in range(2):  # a second read of the same block adds nothing
            _, state = decide(policy, est.signals(), state, now=0.0)
            evidence.append(state.rule("r").evidence)
    assert state.rule("r").blocks == (("estimated_accuracy", 2),)
    assert evidence[0] == evidence[1] == 0.0  # 50 rows: no block yet
    assert evidence[2] == evidence[3] == evidence[4] == evidence[5]  # block 1, read 4 times
    assert evidence[6] != evidence[5] or evidence[5] == 0.0  # block 2 moves it (or both at 0)
    assert evidence[7] == evidence[8] == evidence[9] == evidence[6]


def test_default_policy_rolls_back_a_good_model_at_most_once_a_year() -> None:
    policy = default_policy()
    planned = policy.traffic
    assert (planned.rows_per_s, planned.window_rows) == (1000.0, 250)
    for rule in policy.rules:
        if rule.action != "rollback":
            continue
        run = policy.run_length(rule)
        assert run.method == "cusum"
        assert run.seconds(planned.windows_per_s) >= YEAR_S * 0.999
        assert run.threshold is not None
        assert cusum_run_length(run.threshold) == pytest.approx(run.windows, rel=1e-3)
