"""driftguard's statistics agree with Evidently's on the same inputs (DESIGN.md section 3)."""

from __future__ import annotations

import numpy as np
import pytest

from driftguard import stats

pytestmark = pytest.mark.slow


def test_normed_wasserstein_matches_evidently_data_drift_preset() -> None:
    pd = pytest.importorskip("pandas")
    evidently = pytest.importorskip("evidently")
    from evidently.presets import DataDriftPreset

    g = np.random.default_rng(5)
    n = 1500  # above 1000 rows Evidently scores numeric columns with normed Wasserstein
    ref = pd.DataFrame({"a": g.normal(size=n), "b": g.exponential(size=n), "c": g.normal(3, 2, n)})
    cur = pd.DataFrame(
        {"a": g.normal(0.2, 1, n), "b": g.exponential(1.3, n), "c": g.normal(3, 2, n)}
    )
    snapshot = evidently.Report([DataDriftPreset()]).run(current_data=cur, reference_data=ref)
    theirs = {
        m["config"]["column"]: float(m["value"])
        for m in snapshot.dict()["metrics"]
        if m["config"].get("type", "").endswith("ValueDrift")
    }
    assert set(theirs) == {"a", "b", "c"}
    for column, value in theirs.items():
        ours = stats.wasserstein(ref[column], cur[column], normalised=True).statistic
        assert ours == pytest.approx(value, rel=1e-6, abs=1e-12), column
