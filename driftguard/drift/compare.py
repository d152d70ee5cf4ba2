"""Two tables in, one calibrated drift report out: what ``driftguard drift`` runs.

Examples
--------
>>> import numpy as np
>>> g = np.random.default_rng(0)
>>> reference = {"age": g.normal(40, 10, 2_000), "plan": g.choice(["free", "pro"], 2_000)}
>>> current = {"age": g.normal(48, 10, 400), "plan": g.choice(["free", "pro"], 400)}
>>> report = compare_tables(reference, current, profile=ReferenceProfile(n_resamples=200))
>>> report.drift, report.drifted_features
(True, ('age',))
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from driftguard.drift.check import DriftCheck
from driftguard.drift.profile import ReferenceProfile
from driftguard.schema.features import infer_schema
from driftguard.types import DriftReport

__all__ = ["compare_tables"]


def compare_tables(
    reference: Any,
    current: Any,
    *,
    categorical: Iterable[str] = (),
    profile: ReferenceProfile | None = None,
    check: DriftCheck | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> DriftReport:
    """Fit a reference profile on ``reference`` and check ``current`` against it.

    Parameters
    ----------
    reference, current : mapping of column name to values
        The same columns in both; any table :func:`~driftguard.schema.features.to_columns`
        reads.
    categorical : iterable of str
        Columns to read as labels even when their values look numeric.
    profile : ReferenceProfile, optional
        The (unfitted) profile configuration; defaults to ``ReferenceProfile()``.
    check : DriftCheck, optional
        The verdict's configuration; defaults to ``DriftCheck()``.
    progress : callable, optional
        ``progress(done, total)`` as the null calibration advances.

    Returns
    -------
    DriftReport
        Per-feature scores, thresholds and verdicts, and the dataset verdict.

    Raises
    ------
    ConfigurationError
        An invalid profile or check setting (checked before any work).
    EmptyDataError
        Fewer reference rows than a profile needs.
    """
    profile = profile if profile is not None else ReferenceProfile()
    check = check if check is not None else DriftCheck()
    profile.validate()
    check.validate()
    profile.fit(reference, infer_schema(reference, categorical=categorical), progress=progress)
    return check.run(profile, current)
