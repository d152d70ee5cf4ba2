"""Run the training-set audit on a table: encode, cross-fit, flag, explain.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> cols = {"a": np.concatenate([rng.normal(-4, 1, 40), rng.normal(4, 1, 40)]),
...         "y": np.repeat(["no", "yes"], 40)}
>>> cols["y"][0] = "yes"
>>> report = audit_table(cols, "y", folds=3)
>>> 0 in report.flagged, report.reasons[0][0].startswith("label issue: given 'yes'")
(True, True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from driftguard.audit.confident import ConfidentLearning
from driftguard.audit.report import AuditReport
from driftguard.audit.spectral import SpectralSignatures
from driftguard.errors import ConfigurationError, TrainingDataError
from driftguard.schema.features import infer_schema
from driftguard.training.encoding import TabularEncoder
from driftguard.training.hygiene import split_target

__all__ = ["METHODS", "audit_table"]

#: Audit methods, in report order.
METHODS = ("confident", "spectral")


def audit_table(
    data: Mapping[str, Any] | Any,
    target: str,
    *,
    methods: Sequence[str] = ("confident",),
    folds: int = 5,
    seed: int = 0,
    max_flag_fraction: float = 0.5,
    poison_fraction: float = 0.05,
    categorical: Sequence[str] = (),
) -> AuditReport:
    """Audit the labelled table ``data`` and report the rows each method would drop.

    Each method flags at most ``max_flag_fraction`` of the rows (confident learning keeps
    the lowest self-confidence, spectral signatures the highest scores).
    """
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise ConfigurationError(f"methods must be a non-empty subset of {METHODS}")
    if not 0.0 < max_flag_fraction <= 1.0:
        raise ConfigurationError(f"max_flag_fraction must be in (0, 1], got {max_flag_fraction!r}")
    cols, y_raw = split_target(data, target)
    classes, y = np.unique(np.asarray(y_raw).astype(str), return_inverse=True)
    y = y.astype(np.intp)
    schema = infer_schema(cols, categorical=[c for c in categorical if c != target])
    x = TabularEncoder(schema).fit(cols).transform(cols).astype(np.float64)
    cap = int(np.floor(max_flag_fraction * y.size))
    reasons: dict[int, list[str]] = {}
    counts: dict[str, int] = {}
    details: dict[str, Any] = {}
    if "confident" in methods:
        cl = ConfidentLearning(folds=folds, seed=seed).fit(x, y)
        issues = cl.issues_[:cap]
        counts["confident"] = int(issues.size)
        details["confident"] = {
            "rule": cl.rule,
            "model": cl.model,
            "folds": folds,
            "thresholds": {str(c): float(t) for c, t in zip(classes, cl.thresholds_, strict=True)},
        }
        for row in issues.tolist():
            given, best = str(classes[y[row]]), str(classes[cl.suggested_[row]])
            reasons.setdefault(row, []).append(
                f"label issue: given {given!r} (p={cl.self_confidence_[row]:.2f}), "
                f"model says {best!r} (p={cl.probabilities_[row, cl.suggested_[row]]:.2f})"
            )
    if "spectral" in methods:
        if np.bincount(y).min() < 2:
            raise TrainingDataError("spectral signatures need at least 2 rows per class")
        ss = SpectralSignatures(poison_fraction=poison_fraction).fit(x, y)
        found = ss.flagged_[:cap]
        counts["spectral"] = int(found.size)
        details["spectral"] = {"poison_fraction": poison_fraction, "gate": ss.gate}
        for row in found.tolist():
            reasons.setdefault(row, []).append(
                f"spectral outlier in class {str(classes[y[row]])!r} (score {ss.scores_[row]:.1f})"
            )
    flagged = tuple(sorted(reasons))
    return AuditReport(
        n_rows=int(y.size),
        flagged=flagged,
        reasons={row: tuple(reasons[row]) for row in flagged},
        counts=counts,
        details=details,
    )
