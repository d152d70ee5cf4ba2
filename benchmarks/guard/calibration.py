"""The calibration claims, measured on seeded synthetic models (``driftguard bench guard``).

Each run draws a model with 3 to 10 classes and realistic confidences (every row's
probabilities from a Dirichlet with a per-run concentration between 0.1 and 0.6, so mean
confidences range from about 0.4 to 0.9) and 1000 labelled rows:

- **calibrated**: each label drawn from the row's own probabilities (a perfectly calibrated
  model);
- **shifted**: the same rows, 30% of them (chosen at random) with the label moved by one class,
  ``y -> (y + 1) mod C``.

A fresh :class:`~driftguard.detectors.CalibrationMonitor` (defaults: 15 bins, ``alpha`` 0.01,
1000 resamples) sees each stream in batches of 100 labels and its ``ece`` signal is read after
every batch. Measured: the false-alarm rate at exactly 500 labels (the claim: at most 5%), the
share of shifted runs with an alarm within 1000 labels (at least 95%), the false-alarm rate of
looking after every batch up to 1000 labels, whether the label-free estimate on 500 calibrated
rows lies within two standard errors of their realised accuracy (at least 90%), whether it
turns unreliable once calibration breaches, and the time of one check.

Examples
--------
>>> r = run_calibration_bench(runs=2, seed=0)
>>> r.runs, 0.0 <= r.false_alarm_at_500 <= 1.0
(2, True)
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from driftguard.cli.render import fmt, table
from driftguard.detectors import CalibrationMonitor, PerformanceEstimator
from driftguard.errors import ConfigurationError
from driftguard.types import Signal

__all__ = ["CalibrationBenchResult", "calibrated_rows", "run_calibration_bench"]

BATCH = 100
LOOKS = 10
AT = 500
SHIFT_SHARE = 0.3


def calibrated_rows(
    g: np.random.Generator, n: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Probabilities of a synthetic model on ``n`` rows and labels drawn from them.

    Examples
    --------
    >>> p, y = calibrated_rows(np.random.default_rng(0), 5)
    >>> p.shape[0], y.shape, bool(np.allclose(p.sum(axis=1), 1.0))
    (5, (5,), True)
    """
    classes = int(g.integers(3, 11))
    p = g.dirichlet(np.full(classes, g.uniform(0.1, 0.6)), size=n)
    u = g.random(n)[:, None]
    y = (u > np.cumsum(p, axis=1)[:, :-1]).sum(axis=1).astype(np.int64)
    return p, y


def _ece(signals: tuple[Signal, ...]) -> Signal:
    return next(s for s in signals if s.name == "ece")


@dataclass(frozen=True, slots=True)
class CalibrationBenchResult:
    """Measured rates of the calibration monitor over seeded runs.

    Examples
    --------
    >>> r = CalibrationBenchResult(200, 0, 0.01, 1.0, 0.05, 200.0, 0.95, 1.0, 0.04, 0.07, 0.01, 0.1)
    >>> "false alarm at 500 labels" in r.table()
    True
    """

    runs: int
    seed: int
    false_alarm_at_500: float
    detection_within_1000: float
    sequential_false_alarm: float
    median_detection_labels: float
    estimate_coverage: float
    unreliable_on_breach: float
    mean_ece_at_500: float
    mean_threshold_at_500: float
    seconds_per_check_1000: float
    seconds_per_check_5000: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return asdict(self)

    def table(self) -> str:
        """The measured rates next to their targets, as printable text."""
        pct = "{:.1%}".format
        rows = [
            ["false alarm at 500 labels (calibrated)", pct(self.false_alarm_at_500), "<= 5%"],
            ["alarm within 1000 labels (30% shifted)", pct(self.detection_within_1000), ">= 95%"],
            ["median labels to the alarm", fmt(self.median_detection_labels), "-"],
            [
                "false alarm, looking every 100 up to 1000",
                pct(self.sequential_false_alarm),
                "reported",
            ],
            ["estimate within 2 SE of realised (500)", pct(self.estimate_coverage), ">= 90%"],
            ["estimate unreliable once ECE breaches", pct(self.unreliable_on_breach), "100%"],
            ["mean ECE at 500 labels (calibrated)", fmt(self.mean_ece_at_500), "-"],
            ["mean ECE threshold at 500 labels", fmt(self.mean_threshold_at_500), "-"],
            ["seconds per check, 1000 labels", fmt(self.seconds_per_check_1000), "-"],
            ["seconds per check, 5000 labels", fmt(self.seconds_per_check_5000), "< 1"],
        ]
        head = (
            f"calibration monitor: {self.runs} seeded runs (seed {self.seed}), 15 bins, alpha 0.01"
        )
        return head + "\n" + table(["measure", "value", "target"], rows)


