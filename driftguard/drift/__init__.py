"""Input drift: fixed bins, mergeable window counts, scores, calibrated nulls and the check.

The chain a newcomer follows, one module each: :mod:`~driftguard.drift.binning` (bins fixed
at training time) → :mod:`~driftguard.drift.window` (integer counts that merge exactly) →
:mod:`~driftguard.drift.scores` (a window's score per feature) → :mod:`~driftguard.drift.nulls`
(thresholds calibrated by resampling held-out reference rows) →
:mod:`~driftguard.drift.profile` (:class:`ReferenceProfile`, the fingerprint a checkpoint
carries) and :mod:`~driftguard.drift.profile_io` (its file) → :mod:`~driftguard.drift.check`
(:class:`DriftCheck`, the verdict) → :mod:`~driftguard.drift.compare` (two tables in, one
report out).

Examples
--------
>>> import numpy as np
>>> from driftguard.drift import DriftCheck, ReferenceProfile
>>> g = np.random.default_rng(0)
>>> profile = ReferenceProfile(n_resamples=100).fit({"x": g.normal(size=2_000)})
>>> DriftCheck().run(profile, {"x": g.normal(3, 1, 300)}).drift
True
"""

from driftguard.drift.check import DriftCheck
from driftguard.drift.compare import compare_tables
from driftguard.drift.profile import MIN_REFERENCE_ROWS, ReferenceProfile
from driftguard.drift.profile_io import load_profile, save_profile
from driftguard.drift.window import WindowCounts

__all__ = [
    "MIN_REFERENCE_ROWS",
    "DriftCheck",
    "ReferenceProfile",
    "WindowCounts",
    "compare_tables",
    "load_profile",
    "save_profile",
]
