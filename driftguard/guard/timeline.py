"""The timeline: what happened to the served models, oldest first, bounded.

A :class:`Timeline` is built before anything that reports to it, so that every reporter gets
its :meth:`Timeline.note` at construction: the :class:`~driftguard.serving.Defender` (client
flags, quarantined sources), the :class:`~driftguard.guard.SequentialSignals` source (armed
detectors) and the :class:`~driftguard.guard.Guard` itself (decisions, rollbacks). The demo
and the dashboard print it.

Examples
--------
>>> timeline = Timeline(clock=lambda: 5.0)
>>> timeline.note("churn", 2, "promote", "promoted by ci")
>>> [(e.time, e.kind, e.text) for e in timeline.entries("churn")]
[(5.0, 'promote', 'promoted by ci')]
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Event", "Timeline"]


@dataclass(frozen=True)
class Event:
    """One line of the timeline.

    Examples
    --------
    >>> Event(0.0, "m", 1, "rollback", "to version 1").kind
    'rollback'
    """

    time: float
    model: str
    version: int
    kind: str
    text: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "time": self.time,
            "model": self.model,
            "version": self.version,
            "kind": self.kind,
            "text": self.text,
            "details": self.details,
        }


class Timeline:
    """A bounded, thread-safe list of :class:`Event`, stamped by one clock.

    :meth:`note` has the shape of an event sink, ``(model, version, kind, text)``, so it can
    be handed to the defender and the signal sources when they are built.

    Parameters
    ----------
    maxlen : int, default 1000
        Events kept (the oldest are dropped first).
    clock : callable
        Current UNIX time (a seam for tests).

    Examples
    --------
    >>> timeline = Timeline(maxlen=2, clock=lambda: 0.0)
    >>> for kind in ("a", "b", "c"):
    ...     timeline.note("m", 1, kind, "")
    >>> [e.kind for e in timeline.entries()], len(timeline)
    (['b', 'c'], 2)
    """

    def __init__(self, maxlen: int = 1000, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._events: deque[Event] = deque(maxlen=maxlen)
        self._lock = threading.Lock()

    def note(
        self,
        model: str,
        version: int,
        kind: str,
        text: str,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        """Add one event, stamped now."""
        kept = dict(details or {})
        with self._lock:
            self._events.append(Event(self.clock(), model, version, kind, text, kept))

    def entries(self, model: str | None = None) -> list[Event]:
        """Events, oldest first (of one model, or all)."""
        with self._lock:
            return [e for e in self._events if model is None or e.model == model]

    def __len__(self) -> int:
        return len(self._events)
