"""Evasion attacks in torch for ``driftguard bench guard``: FGSM, PGD and a detector-aware PGD.

Every attack works on the RAW feature scale (digits: pixel intensities 0..16), L-inf bounded by
``eps``, and reaches the network through the encoder, re-done in torch: standardisation is
affine, ``(x - mean) / std`` with the encoder's training mean and standard deviation.

- :func:`fgsm`: one signed-gradient step of size ``eps`` on the cross-entropy (Goodfellow et
  al., 2015), clipped to the valid range;
- :func:`pgd`: random start in the ball, then ``steps`` signed steps of ``eps / 4``, each
  projected on the ball and the valid range (Madry et al., 2018);
- :func:`adaptive_pgd`: PGD that knows the detector. It minimises a Carlini-Wagner margin
  (misclassify with a logit margin ``kappa``, so max-softmax and margin look confident) plus
  ``weight`` times the detector's differentiable scores, scaled as the detector scales them
  (Mahalanobis distance of the penultimate features; energy when the combined score uses
  it), stays inside the per-feature TRAINING range and ends on the training grid (rounded),
  so out-of-range and off-grid see nothing.

Each returns the adversarial raw rows; callers keep the successful ones
(:func:`predicted_labels`).

Examples
--------
>>> import torch
>>> from torch import nn
>>> net = TorchForward(nn.Linear(2, 2), torch.zeros(2), torch.ones(2))
>>> x, y = torch.tensor([[1.0, 2.0]]), torch.tensor([0])
>>> bool((fgsm(net, x, y, 0.5, torch.zeros(2), torch.full((2,), 16.0)) - x).abs().max() <= 0.5)
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from torch.nn import functional

__all__ = [
    "DetectorTerms",
    "TorchForward",
    "adaptive_pgd",
    "fgsm",
    "pgd",
    "predicted_labels",
    "to_grid",
]


class TorchForward:
    """Raw rows -> (penultimate features, logits), differentiable (encoder done in torch).

    ``model`` needs ``features_and_logits`` for :meth:`features_and_logits`; :meth:`logits`
    works with any module.

    Examples
    --------
    >>> from torch import nn
    >>> TorchForward(nn.Linear(2, 3), torch.zeros(2), torch.ones(2)).logits(torch.ones(4, 2)).shape
    torch.Size([4, 3])
    """

    def __init__(self, model: Any, mean: torch.Tensor, std: torch.Tensor) -> None:
        self.model = model.eval()
        self.mean = mean
        self.std = std

    @classmethod
    def from_predictor(cls, predictor: Any) -> TorchForward:
        """The network and the (all-numeric) encoder of a torch ``Predictor``."""
        encoder = predictor.encoder
        names = [f.name for f in encoder.schema.features]
        mean = torch.tensor([encoder.mean_[n] for n in names], dtype=torch.float32)
        std = torch.tensor([encoder.std_[n] for n in names], dtype=torch.float32)
        return cls(predictor.model, mean, std)

    def encode(self, raw: torch.Tensor) -> torch.Tensor:
        """The encoder's standardisation."""
        return (raw - self.mean) / self.std

    def logits(self, raw: torch.Tensor) -> torch.Tensor:
        """Logits of raw rows."""
        out: torch.Tensor = self.model(self.encode(raw))
        return out

    def features_and_logits(self, raw: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Penultimate features and logits of raw rows."""
        h, z = self.model.features_and_logits(self.encode(raw))
        return h, z


def predicted_labels(net: TorchForward, raw: torch.Tensor) -> npt.NDArray[np.int64]:
    """Arg-max class of every raw row.

    Examples
    --------
    >>> from torch import nn
    >>> lin = nn.Linear(1, 2)
    >>> predicted_labels(TorchForward(lin, torch.zeros(1), torch.ones(1)), torch.ones(3, 1)).shape
    (3,)
    """
    with torch.no_grad():
        return np.asarray(net.logits(raw).argmax(dim=1).numpy(), dtype=np.int64)


def _project(
    x: torch.Tensor, x0: torch.Tensor, eps: float, low: torch.Tensor, high: torch.Tensor
) -> torch.Tensor:
    return torch.minimum(torch.maximum(torch.clamp(x, x0 - eps, x0 + eps), low), high)


def _ce_gradient(net: TorchForward, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    x = x.detach().requires_grad_(True)
    loss = functional.cross_entropy(net.logits(x), y)
    (grad,) = torch.autograd.grad(loss, x)
    return grad


def fgsm(
    net: TorchForward,
    x0: torch.Tensor,
    y: torch.Tensor,
    eps: float,
    low: torch.Tensor,
    high: torch.Tensor,
) -> torch.Tensor:
    """One step ``x0 + eps * sign(grad CE)``, clipped to ``[low, high]``."""
    step = x0 + eps * _ce_gradient(net, x0, y).sign()
    return _project(step, x0, eps, low, high).detach()


def pgd(
    net: TorchForward,
    x0: torch.Tensor,
    y: torch.Tensor,
    eps: float,
    low: torch.Tensor,
    high: torch.Tensor,
    *,
    steps: int = 20,
    seed: int = 0,
) -> torch.Tensor:
    """L-inf PGD on the cross-entropy: random start, ``steps`` steps of ``eps / 4``.

    Examples
    --------
    >>> from torch import nn
    >>> net = TorchForward(nn.Linear(2, 2), torch.zeros(2), torch.ones(2))
    >>> x = torch.ones(3, 2)
    >>> adv = pgd(net, x, torch.tensor([0, 1, 0]), 0.5, torch.zeros(2), torch.full((2,), 16.0))
    >>> bool((adv - x).abs().max() <= 0.5)
    True
    """
    g = torch.Generator().manual_seed(seed)
    x = x0 + eps * (2.0 * torch.rand(x0.shape, generator=g) - 1.0)
    x = _project(x, x0, eps, low, high)
    for _ in range(steps):
        x = _project(x + (eps / 4.0) * _ce_gradient(net, x, y).sign(), x0, eps, low, high)
    return x.detach()


@dataclass(frozen=True)
class DetectorTerms:
    """The detector's differentiable scores, in torch, scaled as the detector scales them.

    ``whitening`` and ``means`` are the fitted Mahalanobis whitening and whitened class means;
    ``mahalanobis_weight`` and ``energy_weight`` are ``1 / spread`` of the scaler for the
    components the combined score uses, 0 for the others; ``temperature`` is the model's.
    """

    whitening: torch.Tensor
    means: torch.Tensor
    mahalanobis_weight: float
    energy_weight: float
    temperature: float

    @classmethod
    def from_scorer(cls, scorer: Any) -> DetectorTerms:
        """The terms of a fitted :class:`~driftguard.adversarial.RequestScorer`."""
        spread = dict(zip(scorer.used_, scorer.scaler_.spread_.tolist(), strict=True))
        return cls(
            torch.tensor(scorer.mahalanobis_.whitening_, dtype=torch.float32),
            torch.tensor(scorer.mahalanobis_.means_, dtype=torch.float32),
            1.0 / spread["mahalanobis"] if "mahalanobis" in spread else 0.0,
            1.0 / spread["energy"] if "energy" in spread else 0.0,
            float(scorer.temperature),
        )

    def penalty(self, features: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
        """Per-row scaled Mahalanobis plus scaled energy."""
        z = features @ self.whitening
        distance = torch.cdist(z, self.means).pow(2).min(dim=1).values
        energy = -self.temperature * torch.logsumexp(logits / self.temperature, dim=1)
        return self.mahalanobis_weight * distance + self.energy_weight * energy


def to_grid(
    x: torch.Tensor,
    x0: torch.Tensor,
    eps: float,
    box: tuple[torch.Tensor, torch.Tensor],
    grid: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
) -> torch.Tensor:
    """Round every gridded feature to the nearest grid point inside the ball and the box.

    ``grid`` is ``(offset, step, has_grid)``; a feature with no grid point there keeps ``x0``.

    Examples
    --------
    >>> x0 = torch.tensor([[3.0]])
    >>> box = (torch.zeros(1), torch.full((1,), 16.0))
    >>> grid = (torch.zeros(1), torch.ones(1), torch.tensor([True]))
    >>> to_grid(torch.tensor([[4.6]]), x0, 2.0, box, grid).tolist()
    [[5.0]]
    """
    offset, step, has_grid = grid
    lower = torch.maximum(x0 - eps, box[0])
    upper = torch.minimum(x0 + eps, box[1])
    k_low = torch.ceil((lower - offset) / step - 1e-6)
    k_high = torch.floor((upper - offset) / step + 1e-6)
    k = torch.minimum(torch.maximum(torch.round((x - offset) / step), k_low), k_high)
    rounded = torch.where(k_low <= k_high, offset + k * step, x0)
    return torch.where(has_grid, rounded, x)


def adaptive_pgd(
    net: TorchForward,
    x0: torch.Tensor,
    y: torch.Tensor,
    eps: float,
    detector: DetectorTerms,
    box: tuple[torch.Tensor, torch.Tensor],
    grid: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    *,
    steps: int = 50,
    weight: float = 1.0,
    kappa: float = 2.0,
    seed: int = 0,
) -> torch.Tensor:
    """PGD on ``CW margin + weight * detector penalty`` inside the training box, then on grid."""
    g = torch.Generator().manual_seed(seed)
    low, high = box
    x = _project(x0 + eps * (2.0 * torch.rand(x0.shape, generator=g) - 1.0), x0, eps, low, high)
    onehot = functional.one_hot(y, num_classes=detector.means.shape[0]).bool()
    for _ in range(steps):
        x = x.detach().requires_grad_(True)
        h, z = net.features_and_logits(x)
        true = z[onehot]
        other = z.masked_fill(onehot, float("-inf")).max(dim=1).values
        loss = torch.clamp(true - other, min=-kappa) + weight * detector.penalty(h, z)
        (grad,) = torch.autograd.grad(loss.sum(), x)
        x = _project(x - (eps / 8.0) * grad.sign(), x0, eps, low, high)
    return to_grid(x.detach(), x0, eps, box, grid)
