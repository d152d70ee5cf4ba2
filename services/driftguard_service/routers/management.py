"""Management routes behind the bearer token: versions, promote, rollback, audit, signals.

Promote and rollback go through the model host: the target is loaded and verified first,
ACTIVE moves by compare-and-set, and the service has swapped before the response is sent.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from starlette.concurrency import run_in_threadpool

from driftguard.registry import ActiveState
from driftguard_service.deps import AdminDep, ServiceDep
from driftguard_service.schemas import (
    AuditEntry,
    PromoteRequest,
    RollbackRequest,
    SignalsResponse,
    SwitchResponse,
    VersionEntry,
)
from driftguard_service.schemas_rules import rule_fields

__all__ = ["router"]

router = APIRouter(prefix="/models", tags=["management"])

NamePath = Annotated[str, Path(max_length=200)]
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing or wrong bearer token; nothing changed"},
    404: {"description": "Unknown model or version"},
    409: {"description": "ACTIVE changed meanwhile, no rollback target, or quarantined"},
}


def _switch(name: str, before: int | None, state: ActiveState) -> dict[str, Any]:
    return {
        "model_name": name,
        "version": state.version,
        "generation": state.generation,
        "previous": before,
    }


@router.get("/{name}/versions", response_model=list[VersionEntry], responses=ERRORS)
async def versions(name: NamePath, service: ServiceDep, _: AdminDep) -> list[dict[str, Any]]:
    """Every registered version, oldest first."""
    registry = service.host.registry
    infos = await run_in_threadpool(registry.versions, name)
    active = (await run_in_threadpool(registry.active, name)).version
    return [{**v.to_dict(), "active": v.version == active} for v in infos]


@router.post("/{name}/promote", response_model=SwitchResponse, responses=ERRORS)
async def promote(
    name: NamePath, body: PromoteRequest, service: ServiceDep, actor: AdminDep
) -> dict[str, Any]:
    """Make a version ACTIVE and swap it in."""
    host = service.host
    before = (await run_in_threadpool(host.registry.active, name)).version
    state = await run_in_threadpool(
        lambda: host.promote(name, body.version, actor=actor, reason=body.reason)
    )
    service.guard.note(name, body.version, "promote", f"promoted by {actor} (was {before})")
    return _switch(name, before, state)


@router.post("/{name}/rollback", response_model=SwitchResponse, responses=ERRORS)
async def rollback(
    name: NamePath, service: ServiceDep, actor: AdminDep, body: RollbackRequest | None = None
) -> dict[str, Any]:
    """Roll back to ``version``, or to the newest earlier known-good version."""
    host = service.host
    body = body or RollbackRequest()
    before = (await run_in_threadpool(host.registry.active, name)).version
    state = await run_in_threadpool(
        lambda: host.rollback(name, actor=actor, reason=body.reason, to=body.version)
    )
    if state.version is not None:
        text = f"rolled back by {actor} from version {before}"
        service.guard.note(name, state.version, "manual_rollback", text)
    return _switch(name, before, state)


@router.get("/{name}/audit", response_model=list[AuditEntry], responses=ERRORS)
async def audit(name: NamePath, service: ServiceDep, _: AdminDep) -> list[dict[str, Any]]:
    """The audit log of a model, oldest first."""
    records = await run_in_threadpool(service.host.registry.audit, name)
    return [r.to_dict() for r in records]


@router.get("/{name}/signals", response_model=SignalsResponse, responses=ERRORS)
async def signals(name: NamePath, service: ServiceDep, _: AdminDep) -> dict[str, Any]:
    """Signals of the ACTIVE version, the last decision, and where every rule stands.

    Signals are those of the last checked window; each rule comes with its false-decision
    interval at the observed window rate (and at the planning traffic) and its evidence so far.
    """
    model = service.host.get(name)
    window: dict[str, Any] = {"monitoring": model.monitor is not None}
    current, decision = await run_in_threadpool(service.guard.current, model)
    found = [s.to_dict() for s in current]
    if model.monitor is not None:
        state = model.monitor.state()
        window |= {
            "size": state.window_size,
            "rows": state.window_rows,
            "closed": state.windows_closed,
            "rows_observed": state.rows_observed,
            "dropped_rows": state.dropped_rows,
            "queued_rows": state.rows_queued,
        }
    return {
        "model": model.name,
        "version": model.version,
        "signals": found,
        "decision": None if decision is None else decision.to_dict(),
        "window": window,
        **await run_in_threadpool(rule_fields, service.guard, name),
    }