def _one_run(g: np.random.Generator) -> tuple[bool, bool, int | None, bool, bool, float, float]:
    """One calibrated and one shifted stream; returns the run's observations."""
    p, y = calibrated_rows(g, BATCH * LOOKS)
    classes = p.shape[1]
    shifted = y.copy()
    moved = g.random(y.shape[0]) < SHIFT_SHARE
    shifted[moved] = (shifted[moved] + 1) % classes
    calm, drifting = CalibrationMonitor(), CalibrationMonitor()
    alarm_at_500 = alarm_any = flipped = False
    found: int | None = None
    ece_500 = threshold_500 = float("nan")
    for look in range(LOOKS):
        rows = slice(look * BATCH, (look + 1) * BATCH)
        ece = _ece(calm.update(p[rows], y[rows]).signals())
        alarm_any |= ece.status == "breach"
        if (look + 1) * BATCH == AT:
            alarm_at_500 = ece.status == "breach"
            ece_500, threshold_500 = float(ece.value or 0.0), float(ece.threshold or 0.0)
        if found is None:
            bad = _ece(drifting.update(p[rows], shifted[rows]).signals())
            if bad.status == "breach":
                found = (look + 1) * BATCH
                estimate = PerformanceEstimator().update(p[:found]).estimate(bad)
                flipped = not estimate.reliable
    est = PerformanceEstimator().update(p[:AT]).estimate()
    realised = float(np.mean(p[:AT].argmax(axis=1) == y[:AT]))
    covered = abs(est.estimated_accuracy - realised) <= 2.0 * est.std_error
    return alarm_at_500, alarm_any, found, flipped, covered, ece_500, threshold_500


def _check_seconds(n: int, repeat: int = 3) -> float:
    p, y = calibrated_rows(np.random.default_rng(12345), n)
    monitor = CalibrationMonitor(max_labels=n).update(p, y)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        monitor.signals()
        best = min(best, time.perf_counter() - start)
    return best


def run_calibration_bench(runs: int = 200, seed: int = 0) -> CalibrationBenchResult:
    """Run ``runs`` seeded calibrated/shifted stream pairs and measure the claims."""
    if runs < 1:
        raise ConfigurationError(f"runs must be at least 1, got {runs}")
    outcomes = [_one_run(np.random.default_rng([seed, r])) for r in range(runs)]
    found = [o[2] for o in outcomes if o[2] is not None]
    return CalibrationBenchResult(
        runs=runs,
        seed=seed,
        false_alarm_at_500=float(np.mean([o[0] for o in outcomes])),
        detection_within_1000=len(found) / runs,
        sequential_false_alarm=float(np.mean([o[1] for o in outcomes])),
        median_detection_labels=float(np.median(found)) if found else float("nan"),
        estimate_coverage=float(np.mean([o[4] for o in outcomes])),
        unreliable_on_breach=float(np.mean([o[3] for o in outcomes if o[2] is not None]))
        if found
        else float("nan"),
        mean_ece_at_500=float(np.mean([o[5] for o in outcomes])),
        mean_threshold_at_500=float(np.mean([o[6] for o in outcomes])),
        seconds_per_check_1000=_check_seconds(1000),
        seconds_per_check_5000=_check_seconds(5000),
    )
