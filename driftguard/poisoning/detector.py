"""The poisoning detector of the feedback door: flag rate and quarantined sources.

:class:`PoisonedFeedback` is the detector of the whole door (the common
:class:`~driftguard.detectors.protocol.Detector` contract): screened feedback goes in with its
source, and out come the ``poisoned_feedback`` flag-rate signal and the ``quarantined_sources``
count, as the guard reports them for a served version.

>>> det = PoisonedFeedback(alpha=0.01).update([False] * 50, source="a")
>>> [s.status for s in det.update([True] * 30, source="b").signals()]
['breach', 'breach']
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any, Self

import numpy as np

from driftguard.errors import ConfigurationError
from driftguard.poisoning.sources import SourceTracker
from driftguard.stats.rates import count_signal, flag_rate_signal
from driftguard.types import Signal

__all__ = ["PoisonedFeedback"]


class PoisonedFeedback:
    """Screened feedback by source: the recent flag rate and the quarantined sources.

    Every :meth:`update` is one screened feedback item: the screen's per-row flags and the
    source that sent it. The source's record goes to a :class:`SourceTracker` (which may
    quarantine it; all rows of a quarantined source count as flagged from then on, as at the
    service's door), and the flags of the last ``max_rows`` rows are tested against the clean
    rate ``alpha`` by a one-sided binomial test.

    Parameters
    ----------
    alpha : float, default 0.01
        Clean flag rate of the screen (its conformal level); the tracker's baseline too.
    significance : float, default 1e-3
        Level of the binomial test of the recent flag rate (``poisoned_feedback``).
    max_rows : int, default 2000
        Rows whose flags are kept for the recent rate.
    min_items : int, default 20
        A source is never quarantined before sending this many rows.
    quarantine_significance : float, default 1e-4
        The tracker's quarantine level (``SourceTracker.significance``).
    min_ratio : float, default 3.0
        A quarantined source's flag rate exceeds ``min_ratio`` times the reference rate.
    max_sources : int, default 10_000
        Most sources tracked at once.
    pooled : bool, default True
        Test each source against the other sources' pooled rate when higher than ``alpha``.

    Attributes
    ----------
    tracker_ : SourceTracker
        Per-source counts and quarantines.
    flags_ : ndarray of bool
        Flags of the kept rows, oldest first.
    n_seen_ : int
        Rows observed in all.

    Examples
    --------
    >>> det = PoisonedFeedback(min_items=5)
    >>> det.signals()[0].status
    'insufficient_data'
    >>> det.update([False, False, True], source="s").signals()[0].value
    0.3333333333333333
    >>> PoisonedFeedback(**det.get_params()).get_params() == det.get_params()
    True
    """

    def __init__(
        self,
        alpha: float = 0.01,
        significance: float = 1e-3,
        max_rows: int = 2000,
        min_items: int = 20,
        quarantine_significance: float = 1e-4,
        min_ratio: float = 3.0,
        max_sources: int = 10_000,
        pooled: bool = True,
    ) -> None:
        if not 0.0 < significance < 1.0:
            raise ConfigurationError(f"significance must be in (0, 1), got {significance!r}")
        if isinstance(max_rows, bool) or not isinstance(max_rows, int) or max_rows < 1:
            raise ConfigurationError(f"max_rows must be an integer >= 1, got {max_rows!r}")
        self.alpha = alpha
        self.significance = significance
        self.max_rows = max_rows
        self.min_items = min_items
        self.quarantine_significance = quarantine_significance
        self.min_ratio = min_ratio
        self.max_sources = max_sources
        self.pooled = pooled
        self.tracker_ = SourceTracker(  # validates the rest
            baseline=alpha,
            min_items=min_items,
            significance=quarantine_significance,
            min_ratio=min_ratio,
            max_sources=max_sources,
            pooled=pooled,
        )
        self.flags_: np.ndarray[Any, np.dtype[np.bool_]] = np.zeros(0, dtype=np.bool_)
        self.n_seen_ = 0
        self._lock = threading.Lock()

    def get_params(self) -> dict[str, Any]:
        """The constructor arguments, verbatim (the ``Detector`` contract)."""
        names = (
            "alpha",
            "significance",
            "max_rows",
            "min_items",
            "quarantine_significance",
            "min_ratio",
            "max_sources",
            "pooled",
        )
        return {name: getattr(self, name) for name in names}

    def update(self, flags: Iterable[bool], source: str = "<anonymous>") -> Self:
        """Add one screened feedback item: its rows' flags and the source that sent it."""
        f = np.fromiter((bool(x) for x in flags), dtype=np.bool_)
        verdict = self.tracker_.update(source or "<anonymous>", int(f.size), int(f.sum()))
        if verdict.quarantined:
            f = np.ones_like(f)
        with self._lock:
            self.flags_ = np.concatenate([self.flags_, f])[-self.max_rows :]
            self.n_seen_ += int(f.size)
        return self

    def signals(self) -> tuple[Signal, ...]:
        """``poisoned_feedback`` (recent flag share) and ``quarantined_sources`` (count)."""
        with self._lock:
            n, flagged, seen = int(self.flags_.size), int(self.flags_.sum()), self.n_seen_
        rate = flag_rate_signal(
            "poisoned_feedback",
            "poisoning",
            n=n,
            flagged=flagged,
            alpha=float(self.alpha),
            significance=self.significance,
        )
        if seen == 0:
            quarantine = Signal(
                "quarantined_sources", "poisoning", None, None, "insufficient_data", 0
            )
        else:
            count = len(self.tracker_.state().quarantined)
            quarantine = count_signal("quarantined_sources", "poisoning", count, seen)
        return rate, quarantine
