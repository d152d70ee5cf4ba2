"""Label-flip poisoning, measured on digits (``driftguard bench guard``).

1. **Feedback screening.** The trusted model is the demo's torch MLP, trained by
   :func:`~driftguard.training.pipeline.train_table` on clean digits (train split). A
   :class:`~driftguard.poisoning.FeedbackScreen` keeps the train rows as its kNN reference and
   is calibrated on the validation split; the feedback stream is the test split (360 rows,
   disjoint from both), with 5, 10 or 20% of its labels flipped either at random (any other
   class) or class-to-class (``y -> (y + 1) mod 10``). Reported: AUROC of flipped against
   clean rows for ``label_loss``, ``knn_disagreement`` and ``combined``, precision and recall
   of the flags at ``alpha`` 0.01 and the flag rate of the clean test rows. Digits is small, so
   every number is a mean over ``model_seeds`` trained models (each with its own split) x
   ``flip_draws`` flip draws.
2. **Source quarantine.** 20 honest sources and one poisoner (20% or 50% of its labels
   flipped at random) send test rows in rounds of 10 items, each item screened by the real
   screen; a :class:`~driftguard.poisoning.SourceTracker` (baseline ``alpha``) decides.
   Reported: items the poisoner sent before its quarantine and honest sources quarantined
   within 2000 items each.
3. **Training-set audit.** :func:`~driftguard.audit.audit_table` (confident learning) on all of
   digits with 5/10/20% random and class-to-class flips, on breast_cancer with random flips
   (means over ``audit_draws`` flip draws), and on both without flips (clean rows flagged).

Examples
--------
>>> auroc([0.1, 0.2, 0.9], [False, False, True])
1.0
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from driftguard.cli.demo.recipe import DIGITS_MLP_OPTIONS
from driftguard.cli.render import table
from driftguard.stats.auroc import auroc as roc_auc

__all__ = ["PoisoningBench", "auroc", "flip_labels", "run_poisoning_bench"]

RATES = (0.05, 0.10, 0.20)
KINDS = ("random", "class-to-class")
ALPHA = 0.01
MLP_OPTIONS = DIGITS_MLP_OPTIONS


def auroc(scores: npt.ArrayLike, positive: npt.ArrayLike) -> float:
    """Area under the ROC curve of ``scores`` for the ``positive`` rows (ties count half).

    Examples
    --------
    >>> auroc([0.5, 0.5], [False, True])
    0.5
    """
    s = np.asarray(scores, dtype=np.float64)
    pos = np.asarray(positive, dtype=bool)
    return roc_auc(s[~pos], s[pos])


def flip_labels(
    y: npt.NDArray[np.intp], rate: float, kind: str, g: np.random.Generator, n_classes: int
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.bool_]]:
    """Flip ``rate`` of the labels (``random``: any other class; else ``y + 1``); mask of flips.

    Examples
    --------
    >>> noisy, mask = flip_labels(np.zeros(10, dtype=np.intp), 0.2, "class-to-class",
    ...                           np.random.default_rng(0), 3)
    >>> int(mask.sum()), sorted(set(noisy[mask].tolist()))
    (2, [1])
    """
    idx = g.choice(y.size, round(rate * y.size), replace=False)
    shift = g.integers(1, n_classes, idx.size) if kind == "random" else 1
    noisy = y.copy()
    noisy[idx] = (y[idx] + shift) % n_classes
    mask = np.zeros(y.size, dtype=bool)
    mask[idx] = True
    return noisy, mask


@dataclass(frozen=True, slots=True)
class ScreeningRow:
    """Feedback screening at one flip setting (means over models and draws)."""

    kind: str
    rate: float
    auroc_loss: float
    auroc_knn: float
    auroc_combined: float
    min_auroc_combined: float
    precision: float
    recall: float


@dataclass(frozen=True, slots=True)
class QuarantineRow:
    """Source quarantine with one poisoner at ``poison_rate``."""

    poison_rate: float
    runs: int
    caught: int
    median_items: float
    max_items: float
    honest_quarantined: int
    honest_sources: int


@dataclass(frozen=True, slots=True)
class AuditRow:
    """Training-set audit at one flip setting (rate 0: clean data, share flagged)."""

    dataset: str
    kind: str
    rate: float
    f1: float
    precision: float
    recall: float
    flagged_share: float


@dataclass(frozen=True, slots=True)
class PoisoningBench:
    """Everything ``run_poisoning_bench`` measured.

    Examples
    --------
    >>> b = PoisoningBench(0, 1, 1, 1, 0.97, 0.01, (), (), (), 1.0)
    >>> "clean feedback flagged" in b.table()
    True
    """

    seed: int
    model_seeds: int
    flip_draws: int
    audit_draws: int
    model_accuracy: float
    clean_flag_rate: float
    screening: tuple[ScreeningRow, ...]
    quarantine: tuple[QuarantineRow, ...]
    audit: tuple[AuditRow, ...]
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return asdict(self)

    def table(self) -> str:
        """The three tables, as printable text."""
        f3, pct = "{:.4f}".format, "{:.1%}".format
        head = (
            f"feedback screening on digits: torch MLP (mean test accuracy "
            f"{self.model_accuracy:.3f}), {self.model_seeds} models x {self.flip_draws} flip "
            f"draws, 360 feedback rows each, alpha {ALPHA}; clean feedback flagged "
            f"{pct(self.clean_flag_rate)} (target <= 1%)"
        )
        screen = table(
            ["flips", "AUROC loss", "AUROC kNN", "AUROC combined (min)", "precision", "recall"],
            [
                [
                    f"{r.rate:.0%} {r.kind}",
                    f3(r.auroc_loss),
                    f3(r.auroc_knn),
                    f"{f3(r.auroc_combined)} ({f3(r.min_auroc_combined)})",
                    pct(r.precision),
                    pct(r.recall),
                ]
                for r in self.screening
            ],
        )
        quarantine = table(
            ["poisoner flips", "caught", "median items", "max items", "honest quarantined"],
            [
                [
                    f"{q.poison_rate:.0%}",
                    f"{q.caught}/{q.runs}",
                    f"{q.median_items:.0f}",
                    f"{q.max_items:.0f}",
                    f"{q.honest_quarantined} of {q.honest_sources}",
                ]
                for q in self.quarantine
            ],
        )
        audit = table(
            ["dataset", "flips", "F1", "precision", "recall", "rows flagged"],
            [
                [
                    a.dataset,
                    "none (clean)" if a.rate == 0 else f"{a.rate:.0%} {a.kind}",
                    "-" if a.rate == 0 else f"{a.f1:.3f}",
                    "-" if a.rate == 0 else f"{a.precision:.3f}",
                    "-" if a.rate == 0 else f"{a.recall:.3f}",
                    pct(a.flagged_share),
                ]
                for a in self.audit
            ],
        )
        return "\n\n".join(
            [
                head,
                screen,
                "source quarantine: 20 honest sources + 1 poisoner, rounds of 10 items",
                quarantine,
                f"training-set audit (audit_table, confident learning; mean of "
                f"{self.audit_draws} flip draws; target F1 >= 0.85, clean flagged <= 1%)",
                audit,
                f"({self.seconds:.0f} s)",
            ]
        )


@dataclass(frozen=True)
class _Trusted:
    screen: Any
    proba: npt.NDArray[np.float64]
    x: npt.NDArray[np.float32]
    y: npt.NDArray[np.intp]
    accuracy: float


def _train_trusted(seed: int) -> _Trusted:
    from sklearn.datasets import load_digits

    from driftguard.poisoning import fit_feedback_screen
    from driftguard.registry import Registry
    from driftguard.training.pipeline import split_rows, train_table
    from driftguard.training.predictor import load_predictor

    data = load_digits()
    cols = {f"px{j // 8}{j % 8}": data.data[:, j].astype(float) for j in range(64)}
    target = data.target.astype(str)
    run = train_table(
        {**cols, "digit": target}, "digit", name="digits", options=MLP_OPTIONS, seed=seed
    )
    with tempfile.TemporaryDirectory() as tmp:
        registry = Registry(tmp)
        version = registry.register("digits", run.draft, actor="bench", reason="trusted")
        predictor = load_predictor(registry.open("digits", version))
    y = np.unique(target, return_inverse=True)[1].astype(np.intp)
    train, val, test = split_rows(y, (0.2, 0.2), seed)
    x = predictor.encoder.transform(cols)
    screen = fit_feedback_screen(predictor, x[train], y[train], x[val], y[val], alpha=ALPHA)
    proba = predictor.predict_proba_encoded(x[test])
    return _Trusted(screen, proba, x[test], y[test], float(run.metrics["accuracy"]))


def _screening(models: Sequence[_Trusted], draws: int, seed: int) -> tuple[ScreeningRow, ...]:
    rows = []
    for kind in KINDS:
        for rate in RATES:
            cells: list[list[float]] = []
            for m_i, m in enumerate(models):
                for draw in range(draws):
                    g = np.random.default_rng([seed, m_i, draw, int(rate * 100)])
                    noisy, mask = flip_labels(m.y, rate, kind, g, 10)
                    s = m.screen.score(m.proba, m.x, noisy)
                    tp = int((s.flagged & mask).sum())
                    cells.append(
                        [
                            auroc(s.label_loss, mask),
                            auroc(s.knn_disagreement, mask),
                            auroc(s.combined, mask),
                            tp / max(s.n_flagged, 1),
                            tp / int(mask.sum()),
                        ]
                    )
            c = np.asarray(cells)
            mean = c.mean(axis=0)
            rows.append(
                ScreeningRow(
                    kind,
                    rate,
                    auroc_loss=float(mean[0]),
                    auroc_knn=float(mean[1]),
                    auroc_combined=float(mean[2]),
                    min_auroc_combined=float(c[:, 2].min()),
                    precision=float(mean[3]),
                    recall=float(mean[4]),
                )
            )
    return tuple(rows)


def _quarantine(models: Sequence[_Trusted], seed: int) -> tuple[QuarantineRow, ...]:
    from driftguard.poisoning import SourceTracker

    rows = []
    for poison in (0.2, 0.5):
        items: list[int] = []
        honest_hits = runs = 0
        for m_i, m in enumerate(models):
            g = np.random.default_rng([seed, m_i, int(poison * 100)])
            clean_flag = m.screen.score(m.proba, m.x, m.y).flagged
            flipped, _ = flip_labels(m.y, 1.0, "random", g, 10)
            flip_flag = m.screen.score(m.proba, m.x, flipped).flagged
            tracker = SourceTracker(baseline=ALPHA)
            caught = None
            for step in range(1, 201):  # up to 2000 items per source
                for s in range(20):
                    rows_ = g.integers(0, m.y.size, 10)
                    tracker.update(f"honest-{s}", 10, int(clean_flag[rows_].sum()))
                rows_ = g.integers(0, m.y.size, 10)
                bad = g.random(10) < poison
                flags = np.where(bad, flip_flag[rows_], clean_flag[rows_])
                if tracker.update("poisoner", 10, int(flags.sum())).newly_quarantined:
                    caught = step * 10
            runs += 1
            honest_hits += sum(1 for q in tracker.state().quarantined if q != "poisoner")
            if caught is not None:
                items.append(caught)
        arr = np.asarray(items, dtype=np.float64)
        rows.append(
            QuarantineRow(
                poison,
                runs,
                len(items),
                float(np.median(arr)) if arr.size else float("nan"),
                float(arr.max()) if arr.size else float("nan"),
                honest_hits,
                20 * runs,
            )
        )
    return tuple(rows)


def _audit_draw(x: Any, y: Any, kind: str, rate: float, seed: int) -> list[float]:
    from driftguard.audit import audit_table

    k = int(y.max()) + 1
    noisy, mask = (
        flip_labels(y, rate, kind, np.random.default_rng([seed, int(rate * 100)]), k)
        if rate > 0
        else (y, np.zeros(y.size, dtype=bool))
    )
    cols: dict[str, Any] = {f"f{j}": x[:, j] for j in range(x.shape[1])}
    cols["label"] = noisy.astype(str)
    found = np.zeros(y.size, dtype=bool)
    found[list(audit_table(cols, "label", seed=seed).flagged)] = True
    tp = int((found & mask).sum())
    precision, recall = tp / max(int(found.sum()), 1), tp / max(int(mask.sum()), 1)
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    return [f1, precision, recall, float(found.mean())]


def _audit(seed: int, draws: int) -> tuple[AuditRow, ...]:
    from sklearn.datasets import load_breast_cancer, load_digits

    rows = []
    for name, loader, kinds in (
        ("digits", load_digits, KINDS),
        ("breast_cancer", load_breast_cancer, ("random",)),
    ):
        x, y = loader(return_X_y=True)
        y = y.astype(np.intp)
        settings = [("none", 0.0)] + [(kind, rate) for kind in kinds for rate in RATES]
        for kind, rate in settings:
            n = 1 if rate == 0 else draws
            cells = np.mean([_audit_draw(x, y, kind, rate, seed + d) for d in range(n)], axis=0)
            rows.append(AuditRow(name, kind, rate, *(float(v) for v in cells)))
    return tuple(rows)


def run_poisoning_bench(
    seed: int = 0, model_seeds: int = 3, flip_draws: int = 5, audit_draws: int = 3
) -> PoisoningBench:
    """Train the trusted models, then measure screening, quarantine and the training audit."""
    start = time.perf_counter()
    models = [_train_trusted(seed + i) for i in range(model_seeds)]
    clean = float(np.mean([m.screen.score(m.proba, m.x, m.y).flagged.mean() for m in models]))
    return PoisoningBench(
        seed=seed,
        model_seeds=model_seeds,
        flip_draws=flip_draws,
        audit_draws=audit_draws,
        model_accuracy=float(np.mean([m.accuracy for m in models])),
        clean_flag_rate=clean,
        screening=_screening(models, flip_draws, seed),
        quarantine=_quarantine(models, seed),
        audit=_audit(seed, audit_draws),
        seconds=time.perf_counter() - start,
    )
