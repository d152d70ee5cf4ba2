"""The model ``driftguard bench serve`` serves: logistic regression on breast_cancer.

driftguard's pipeline trains it and the registry stores and promotes it; MLServer gets the
very same fitted estimator behind a ``StandardScaler`` that carries the driftguard encoder's
means and standard deviations, so both servers map the same raw features to the same class.
Requests are Open Inference Protocol v2 bodies, one ``[rows, 30]`` FP64 tensor with the
features in schema order, byte-identical for every server.

Examples
--------
>>> import json
>>> body = json.loads(infer_body([[1.0, 2.0], [3.0, 4.0]]))
>>> body["inputs"][0]["shape"], body["inputs"][0]["data"]
([2, 2], [1.0, 2.0, 3.0, 4.0])
>>> answer = {"outputs": [{"name": "p", "shape": [2, 2], "data": [0.9, 0.1, 0.2, 0.8]}]}
>>> predicted_classes(answer, 2, 2)
[0, 1]
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from driftguard.errors import ConfigurationError
from driftguard.registry import Registry
from driftguard.training.pipeline import train_table
from driftguard.training.predictor import load_predictor

__all__ = ["MODEL", "BenchModel", "infer_body", "predicted_classes", "prepare_model"]

MODEL = "cancer"


@dataclass(frozen=True)
class BenchModel:
    """The promoted model, its raw rows in schema order and their expected classes.

    Examples
    --------
    >>> m = BenchModel(Path("reg"), 1, ("a",), ("0", "1"), np.zeros((1, 1)), np.zeros(1), None)
    >>> m.rows.shape
    (1, 1)
    """

    registry: Path
    version: int
    features: tuple[str, ...]
    labels: tuple[str, ...]
    rows: npt.NDArray[np.float64]
    expected: npt.NDArray[np.intp]
    pipeline: Any

    def body(self, n_rows: int, start: int = 0) -> bytes:
        """An inference request with ``n_rows`` rows (the data set repeats when needed)."""
        index = (start + np.arange(n_rows)) % len(self.rows)
        return infer_body(self.rows[index].tolist())


def infer_body(rows: Sequence[Sequence[float]]) -> bytes:
    """The Open Inference Protocol v2 request body of a row-major FP64 matrix."""
    width = len(rows[0]) if len(rows) else 0
    tensor = {
        "name": "input-0",
        "shape": [len(rows), width],
        "datatype": "FP64",
        "data": [float(v) for row in rows for v in row],
    }
    return json.dumps({"inputs": [tensor]}, separators=(",", ":")).encode()


def predicted_classes(answer: Any, n_rows: int, n_classes: int) -> list[int] | None:
    """Class indices read from a v2 inference answer (probabilities or labels), or None."""
    outputs = answer.get("outputs") if isinstance(answer, dict) else None
    found: list[int] | None = None
    for output in outputs if isinstance(outputs, list) else []:
        data = np.asarray(output.get("data", []) if isinstance(output, dict) else [])
        if data.dtype.kind == "f" and data.size == n_rows * n_classes:
            return [int(i) for i in data.reshape(n_rows, n_classes).argmax(axis=1)]
        if found is None and data.size == n_rows and data.dtype.kind in "iuU":
            try:
                values = [int(v) for v in data.tolist()]
            except ValueError:
                continue
            if all(0 <= v < n_classes for v in values):
                found = values
    return found


def _scaler(mean: npt.NDArray[np.float64], std: npt.NDArray[np.float64], n: int) -> Any:
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler()
    scaler.mean_, scaler.scale_, scaler.var_ = mean, std, std**2
    scaler.n_features_in_, scaler.n_samples_seen_ = len(mean), n
    return scaler


def prepare_model(workdir: Path) -> BenchModel:
    """Train, register and promote the model under ``workdir``; build MLServer's pipeline."""
    try:
        from sklearn.datasets import load_breast_cancer
        from sklearn.pipeline import make_pipeline
    except ImportError:
        raise ConfigurationError(
            "bench serve needs scikit-learn: pip install 'driftguard[sklearn]'"
        ) from None
    data = load_breast_cancer()
    columns: dict[str, Any] = {
        str(name).replace(" ", "_"): data.data[:, i] for i, name in enumerate(data.feature_names)
    }
    columns["target"] = data.target
    run = train_table(columns, "target", name=MODEL, model="logreg", seed=0)
    registry = Registry(workdir / "registry")
    version = registry.register(MODEL, run.draft, actor="bench")
    registry.promote(MODEL, version, actor="bench", reason="bench serve")
    predictor = load_predictor(registry.open(MODEL, version))
    encoder = predictor.encoder
    features = encoder.schema.names
    if list(encoder.feature_names_) != list(features):
        raise ConfigurationError("bench serve expects numeric features only")
    rows = np.column_stack([columns[name] for name in features]).astype(np.float64)
    expected = predictor.predict_proba(dict(zip(features, rows.T, strict=True))).argmax(axis=1)
    mean = np.asarray([encoder.mean_[name] for name in features])
    std = np.asarray([encoder.std_[name] for name in features])
    pipeline = make_pipeline(_scaler(mean, std, len(rows)), predictor.model)
    theirs = np.asarray(pipeline.predict_proba(rows)).argmax(axis=1)
    if not np.array_equal(theirs, expected):
        mismatched = int(np.sum(theirs != expected))
        raise ConfigurationError(f"the MLServer pipeline disagrees on {mismatched} rows")
    return BenchModel(
        workdir / "registry", version, features, predictor.labels, rows, expected, pipeline
    )
