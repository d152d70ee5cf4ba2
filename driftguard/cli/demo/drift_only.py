"""``driftguard demo``: a real drift check on scikit-learn's bundled breast-cancer data.

Two comparisons on the same 569 rows and 30 numeric features:

1. split by a feature: tumours with a small ``mean radius`` as reference, large ones as
   current; the halves truly differ, so most size-related features should drift;
2. a clean random split as the control, which should not drift.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from driftguard.cli.render import drift_table
from driftguard.drift.check import DriftCheck
from driftguard.drift.profile import ReferenceProfile
from driftguard.errors import ConfigurationError

__all__ = ["load_breast_cancer_columns", "run_demo"]


def load_breast_cancer_columns() -> dict[str, np.ndarray[Any, Any]]:
    """The breast-cancer features as named float64 columns (bundled with scikit-learn)."""
    try:
        from sklearn.datasets import load_breast_cancer
    except ImportError:
        raise ConfigurationError(
            "the demo needs scikit-learn: pip install 'driftguard[sklearn]'"
        ) from None
    data = load_breast_cancer()
    return {
        str(name): data.data[:, j].astype(np.float64) for j, name in enumerate(data.feature_names)
    }


def _rows(cols: dict[str, np.ndarray[Any, Any]], idx: np.ndarray[Any, Any]) -> dict[str, Any]:
    return {name: col[idx] for name, col in cols.items()}


def _compare(title: str, reference: dict[str, Any], current: dict[str, Any]) -> bool:
    n_ref, n_cur = (len(next(iter(d.values()))) for d in (reference, current))
    print(f"\n=== {title}: {n_ref} reference rows vs {n_cur} current rows ===")
    profile = ReferenceProfile(seed=0).fit(reference)
    report = DriftCheck(alpha=0.05).run(profile, current)
    print(drift_table(report, limit=10))
    return report.drift


def run_demo() -> int:
    """Run both comparisons and print a summary; return 0 when they behave as expected."""
    cols = load_breast_cancer_columns()
    n = len(cols["mean radius"])
    order = np.argsort(cols["mean radius"], kind="stable")
    half = n // 2
    print("driftguard demo: scikit-learn breast_cancer, 569 rows x 30 numeric features")
    split = _compare(
        "Split by 'mean radius' (small tumours -> large tumours)",
        _rows(cols, order[:half]),
        _rows(cols, order[half:]),
    )
    shuffled = np.random.default_rng(7).permutation(n)
    control = _compare(
        "Control: random split of the same rows",
        _rows(cols, shuffled[:half]),
        _rows(cols, shuffled[half:]),
    )
    print("\nSummary")
    print(f"  split by feature : {'DRIFT' if split else 'no drift'}   (expected DRIFT)")
    print(f"  random split     : {'DRIFT' if control else 'no drift'}   (expected no drift)")
    return 0 if split and not control else 1
