"""What the adversarial benchmark measures, one dataclass per table row, and its settings.

Shared by :mod:`benchmarks.guard.adversarial_run` (which measures) and
:mod:`benchmarks.guard.adversarial` (which runs it and prints the tables), so that the
dependency points one way: ``adversarial -> adversarial_run -> adversarial_results``.

Examples
--------
>>> r = AttackResult("fgsm", 1.0, 10, 8, {"combined": 0.9}, 0.5, 0.7)
>>> r.success_rate
0.8
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ADAPTIVE_WEIGHTS",
    "ALPHAS",
    "EPS",
    "AttackResult",
    "FprResult",
    "OverheadResult",
]

EPS = (1.0, 2.0, 4.0)
#: Weights of the detector penalty in the adaptive attack (0 would be a plain CW-margin PGD).
ADAPTIVE_WEIGHTS = (1.0, 5.0)
ALPHAS = (0.01, 0.05)


@dataclass(frozen=True)
class AttackResult:
    """Detection of one attack's successful adversarials."""

    attack: str
    eps: float
    attempted: int
    n_adversarial: int
    auroc: dict[str, float]
    tpr_at_1: float
    tpr_at_5: float

    @property
    def success_rate(self) -> float:
        """Successful adversarials per attacked (correctly classified) row."""
        return self.n_adversarial / self.attempted if self.attempted else float("nan")


@dataclass(frozen=True)
class FprResult:
    """Realised false-positive rate on clean test rows at one alpha."""

    alpha: float
    single_split: float
    mean: float
    low: float
    high: float


@dataclass(frozen=True)
class OverheadResult:
    """In-process microseconds per call for a batch of ``rows`` (fastest interleaved round).

    ``path`` is ``"logits"`` (``logits_encoded`` alone as the baseline) or ``"probabilities"``
    (``predict_proba_encoded``, what the service runs, against the same plus the signals).

    ``median_ratio`` is the signals' extra cost in forward passes over the median rounds, which
    include the load other processes put on the machine.
    """

    rows: int
    path: str
    forward_us: float
    with_signals_us: float
    median_ratio: float

    @property
    def ratio(self) -> float:
        """Extra cost of the signals in forward passes: ``(with - forward) / forward``."""
        return (self.with_signals_us - self.forward_us) / self.forward_us
