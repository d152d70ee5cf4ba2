"""The defences around a served model: probing clients, adversarial rows, poisoned feedback.

:class:`Defender` is the service's one place for them. On the request path it feeds each
client's encoded rows to the version's probing detector and hands a newly flagged client to
the :class:`~driftguard.serving.clients.ClientGuard` (alert, rate-limit or block, as the
policy says). At the feedback door it scores labelled rows with the *trusted* version (the
newest known-good one, not the model under suspicion): rows whose labels the trusted model
and its training neighbours contradict are flagged, each source's flag rate is tested against
the clean baseline, and a source well above it is quarantined. Flagged and quarantined
feedback is kept for inspection but never used (see
:meth:`~driftguard.serving.feedback.FeedbackStore.usable`). Every flag lands on the timeline.

Examples
--------
>>> Defender().state().quarantined_sources
{}
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from driftguard.metrics.state import DefenseMetrics
from driftguard.poisoning import SourceTracker
from driftguard.policy import ClientPolicy
from driftguard.serving.clients import ClientGuard, ClientsState
from driftguard.serving.feedback import LoggedPrediction
from driftguard.serving.flags import FlagCounter
from driftguard.serving.loaded import LoadedModel, Served

__all__ = ["Defender", "DefenderState", "Screening"]

#: ``on_event(model, version, kind, text)``: where flags are reported (the guard's timeline).
EventSink = Callable[[str, int, str, str], None]


@dataclass(frozen=True)
class Screening:
    """How one feedback item fared at the door.

    Examples
    --------
    >>> Screening((False, True), (0.5, 0.001), False, 1).n_flagged
    1
    """

    flags: tuple[bool, ...]
    p_values: tuple[float, ...]
    quarantined: bool
    trusted_version: int | None
    reason: str = ""

    @property
    def n_flagged(self) -> int:
        """Rows that will not be used (all of them when the source is quarantined)."""
        return len(self.flags) if self.quarantined else sum(self.flags)


@dataclass(frozen=True)
class DefenderState:
    """A snapshot for the metrics collector and the status route.

    Examples
    --------
    >>> DefenderState().screened
    {}
    """

    clients: ClientsState | None = None
    screened: Mapping[tuple[str, int], tuple[int, int]] = field(default_factory=dict)
    quarantined_sources: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sources: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)


class Defender:
    """Probing, adversarial and poisoning defences of a model host.

    Parameters
    ----------
    clients : ClientGuard or None
        Carries out the policy's response to probing clients (default: alert only).
    on_event : callable or None
        ``(model, version, kind, text)`` for every flag: the service passes the
        :meth:`~driftguard.guard.timeline.Timeline.note` of the timeline it then gives the
        guard, so nothing is wired in after construction.
    min_source_items : int, default 20
        Feedback rows from a source before its flag rate is tested.
    significance : float, default 1e-4
        One-sided binomial test level for quarantining a source (it must also flag at
        least three times the clean baseline).

    Examples
    --------
    >>> Defender().clients.policy.on_probing
    'alert'
    """

    def __init__(
        self,
        clients: ClientGuard | None = None,
        *,
        on_event: EventSink | None = None,
        min_source_items: int = 20,
        significance: float = 1e-4,
    ) -> None:
        self.clients = clients if clients is not None else ClientGuard(ClientPolicy())
        self.on_event = on_event
        self.min_source_items = min_source_items
        self.significance = significance
        self._trackers: dict[str, SourceTracker] = {}
        self._screened: dict[tuple[str, int], FlagCounter] = {}
        self._lock = threading.Lock()

    def _emit(self, model: str, version: int, kind: str, text: str) -> None:
        if self.on_event is not None:
            self.on_event(model, version, kind, text)

    def observe(self, model: LoadedModel, served: Served, client: str) -> None:
        """Request path: feed the client's rows to the probing detector; flag if it fires."""
        probe = model.defenses.probe
        if probe is None or served.encoded is None or not client:
            return
        verdict = probe.observe(client, served.encoded)
        if not verdict.flagged or self.clients.flagged(client):
            return
        reason = f"{verdict.near_duplicates} near-duplicate queries in its last {probe.history}"
        if self.clients.flag(client, model.name, model.version, reason):
            action = self.clients.policy.on_probing
            self._emit(
                model.name,
                model.version,
                "probing",
                f"client {client} flagged for probing ({reason}); policy: {action}",
            )

    def screen(
        self,
        trusted: LoadedModel | None,
        prediction: LoggedPrediction,
        labels: tuple[int, ...],
        source: str,
    ) -> Screening:
        """Score labelled rows with the trusted version and update the source's record."""
        n = len(labels)
        screen = None if trusted is None else trusted.defenses.screen
        if trusted is None or screen is None or trusted.labels != prediction.labels:
            return Screening((False,) * n, (1.0,) * n, False, None, "no trusted screen")
        x = trusted.predictor.encoder.transform(prediction.columns)
        proba = trusted.predictor.predict_proba_encoded(x)
        scores = screen.score(proba, x, np.asarray(labels, dtype=np.int64))
        flags = tuple(bool(f) for f in scores.flagged)
        tracker = self._tracker(prediction.model, float(screen.alpha))
        verdict = tracker.update(source or "<anonymous>", n, sum(flags))
        key = (prediction.model, prediction.version)
        with self._lock:
            counter = self._screened.setdefault(key, FlagCounter())
        counter.add(flags if not verdict.quarantined else (True,) * n)
        if verdict.newly_quarantined:
            self._emit(
                prediction.model,
                prediction.version,
                "poisoning",
                f"feedback source {verdict.source!r} quarantined: {verdict.flagged} of "
                f"{verdict.items} labels contradicted the trusted version {trusted.version} "
                f"(baseline {tracker.baseline:.1%}, p={verdict.p_value:.1e})",
            )
        p_values = tuple(float(p) for p in scores.p_value)
        return Screening(flags, p_values, verdict.quarantined, trusted.version)

    def _tracker(self, model: str, baseline: float) -> SourceTracker:
        with self._lock:
            tracker = self._trackers.get(model)
            if tracker is None:
                tracker = SourceTracker(
                    baseline=baseline,
                    min_items=self.min_source_items,
                    significance=self.significance,
                )
                self._trackers[model] = tracker
            return tracker

    def feedback_flags(self, model: str, version: int) -> FlagCounter | None:
        """Screened feedback rows of a version (flags of the recent ones)."""
        return self._screened.get((model, version))

    def release_source(self, model: str, source: str) -> bool:
        """Lift a source's quarantine (an operator's decision)."""
        tracker = self._trackers.get(model)
        return tracker is not None and bool(tracker.release(source))

    def metrics(self, models: list[LoadedModel]) -> DefenseMetrics:
        """The snapshot :class:`~driftguard.metrics.defense.DefenseCollector` exports."""
        state = self.state()
        clients = state.clients
        names = {m.name for m in models}
        return DefenseMetrics(
            adversarial={
                (m.name, m.version): (m.adversarial.total_, m.adversarial.flagged_)
                for m in models
                if m.defenses.scorer is not None
            },
            feedback=dict(state.screened),
            probing_flagged={name: self.clients.flagged_for(name) for name in names},
            probing_flags_total=0 if clients is None else clients.flags_total,
            refused={} if clients is None else dict(clients.refused),
            quarantined_sources={
                name: len(state.quarantined_sources.get(name, ())) for name in names
            },
        )

    def state(self) -> DefenderState:
        """Client flags, screened feedback and quarantined sources."""
        with self._lock:
            trackers = dict(self._trackers)
            screened = {k: (c.total_, c.flagged_) for k, c in self._screened.items()}
        quarantined = {}
        sources = {}
        for model, tracker in trackers.items():
            state = tracker.state()
            sources[model] = tuple(state.sources)
            quarantined[model] = tuple(s.source for s in state.sources if s.quarantined)
        return DefenderState(self.clients.state(), screened, quarantined, sources)
