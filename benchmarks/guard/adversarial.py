"""Per-request adversarial detection on digits, measured (``driftguard bench guard``).

Setup (seeded): the 1797 digits rows are split, stratified, into a TRAINING part (60%) and a
clean held-out POOL (40%) the model never sees. The demo's MLP is trained by ``train_table`` on
the training part only (its own early-stopping and temperature rows come out of that part). The
:class:`~driftguard.adversarial.RequestScorer` is fitted on the whole training part, then
calibrated on one half of the pool (CALIBRATION); the other half is the clean TEST split.

Measured:

- per attack (FGSM and PGD at eps 1, 2, 4 pixel units on the 0..16 scale, and the adaptive
  PGD of :mod:`~driftguard.adversarial.attacks`): only successful adversarials made from
  correctly classified clean test rows; AUROC of every score and of the combined score against
  the clean test rows; TPR (share flagged) at alpha 1% and 5%;
- the realised false-positive rate on the clean test split at alpha 1% and 5%: on the single
  split, and its mean and range over random re-splits of the pool into calibration / test
  halves (conformal validity is marginal over the calibration draw; the scorer stays as fitted
  on the training part);
- the per-request cost: ``logits_encoded`` alone against ``features_and_logits_encoded`` plus
  ``score``, in-process, for batches of 1 and 64 rows.

Examples
--------
>>> r = AttackResult("fgsm", 1.0, 10, 8, {"combined": 0.9}, 0.5, 0.7)
>>> r.success_rate
0.8
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from benchmarks.guard.adversarial_results import (
    ADAPTIVE_WEIGHTS,
    ALPHAS,
    EPS,
    AttackResult,
    FprResult,
    OverheadResult,
)
from benchmarks.guard.adversarial_run import digits_setup, measure_attacks, measure_cost
from driftguard.cli.demo.recipe import DIGITS_MLP_OPTIONS as DEMO_OPTIONS
from driftguard.cli.render import table
from driftguard.stats.auroc import auroc

__all__ = [
    "ADAPTIVE_WEIGHTS",
    "ALPHAS",
    "DEMO_OPTIONS",
    "EPS",
    "AdversarialBench",
    "AttackResult",
    "FprResult",
    "OverheadResult",
    "auroc",
    "run_adversarial_bench",
]


@dataclass(frozen=True)
class AdversarialBench:
    """Everything :func:`run_adversarial_bench` measured.

    Examples
    --------
    >>> b = AdversarialBench(0, 0.97, 1077, 360, 360, 50, (), (), ())
    >>> "adversarial" in b.table()
    True
    """

    seed: int
    accuracy: float
    n_train: int
    n_calibration: int
    n_test: int
    resplits: int
    attacks: tuple[AttackResult, ...]
    fpr: tuple[FprResult, ...]
    overhead: tuple[OverheadResult, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (attack success rates and overhead ratios included)."""
        out = asdict(self)
        for row, attack in zip(out["attacks"], self.attacks, strict=True):
            row["success_rate"] = attack.success_rate
        for row, cost in zip(out["overhead"], self.overhead, strict=True):
            row["ratio"] = cost.ratio
        return out

    def table(self) -> str:
        """The attack, false-positive and overhead tables, as printable text."""
        head = (
            f"adversarial requests on digits (seed {self.seed}): MLP test accuracy "
            f"{self.accuracy:.3f}; {self.n_train} training, {self.n_calibration} calibration, "
            f"{self.n_test} clean test rows"
        )
        return "\n\n".join([head, self._attack_table(), self._fpr_table(), self._cost_table()])

    def _attack_table(self) -> str:
        names = list(self.attacks[0].auroc) if self.attacks else []
        rows = [
            [
                a.attack,
                f"{a.eps:g}",
                f"{a.n_adversarial}/{a.attempted}",
                *(f"{a.auroc[n]:.3f}" for n in names),
                f"{a.tpr_at_1:.1%}",
                f"{a.tpr_at_5:.1%}",
            ]
            for a in self.attacks
        ]
        header = ["attack", "eps", "succeeded", *(f"AUROC {n}" for n in names)]
        return table([*header, "TPR@1%", "TPR@5%"], rows)

    def _fpr_table(self) -> str:
        rows = [
            [
                f"{f.alpha:.0%}",
                f"{f.single_split:.2%}",
                f"{f.mean:.2%}",
                f"{f.low:.2%} .. {f.high:.2%}",
                f"within {f.alpha:.0%} +- 1.5 pt",
            ]
            for f in self.fpr
        ]
        header = ["alpha", "FPR single split", f"FPR mean ({self.resplits} re-splits)", "range"]
        return table([*header, "target"], rows)

    def _cost_table(self) -> str:
        rows = [
            [
                str(c.rows),
                c.path,
                f"{c.forward_us:.1f}",
                f"{c.with_signals_us:.1f}",
                f"{c.ratio:.2f}",
                f"{c.median_ratio:.2f}",
            ]
            for c in self.overhead
        ]
        header = [
            "rows",
            "baseline",
            "baseline µs",
            "with signals µs",
            "extra / baseline",
            "same, median rounds",
        ]
        note = (
            "(µs: fastest of interleaved rounds; logits: logits_encoded vs"
            " features_and_logits_encoded + score; probabilities: predict_proba_encoded vs the"
            " same + softmax; ratio = extra cost / baseline; target <= 1 forward pass)"
        )
        return table(header, rows) + "\n" + note


def run_adversarial_bench(seed: int = 0, resplits: int = 50) -> AdversarialBench:
    """Train the digits MLP, fit and calibrate the scorer, attack, and measure.

    Needs torch and scikit-learn (digits ships with scikit-learn); takes about a minute.
    """
    setup = digits_setup(seed)
    attacks = measure_attacks(setup, seed)
    fpr = _fpr(setup, resplits, seed)
    return AdversarialBench(
        seed=seed,
        accuracy=setup.accuracy,
        n_train=len(setup.train.y),
        n_calibration=len(setup.calibration.y),
        n_test=len(setup.test.y),
        resplits=resplits,
        attacks=attacks,
        fpr=fpr,
        overhead=measure_cost(setup),
    )


def _fpr(setup: Any, resplits: int, seed: int) -> tuple[FprResult, ...]:
    from driftguard.adversarial import conformal_p_values

    single = setup.scorer.score(*setup.test.signals_input()).p_value
    pool = np.concatenate([setup.calibration.combined, setup.test.combined])
    half = len(setup.calibration.combined)
    g = np.random.default_rng([seed, 1])
    rates = np.empty((resplits, len(ALPHAS)))
    for r in range(resplits):
        order = g.permutation(len(pool))
        p = conformal_p_values(np.sort(pool[order[:half]]), pool[order[half:]])
        rates[r] = [np.mean(p <= a) for a in ALPHAS]
    return tuple(
        FprResult(
            alpha=a,
            single_split=float(np.mean(single <= a)),
            mean=float(rates[:, k].mean()),
            low=float(rates[:, k].min()),
            high=float(rates[:, k].max()),
        )
        for k, a in enumerate(ALPHAS)
    )


def main(seed: int = 0) -> int:
    """Print the tables (used by ``python -m benchmarks.guard.adversarial``)."""
    start = time.perf_counter()
    bench = run_adversarial_bench(seed=seed)
    print(bench.table())
    print(json.dumps({"seconds": round(time.perf_counter() - start, 1)}))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
