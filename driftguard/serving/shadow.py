"""Shadow scoring: after a promotion, the previous version also scores live traffic.

For the first ``max_rows`` rows a newly promoted version serves, the request path offers
each validated batch and its probabilities to a bounded queue (O(1)); the background
evaluator lets the previous version score the same rows and counts disagreements of the
predicted class. The ``shadow_disagreement`` signal (kind ``regression``) breaches when the
lower end of the Wilson 95% interval of the disagreement rate exceeds ``max_disagreement``,
so a bad promotion is caught before labels arrive.

**Evidence for sequential rules.** The compared rows are also cut into consecutive disjoint
blocks of ``block_rows`` rows (:mod:`driftguard.detectors.blocks`); each complete block gets the
randomised exact binomial p-value of its disagreements against "the rate is at most
``max_disagreement``": ``P(X > x) + U P(X = x)`` with ``X ~ Binomial(block_rows,
max_disagreement)`` and ``U`` uniform, drawn from ``seed`` and the block number. It is exactly
uniform at the boundary rate and conservative below it; the signal carries the p-value and
number of the latest complete block.

:class:`Shadow` keeps the common detector contract
(:class:`~driftguard.detectors.protocol.Detector`): :meth:`Shadow.update` offers and scores a
batch at once (the service splits that into :meth:`~Shadow.offer` on the request path and
:meth:`~Shadow.process` in the background), :meth:`Shadow.signals` returns
``(signal(),)`` and :meth:`Shadow.get_params` the constructor arguments.
"""

from __future__ import annotations

import threading
from typing import Any, Self

import numpy as np
import numpy.typing as npt

from driftguard.detectors import constructor_params, wilson_interval
from driftguard.detectors.blocks import BinomialTail, BlockEvidence
from driftguard.errors import ConfigurationError, DriftguardError
from driftguard.schema.validation import ValidatedBatch
from driftguard.serving.loaded import LoadedModel
from driftguard.types import Signal

__all__ = ["Shadow"]


