"""The networks :class:`~driftguard.training.torch_trainer.TorchTrainer` trains, and their codec.

Both networks read flat float rows of ``n_inputs`` values and return ``n_classes`` logits:

- ``"mlp"``: ``Linear → ReLU → Dropout`` per hidden width, then a linear classifier;
- ``"cnn"``: each row is reshaped to ``image_shape``; per entry of ``hidden`` a block
  ``Conv3x3 → ReLU → MaxPool2`` (no pooling once a side is below 2), then
  ``Flatten → Dropout → Linear``. Two blocks suit 8x8 digits.

The input augmentations the trainer applies to a batch live here too, next to the shapes they
depend on: :func:`mixup` (any batch size) and :func:`cutout` (image-shaped rows only).

Initialisation is deterministic: the weights depend only on the seed, and the global torch
random state is left as it was. Weights are saved with safetensors (plain tensors, never
pickle) and loaded into a network rebuilt from the config.

Examples
--------
>>> from driftguard.training.config import TorchConfig
>>> net = build_model(TorchConfig(hidden=(8,)), n_inputs=4, n_classes=3)
>>> load_model(TorchConfig(hidden=(8,)), 4, 3, save_weights(net)).state_dict()["net.0.bias"].shape
torch.Size([8])
"""

from __future__ import annotations

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save
from torch import nn

from driftguard.errors import ConfigurationError, SerializationError
from driftguard.training.config import TorchConfig

__all__ = [
    "MLP",
    "SmallCNN",
    "build_model",
    "cutout",
    "load_model",
    "mixup",
    "save_weights",
]


