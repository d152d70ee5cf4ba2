"""The drift part of the dashboard snapshot: latest window, recent windows, feature series.

Examples
--------
>>> from driftguard.monitor.window_monitor import MonitorState
>>> view = drift_view(MonitorState(0, 0, 10, 0, 0, 100), n_features=3)
>>> view["latest"], view["history"], view["window_rows"]
(None, [], 10)
"""

from __future__ import annotations

import math
from typing import Any

from driftguard.monitor import MonitorState, WindowReport
from driftguard.types import FeatureDrift

__all__ = ["drift_view", "finite"]


def finite(value: float | None) -> float | None:
    """A finite float, or ``None`` (strict JSON has no NaN or infinity).

    Examples
    --------
    >>> finite(1), finite(float("inf")), finite(None)
    (1.0, None, None)
    """
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def _ratio(f: FeatureDrift) -> float:
    """Score over threshold (infinite for a positive score over a zero threshold)."""
    if not math.isfinite(f.score) or not math.isfinite(f.threshold):
        return math.nan
    if f.threshold > 0:
        return f.score / f.threshold
    return math.inf if f.score > 0 else 0.0


def _rank(ratio: float) -> float:
    """Sort key: largest ratio first, NaN last."""
    return -ratio if not math.isnan(ratio) else math.inf


def _feature_row(f: FeatureDrift) -> dict[str, Any]:
    return {
        "feature": f.feature,
        "method": f.method,
        "score": finite(f.score),
        "threshold": finite(f.threshold),
        "ratio": finite(_ratio(f)),
        "p_adjusted": finite(f.p_adjusted),
        "drift": f.drift,
    }


def _window(w: WindowReport) -> dict[str, Any]:
    r = w.report
    return {
        "index": w.index,
        "closed": w.closed,
        "time": w.time,
        "n_rows": r.n_rows,
        "score": finite(r.dataset_score),
        "threshold": finite(r.dataset_threshold),
        "p_value": finite(r.dataset_p_value),
        "drift": r.drift,
        "drifted_features": len(r.drifted_features),
        "calibrated": r.calibrated,
    }


def _series(history: list[WindowReport], count: int) -> list[dict[str, Any]]:
    """Scores of the ``count`` features with the largest peak ratio over ``history``."""
    by_name = [{f.feature: f for f in w.report.features} for w in history]
    peak: dict[str, float] = {}
    for features in by_name:
        for name, f in features.items():
            ratio = _ratio(f)
            if not math.isnan(ratio):
                peak[name] = max(peak.get(name, -math.inf), ratio)
    out = []
    for name in sorted(peak, key=lambda n: _rank(peak[n]))[:count]:
        found = [features.get(name) for features in by_name]
        out.append(
            {
                "feature": name,
                "scores": [None if f is None else finite(f.score) for f in found],
                "thresholds": [None if f is None else finite(f.threshold) for f in found],
                "drift": [f is not None and f.drift for f in found],
            }
        )
    return out


def drift_view(
    state: MonitorState,
    n_features: int,
    *,
    windows: int = 100,
    chart_features: int = 12,
    table_features: int = 200,
) -> dict[str, Any]:
    """Counters, the latest checked window and the recent windows of a monitor.

    Parameters
    ----------
    state : MonitorState
        A monitor snapshot (:meth:`~driftguard.monitor.WindowMonitor.state`).
    n_features : int
        Features of the model (shown next to the count of drifted ones).
    windows : int, default 100
        Most recent closed windows in ``history`` and in the feature series.
    chart_features : int, default 12
        Feature series kept: the largest peak score-to-threshold ratio over ``history``.
    table_features : int, default 200
        Features of the latest window kept, largest ratio first.

    Returns
    -------
    dict
        ``latest`` is the last closed window, else the last look at the open one (as the
        guard's current signals), with its features; ``history`` lists closed windows, oldest
        first; ``features`` are series aligned with ``history``.
    """
    latest = state.last_closed or state.current
    history = list(state.history)[-windows:] if windows > 0 else []
    table: list[dict[str, Any]] = []
    if latest is not None:
        ranked = sorted(latest.report.features, key=lambda f: _rank(_ratio(f)))
        table = [_feature_row(f) for f in ranked[:table_features]]
    return {
        "window_size": state.window_size,
        "window_rows": state.window_rows,
        "windows_closed": state.windows_closed,
        "rows_observed": state.rows_observed,
        "rows_queued": state.rows_queued,
        "dropped_rows": state.dropped_rows,
        "n_features": n_features,
        "latest": None if latest is None else {**_window(latest), "features": table},
        "history": [_window(w) for w in history],
        "features": _series(history, chart_features),
    }
