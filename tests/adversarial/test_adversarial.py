"""Per-request adversarial scores: components, conformal p-value, codec, the model hook."""

from __future__ import annotations

import io

import numpy as np
import pytest
from scipy.special import logsumexp

from driftguard.adversarial import (
    COMPONENTS,
    InputGrid,
    InputRange,
    RequestScorer,
    TiedMahalanobis,
    conformal_p_values,
    output_scores,
)
from driftguard.errors import ConfigurationError, NotFittedError, SerializationError
from driftguard.training.temperature import apply_temperature


def blobs(g: np.random.Generator, n: int, shift: float = 0.0):
    """Three Gaussian classes in 4-D; logits from a linear read-out; raw = rounded features."""
    y = g.integers(0, 3, n)
    centres = np.array([[0, 0, 0, 0], [4, 0, 0, 0], [0, 4, 0, 0]], dtype=float)
    x = centres[y] + g.normal(0, 1, (n, 4)) + shift
    logits = x[:, :3] * 1.5 - np.array([0.0, 3.0, 3.0]) * 0
    return x, logits, np.round(x * 2) / 2, y


# ---- components -----------------------------------------------------------------------------


def test_mahalanobis_equals_the_direct_formula() -> None:
    g = np.random.default_rng(1)
    x = g.normal(size=(60, 3)) @ np.array([[1, 0.5, 0], [0, 1, 0.3], [0, 0, 2]])
    y = np.arange(60) % 3
    means = np.array([x[y == c].mean(0) for c in range(3)])
    centred = x - means[y]
    inv = np.linalg.inv(centred.T @ centred / len(x))
    q = g.normal(size=(5, 3)) * 3
    direct = np.array([min((r - m) @ inv @ (r - m) for m in means) for r in q])
    got = TiedMahalanobis(shrinkage=0.0, ridge=0.0).fit(x, y).score(q)
    np.testing.assert_allclose(got, direct, rtol=1e-8)


def test_mahalanobis_ranks_far_rows_above_training_rows_even_when_rank_deficient() -> None:
    g = np.random.default_rng(2)
    x = np.c_[g.normal(size=(200, 2)), np.zeros(200)]  # a constant feature: singular covariance
    y = np.arange(200) % 2
    m = TiedMahalanobis().fit(x, y)
    inside = m.score(x)
    far = m.score(np.array([[6.0, -6.0, 0.0], [0.0, 0.0, 1.0]]))
    assert np.all(np.isfinite(inside))
    assert far.min() > np.quantile(inside, 0.99)


def test_output_scores_match_softmax_and_logsumexp() -> None:
    z = np.random.default_rng(3).normal(size=(20, 5)) * 3
    msp, margin, energy = output_scores(z, 2.0)
    p = np.sort(apply_temperature(z, 2.0), axis=1)
    np.testing.assert_allclose(msp, 1 - p[:, -1])
    np.testing.assert_allclose(margin, -(p[:, -1] - p[:, -2]))
    np.testing.assert_allclose(energy, -2.0 * logsumexp(z / 2.0, axis=1))
    with pytest.raises(ConfigurationError, match="temperature"):
        output_scores(z, 0.0)


def test_range_and_grid_are_zero_on_training_rows_and_positive_off_them() -> None:
    g = np.random.default_rng(4)
    raw = np.c_[g.integers(0, 17, 300), g.normal(size=300), 0.25 * g.integers(0, 8, 300)]
    r, grid = InputRange().fit(raw), InputGrid().fit(raw)
    assert grid.has_grid_.tolist() == [True, False, True]
    assert r.score(raw).max() == 0.0
    assert grid.score(raw).max() == 0.0
    off = np.array([[3.5, 0.0, 0.5], [3.0, 0.0, 0.6], [20.0, 0.0, 0.5], [np.nan, np.nan, 0.5]])
    assert grid.score(off).tolist() == [1.0, 1.0, 0.0, 0.0]
    out = r.score(off)
    assert out[2] == pytest.approx((20.0 - raw[:, 0].max()) / raw[:, 0].std())
    assert out[[0, 1, 3]].tolist() == [0.0, 0.0, 0.0]
    assert np.isinf(r.score(np.array([[np.inf, 0.0, 0.5]])))[0]
    assert grid.score(np.array([[np.inf, 0.0, 0.5]])).tolist() == [0.0]


