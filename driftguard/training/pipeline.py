"""From a table to a checkpoint draft: split, check, encode, train, calibrate, measure, profile.

``train_table`` is what ``driftguard train`` runs. It splits rows (stratified, seeded) into
train / validation / test, refuses unusable targets, reports leakage between the splits,
encodes categorical columns from the schema, trains a torch or scikit-learn model, fits the
temperature on the validation split, measures the test split (accuracy, NLL, Brier, ECE before
and after temperature scaling), fits the :class:`ReferenceProfile` of the training rows and
returns everything a checkpoint needs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from driftguard.checkpoint.folder import CheckpointDraft
from driftguard.drift.profile import ReferenceProfile
from driftguard.errors import ConfigurationError
from driftguard.schema.features import Columns, Schema, infer_schema, take_rows
from driftguard.training.encoding import TabularEncoder
from driftguard.training.hygiene import LeakageReport, leakage_report, split_target
from driftguard.training.metrics import classification_metrics, ece
from driftguard.training.model_card import model_card
from driftguard.training.predictor import Predictor
from driftguard.training.temperature import apply_temperature, softmax
from driftguard.types import FeatureKind

__all__ = ["ArtefactInputs", "TrainedRun", "split_rows", "train_table"]

TORCH_MODELS = ("mlp", "cnn")


@dataclass(frozen=True, eq=False)
class ArtefactInputs:
    """What a checkpoint artefact hook sees once the model is trained.

    ``train`` rows fitted the model; ``test`` rows were never fitted on (only measured), so
    they are the clean calibration split of conformal thresholds. ``raw_*`` are the numeric
    columns before encoding, in schema order (``None`` when a feature is categorical).

    Examples
    --------
    >>> ArtefactInputs.__dataclass_fields__["x_test"].type
    'npt.NDArray[np.float32]'
    """

    predictor: Predictor
    x_train: npt.NDArray[np.float32]
    y_train: npt.NDArray[np.intp]
    x_test: npt.NDArray[np.float32]
    y_test: npt.NDArray[np.intp]
    raw_train: npt.NDArray[np.float64] | None
    raw_test: npt.NDArray[np.float64] | None
    seed: int


#: A hook that adds files (name -> bytes) to the checkpoint, e.g. adversarial defences.
ArtefactHook = Callable[[ArtefactInputs], Mapping[str, bytes]]


@dataclass(frozen=True)
class TrainedRun:
    """The outcome of :func:`train_table`: a checkpoint draft plus what to print."""

    draft: CheckpointDraft
    metrics: Mapping[str, float]
    leakage: tuple[LeakageReport, ...]
    report: Mapping[str, Any] = field(default_factory=dict)


def split_rows(
    y: npt.NDArray[Any], fractions: tuple[float, float], seed: int
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Stratified train / validation / test row indices (validation and test fractions)."""
    g = np.random.default_rng(seed)
    val_frac, test_frac = fractions
    parts: list[list[int]] = [[], [], []]
    for label in np.unique(y.astype(str)):
        rows = g.permutation(np.flatnonzero(y.astype(str) == label))
        n_test = round(len(rows) * test_frac)
        n_val = round(len(rows) * val_frac)
        parts[2] += rows[:n_test].tolist()
        parts[1] += rows[n_test : n_test + n_val].tolist()
        parts[0] += rows[n_test + n_val :].tolist()
    train, val, test = (np.sort(np.asarray(p, dtype=np.intp)) for p in parts)
    if min(len(train), len(val), len(test)) == 0:
        raise ConfigurationError("too few rows to split into train, validation and test")
    return train, val, test


def _fingerprint(cols: Columns, target: npt.NDArray[Any]) -> dict[str, Any]:
    digest = hashlib.sha256()
    for name in sorted(cols):
        digest.update(name.encode())
        digest.update(np.asarray(cols[name]).astype(str).tobytes())
    digest.update(target.astype(str).tobytes())
    return {"sha256": digest.hexdigest(), "rows": len(target), "columns": sorted(cols)}


