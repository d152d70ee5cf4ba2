"""``driftguard train --audit``: screen the training table before training (a gate).

``warn`` prints what the audit would drop and trains on everything; ``drop`` removes the
flagged rows and trains on the rest; ``fail`` refuses to train when more than
``--audit-max-share`` of the rows are flagged (otherwise it drops them). What happened is
recorded in the checkpoint's metrics under ``audit``.

Examples
--------
>>> import numpy as np
>>> cols = {"a": np.r_[np.zeros(30), np.ones(30) * 8], "y": np.repeat(["n", "p"], 30)}
>>> cols["y"][0] = "p"
>>> kept, summary = audit_gate(cols, "y", mode="drop", max_share=0.2, seed=0)
>>> len(kept["a"]), summary["dropped"]
(59, 1)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from driftguard.audit.screen import audit_table
from driftguard.errors import ConfigurationError, TrainingDataError

__all__ = ["AUDIT_MODES", "audit_gate"]

AUDIT_MODES = ("off", "warn", "drop", "fail")


def audit_gate(
    cols: Mapping[str, Any],
    target: str,
    *,
    mode: str,
    max_share: float = 0.05,
    seed: int = 0,
    categorical: Sequence[str] = (),
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run the audit as ``mode`` says; return the rows to train on and a summary."""
    if mode not in AUDIT_MODES:
        raise ConfigurationError(f"--audit must be one of {', '.join(AUDIT_MODES)}; got {mode!r}")
    if not 0.0 <= max_share <= 1.0:
        raise ConfigurationError(f"--audit-max-share must be within [0, 1], got {max_share}")
    data = dict(cols)
    if mode == "off":
        return data, {"mode": "off"}
    report = audit_table(data, target, seed=seed, categorical=categorical)
    summary: dict[str, Any] = {
        "mode": mode,
        "rows": report.n_rows,
        "flagged": len(report.flagged),
        "share": report.share,
        "dropped": 0,
    }
    if mode == "fail" and report.share > max_share:
        raise TrainingDataError(
            f"--audit fail: {len(report.flagged)} of {report.n_rows} rows "
            f"({report.share:.1%}) look mislabelled, more than --audit-max-share "
            f"{max_share:.1%}; inspect them with driftguard audit-data"
        )
    if mode == "warn" or not report.flagged:
        return data, summary
    keep = np.ones(report.n_rows, dtype=bool)
    keep[list(report.flagged)] = False
    summary["dropped"] = len(report.flagged)
    return {k: np.asarray(v)[keep] for k, v in data.items()}, summary
