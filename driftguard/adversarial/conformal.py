"""Make suspicion scores comparable, combine them, and turn them into conformal p-values.

**Comparable.** :class:`ScoreScaler` maps every component score ``s_k`` to
``(s_k - median_k) / spread_k`` with ``spread_k = q99_k - median_k``, both taken on the
TRAINING split (so 0 is a typical training row and 1 the training 99th percentile). A component
that is constant on at least 99% of the training rows (out-of-range and off-grid are 0 on every
training row) gets ``spread = degenerate_spread`` in its own units instead. The combined score
is the largest scaled component. Unlike ranks, this keeps ordering rows beyond everything seen
in training, so the top of the combined score keeps its resolution.

**Valid.** The combined score is a fixed function once fitted on the training split. The
calibration rows are only scored, never fitted on. For a clean request exchangeable with the
``n`` calibration rows, the p-value ``(1 + #{calibration >= s}) / (n + 1)`` satisfies
``P(p <= alpha) <= alpha`` (and ``> alpha - 1/(n+1)`` without ties), marginally over the
calibration draw (Vovk et al., 2005; split conformal). How the scores were made comparable only
affects power, never this guarantee.

Examples
--------
>>> import numpy as np
>>> conformal_p_values(np.array([1.0, 2.0, 3.0]), np.array([0.0, 2.0, 9.0])).tolist()
[1.0, 0.75, 0.25]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

import numpy as np
import numpy.typing as npt

from driftguard.errors import ConfigurationError, NotFittedError

__all__ = ["ScoreScaler", "conformal_p_values"]

FloatArray = npt.NDArray[np.float64]


def conformal_p_values(calibration_sorted: FloatArray, scores: npt.ArrayLike) -> FloatArray:
    """``(1 + #{calibration >= s}) / (n + 1)`` for every score ``s``.

    ``calibration_sorted`` must be sorted ascending (``np.sort`` of the calibration scores).

    Examples
    --------
    >>> import numpy as np
    >>> conformal_p_values(np.arange(99.0), [98.5, 50.0]).tolist()
    [0.01, 0.5]
    """
    n = len(calibration_sorted)
    at_least = n - np.searchsorted(calibration_sorted, scores, side="left")
    return np.asarray((1.0 + at_least) / (n + 1.0), dtype=np.float64)


class ScoreScaler:
    """Per-component ``(s - median) / (q99 - median)`` fitted on training scores.

    Parameters
    ----------
    quantile : float, default 0.99
        The upper quantile that defines the spread.
    degenerate_spread : float, default 1.0
        Spread of a component whose upper quantile equals its median (in its own units).

    Examples
    --------
    >>> import numpy as np
    >>> s = ScoreScaler().fit(np.c_[np.arange(101.0), np.zeros(101)])
    >>> s.transform(np.array([[50.0, 0.0], [148.0, 0.2]])).round(3).tolist()
    [[0.0, 0.0], [2.0, 0.2]]
    """

    def __init__(self, quantile: float = 0.99, degenerate_spread: float = 1.0) -> None:
        self.quantile = quantile
        self.degenerate_spread = degenerate_spread

    def fit(self, scores: npt.ArrayLike) -> Self:
        """Learn the median and spread of every column of ``scores`` (rows x components)."""
        if not 0.5 < self.quantile < 1.0:
            raise ConfigurationError(f"quantile must be in (0.5, 1), got {self.quantile!r}")
        if not self.degenerate_spread > 0.0:
            raise ConfigurationError(
                f"degenerate_spread must be > 0, got {self.degenerate_spread!r}"
            )
        s = np.asarray(scores, dtype=np.float64)
        if s.ndim != 2 or s.shape[0] < 2 or not np.all(np.isfinite(s)):
            raise ConfigurationError(
                f"scores: expected finite (rows >= 2, k) values, got {s.shape}"
            )
        self.center_ = np.median(s, axis=0)
        spread = np.quantile(s, self.quantile, axis=0) - self.center_
        self.spread_ = np.where(spread > 0.0, spread, self.degenerate_spread)
        return self

    def max_scaled(self, columns: Sequence[FloatArray]) -> FloatArray:
        """Row-wise largest scaled score, from one array per component (the hot path).

        Examples
        --------
        >>> import numpy as np
        >>> s = ScoreScaler().fit(np.c_[np.arange(101.0), np.zeros(101)])
        >>> s.max_scaled([np.array([50.0, 148.0]), np.array([0.3, 0.0])]).round(3).tolist()
        [0.3, 2.0]
        """
        if not hasattr(self, "center_"):
            raise NotFittedError("ScoreScaler is not fitted; call fit(scores)")
        cached = getattr(self, "_columns", None)
        if cached is None:
            cached = (self.center_[:, None], 1.0 / self.spread_[:, None])
            self._columns = cached
        table = np.array(columns, dtype=np.float64)
        table -= cached[0]
        table *= cached[1]
        return np.asarray(table.max(axis=0), dtype=np.float64)

    def transform(self, scores: npt.ArrayLike) -> FloatArray:
        """Scaled scores, same shape as ``scores``."""
        if not hasattr(self, "center_"):
            raise NotFittedError("ScoreScaler is not fitted; call fit(scores)")
        out = np.asarray(scores, dtype=np.float64) - self.center_
        out /= self.spread_
        return out
