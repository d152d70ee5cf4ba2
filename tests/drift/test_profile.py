"""Fixed bins, the reference profile, exact window merges and profile files."""

from __future__ import annotations

import functools
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import wasserstein_distance

from driftguard.drift.binning import CategoricalBins, NumericBins
from driftguard.drift.check import DriftCheck
from driftguard.drift.profile import ReferenceProfile
from driftguard.drift.profile_io import load_profile, save_profile
from driftguard.drift.scores import binned_wasserstein
from driftguard.errors import (
    ConfigurationError,
    EmptyDataError,
    NotFittedError,
    SerializationError,
    UnsupportedVersionError,
)
from driftguard.schema.features import FeatureSpec, Schema, categorical_values
from driftguard.types import FeatureKind

NUM, CAT = FeatureKind.NUMERIC, FeatureKind.CATEGORICAL
IdProfile = tuple[ReferenceProfile, dict[str, np.ndarray], np.ndarray]


# --- NumericBins -------------------------------------------------------------------------


def test_numeric_bins_default_edges_are_reference_quantiles() -> None:
    values = np.random.default_rng(0).normal(size=2000)
    bins = NumericBins.fit(values, n_bins=32)
    assert bins.n_interior == 32
    assert bins.size == 32 + 3  # underflow, 32 interior, overflow, missing
    levels = (1 - np.cos(np.pi * np.arange(33) / 32)) / 2  # Chebyshev-spaced, finer in tails
    np.testing.assert_array_equal(bins.edges, np.quantile(values, levels))
    assert bins.edges[0] == values.min()
    assert bins.edges[-1] == values.max()


def test_profile_uses_32_interior_bins_by_default() -> None:
    x = np.random.default_rng(1).normal(size=400)
    profile = ReferenceProfile(n_resamples=20).fit({"x": x})
    bins = profile.bins_[0]
    assert isinstance(bins, NumericBins)
    assert bins.n_interior == 32
    assert profile.counts_.size == 35


def test_numeric_bins_layout_and_special_values() -> None:
    values = np.random.default_rng(2).normal(size=1000)
    bins = NumericBins.fit(values, n_bins=32)
    lo, hi = values.min(), values.max()
    probe = np.array([-np.inf, lo - 1.0, lo, hi, hi + 1e-9, np.inf, np.nan, 0.0])
    codes = bins.codes(probe)
    assert codes.tolist()[:7] == [0, 0, 1, 32, 33, 33, 34]
    assert 1 <= codes[-1] <= 32


def test_numeric_bins_interior_rule_is_left_closed() -> None:
    bins = NumericBins(np.array([0.0, 1.0, 2.0, 3.0]))
    codes = bins.codes(np.array([0.0, 0.999, 1.0, 2.0, 2.5, 3.0, 3.0001]))
    assert codes.tolist() == [1, 1, 2, 3, 3, 3, 4]


def test_numeric_bins_one_bin_per_distinct_value() -> None:
    values = np.array([1.0, 2.0, 5.0, 2.0, 1.0, 5.0, 5.0, np.nan, np.inf])
    bins = NumericBins.fit(values, n_bins=32)
    assert bins.n_interior == 3
    np.testing.assert_array_equal(bins.edges, [1.0, 1.5, 3.5, 5.0])
    assert bins.codes(np.array([1.0, 2.0, 5.0])).tolist() == [1, 2, 3]


def test_numeric_bins_distinct_count_equal_to_n_bins_keeps_values_apart() -> None:
    values = np.repeat(np.arange(8.0), 10)
    bins = NumericBins.fit(values, n_bins=8)
    assert bins.codes(np.arange(8.0)).tolist() == list(range(1, 9))


def _brute_codes(edges: np.ndarray, values: np.ndarray) -> list[int]:
    k = edges.size - 1
    out = []
    for v in values:
        if np.isnan(v):
            out.append(k + 2)
        elif v < edges[0]:
            out.append(0)
        elif v > edges[-1]:
            out.append(k + 1)
        elif v == edges[-1]:
            out.append(k)
        else:
            out.append(int(np.flatnonzero(v < edges)[0]))
    return out


