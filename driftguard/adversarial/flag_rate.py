"""The share of recent rows flagged as adversarial, tested against the conformal guarantee.

A :class:`~driftguard.adversarial.request.RequestScorer` gives every served row a conformal
p-value; a clean row gets ``p <= alpha`` with probability at most ``alpha``. So among ``n``
clean rows the flagged count is at most ``Binomial(n, alpha)``, and :class:`AdversarialRate`
reports the ``adversarial_inputs`` signal (kind ``adversarial``) that breaches when a one-sided
binomial test at ``significance`` rejects that rate over the last ``max_rows`` rows -- the
signal the guard computes from a served version's flag counter, as a standalone detector.

Examples
--------
>>> import numpy as np
>>> det = AdversarialRate(alpha=0.01).update(np.linspace(0.0, 1.0, 1000))
>>> det.signals()[0].status
'ok'
>>> det.update(np.full(100, 0.001)).signals()[0].status
'breach'
"""

from __future__ import annotations

import threading
from typing import Any, Self

import numpy as np
import numpy.typing as npt

from driftguard.errors import ConfigurationError, InvalidInputError
from driftguard.stats.rates import flag_rate_signal
from driftguard.types import Signal

__all__ = ["AdversarialRate"]


class AdversarialRate:
    """``adversarial_inputs``: the recent share of rows with conformal p-value <= ``alpha``.

    Parameters
    ----------
    alpha : float, default 0.01
        The scorer's conformal level: a row is flagged when its p-value is at most ``alpha``,
        which a clean row is with probability at most ``alpha``.
    significance : float, default 1e-3
        Level of the one-sided binomial test of the flag rate against ``alpha``.
    max_rows : int, default 2000
        Rows whose flags are kept for the rate (the most recent).
    min_rows : int, default 1
        Below this many kept rows the signal is ``insufficient_data``.

    Attributes
    ----------
    flags_ : ndarray of bool
        Flags of the kept rows, oldest first.
    n_seen_, n_flagged_ : int
        Rows and flagged rows observed in all.

    Examples
    --------
    >>> det = AdversarialRate(alpha=0.05, min_rows=10).update([0.01, 0.5, 0.9])
    >>> det.signals()[0].status, det.n_flagged_
    ('insufficient_data', 1)
    >>> AdversarialRate(**det.get_params()).get_params() == det.get_params()
    True
    """

    def __init__(
        self,
        alpha: float = 0.01,
        significance: float = 1e-3,
        max_rows: int = 2000,
        min_rows: int = 1,
    ) -> None:
        for name, level in (("alpha", alpha), ("significance", significance)):
            if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level < 1:
                raise ConfigurationError(f"{name} must be in (0, 1), got {level!r}")
        for name, count in (("max_rows", max_rows), ("min_rows", min_rows)):
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                raise ConfigurationError(f"{name} must be an integer >= 1, got {count!r}")
        if min_rows > max_rows:
            raise ConfigurationError(f"min_rows ({min_rows}) exceeds max_rows ({max_rows})")
        self.alpha = alpha
        self.significance = significance
        self.max_rows = max_rows
        self.min_rows = min_rows
        self.flags_: npt.NDArray[np.bool_] = np.zeros(0, dtype=np.bool_)
        self.n_seen_ = 0
        self.n_flagged_ = 0
        self._lock = threading.Lock()

    def get_params(self) -> dict[str, Any]:
        """The constructor arguments, verbatim (the ``Detector`` contract)."""
        return {
            "alpha": self.alpha,
            "significance": self.significance,
            "max_rows": self.max_rows,
            "min_rows": self.min_rows,
        }

    def update(self, p_values: npt.ArrayLike) -> Self:
        """Add served rows by their conformal p-values (``RequestScores.p_value``)."""
        p = np.asarray(p_values, dtype=np.float64).reshape(-1)
        if not np.all(np.isfinite(p)) or np.any((p < 0.0) | (p > 1.0)):
            raise InvalidInputError("p_values", "must be finite and lie in [0, 1]")
        return self.update_flags(p <= self.alpha)

    def update_flags(self, flags: npt.ArrayLike) -> Self:
        """Add served rows by their flags (``RequestScores.flags()``), when already decided."""
        f = np.asarray(flags, dtype=np.bool_).reshape(-1)
        with self._lock:
            self.flags_ = np.concatenate([self.flags_, f])[-self.max_rows :]
            self.n_seen_ += int(f.size)
            self.n_flagged_ += int(f.sum())
        return self

    def signals(self) -> tuple[Signal, ...]:
        """``(adversarial_inputs,)``: flag share of the kept rows and its critical share."""
        with self._lock:
            n, flagged = int(self.flags_.size), int(self.flags_.sum())
        if n < self.min_rows:
            return (
                Signal("adversarial_inputs", "adversarial", None, None, "insufficient_data", n),
            )
        signal = flag_rate_signal(
            "adversarial_inputs",
            "adversarial",
            n=n,
            flagged=flagged,
            alpha=float(self.alpha),
            significance=self.significance,
        )
        return (signal,)
