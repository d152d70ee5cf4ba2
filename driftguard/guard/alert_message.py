"""Read Alertmanager's webhook message (``version "4"``) into frozen values, or say what is wrong.

Alertmanager POSTs one message per notification of an alert group: ``groupKey``, ``status``
and ``alerts``, each alert with ``status``, ``labels``, ``annotations``, ``startsAt`` and a
``fingerprint`` (the hash of its label set). Delivery is at least once: the same alert comes
again on every ``repeat_interval``, after a group change, or when a receiver timed out, so
an alert is identified by its fingerprint and ``startsAt`` (one firing episode). Messages
without a fingerprint (older senders) get the one Prometheus would compute.

Examples
--------
>>> message = parse_webhook({
...     "version": "4", "groupKey": "g", "status": "firing",
...     "alerts": [{"status": "firing", "labels": {"alertname": "A", "model_name": "m"},
...                 "startsAt": "2026-01-01T00:00:00Z"}]})
>>> alert = message.alerts[0]
>>> alert.name, alert.model_name, alert.key
('A', 'm', ('7c5fd05d36667d0b', '2026-01-01T00:00:00Z'))
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from driftguard.errors import InvalidInputError
from driftguard.policy import fingerprint

__all__ = ["ACTION_LABEL", "AlertNotice", "WebhookMessage", "parse_webhook"]

ACTION_LABEL = "driftguard_action"
"""The label that asks driftguard to act on a firing alert (value ``rollback``)."""

MAX_ALERTS = 1000
MAX_TEXT = 4096
STATUSES = ("firing", "resolved")


@dataclass(frozen=True)
class AlertNotice:
    """One alert of a webhook message.

    Examples
    --------
    >>> AlertNotice("firing", {"alertname": "A"}, {}, "t0", "f").action
    ''
    """

    status: str
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    starts_at: str
    fingerprint: str

    @property
    def name(self) -> str:
        """The ``alertname`` label ('' when missing)."""
        return self.labels.get("alertname", "")

    @property
    def model_name(self) -> str:
        """The ``model_name`` label ('' when missing)."""
        return self.labels.get("model_name", "")

    @property
    def action(self) -> str:
        """What the alert asks driftguard to do (the ``driftguard_action`` label, or '')."""
        return self.labels.get(ACTION_LABEL, "")

    @property
    def key(self) -> tuple[str, str]:
        """Identity of one firing episode: fingerprint and ``startsAt``."""
        return (self.fingerprint, self.starts_at)


@dataclass(frozen=True)
class WebhookMessage:
    """A whole webhook message: its group key, receiver and alerts.

    Examples
    --------
    >>> WebhookMessage("g", "r", "resolved").alerts
    ()
    """

    group_key: str
    receiver: str
    status: str
    alerts: tuple[AlertNotice, ...] = field(default_factory=tuple)


def _text(value: Any, where: str, *, required: bool = False) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise InvalidInputError(where, f"must be a string, got {type(value).__name__}")
    if len(value) > MAX_TEXT:
        raise InvalidInputError(where, f"is longer than {MAX_TEXT} characters")
    return value


def _strings(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidInputError(where, "must be an object of strings")
    return {
        _text(k, f"{where} key"): _text(v, f"{where}.{k}", required=True) for k, v in value.items()
    }


def _status(value: Any, where: str) -> str:
    status = _text(value, where, required=True)
    if status not in STATUSES:
        raise InvalidInputError(where, f"must be 'firing' or 'resolved', got {status!r}")
    return status


def _alert(raw: Any, i: int) -> AlertNotice:
    where = f"alerts[{i}]"
    if not isinstance(raw, Mapping):
        raise InvalidInputError(where, "must be an object")
    labels = _strings(raw.get("labels"), f"{where}.labels")
    if not labels:
        raise InvalidInputError(f"{where}.labels", "is missing or empty")
    given = _text(raw.get("fingerprint"), f"{where}.fingerprint")
    return AlertNotice(
        status=_status(raw.get("status"), f"{where}.status"),
        labels=labels,
        annotations=_strings(raw.get("annotations"), f"{where}.annotations"),
        starts_at=_text(raw.get("startsAt"), f"{where}.startsAt"),
        fingerprint=given or fingerprint(labels),
    )


def parse_webhook(payload: Any) -> WebhookMessage:
    """Check and read one webhook message; raise :class:`InvalidInputError` naming the field."""
    if not isinstance(payload, Mapping):
        raise InvalidInputError("body", "the webhook message must be a JSON object")
    version = payload.get("version", "4")
    if version != "4":
        raise InvalidInputError("version", f"unsupported Alertmanager webhook version {version!r}")
    alerts = payload.get("alerts")
    if not isinstance(alerts, list):
        raise InvalidInputError("alerts", "must be a list")
    if len(alerts) > MAX_ALERTS:
        raise InvalidInputError("alerts", f"has {len(alerts)} items; at most {MAX_ALERTS}")
    return WebhookMessage(
        group_key=_text(payload.get("groupKey"), "groupKey"),
        receiver=_text(payload.get("receiver"), "receiver"),
        status=_status(payload.get("status", "firing"), "status"),
        alerts=tuple(_alert(raw, i) for i, raw in enumerate(alerts)),
    )
