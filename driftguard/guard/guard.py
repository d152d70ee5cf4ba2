"""The guard: closed windows become signals, signals become decisions, decisions act.

After the evaluator has folded queued rows into the monitors, :meth:`Guard.step` takes every
window closed since the last step, gathers its signals (input drift of the window, the shadow
comparison of a new version, calibration and performance over labelled feedback) and asks the
pure policy (:func:`~driftguard.policy.decide`) for a decision, once per window. A decision
that changes something is audited in the registry with its evidence; a ``rollback`` goes
through a :class:`RollbackTarget`, by default :meth:`ModelHost.rollback` (compare-and-set on
the generation the judged version was served under, so two triggers roll back once); alerts
go to the webhook in Alertmanager's shape. A version swapped in by someone else is told to
the policy state: a promotion starts from armed, empty rules, a rollback made elsewhere
starts the cooldown (``docs/policy.md``). Every event lands on a
:class:`~driftguard.guard.timeline.Timeline` the demo and the dashboard print.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from driftguard.errors import ConflictError, NoRollbackTargetError, RegistryError
from driftguard.guard.timeline import Event, Timeline
from driftguard.guard.webhook import WebhookSender
from driftguard.guard.window_rate import WindowRate
from driftguard.metrics.state import GuardState
from driftguard.monitor import WindowMonitor, WindowReport, drift_signals, window_signals
from driftguard.policy import Decision, Policy, PolicyState, alert_payload, decide
from driftguard.policy.standing import RuleStanding, standings
from driftguard.registry import ActiveState
from driftguard.serving import LoadedModel, ModelHost
from driftguard.types import Signal

__all__ = ["Event", "Guard", "RollbackTarget"]

log = logging.getLogger("driftguard.guard")

SignalSource = Callable[[LoadedModel], Sequence[Signal]]


class RollbackTarget(Protocol):
    """What carries out the guard's ``rollback`` decisions: anything with this ``rollback``.

    :class:`~driftguard.serving.ModelHost` is one (preload, compare-and-set, swap); a stub,
    another replica's client or a dry run are others. The guard passes the generation the
    judged version was served under; a target should raise
    :class:`~driftguard.errors.ConflictError` when ACTIVE has moved since, and
    :class:`~driftguard.errors.NoRollbackTargetError` or
    :class:`~driftguard.errors.RegistryError` when it cannot roll back (the guard counts
    and reports those as failed rollbacks).

    Examples
    --------
    >>> class DryRun:
    ...     def rollback(self, name, *, actor, reason, evidence, expected_generation):
    ...         return ActiveState(version=1, generation=expected_generation + 1)
    >>> target: RollbackTarget = DryRun()
    >>> target.rollback("m", actor="guard", reason="", evidence={}, expected_generation=4)
    ActiveState(version=1, generation=5)
    """

    def rollback(
        self,
        name: str,
        *,
        actor: str,
        reason: str,
        evidence: Mapping[str, Any],
        expected_generation: int,
    ) -> ActiveState:
        """Move ``name``'s ACTIVE pointer back; the new state (version and generation)."""
        ...