class Shadow:
    """The previous version scoring a new version's live traffic, in the background.

    Parameters
    ----------
    previous : LoadedModel
        The version that was ACTIVE before the promotion.
    current_version : int
        The promoted version whose traffic is compared.
    current_labels : tuple of str
        Its class labels (predictions are compared by label, not by position).
    max_rows : int, default 2000
        Rows compared; then the shadow stops (its last signal stays).
    max_disagreement : float, default 0.1
        Disagreement rate that counts as a regression.
    min_rows : int, default 200
        Rows before the signal leaves ``insufficient_data``.
    queue_rows : int, default 10_000
        Bound of the queue; more rows are dropped and counted.
    block_rows : int or None, default None
        Compared rows per disjoint evidence block (``None``: ``min_rows``).
    seed : int, default 0
        Seed of the randomisation of the block p-values.

    Examples
    --------
    >>> wilson_interval(0, 100)[1] < 0.04  # the band a shadow with no disagreement gets
    True
    >>> class Previous:  # anything with a version, labels and predict_proba
    ...     version, labels = 1, ("no", "yes")
    ...     def predict_proba(self, batch):
    ...         return np.tile([0.9, 0.1], (batch.n_rows, 1))
    >>> shadow = Shadow(Previous(), 2, ("no", "yes"), min_rows=2)
    >>> batch = ValidatedBatch({}, 3)
    >>> signal = shadow.update(batch, np.array([[0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])).signal()
    >>> signal.value, signal.block  # block 1: the first two rows
    (0.3333333333333333, 1)
    """

    def __init__(
        self,
        previous: LoadedModel,
        current_version: int,
        current_labels: tuple[str, ...],
        max_rows: int = 2000,
        max_disagreement: float = 0.1,
        min_rows: int = 200,
        queue_rows: int = 10_000,
        block_rows: int | None = None,
        seed: int = 0,
    ) -> None:
        if not 0.0 < max_disagreement < 1.0:
            raise ConfigurationError(f"max_disagreement must be in (0, 1), got {max_disagreement}")
        if block_rows is not None and (
            isinstance(block_rows, bool) or not isinstance(block_rows, int) or block_rows < 1
        ):
            raise ConfigurationError(f"block_rows must be a positive integer, got {block_rows!r}")
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ConfigurationError(f"seed must be a non-negative integer, got {seed!r}")
        self.previous = previous
        self.current_version = current_version
        self.current_labels = current_labels
        self.max_rows = max_rows
        self.max_disagreement = max_disagreement
        self.min_rows = min_rows
        self.queue_rows = queue_rows
        self.block_rows = block_rows
        self.seed = seed
        self._queue: list[tuple[ValidatedBatch, npt.NDArray[np.float64]]] = []
        self._queued = 0
        self._lock = threading.Lock()
        self.compared_ = 0
        self.disagreed_ = 0
        self.dropped_ = 0
        self.error_: str | None = None
        test = BinomialTail(max_disagreement, "upper", seed, "shadow_disagreement")
        size = min_rows if block_rows is None else block_rows
        self.evidence_ = BlockEvidence(max(size, 1), test)

    def get_params(self) -> dict[str, Any]:
        """The constructor arguments, verbatim (see :class:`~driftguard.detectors.Detector`)."""
        return constructor_params(self)

    def update(self, batch: ValidatedBatch, proba: npt.NDArray[np.float64]) -> Self:
        """Offer a scored batch and compare it now (:meth:`offer` then :meth:`process`)."""
        self.offer(batch, proba)
        self.process()
        return self

    def signals(self) -> tuple[Signal, ...]:
        """``(signal(),)``."""
        return (self.signal(),)

    @property
    def done(self) -> bool:
        """``True`` once ``max_rows`` rows were compared (or the previous version failed)."""
        return self.compared_ >= self.max_rows or self.error_ is not None

    def offer(self, batch: ValidatedBatch, proba: npt.NDArray[np.float64]) -> None:
        """Hot path: queue a scored batch for comparison (dropped and counted when full)."""
        if self.done:
            return
        with self._lock:
            if self._queued + batch.n_rows > self.queue_rows:
                self.dropped_ += batch.n_rows
                return
            self._queue.append((batch, proba))
            self._queued += batch.n_rows

    def process(self) -> int:
        """Background: score queued rows with the previous version; rows compared."""
        with self._lock:
            items, self._queue, self._queued = self._queue, [], 0
        done = 0
        for batch, proba in items:
            if self.done:
                break
            try:
                theirs = self.previous.predict_proba(batch)
            except DriftguardError as exc:
                self.error_ = f"version {self.previous.version} cannot score this traffic: {exc}"
                break
            ours = np.asarray(self.previous.labels)[theirs.argmax(axis=1)]
            mine = np.asarray(self.current_labels)[proba.argmax(axis=1)]
            differ = ours != mine
            self.disagreed_ += int(differ.sum())
            self.evidence_.add(differ)
            self.compared_ += batch.n_rows
            done += batch.n_rows
        return done

    def signal(self) -> Signal:
        """``shadow_disagreement`` of the promoted version against the previous one.

        It carries the p-value and number of the latest complete evidence block unless its
        status is ``insufficient_data``.
        """
        rate = self.disagreed_ / self.compared_ if self.compared_ else None
        latest = self.evidence_.latest_
        if self.error_ is not None or self.compared_ < self.min_rows:
            status = "insufficient_data"
            latest = None
        else:
            low, _ = wilson_interval(self.disagreed_, self.compared_)
            status = "breach" if low > self.max_disagreement else "ok"
        p_value, block = (None, None) if latest is None else latest
        return Signal(
            f"shadow_disagreement:v{self.previous.version}",
            "regression",
            rate,
            self.max_disagreement,
            status,
            self.compared_,
            p_value=p_value,
            block=block,
        )
