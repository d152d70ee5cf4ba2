"""``driftguard bench guard``: the guard's statistical claims, measured on seeded streams.

1. Sequential drift: mean run length without drift against the configured expected run
   length, and detection delay after a mean shift in 1 of 20 features, side by side with
   river's ADWIN and PageHinkley tuned to the same false-alarm rate (river is needed only
   here).
2. Calibration: false alarms of a calibrated model at 500 labels, and alarms within 1000
   labels when 30% of labels are shifted by one class.
3. Adversarial: FGSM, PGD and a detector-aware PGD (torch) against a digits MLP; AUROC and
   TPR of every per-request score, realised false-positive rates of the conformal flags on
   clean held-out rows, and the cost of the scores against one forward pass.
4. Probing: black-box boundary-probing clients against ordinary clients.
5. Poisoning: label flips screened at the feedback door with the trusted checkpoint, source
   quarantine, and the training-set audit (confident learning).

``--only`` runs some of them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks.guard.sections import BENCH_GUARD_SECTIONS

__all__ = ["run_bench_guard"]

TITLES = {
    "sequential": "Sequential drift (CUSUM calibrated to an expected run length) vs river",
    "calibration": "Calibration monitor (ECE thresholds resampled at the number of labels)",
    "adversarial": "Adversarial inputs (per-request scores, conformal flags) on digits",
    "probing": "Probing clients (near-duplicate bursts, bounded memory) on digits",
    "poisoning": "Poisoned labels: feedback screening and training-set audit on digits",
}


def _runner(section: str, runs: int, seed: int) -> Callable[[], Any]:
    if section == "sequential":
        from benchmarks.guard.sequential import run_sequential_bench

        return lambda: run_sequential_bench(seed=seed)
    if section == "calibration":
        from benchmarks.guard.calibration import run_calibration_bench

        return lambda: run_calibration_bench(runs=runs, seed=seed)
    if section == "adversarial":
        from benchmarks.guard.adversarial import run_adversarial_bench

        return lambda: run_adversarial_bench(seed=seed)
    if section == "probing":
        from benchmarks.guard.probing import run_probing_bench

        return lambda: run_probing_bench(seed=seed)
    from benchmarks.guard.poisoning import run_poisoning_bench

    return lambda: run_poisoning_bench(seed=seed)


def run_bench_guard(
    runs: int = 200,
    seed: int = 0,
    as_json: bool = False,
    only: Sequence[str] = BENCH_GUARD_SECTIONS,
) -> int:
    """Run the chosen sections and print their tables (or JSON)."""
    start = time.perf_counter()
    results: dict[str, Any] = {}
    for section in BENCH_GUARD_SECTIONS:
        if section not in only:
            continue
        result = _runner(section, runs, seed)()
        results[section] = result
        if not as_json:
            print(f"== {TITLES[section]} ==")
            print(result.table())
            print(flush=True)
    if as_json:
        doc = {k: v.to_dict() for k, v in results.items() if hasattr(v, "to_dict")}
        print(json.dumps(doc, indent=2))
        return 0
    print(f"({time.perf_counter() - start:.0f} s)")
    return 0
