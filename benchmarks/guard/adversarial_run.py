"""The work behind :func:`~benchmarks.guard.adversarial.run_adversarial_bench` (torch needed).

:func:`digits_setup` trains the digits MLP on the training part and fits / calibrates the
scorer; :func:`measure_attacks` runs FGSM, PGD and the adaptive PGD on the clean test rows;
:func:`measure_cost` times the per-request signals against one forward pass.

Examples
--------
>>> import numpy as np
>>> s = Split(np.zeros((2, 3)), np.zeros((2, 3), np.float32), np.array([0, 1]),
...           np.zeros((2, 4)), np.zeros((2, 2)), np.zeros(2))
>>> [a.shape for a in s.signals_input()]
[(2, 4), (2, 2), (2, 3)]
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from benchmarks.guard.adversarial_results import (
    ADAPTIVE_WEIGHTS,
    ALPHAS,
    EPS,
    AttackResult,
    OverheadResult,
)
from driftguard.adversarial import COMPONENTS, RequestScorer, fit_request_scorer
from driftguard.cli.demo.recipe import DIGITS_MLP_OPTIONS as DEMO_OPTIONS
from driftguard.stats.auroc import auroc
from driftguard.training.predictor import Predictor, predictor_from_draft

__all__ = ["DigitsSetup", "Split", "digits_setup", "measure_attacks", "measure_cost"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Split:
    """Rows of one split: raw and encoded inputs, class indices, model outputs, combined score."""

    raw: FloatArray
    encoded: npt.NDArray[np.float32]
    y: npt.NDArray[np.int64]
    features: npt.NDArray[Any]
    logits: FloatArray
    combined: FloatArray

    def signals_input(self) -> tuple[npt.NDArray[Any], FloatArray, FloatArray]:
        """``(features, logits, raw)``, the arguments of :meth:`RequestScorer.score`."""
        return self.features, self.logits, self.raw


@dataclass(frozen=True)
class DigitsSetup:
    """The trained model, the fitted and calibrated scorer and the three splits."""

    predictor: Predictor
    scorer: RequestScorer
    all_six: RequestScorer
    accuracy: float
    train: Split
    calibration: Split
    test: Split


def _split(predictor: Predictor, raw: FloatArray, y: npt.NDArray[np.int64]) -> Split:
    encoded = predictor.encoder.transform_matrix(raw)
    features, logits = predictor.features_and_logits_encoded(encoded)
    return Split(raw, encoded, y, features, logits, np.empty(0))


def _with_combined(split: Split, scorer: RequestScorer) -> Split:
    combined = scorer.score(*split.signals_input()).combined
    return Split(split.raw, split.encoded, split.y, split.features, split.logits, combined)


def digits_setup(seed: int = 0) -> DigitsSetup:
    """Train on 60% of digits, fit the scorer there, calibrate on 20%, keep 20% for testing."""
    from sklearn.datasets import load_digits

    from driftguard.training.pipeline import split_rows, train_table

    digits = load_digits()
    raw_all = np.asarray(digits.data, dtype=np.float64)
    y_all = np.asarray(digits.target, dtype=np.int64)
    train, cal, test = split_rows(y_all, (0.2, 0.2), seed)
    cols = {f"px{j // 8}{j % 8}": raw_all[train, j] for j in range(64)}
    run = train_table(
        {**cols, "digit": y_all[train]},
        "digit",
        name="digits",
        model="mlp",
        options=DEMO_OPTIONS,
        seed=seed,
        fractions=(0.15, 0.02),
        profile_resamples=20,
    )
    predictor = predictor_from_draft(run.draft)
    index = {label: i for i, label in enumerate(predictor.labels)}
    y_index = np.array([index[str(v)] for v in y_all], dtype=np.int64)
    parts = [_split(predictor, raw_all[rows], y_index[rows]) for rows in (train, cal, test)]
    scorer = fit_request_scorer(
        predictor, parts[0].encoded, parts[0].raw, parts[0].y, parts[1].encoded, parts[1].raw
    )
    all_six = RequestScorer(scores=COMPONENTS, temperature=predictor.temperature)
    all_six.fit(*parts[0].signals_input(), parts[0].y).calibrate(*parts[1].signals_input())
    parts = [_with_combined(p, scorer) for p in parts]
    accuracy = float(np.mean(parts[2].logits.argmax(axis=1) == parts[2].y))
    return DigitsSetup(predictor, scorer, all_six, accuracy, *parts)


def _detect(setup: DigitsSetup, name: str, eps: float, attempted: int, adv: FloatArray) -> Any:
    if len(adv) == 0:
        nan = float("nan")
        return AttackResult(name, eps, attempted, 0, {}, nan, nan)
    s = _split(setup.predictor, adv, np.zeros(len(adv), dtype=np.int64))
    scores = setup.scorer.score(*s.signals_input())
    clean = setup.scorer.score(*setup.test.signals_input())
    areas = {n: auroc(clean.component(n), scores.component(n)) for n in [*COMPONENTS, "combined"]}
    six = setup.all_six.score(*s.signals_input()).combined
    areas["combined (all 6)"] = auroc(
        setup.all_six.score(*setup.test.signals_input()).combined, six
    )
    tpr = [float(np.mean(scores.flags(a))) for a in ALPHAS]
    return AttackResult(name, eps, attempted, len(adv), areas, tpr[0], tpr[1])


def measure_attacks(setup: DigitsSetup, seed: int = 0) -> tuple[AttackResult, ...]:
    """FGSM, PGD and adaptive PGD at every eps on the correctly classified clean test rows."""
    import torch

    from driftguard.adversarial.attacks import (
        DetectorTerms,
        TorchForward,
        fgsm,
        pgd,
        predicted_labels,
    )

    net = TorchForward.from_predictor(setup.predictor)
    test = setup.test
    correct = test.logits.argmax(axis=1) == test.y
    x0 = torch.tensor(test.raw[correct], dtype=torch.float32)
    y = torch.tensor(test.y[correct])
    low, high = torch.zeros(x0.shape[1]), torch.full((x0.shape[1],), 16.0)
    rng, grid = setup.scorer.range_, setup.scorer.grid_
    assert rng is not None
    assert grid is not None
    box = (
        torch.tensor(rng.low_, dtype=torch.float32),
        torch.tensor(rng.high_, dtype=torch.float32),
    )
    lattice = (
        torch.tensor(grid.offset_, dtype=torch.float32),
        torch.tensor(grid.step_, dtype=torch.float32),
        torch.tensor(grid.has_grid_),
    )
    detector = DetectorTerms.from_scorer(setup.scorer)
    attacks: list[tuple[str, Callable[[float], torch.Tensor]]] = [
        ("FGSM", lambda e: fgsm(net, x0, y, e, low, high)),
        ("PGD-20", lambda e: pgd(net, x0, y, e, low, high, seed=seed)),
    ]
    for weight in ADAPTIVE_WEIGHTS:
        attacks.append(
            (
                f"adaptive PGD-50 w={weight:g}",
                _adaptive(net, x0, y, detector, box, lattice, weight, seed),
            )
        )
    results = []
    for name, attack in attacks:
        for eps in EPS:
            adv = attack(eps)
            won = predicted_labels(net, adv) != y.numpy()
            kept = np.asarray(adv.numpy()[won], dtype=np.float64)
            results.append(_detect(setup, name, eps, len(y), kept))
    return tuple(results)


def _adaptive(*args: Any) -> Callable[[float], Any]:
    from driftguard.adversarial.attacks import adaptive_pgd

    net, x0, y, detector, box, lattice, weight, seed = args
    return lambda e: adaptive_pgd(net, x0, y, e, detector, box, lattice, weight=weight, seed=seed)


def _block_us(call: Callable[[], object], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        call()
    return (time.perf_counter() - start) / calls * 1e6


def measure_cost(
    setup: DigitsSetup, rounds: int = 200, calls: int = 20
) -> tuple[OverheadResult, ...]:
    """Mean µs per call of each path, over interleaved rounds (fastest and median round).

    Two comparisons, each for batches of 1 and 64 rows: ``logits_encoded`` against
    ``features_and_logits_encoded`` + ``score``; and the service's ``predict_proba_encoded``
    against ``features_and_logits_encoded`` + temperature softmax + ``score``. A round times
    ``calls`` calls of each path in turn, so that all see the same load of the shared machine.
    """
    from driftguard.training.temperature import apply_temperature

    predictor, scorer = setup.predictor, setup.scorer
    out = []
    for rows in (1, 64):
        x, raw = setup.test.encoded[:rows], setup.test.raw[:rows]

        def forward(x: Any = x) -> object:
            return predictor.logits_encoded(x)

        def signals(x: Any = x, raw: Any = raw) -> object:
            features, logits = predictor.features_and_logits_encoded(x)
            return scorer.score(features, logits, raw)

        def proba(x: Any = x) -> object:
            return predictor.predict_proba_encoded(x)

        def proba_signals(x: Any = x, raw: Any = raw) -> object:
            features, logits = predictor.features_and_logits_encoded(x)
            apply_temperature(logits, predictor.temperature)
            return scorer.score(features, logits, raw)

        calls_ = (forward, signals, proba, proba_signals)
        times = np.array([[_block_us(f, calls) for f in calls_] for _ in range(rounds)])
        fastest, median = times.min(axis=0), np.median(times, axis=0)
        for path, pair in (("logits", slice(0, 2)), ("probabilities", slice(2, 4))):
            base, signal = median[pair]
            quick, slow = fastest[pair]
            ratio = float((signal - base) / base)
            out.append(OverheadResult(rows, path, float(quick), float(slow), ratio))
    return tuple(out)