@pytest.mark.parametrize("n_bins", [4, 32, 63, 64, 65, 200])
def test_numeric_codes_match_definition(n_bins: int) -> None:
    g = np.random.default_rng(n_bins)
    bins = NumericBins.fit(g.normal(size=5000), n_bins=n_bins)
    values = np.concatenate(
        [
            g.normal(size=500) * 1.5,
            bins.edges,
            np.nextafter(bins.edges, -np.inf),
            np.nextafter(bins.edges, np.inf),
            [np.inf, -np.inf, np.nan, 0.0],
        ]
    )
    assert bins.codes(values).tolist() == _brute_codes(bins.edges, values)


def test_numeric_bins_constant_feature() -> None:
    bins = NumericBins.fit(np.full(50, 4.0), n_bins=32)
    assert bins.n_interior == 1
    assert bins.size == 4
    assert bins.codes(np.array([3.0, 4.0, 5.0, np.nan])).tolist() == [0, 1, 2, 3]
    assert bins.tail_cap == 1.0


def test_constant_feature_profile_scores_shift() -> None:
    profile = ReferenceProfile(n_resamples=20).fit({"x": np.full(200, 4.0)})
    same = profile.scores(profile.window({"x": np.full(50, 4.0)}))
    moved = profile.scores(profile.window({"x": np.full(50, 4.5)}))
    assert same[0] == 0.0
    assert moved[0] > 0.0


def test_numeric_bins_need_finite_values() -> None:
    with pytest.raises(EmptyDataError):
        NumericBins.fit(np.array([np.nan, np.inf, -np.inf]), n_bins=4)


