"""The torch attacks of the adversarial benchmark, on a small digits model trained here."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")


@functools.cache
def _small_digits() -> tuple[Any, ...]:
    """A one-hidden-layer MLP on digits (few epochs), a fitted scorer and clean test rows."""
    from sklearn.datasets import load_digits

    from driftguard.adversarial import fit_request_scorer
    from driftguard.training.pipeline import split_rows, train_table
    from driftguard.training.predictor import predictor_from_draft

    d = load_digits()
    raw, y = np.asarray(d.data, float), np.asarray(d.target)
    train, cal, test = split_rows(y, (0.2, 0.2), 0)
    cols = {f"px{j // 8}{j % 8}": raw[train, j] for j in range(64)}
    run = train_table(
        {**cols, "digit": y[train]},
        "digit",
        name="d",
        model="mlp",
        seed=0,
        options={"epochs": 15, "hidden": (32,), "progress": False},
        fractions=(0.15, 0.02),
        profile_resamples=20,
    )
    p = predictor_from_draft(run.draft)
    enc = p.encoder.transform_matrix
    scorer = fit_request_scorer(p, enc(raw[train]), raw[train], y[train], enc(raw[cal]), raw[cal])
    return p, scorer, raw[test], y[test]


def _scores(p: Any, scorer: Any, raw: np.ndarray) -> Any:
    f, z = p.features_and_logits_encoded(p.encoder.transform_matrix(raw))
    return scorer.score(f, z, raw)


def test_fgsm_succeeds_and_raises_the_combined_score() -> None:
    from driftguard.adversarial.attacks import TorchForward, fgsm, predicted_labels
    from driftguard.stats.auroc import auroc

    p, scorer, raw, y = _small_digits()
    net = TorchForward.from_predictor(p)
    x0 = torch.tensor(raw, dtype=torch.float32)
    ok = predicted_labels(net, x0) == y
    assert ok.mean() > 0.8
    x0, yt = x0[ok], torch.tensor(y[ok])
    adv = fgsm(net, x0, yt, 2.0, torch.zeros(64), torch.full((64,), 16.0))
    assert float((adv - x0).abs().max()) <= 2.0
    assert float(adv.min()) >= 0
    assert float(adv.max()) <= 16
    won = predicted_labels(net, adv) != y[ok]
    assert won.mean() > 0.3
    clean = _scores(p, scorer, raw).combined
    attacked = _scores(p, scorer, adv.numpy()[won].astype(float)).combined
    assert auroc(clean, attacked) > 0.8


def test_pgd_and_adaptive_stay_in_their_sets() -> None:
    from driftguard.adversarial.attacks import DetectorTerms, TorchForward, adaptive_pgd, pgd

    p, scorer, raw, y = _small_digits()
    net = TorchForward.from_predictor(p)
    x0, yt = torch.tensor(raw[:40], dtype=torch.float32), torch.tensor(y[:40])
    adv = pgd(net, x0, yt, 1.0, torch.zeros(64), torch.full((64,), 16.0), steps=5)
    assert float((adv - x0).abs().max()) <= 1.0 + 1e-6
    rng, grid = scorer.range_, scorer.grid_
    box = (torch.tensor(rng.low_).float(), torch.tensor(rng.high_).float())
    lattice = (
        torch.tensor(grid.offset_).float(),
        torch.tensor(grid.step_).float(),
        torch.tensor(grid.has_grid_),
    )
    adaptive = adaptive_pgd(
        net, x0, yt, 2.0, DetectorTerms.from_scorer(scorer), box, lattice, steps=5
    )
    s = _scores(p, scorer, adaptive.numpy().astype(float))
    inside = (adaptive >= box[0]) & (adaptive <= box[1])
    # rows whose clean value was already outside the training box keep it; the rest stay inside
    assert bool(inside[(x0 >= box[0]) & (x0 <= box[1])].all())
    assert float((adaptive - x0).abs().max()) <= 2.0 + 1e-6
    assert s.off_grid.max() == _scores(p, scorer, raw[:40]).off_grid.max() == 0.0
