"""A regularized, seeded torch classifier trainer with temperature scaling.

:class:`TorchTrainer` trains an :mod:`~driftguard.training.torch_models` network with AdamW
(decoupled weight decay) on the cross-entropy loss (optionally label-smoothed), with dropout,
Mixup, Cutout, gradient clipping and an exponential moving average of the weights as options.
After each epoch the validation loss (plain cross-entropy) and accuracy are recorded; early
stopping watches the validation loss and can restore the best epoch's weights. Finally a
temperature is fitted on the validation logits.

Runs are reproducible on CPU: the seed fixes initialisation, dropout (torch's generator,
forked so the caller's random state is untouched), shuffling and augmentation (a numpy
``Generator``), and deterministic algorithms are switched on for the duration of ``fit``.

Examples
--------
>>> import numpy as np
>>> from driftguard.training.config import TorchConfig
>>> g = np.random.default_rng(0)
>>> x = g.normal(size=(120, 4)).astype(np.float32)
>>> y = (x[:, 0] > 0).astype(np.int64)
>>> cfg = TorchConfig(hidden=(8,), epochs=5, progress=False)
>>> trainer = TorchTrainer(cfg).fit(x[:80], y[:80], x[80:], y[80:])
>>> trainer.epochs_run_, len(trainer.history_), trainer.predict_proba(x[:2]).shape
(5, 5, (2, 2))
"""

from __future__ import annotations

import copy
import math
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any, Self

import numpy as np
import numpy.typing as npt
import torch
from torch import nn
from tqdm import tqdm  # type: ignore[import-untyped]

from driftguard.errors import ConfigurationError, NotFittedError, TrainingDataError
from driftguard.training.config import TorchConfig
from driftguard.training.temperature import apply_temperature, fit_temperature
from driftguard.training.torch_models import build_model, cutout, load_model, mixup, save_weights

__all__ = [
    "EpochRecord",
    "TorchTrainer",
    "TrainingReport",
    "cutout",
    "load_model",
    "mixup",
    "save_weights",
]

_PREDICT_CHUNK = 8192


@dataclass(frozen=True, slots=True)
class EpochRecord:
    """Losses and accuracy after one epoch (``epoch`` counts from 1).

    Examples
    --------
    >>> EpochRecord(1, 0.9, 0.8, 0.7).to_dict()["val_loss"]
    0.8
    """

    epoch: int
    train_loss: float
    val_loss: float
    val_accuracy: float

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class TrainingReport:
    """What a training run did: history, best epoch, epochs run, wall time, temperature.

    Examples
    --------
    >>> r = TrainingReport((EpochRecord(1, 0.9, 0.8, 0.7),), 1, 1, 0.5, 1.2)
    >>> r.to_dict()["history"][0]["train_loss"], r.to_dict()["temperature"]
    (0.9, 1.2)
    """

    history: tuple[EpochRecord, ...]
    best_epoch: int
    epochs_run: int
    wall_time_s: float
    temperature: float

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "history": [record.to_dict() for record in self.history],
            "best_epoch": self.best_epoch,
            "epochs_run": self.epochs_run,
            "wall_time_s": self.wall_time_s,
            "temperature": self.temperature,
        }


def _features(x: npt.ArrayLike, name: str, error: type[Exception]) -> npt.NDArray[np.float32]:
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise error(f"{name}: features must be numbers") from None
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise error(f"{name}: expected a non-empty 2-D array, got shape {arr.shape}")
    bad = np.argwhere(~np.isfinite(arr))
    if bad.size:
        row, col = (int(v) for v in bad[0])
        raise error(f"{name}: NaN or infinite value at row {row}, column {col}")
    return arr.astype(np.float32)


def _targets(y: npt.ArrayLike, n: int, name: str) -> npt.NDArray[np.int64]:
    labels = np.asarray(y)
    if labels.ndim != 1 or labels.shape[0] != n:
        raise TrainingDataError(
            f"{name}: {labels.shape[0]} labels for {n} rows (shape {labels.shape})"
        )
    if labels.dtype.kind == "f":
        if np.isnan(labels).any():
            raise TrainingDataError(f"{name}: NaN target at row {int(np.argmax(np.isnan(labels)))}")
        if not np.all(labels == np.round(labels)):
            raise TrainingDataError(f"{name}: targets must be integer class codes 0..K-1")
    elif labels.dtype.kind not in "iu":
        raise TrainingDataError(f"{name}: targets must be integer class codes, got {labels.dtype}")
    out = labels.astype(np.int64)
    if out.min() < 0:
        raise TrainingDataError(f"{name}: negative class code {int(out.min())}")
    return out