def test_numeric_bins_tails_capped_at_range() -> None:
    bins = NumericBins(np.array([0.0, 5.0, 10.0]))
    values = np.array([-3.0, -np.inf, 4.0, 12.0, np.inf, np.nan])
    below, above = bins.tails(values, bins.codes(values))
    np.testing.assert_array_equal(below, [3.0, 10.0, 0.0, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(above, [0.0, 0.0, 0.0, 2.0, 10.0, 0.0])


# --- CategoricalBins ---------------------------------------------------------------------


def test_categorical_bins_unseen_and_missing() -> None:
    bins = CategoricalBins(("a", "b", "c"))
    assert bins.size == 5
    codes = bins.codes(np.array(["c", "zzz", "", "a", "B", "b"]))
    assert codes.tolist() == [2, 3, 4, 0, 3, 1]


def test_categorical_missing_values_go_to_missing_bin() -> None:
    bins = CategoricalBins(("1", "2", "x"))
    raw = np.array(["x", None, float("nan"), "", 2, "new"], dtype=object)
    assert bins.codes(categorical_values(raw)).tolist() == [2, 4, 4, 4, 1, 3]
    floats = np.array([1.0, np.nan, 7.0])
    assert bins.codes(categorical_values(floats)).tolist() == [0, 4, 3]


def test_categorical_bins_unsorted_vocabulary() -> None:
    bins = CategoricalBins(("m", "a", "z"))
    assert bins.codes(np.array(["a", "z", "m", "b"])).tolist() == [1, 2, 0, 3]


def test_categorical_bins_empty_vocabulary() -> None:
    bins = CategoricalBins(())
    assert bins.codes(np.array(["a", ""])).tolist() == [0, 1]


# --- ReferenceProfile.fit ----------------------------------------------------------------


def _id_reference(n: int = 1000, seed: int = 3) -> tuple[dict[str, np.ndarray], Schema]:
    """Rows tagged with an id; extreme x values planted in 20 random rows."""
    g = np.random.default_rng(seed)
    x = g.normal(size=n)
    x[g.choice(n, 20, replace=False)] = 100.0 + np.arange(20)
    y = g.exponential(size=n)
    y[::17] = np.nan
    data = {"id": np.arange(n).astype(str), "x": x, "y": y}
    # an empty vocabulary makes the profile learn it from the fitted rows only
    schema = Schema((FeatureSpec("id", CAT), FeatureSpec("x", NUM), FeatureSpec("y", NUM)))
    return data, schema


@pytest.fixture(scope="module", name="id_profile")
def _id_profile() -> IdProfile:
    data, schema = _id_reference()
    profile = ReferenceProfile(n_resamples=20, holdout=0.4, reservoir_size=100).fit(data, schema)
    bins = profile.bins_[0]
    assert isinstance(bins, CategoricalBins)
    fitted = np.sort(np.array([int(v) for v in bins.vocabulary]))
    return profile, data, fitted


def test_holdout_rows_not_used_for_bins(id_profile: IdProfile) -> None:
    profile, data, fitted = id_profile
    n = data["x"].size
    assert profile.n_fit_ + profile.n_holdout_ == n
    assert profile.n_holdout_ == 400
    assert fitted.size == profile.n_fit_
    assert profile.counts_.sum() == profile.n_fit_ * 3
    x_fit = data["x"][fitted]
    held = np.setdiff1d(np.arange(n), fitted)
    xbins = profile.bins_[1]
    assert isinstance(xbins, NumericBins)
    # preconditions: planted extremes were held out, and bins from all rows would differ
    assert np.any(data["x"][held] >= 100.0)
    assert not np.array_equal(NumericBins.fit(data["x"], profile.n_bins).edges, xbins.edges)
    assert xbins.edges[0] == x_fit.min()
    assert xbins.edges[-1] == x_fit.max()
    np.testing.assert_array_equal(xbins.edges, NumericBins.fit(x_fit, n_bins=profile.n_bins).edges)
    rebuilt = profile.window({k: v[fitted] for k, v in data.items()})
    np.testing.assert_array_equal(rebuilt.counts_, profile.counts_)
    np.testing.assert_allclose(rebuilt.tails_, profile.tails_, rtol=1e-12)


def test_moments_match_numpy_on_fitted_rows(id_profile: IdProfile) -> None:
    profile, data, fitted = id_profile
    assert np.isnan(profile.mean_[0])
    assert np.isnan(profile.std_[0])
    for j, name in ((1, "x"), (2, "y")):
        values = data[name][fitted]
        values = values[np.isfinite(values)]
        np.testing.assert_allclose(profile.mean_[j], values.mean(), rtol=1e-12)
        np.testing.assert_allclose(profile.std_[j], values.std(), rtol=1e-12)


def test_reservoir_bounded_and_row_aligned(id_profile: IdProfile) -> None:
    profile, data, _ = id_profile
    res = profile.reservoir_
    assert set(res) == {"id", "x", "y"}
    assert all(len(col) == 100 for col in res.values())
    rows = res["id"].astype(int)
    assert np.unique(rows).size == 100
    np.testing.assert_array_equal(res["x"], data["x"][rows])
    np.testing.assert_array_equal(res["y"], data["y"][rows])


@pytest.mark.parametrize(("size", "expected"), [(0, 0), (30, 30), (10_000, 200)])
def test_reservoir_size(size: int, expected: int) -> None:
    x = np.random.default_rng(4).normal(size=200)
    profile = ReferenceProfile(n_resamples=20, reservoir_size=size).fit({"x": x})
    assert profile.reservoir_["x"].shape == (expected,)
    assert np.all(np.isin(profile.reservoir_["x"], x))


def test_inferred_vocabulary_comes_from_fitted_rows_only() -> None:
    g = np.random.default_rng(0)
    c = np.array(["a"] * 990 + [f"r{i}" for i in range(10)])
    g.shuffle(c)
    profile = ReferenceProfile(n_resamples=20).fit({"c": c})
    bins = profile.bins_[0]
    assert isinstance(bins, CategoricalBins)
    label_counts = profile.counts_[: len(bins.vocabulary)]
    assert np.all(label_counts > 0), dict(zip(bins.vocabulary, label_counts, strict=True))


@pytest.fixture(scope="module", name="mixed_profile")
def _mixed_profile() -> ReferenceProfile:
    g = np.random.default_rng(5)
    n = 3000
    x = g.normal(size=n)
    x[::50] = np.nan
    data = {
        "x": x,
        "z": g.gamma(2.0, size=n),
        "c": g.choice(["red", "green", "blue"], size=n, p=[0.5, 0.3, 0.2]),
    }
    return ReferenceProfile(n_resamples=50, seed=11).fit(data)


def _current(n: int, seed: int) -> dict[str, np.ndarray]:
    g = np.random.default_rng(seed)
    x = g.normal(0.2, 1.1, size=n)
    x[g.random(n) < 0.03] = np.nan
    x[g.random(n) < 0.005] = np.inf
    x[g.random(n) < 0.005] = -np.inf
    z = g.gamma(2.0, size=n) * 1.5
    z[g.random(n) < 0.01] = -50.0
    c = g.choice(["red", "green", "blue", "purple", ""], size=n, p=[0.4, 0.3, 0.2, 0.07, 0.03])
    c_obj = c.astype(object)
    c_obj[g.random(n) < 0.02] = None
    return {"x": x, "z": z, "c": c_obj}


def test_bins_fixed_after_fit_and_scores_repeatable(mixed_profile: ReferenceProfile) -> None:
    profile = mixed_profile
    edges = [b.edges.copy() for b in profile.bins_ if isinstance(b, NumericBins)]
    counts, tails = profile.counts_.copy(), profile.tails_.copy()
    layout = profile.layout_id_
    window = profile.window(_current(500, 1))
    before = window.counts_.copy()
    first = profile.scores(window)
    profile.scores(profile.window({"x": np.full(10, 1e6), "z": np.full(10, -1e6), "c": ["q"] * 10}))
    second = profile.scores(window)
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(window.counts_, before)
    np.testing.assert_array_equal(profile.counts_, counts)
    np.testing.assert_array_equal(profile.tails_, tails)
    assert profile.layout_id_ == layout
    after = [b.edges for b in profile.bins_ if isinstance(b, NumericBins)]
    for e0, e1 in zip(edges, after, strict=True):
        np.testing.assert_array_equal(e0, e1)


def test_fit_is_deterministic_for_a_seed() -> None:
    x = np.random.default_rng(6).normal(size=300)
    a = ReferenceProfile(n_resamples=20, seed=3).fit({"x": x})
    b = ReferenceProfile(n_resamples=20, seed=3).fit({"x": x})
    c = ReferenceProfile(n_resamples=20, seed=4).fit({"x": x})
    np.testing.assert_array_equal(a.nulls_.scores, b.nulls_.scores)
    np.testing.assert_array_equal(a.counts_, b.counts_)
    assert not np.array_equal(a.nulls_.scores, c.nulls_.scores)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n_bins": 0}, "n_bins"),
        ({"n_bins": 10_001}, "n_bins"),
        ({"holdout": 0.0}, "holdout"),
        ({"holdout": 1.0}, "holdout"),
        ({"n_resamples": 19}, "n_resamples"),
        ({"reservoir_size": -1}, "reservoir_size"),
        ({"n_splits": 0}, "n_splits"),
        ({"methods": {"nope": "psi"}}, "methods"),
        ({"methods": {"x": "magic"}}, "magic"),
        ({"methods": {"c": "wasserstein"}}, "wasserstein"),
    ],
)
def test_invalid_parameters_raise_naming_them(kwargs: dict, name: str) -> None:
    data = {"x": np.arange(100.0), "c": np.array(["a", "b"] * 50)}
    with pytest.raises(ConfigurationError, match=name):
        ReferenceProfile(**kwargs).fit(data)


