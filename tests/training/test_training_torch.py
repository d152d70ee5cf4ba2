"""The torch trainer: augmentations, early stopping, determinism, codec and input errors."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
import torch

from driftguard.errors import (
    ConfigurationError,
    NotFittedError,
    SerializationError,
    TrainingDataError,
)
from driftguard.training.config import TorchConfig
from driftguard.training.temperature import apply_temperature, fit_temperature, softmax
from driftguard.training.torch_trainer import (
    TorchTrainer,
    TrainingReport,
    cutout,
    load_model,
    mixup,
    save_weights,
)


@pytest.fixture(autouse=True, scope="module")
def _one_thread() -> Iterator[None]:
    """Small models train faster on one thread, and the machine is shared."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _blobs(n: int = 150, d: int = 6, k: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    g = np.random.default_rng(seed)
    y = g.integers(0, k, size=n)
    centres = g.normal(scale=2.0, size=(k, d))
    return (centres[y] + g.normal(size=(n, d))).astype(np.float32), y


def _noise(n: int = 120, d: int = 8, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    g = np.random.default_rng(seed)
    return g.normal(size=(n, d)).astype(np.float32), g.integers(0, 2, size=n)


def _cfg(**kw: Any) -> TorchConfig:
    base: dict[str, Any] = {"hidden": (16,), "epochs": 4, "batch_size": 16, "progress": False}
    return TorchConfig(**{**base, **kw})


def _state(trainer: TorchTrainer) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in trainer.model_.state_dict().items()}


# --- augmentations -----------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 7, 33])
def test_mixup_mixes_rows_with_a_permutation(n: int) -> None:
    g = np.random.default_rng(n)
    x = torch.from_numpy(g.normal(size=(n, 5)).astype(np.float32))
    y = torch.arange(n)
    mixed, y_a, y_b, lam = mixup(x, y, 0.4, np.random.default_rng(1))
    assert 0.0 <= lam <= 1.0
    assert mixed.shape == x.shape
    assert torch.equal(y_a, y)
    assert sorted(y_b.tolist()) == list(range(n))  # partners form a permutation
    torch.testing.assert_close(mixed, lam * x + (1 - lam) * x[y_b])
    if n == 1:
        torch.testing.assert_close(mixed, x)  # a single row is mixed with itself


@pytest.mark.parametrize("batch_size", [1, 7])
def test_training_with_mixup_on_odd_and_single_row_batches(batch_size: int) -> None:
    x, y = _blobs(n=43)
    cfg = _cfg(mixup_alpha=0.3, batch_size=batch_size, epochs=2)
    trainer = TorchTrainer(cfg).fit(x[:29], y[:29], x[29:], y[29:])
    assert all(np.isfinite(r.train_loss) for r in trainer.history_)
    assert trainer.epochs_run_ == 2


def test_cutout_zeroes_one_square_per_image_in_every_channel() -> None:
    shape = (3, 6, 5)
    x = torch.ones(40, 90)
    out = cutout(x, shape, 3, np.random.default_rng(0)).reshape(40, *shape)
    assert torch.equal(torch.ones(40, 90), x)  # input untouched
    tops = set()
    for image in out:
        zero = (image == 0).all(dim=0)
        assert torch.equal((image == 0).any(dim=0), zero)  # same pixels in all channels
        rows, cols = torch.nonzero(zero, as_tuple=True)
        assert len(rows) == 9
        assert rows.max() - rows.min() == 2
        assert cols.max() - cols.min() == 2
        tops.add((int(rows.min()), int(cols.min())))
    assert len(tops) > 5  # the square moves


def test_cutout_needs_an_image_shape() -> None:
    with pytest.raises(ConfigurationError, match="cutout_size needs image_shape"):
        TorchConfig(cutout_size=2)
    with pytest.raises(ConfigurationError, match="larger than the image"):
        TorchConfig(cutout_size=9, image_shape=(1, 8, 8))
    x, y = _blobs(d=6)
    with pytest.raises(ConfigurationError, match="image_shape"):
        TorchTrainer(_cfg(cutout_size=2, image_shape=(1, 4, 4))).fit(x, y)


def test_cnn_trains_on_digit_sized_images_with_cutout() -> None:
    g = np.random.default_rng(0)
    y = g.integers(0, 2, size=120)
    x = g.random((120, 1, 8, 8)).astype(np.float32) * 0.3
    x[y == 1, :, 2:6, 2:6] += 1.0  # class 1 has a bright centre
    x = x.reshape(120, 64)
    cfg = _cfg(model="cnn", hidden=(4, 8), image_shape=(1, 8, 8), cutout_size=2, epochs=15, lr=1e-2)
    trainer = TorchTrainer(cfg).fit(x[:80], y[:80], x[80:], y[80:])
    assert trainer.history_[-1].val_accuracy >= 0.9


# --- early stopping ----------------------------------------------------------------------


def _val_loss(trainer: TorchTrainer, x: np.ndarray, y: np.ndarray) -> float:
    logits = torch.from_numpy(trainer.predict_logits(x))
    return float(torch.nn.functional.cross_entropy(logits, torch.from_numpy(y)))


