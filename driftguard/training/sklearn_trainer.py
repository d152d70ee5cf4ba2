"""Train any scikit-learn classifier or regressor, calibrate it, and store it with skops.

Regularisation comes from the estimator's own parameters (``C`` for logistic regression,
``alpha`` for ridge or sklearn's MLP, ``early_stopping=True``, ``max_depth`` ...). Classifiers
are calibrated by temperature scaling of their log-probabilities on the validation split.
Models are serialised with skops, never pickle; loading trusts only scikit-learn, numpy and
scipy types and refuses anything else.

Examples
--------
>>> import numpy as np
>>> g = np.random.default_rng(0)
>>> x = g.normal(size=(300, 4)); y = (x[:, 0] > 0).astype(int)
>>> trainer = SklearnTrainer("logreg", {"C": 1.0}).fit(x[:200], y[:200], x[200:], y[200:])
>>> trainer.predict_proba(x[:3]).shape
(3, 2)
>>> clone = load_estimator(save_estimator(trainer.estimator_))
>>> bool((clone.predict(x[:3]) == trainer.estimator_.predict(x[:3])).all())
True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

import numpy as np
import numpy.typing as npt

from driftguard.errors import ConfigurationError, SerializationError, TrainingDataError
from driftguard.training.temperature import apply_temperature, fit_temperature

__all__ = ["ESTIMATORS", "SklearnTrainer", "load_estimator", "save_estimator"]

#: Estimator names the CLI accepts, mapped to (module, class, is_classifier).
ESTIMATORS: dict[str, tuple[str, str, bool]] = {
    "logreg": ("sklearn.linear_model", "LogisticRegression", True),
    "sk_mlp": ("sklearn.neural_network", "MLPClassifier", True),
    "random_forest": ("sklearn.ensemble", "RandomForestClassifier", True),
    "gbm": ("sklearn.ensemble", "HistGradientBoostingClassifier", True),
    "ridge": ("sklearn.linear_model", "Ridge", False),
    "gbm_regressor": ("sklearn.ensemble", "HistGradientBoostingRegressor", False),
}
_TRUSTED_PREFIXES = ("sklearn.", "numpy.", "scipy.", "builtins.")


def _build(name: str, params: Mapping[str, Any], seed: int) -> Any:
    if name not in ESTIMATORS:
        raise ConfigurationError(f"estimator: {name!r} is not one of {sorted(ESTIMATORS)}")
    import importlib

    module, cls, _ = ESTIMATORS[name]
    estimator_cls = getattr(importlib.import_module(module), cls)
    try:
        estimator = estimator_cls(**dict(params))
    except TypeError as exc:
        raise ConfigurationError(f"estimator {name!r}: {exc}") from None
    if "random_state" in estimator.get_params():
        estimator.set_params(random_state=seed)
    return estimator


class SklearnTrainer:
    """Fit a named scikit-learn estimator and calibrate its probabilities.

    Parameters
    ----------
    estimator : str, default "logreg"
        A key of :data:`ESTIMATORS`.
    params : mapping, optional
        Keyword arguments of the estimator (its regularisation knobs).
    calibrate : bool, default True
        Fit a temperature on the validation split (classifiers only).
    seed : int, default 0
        Passed as ``random_state`` where the estimator has one.

    Attributes
    ----------
    estimator_, classes_, temperature_, is_classifier_
    """

    def __init__(
        self,
        estimator: str = "logreg",
        params: Mapping[str, Any] | None = None,
        calibrate: bool = True,
        seed: int = 0,
    ) -> None:
        self.estimator = estimator
        self.params = params
        self.calibrate = calibrate
        self.seed = seed

    def fit(
        self,
        x_train: npt.NDArray[Any],
        y_train: npt.NDArray[Any],
        x_val: npt.NDArray[Any],
        y_val: npt.NDArray[Any],
    ) -> Self:
        """Fit on the training split; calibrate on the validation split."""
        if not np.all(np.isfinite(x_train)):
            raise TrainingDataError("training features contain NaN or infinite values")
        self.is_classifier_ = ESTIMATORS.get(self.estimator, ("", "", True))[2]
        self.estimator_ = _build(self.estimator, self.params or {}, self.seed)
        self.estimator_.fit(x_train, y_train)
        self.temperature_ = 1.0
        if self.is_classifier_:
            self.classes_ = np.asarray(self.estimator_.classes_)
            if self.calibrate and len(x_val):
                logits = self._logits(x_val)
                codes = np.searchsorted(self.classes_, y_val)
                self.temperature_ = fit_temperature(logits, codes)
        return self

    def _logits(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        proba = np.asarray(self.estimator_.predict_proba(x), dtype=np.float64)
        return np.asarray(np.log(np.clip(proba, 1e-12, 1.0)), dtype=np.float64)

    def predict_proba(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Calibrated class probabilities (classifiers only)."""
        if not self.is_classifier_:
            raise ConfigurationError(f"estimator {self.estimator!r} is a regressor")
        return apply_temperature(self._logits(x), self.temperature_)

    def predict(self, x: npt.NDArray[np.float64]) -> npt.NDArray[Any]:
        """Predicted labels or values."""
        return np.asarray(self.estimator_.predict(x))


def save_estimator(estimator: Any) -> bytes:
    """Serialise a fitted estimator with skops."""
    import skops.io as sio

    return bytes(sio.dumps(estimator))


def load_estimator(data: bytes) -> Any:
    """Load a skops payload, trusting only scikit-learn, numpy and scipy types."""
    import skops.io as sio

    try:
        untrusted = sio.get_untrusted_types(data=data)
    except Exception as exc:  # skops raises several types on corrupt input
        raise SerializationError(f"not a skops model ({exc})") from None
    refused = [t for t in untrusted if not t.startswith(_TRUSTED_PREFIXES)]
    if refused:
        raise SerializationError(f"model file holds untrusted types: {refused}")
    return sio.loads(data, trusted=untrusted)
