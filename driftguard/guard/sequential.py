"""The sequential drift signal of served versions (opt-in: ``DRIFTGUARD_SEQUENTIAL_ARL``).

For each served version, :class:`SequentialSignals` fits a
:class:`~driftguard.detectors.SequentialDrift` on the version's reference profile the first
time the guard asks (in the evaluator thread, never on the request path), with the threshold
calibrated to ``expected_run_length`` rows between false alarms. From then on every drained
batch of the version's traffic feeds it. The timeline states the expected run length in rows
and, at the traffic seen so far, in hours.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from driftguard.detectors import SequentialDrift
from driftguard.errors import DriftguardError
from driftguard.serving import LoadedModel
from driftguard.types import Signal

__all__ = ["SequentialSignals"]

Note = Callable[[str, int, str, str], None]


class SequentialSignals:
    """A guard signal source: ``sequential_drift`` per served version.

    Parameters
    ----------
    expected_run_length : int
        Rows between false alarms under no drift.
    note : callable or None
        ``note(model, version, kind, text)`` for the timeline (a
        :meth:`~driftguard.guard.timeline.Timeline.note`, built before the guard that is
        given this source).

    Examples
    --------
    >>> SequentialSignals(10_000).expected_run_length
    10000
    """

    def __init__(self, expected_run_length: int, note: Note | None = None) -> None:
        self.expected_run_length = expected_run_length
        self.note = note
        self._detectors: dict[int, SequentialDrift | None] = {}

    def __call__(self, model: LoadedModel) -> tuple[Signal, ...]:
        """The version's sequential signal (fitted on first use)."""
        if model.monitor is None:
            return ()
        key = id(model.monitor)
        if key not in self._detectors:
            self._detectors[key] = self._fit(model)
        detector = self._detectors[key]
        return () if detector is None else (detector.signal(),)

    def _fit(self, model: LoadedModel) -> SequentialDrift | None:
        try:
            detector = SequentialDrift(expected_run_length=self.expected_run_length)
            detector.fit(model.profile)
        except DriftguardError as exc:
            self._say(model, f"sequential drift not armed: {exc}")
            return None
        assert model.monitor is not None
        names = list(detector.features_)

        def feed(cols: dict[str, Any]) -> None:
            detector.update({n: cols[n] for n in names})

        model.monitor.listen(feed)
        seconds = max(1.0, time.time() - model.loaded_at)
        rate = model.monitor.state().rows_observed / seconds
        hours = f"{detector.expected_run_hours(rate):.1f} h" if rate > 0 else "unknown time"
        self._say(
            model,
            f"sequential drift armed: threshold {detector.threshold_:.2f} for an expected "
            f"{self.expected_run_length} rows between false alarms ({hours} at current traffic)",
        )
        return detector

    def _say(self, model: LoadedModel, text: str) -> None:
        if self.note is not None:
            self.note(model.name, model.version, "sequential", text)
