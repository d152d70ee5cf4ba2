"""Hyper-parameters of the torch trainer, validated on construction (no torch import).

Examples
--------
>>> cfg = TorchConfig(model="cnn", hidden=(16, 32), image_shape=(1, 8, 8), cutout_size=3)
>>> TorchConfig.from_dict(cfg.to_dict()) == cfg
True
>>> TorchConfig(dropout=1.5)
Traceback (most recent call last):
...
driftguard.errors.ConfigurationError: dropout must be in [0, 1), got 1.5
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from driftguard.errors import ConfigurationError

__all__ = ["MODELS", "TorchConfig"]

#: Network families :mod:`driftguard.training.torch_models` can build.
MODELS = ("mlp", "cnn")


_INT_FIELDS = ("epochs", "batch_size", "early_stopping_patience", "cutout_size", "seed")
_FLOAT_FIELDS = (
    "dropout",
    "weight_decay",
    "lr",
    "min_delta",
    "mixup_alpha",
    "label_smoothing",
    "grad_clip",
    "ema_decay",
    "val_fraction",
)


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def _int_tuple(name: str, value: Any) -> tuple[int, ...]:
    if isinstance(value, str | bytes) or not hasattr(value, "__iter__"):
        raise ConfigurationError(f"{name} must be a tuple of positive integers, got {value!r}")
    items = tuple(value)
    if not all(_is_int(v) and v > 0 for v in items):
        raise ConfigurationError(f"{name} must be a tuple of positive integers, got {value!r}")
    return tuple(int(v) for v in items)


def _in_range(name: str, value: Any, low: float, high: float, *, closed_high: bool) -> None:
    inside = _is_real(value) and low <= value and (value <= high if closed_high else value < high)
    if not inside:
        bracket = "]" if closed_high else ")"
        raise ConfigurationError(f"{name} must be in [{low:g}, {high:g}{bracket}, got {value!r}")


@dataclass(frozen=True, slots=True)
class TorchConfig:
    """Everything :class:`~driftguard.training.torch_trainer.TorchTrainer` needs to train.

    Parameters
    ----------
    model : {"mlp", "cnn"}, default "mlp"
        Multi-layer perceptron on flat rows, or a small CNN on ``image_shape`` images.
    hidden : tuple of int, default (128, 64)
        MLP: widths of the hidden layers (empty for a linear model). CNN: channels of each
        convolution block (at least one).
    image_shape : (C, H, W) or None
        Shape each flat row is reshaped to; required for ``"cnn"`` and for Cutout.
    dropout : float, default 0.0
        Dropout probability after each hidden layer (CNN: before the classifier).
    weight_decay : float, default 0.0
        Decoupled weight decay (AdamW).
    lr : float, default 1e-3
        AdamW learning rate.
    epochs : int, default 100
        Epoch budget.
    batch_size : int, default 64
        Rows per optimisation step (the last batch of an epoch may be smaller).
    early_stopping_patience : int or None, default None
        Stop after this many epochs without a validation-loss improvement (``None``: off).
    min_delta : float, default 0.0
        Smallest decrease of the validation loss that counts as an improvement.
    restore_best : bool, default True
        With early stopping, end on the weights of the best validation epoch.
    mixup_alpha : float, default 0.0
        Mixup with ``Beta(alpha, alpha)`` mixing weights (0: off).
    cutout_size : int, default 0
        Side of the square zeroed at a random place of each training image (0: off).
    label_smoothing : float, default 0.0
        Label smoothing of the cross-entropy loss.
    grad_clip : float or None, default None
        Clip the gradient's global L2 norm to this value.
    ema_decay : float or None, default None
        Keep an exponential moving average of the weights with this decay; it is validated
        and becomes the final model.
    seed : int, default 0
        Seed of initialisation, shuffling, dropout and augmentation.
    val_fraction : float, default 0.15
        Share of the training rows held out for validation when no validation split is given.
    progress : bool, default True
        Show a progress bar (only when stderr is a terminal).

    Examples
    --------
    >>> import numpy as np
    >>> cfg = TorchConfig(hidden=[32], epochs=np.int64(5), lr=1)
    >>> cfg.hidden, type(cfg.epochs).__name__, cfg.lr
    ((32,), 'int', 1.0)
    >>> TorchConfig(cutout_size=4)
    Traceback (most recent call last):
    ...
    driftguard.errors.ConfigurationError: cutout_size needs image_shape (Cutout works on images)
    """

    model: str = "mlp"
    hidden: tuple[int, ...] = (128, 64)
    image_shape: tuple[int, int, int] | None = None
    dropout: float = 0.0
    weight_decay: float = 0.0
    lr: float = 1e-3
    epochs: int = 100
    batch_size: int = 64
    early_stopping_patience: int | None = None
    min_delta: float = 0.0
    restore_best: bool = True
    mixup_alpha: float = 0.0
    cutout_size: int = 0
    label_smoothing: float = 0.0
    grad_clip: float | None = None
    ema_decay: float | None = None
    seed: int = 0
    val_fraction: float = 0.15
    progress: bool = True

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise ConfigurationError(f"model must be one of {MODELS}, got {self.model!r}")
        object.__setattr__(self, "hidden", _int_tuple("hidden", self.hidden))
        if self.model == "cnn" and not self.hidden:
            raise ConfigurationError("hidden must name at least one channel count for 'cnn'")
        self._check_image()
        _in_range("dropout", self.dropout, 0.0, 1.0, closed_high=False)
        _in_range("weight_decay", self.weight_decay, 0.0, math.inf, closed_high=False)
        if not (_is_real(self.lr) and self.lr > 0):
            raise ConfigurationError(f"lr must be a finite number > 0, got {self.lr!r}")
        for name in ("epochs", "batch_size"):
            value = getattr(self, name)
            if not (_is_int(value) and value >= 1):
                raise ConfigurationError(f"{name} must be an integer >= 1, got {value!r}")
        patience = self.early_stopping_patience
        if patience is not None and not (_is_int(patience) and patience >= 1):
            raise ConfigurationError(
                f"early_stopping_patience must be None or an integer >= 1, got {patience!r}"
            )
        _in_range("min_delta", self.min_delta, 0.0, math.inf, closed_high=False)
        _in_range("mixup_alpha", self.mixup_alpha, 0.0, math.inf, closed_high=False)
        _in_range("label_smoothing", self.label_smoothing, 0.0, 1.0, closed_high=False)
        if self.grad_clip is not None and not (_is_real(self.grad_clip) and self.grad_clip > 0):
            raise ConfigurationError(f"grad_clip must be None or > 0, got {self.grad_clip!r}")
        if self.ema_decay is not None:
            _in_range("ema_decay", self.ema_decay, 0.0, 1.0, closed_high=False)
            if self.ema_decay == 0.0:
                raise ConfigurationError("ema_decay must be in (0, 1) or None, got 0.0")
        if not (_is_int(self.seed) and self.seed >= 0):
            raise ConfigurationError(f"seed must be an integer >= 0, got {self.seed!r}")
        if not (_is_real(self.val_fraction) and 0.0 < self.val_fraction < 1.0):
            raise ConfigurationError(f"val_fraction must be in (0, 1), got {self.val_fraction!r}")
        for name in ("restore_best", "progress"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigurationError(f"{name} must be a bool, got {getattr(self, name)!r}")
        for names, kind in ((_INT_FIELDS, int), (_FLOAT_FIELDS, float)):
            for name in names:  # numpy scalars become plain numbers (JSON-ready)
                if getattr(self, name) is not None:
                    object.__setattr__(self, name, kind(getattr(self, name)))

    def _check_image(self) -> None:
        if self.image_shape is not None:
            shape = _int_tuple("image_shape", self.image_shape)
            if len(shape) != 3:
                raise ConfigurationError(
                    f"image_shape must be (channels, height, width), got {self.image_shape!r}"
                )
            object.__setattr__(self, "image_shape", shape)
        elif self.model == "cnn":
            raise ConfigurationError("image_shape (channels, height, width) is required for 'cnn'")
        size = self.cutout_size
        if not (_is_int(size) and size >= 0):
            raise ConfigurationError(f"cutout_size must be an integer >= 0, got {size!r}")
        if size and self.image_shape is None:
            raise ConfigurationError("cutout_size needs image_shape (Cutout works on images)")
        if size and self.image_shape is not None and size > min(self.image_shape[1:]):
            raise ConfigurationError(
                f"cutout_size {size} is larger than the image {self.image_shape[1:]}"
            )

    @property
    def n_image_inputs(self) -> int | None:
        """``C * H * W`` of ``image_shape``, or None."""
        if self.image_shape is None:
            return None
        return math.prod(self.image_shape)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (tuples become lists)."""
        out = dataclasses.asdict(self)
        out["hidden"] = list(self.hidden)
        out["image_shape"] = None if self.image_shape is None else list(self.image_shape)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TorchConfig:
        """Rebuild a config from :meth:`to_dict` output; keys that are not fields are ignored.

        Ignoring extra keys lets a checkpoint store the config next to, e.g., ``n_inputs``.
        """
        names = {f.name for f in dataclasses.fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in names}
        if "hidden" in kwargs:
            kwargs["hidden"] = tuple(kwargs["hidden"])
        if kwargs.get("image_shape") is not None:
            kwargs["image_shape"] = tuple(kwargs["image_shape"])
        return cls(**kwargs)