def test_invalid_max_window_raises_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="max_window"):
        ReferenceProfile(n_resamples=20, max_window=3).fit({"x": np.arange(200.0)})


def test_methods_override_is_used() -> None:
    data = {"x": np.arange(100.0), "c": np.array(["a", "b"] * 50)}
    profile = ReferenceProfile(n_resamples=20, methods={"x": "tvd", "c": "hellinger"}).fit(data)
    assert profile.methods_ == ("tvd", "hellinger")
    assert ReferenceProfile(n_resamples=20).fit(data).methods_ == ("wasserstein", "psi")


def test_not_fitted_errors() -> None:
    profile = ReferenceProfile()
    with pytest.raises(NotFittedError, match="fit"):
        profile.window({"x": np.arange(3.0)})
    with pytest.raises(NotFittedError):
        profile.new_window()
    with pytest.raises(NotFittedError):
        profile.calibration()
    with pytest.raises(NotFittedError):
        profile.scores(None)  # type: ignore[arg-type]
    assert isinstance(NotFittedError("x"), AttributeError)


def test_too_few_rows() -> None:
    with pytest.raises(EmptyDataError, match="19 rows"):
        ReferenceProfile(n_resamples=20).fit({"x": np.arange(19.0)})
    profile = ReferenceProfile(n_resamples=20).fit({"x": np.arange(20.0)})
    assert profile.n_fit_ + profile.n_holdout_ == 20


