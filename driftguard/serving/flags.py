"""A bounded, thread-safe record of recent per-row flags (adversarial, poisoned feedback).

Examples
--------
>>> counter = FlagCounter(max_rows=4).add([True, False]).add([False, False, True])
>>> counter.total_, counter.flagged_, counter.recent()
(5, 2, (4, 1))
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

import numpy as np

__all__ = ["FlagCounter"]


class FlagCounter:
    """Totals of rows and flags, and the flags of the last ``max_rows`` rows.

    Parameters
    ----------
    max_rows : int, default 2000
        Rows whose flags are kept for the recent rate.

    Examples
    --------
    >>> FlagCounter().recent()
    (0, 0)
    """

    def __init__(self, max_rows: int = 2000) -> None:
        self.max_rows = max_rows
        self._ring = np.zeros(max_rows, dtype=bool)
        self._next = 0
        self._filled = 0
        self._lock = threading.Lock()
        self.total_ = 0
        self.flagged_ = 0

    def add(self, flags: Iterable[bool]) -> FlagCounter:
        """Count the flags of new rows."""
        values = np.fromiter((bool(f) for f in flags), dtype=bool)[-self.max_rows :]
        n = len(values)
        with self._lock:
            self.total_ += n
            self.flagged_ += int(values.sum())
            idx = (self._next + np.arange(n)) % self.max_rows
            self._ring[idx] = values
            self._next = (self._next + n) % self.max_rows
            self._filled = min(self.max_rows, self._filled + n)
        return self

    def recent(self) -> tuple[int, int]:
        """Rows and flagged rows among the last ``max_rows``."""
        with self._lock:
            if self._filled < self.max_rows:
                return self._filled, int(self._ring[: self._filled].sum())
            return self._filled, int(self._ring.sum())
