"""Bounded logs of served predictions and of the labels that arrive later.

:class:`PredictionLog` keeps the last ``max_rows`` predicted rows by request id, so that a
delayed label can be joined to what the model saw and said. :class:`FeedbackStore` keeps the
last ``max_rows`` labelled rows for the calibration and poisoning monitors. Both are bounded;
what they evict is counted (``evicted_rows_``), never silently lost, and a label for an
evicted request is refused with an error that says so.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from driftguard.errors import ConfigurationError, UnknownRequestError

__all__ = ["Feedback", "FeedbackStore", "LoggedPrediction", "PredictionLog"]


@dataclass(frozen=True, eq=False)
class LoggedPrediction:
    """What one request was answered with.

    Examples
    --------
    >>> import numpy as np
    >>> LoggedPrediction("r1", "m", 1, 0.0, {}, np.zeros((1, 2))).n_rows
    1
    """

    request_id: str
    model: str
    version: int
    time: float
    columns: Mapping[str, npt.NDArray[Any]]
    probabilities: npt.NDArray[np.float64]
    labels: tuple[str, ...] = ()

    @property
    def n_rows(self) -> int:
        """Rows in the request."""
        return int(self.probabilities.shape[0])


@dataclass(frozen=True, eq=False)
class Feedback:
    """Labelled rows: the prediction they answer and the true labels.

    Examples
    --------
    >>> import numpy as np
    >>> p = LoggedPrediction("r1", "m", 1, 0.0, {}, np.zeros((1, 2)))
    >>> Feedback(p, (0,), "client-a", 1.0).labels
    (0,)
    """

    prediction: LoggedPrediction
    labels: tuple[int, ...]
    source: str
    time: float
    flags: tuple[bool, ...] = ()
    p_values: tuple[float, ...] = ()
    quarantined: bool = False
    trusted_version: int | None = None

    def usable(self) -> npt.NDArray[np.bool_]:
        """Rows that may be used (calibration, export): not flagged, source not quarantined."""
        n = len(self.labels)
        if self.quarantined:
            return np.zeros(n, dtype=bool)
        if not self.flags:
            return np.ones(n, dtype=bool)
        return ~np.asarray(self.flags, dtype=bool)


def _check_size(max_rows: int) -> None:
    if max_rows < 1:
        raise ConfigurationError(f"max_rows must be at least 1, got {max_rows}")


class PredictionLog:
    """The last ``max_rows`` predicted rows, by request id (oldest evicted first).

    Examples
    --------
    >>> import numpy as np
    >>> log = PredictionLog(max_rows=2)
    >>> for rid in ("a", "b", "c"):
    ...     log.add(LoggedPrediction(rid, "m", 1, 0.0, {}, np.zeros((1, 2))))
    >>> log.evicted_rows_, log.take("c").request_id
    (1, 'c')
    """

    def __init__(self, max_rows: int = 100_000) -> None:
        _check_size(max_rows)
        self.max_rows = max_rows
        self._items: OrderedDict[str, LoggedPrediction] = OrderedDict()
        self._rows = 0
        self._lock = threading.Lock()
        self.evicted_rows_ = 0
        self.evicted_: dict[tuple[str, int], int] = {}

    def add(self, prediction: LoggedPrediction) -> None:
        """Log a prediction, evicting (and counting) the oldest beyond the bound.

        A request with more rows than the bound is counted as evicted at once, so that it
        does not flush every other logged prediction on its way through.
        """
        with self._lock:
            if prediction.n_rows > self.max_rows:
                self._count_evicted(prediction)
                return
            self._items[prediction.request_id] = prediction
            self._rows += prediction.n_rows
            while self._rows > self.max_rows and self._items:
                _, old = self._items.popitem(last=False)
                self._rows -= old.n_rows
                self._count_evicted(old)

    def _count_evicted(self, old: LoggedPrediction) -> None:
        self.evicted_rows_ += old.n_rows
        key = (old.model, old.version)
        self.evicted_[key] = self.evicted_.get(key, 0) + old.n_rows

    def take(self, request_id: str) -> LoggedPrediction:
        """Remove and return a logged prediction (each request is labelled once)."""
        with self._lock:
            found = self._items.pop(request_id, None)
            if found is not None:
                self._rows -= found.n_rows
        if found is None:
            shown = request_id if len(request_id) <= 64 else request_id[:61] + "..."
            raise UnknownRequestError(
                f"request_id {shown!r}: no logged prediction (unknown, already labelled, "
                f"or evicted after the last {self.max_rows} rows)"
            )
        return found

    def recent(self, model: str, version: int, max_rows: int) -> list[LoggedPrediction]:
        """The newest logged (not yet labelled) predictions of a version, up to ``max_rows``."""
        out: list[LoggedPrediction] = []
        rows = 0
        with self._lock:
            for item in reversed(self._items.values()):
                if item.model == model and item.version == version:
                    out.append(item)
                    rows += item.n_rows
                    if rows >= max_rows:
                        break
        out.reverse()
        return out

    def put_back(self, prediction: LoggedPrediction) -> None:
        """Return a prediction taken by :meth:`take` whose feedback was refused."""
        self.add(prediction)

    def __len__(self) -> int:
        return len(self._items)


class FeedbackStore:
    """The last ``max_rows`` labelled rows, oldest evicted first and counted.

    Examples
    --------
    >>> import numpy as np
    >>> store = FeedbackStore(max_rows=1)
    >>> p = LoggedPrediction("r1", "m", 1, 0.0, {}, np.zeros((1, 2)))
    >>> store.add(Feedback(p, (0,), "", 0.0)).add(Feedback(p, (1,), "", 0.0)).evicted_rows_
    1
    """

    def __init__(self, max_rows: int = 100_000) -> None:
        _check_size(max_rows)
        self.max_rows = max_rows
        self._items: deque[Feedback] = deque()
        self._rows = 0
        self._lock = threading.Lock()
        self.evicted_rows_ = 0
        self.evicted_: dict[tuple[str, int], int] = {}
        self.received_: dict[tuple[str, int], int] = {}

    def add(self, feedback: Feedback) -> FeedbackStore:
        """Store labelled rows, evicting (and counting) the oldest beyond the bound."""
        n = len(feedback.labels)
        with self._lock:
            self._items.append(feedback)
            self._rows += n
            key = (feedback.prediction.model, feedback.prediction.version)
            self.received_[key] = self.received_.get(key, 0) + n
            while self._rows > self.max_rows and len(self._items) > 1:
                old = self._items.popleft()
                self._rows -= len(old.labels)
                self.evicted_rows_ += len(old.labels)
                key = (old.prediction.model, old.prediction.version)
                self.evicted_[key] = self.evicted_.get(key, 0) + len(old.labels)
        return self

    def usable(
        self, model: str, version: int | None = None
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
        """Probabilities and labels of the usable rows (flagged feedback left out)."""
        proba: list[npt.NDArray[np.float64]] = []
        labels: list[npt.NDArray[np.int64]] = []
        for item in self.recent(model, version):
            keep = item.usable()
            if keep.any():
                proba.append(item.prediction.probabilities[keep])
                labels.append(np.asarray(item.labels, dtype=np.int64)[keep])
        if not proba:
            return np.zeros((0, 0)), np.zeros(0, dtype=np.int64)
        return np.concatenate(proba), np.concatenate(labels)

    def recent(self, model: str, version: int | None = None) -> list[Feedback]:
        """Stored feedback of a model (and version), oldest first."""
        with self._lock:
            return [
                f
                for f in self._items
                if f.prediction.model == model
                and (version is None or f.prediction.version == version)
            ]
