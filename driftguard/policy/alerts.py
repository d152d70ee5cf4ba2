"""Build Alertmanager's webhook JSON for a decision (the payload only; no HTTP here).

The shape is Alertmanager's webhook ``version: "4"`` message, so any receiver written for
Alertmanager (including driftguard's own) reads it: one alert per rule that fired (``firing``)
or re-armed (``resolved``) in the decision. Labels are stable across an alert's life (rule name,
model, severity, signal pattern), so the fingerprint of the resolved alert is that of the firing
one; it is computed as Prometheus does (FNV-1a 64 over the sorted labels).

Rules whose effective mode is ``observe`` never alert: observing is deciding without acting.

Examples
--------
>>> from driftguard.policy.rules import Policy, Rule
>>> from driftguard.policy.state import Decision, Evidence
>>> rule = Rule("drift", "input_drift", false_alarm_every="365d", action="rollback")
>>> policy = Policy("warn", rules=(rule,))
>>> ev = Evidence("drift", "input_drift", "fired", "breach", 1, 1, 1, 1, effect="warn",
...               fired_at=0.0)
>>> d = Decision("warn", "warn", "drift fired", ("drift",), ("drift",), (), (ev,), at=0.0)
>>> payload = alert_payload(d, policy, model_name="m", model_version=3)
>>> payload["status"], payload["alerts"][0]["labels"]["severity"]
('firing', 'critical')
>>> payload["alerts"][0]["startsAt"]
'1970-01-01T00:00:00.000Z'
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from driftguard.policy.rules import Policy
from driftguard.policy.state import Decision, Evidence

__all__ = ["ZERO_TIME", "alert_payload", "fingerprint", "rfc3339"]

ZERO_TIME = "0001-01-01T00:00:00Z"
"""Alertmanager's ``endsAt`` of an alert that has not ended."""

_FNV_OFFSET = 14695981039346656037
_FNV_PRIME = 1099511628211
_SEPARATOR = 0xFF


def rfc3339(t: float) -> str:
    """UNIX time ``t`` as RFC 3339 UTC with milliseconds.

    Examples
    --------
    >>> rfc3339(1.5)
    '1970-01-01T00:00:01.500Z'
    """
    return datetime.fromtimestamp(t, tz=UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def fingerprint(labels: Mapping[str, str]) -> str:
    """Prometheus' label-set fingerprint: FNV-1a 64 of sorted ``name 0xff value 0xff``, in hex.

    Examples
    --------
    >>> fingerprint({})
    'cbf29ce484222325'
    """
    h = _FNV_OFFSET
    for name in sorted(labels):
        for part in (name, labels[name]):
            for byte in (*part.encode("utf-8"), _SEPARATOR):
                h = ((h ^ byte) * _FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def _alert(
    ev: Evidence,
    status: str,
    policy: Policy,
    decision: Decision,
    model: tuple[str, str],
    generator_url: str,
) -> dict[str, Any]:
    rule = policy.rule(ev.rule)
    labels = {
        "alertname": rule.name,
        "model_name": model[0],
        "model_version": model[1],
        "severity": str(rule.severity),
        "signal": rule.signal,
    }
    where = f"model {model[0]} version {model[1]}"
    if status == "firing":
        summary = f"{rule.name}: {ev.breaches} of {ev.windows} windows breached on {where}"
        action = ev.effect if ev.suppressed_by is None else f"{ev.effect} ({ev.suppressed_by})"
    else:
        summary = f"{rule.name}: cleared on {where} after {ev.ok_streak} ok windows"
        action = "none"
    details = ", ".join(
        f"{s.name}={s.value:.4g} (threshold {s.threshold:.4g})"
        for s in ev.signals
        if s.value is not None and s.threshold is not None
    )
    description = " ".join(
        part for part in (rule.description, f"Decision: {decision.reason}.", details) if part
    )
    starts = ev.fired_at if ev.fired_at is not None else decision.at
    return {
        "status": status,
        "labels": labels,
        "annotations": {"summary": summary, "description": description, "action": action},
        "startsAt": rfc3339(starts),
        "endsAt": ZERO_TIME if status == "firing" else rfc3339(decision.at),
        "generatorURL": generator_url,
        "fingerprint": fingerprint(labels),
    }


def _common(items: list[dict[str, str]]) -> dict[str, str]:
    first = items[0]
    return {k: v for k, v in first.items() if all(i.get(k) == v for i in items[1:])}


def alert_payload(
    decision: Decision,
    policy: Policy,
    *,
    model_name: str,
    model_version: int | str,
    receiver: str = "driftguard",
    external_url: str = "",
    generator_url: str = "",
    resend: bool = False,
) -> dict[str, Any] | None:
    """Alertmanager webhook payload for ``decision``, or ``None`` when there is nothing to send.

    Parameters
    ----------
    decision : Decision
        What :func:`~driftguard.policy.decide.decide` returned.
    policy : Policy
        The policy that made it (severity, description of each rule).
    model_name, model_version : str
        The model the decision is about (labels ``model_name``, ``model_version``).
    receiver, external_url, generator_url : str
        Alertmanager's ``receiver``, ``externalURL`` and each alert's ``generatorURL``.
    resend : bool
        Also list rules that stay latched as firing (a periodic reminder), not only those
        that fired or re-armed in this decision.

    Returns
    -------
    dict or None
        The JSON-serialisable payload; ``status`` is ``firing`` when any alert fires.
    """
    model = (str(model_name), str(model_version))
    alerts: list[dict[str, Any]] = []
    for ev in decision.evidence:
        if policy.effective_mode(policy.rule(ev.rule)) == "observe":
            continue
        if ev.outcome == "fired" or (resend and ev.outcome == "latched"):
            alerts.append(_alert(ev, "firing", policy, decision, model, generator_url))
        elif ev.outcome == "rearmed":
            alerts.append(_alert(ev, "resolved", policy, decision, model, generator_url))
    if not alerts:
        return None
    group = {"model_name": model[0]}
    return {
        "version": "4",
        "groupKey": f'{{}}:{{model_name="{model[0]}"}}',
        "truncatedAlerts": 0,
        "status": "firing" if any(a["status"] == "firing" for a in alerts) else "resolved",
        "receiver": receiver,
        "groupLabels": group,
        "commonLabels": _common([a["labels"] for a in alerts]),
        "commonAnnotations": _common([a["annotations"] for a in alerts]),
        "externalURL": external_url,
        "alerts": alerts,
    }