class MLP(nn.Module):
    """``Linear → ReLU → Dropout`` stacks and a linear classifier.

    Examples
    --------
    >>> MLP(4, (8,), 3, dropout=0.1)(torch.zeros(2, 4)).shape
    torch.Size([2, 3])
    """

    def __init__(
        self, n_inputs: int, hidden: tuple[int, ...], n_classes: int, dropout: float = 0.0
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = n_inputs
        for size in hidden:
            layers += [nn.Linear(width, size), nn.ReLU()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = size
        layers.append(nn.Linear(width, n_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of flat rows ``x`` of shape ``(n, n_inputs)``."""
        out: torch.Tensor = self.net(x)
        return out

    def features_and_logits(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Penultimate activations (the input of the last ``Linear``) and logits, one pass.

        Examples
        --------
        >>> h, z = MLP(4, (8,), 3).eval().features_and_logits(torch.zeros(2, 4))
        >>> tuple(h.shape), tuple(z.shape)
        ((2, 8), (2, 3))
        """
        *body, last = self.net
        for layer in body:
            x = layer(x)
        out: torch.Tensor = last(x)
        return x, out


class SmallCNN(nn.Module):
    """Convolution blocks on rows reshaped to ``image_shape``, then a linear classifier.

    Examples
    --------
    >>> SmallCNN((1, 8, 8), (4, 8), 10)(torch.zeros(3, 64)).shape
    torch.Size([3, 10])
    """

    def __init__(
        self,
        image_shape: tuple[int, int, int],
        channels: tuple[int, ...],
        n_classes: int,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.image_shape = image_shape
        c, h, w = image_shape
        blocks: list[nn.Module] = []
        for out_channels in channels:
            blocks += [nn.Conv2d(c, out_channels, kernel_size=3, padding=1), nn.ReLU()]
            if h >= 2 and w >= 2:
                blocks.append(nn.MaxPool2d(2))
                h, w = h // 2, w // 2
            c = out_channels
        self.features = nn.Sequential(*blocks)
        self.head = nn.Sequential(
            nn.Flatten(), nn.Dropout(dropout), nn.Linear(c * h * w, n_classes)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of flat rows ``x`` of shape ``(n, C*H*W)``."""
        out: torch.Tensor = self.head(self.features(x.reshape(-1, *self.image_shape)))
        return out

    def features_and_logits(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The flattened input of the head's ``Linear`` (after its dropout) and the logits.

        Examples
        --------
        >>> h, z = SmallCNN((1, 8, 8), (4, 8), 10).eval().features_and_logits(torch.zeros(3, 64))
        >>> tuple(h.shape), tuple(z.shape)
        ((3, 32), (3, 10))
        """
        *body, last = self.head
        h = self.features(x.reshape(-1, *self.image_shape))
        for layer in body:
            h = layer(h)
        out: torch.Tensor = last(h)
        return h, out


def mixup(
    x: torch.Tensor, y: torch.Tensor, alpha: float, rng: np.random.Generator
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, float]:
    """Mix each row with a partner drawn by a permutation of the batch.

    Returns ``(lam * x + (1 - lam) * x[perm], y, y[perm], lam)`` with ``lam ~ Beta(alpha,
    alpha)``; the loss is ``lam * CE(out, y) + (1 - lam) * CE(out, y[perm])``. Any batch
    size works (a batch of one is mixed with itself).

    Examples
    --------
    >>> import numpy as np, torch
    >>> xm, ya, yb, lam = mixup(torch.ones(3, 2), torch.tensor([0, 1, 2]), 0.4,
    ...                         np.random.default_rng(0))
    >>> xm.shape, sorted(yb.tolist()), 0.0 <= lam <= 1.0
    (torch.Size([3, 2]), [0, 1, 2], True)
    """
    lam = float(rng.beta(alpha, alpha))
    perm = torch.from_numpy(rng.permutation(len(x)))
    return lam * x + (1.0 - lam) * x[perm], y, y[perm], lam


def cutout(
    x: torch.Tensor, image_shape: tuple[int, int, int], size: int, rng: np.random.Generator
) -> torch.Tensor:
    """Zero one ``size`` x ``size`` square (all channels) at a random place of each image.

    ``x`` holds flat rows of ``C*H*W`` values; the square lies wholly inside the image. A new
    tensor is returned.

    Examples
    --------
    >>> import numpy as np, torch
    >>> out = cutout(torch.ones(2, 16), (1, 4, 4), 2, np.random.default_rng(0))
    >>> (out == 0).sum(dim=1).tolist()
    [4, 4]
    """
    c, h, w = image_shape
    n = x.shape[0]
    top = torch.from_numpy(rng.integers(0, h - size + 1, size=n))[:, None]
    left = torch.from_numpy(rng.integers(0, w - size + 1, size=n))[:, None]
    rows, cols = torch.arange(h)[None, :], torch.arange(w)[None, :]
    in_rows = (rows >= top) & (rows < top + size)
    in_cols = (cols >= left) & (cols < left + size)
    keep = ~(in_rows[:, :, None] & in_cols[:, None, :])
    return (x.reshape(n, c, h, w) * keep[:, None].to(x.dtype)).reshape(n, c * h * w)


def build_model(config: TorchConfig, n_inputs: int, n_classes: int) -> nn.Module:
    """A freshly initialised network for ``config``, seeded by ``config.seed``.

    Raises
    ------
    ConfigurationError
        ``n_inputs`` or ``n_classes`` is not positive, or ``n_inputs`` does not match
        ``config.image_shape``.
    """
    if n_inputs < 1 or n_classes < 2:
        raise ConfigurationError(
            f"n_inputs must be >= 1 and n_classes >= 2, got {n_inputs} and {n_classes}"
        )
    image = config.n_image_inputs
    if image is not None and image != n_inputs:
        raise ConfigurationError(
            f"image_shape {config.image_shape} holds {image} values but rows have {n_inputs}"
        )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        if config.model == "cnn" and config.image_shape is not None:  # TorchConfig ensures it
            return SmallCNN(config.image_shape, config.hidden, n_classes, config.dropout)
        return MLP(n_inputs, config.hidden, n_classes, config.dropout)


def save_weights(model: nn.Module) -> bytes:
    """The model's ``state_dict`` as safetensors bytes.

    Examples
    --------
    >>> save_weights(MLP(2, (), 2))[:8] != b""
    True
    """
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    return st_save(state)


def load_model(config: TorchConfig, n_inputs: int, n_classes: int, data: bytes) -> nn.Module:
    """Rebuild the network for ``config`` and load safetensors ``data`` into it (eval mode).

    Raises
    ------
    SerializationError
        ``data`` is not safetensors or its tensors do not fit the network.
    """
    model = build_model(config, n_inputs, n_classes)
    try:
        state = st_load(bytes(data))
        model.load_state_dict(state, strict=True)
    except (SafetensorError, RuntimeError, ValueError) as exc:
        raise SerializationError(
            f"model weights do not fit the {config.model!r} network: {exc}"
        ) from exc
    model.eval()
    return model