# ---- the scorer -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fitted() -> RequestScorer:
    g = np.random.default_rng(5)
    x, z, raw, y = blobs(g, 600)
    xc, zc, rc, _ = blobs(g, 300)
    return RequestScorer(alpha=0.05, temperature=1.3).fit(x, z, raw, y).calibrate(xc, zc, rc)


def test_conformal_flags_hold_the_false_positive_rate_on_exchangeable_rows() -> None:
    g = np.random.default_rng(6)
    x, z, raw, y = blobs(g, 600)
    scorer = RequestScorer(alpha=0.05).fit(x, z, raw, y)
    rates = []
    for _ in range(150):
        scorer.calibrate(*blobs(g, 100)[:3])
        p = scorer.score(*blobs(g, 100)[:3]).p_value
        rates.append([np.mean(p <= 0.05), np.mean(p <= 0.2)])
    # E[FPR] = floor(alpha * 101) / 101: 0.0495 and 0.198; means of 150 draws have SE <= 0.004
    assert abs(np.mean(rates, axis=0) - [0.0495, 0.198]).max() < 0.015


def test_shifted_rows_get_small_p_values(fitted: RequestScorer) -> None:
    g = np.random.default_rng(7)
    clean = fitted.score(*blobs(g, 300)[:3])
    x, z, raw, _ = blobs(g, 300, shift=3.0)
    shifted = fitted.score(x, z, raw + 0.25)  # also off the 0.5-grid
    assert shifted.flags().mean() > 0.9 > 0.2 > clean.flags().mean()
    per = fitted.component_p_values(shifted)
    assert set(per) == set(fitted.used_)
    assert np.median(per["off_grid"]) < 0.01


def test_conformal_p_values_count_ties_as_at_least() -> None:
    assert conformal_p_values(np.array([1.0, 1.0, 2.0]), [1.0, 3.0]).tolist() == [1.0, 0.25]


def test_round_trip_gives_identical_scores(fitted: RequestScorer) -> None:
    g = np.random.default_rng(8)
    rows = blobs(g, 50, shift=1.0)[:3]
    back = RequestScorer.from_bytes(fitted.to_bytes())
    a, b = fitted.score(*rows), back.score(*rows)
    for name in ("max_softmax", "mahalanobis", "off_grid", "combined", "p_value"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert back.get_params() == fitted.get_params()
    assert back.used_ == fitted.used_


def test_round_trip_without_raw_values() -> None:
    g = np.random.default_rng(9)
    x, z, _, y = blobs(g, 200)
    s = RequestScorer(scores=COMPONENTS).fit(x, z, None, y).calibrate(x[:50], z[:50], None)
    back = RequestScorer.from_bytes(s.to_bytes())
    assert back.used_ == ("max_softmax", "margin", "energy", "mahalanobis")
    assert RequestScorer().fit(x, z, None, y).used_ == ("mahalanobis",)
    out = back.score(x[:3], z[:3])
    assert np.isnan(out.out_of_range).all()
    np.testing.assert_array_equal(out.p_value, s.score(x[:3], z[:3]).p_value)


def _archive(data: bytes, **replace: object) -> bytes:
    with np.load(io.BytesIO(data), allow_pickle=False) as a:
        arrays = {k: a[k] for k in a.files}
    arrays.update(replace)  # type: ignore[arg-type]
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]
    return buffer.getvalue()


