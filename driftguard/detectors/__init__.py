"""Detectors: scorers that turn monitored rows into calibrated signals.

Every detector keeps one contract (:class:`Detector`, see :mod:`driftguard.detectors.protocol`):
``update(...)`` returns ``self``, ``signals()`` returns a tuple of
:class:`~driftguard.types.Signal` (``insufficient_data`` below its minimum sample) and
``get_params()`` the constructor arguments verbatim. Here: input drift of a window
(:class:`WindowDrift`), sequential drift (:class:`SequentialDrift`), calibration over
labelled feedback (:class:`CalibrationMonitor`: ECE equal-width and equal-mass, MCE, Brier, NLL
with thresholds resampled at the number of labels, and realised accuracy with a Wilson band)
and the label-free accuracy estimate (:class:`PerformanceEstimator`, reported only while
calibration holds).

Examples
--------
>>> from driftguard.detectors import wilson_interval
>>> [round(x, 3) for x in wilson_interval(80, 100)]
[0.711, 0.867]
"""

from driftguard.detectors.calibration import CalibrationMonitor, CalibrationReport
from driftguard.detectors.calibration_stats import CalibrationCheck, calibration_statistics
from driftguard.detectors.drift import WindowDrift
from driftguard.detectors.performance import (
    PerformanceEstimate,
    PerformanceEstimator,
    check_probabilities,
    wilson_interval,
)
from driftguard.detectors.protocol import (
    STATUSES,
    Detector,
    SignalSource,
    check_signal,
    constructor_params,
)
from driftguard.detectors.sequential import SequentialDrift

__all__ = [
    "STATUSES",
    "CalibrationCheck",
    "CalibrationMonitor",
    "CalibrationReport",
    "Detector",
    "PerformanceEstimate",
    "PerformanceEstimator",
    "SequentialDrift",
    "SignalSource",
    "WindowDrift",
    "calibration_statistics",
    "check_probabilities",
    "check_signal",
    "constructor_params",
    "wilson_interval",
]
