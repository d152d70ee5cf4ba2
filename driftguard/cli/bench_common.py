"""What the digits demo and the guard benchmarks share: the MLP recipe and AUROC.

Examples
--------
>>> auroc([0.0, 1.0], [1.0, 2.0])
0.875
>>> DIGITS_MLP_OPTIONS["epochs"]
30
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["DIGITS_MLP_OPTIONS", "auroc"]

#: The regularized torch MLP of the demo (digits test accuracy about 0.975).
DIGITS_MLP_OPTIONS: dict[str, Any] = {
    "epochs": 30,
    "dropout": 0.1,
    "weight_decay": 1e-4,
    "label_smoothing": 0.05,
    "early_stopping_patience": 5,
    "progress": False,
}


def auroc(negatives: npt.ArrayLike, positives: npt.ArrayLike) -> float:
    """Area under the ROC curve of "positives score higher" (ties count one half).

    Examples
    --------
    >>> auroc([0.5], [0.5])
    0.5
    """
    from scipy.stats import rankdata

    neg, pos = np.asarray(negatives, float), np.asarray(positives, float)
    if len(neg) == 0 or len(pos) == 0:
        return float("nan")
    ranks = rankdata(np.concatenate([neg, pos]))[len(neg) :]
    return float((ranks.sum() - len(pos) * (len(pos) + 1) / 2) / (len(neg) * len(pos)))
