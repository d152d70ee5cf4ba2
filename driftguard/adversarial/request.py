"""Per-request adversarial scores with a conformal p-value: :class:`RequestScorer`.

A request row gets six "higher = more suspicious" scores: three from the model's
temperature-scaled logits (``max_softmax``, ``margin``, ``energy``, see
:mod:`~driftguard.adversarial.scores`), the tied-covariance Mahalanobis distance of its
penultimate features (torch) or encoded inputs (others) to the training classes, and two
checks of its RAW numeric values: ``out_of_range`` and ``off_grid``
(:mod:`~driftguard.adversarial.inputs`). The raw matrix is optional: without it (``raw=None``
at :meth:`RequestScorer.fit`) the two raw checks are left out and read NaN.

The lifecycle keeps the false-positive rate valid:

1. :meth:`RequestScorer.fit` on the TRAINING split: Mahalanobis means and whitening, the
   range and grid of the raw values, and the :class:`ScoreScaler` that makes the components
   comparable (the combined score is the largest scaled component);
2. :meth:`RequestScorer.calibrate` on a clean held-out CALIBRATION split: nothing is fitted,
   the combined scores are only stored (sorted);
3. :meth:`RequestScorer.score`: per-row scores and the conformal p-value
   ``(1 + #{calibration >= s}) / (n_cal + 1)``; :meth:`RequestScores.flags` is ``p <= alpha``,
   whose rate on clean requests is at most ``alpha`` (see :mod:`~driftguard.adversarial.conformal`).

Examples
--------
>>> import numpy as np
>>> g = np.random.default_rng(0)
>>> def rows(n):
...     y = g.integers(0, 2, n)
...     x = g.normal(0, 1, (n, 2)) + 3 * y[:, None]
...     return x, np.c_[-x.sum(1), x.sum(1)], np.round(x), y
>>> f, z, raw, y = rows(500)
>>> scorer = RequestScorer(alpha=0.05).fit(f, z, raw, y).calibrate(*rows(400)[:3])
>>> clean = scorer.score(*rows(400)[:3])
>>> bool(abs(clean.flags().mean() - 0.05) < 0.04)
True
>>> far = scorer.score(np.array([[9.0, -9.0]]), np.array([[0.0, 0.0]]), np.array([[9.0, -9.5]]))
>>> far.flags().tolist(), far.off_grid.tolist()
([True], [1.0])
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import numpy.typing as npt

from driftguard.adversarial.codec import (
    RAW_ARRAYS,
    ScorerState,
    inconsistent_shapes,
    malformed,
    state_from_bytes,
    state_to_bytes,
)
from driftguard.adversarial.conformal import ScoreScaler, conformal_p_values
from driftguard.adversarial.inputs import InputGrid, InputRange
from driftguard.adversarial.mahalanobis import TiedMahalanobis
from driftguard.adversarial.results import (
    COMPONENTS,
    DEFAULT_SCORES,
    RAW_COMPONENTS,
    RequestScores,
)
from driftguard.adversarial.scores import output_scores
from driftguard.errors import ConfigurationError, NotFittedError

__all__ = [
    "COMPONENTS",
    "DEFAULT_SCORES",
    "RAW_COMPONENTS",
    "RequestScorer",
    "RequestScores",
    "fit_request_scorer",
]

FloatArray = npt.NDArray[np.float64]


class RequestScorer:
    """Fit on training outputs, calibrate on clean held-out outputs, score requests.

    Parameters
    ----------
    alpha : float, default 0.01
        Target per-request false-positive rate of :meth:`RequestScores.flags`.
    scores : tuple of str, default :data:`DEFAULT_SCORES`
        The components (of :data:`COMPONENTS`) that enter the combined score.
    temperature : float, default 1.0
        The model's temperature; the logit scores read ``logits / temperature``.
    shrinkage, ridge : float
        Covariance regularisation of :class:`TiedMahalanobis`.
    grid_tolerance : float, default 1e-3
        Tolerance of :class:`InputGrid`, in grid steps.
    quantile, degenerate_spread : float
        How :class:`ScoreScaler` makes the components comparable.

    Attributes
    ----------
    used_ : tuple of str
        The components of the combined score (``scores`` less the raw checks without raw data).
    uses_logit_scores_ : bool
        Whether a logit score enters the combined score.
    calibration_ : ndarray
        Sorted combined scores of the calibration rows (after :meth:`calibrate`).
    """

    def __init__(
        self,
        alpha: float = 0.01,
        scores: tuple[str, ...] = DEFAULT_SCORES,
        temperature: float = 1.0,
        shrinkage: float = 0.01,
        ridge: float = 1e-6,
        grid_tolerance: float = 1e-3,
        quantile: float = 0.99,
        degenerate_spread: float = 1.0,
    ) -> None:
        self.alpha = alpha
        self.scores = scores
        self.temperature = temperature
        self.shrinkage = shrinkage
        self.ridge = ridge
        self.grid_tolerance = grid_tolerance
        self.quantile = quantile
        self.degenerate_spread = degenerate_spread

    def get_params(self) -> dict[str, Any]:
        """The constructor arguments, JSON-ready."""
        return {
            "alpha": self.alpha,
            "scores": list(self.scores),
            "temperature": self.temperature,
            "shrinkage": self.shrinkage,
            "ridge": self.ridge,
            "grid_tolerance": self.grid_tolerance,
            "quantile": self.quantile,
            "degenerate_spread": self.degenerate_spread,
        }

    def _validate(self) -> None:
        if not 0.0 < self.alpha < 1.0:
            raise ConfigurationError(f"alpha must be in (0, 1), got {self.alpha!r}")
        unknown = sorted(set(self.scores) - set(COMPONENTS))
        if unknown or not self.scores:
            raise ConfigurationError(f"scores: unknown {unknown} or empty; use {COMPONENTS}")

    def fit(
        self,
        features: npt.ArrayLike,
        logits: npt.ArrayLike,
        raw: npt.ArrayLike | None,
        labels: npt.ArrayLike,
    ) -> Self:
        """Fit every component and the scaler on the TRAINING split."""
        self._validate()
        self.mahalanobis_ = TiedMahalanobis(self.shrinkage, self.ridge).fit(features, labels)
        self.range_: InputRange | None = None
        self.grid_: InputGrid | None = None
        if raw is not None:
            self.range_ = InputRange().fit(raw)
            self.grid_ = InputGrid(self.grid_tolerance).fit(raw)
        self.used_ = tuple(c for c in COMPONENTS if c in self.scores and self._available(c))
        if not self.used_:
            raise ConfigurationError("scores: only raw checks were chosen but raw is None")
        self.uses_logit_scores_ = bool(set(self.used_) & set(COMPONENTS[:3]))
        table = self._table(features, logits, raw)
        self.scaler_ = ScoreScaler(self.quantile, self.degenerate_spread).fit(table)
        return self

    def _available(self, name: str) -> bool:
        return name not in RAW_COMPONENTS or self.range_ is not None

    def calibrate(
        self, features: npt.ArrayLike, logits: npt.ArrayLike, raw: npt.ArrayLike | None
    ) -> Self:
        """Store the sorted scores of clean held-out CALIBRATION rows (nothing is fitted)."""
        if not hasattr(self, "scaler_"):
            raise NotFittedError("RequestScorer is not fitted; call fit(...) first")
        table = self._table(features, logits, raw)
        if table.shape[0] < 1:
            raise ConfigurationError("calibration needs at least one row")
        self.calibration_ = np.sort(self.scaler_.transform(table).max(axis=1))
        self.calibration_components_ = np.sort(table, axis=0)
        return self

    def _components(
        self, features: Any, logits: Any, raw: Any, outputs: bool
    ) -> tuple[dict[str, FloatArray], tuple[FloatArray, FloatArray, FloatArray] | None]:
        """Mahalanobis and the raw checks (NaN without raw data), and the logit scores.

        The logit scores are computed when ``outputs`` or when the combined score needs them.
        """
        z = np.asarray(logits, dtype=np.float64)
        mahalanobis = self.mahalanobis_.score(features)
        if len(mahalanobis) != len(z):
            raise ConfigurationError(f"features have {len(mahalanobis)} rows but logits {len(z)}")
        out = {"mahalanobis": mahalanobis}
        if self.range_ is None or self.grid_ is None:
            out["out_of_range"] = out["off_grid"] = np.full(len(z), np.nan)
        elif raw is None:
            raise ConfigurationError("raw: the scorer was fitted with raw values; pass them")
        else:
            out["out_of_range"] = self.range_.score(raw)
            if len(out["out_of_range"]) != len(z):
                raise ConfigurationError(
                    f"raw has {len(out['out_of_range'])} rows but logits {len(z)}"
                )
            out["off_grid"] = self.grid_.score(raw)
        logit_scores = None
        if outputs or self.uses_logit_scores_:
            logit_scores = output_scores(z, self.temperature)
            out.update(zip(COMPONENTS[:3], logit_scores, strict=True))
        return out, logit_scores

    def _table(self, features: Any, logits: Any, raw: Any) -> FloatArray:
        every, _ = self._components(features, logits, raw, outputs=False)
        return np.column_stack([every[name] for name in self.used_])

    def score(
        self, features: npt.ArrayLike, logits: npt.ArrayLike, raw: npt.ArrayLike | None = None
    ) -> RequestScores:
        """Per-row scores, the combined score and its conformal p-value."""
        if not hasattr(self, "calibration_"):
            raise NotFittedError("RequestScorer is not calibrated; call calibrate(...) first")
        every, logit_scores = self._components(features, logits, raw, outputs=False)
        combined = self.scaler_.max_scaled([every[name] for name in self.used_])
        p = conformal_p_values(self.calibration_, combined)
        return RequestScores(
            every["mahalanobis"],
            every["out_of_range"],
            every["off_grid"],
            combined,
            p,
            float(self.alpha),
            np.asarray(logits, dtype=np.float64),
            float(self.temperature),
            logit_scores,
        )

    def component_p_values(self, scores: RequestScores) -> dict[str, FloatArray]:
        """Conformal p-value of every used component on its own (for reports, not flags).

        Examples
        --------
        >>> import numpy as np
        >>> x = np.random.default_rng(0).normal(size=(50, 2))
        >>> s = RequestScorer(scores=("mahalanobis",)).fit(x, x, None, np.arange(50) % 2)
        >>> s = s.calibrate(x, x, None)
        >>> sorted(s.component_p_values(s.score(x[:3], x[:3])))
        ['mahalanobis']
        """
        if not hasattr(self, "calibration_components_"):
            raise NotFittedError("RequestScorer is not calibrated; call calibrate(...) first")
        return {
            name: conformal_p_values(self.calibration_components_[:, k], scores.component(name))
            for k, name in enumerate(self.used_)
        }

    def to_bytes(self) -> bytes:
        """The fitted and calibrated scorer as ``.npz`` bytes (no pickle)."""
        return state_to_bytes(self._state())

    @classmethod
    def from_bytes(cls, data: bytes) -> RequestScorer:
        """Rebuild a scorer written by :meth:`to_bytes` (raises ``SerializationError``)."""
        state = state_from_bytes(data)
        try:
            scorer = cls._from_state(state)
        except (KeyError, TypeError, ValueError, ConfigurationError) as exc:
            raise malformed(exc) from None
        scorer._check_shapes()
        return scorer

    def _state(self) -> ScorerState:
        """The plain state the codec writes."""
        if not hasattr(self, "calibration_"):
            raise NotFittedError("RequestScorer is not calibrated; nothing to save")
        raw = None
        if self.range_ is not None and self.grid_ is not None:
            learned = (
                self.range_.low_,
                self.range_.high_,
                self.range_.unit_,
                self.grid_.offset_,
                self.grid_.step_,
                self.grid_.has_grid_,
            )
            raw = dict(zip(RAW_ARRAYS, learned, strict=True))
        return ScorerState(
            params=self.get_params(),
            used=self.used_,
            whitening=self.mahalanobis_.whitening_,
            means=self.mahalanobis_.means_,
            center=self.scaler_.center_,
            spread=self.scaler_.spread_,
            calibration=self.calibration_,
            calibration_components=self.calibration_components_,
            raw=raw,
        )

    @classmethod
    def _from_state(cls, state: ScorerState) -> RequestScorer:
        params = dict(state.params)
        params["scores"] = tuple(params["scores"])
        scorer = cls(**params)
        scorer._validate()
        scorer.used_ = state.used
        scorer.uses_logit_scores_ = bool(set(scorer.used_) & set(COMPONENTS[:3]))
        scorer.mahalanobis_ = TiedMahalanobis.from_arrays(
            state.whitening, state.means, scorer.shrinkage, scorer.ridge
        )
        scorer.range_, scorer.grid_ = None, None
        if state.raw is not None:
            raw = state.raw
            scorer.range_ = InputRange.from_arrays(raw["low"], raw["high"], raw["unit"])
            scorer.grid_ = InputGrid.from_arrays(
                raw["offset"], raw["step"], raw["has_grid"], scorer.grid_tolerance
            )
        scaler = ScoreScaler(scorer.quantile, scorer.degenerate_spread)
        scaler.center_, scaler.spread_ = state.center, state.spread
        scorer.scaler_ = scaler
        scorer.calibration_ = np.asarray(state.calibration, dtype=np.float64)
        scorer.calibration_components_ = state.calibration_components
        return scorer

    def _check_shapes(self) -> None:
        """Raise ``SerializationError`` when the rebuilt arrays do not fit together."""
        k = len(self.used_)
        w, m = self.mahalanobis_.whitening_, self.mahalanobis_.means_
        ok = (
            w.ndim == 2
            and m.ndim == 2
            and m.shape[1] == w.shape[1]
            and self.scaler_.center_.shape == (k,)
            and self.scaler_.spread_.shape == (k,)
            and self.calibration_.ndim == 1
            and self.calibration_components_.shape == (len(self.calibration_), k)
            and (self.range_ is not None or not set(self.used_) & set(RAW_COMPONENTS))
        )
        if not ok:
            raise inconsistent_shapes()


def fit_request_scorer(
    predictor: Any,
    x_train_encoded: npt.NDArray[np.float32],
    raw_train: npt.ArrayLike | None,
    y_train: npt.ArrayLike,
    x_cal_encoded: npt.NDArray[np.float32],
    raw_cal: npt.ArrayLike | None,
    alpha: float = 0.01,
    scores: tuple[str, ...] = DEFAULT_SCORES,
) -> RequestScorer:
    """Fit on the training rows and calibrate on the clean calibration rows of ``predictor``.

    ``predictor`` is a :class:`~driftguard.training.predictor.Predictor`; its
    ``features_and_logits_encoded`` gives the features and logits, its ``temperature``
    the scaling. ``y_train`` are class indices (columns of the logits).

    Examples
    --------
    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> x = np.random.default_rng(0).normal(size=(60, 2)).astype(np.float32)
    >>> p = SimpleNamespace(temperature=1.0, features_and_logits_encoded=lambda v: (v, v))
    >>> s = fit_request_scorer(p, x, None, np.arange(60) % 2, x, None)
    >>> s.used_
    ('mahalanobis',)
    """
    scorer = RequestScorer(alpha, scores, temperature=float(predictor.temperature))
    f_train, z_train = predictor.features_and_logits_encoded(x_train_encoded)
    f_cal, z_cal = predictor.features_and_logits_encoded(x_cal_encoded)
    return scorer.fit(f_train, z_train, raw_train, y_train).calibrate(f_cal, z_cal, raw_cal)
