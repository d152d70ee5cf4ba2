"""One bounded, JSON-ready snapshot of a served model, for the dashboard page.

:func:`snapshot` gathers what a person watching a model wants on one screen: the ACTIVE version
and generation, the signals of the served version with the guard's last decision, the drift of
its latest checked window (every feature, sorted by score-to-threshold ratio), the dataset and
per-feature scores of the recent windows, a reliability diagram over the labelled feedback it
may use, the registry's versions, the guard's timeline and the audit log. Everything is
bounded (:class:`Limits`), so the document stays small whatever the traffic, and holds no NaN
or infinity (``None`` instead): strict JSON.

Examples
--------
>>> import tempfile
>>> from driftguard.registry import Registry
>>> model_list(ModelHost(Registry(tempfile.mkdtemp())))
[]
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from driftguard.detectors.reliability import reliability_diagram
from driftguard.errors import ModelUnavailableError
from driftguard.guard.guard import Guard
from driftguard.guard.snapshot_drift import drift_view, finite
from driftguard.policy import Decision
from driftguard.registry import AuditRecord
from driftguard.serving import LoadedModel, ModelHost

__all__ = ["Limits", "model_list", "snapshot"]

#: Audit actions that move ACTIVE (the steps of the version timeline).
SWITCHES = ("promote", "rollback")


@dataclass(frozen=True)
class Limits:
    """Bounds of a snapshot.

    Parameters
    ----------
    windows : int
        Most recent checked windows in the charts.
    chart_features : int
        Features with a chart (those with the largest score-to-threshold ratio in the charted
        windows).
    table_features : int
        Rows of the drift table (largest ratio first).
    audit, events, switches, versions : int
        Newest audit records, guard events, promotions/rollbacks and versions kept.
    labels : int
        Newest usable labelled rows in the reliability diagram (the calibration monitor's
        ``max_labels``).
    n_bins : int
        Bins of the reliability diagram (the calibration monitor's ``n_bins``).
    text : int
        Longest reason or event text (longer ones are cut, with an ellipsis).

    Examples
    --------
    >>> Limits().windows, Limits(windows=10).windows
    (100, 10)
    """

    windows: int = 100
    chart_features: int = 12
    table_features: int = 200
    audit: int = 200
    events: int = 200
    switches: int = 100
    versions: int = 100
    labels: int = 5000
    n_bins: int = 15
    text: int = 500


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def model_list(host: ModelHost) -> list[dict[str, Any]]:
    """The models this host serves: name, ACTIVE version and generation, served version.

    A name the host is restricted from (``names``) is left out.

    Examples
    --------
    >>> import tempfile
    >>> from driftguard.registry import Registry
    >>> model_list(ModelHost(Registry(tempfile.mkdtemp())))
    []
    """
    served = {m.name: m for m in host.loaded()}
    out = []
    for name in host.registry.names():
        if host.names and name not in host.names:
            continue
        state = host.registry.active(name)
        model = served.get(name)
        out.append(
            {
                "name": name,
                "active_version": state.version,
                "generation": state.generation,
                "served_version": None if model is None else model.version,
            }
        )
    return out


def _calibration(
    host: ModelHost, model: LoadedModel, limits: Limits, signals: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    proba, labels = host.feedback.usable(model.name, model.version)
    proba, labels = proba[-limits.labels :], labels[-limits.labels :]
    diagram = reliability_diagram(proba, labels, n_bins=limits.n_bins)
    ece = next((s for s in signals if s["name"] == "ece"), None)
    return {
        "n": diagram.n,
        "received": host.feedback.received_.get((model.name, model.version), 0),
        "ece": finite(diagram.ece) if diagram.n else None,
        "ece_threshold": None if ece is None else ece["threshold"],
        "ece_status": "insufficient_data" if ece is None else ece["status"],
        "accuracy": finite(diagram.overall_accuracy),
        "mean_confidence": finite(diagram.mean_confidence),
        "reference_accuracy": finite(model.reference_accuracy),
        "bins": diagram.bins(),
    }


def _audit(record: AuditRecord, limits: Limits) -> dict[str, Any]:
    return {
        "id": record.id,
        "time": record.time.timestamp(),
        "action": record.action,
        "actor": _cut(record.actor, limits.text),
        "reason": _cut(record.reason, limits.text),
        "from_version": record.from_version,
        "to_version": record.to_version,
        "generation": record.generation,
    }


def _decision(decision: Decision | None, limits: Limits) -> dict[str, Any] | None:
    if decision is None:
        return None
    return {
        "action": decision.action,
        "mode": decision.mode,
        "reason": _cut(decision.reason, limits.text),
        "rules_fired": list(decision.rules_fired),
        "rules_latched": list(decision.rules_latched),
        "suppressed_by": decision.suppressed_by,
        "at": finite(decision.at),
        "window_id": decision.window_id,
    }


def _served(
    model: LoadedModel, signals: Sequence[dict[str, Any]], decision: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        "version": model.version,
        "generation": model.generation,
        "loaded_at": model.loaded_at,
        "labels": list(model.labels),
        "monitoring": model.monitor is not None,
        "signals": [s for s in signals if not s["name"].startswith("input_drift:")],
        "decision": decision,
    }


def snapshot(
    host: ModelHost,
    guard: Guard,
    name: str,
    limits: Limits | None = None,
    clock: Callable[[], float] = time.time,
) -> dict[str, Any]:
    """Everything the dashboard shows about model ``name``, bounded and JSON-ready.

    Raises :class:`~driftguard.errors.VersionNotFoundError` for a name the host does not
    serve. A served name with no loaded version yet (loading, nothing promoted) gets the
    registry's part, ``served: None`` and ``unavailable`` saying why.

    Examples
    --------
    >>> import tempfile
    >>> from driftguard.errors import VersionNotFoundError
    >>> from driftguard.policy import default_policy
    >>> from driftguard.registry import Registry
    >>> host = ModelHost(Registry(tempfile.mkdtemp()))
    >>> try:
    ...     snapshot(host, Guard(host, default_policy()), "nope")
    ... except VersionNotFoundError as exc:
    ...     print(exc)
    model 'nope' is not served here
    """
    limits = limits if limits is not None else Limits()
    model: LoadedModel | None = None
    unavailable = None
    try:
        model = host.get(name)
    except ModelUnavailableError as exc:
        unavailable = str(exc)
    registry = host.registry
    active = registry.active(name)
    records = registry.audit(name)
    out: dict[str, Any] = {
        "model": name,
        "generated_at": clock(),
        "active_version": active.version,
        "generation": active.generation,
        "unavailable": unavailable,
        "served": None,
        "drift": None,
        "calibration": None,
    }
    if model is not None:
        current, decision = guard.current(model)
        signals = [
            {**s.to_dict(), "value": finite(s.value), "threshold": finite(s.threshold)}
            for s in current
        ]
        out["served"] = _served(model, signals, _decision(decision, limits))
        if model.monitor is not None:
            out["drift"] = drift_view(
                model.monitor.state(),
                len(model.schema.names),
                windows=limits.windows,
                chart_features=limits.chart_features,
                table_features=limits.table_features,
            )
        out["calibration"] = _calibration(host, model, limits, signals)
    out["versions"] = [
        {
            "version": v.version,
            "created": v.created.timestamp(),
            "status": str(v.status),
            "parent": v.parent,
            "active": v.version == active.version,
        }
        for v in registry.versions(name)[-limits.versions :]
    ]
    switches = [r for r in records if r.action in SWITCHES][-limits.switches :]
    out["switches"] = [_audit(r, limits) for r in switches]
    events = guard.timeline(name)[-limits.events :]
    out["timeline"] = [
        {"time": e.time, "version": e.version, "kind": e.kind, "text": _cut(e.text, limits.text)}
        for e in reversed(events)
    ]
    out["audit"] = [_audit(r, limits) for r in reversed(records[-limits.audit :])]
    return out