def test_all_nan_fitted_column_raises_naming_it() -> None:
    schema = Schema((FeatureSpec("x", NUM), FeatureSpec("y", NUM)))
    data = {"x": np.arange(50.0), "y": np.full(50, np.nan)}
    with pytest.raises(EmptyDataError, match="'y'"):
        ReferenceProfile(n_resamples=20).fit(data, schema)


# --- window merges -----------------------------------------------------------------------


def test_sharded_windows_merge_exactly(mixed_profile: ReferenceProfile) -> None:
    profile = mixed_profile
    data = _current(20_000, seed=42)
    g = np.random.default_rng(7)
    cuts = np.sort(g.choice(np.arange(1, 20_000), size=7, replace=False))
    shards = [
        {k: v[lo:hi] for k, v in data.items()}
        for lo, hi in zip([0, *cuts], [*cuts, 20_000], strict=True)
    ]
    assert len(shards) == 8
    windows = [profile.window(s) for s in shards]
    snapshot = [w.counts_.copy() for w in windows]
    order = g.permutation(8)
    merged = functools.reduce(lambda a, b: a.merge(b), [windows[i] for i in order])
    single = profile.window(data)
    # the data really exercise every special bin
    assert single.counts_[profile.offsets_[1] - 1] > 0  # x: NaN bin
    assert single.counts_[profile.offsets_[0]] > 0  # x: underflow (-inf)
    assert single.counts_[profile.offsets_[3] - 2] > 0  # c: missing bin
    assert single.counts_[profile.offsets_[3] - 3] > 0  # c: unseen bin
    assert np.array_equal(merged.counts_, single.counts_)
    assert merged.n_rows_ == single.n_rows_ == 20_000
    np.testing.assert_allclose(merged.tails_, single.tails_, rtol=1e-9, atol=0)
    assert np.all(single.tails_[:2] > 0)
    np.testing.assert_allclose(profile.scores(merged), profile.scores(single), rtol=1e-9)
    for w, c in zip(windows, snapshot, strict=True):  # merge does not mutate its inputs
        np.testing.assert_array_equal(w.counts_, c)

    incremental = profile.new_window()
    for i in order:
        incremental.update(shards[i])
    assert np.array_equal(incremental.counts_, single.counts_)
    assert incremental.n_rows_ == 20_000


def test_merge_with_empty_window_is_identity(mixed_profile: ReferenceProfile) -> None:
    window = mixed_profile.window(_current(300, 3))
    merged = window.merge(mixed_profile.new_window())
    assert np.array_equal(merged.counts_, window.counts_)
    assert merged.n_rows_ == 300


def test_merge_across_profiles_rejected(mixed_profile: ReferenceProfile) -> None:
    g = np.random.default_rng(8)
    other = ReferenceProfile(n_resamples=20).fit(
        {"x": g.normal(size=500), "z": g.normal(size=500), "c": g.choice(["red", "blue"], 500)}
    )
    data = _current(100, 4)
    mine, theirs = mixed_profile.window(data), other.window(data)
    with pytest.raises(ConfigurationError, match="layout"):
        mine.merge(theirs)
    with pytest.raises(ConfigurationError):
        mixed_profile.scores(theirs)


# --- binned Wasserstein ------------------------------------------------------------------


