"""Detectors: scorers that turn monitored rows into calibrated signals.

Calibration over labelled feedback (:class:`CalibrationMonitor`: ECE equal-width and
equal-mass, MCE, Brier, NLL with thresholds resampled at the number of labels, and realised
accuracy with a Wilson band) and the label-free accuracy estimate (:class:`PerformanceEstimator`,
reported only while calibration holds).

Examples
--------
>>> from driftguard.detectors import wilson_interval
>>> [round(x, 3) for x in wilson_interval(80, 100)]
[0.711, 0.867]
"""

from driftguard.detectors.calibration import CalibrationMonitor, CalibrationReport
from driftguard.detectors.calibration_stats import CalibrationCheck, calibration_statistics
from driftguard.detectors.performance import (
    PerformanceEstimate,
    PerformanceEstimator,
    check_probabilities,
    wilson_interval,
)
from driftguard.detectors.sequential import SequentialDrift

__all__ = [
    "CalibrationCheck",
    "CalibrationMonitor",
    "CalibrationReport",
    "PerformanceEstimate",
    "PerformanceEstimator",
    "SequentialDrift",
    "calibration_statistics",
    "check_probabilities",
    "wilson_interval",
]
