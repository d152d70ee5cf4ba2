"""Management routes of the defences: flagged clients and feedback, quarantine, releases.

``GET /models/{name}/defenses`` shows what the defences hold (flagged clients, feedback
sources with their flag rates, adversarial counts); ``GET /models/{name}/feedback`` lists
stored feedback, the usable rows (``state=accepted``, the retraining export) or the flagged
ones (``state=flagged``, for inspection); the release routes lift a client's flag or a
source's quarantine. All of them need the admin token.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from starlette.concurrency import run_in_threadpool

from driftguard.errors import VersionNotFoundError
from driftguard.serving import Feedback
from driftguard_service.deps import AdminDep, ServiceDep

__all__ = ["router"]

router = APIRouter(tags=["defenses"])

NamePath = Annotated[str, Path(max_length=200)]
KeyPath = Annotated[str, Path(max_length=500)]
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing or wrong bearer token; nothing changed"},
    404: {"description": "Unknown model, client or source"},
}


def _value(column: Any, row: int) -> Any:
    value = column[row]
    return value.item() if hasattr(value, "item") else value


def _rows(item: Feedback, want_flagged: bool) -> list[dict[str, Any]]:
    keep = item.usable()
    labels = item.prediction.labels
    out = []
    for row, label in enumerate(item.labels):
        if bool(keep[row]) == want_flagged:
            continue
        features = {k: _value(v, row) for k, v in item.prediction.columns.items()}
        out.append(
            {
                "features": features,
                "label": labels[label] if label < len(labels) else label,
                "flagged": bool(item.flags[row]) if item.flags else False,
                "p_value": item.p_values[row] if item.p_values else None,
            }
        )
    return out


@router.get("/models/{name}/feedback", responses=ERRORS)
async def feedback(
    name: NamePath,
    service: ServiceDep,
    _: AdminDep,
    state: Annotated[Literal["accepted", "flagged"], Query()] = "accepted",
    limit: Annotated[int, Query(ge=1, le=100_000)] = 1000,
) -> dict[str, Any]:
    """Stored feedback rows: usable ones (the export) or flagged/quarantined ones."""
    service.host.get(name)
    items = []
    total = 0
    for item in reversed(service.host.feedback.recent(name)):
        rows = _rows(item, want_flagged=state == "flagged")
        if not rows:
            continue
        items.append(
            {
                "request_id": item.prediction.request_id,
                "model_version": item.prediction.version,
                "source": item.source,
                "time": item.time,
                "trusted_version": item.trusted_version,
                "quarantined": item.quarantined,
                "rows": rows,
            }
        )
        total += len(rows)
        if total >= limit:
            break
    return {"model": name, "state": state, "rows": total, "items": items}


@router.get("/models/{name}/defenses", responses=ERRORS)
async def defenses(name: NamePath, service: ServiceDep, _: AdminDep) -> dict[str, Any]:
    """Flagged clients, feedback sources and adversarial counts of a model."""
    model = service.host.get(name)
    state = await run_in_threadpool(service.host.defender.state)
    clients = state.clients
    n, flagged = model.adversarial.recent()
    scorer = model.defenses.scorer
    return {
        "model": name,
        "version": model.version,
        "defenses": {
            "request_scorer": scorer is not None,
            "probe_detector": model.defenses.probe is not None,
            "feedback_screen": model.defenses.screen is not None,
        },
        "adversarial": {
            "alpha": None if scorer is None else float(scorer.alpha),
            "rows_total": model.adversarial.total_,
            "flagged_total": model.adversarial.flagged_,
            "recent_rows": n,
            "recent_flagged": flagged,
        },
        "clients": None
        if clients is None
        else {
            "action": clients.action,
            "flagged": list(clients.flagged),
            "flags_total": clients.flags_total,
            "refused": clients.refused,
        },
        "sources": [_source(s) for s in state.sources.get(name, ())],
    }


def _source(verdict: Any) -> dict[str, Any]:
    return {
        "source": verdict.source,
        "items": int(verdict.items),
        "flagged": int(verdict.flagged),
        "rate": verdict.flagged / verdict.items if verdict.items else 0.0,
        "quarantined": bool(verdict.quarantined),
    }


@router.post("/models/{name}/feedback/sources/{source}/release", responses=ERRORS)
async def release_source(
    name: NamePath, source: KeyPath, service: ServiceDep, actor: AdminDep
) -> dict[str, Any]:
    """Lift a feedback source's quarantine (its earlier feedback stays flagged)."""
    if not service.host.defender.release_source(name, source):
        raise VersionNotFoundError(f"model {name!r}: feedback source {source!r} is not quarantined")
    model = service.host.get(name)
    service.guard.note(name, model.version, "release", f"source {source!r} released by {actor}")
    return {"model": name, "source": source, "released": True}


@router.post("/clients/{client}/release", responses=ERRORS)
async def release_client(client: KeyPath, service: ServiceDep, actor: AdminDep) -> dict[str, Any]:
    """Forget a client's probing flag (its requests are served normally again)."""
    if not service.host.defender.clients.release(client):
        raise VersionNotFoundError(f"client {client!r} is not flagged")
    return {"client": client, "released": True, "by": actor}
