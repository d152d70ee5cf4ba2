"""Act on Alertmanager's webhook: a firing ``driftguard_action="rollback"`` alert rolls back once.

Prometheus judges the metrics, Alertmanager routes the alert, and this receiver carries out
the rollback (DESIGN.md section 8). Delivery is at least once, so each alert passes two gates:

1. **Seen before?** Each firing episode (fingerprint and ``startsAt``) is acted on once per
   process; a repeated delivery is answered ``duplicate`` (a bounded memory of keys).
2. **Still true?** The alert names the version it judged (``model_version``) and, from the
   shipped rules, the ``generation`` it was served under. The rollback is a compare-and-set on
   that generation (:meth:`ModelHost.rollback`), so a delivery that arrives after ACTIVE moved
   (another replica or worker acted, a restart forgot the keys, someone promoted) changes
   nothing and is answered ``stale``.

Only the configured controller acts (``controller="alertmanager"``); otherwise firing alerts
are noted on the guard's timeline and answered ``not_controller``, so the in-process policy and
Alertmanager never both roll back. Every outcome is counted for
``driftguard_alerts_received_total{outcome}``.

Examples
--------
>>> import tempfile
>>> from driftguard.policy import default_policy
>>> from driftguard.registry import Registry
>>> host = ModelHost(Registry(tempfile.mkdtemp()))
>>> receiver = AlertReceiver(host, Guard(host, default_policy()), controller="alertmanager")
>>> report = receiver.receive({"version": "4", "status": "resolved", "alerts": [
...     {"status": "resolved", "labels": {"alertname": "A", "model_name": "m"}}]})
>>> [(o.alert, o.outcome) for o in report.outcomes]
[('A', 'resolved')]
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Literal

from driftguard.errors import ConflictError, NoRollbackTargetError, RegistryError
from driftguard.guard.alert_message import (
    ACTION_LABEL,
    AlertNotice,
    WebhookMessage,
    parse_webhook,
)
from driftguard.guard.guard import Guard
from driftguard.serving import ModelHost

__all__ = ["OUTCOMES", "AlertOutcome", "AlertReceiver", "ReceiveReport"]

Controller = Literal["guard", "alertmanager", "none"]

OUTCOMES = (
    "rolled_back",
    "duplicate",
    "stale",
    "no_target",
    "not_controller",
    "unknown_model",
    "missing_labels",
    "no_action",
    "resolved",
)
"""Every answer the receiver gives for one alert."""


@dataclass(frozen=True)
class AlertOutcome:
    """What the receiver did with one alert.

    Examples
    --------
    >>> AlertOutcome("DriftguardDriftConfirmed", "m", "stale", "ACTIVE moved").outcome
    'stale'
    """

    alert: str
    model_name: str
    outcome: str
    detail: str = ""
    version: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "alert": self.alert,
            "model_name": self.model_name,
            "outcome": self.outcome,
            "detail": self.detail,
            "version": self.version,
        }


@dataclass(frozen=True)
class ReceiveReport:
    """The answer to one webhook message.

    Examples
    --------
    >>> ReceiveReport("g", "alertmanager", ()).rolled_back
    0
    """

    group_key: str
    controller: str
    outcomes: tuple[AlertOutcome, ...]

    @property
    def rolled_back(self) -> int:
        """How many rollbacks this message caused."""
        return sum(o.outcome == "rolled_back" for o in self.outcomes)


class AlertReceiver:
    """Turn Alertmanager webhook messages into at most one rollback per firing alert.

    Parameters
    ----------
    host : ModelHost
        The served models and their registry.
    guard : Guard
        Its timeline records every alert; its policy state learns of the rollback.
    controller : {"guard", "alertmanager", "none"}, default "guard"
        Who carries out rollbacks in this service; the receiver acts only for
        ``"alertmanager"``.
    remember : int, default 10000
        Firing episodes remembered for duplicate detection (oldest forgotten first; the
        compare-and-set still stops a forgotten duplicate).
    """

    def __init__(
        self, host: ModelHost, guard: Guard, *, controller: Controller = "guard",
        remember: int = 10_000,
    ) -> None:  # fmt: skip
        self.host = host
        self.guard = guard
        self.controller = controller
        self.remember = remember
        self._lock = threading.Lock()
        self._seen: OrderedDict[tuple[str, str], str] = OrderedDict()
        self.counts_: dict[str, int] = dict.fromkeys(OUTCOMES, 0)

    def receive(self, payload: Any) -> ReceiveReport:
        """Check one webhook message and act on each of its alerts (serialised)."""
        message = parse_webhook(payload)
        with self._lock:
            outcomes = tuple(self._one(message, alert) for alert in message.alerts)
            for o in outcomes:
                self.counts_[o.outcome] += 1
        return ReceiveReport(message.group_key, self.controller, outcomes)

    def counts(self) -> dict[str, int]:
        """Alerts received so far, by outcome."""
        with self._lock:
            return dict(self.counts_)

    def _one(self, message: WebhookMessage, alert: AlertNotice) -> AlertOutcome:
        def out(outcome: str, detail: str = "") -> AlertOutcome:
            return AlertOutcome(alert.name, alert.model_name, outcome, detail)

        if alert.status == "resolved":
            self._note(alert, "alert_resolved", f"alert {alert.name} resolved")
            return out("resolved")
        if alert.key in self._seen:
            return out("duplicate", f"already handled: {self._seen[alert.key]}")
        outcome = self._firing(message, alert)
        self._remember(alert.key, f"{outcome.outcome} {outcome.detail}".strip())
        return outcome

    def _firing(self, message: WebhookMessage, alert: AlertNotice) -> AlertOutcome:
        def out(outcome: str, detail: str = "") -> AlertOutcome:
            return AlertOutcome(alert.name, alert.model_name, outcome, detail)

        if alert.action != "rollback":
            self._note(alert, "alert", f"alert {alert.name} firing")
            return out("no_action", f"no {ACTION_LABEL}=rollback label")
        version, generation, problem = _target_labels(alert)
        if problem:
            return out("missing_labels", problem)
        if self.controller != "alertmanager":
            text = f"alert {alert.name} asks for a rollback; rollbacks belong to {self.controller}"
            self._note(alert, "alert", text)
            return out("not_controller", text)
        return self._rollback(message, alert, version, generation)

    def _rollback(
        self, message: WebhookMessage, alert: AlertNotice, version: int, generation: int | None
    ) -> AlertOutcome:
        name = alert.model_name
        try:
            active = self.host.registry.active(name)
        except RegistryError as exc:
            return AlertOutcome(alert.name, name, "unknown_model", str(exc))
        if active.version != version or (
            generation is not None and generation != active.generation
        ):
            detail = (
                f"ACTIVE is version {active.version} (generation {active.generation}); the alert "
                f"judged version {version}" + (f" (generation {generation})" if generation else "")
            )
            return AlertOutcome(alert.name, name, "stale", detail)
        evidence = {
            "alert": alert.name,
            "fingerprint": alert.fingerprint,
            "startsAt": alert.starts_at,
            "groupKey": message.group_key,
            "receiver": message.receiver,
            "labels": dict(alert.labels),
            "annotations": dict(alert.annotations),
        }
        reason = alert.annotations.get("summary") or f"Alertmanager alert {alert.name}"
        try:
            state = self.host.rollback(
                name,
                actor=f"alertmanager:{alert.name}",
                reason=reason,
                evidence=evidence,
                expected_generation=active.generation,
            )
        except ConflictError as exc:
            return AlertOutcome(alert.name, name, "stale", str(exc))
        except NoRollbackTargetError as exc:
            return AlertOutcome(alert.name, name, "no_target", str(exc))
        except RegistryError as exc:
            return AlertOutcome(alert.name, name, "unknown_model", str(exc))
        text = f"alert {alert.name}: rolled back from version {version} to version {state.version}"
        self.guard.note(name, state.version or 0, "alert_rollback", text)
        return AlertOutcome(alert.name, name, "rolled_back", text, state.version)

    def _note(self, alert: AlertNotice, kind: str, text: str) -> None:
        if alert.model_name:
            version = alert.labels.get("model_version", "")
            self.guard.note(alert.model_name, int(version) if version.isdigit() else 0, kind, text)

    def _remember(self, key: tuple[str, str], what: str) -> None:
        self._seen[key] = what
        while len(self._seen) > self.remember:
            self._seen.popitem(last=False)


def _target_labels(alert: AlertNotice) -> tuple[int, int | None, str]:
    """``(model_version, generation or None, problem)`` from the alert's labels."""
    if not alert.model_name:
        return 0, None, "a rollback alert needs a model_name label"
    version = alert.labels.get("model_version", "")
    if not version.isdigit():
        return 0, None, f"a rollback alert needs a numeric model_version label, got {version!r}"
    generation = alert.labels.get("generation", "")
    if generation and not generation.isdigit():
        return 0, None, f"the generation label must be a number, got {generation!r}"
    return int(version), int(generation) if generation else None, ""