def test_corrupt_bytes_raise_serialization_error(fitted: RequestScorer) -> None:
    good = fitted.to_bytes()
    bad = [
        b"not an archive",
        good[: len(good) // 2],
        _archive(good, meta=np.array('{"format": "other", "version": 1}')),
        _archive(good, meta=np.array("{not json")),
        _archive(good, center=np.zeros(2)),
        _archive(good, calibration_components=np.zeros((3, 3))),
    ]
    for data in bad:
        with pytest.raises(SerializationError):
            RequestScorer.from_bytes(data)
    with np.load(io.BytesIO(good)) as a:
        missing = {k: a[k] for k in a.files if k != "whitening"}
    buffer = io.BytesIO()
    np.savez(buffer, **missing)  # type: ignore[arg-type]
    with pytest.raises(SerializationError):
        RequestScorer.from_bytes(buffer.getvalue())


def test_configuration_and_lifecycle_errors(fitted: RequestScorer) -> None:
    g = np.random.default_rng(10)
    x, z, raw, y = blobs(g, 100)
    with pytest.raises(ConfigurationError, match="alpha"):
        RequestScorer(alpha=1.5).fit(x, z, raw, y)
    with pytest.raises(ConfigurationError, match="scores"):
        RequestScorer(scores=("bogus",)).fit(x, z, raw, y)
    with pytest.raises(NotFittedError):
        RequestScorer().fit(x, z, raw, y).score(x, z, raw)
    with pytest.raises(ConfigurationError, match="raw"):
        fitted.score(x, z, None)
    with pytest.raises(ConfigurationError, match="rows"):
        fitted.score(x[:5], z[:4], raw[:5])
    with pytest.raises(NotFittedError):
        RequestScorer().to_bytes()


# ---- the model hook -------------------------------------------------------------------------


def _encoder(x: np.ndarray):  # type: ignore[no-untyped-def]
    from driftguard.schema.features import infer_schema
    from driftguard.training.encoding import TabularEncoder

    cols = {f"f{j}": x[:, j] for j in range(x.shape[1])}
    return TabularEncoder(infer_schema(cols)).fit(cols)


@pytest.mark.parametrize("kind", ["mlp", "cnn", "logreg"])
def test_features_and_logits_match_logits_encoded(kind: str) -> None:
    import torch
    from sklearn.linear_model import LogisticRegression

    from driftguard.training.config import TorchConfig
    from driftguard.training.predictor import Predictor
    from driftguard.training.torch_models import build_model

    g = np.random.default_rng(11)
    x = g.normal(size=(12, 16)).astype(np.float32)
    y = np.arange(12) % 3
    if kind == "logreg":
        model, framework = LogisticRegression(max_iter=500).fit(x, y), "sklearn"
    else:
        config = TorchConfig(
            model=kind,
            hidden=(4, 8) if kind == "cnn" else (8, 6),
            dropout=0.3,
            image_shape=(1, 4, 4) if kind == "cnn" else None,
        )
        model, framework = build_model(config, 16, 3), "torch"
        model.train()  # the hook must switch to eval mode itself (dropout off)
    p = Predictor(framework, _encoder(x), ("a", "b", "c"), 1.0, model)
    features, logits = p.features_and_logits_encoded(x)
    np.testing.assert_allclose(logits, p.logits_encoded(x), rtol=1e-6, atol=1e-6)
    if kind == "logreg":
        np.testing.assert_array_equal(features, x.astype(np.float64))
    elif kind == "mlp":
        with torch.no_grad():
            expected = model.net[:-1](torch.from_numpy(x)).numpy()
        assert features.shape == (12, 6)
        np.testing.assert_allclose(features, expected, rtol=1e-6)
    else:
        with torch.no_grad():
            head = model.head[-1]
            np.testing.assert_allclose(
                head(torch.from_numpy(features.astype(np.float32))).numpy(),
                logits,
                rtol=1e-5,
                atol=1e-5,
            )
        assert features.shape == (12, 8)  # 8 channels, 4x4 pooled twice to 1x1


def test_state_dict_keys_are_unchanged() -> None:
    from driftguard.training.torch_models import MLP, SmallCNN

    assert list(MLP(4, (8,), 3).state_dict()) == [
        "net.0.weight",
        "net.0.bias",
        "net.2.weight",
        "net.2.bias",
    ]
    keys = list(SmallCNN((1, 8, 8), (4,), 10).state_dict())
    assert keys == ["features.0.weight", "features.0.bias", "head.2.weight", "head.2.bias"]
