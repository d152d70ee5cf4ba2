"""Tumbling windows of request rows for one model version, with a calibrated drift check.

The hot path (:meth:`WindowMonitor.observe`) appends a reference to the request's validated
columns to a bounded queue: O(1), no statistics, and a counter (never a silent loss) when the
queue is full. The cold path (:meth:`WindowMonitor.drain`, called by a background thread)
concatenates the queued rows, folds them into the profile's fixed-bin window counts and closes
a window every ``window_size`` rows, running :class:`~driftguard.drift.check.DriftCheck` on it.
:meth:`WindowMonitor.look` checks the window so far, for a schedule that should not wait for
a full window on slow traffic.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from driftguard.drift.check import DriftCheck
from driftguard.drift.profile import ReferenceProfile
from driftguard.errors import ConfigurationError
from driftguard.schema.features import Columns
from driftguard.schema.validation import ValidatedBatch
from driftguard.types import DriftReport

__all__ = ["MonitorState", "WindowMonitor", "WindowReport"]

DEFAULT_WINDOW = 1000

#: Called with the columns of every drained batch (see :meth:`WindowMonitor.listen`).
Listener = Callable[[Columns], object]


@dataclass(frozen=True)
class WindowReport:
    """A drift check of one window.

    Parameters
    ----------
    index : int
        Window number, from 0 for the first window of this model version.
    closed : bool
        ``True`` for a full window, ``False`` for a look at the window so far.
    time : float
        Unix time of the check.
    report : DriftReport
        The verdict.

    Examples
    --------
    >>> r = DriftReport(10, 0.05, "holm", 0.5, 1.2, 0.6, False)
    >>> WindowReport(0, True, 0.0, r).report.drift
    False
    """

    index: int
    closed: bool
    time: float
    report: DriftReport


@dataclass(frozen=True)
class MonitorState:
    """A snapshot of a monitor's counters and latest reports (see :meth:`WindowMonitor.state`).

    Examples
    --------
    >>> MonitorState(0, 0, 0, 0, 0, 1000).dropped_rows
    0
    """

    rows_observed: int
    rows_queued: int
    window_rows: int
    windows_closed: int
    dropped_rows: int
    window_size: int
    nonfinite: dict[str, int] = field(default_factory=dict)
    unseen: dict[str, int] = field(default_factory=dict)
    last_closed: WindowReport | None = None
    current: WindowReport | None = None
    history: tuple[WindowReport, ...] = ()


class WindowMonitor:
    """Queue rows on the request path; window, count and test them off it.

    Parameters
    ----------
    profile : ReferenceProfile
        The fitted reference of the model version (its bins define the window counts).
    window_size : int or None
        Rows per window; ``None`` takes the largest window size the profile calibrated
        exactly, at most 1000, so thresholds are never extrapolated by default.
    queue_rows : int, default 100_000
        Most rows waiting to be folded in; rows beyond it are dropped and counted.
    check : DriftCheck or None
        The drift decision (default ``DriftCheck()``).
    min_rows : int, default 50
        Fewest rows a look at an open window needs.
    history : int, default 100
        Closed window reports kept.
    listeners : sequence of callables
        Each gets the columns of every drained batch, before they are windowed (a
        sequential detector, say); more can join later with :meth:`listen`.

    Examples
    --------
    >>> import numpy as np
    >>> from driftguard.schema.validation import InputValidator
    >>> g = np.random.default_rng(0)
    >>> profile = ReferenceProfile(n_resamples=100).fit({"x": g.normal(size=2000)})
    >>> monitor = WindowMonitor(profile, window_size=100)
    >>> batch = InputValidator(profile.schema_).columns({"x": g.normal(size=250).tolist()})
    >>> monitor.observe(batch)
    True
    >>> monitor.drain(), monitor.state().windows_closed, monitor.state().window_rows
    (250, 2, 50)
    """

    def __init__(
        self,
        profile: ReferenceProfile,
        window_size: int | None = None,
        queue_rows: int = 100_000,
        check: DriftCheck | None = None,
        min_rows: int = 50,
        history: int = 100,
        listeners: Sequence[Listener] = (),
    ) -> None:
        self.profile = profile
        self.window_size = window_size
        self.queue_rows = queue_rows
        self.check = check if check is not None else DriftCheck()
        self.min_rows = min_rows
        self.history = history
        for name, value in (("queue_rows", queue_rows), ("min_rows", min_rows)):
            if value < 1:
                raise ConfigurationError(f"{name} must be at least 1, got {value}")
        self.window_size_ = self._window_size()
        self._lock = threading.Lock()
        self._drain_lock = threading.Lock()
        self._queue: list[ValidatedBatch] = []
        self._queued = 0
        self._window = profile.new_window()
        self._history: deque[WindowReport] = deque(maxlen=history)
        self._current: WindowReport | None = None
        self.rows_observed_ = 0
        self.dropped_rows_ = 0
        self.windows_closed_ = 0
        self.nonfinite_: dict[str, int] = {}
        self.unseen_: dict[str, int] = {}
        self.listeners: tuple[Listener, ...] = tuple(listeners)

    def listen(self, listener: Listener) -> None:
        """Also hand every drained batch to ``listener`` from the next drain on.

        Safe while another thread drains: the listeners are swapped, never changed in place.
        """
        with self._lock:
            self.listeners = (*self.listeners, listener)

    def _window_size(self) -> int:
        if self.window_size is not None:
            if self.window_size < 2:
                raise ConfigurationError(f"window_size must be at least 2, got {self.window_size}")
            return self.window_size
        sizes = [int(s) for s in self.profile.calibration().sizes if s <= DEFAULT_WINDOW]
        return max(sizes) if sizes else DEFAULT_WINDOW

    def observe(self, batch: ValidatedBatch) -> bool:
        """Queue a request's rows (O(1)); ``False`` when the queue was full and they dropped."""
        with self._lock:
            for name, k in batch.nonfinite.items():
                self.nonfinite_[name] = self.nonfinite_.get(name, 0) + k
            for name, k in batch.unseen.items():
                self.unseen_[name] = self.unseen_.get(name, 0) + k
            if self._queued + batch.n_rows > self.queue_rows:
                self.dropped_rows_ += batch.n_rows
                return False
            self._queue.append(batch)
            self._queued += batch.n_rows
        return True

    def drain(self) -> int:
        """Fold queued rows into the window, closing and checking full windows; rows folded."""
        with self._drain_lock:
            with self._lock:
                batches, self._queue, self._queued = self._queue, [], 0
            if not batches:
                return 0
            cols = self._columns(batches)
            n_rows = len(next(iter(cols.values())))
            for listener in self.listeners:
                listener(cols)
            start = 0
            while start < n_rows:
                stop = min(n_rows, start + self.window_size_ - self._window.n_rows_)
                self._window.update({k: v[start:stop] for k, v in cols.items()})
                start = stop
                if self._window.n_rows_ >= self.window_size_:
                    self._close()
            self.rows_observed_ += n_rows
            return n_rows

    def _columns(self, batches: list[ValidatedBatch]) -> Columns:
        """The queued rows as columns: one concatenation when every batch is a matrix."""
        names = self.profile.schema_.names
        if all(b.matrix is not None for b in batches) and tuple(batches[0].columns) == names:
            big = np.concatenate([b.matrix for b in batches if b.matrix is not None])
            return {n: big[:, j] for j, n in enumerate(names)}
        return {n: np.concatenate([b.columns[n] for b in batches]) for n in names}

    def _close(self) -> None:
        report = self.check.run(self.profile, self._window)
        self._history.append(WindowReport(self.windows_closed_, True, time.time(), report))
        self.windows_closed_ += 1
        self._window = self.profile.new_window()
        self._current = None

    def look(self) -> WindowReport | None:
        """Check the window so far (``None`` below ``min_rows`` rows); kept as ``current``."""
        with self._drain_lock:
            if self._window.n_rows_ < self.min_rows:
                return None
            report = self.check.run(self.profile, self._window)
            self._current = WindowReport(self.windows_closed_, False, time.time(), report)
            return self._current

    def state(self) -> MonitorState:
        """A consistent snapshot of counters and reports."""
        with self._lock:
            history = tuple(self._history)
            return MonitorState(
                rows_observed=self.rows_observed_,
                rows_queued=self._queued,
                window_rows=self._window.n_rows_,
                windows_closed=self.windows_closed_,
                dropped_rows=self.dropped_rows_,
                window_size=self.window_size_,
                nonfinite=dict(self.nonfinite_),
                unseen=dict(self.unseen_),
                last_closed=history[-1] if history else None,
                current=self._current,
                history=history,
            )