def train_table(
    data: Any,
    target: str,
    *,
    name: str,
    model: str = "mlp",
    categorical: Sequence[str] = (),
    options: Mapping[str, Any] | None = None,
    seed: int = 0,
    fractions: tuple[float, float] = (0.2, 0.2),
    profile_resamples: int = 300,
    artefacts: Sequence[ArtefactHook] = (),
) -> TrainedRun:
    """Train a classifier on a table and return its checkpoint draft.

    Every hook in ``artefacts`` is called with the trained model and its splits
    (:class:`ArtefactInputs`) and the files it returns are stored in the checkpoint.
    """
    cols, y_raw = split_target(data, target)
    labels, y = np.unique(np.asarray(y_raw).astype(str), return_inverse=True)
    schema = infer_schema(cols, categorical=[c for c in categorical if c != target])
    train, val, test = split_rows(y, fractions, seed)
    encoder = TabularEncoder(schema).fit(take_rows(cols, train))
    x_train, x_val, x_test = (encoder.transform(take_rows(cols, r)) for r in (train, val, test))
    leakage = (
        leakage_report(x_train, x_val, "validation"),
        leakage_report(x_train, x_test, "test"),
    )
    opts = dict(options or {})
    if model in TORCH_MODELS:
        files, config, logits, temperature, report, model_obj = _train_torch(
            model, opts, seed, (x_train, y[train]), (x_val, y[val]), x_test
        )
        framework = "torch"
    else:
        files, config, logits, temperature, report, model_obj = _train_sklearn(
            model, opts, seed, (x_train, y[train]), (x_val, y[val]), x_test
        )
        framework = "sklearn"
    before = softmax(logits)
    after = apply_temperature(logits, temperature)
    test_metrics = classification_metrics(after, y[test]).to_dict()
    metrics = {
        "accuracy": test_metrics["accuracy"],
        "nll": test_metrics["nll"],
        "brier": test_metrics["brier"],
        "ece_before_ts": float(ece(before, y[test])),
        "ece_after_ts": float(ece(after, y[test])),
        "mean_confidence": float(after.max(axis=1).mean()),
    }
    profile = ReferenceProfile(n_resamples=profile_resamples, seed=seed).fit(
        take_rows(cols, train), schema
    )
    files["encoder.json"] = json.dumps(encoder.to_dict()).encode()
    if artefacts:
        predictor = Predictor(framework, encoder, tuple(labels.tolist()), temperature, model_obj)
        inputs = ArtefactInputs(
            predictor,
            x_train,
            y[train],
            x_test,
            y[test],
            _raw(cols, schema, train),
            _raw(cols, schema, test),
            seed,
        )
        for hook in artefacts:
            files.update(hook(inputs))
    config = {
        **config,
        "target": target,
        "labels": labels.tolist(),
        "temperature": temperature,
        "seed": seed,
    }
    data_summary = {
        "rows": len(y),
        "features": len(cols),
        "target": target,
        "classes": {str(k): int(v) for k, v in zip(labels, np.bincount(y), strict=True)},
    }
    card = model_card(
        name=name,
        framework=framework,
        config=config,
        data=data_summary,
        metrics=metrics,
        temperature=temperature,
        leakage=[item.to_dict() for item in leakage],
    )
    draft = CheckpointDraft(
        files=files,
        config=config,
        metrics={"test": metrics, "training": report},
        fingerprints={
            "train": _fingerprint(take_rows(cols, train), y_raw[train]),
            "all": _fingerprint(cols, y_raw),
            "leakage": [item.to_dict() for item in leakage],
        },
        profile=profile,
        model_card=card,
        framework=framework,
    )
    return TrainedRun(draft, metrics, leakage, report)


Split = tuple[npt.NDArray[np.float32], npt.NDArray[np.intp]]
Outcome = tuple[
    dict[str, bytes], dict[str, Any], npt.NDArray[np.float64], float, dict[str, Any], Any
]


def _train_torch(
    model: str, opts: dict[str, Any], seed: int, train: Split, val: Split, x_test: Any
) -> Outcome:
    from driftguard.training.config import TorchConfig
    from driftguard.training.torch_trainer import TorchTrainer, save_weights

    config = TorchConfig(model=model, seed=seed, **opts)
    trainer = TorchTrainer(config).fit(train[0], train[1], val[0], val[1])
    logits = np.asarray(trainer.predict_logits(x_test), dtype=np.float64)
    files = {"model.safetensors": save_weights(trainer.model_)}
    n_classes = int(max(train[1].max(), val[1].max()) + 1)
    shape = {"n_inputs": int(train[0].shape[1]), "n_classes": n_classes}
    return (
        files,
        {**config.to_dict(), **shape},
        logits,
        trainer.temperature_,
        trainer.report_.to_dict(),
        trainer.model_,
    )


def _train_sklearn(
    model: str, opts: dict[str, Any], seed: int, train: Split, val: Split, x_test: Any
) -> Outcome:
    from driftguard.training.sklearn_trainer import SklearnTrainer, save_estimator

    trainer = SklearnTrainer(model, opts, seed=seed).fit(train[0], train[1], val[0], val[1])
    if not trainer.is_classifier_:
        raise ConfigurationError(f"model {model!r} is a regressor; driftguard train classifies")
    logits = np.log(np.clip(trainer.estimator_.predict_proba(x_test), 1e-12, 1.0))
    files = {"model.skops": save_estimator(trainer.estimator_)}
    config = {"model": model, "params": opts}
    return files, config, logits, trainer.temperature_, {}, trainer.estimator_


def _raw(cols: Columns, schema: Schema, rows: npt.NDArray[np.intp]) -> Any:
    """Numeric columns of ``rows`` as a float matrix in schema order (None if any is not)."""
    if any(f.kind is not FeatureKind.NUMERIC for f in schema.features):
        return None
    return np.column_stack([np.asarray(cols[n], dtype=np.float64)[rows] for n in schema.names])
