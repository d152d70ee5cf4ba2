"""Monitoring of one served model version: cheap sketches on the hot path, tests off it.

:class:`~driftguard.monitor.window_monitor.WindowMonitor` takes validated request rows in
O(1) (a bounded queue with a drop counter), folds them into the reference profile's window
counts off the request path, and runs the calibrated drift check on every closed window and,
on a schedule, on the window so far.
"""

from driftguard.monitor.signals import drift_signals, window_signals
from driftguard.monitor.window_monitor import MonitorState, WindowMonitor, WindowReport

__all__ = ["MonitorState", "WindowMonitor", "WindowReport", "drift_signals", "window_signals"]
