"""``driftguard bench guard``: the guard's statistical claims, measured on seeded streams.

1. Sequential drift: mean run length without drift against the configured expected run
   length, and detection delay after a mean shift in 1 of 20 features, side by side with
   river's ADWIN and PageHinkley tuned to the same false-alarm rate (river is needed only
   here).
2. Calibration: false alarms of a calibrated model at 500 labels, and alarms within 1000
   labels when 30% of labels are shifted by one class.
"""

from __future__ import annotations

import json
import time

from driftguard.cli.bench_calibration import run_calibration_bench
from driftguard.cli.bench_sequential import run_sequential_bench

__all__ = ["run_bench_guard"]


def run_bench_guard(runs: int = 200, seed: int = 0, as_json: bool = False) -> int:
    """Run both benchmarks and print their tables (or JSON)."""
    start = time.perf_counter()
    sequential = run_sequential_bench(seed=seed)
    calibration = run_calibration_bench(runs=runs, seed=seed)
    if as_json:
        print(json.dumps({"calibration": calibration.to_dict()}, indent=2))
        return 0
    print("== Sequential drift (CUSUM calibrated to an expected run length) vs river ==")
    print(sequential.table())
    print()
    print("== Calibration monitor (ECE thresholds resampled at the number of labels) ==")
    print(calibration.table())
    print(f"\n({time.perf_counter() - start:.0f} s)")
    return 0