class Guard:
    """Evaluate the policy on every closed window and carry out its decisions.

    Everything the guard works with is given to the constructor; nothing is wired in after.
    The guard reads windows, shadows and the audit log from ``host``, and carries out
    ``rollback`` decisions through ``rollback_to``, which defaults to the same host. Any
    object with the :class:`RollbackTarget` method will do there (a stub in tests, a dry
    run), so the two roles are separate parameters rather than one. Events go to
    ``timeline``: build it first and hand its :meth:`Timeline.note` to whatever else reports
    to it (the host's :class:`~driftguard.serving.Defender`, a
    :class:`~driftguard.guard.SequentialSignals` source), then give it to the guard.

    Parameters
    ----------
    host : ModelHost
        The served models (and the registry behind them).
    policy : Policy
        What to decide.
    rollback : bool, default True
        Carry out ``rollback`` decisions (``False`` when another controller, e.g.
        Alertmanager's webhook, owns rollbacks: decisions are still made and audited).
    rollback_to : RollbackTarget or None
        What carries out rollbacks (default: ``host``).
    webhook : WebhookSender or None
        Where alerts go.
    sources : sequence of callables
        Extra signal sources, each ``model -> signals`` (calibration, performance, ...).
    timeline : Timeline or None
        Where events go (default: a new :class:`Timeline` on ``clock``).
    clock : callable
        Current UNIX time (a seam for tests).

    Examples
    --------
    >>> import tempfile
    >>> from driftguard.policy import default_policy
    >>> from driftguard.registry import Registry
    >>> timeline = Timeline()
    >>> host = ModelHost(Registry(tempfile.mkdtemp()))
    >>> guard = Guard(host, default_policy(), timeline=timeline)
    >>> guard.step(), guard.timeline(), guard.rollback_to is host
    ([], [], True)
    >>> guard.note("m", 1, "promote", "promoted by ci")
    >>> [e.kind for e in timeline.entries()]
    ['promote']
    """

    def __init__(
        self,
        host: ModelHost,
        policy: Policy,
        *,
        rollback: bool = True,
        rollback_to: RollbackTarget | None = None,
        webhook: WebhookSender | None = None,
        sources: Sequence[SignalSource] = (),
        timeline: Timeline | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.host = host
        self.policy = policy
        self.rollback = rollback
        self.rollback_to: RollbackTarget = rollback_to if rollback_to is not None else host
        self.webhook = webhook
        self.sources = tuple(sources)
        self.events = timeline if timeline is not None else Timeline(clock=clock)
        self.clock = clock
        self._lock = threading.RLock()
        self._states: dict[str, PolicyState] = {}
        self._rates: dict[str, WindowRate] = {}  # windows a second, from their close times
        self._seen: dict[str, tuple[WindowMonitor, int]] = {}  # last window judged, per load
        self._generations: dict[str, int] = {}  # generation served at the last step
        self._rolled_back: dict[str, int] = {}  # generation the guard's own rollback installed
        self._signals: dict[tuple[str, int], tuple[Signal, ...]] = {}
        self._decisions: dict[tuple[str, int], Decision] = {}
        self.decisions_: dict[tuple[str, str], int] = {}
        self.rollbacks_: dict[str, int] = {}
        self.rollback_failures_: dict[str, int] = {}

    def step(self) -> list[Decision]:
        """Decide on every window closed since the last step; return the decisions."""
        out: list[Decision] = []
        with self._lock:
            for model in self.host.loaded():
                if model.monitor is None:
                    continue
                out.extend(self._model_step(model))
        return out

    def _model_step(self, model: LoadedModel) -> list[Decision]:
        monitor = model.monitor
        assert monitor is not None
        # Window indices restart with every load of a version (a fresh monitor), so the
        # cursor belongs to the monitor, not to the version number: a version promoted
        # again after a rollback must not have its new windows skipped as already seen.
        cursor = self._seen.get(model.name)
        since = self._generations.get(model.name)
        self._generations[model.name] = model.generation
        if cursor is None or cursor[0] is not monitor:
            if cursor is not None and since is not None:
                self._swapped(model, since)
            cursor = (monitor, -1)
            self._seen[model.name] = cursor
            self._signals.pop((model.name, model.version), None)
            self._decisions.pop((model.name, model.version), None)
        windows = [w for w in monitor.state().history if w.index > cursor[1]]
        decisions = []
        for window in windows:
            self._seen[model.name] = (monitor, window.index)
            decision = self._decide(model, window)
            decisions.append(decision)
            if decision.action == "rollback" and self.rollback and self._rollback(model, decision):
                break  # the model was swapped; later windows judged a version no longer served
        return decisions

    def _swapped(self, model: LoadedModel, since: int) -> None:
        """Another load is served now: tell the policy state what happened since ``since``.

        ``since`` is the generation last seen served. The guard's own rollback was already
        recorded by :func:`decide`. A rollback made elsewhere (the API, the CLI,
        Alertmanager's webhook) starts the cooldown and clears the histories
        (:meth:`PolicyState.record_rollback`); a promotion starts the new version from armed,
        empty rules (:meth:`PolicyState.reset`, cooldown kept), so windows of the previous
        version never count against it.
        """
        own = self._rolled_back.pop(model.name, None)
        state = self._states.get(model.name)
        if state is None:
            return
        try:
            records = self.host.registry.audit(model.name)
        except RegistryError as exc:
            log.error("model %s: audit not readable: %s", model.name, exc)
            return
        changes = [
            r
            for r in records
            if r.action in ("promote", "rollback") and since < r.generation <= model.generation
        ]
        if changes and changes[-1].action == "promote":
            state = state.reset()
        if any(r.action == "rollback" and r.generation != own for r in changes):
            state = state.record_rollback(self.clock())
        self._states[model.name] = state

    def signals(self, model: LoadedModel, window: WindowReport | None) -> tuple[Signal, ...]:
        """All signals of ``model`` for one window (drift of the window plus every source)."""
        if window is not None:
            found: list[Signal] = list(window_signals(window))
        elif model.monitor is not None:
            found = list(drift_signals(model.monitor.state()))  # insufficient_data
        else:
            found = []
        shadow = self.host.shadow(model.name)
        if shadow is not None and shadow.current_version == model.version:
            found.append(shadow.signal())
        for source in self.sources:
            found.extend(source(model))
        return tuple(found)

    def _decide(self, model: LoadedModel, window: WindowReport) -> Decision:
        signals = self.signals(model, window)
        state = self._states.get(model.name, PolicyState())
        window_id = f"{model.name}:v{model.version}:w{window.index}"
        decision, state = decide(self.policy, signals, state, self.clock(), window_id=window_id)
        self._states[model.name] = state
        self._rates.setdefault(model.name, WindowRate()).update(window.time)
        key = (model.name, model.version)
        self._signals[key] = signals
        self._decisions[key] = decision
        count_key = (model.name, decision.action)
        self.decisions_[count_key] = self.decisions_.get(count_key, 0) + 1
        if decision.changed or decision.action != "keep":
            self._audit(model, decision)
        return decision

    def _audit(self, model: LoadedModel, decision: Decision) -> None:
        text = f"{decision.action}: {decision.reason}"
        if decision.suppressed_by:
            text += f" (held back: {decision.suppressed_by})"
        self._event(model, "decision", text, decision.to_dict())
        try:
            self.host.registry.record(
                model.name,
                "decision",
                actor="guard",
                reason=f"{decision.action}: {decision.reason}",
                evidence=decision.to_dict(),
            )
        except RegistryError as exc:
            log.error("model %s: decision not audited: %s", model.name, exc)
        if self.webhook is not None and decision.changed:
            payload = alert_payload(
                decision, self.policy, model_name=model.name, model_version=model.version
            )
            if payload is not None:
                self.webhook.send(payload)

    def _rollback(self, model: LoadedModel, decision: Decision) -> bool:
        try:
            state = self.rollback_to.rollback(
                model.name,
                actor="guard",
                reason=decision.reason,
                evidence=decision.to_dict(),
                expected_generation=model.generation,
            )
        except (ConflictError, NoRollbackTargetError, RegistryError) as exc:
            self.rollback_failures_[model.name] = self.rollback_failures_.get(model.name, 0) + 1
            self._event(model, "rollback_failed", str(exc))
            log.error("model %s: rollback not done: %s", model.name, exc)
            return False
        self._rolled_back[model.name] = state.generation
        self.rollbacks_[model.name] = self.rollbacks_.get(model.name, 0) + 1
        text = f"rolled back from version {model.version} to version {state.version}"
        self._event(model, "rollback", text, {"to": state.version, "generation": state.generation})
        return True

    def metric_state(self) -> GuardState:
        """Snapshot for :class:`~driftguard.metrics.guard.GuardCollector` (served versions)."""
        with self._lock:
            served = {(m.name, m.version) for m in self.host.loaded()}
            return GuardState(
                {k: v for k, v in self._signals.items() if k in served},
                dict(self.decisions_),
                dict(self.rollbacks_),
                dict(self.rollback_failures_),
            )

    def window_rate(self, model_name: str) -> float | None:
        """Windows a second the guard decided on lately (``None`` until two were decided)."""
        with self._lock:
            rate = self._rates.get(model_name)
            return None if rate is None else rate.per_second()

    def standing(self, model_name: str) -> tuple[RuleStanding, ...]:
        """Every rule's false-decision interval at :meth:`window_rate`, and its evidence."""
        with self._lock:
            state = self._states.get(model_name, PolicyState())
            return standings(self.policy, state, self.window_rate(model_name))

    def note(self, model: str, version: int, kind: str, text: str) -> None:
        """Add an outside event (a promotion, a manual rollback) to the timeline."""
        self.events.note(model, version, kind, text)

    def _event(
        self, model: LoadedModel, kind: str, text: str, details: dict[str, Any] | None = None
    ) -> None:
        self.events.note(model.name, model.version, kind, text, details)

    def timeline(self, model: str | None = None) -> list[Event]:
        """Events, oldest first (of one model, or all)."""
        return self.events.entries(model)

    def current(self, model: LoadedModel) -> tuple[tuple[Signal, ...], Decision | None]:
        """Signals of a served version now, and the last decision about it.

        Drift signals are those of its last checked window; label, performance and shadow
        signals are computed now.
        """
        state = model.monitor.state() if model.monitor is not None else None
        latest = None if state is None else (state.last_closed or state.current)
        with self._lock:
            return self.signals(model, latest), self._decisions.get((model.name, model.version))