def test_early_stopping_stops_and_restores_the_best_weights() -> None:
    x, y = _noise()  # labels are noise: the validation loss soon rises
    cfg = _cfg(hidden=(64,), lr=1e-2, epochs=200, early_stopping_patience=3)
    trainer = TorchTrainer(cfg).fit(x[:80], y[:80], x[80:], y[80:])
    assert trainer.epochs_run_ < 200
    assert trainer.epochs_run_ == trainer.best_epoch_ + 3
    best = trainer.history_[trainer.best_epoch_ - 1]
    assert best.val_loss == min(r.val_loss for r in trainer.history_)
    assert _val_loss(trainer, x[80:], y[80:]) == pytest.approx(best.val_loss, abs=1e-6)
    report = trainer.report_
    assert isinstance(report, TrainingReport)
    assert report.epochs_run == trainer.epochs_run_ == len(report.history)
    assert json.loads(json.dumps(report.to_dict()))["best_epoch"] == trainer.best_epoch_


def test_early_stopping_without_restore_keeps_the_last_weights() -> None:
    x, y = _noise()
    cfg = _cfg(hidden=(64,), lr=1e-2, epochs=200, early_stopping_patience=3, restore_best=False)
    trainer = TorchTrainer(cfg).fit(x[:80], y[:80], x[80:], y[80:])
    last = trainer.history_[-1]
    assert _val_loss(trainer, x[80:], y[80:]) == pytest.approx(last.val_loss, abs=1e-6)
    assert last.val_loss > trainer.history_[trainer.best_epoch_ - 1].val_loss


def test_min_delta_counts_only_real_improvements() -> None:
    x, y = _blobs()
    cfg = _cfg(epochs=50, early_stopping_patience=2, min_delta=10.0)
    trainer = TorchTrainer(cfg).fit(x[:100], y[:100], x[100:], y[100:])
    assert (trainer.best_epoch_, trainer.epochs_run_) == (1, 3)


def test_temperature_is_fitted_on_the_validation_logits() -> None:
    x, y = _blobs()
    trainer = TorchTrainer(_cfg()).fit(x[:100], y[:100], x[100:], y[100:])
    expected = fit_temperature(trainer.predict_logits(x[100:]), y[100:])
    assert trainer.temperature_ == pytest.approx(expected, rel=1e-6)
    assert trainer.report_.temperature == trainer.temperature_


def test_progress_bar_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    x, y = _blobs()
    screen, pipe = Terminal(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", screen)
    TorchTrainer(_cfg(progress=True, epochs=2)).fit(x, y)
    assert all(key in screen.getvalue() for key in ("2/2", "train=", "val=", "acc="))
    monkeypatch.setattr(sys, "stderr", pipe)
    TorchTrainer(_cfg(progress=True, epochs=2)).fit(x, y)
    assert pipe.getvalue() == ""


def test_validation_split_is_held_out_when_not_given() -> None:
    x, y = _blobs(n=200)
    trainer = TorchTrainer(_cfg(val_fraction=0.25)).fit(x, y)
    assert trainer.temperature_ > 0
    assert trainer.predict_proba(x).shape == (200, 3)


# --- determinism -------------------------------------------------------------------------

REGULARIZED = {
    "dropout": 0.2,
    "weight_decay": 0.01,
    "mixup_alpha": 0.2,
    "cutout_size": 2,
    "image_shape": (1, 2, 3),
    "label_smoothing": 0.1,
    "grad_clip": 1.0,
    "ema_decay": 0.9,
}


def test_same_seed_gives_identical_weights_and_different_seed_does_not() -> None:
    x, y = _blobs()
    cfg = _cfg(seed=5, **REGULARIZED)
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    a = TorchTrainer(cfg).fit(x[:100], y[:100], x[100:], y[100:])
    assert torch.equal(torch.random.get_rng_state(), before)  # caller's RNG untouched
    b = TorchTrainer(cfg).fit(x[:100], y[:100], x[100:], y[100:])
    c = TorchTrainer(replace(cfg, seed=6)).fit(x[:100], y[:100], x[100:], y[100:])
    sa, sb, sc = _state(a), _state(b), _state(c)
    assert sa.keys() == sb.keys() == sc.keys()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not all(torch.equal(sa[k], sc[k]) for k in sa)
    assert a.history_ == b.history_
    assert a.temperature_ == b.temperature_


def test_ema_weights_become_the_model() -> None:
    x, y = _blobs()
    plain = TorchTrainer(_cfg()).fit(x[:100], y[:100], x[100:], y[100:])
    ema = TorchTrainer(_cfg(ema_decay=0.5)).fit(x[:100], y[:100], x[100:], y[100:])
    sp, se = _state(plain), _state(ema)
    assert not all(torch.equal(sp[k], se[k]) for k in sp)
    assert not any(p.requires_grad for p in ema.model_.parameters())


# --- codec and prediction ----------------------------------------------------------------


@pytest.mark.parametrize(
    "extra",
    [{}, {"model": "cnn", "hidden": (4,), "image_shape": (1, 2, 3), "dropout": 0.3}],
)
def test_safetensors_round_trip_gives_identical_logits(extra: dict[str, Any]) -> None:
    x, y = _blobs()
    cfg = _cfg(**extra)
    trainer = TorchTrainer(cfg).fit(x[:100], y[:100], x[100:], y[100:])
    data = save_weights(trainer.model_)
    assert isinstance(data, bytes)
    model = load_model(cfg, trainer.n_inputs_, trainer.n_classes_, data)
    with torch.no_grad():
        logits = model(torch.from_numpy(x)).numpy()
    np.testing.assert_array_equal(logits, trainer.predict_logits(x).astype(np.float32))
    probs = trainer.predict_proba(x)
    np.testing.assert_allclose(probs, apply_temperature(logits, trainer.temperature_), atol=1e-6)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)


