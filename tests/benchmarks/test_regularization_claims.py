"""A reduced but real run of benchmarks/regularization.py and the claims it supports.

Same data, split, model and budget as the benchmark; two seeds and three configurations
(plain, label smoothing, early stopping) instead of three seeds and six.
"""

from __future__ import annotations

import importlib
from types import ModuleType

import pytest
import torch


def _load_bench() -> ModuleType:
    return importlib.import_module("benchmarks.regularization")


@pytest.mark.slow
def test_regularization_claims_hold_on_a_reduced_run() -> None:
    bench = _load_bench()
    names = ["plain", "label smoothing", "early stopping"]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as in the benchmark; the machine is shared
    try:
        rows = {r.name: r for r in bench.run_benchmark(names, (0, 1), budget=bench.BUDGET)}
    finally:
        torch.set_num_threads(threads)
    plain, smooth, stop = rows["plain"], rows["label smoothing"], rows["early stopping"]

    # early stopping cuts epochs on every seed and costs at most half a point of accuracy
    assert max(r.epochs for r in stop.runs) < bench.BUDGET
    assert all(r.epochs == bench.BUDGET for r in plain.runs)
    assert stop.mean("accuracy") >= plain.mean("accuracy") - 0.005

    # temperature scaling leaves both the plain and a regularized model calibrated
    assert plain.mean("ece_after") <= 0.02
    assert smooth.mean("ece_after") <= 0.02
    # ... and label smoothing needs it: its raw model is badly under-confident
    assert smooth.mean("ece_before") > 0.05
    assert smooth.mean("temperature") < 1.0

    # a regularized model beats plain on test NLL after temperature scaling
    assert smooth.mean("nll_ts") < plain.mean("nll_ts")
