"""Vectorised two-sample statistics, float64 throughout.

Every statistic is called as ``f(reference, current)`` and returns a frozen
:class:`~driftguard.types.StatResult` with ``.statistic`` and ``.p_value`` (``None`` where the
statistic has no p-value). Sample statistics take raw values; binned ones take counts on the
same bins.

Examples
--------
>>> import numpy as np
>>> from driftguard import stats
>>> stats.tvd(np.array([1, 1]), np.array([3, 1])).statistic
0.25
"""

from driftguard.stats.auroc import auroc
from driftguard.stats.binned import chi2, hellinger, jensen_shannon, kl, psi, tvd
from driftguard.stats.kernel import mmd, rff_mmd
from driftguard.stats.multiple import benjamini_hochberg, holm
from driftguard.stats.resampling import permutation_p_value
from driftguard.stats.samples import cvm, energy, ks, wasserstein

__all__ = [
    "auroc",
    "benjamini_hochberg",
    "chi2",
    "cvm",
    "energy",
    "hellinger",
    "holm",
    "jensen_shannon",
    "kl",
    "ks",
    "mmd",
    "permutation_p_value",
    "psi",
    "rff_mmd",
    "tvd",
    "wasserstein",
]