def test_load_model_rejects_foreign_or_mismatched_bytes() -> None:
    x, y = _blobs()
    trainer = TorchTrainer(_cfg()).fit(x[:100], y[:100], x[100:], y[100:])
    data = save_weights(trainer.model_)
    with pytest.raises(SerializationError):
        load_model(_cfg(), 6, 3, b"not safetensors")
    with pytest.raises(SerializationError):
        load_model(_cfg(hidden=(32,)), 6, 3, data)
    with pytest.raises(SerializationError):
        load_model(_cfg(), 6, 4, data)


def test_predict_checks() -> None:
    x, y = _blobs()
    with pytest.raises(NotFittedError):
        TorchTrainer(_cfg()).predict_logits(x)
    trainer = TorchTrainer(_cfg()).fit(x[:100], y[:100], x[100:], y[100:])
    with pytest.raises(ConfigurationError, match="features"):
        trainer.predict_logits(x[:, :3])
    with pytest.raises(ConfigurationError, match="NaN"):
        trainer.predict_logits(np.full((2, 6), np.nan))
    assert softmax(trainer.predict_logits(x)).shape == (150, 3)


# --- clear errors on bad data and config -------------------------------------------------


def _fit(x: Any, y: Any, xv: Any = None, yv: Any = None) -> None:
    TorchTrainer(_cfg(epochs=1)).fit(x, y, xv, yv)


def test_bad_training_data_is_refused_with_a_clear_message() -> None:
    x, y = _blobs(n=40)
    y_nan = y.astype(float)
    y_nan[7] = np.nan
    x_nan, x_inf = x.copy(), x.copy()
    x_nan[3, 2] = np.nan
    x_inf[5, 1] = np.inf
    with pytest.raises(TrainingDataError, match="NaN target at row 7"):
        _fit(x, y_nan)
    with pytest.raises(TrainingDataError, match="single class"):
        _fit(x, np.zeros(40, dtype=int))
    with pytest.raises(TrainingDataError, match="39 labels for 40 rows"):
        _fit(x, y[:39])
    with pytest.raises(TrainingDataError, match="row 3, column 2"):
        _fit(x_nan, y)
    with pytest.raises(TrainingDataError, match="row 5, column 1"):
        _fit(x, y, x_inf, y)
    with pytest.raises(TrainingDataError, match="X_val"):
        _fit(x, y, x[:, :3], y)
    with pytest.raises(TrainingDataError, match="integer class codes"):
        _fit(x, np.array(["a", "b"] * 20))
    with pytest.raises(TrainingDataError, match="integer class codes"):
        _fit(x, y + 0.5)
    with pytest.raises(ConfigurationError, match="together"):
        _fit(x, y, x)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("model", "transformer"),
        ("hidden", (16, 0)),
        ("hidden", "16"),
        ("image_shape", (8, 8)),
        ("dropout", 1.0),
        ("weight_decay", -0.1),
        ("lr", 0.0),
        ("lr", float("nan")),
        ("epochs", 0),
        ("epochs", 2.5),
        ("batch_size", True),
        ("early_stopping_patience", 0),
        ("min_delta", -1.0),
        ("restore_best", 1),
        ("mixup_alpha", -0.2),
        ("cutout_size", -1),
        ("label_smoothing", 1.0),
        ("grad_clip", 0.0),
        ("ema_decay", 1.0),
        ("ema_decay", 0.0),
        ("seed", -1),
        ("val_fraction", 0.0),
        ("progress", "yes"),
    ],
)
def test_config_names_the_bad_field(field: str, value: Any) -> None:
    with pytest.raises(ConfigurationError, match=field):
        TorchConfig(**{field: value})


def test_config_round_trip_and_cnn_requirements() -> None:
    cfg = TorchConfig(model="cnn", hidden=(8, 16), image_shape=(1, 8, 8), ema_decay=0.99)
    data = json.loads(json.dumps(cfg.to_dict()))
    assert TorchConfig.from_dict({**data, "n_inputs": 64}) == cfg
    with pytest.raises(ConfigurationError, match="image_shape"):
        TorchConfig(model="cnn")
    with pytest.raises(ConfigurationError, match="hidden"):
        TorchConfig(model="cnn", hidden=(), image_shape=(1, 8, 8))
    assert TorchConfig(hidden=()).hidden == ()
