"""Turn a monitor's state into :class:`~driftguard.types.Signal` values.

The dataset drift signal compares the dataset statistic (largest score-to-threshold ratio)
with its calibrated threshold; one signal per feature compares its score with its threshold.
Both are defined once, by :meth:`DriftReport.signals <driftguard.types.DriftReport.signals>`,
so a report checked by hand and a window checked by the monitor give the policy the same
signals. Without a checked window the status is ``insufficient_data``, never a breach.

Examples
--------
>>> from driftguard.monitor.window_monitor import MonitorState
>>> [s.status for s in drift_signals(MonitorState(0, 0, 10, 0, 0, 100))]
['insufficient_data']
"""

from __future__ import annotations

from driftguard.monitor.window_monitor import MonitorState, WindowReport
from driftguard.types import Signal

__all__ = ["drift_signals", "window_signals"]


def drift_signals(state: MonitorState) -> tuple[Signal, ...]:
    """Dataset and per-feature drift signals of the last closed window (else the open one)."""
    latest = state.last_closed or state.current
    if latest is None:
        return (Signal("input_drift", "drift", None, None, "insufficient_data", state.window_rows),)
    return window_signals(latest)


def window_signals(window: WindowReport) -> tuple[Signal, ...]:
    """Dataset and per-feature drift signals of one checked window (its report's signals)."""
    return window.report.signals()
