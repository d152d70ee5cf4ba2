"""False-alarm rate of the dataset verdict on seeded no-drift data (a must-show of issue 2).

50 features, independent or correlated (5 blocks of 10 at rho = 0.7, every other feature
log-normal), windows of 100, 1000 and 10 000 rows. For each scenario three references of
60 000 rows are drawn and each judges 1 000 fresh windows per size from a large pool of new
rows; the realised rate must be within 1.5 points of alpha = 5% with the effect gate off
(the calibration itself), and no higher with the default gate on.
"""

from __future__ import annotations

import numpy as np
import pytest

from driftguard.drift.check import DriftCheck
from driftguard.drift.profile import ReferenceProfile
from driftguard.drift.window import encode

pytestmark = pytest.mark.slow

N_FEATURES = 50
N_REFERENCE = 60_000
N_POOL = 300_000
REFERENCES = (11, 12, 13)
WINDOWS = 1_000
SIZES = (100, 1_000, 10_000)
ALPHA = 0.05
NAMES = [f"f{i}" for i in range(N_FEATURES)]


def _draw(g: np.random.Generator, n: int, correlated: bool) -> np.ndarray:
    z = g.normal(size=(n, N_FEATURES))
    if not correlated:
        return z
    blocks = np.repeat(g.normal(size=(n, N_FEATURES // 10)), 10, axis=1)
    z = np.sqrt(0.7) * blocks + np.sqrt(0.3) * z
    z[:, ::2] = np.exp(z[:, ::2] / 2.0)
    return z


def _columns(x: np.ndarray) -> dict[str, np.ndarray]:
    return {name: x[:, j] for j, name in enumerate(NAMES)}


def _alarm_rates(correlated: bool) -> dict[int, tuple[float, float]]:
    """Realised false-alarm rate per window size, with the effect gate off and on."""
    alarms = {n: [0, 0] for n in SIZES}
    for seed in REFERENCES:
        g = np.random.default_rng(seed)
        profile = ReferenceProfile(window_sizes=SIZES, seed=seed).fit(
            _columns(_draw(g, N_REFERENCE, correlated))
        )
        codes, tails = encode(
            profile.schema_, profile.bins_, _columns(_draw(g, N_POOL, correlated))
        )
        n_bins = profile.counts_.size
        gate_off, gate_on = DriftCheck(alpha=ALPHA, min_effect=0.0), DriftCheck(alpha=ALPHA)
        for n in SIZES:
            for _ in range(WINDOWS):
                rows = g.choice(N_POOL, size=n, replace=False)
                window = profile.new_window()
                window.counts_ = np.bincount(codes[rows].ravel(), minlength=n_bins)
                window.tails_ = tails[rows].sum(axis=0)
                window.n_rows_ = n
                alarms[n][0] += gate_off.run(profile, window).drift
                alarms[n][1] += gate_on.run(profile, window).drift
    total = WINDOWS * len(REFERENCES)
    return {n: (off / total, on / total) for n, (off, on) in alarms.items()}


@pytest.mark.parametrize("correlated", [False, True], ids=["independent", "correlated"])
def test_dataset_false_alarm_rate_matches_alpha(correlated: bool) -> None:
    rates = _alarm_rates(correlated)
    print(
        f"\ncorrelated={correlated}: "
        + ", ".join(f"n={n}: {off:.4f} (gate on {on:.4f})" for n, (off, on) in rates.items())
    )
    for n, (off, on) in rates.items():
        assert abs(off - ALPHA) <= 0.015, f"window {n}: false-alarm rate {off:.4f}"
        assert on <= off, f"window {n}: the effect gate added alarms"


def test_effect_gate_at_100k_row_windows() -> None:
    """A 0.005-std shift everywhere is not drift at 100k rows; 0.3 std in one feature is."""
    g = np.random.default_rng(21)
    profile = ReferenceProfile(seed=21).fit(_columns(_draw(g, 100_000, correlated=True)))
    check = DriftCheck(alpha=ALPHA)
    std = _draw(np.random.default_rng(0), 100_000, correlated=True).std(axis=0)

    tiny = _draw(g, 100_000, correlated=True) + 0.005 * std
    report = check.run(profile, _columns(tiny))
    assert not report.drift, report.drifted_features
    assert report.drifted_features == ()

    one = _draw(g, 100_000, correlated=True)
    one[:, 7] += 0.3 * std[7]
    report = check.run(profile, _columns(one))
    assert report.drift
    assert report.drifted_features == ("f7",)
    assert report.features[7].score == pytest.approx(0.3, rel=0.05)
