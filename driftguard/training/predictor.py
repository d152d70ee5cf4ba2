"""Rebuild a trained model from a verified checkpoint and predict from raw columns.

The checkpoint carries everything: the framework, the architecture (torch config and input
and output sizes), the weights (safetensors or skops, never pickle), the feature encoder, the
class labels and the fitted temperature. Framework modules are imported only when needed.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from driftguard.checkpoint.folder import Checkpoint, CheckpointDraft
from driftguard.errors import SerializationError
from driftguard.training.encoding import TabularEncoder
from driftguard.training.temperature import apply_temperature

__all__ = ["Predictor", "load_predictor", "predictor_from_draft"]


@dataclass(frozen=True)
class Predictor:
    """A loaded model: encoder, framework model, labels and temperature."""

    framework: str
    encoder: TabularEncoder
    labels: tuple[str, ...]
    temperature: float
    model: Any

    def logits(self, columns: Any) -> npt.NDArray[np.float64]:
        """Uncalibrated logits (log-probabilities for scikit-learn models)."""
        return self.logits_encoded(self.encoder.transform(columns))

    def logits_encoded(self, x: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
        """Logits of rows already encoded by :attr:`encoder`.

        A scikit-learn logistic regression is evaluated directly from its coefficients (its
        decision function, which softmax turns into exactly ``predict_proba``): the serving
        path has validated and encoded the rows already, and scikit-learn's per-call input
        checks would cost more than the model itself.
        """
        linear = _linear_logits(self.model, x) if self.framework == "sklearn" else None
        if linear is not None:
            return linear
        if self.framework == "torch":
            import torch

            with torch.no_grad():
                self.model.eval()
                out = self.model(torch.from_numpy(np.ascontiguousarray(x)))
            return np.asarray(out.numpy(), dtype=np.float64)
        proba = np.asarray(self.model.predict_proba(x), dtype=np.float64)
        return np.asarray(np.log(np.clip(proba, 1e-12, 1.0)), dtype=np.float64)

    def features_and_logits_encoded(
        self, x: npt.NDArray[np.float32]
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float64]]:
        """Penultimate features (float32, as the network computes them) and logits, one pass.

        For a torch network that offers ``features_and_logits`` (:class:`MLP`: the output of
        the last hidden block; :class:`SmallCNN`: the flattened input of the head's
        ``Linear``) the features are those activations, in eval mode. For scikit-learn and
        any other model the features are the encoded rows ``x`` themselves. The logits equal
        :meth:`logits_encoded` (float64).

        Examples
        --------
        >>> import numpy as np
        >>> from driftguard.schema.features import infer_schema
        >>> from driftguard.training.encoding import TabularEncoder
        >>> from sklearn.linear_model import LogisticRegression
        >>> x = np.array([[0.0], [1.0], [2.0], [3.0]], dtype=np.float32)
        >>> enc = TabularEncoder(infer_schema({"a": x[:, 0]})).fit({"a": x[:, 0]})
        >>> p = Predictor("sklearn", enc, ("0", "1"), 1.0,
        ...               LogisticRegression().fit(x, [0, 0, 1, 1]))
        >>> feats, logits = p.features_and_logits_encoded(x)
        >>> feats.shape, bool(np.allclose(logits, p.logits_encoded(x)))
        ((4, 1), True)
        """
        if self.framework == "torch" and hasattr(self.model, "features_and_logits"):
            import torch

            with torch.no_grad():
                self.model.eval()
                h, out = self.model.features_and_logits(torch.from_numpy(np.ascontiguousarray(x)))
            return h.numpy(), np.asarray(out.numpy(), dtype=np.float64)
        return np.asarray(x), self.logits_encoded(x)

    def predict_proba(self, columns: Any) -> npt.NDArray[np.float64]:
        """Calibrated class probabilities, columns in the order of :attr:`labels`."""
        return apply_temperature(self.logits(columns), self.temperature)

    def predict_proba_encoded(self, x: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
        """Calibrated class probabilities of already encoded rows."""
        return apply_temperature(self.logits_encoded(x), self.temperature)

    def predict(self, columns: Any) -> list[str]:
        """The most probable label of every row."""
        return [self.labels[i] for i in self.predict_proba(columns).argmax(axis=1)]


def _linear_logits(model: Any, x: npt.NDArray[np.float32]) -> npt.NDArray[np.float64] | None:
    """Logits of a binary or multinomial LogisticRegression from its coefficients, else None."""
    if type(model).__name__ != "LogisticRegression" or getattr(model, "multi_class", "") == "ovr":
        return None
    coef = getattr(model, "coef_", None)
    intercept = getattr(model, "intercept_", None)
    if coef is None or intercept is None:
        return None
    d = np.asarray(x, dtype=np.float64) @ np.asarray(coef, dtype=np.float64).T + intercept
    if d.shape[1] == 1:  # binary: predict_proba is [1 - sigmoid(d), sigmoid(d)]
        return np.concatenate([np.zeros_like(d), d], axis=1)
    return np.asarray(d, dtype=np.float64)


def _torch_model(config: dict[str, Any], data: bytes) -> Any:
    from driftguard.training.config import TorchConfig
    from driftguard.training.torch_models import load_model

    names = {f.name for f in dataclasses.fields(TorchConfig)}
    torch_config = TorchConfig.from_dict({k: v for k, v in config.items() if k in names})
    return load_model(torch_config, int(config["n_inputs"]), int(config["n_classes"]), data)


def _build(
    framework: str, config: dict[str, Any], read: Callable[[str], bytes], where: str
) -> Predictor:
    try:
        encoder = TabularEncoder.from_dict(json.loads(read("encoder.json")))
        labels = tuple(str(v) for v in config["labels"])
        temperature = float(config["temperature"])
    except (KeyError, ValueError, TypeError) as exc:
        raise SerializationError(f"{where}: incomplete model files ({exc})") from None
    if framework == "torch":
        model = _torch_model(config, read("model.safetensors"))
    elif framework == "sklearn":
        from driftguard.training.sklearn_trainer import load_estimator

        model = load_estimator(read("model.skops"))
    else:
        raise SerializationError(f"unknown framework {framework!r}")
    return Predictor(framework, encoder, labels, temperature, model)


def load_predictor(checkpoint: Checkpoint) -> Predictor:
    """Rebuild the model stored in ``checkpoint`` (hashes are checked on every read)."""
    manifest = checkpoint.manifest
    return _build(
        manifest.framework, dict(manifest.config), checkpoint.file_bytes, str(checkpoint.directory)
    )


def predictor_from_draft(draft: CheckpointDraft) -> Predictor:
    """Rebuild the model of a trained run before it is registered (``run.draft``).

    Examples
    --------
    >>> import numpy as np
    >>> from driftguard.training.pipeline import train_table
    >>> g = np.random.default_rng(0)
    >>> x = g.normal(size=400)
    >>> run = train_table({"x": x, "y": (x > 0).astype(int)}, "y", name="m", model="logreg")
    >>> predictor_from_draft(run.draft).labels
    ('0', '1')

    Raises
    ------
    SerializationError
        The draft lacks a model file, the encoder or the labels.
    """

    def read(name: str) -> bytes:
        try:
            return bytes(draft.files[name])
        except KeyError:
            raise SerializationError(f"unregistered draft: no file {name!r}") from None

    return _build(draft.framework, dict(draft.config), read, "unregistered draft")