def _holdout(y: npt.NDArray[np.int64], fraction: float, seed: int) -> npt.NDArray[np.bool_]:
    """A stratified validation mask holding ``fraction`` of each class (one row at least)."""
    rng = np.random.default_rng(seed)
    mask = np.zeros(len(y), dtype=bool)
    for label in np.unique(y):
        rows = rng.permutation(np.flatnonzero(y == label))
        if len(rows) >= 2:
            mask[rows[: min(max(round(fraction * len(rows)), 1), len(rows) - 1)]] = True
    if not mask.any():
        raise TrainingDataError("y_train: too few rows per class to hold out a validation split")
    return mask


def _evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    logits = _logits(model, x)
    loss = nn.functional.cross_entropy(logits.double(), y)
    return float(loss), float((logits.argmax(dim=1) == y).double().mean())


def _logits(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    model.eval()
    with torch.no_grad():
        return torch.cat(
            [model(x[i : i + _PREDICT_CHUNK]) for i in range(0, len(x), _PREDICT_CHUNK)]
        )


class TorchTrainer:
    """Train a seeded, regularized torch classifier and calibrate it by temperature scaling.

    Parameters
    ----------
    config : TorchConfig
        Network, optimiser, regularization and early-stopping settings.

    Attributes
    ----------
    model_ : torch.nn.Module
        The trained network (the EMA weights when ``ema_decay`` is set), in eval mode.
    history_ : tuple of EpochRecord
        Per epoch: training loss, validation loss, validation accuracy.
    best_epoch_, epochs_run_ : int
        Epoch with the lowest validation loss (1-based), and epochs trained.
    wall_time_s_ : float
        Seconds ``fit`` took (training and temperature fitting).
    temperature_ : float
        Temperature fitted on the validation split.
    report_ : TrainingReport
        All of the above (except the model) as one frozen value.
    n_inputs_, n_classes_ : int
        Row width and number of classes (largest label + 1 of training and validation).

    Examples
    --------
    >>> import numpy as np
    >>> from driftguard.training.config import TorchConfig
    >>> g = np.random.default_rng(1)
    >>> x, y = g.normal(size=(80, 3)).astype(np.float32), g.integers(0, 2, size=80)
    >>> cfg = TorchConfig(hidden=(16,), lr=1e-2, epochs=50, early_stopping_patience=2,
    ...                   progress=False)
    >>> t = TorchTrainer(cfg).fit(x, y)  # pure-noise labels: validation loss soon rises
    >>> t.epochs_run_ < 50, t.best_epoch_ <= t.epochs_run_
    (True, True)
    """

    def __init__(self, config: TorchConfig) -> None:
        self.config = config

    def fit(
        self,
        X_train: npt.ArrayLike,  # noqa: N803 (the usual name for a feature matrix)
        y_train: npt.ArrayLike,
        X_val: npt.ArrayLike | None = None,  # noqa: N803
        y_val: npt.ArrayLike | None = None,
    ) -> Self:
        """Train on ``(X_train, y_train)``, validating on ``(X_val, y_val)``.

        Without a validation split, ``config.val_fraction`` of each class of the training
        rows is held out (seeded).

        Raises
        ------
        TrainingDataError
            NaN or infinite features, NaN or non-integer targets, mismatched lengths, a
            single class, or validation rows of another width.
        """
        cfg = self.config
        if not isinstance(cfg, TorchConfig):
            raise ConfigurationError(f"config must be a TorchConfig, got {type(cfg).__name__}")
        start = time.perf_counter()
        x_tr = _features(X_train, "X_train", TrainingDataError)
        y_tr = _targets(y_train, x_tr.shape[0], "y_train")
        if X_val is not None and y_val is not None:
            x_va = _features(X_val, "X_val", TrainingDataError)
            y_va = _targets(y_val, x_va.shape[0], "y_val")
        elif X_val is None and y_val is None:
            val = _holdout(y_tr, cfg.val_fraction, cfg.seed)
            x_tr, y_tr, x_va, y_va = x_tr[~val], y_tr[~val], x_tr[val], y_tr[val]
        else:
            raise ConfigurationError("X_val and y_val must be given together")
        if x_va.shape[1] != x_tr.shape[1]:
            raise TrainingDataError(
                f"X_val: rows have {x_va.shape[1]} features but X_train rows have {x_tr.shape[1]}"
            )
        if np.unique(y_tr).size < 2:
            raise TrainingDataError(f"y_train: a single class ({int(y_tr[0])}); need at least two")
        self.n_inputs_ = int(x_tr.shape[1])
        self.n_classes_ = int(max(y_tr.max(), y_va.max())) + 1
        warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
        previous = torch.are_deterministic_algorithms_enabled()
        torch.use_deterministic_algorithms(True)
        try:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(cfg.seed)
                self._train(*(torch.from_numpy(a) for a in (x_tr, y_tr, x_va, y_va)))
        finally:
            torch.use_deterministic_algorithms(previous, warn_only=warn_only)
        self.temperature_ = fit_temperature(
            _logits(self.model_, torch.from_numpy(x_va)).numpy(), y_va
        )
        self.wall_time_s_ = time.perf_counter() - start
        self.report_ = TrainingReport(
            self.history_, self.best_epoch_, self.epochs_run_, self.wall_time_s_, self.temperature_
        )
        return self

    def _train(
        self, x_tr: torch.Tensor, y_tr: torch.Tensor, x_va: torch.Tensor, y_va: torch.Tensor
    ) -> None:
        cfg = self.config
        model = build_model(cfg, self.n_inputs_, self.n_classes_)
        ema = copy.deepcopy(model).requires_grad_(False) if cfg.ema_decay is not None else None
        optimiser = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        loss_fn = nn.CrossEntropyLoss(label_smoothing=cfg.label_smoothing)
        rng = np.random.default_rng(cfg.seed)
        history: list[EpochRecord] = []
        best_loss, best_epoch, best_state, waited = math.inf, 0, None, 0
        stopping = cfg.early_stopping_patience is not None
        silent = not (cfg.progress and sys.stderr.isatty())
        with tqdm(total=cfg.epochs, desc="train", unit="epoch", disable=silent) as bar:
            for epoch in range(1, cfg.epochs + 1):
                train_loss = self._epoch(model, ema, optimiser, loss_fn, x_tr, y_tr, rng)
                if not math.isfinite(train_loss):
                    raise ConfigurationError(
                        f"lr: training diverged at epoch {epoch} (loss {train_loss}); "
                        "lower lr or set grad_clip"
                    )
                judged = ema if ema is not None else model
                val_loss, val_acc = _evaluate(judged, x_va, y_va)
                history.append(EpochRecord(epoch, train_loss, val_loss, val_acc))
                bar.update(1)
                bar.set_postfix(
                    train=f"{train_loss:.4f}", val=f"{val_loss:.4f}", acc=f"{val_acc:.3f}"
                )
                if val_loss < best_loss - cfg.min_delta:
                    best_loss, best_epoch, waited = val_loss, epoch, 0
                    if stopping and cfg.restore_best:
                        best_state = copy.deepcopy(judged.state_dict())
                else:
                    waited += 1
                if stopping and waited >= (cfg.early_stopping_patience or 0):
                    break
        final = ema if ema is not None else model
        if best_state is not None:
            final.load_state_dict(best_state)
        self.model_ = final.eval()
        self.history_ = tuple(history)
        self.best_epoch_ = best_epoch
        self.epochs_run_ = len(history)

    def _epoch(
        self,
        model: nn.Module,
        ema: nn.Module | None,
        optimiser: torch.optim.Optimizer,
        loss_fn: nn.Module,
        x: torch.Tensor,
        y: torch.Tensor,
        rng: np.random.Generator,
    ) -> float:
        cfg = self.config
        model.train()
        order = torch.from_numpy(rng.permutation(len(x)))
        total = 0.0
        for batch in torch.split(order, cfg.batch_size):
            xb, yb = x[batch], y[batch]
            if cfg.cutout_size and cfg.image_shape is not None:
                xb = cutout(xb, cfg.image_shape, cfg.cutout_size, rng)
            if cfg.mixup_alpha > 0:
                xb, ya, yb2, lam = mixup(xb, yb, cfg.mixup_alpha, rng)
                out = model(xb)
                loss = lam * loss_fn(out, ya) + (1.0 - lam) * loss_fn(out, yb2)
            else:
                loss = loss_fn(model(xb), yb)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            if cfg.grad_clip is not None:
                nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            optimiser.step()
            if ema is not None and cfg.ema_decay is not None:
                with torch.no_grad():
                    for kept, live in zip(ema.parameters(), model.parameters(), strict=True):
                        kept.lerp_(live, 1.0 - cfg.ema_decay)
            total += loss.item() * len(batch)
        return total / len(x)

    def _require_fitted(self) -> nn.Module:
        if not hasattr(self, "report_"):
            raise NotFittedError("TorchTrainer is not fitted; call fit(X_train, y_train) first")
        return self.model_

    def predict_logits(self, X: npt.ArrayLike) -> npt.NDArray[np.float64]:  # noqa: N803
        """Raw logits of the rows of ``X`` (float64, shape ``(n, n_classes_)``)."""
        model = self._require_fitted()
        x = _features(X, "X", ConfigurationError)
        if x.shape[1] != self.n_inputs_:
            raise ConfigurationError(
                f"X: rows have {x.shape[1]} features, expected {self.n_inputs_}"
            )
        return _logits(model, torch.from_numpy(x)).numpy().astype(np.float64)

    def predict_proba(self, X: npt.ArrayLike) -> npt.NDArray[np.float64]:  # noqa: N803
        """Temperature-scaled class probabilities of the rows of ``X``."""
        return apply_temperature(self.predict_logits(X), self.temperature_)
