"""Area under the ROC curve as a two-sample statistic (the normalised Mann-Whitney U).

Examples
--------
>>> auroc([0.0, 1.0], [1.0, 2.0])
0.875
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.stats import rankdata

__all__ = ["auroc"]


def auroc(negatives: npt.ArrayLike, positives: npt.ArrayLike) -> float:
    """Area under the ROC curve of "positives score higher" (ties count one half).

    Parameters
    ----------
    negatives, positives
        Scores of the two samples; NaN is returned when either is empty.

    Examples
    --------
    >>> auroc([0.5], [0.5])
    0.5
    """
    neg, pos = np.asarray(negatives, float), np.asarray(positives, float)
    if len(neg) == 0 or len(pos) == 0:
        return float("nan")
    ranks = rankdata(np.concatenate([neg, pos]))[len(neg) :]
    return float((ranks.sum() - len(pos) * (len(pos) + 1) / 2) / (len(neg) * len(pos)))
