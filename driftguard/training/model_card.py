"""A Markdown model card generated for every checkpoint.

It documents the data (rows, features, class balance, leakage checks), the regularisation
and training settings, held-out test metrics, and calibration (ECE before and after
temperature scaling, the fitted temperature).

Examples
--------
>>> card = model_card(
...     name="digits", framework="torch", config={"dropout": 0.2},
...     data={"rows": 100, "features": 64, "target": "label", "classes": {"0": 50, "1": 50}},
...     metrics={"accuracy": 0.9, "nll": 0.3, "brier": 0.1, "ece_before_ts": 0.05,
...              "ece_after_ts": 0.01},
...     temperature=1.3, leakage=[{"split": "test", "rows": 20, "exact": 0, "near": 0}],
... )
>>> card.splitlines()[0]
'# Model card: digits'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["model_card"]

_REGULARISERS = (
    ("dropout", "Dropout probability"),
    ("weight_decay", "Decoupled weight decay (AdamW)"),
    ("mixup_alpha", "Mixup alpha"),
    ("cutout_size", "Cutout square side"),
    ("label_smoothing", "Label smoothing"),
    ("early_stopping_patience", "Early stopping patience (epochs)"),
    ("grad_clip", "Gradient clipping (max norm)"),
    ("ema_decay", "EMA of weights (decay)"),
)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _rows(pairs: Sequence[tuple[str, Any]]) -> list[str]:
    return ["| setting | value |", "|---|---|", *(f"| {k} | {_fmt(v)} |" for k, v in pairs)]


def model_card(
    *,
    name: str,
    framework: str,
    config: Mapping[str, Any],
    data: Mapping[str, Any],
    metrics: Mapping[str, Any],
    temperature: float,
    leakage: Sequence[Mapping[str, Any]],
) -> str:
    """Return the Markdown model card of one training run."""
    regularisers = [(label, config[key]) for key, label in _REGULARISERS if config.get(key)]
    lines = [
        f"# Model card: {name}",
        "",
        f"Framework: **{framework}**. Trained by driftguard; the checkpoint carries the",
        "reference profile of its training data, so drift is judged against what it learned.",
        "",
        "## Data",
        "",
        f"- Rows: {data.get('rows')}, features: {data.get('features')}, "
        f"target: `{data.get('target')}`",
        f"- Class counts: {dict(data.get('classes', {}))}",
    ]
    for item in leakage:
        lines.append(
            f"- Leakage check ({item['split']}): {item['exact']} exact and {item['near']} near "
            f"duplicates of training rows among {item['rows']} rows"
        )
    lines += ["", "## Regularisation and training", ""]
    lines += _rows(regularisers or [("(none)", "plain training")])
    other = [(k, v) for k, v in sorted(config.items()) if k not in dict(_REGULARISERS)]
    lines += ["", "Other settings: " + ", ".join(f"`{k}={_fmt(v)}`" for k, v in other), ""]
    lines += ["## Held-out test metrics", "", "| metric | value |", "|---|---|"]
    lines += [f"| {k} | {_fmt(v)} |" for k, v in metrics.items()]
    lines += [
        "",
        "## Calibration",
        "",
        f"Temperature scaling fitted on the validation split: T = {temperature:.4g} "
        f"({'softens' if temperature > 1 else 'sharpens'} the probabilities). ECE (15 "
        "equal-width bins, top label) before and after scaling is listed above.",
        "",
    ]
    return "\n".join(lines)
