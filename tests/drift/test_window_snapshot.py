"""Window snapshots (JSON) and fit progress."""

from __future__ import annotations

import json

import numpy as np
import pytest

from driftguard.drift.profile import ReferenceProfile
from driftguard.errors import SerializationError, UnsupportedVersionError


@pytest.fixture(scope="module", name="profile")
def _profile() -> ReferenceProfile:
    g = np.random.default_rng(0)
    ref = {"x": g.normal(size=3000), "c": g.choice(["a", "b"], size=3000)}
    return ReferenceProfile(n_resamples=50).fit(ref)


def _rows(seed: int, n: int) -> dict[str, np.ndarray]:
    g = np.random.default_rng(seed)
    x = g.normal(size=n) * 3
    x[:5] = [np.nan, np.inf, -np.inf, 50.0, -50.0]
    return {"x": x, "c": g.choice(["a", "b", "new"], size=n)}


def test_snapshot_round_trip_through_json_is_exact(profile: ReferenceProfile) -> None:
    shards = [profile.window(_rows(seed, 700)) for seed in range(4)]
    target = profile.new_window()
    for shard in shards:
        target.load_dict(json.loads(json.dumps(shard.to_dict())))
    merged = shards[0].merge(shards[1]).merge(shards[2]).merge(shards[3])
    assert np.array_equal(target.counts_, merged.counts_)
    np.testing.assert_allclose(target.tails_, merged.tails_, rtol=1e-12)
    assert target.n_rows_ == 2800


def test_snapshot_rejects_other_version_and_bins(profile: ReferenceProfile) -> None:
    snap = profile.window(_rows(1, 100)).to_dict()
    with pytest.raises(UnsupportedVersionError, match="version 7"):
        profile.new_window().load_dict({**snap, "version": 7})
    with pytest.raises(SerializationError, match="different bins"):
        profile.new_window().load_dict({**snap, "layout_id": "0" * 16})
    with pytest.raises(SerializationError, match="wrong number of bins"):
        profile.new_window().load_dict({**snap, "counts": snap["counts"][:-1]})
    with pytest.raises(SerializationError, match="not a driftguard window"):
        profile.new_window().load_dict({"format": "other"})
    bad = list(snap["counts"])
    bad[0] = -1
    with pytest.raises(SerializationError, match="negative"):
        profile.new_window().load_dict({**snap, "counts": bad})


def test_fit_reports_progress_to_completion() -> None:
    calls: list[tuple[int, int]] = []
    x = np.random.default_rng(3).normal(size=2000)
    ReferenceProfile(n_resamples=30).fit({"x": x}, progress=lambda d, t: calls.append((d, t)))
    assert calls, "progress was never reported"
    done = [d for d, _ in calls]
    assert done == sorted(done)
    assert calls[-1][0] == calls[-1][1] > 0