def _binned_vs_scipy(n_bins: int, data: str) -> list[float]:
    g = np.random.default_rng(12)
    n = 50_000
    draw = g.normal if data == "normal" else g.uniform
    ref, cur0 = draw(size=n), draw(size=n)
    profile = ReferenceProfile(n_bins=n_bins, n_resamples=20, max_window=500, holdout=0.02)
    profile.fit({"x": ref})
    ratios = []
    for shift in (0.1, 0.3, 1.0):
        cur = cur0 + shift * ref.std()
        ours = profile.scores(profile.window({"x": cur}))[0]
        exact = wasserstein_distance(ref, cur) / ref.std()
        ratios.append(ours / exact)
    return ratios


def test_binned_wasserstein_close_to_scipy_on_uniform_data() -> None:
    np.testing.assert_allclose(_binned_vs_scipy(32, "uniform"), 1.0, rtol=0.03)


def test_binned_wasserstein_close_to_scipy_with_fine_bins() -> None:
    np.testing.assert_allclose(_binned_vs_scipy(1000, "normal"), 1.0, rtol=0.03)


def test_binned_wasserstein_close_to_scipy_default_bins() -> None:
    np.testing.assert_allclose(_binned_vs_scipy(32, "normal"), 1.0, rtol=0.05)


def test_binned_wasserstein_hand_example_and_missing_share() -> None:
    b = NumericBins(np.array([0.0, 1.0, 2.0]))
    ref = np.array([0.0, 5.0, 5.0, 0.0, 0.0])
    # all mass moved one bin to the right: W1 = 0.5 (scale 1)
    cur = np.array([[0.0, 0.0, 10.0, 0.0, 0.0]])
    assert binned_wasserstein(b, ref, np.zeros(2), cur, np.zeros((1, 2)), 1.0)[0] == 0.5
    assert binned_wasserstein(b, ref, np.zeros(2), cur, np.zeros((1, 2)), 2.0)[0] == 0.25
    # same finite distribution plus 20% missing: score is exactly the missing share change
    with_nan = np.array([[0.0, 4.0, 4.0, 0.0, 2.0]])
    out = binned_wasserstein(b, ref, np.zeros(2), with_nan, np.zeros((1, 2)), 1.0)[0]
    assert out == pytest.approx(0.2, abs=1e-12)


# --- profile files -----------------------------------------------------------------------


def test_save_load_round_trip(mixed_profile: ReferenceProfile, tmp_path: Path) -> None:
    path = save_profile(mixed_profile, tmp_path / "sub" / "ref.npz")
    assert path.exists()
    loaded = load_profile(path)
    assert loaded.schema_ == mixed_profile.schema_
    assert loaded.methods_ == mixed_profile.methods_
    assert loaded.layout_id_ == mixed_profile.layout_id_
    np.testing.assert_array_equal(loaded.counts_, mixed_profile.counts_)
    for name, col in mixed_profile.reservoir_.items():
        np.testing.assert_array_equal(loaded.reservoir_[name], col)
    data = _current(700, 9)
    np.testing.assert_array_equal(
        loaded.scores(loaded.window(data)), mixed_profile.scores(mixed_profile.window(data))
    )
    window = mixed_profile.window(data)
    assert DriftCheck().run(loaded, window) == DriftCheck().run(mixed_profile, window)
    check = DriftCheck(correction="bh", min_effect=0.0)
    assert check.run(loaded, data) == check.run(mixed_profile, data)
    big = _current(2 * int(mixed_profile.nulls_.sizes[-1]) + 1, 10)  # extrapolated window
    report = DriftCheck().run(mixed_profile, big)
    assert not report.calibrated
    assert DriftCheck().run(loaded, big) == report


def _rewrite_meta(src: Path, dst: Path, **changes: object) -> None:
    with np.load(src, allow_pickle=False) as archive:
        arrays = {k: archive[k] for k in archive.files}
    meta = json.loads(arrays["__meta__"].tobytes().decode())
    meta.update(changes)
    arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    with dst.open("wb") as handle:
        np.savez(handle, **arrays)


