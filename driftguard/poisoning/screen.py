"""Screen labelled feedback with the last trusted checkpoint before it is used.

A poisoner who controls part of the feedback sends rows with wrong labels. Each feedback row
is scored with the **trusted** (last known-good) model, never with the model under suspicion:

- ``label_loss = 1 - p_trusted(label | x)``: the trusted model finds the label implausible;
- ``knn_disagreement``: the share of the ``k`` nearest trusted training rows (Euclidean, in
  the model's encoded input space) whose label differs from the given one;
- ``combined``: their weighted mean (``loss_weight`` and ``knn_weight``, default 0.5 each).

The flag threshold is calibrated conformally: ``fit`` scores a clean held-out split labelled
with its true labels, and a feedback row's ``p_value`` is ``(1 + #{clean >= score}) /
(n_clean + 1)``. Flagging ``p_value <= alpha`` flags clean feedback at a rate of at most
``alpha`` (exchangeability), and each flipped label at the rate the scores allow.

Measured on digits (``driftguard bench guard``; the demo's torch MLP, mean test accuracy
0.977; 3 trained models x 5 flip draws, 360 feedback rows each; alpha 0.01): AUROC of flipped
against clean rows at 5/10/20% random and class-to-class flips was 0.9993-0.9999 for
``label_loss`` alone, 0.9976-0.9985 for ``knn_disagreement`` alone (k=10) and 0.9994-0.9998
(worst single draw 0.9977) for the equal-weight mean; recall at alpha 0.95-0.99, precision
0.88 (5% flips) to 0.97 (20%), clean feedback flagged 0.8%. In a first exploration the mean
and the product ``1 - (1 - loss)(1 - knn)`` (k=20) were the most stable combinations
(distance weighting and the maximum were not better), so the mean is the default: the kNN
term does not rely on the model's probabilities alone.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> x = np.concatenate([rng.normal(-3, 1, (100, 2)), rng.normal(3, 1, (100, 2))])
>>> y = np.repeat([0, 1], 100)
>>> proba = np.where(y[:, None] == [0, 1], 0.95, 0.05)
>>> screen = FeedbackScreen(alpha=0.05).fit(x[::2], y[::2], proba[1::2], y[1::2], x[1::2])
>>> scores = screen.score(proba[:4], x[:4], np.array([0, 0, 1, 1]))
>>> scores.flagged.tolist()
[False, False, True, True]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, Self

import numpy as np
import numpy.typing as npt

from driftguard.errors import ConfigurationError, InvalidInputError, NotFittedError
from driftguard.poisoning.checks import class_labels, same_rows
from driftguard.poisoning.neighbours import knn_disagreement
from driftguard.poisoning.screen_io import (
    ScreenState,
    inconsistent,
    state_from_bytes,
    state_to_bytes,
)
from driftguard.schema.arrays import finite_matrix

__all__ = [
    "FeedbackScores",
    "FeedbackScreen",
    "ProbabilityModel",
    "fit_feedback_screen",
    "stratified_subsample",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class FeedbackScores:
    """Per-row screening scores of a feedback batch (higher = more suspicious).

    Examples
    --------
    >>> import numpy as np
    >>> s = FeedbackScores(np.array([0.1]), np.array([0.0]), np.array([0.05]),
    ...                    np.array([0.5]), np.array([False]))
    >>> s.n_flagged, s.to_dict()["p_value"]
    (0, [0.5])
    """

    label_loss: FloatArray
    knn_disagreement: FloatArray
    combined: FloatArray
    p_value: FloatArray
    flagged: BoolArray

    @property
    def n_flagged(self) -> int:
        """Number of flagged rows."""
        return int(self.flagged.sum())

    def to_dict(self) -> dict[str, list[float] | list[bool]]:
        """JSON-ready per-row lists."""
        return {
            "label_loss": self.label_loss.tolist(),
            "knn_disagreement": self.knn_disagreement.tolist(),
            "combined": self.combined.tolist(),
            "p_value": self.p_value.tolist(),
            "flagged": self.flagged.tolist(),
        }


class ProbabilityModel(Protocol):
    """What :func:`fit_feedback_screen` needs: calibrated probabilities of encoded rows."""

    def predict_proba_encoded(self, x: npt.NDArray[np.float32]) -> FloatArray:
        """Class probabilities of encoded rows."""
        ...


class FeedbackScreen:
    """Score labelled feedback with a trusted model and flag implausible labels.

    Parameters
    ----------
    alpha : float, default 0.01
        Flag level: clean feedback is flagged at a rate of at most ``alpha``.
    k : int, default 10
        Neighbours of the kNN disagreement (capped at the reference size).
    loss_weight, knn_weight : float, default 0.5
        Weights of ``label_loss`` and ``knn_disagreement`` in ``combined``.
    max_reference : int, default 5000
        Largest kNN reference kept (a stratified subsample of the training rows).
    seed : int, default 0
        Seed of the reference subsample.

    Attributes
    ----------
    reference_x_ : ndarray of shape (n_ref, n_features), float32
    reference_y_ : ndarray of shape (n_ref,)
    calibration_scores_ : ndarray
        ``combined`` scores of the clean calibration rows, ascending.
    n_classes_ : int
    clean_flag_rate_ : float
        Share of the calibration rows that would be flagged (leave-one-in, about ``alpha``).

    Examples
    --------
    >>> FeedbackScreen(alpha=0.05, k=5).k
    5
    """

    def __init__(
        self,
        alpha: float = 0.01,
        k: int = 10,
        loss_weight: float = 0.5,
        knn_weight: float = 0.5,
        max_reference: int = 5000,
        seed: int = 0,
    ) -> None:
        self.alpha = alpha
        self.k = k
        self.loss_weight = loss_weight
        self.knn_weight = knn_weight
        self.max_reference = max_reference
        self.seed = seed

    def _validate(self) -> None:
        if not 0.0 < self.alpha < 1.0:
            raise ConfigurationError(f"alpha must be in (0, 1), got {self.alpha!r}")
        if isinstance(self.k, bool) or not isinstance(self.k, int) or self.k < 1:
            raise ConfigurationError(f"k must be an integer >= 1, got {self.k!r}")
        weights = (self.loss_weight, self.knn_weight)
        if min(weights) < 0.0 or not sum(weights) > 0.0:
            raise ConfigurationError(
                f"loss_weight and knn_weight must be >= 0 with a positive sum, got {weights}"
            )
        if not isinstance(self.max_reference, int) or self.max_reference < self.k:
            raise ConfigurationError(
                f"max_reference must be an integer >= k={self.k}, got {self.max_reference!r}"
            )

    def fit(
        self,
        x_ref: npt.ArrayLike,
        y_ref: npt.ArrayLike,
        proba_cal: npt.ArrayLike,
        y_cal: npt.ArrayLike,
        x_cal: npt.ArrayLike,
    ) -> Self:
        """Keep the kNN reference and calibrate the flag threshold on clean held-out rows."""
        self._validate()
        p_cal = finite_matrix(proba_cal, "proba_cal")
        n_classes = p_cal.shape[1]
        x = finite_matrix(x_ref, "x_ref")
        y = class_labels(y_ref, n_classes, "y_ref")
        same_rows(x.shape[0], y_ref=y.shape[0])
        if x.shape[0] == 0 or p_cal.shape[0] == 0:
            raise InvalidInputError("x_ref" if x.shape[0] == 0 else "proba_cal", "has no rows")
        keep = stratified_subsample(y, self.max_reference, self.seed)
        self.reference_x_ = x[keep].astype(np.float32)
        self.reference_y_ = y[keep]
        self.n_classes_ = n_classes
        self.calibration_scores_ = np.sort(self._combined(p_cal, x_cal, y_cal, "cal")[2])
        self.clean_flag_rate_ = float(
            np.mean(self._p_values(self.calibration_scores_) <= self.alpha)
        )
        return self

    def score(
        self, proba_trusted: npt.ArrayLike, x_encoded: npt.ArrayLike, labels: npt.ArrayLike
    ) -> FeedbackScores:
        """Score feedback rows: trusted probabilities, encoded inputs and given class indices."""
        self.check_fitted()
        loss, knn, combined = self._combined(proba_trusted, x_encoded, labels, "")
        p_value = self._p_values(combined)
        return FeedbackScores(loss, knn, combined, p_value, p_value <= self.alpha)

    def _combined(
        self, proba: npt.ArrayLike, x: npt.ArrayLike, labels: npt.ArrayLike, suffix: str
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        names = (
            ("proba_trusted", "x_encoded", "labels")
            if not suffix
            else (f"proba_{suffix}", f"x_{suffix}", f"y_{suffix}")
        )
        p = finite_matrix(proba, names[0], self.n_classes_)
        feats = finite_matrix(x, names[1], self.reference_x_.shape[1])
        y = class_labels(labels, self.n_classes_, names[2])
        same_rows(p.shape[0], **{names[1]: feats.shape[0], names[2]: y.shape[0]})
        loss = 1.0 - p[np.arange(y.size), y]
        knn = knn_disagreement(self.reference_x_, self.reference_y_, feats, y, self.k)
        total = self.loss_weight + self.knn_weight
        combined = (self.loss_weight * loss + self.knn_weight * knn) / total
        return loss, knn, combined

    def _p_values(self, scores: FloatArray) -> FloatArray:
        cal = self.calibration_scores_
        at_least = cal.size - np.searchsorted(cal, scores - 1e-12, side="left")
        return np.asarray((1.0 + at_least) / (cal.size + 1.0), dtype=np.float64)

    def check_fitted(self) -> None:
        """Raise :class:`NotFittedError` before :meth:`fit`."""
        if not hasattr(self, "calibration_scores_"):
            raise NotFittedError("FeedbackScreen is not fitted; call fit(...) first")

    def to_bytes(self) -> bytes:
        """The fitted screen as ``.npz`` bytes (no pickle)."""
        self.check_fitted()
        params = {
            "alpha": self.alpha,
            "k": self.k,
            "loss_weight": self.loss_weight,
            "knn_weight": self.knn_weight,
            "max_reference": self.max_reference,
            "seed": self.seed,
        }
        state = ScreenState(
            params,
            self.n_classes_,
            self.clean_flag_rate_,
            self.reference_x_,
            self.reference_y_,
            self.calibration_scores_,
        )
        return state_to_bytes(state)

    @classmethod
    def from_bytes(cls, data: bytes) -> FeedbackScreen:
        """Read a screen written by :meth:`to_bytes`; bad bytes raise SerializationError."""
        state = state_from_bytes(data)
        screen = cls(**state.params)
        try:
            screen._validate()
        except ConfigurationError as exc:
            raise inconsistent(exc) from None
        screen.reference_x_ = state.reference_x
        screen.reference_y_ = state.reference_y
        screen.n_classes_ = state.n_classes
        screen.calibration_scores_ = state.calibration_scores
        screen.clean_flag_rate_ = state.clean_flag_rate
        return screen


def stratified_subsample(y: IntArray, max_rows: int, seed: int) -> IntArray:
    """Sorted row indices: all rows, or ``max_rows`` of them in class proportions.

    Examples
    --------
    >>> import numpy as np
    >>> rows = stratified_subsample(np.repeat([0, 1], [80, 20]), 10, seed=0)
    >>> rows.size, int((rows >= 80).sum())
    (10, 2)
    """
    if y.size <= max_rows:
        return np.arange(y.size, dtype=np.intp)
    g = np.random.default_rng(seed)
    picked: list[IntArray] = []
    for cls in np.unique(y):
        rows = np.flatnonzero(y == cls)
        take = max(1, round(max_rows * rows.size / y.size))
        picked.append(g.choice(rows, min(take, rows.size), replace=False))
    return np.sort(np.concatenate(picked)).astype(np.intp)


def fit_feedback_screen(
    predictor: ProbabilityModel,
    x_train_enc: npt.ArrayLike,
    y_train: npt.ArrayLike,
    x_cal_enc: npt.ArrayLike,
    y_cal: npt.ArrayLike,
    **config: Any,
) -> FeedbackScreen:
    """Fit a :class:`FeedbackScreen` for a trusted predictor (``config``: constructor args).

    Examples
    --------
    >>> import numpy as np
    >>> class Fixed:
    ...     def predict_proba_encoded(self, x):
    ...         return np.column_stack([x[:, 0] < 0, x[:, 0] >= 0]).astype(float)
    >>> x = np.array([[-2.0], [-1.0], [1.0], [2.0]] * 5)
    >>> y = (x[:, 0] > 0).astype(int)
    >>> screen = fit_feedback_screen(Fixed(), x, y, x, y, k=3, alpha=0.1)
    >>> screen.score(Fixed().predict_proba_encoded(x[:2]), x[:2], [1, 0]).flagged.tolist()
    [True, False]
    """
    x_cal = np.asarray(x_cal_enc, dtype=np.float32)
    proba = predictor.predict_proba_encoded(x_cal)
    screen = FeedbackScreen(**config)
    return screen.fit(x_train_enc, y_train, proba, y_cal, x_cal)
