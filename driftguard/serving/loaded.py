"""One loaded model version: model, input validator, reference profile and monitor together.

The pieces of a version travel as one immutable object, so that a hot swap replaces all of
them with a single reference assignment: a request that picked up a :class:`LoadedModel`
validates, predicts and is monitored by that version only, whatever happens meanwhile.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from driftguard.checkpoint.folder import Checkpoint
from driftguard.drift.profile import ReferenceProfile
from driftguard.metrics.state import ModelState
from driftguard.monitor import WindowMonitor
from driftguard.schema.features import Schema
from driftguard.schema.validation import InputValidator, ValidatedBatch
from driftguard.serving.flags import FlagCounter
from driftguard.training.defenses import Defenses, load_defenses
from driftguard.training.predictor import Predictor, load_predictor
from driftguard.training.temperature import apply_temperature

__all__ = ["LoadedModel", "ModelOptions", "Served", "load_model"]


@dataclass(frozen=True)
class ModelOptions:
    """How the service loads and watches every model version.

    Parameters
    ----------
    nonfinite : {"reject", "count"}
        Policy for missing and non-finite input values.
    monitoring : bool
        Fold request rows into drift windows and log predictions for feedback.
    window_size : int or None
        Rows per monitoring window (``None``: the profile's largest calibrated size ≤ 1000).
    queue_rows : int
        Bound of the monitoring queue (rows beyond it are dropped and counted).
    shadow_rows : int
        After a promotion, rows the previous version also scores (0: no shadow).
    shadow_max_disagreement : float
        Disagreement rate with the previous version that counts as a regression.

    Examples
    --------
    >>> ModelOptions().nonfinite
    'reject'
    """

    nonfinite: str = "reject"
    monitoring: bool = True
    window_size: int | None = None
    queue_rows: int = 100_000
    shadow_rows: int = 2000
    shadow_max_disagreement: float = 0.1


@dataclass(frozen=True, eq=False)
class Served:
    """What a prediction produced: probabilities, the encoded rows, adversarial scores.

    Examples
    --------
    >>> import numpy as np
    >>> Served(np.ones((1, 2)) / 2).scores is None
    True
    """

    proba: npt.NDArray[np.float64]
    encoded: npt.NDArray[np.float32] | None = None
    scores: Any = None  # RequestScores of the version's RequestScorer, when it has one


@dataclass(frozen=True, eq=False)
class LoadedModel:
    """Everything needed to serve and watch one version (see :func:`load_model`).

    Examples
    --------
    >>> LoadedModel.__dataclass_fields__["version"].type
    'int'
    """

    name: str
    version: int
    generation: int
    predictor: Predictor
    profile: ReferenceProfile
    validator: InputValidator
    monitor: WindowMonitor | None
    load_seconds: float
    loaded_at: float
    metrics: dict[str, Any] = field(default_factory=dict)
    defenses: Defenses = field(default_factory=Defenses)
    adversarial: FlagCounter = field(default_factory=FlagCounter)
    _counts: dict[str, int] = field(default_factory=lambda: {"scored": 0})
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def schema(self) -> Schema:
        """The model's input features."""
        return self.validator.schema

    @property
    def reference_accuracy(self) -> float | None:
        """Accuracy on the checkpoint's test split, when training recorded it."""
        test = self.metrics.get("test")
        value = test.get("accuracy") if isinstance(test, dict) else None
        return float(value) if isinstance(value, int | float) else None

    @property
    def reference_confidence(self) -> float | None:
        """Mean top-label confidence on the checkpoint's test split, when training recorded it."""
        test = self.metrics.get("test")
        value = test.get("mean_confidence") if isinstance(test, dict) else None
        return float(value) if isinstance(value, int | float) else None

    @property
    def labels(self) -> tuple[str, ...]:
        """Class labels, in the column order of :meth:`predict_proba`."""
        return self.predictor.labels

    def predict_proba(self, batch: ValidatedBatch) -> npt.NDArray[np.float64]:
        """Calibrated class probabilities of validated rows.

        Missing values are imputed with the training mean and infinities clipped to the
        training range by the encoder (when DRIFTGUARD_NONFINITE=count lets them through).
        """
        encoder = self.predictor.encoder
        if batch.matrix is not None and encoder.all_numeric:
            proba = self.predictor.predict_proba_encoded(encoder.transform_matrix(batch.matrix))
        else:
            proba = self.predictor.predict_proba(batch.columns)
        with self._lock:
            self._counts["scored"] += batch.n_rows
        return proba

    def serve(self, batch: ValidatedBatch) -> Served:
        """Predict validated rows and, when the version has a request scorer, score them.

        The scores come from the same forward pass as the prediction (penultimate features
        and logits together), so they cost a few vector operations per row, not a second
        pass; each row's conformal flag is counted in :attr:`adversarial`.
        """
        scorer = self.defenses.scorer
        if scorer is None and self.defenses.probe is None:
            return Served(self.predict_proba(batch))
        encoder = self.predictor.encoder
        if batch.matrix is not None and encoder.all_numeric:
            x = encoder.transform_matrix(batch.matrix)
        else:
            x = encoder.transform(batch.columns)
        if scorer is None:
            proba = self.predictor.predict_proba_encoded(x)
            scores = None
        else:
            features, logits = self.predictor.features_and_logits_encoded(x)
            proba = apply_temperature(logits, self.predictor.temperature)
            scores = scorer.score(features, logits, self._raw(batch))
            self.adversarial.add(scores.flags())
        with self._lock:
            self._counts["scored"] += batch.n_rows
        return Served(proba, x, scores)

    def _raw(self, batch: ValidatedBatch) -> npt.NDArray[np.float64] | None:
        """The raw numeric matrix in schema order (None when a feature is categorical)."""
        if batch.matrix is not None:
            return np.asarray(batch.matrix, dtype=np.float64)
        if not self.predictor.encoder.all_numeric:
            return None
        names = self.schema.names
        return np.column_stack([np.asarray(batch.columns[n], dtype=np.float64) for n in names])

    def state(self, role: str, dropped: dict[str, int], feedback_rows: int) -> ModelState:
        """The snapshot :class:`~driftguard.metrics.prometheus.StateCollector` exports."""
        base = ModelState(
            name=self.name,
            version=self.version,
            framework=self.predictor.framework,
            role=role,
            generation=self.generation,
            load_seconds=self.load_seconds,
            rows_scored=self._counts["scored"],
            feedback_rows=feedback_rows,
            dropped=dict(dropped),
        )
        if self.monitor is None:
            return base
        m = self.monitor.state()
        report = m.last_closed.report if m.last_closed is not None else None
        return ModelState(
            **{
                **base.__dict__,
                "rows_observed": m.rows_observed,
                "window_rows": m.window_rows,
                "window_size": m.window_size,
                "windows_closed": m.windows_closed,
                "queue_rows": m.rows_queued,
                "dropped": {**base.dropped, "monitor_queue": m.dropped_rows},
                "nonfinite": m.nonfinite,
                "unseen": m.unseen,
                "dataset_score": None if report is None else report.dataset_score,
                "dataset_threshold": None if report is None else report.dataset_threshold,
                "feature_scores": {}
                if report is None
                else {f.feature: (f.score, f.threshold) for f in report.features},
            }
        )


def load_model(
    checkpoint: Checkpoint, generation: int, options: ModelOptions, *, name: str, version: int
) -> LoadedModel:
    """Rebuild the model of a verified checkpoint with its profile, validator and monitor."""
    start = time.perf_counter()
    predictor = load_predictor(checkpoint)
    profile = checkpoint.profile()
    validator = InputValidator(predictor.encoder.schema, nonfinite=options.nonfinite)
    defenses = load_defenses(checkpoint)
    monitor = (
        WindowMonitor(profile, window_size=options.window_size, queue_rows=options.queue_rows)
        if options.monitoring
        else None
    )
    return LoadedModel(
        name=name,
        version=version,
        generation=generation,
        predictor=predictor,
        profile=profile,
        validator=validator,
        monitor=monitor,
        load_seconds=time.perf_counter() - start,
        loaded_at=time.time(),
        metrics=dict(checkpoint.manifest.metrics),
        defenses=defenses,
    )
