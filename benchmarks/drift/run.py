"""``driftguard bench drift``: the full drift verdict against Evidently's ``DataDriftPreset``.

Both tools see the same pandas DataFrames (``rows`` x ``features`` numeric, five features
shifted in the current data) in the same process. Evidently's time is one
``Report([DataDriftPreset()]).run(current, reference)``; driftguard's verdict is folding the
current DataFrame into a window plus ``DriftCheck.run``. The profile fit (bins and null
calibration) happens once per checkpoint at training time and is reported on its own line.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from driftguard.cli.render import table
from driftguard.drift.check import DriftCheck
from driftguard.drift.profile import ReferenceProfile
from driftguard.errors import ConfigurationError
from driftguard.types import DriftReport

__all__ = ["run_bench_drift"]

SHIFTED = 5


def _frames(rows: int, features: int, seed: int = 0) -> tuple[Any, Any]:
    try:
        import pandas as pd
    except ImportError:
        raise ConfigurationError(
            "the benchmark needs pandas: pip install 'driftguard[reports]'"
        ) from None
    g = np.random.default_rng(seed)
    names = [f"x{i}" for i in range(features)]
    ref = g.normal(size=(rows, features))
    cur = g.normal(size=(rows, features))
    cur[:, :SHIFTED] += np.linspace(0.05, 0.5, SHIFTED)
    return pd.DataFrame(ref, columns=names), pd.DataFrame(cur, columns=names)


def _best(run: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def _evidently(reference: Any, current: Any) -> set[str]:
    try:
        from evidently import Report
        from evidently.presets import DataDriftPreset
    except ImportError:
        raise ConfigurationError(
            "the benchmark needs Evidently: pip install 'driftguard[reports]'"
        ) from None
    snapshot = Report([DataDriftPreset()]).run(current_data=current, reference_data=reference)
    drifted = set()
    for metric in snapshot.dict()["metrics"]:
        config = metric.get("config", {})
        is_value_drift = config.get("type", "").endswith("ValueDrift")
        if is_value_drift and float(metric["value"]) >= float(config.get("threshold", 0.1)):
            drifted.add(str(config["column"]))
    return drifted


def run_bench_drift(rows: int = 100_000, features: int = 50, repeat: int = 2) -> int:
    """Time both tools on the same data, print a table and the speed-up; return 0."""
    if rows < 1000 or features < SHIFTED or repeat < 1:
        raise ConfigurationError(
            f"bench drift needs rows >= 1000, features >= {SHIFTED}, repeat >= 1"
        )
    reference, current = _frames(rows, features)
    shape = f"{rows} rows x {features} numeric features, {SHIFTED} shifted"
    print(f"bench drift: {shape}; best of {repeat}")
    fit_s, profile = _best(lambda: ReferenceProfile().fit(reference), 1)
    check = DriftCheck()

    def verdict() -> DriftReport:
        return check.run(profile, profile.window(current))

    ours_s, report = _best(verdict, repeat)
    theirs_s, their_drift = _best(lambda: _evidently(reference, current), repeat)
    ours = set(report.drifted_features)
    print(
        table(
            ["tool", "step", "seconds", "drifted features"],
            [
                [
                    "evidently",
                    "Report([DataDriftPreset()]).run",
                    f"{theirs_s:.3f}",
                    str(len(their_drift)),
                ],
                [
                    "driftguard",
                    "window + DriftCheck.run (verdict)",
                    f"{ours_s:.3f}",
                    str(len(ours)),
                ],
                ["driftguard", "ReferenceProfile.fit (once per checkpoint)", f"{fit_s:.3f}", "-"],
            ],
        )
    )
    print(f"\nspeed-up of the verdict: {theirs_s / ours_s:.0f}x (target >= 50x)")
    print(f"speed-up including one profile fit: {theirs_s / (ours_s + fit_s):.1f}x")
    print(
        f"both flag the same features: {sorted(ours) == sorted(their_drift)} "
        f"(driftguard {sorted(ours)}, evidently {sorted(their_drift)})"
    )
    return 0