def test_unknown_version_rejected(mixed_profile: ReferenceProfile, tmp_path: Path) -> None:
    src = save_profile(mixed_profile, tmp_path / "ref.npz")
    dst = tmp_path / "future.npz"
    _rewrite_meta(src, dst, version=999)
    with pytest.raises(UnsupportedVersionError, match="999") as info:
        load_profile(dst)
    assert str(dst) in str(info.value)
    assert isinstance(info.value, SerializationError)
    _rewrite_meta(src, tmp_path / "same.npz")  # untouched header still loads
    assert load_profile(tmp_path / "same.npz").layout_id_ == mixed_profile.layout_id_


def test_foreign_format_and_altered_bins_rejected(
    mixed_profile: ReferenceProfile, tmp_path: Path
) -> None:
    src = save_profile(mixed_profile, tmp_path / "ref.npz")
    _rewrite_meta(src, tmp_path / "fmt.npz", format="something.else")
    with pytest.raises(SerializationError, match="format"):
        load_profile(tmp_path / "fmt.npz")
    with np.load(src, allow_pickle=False) as archive:
        meta = json.loads(archive["__meta__"].tobytes().decode())
    bins = meta["bins"]
    bins[0]["edges"][1] += 0.5
    _rewrite_meta(src, tmp_path / "edit.npz", bins=bins)
    with pytest.raises(SerializationError, match="fingerprint"):
        load_profile(tmp_path / "edit.npz")


def test_archive_without_header_rejected(tmp_path: Path) -> None:
    path = tmp_path / "plain.npz"
    np.savez(path, counts=np.arange(3))
    with pytest.raises(SerializationError, match="header"):
        load_profile(path)


@pytest.mark.parametrize(
    "content", [b"this is not a profile at all" * 10, b"PK\x03\x04garbage", b"\x93NUMPYxx"]
)
def test_garbage_file_rejected_with_path(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "garbage.npz"
    path.write_bytes(content)
    with pytest.raises(SerializationError) as info:
        load_profile(path)
    assert str(path) in str(info.value)


def test_missing_file_rejected_with_path(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "ref.npz"
    with pytest.raises(SerializationError) as info:
        load_profile(path)
    assert str(path) in str(info.value)


def test_truncated_file_rejected(mixed_profile: ReferenceProfile, tmp_path: Path) -> None:
    raw = save_profile(mixed_profile, tmp_path / "ref.npz").read_bytes()
    path = tmp_path / "half.npz"
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(SerializationError, match=r"half\.npz"):
        load_profile(path)


def test_empty_file_rejected(tmp_path: Path) -> None:
    path = tmp_path / "empty.npz"
    path.write_bytes(b"")
    with pytest.raises(SerializationError, match=r"empty\.npz"):
        load_profile(path)


def test_corrupt_member_rejected(mixed_profile: ReferenceProfile, tmp_path: Path) -> None:
    src = save_profile(mixed_profile, tmp_path / "ref.npz")
    with zipfile.ZipFile(src) as z:
        info = z.getinfo("counts.npy")
    raw = bytearray(src.read_bytes())
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for i in range(start + 2, start + min(info.compress_size, 40)):
        raw[i] ^= 0xFF
    path = tmp_path / "corrupt.npz"
    path.write_bytes(bytes(raw))
    with pytest.raises(SerializationError, match=r"corrupt\.npz"):
        load_profile(path)


def test_failed_save_leaves_no_partial_file(
    mixed_profile: ReferenceProfile,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = save_profile(mixed_profile, tmp_path / "ref.npz")
    good = path.read_bytes()
    before = sorted(p.name for p in tmp_path.iterdir())

    def boom(*_args: object, **_kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez_compressed", boom)
    with pytest.raises(OSError, match="disk full"):
        save_profile(mixed_profile, path)
    with pytest.raises(OSError, match="disk full"):
        save_profile(mixed_profile, tmp_path / "new.npz")
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert path.read_bytes() == good
    monkeypatch.undo()
    assert load_profile(path).layout_id_ == mixed_profile.layout_id_


def test_save_unfitted_profile_raises(tmp_path: Path) -> None:
    with pytest.raises(NotFittedError):
        save_profile(ReferenceProfile(), tmp_path / "x.npz")
    assert list(tmp_path.iterdir()) == []
