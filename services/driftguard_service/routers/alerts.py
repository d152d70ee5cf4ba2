"""Alertmanager's webhook receiver: ``POST /alerts/alertmanager`` (bearer token).

Point an Alertmanager ``webhook_configs`` entry here (``dashboards/alertmanager/alertmanager.yml``
does) with ``http_config.authorization.credentials_file`` holding the admin token. A firing
alert labelled ``driftguard_action="rollback"`` rolls the model back once, when this service's
rollback controller is Alertmanager (``DRIFTGUARD_ROLLBACK_BY=alertmanager``); duplicates and
stale deliveries change nothing (see :mod:`driftguard.guard.alert_receiver`). The answer is
200 with one outcome per alert whatever happened to it, so Alertmanager does not retry a
delivery that was understood; a malformed message is 422 and a missing token 401.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from driftguard_service.deps import AdminDep, ServiceDep

__all__ = ["router"]

router = APIRouter(prefix="/alerts", tags=["alerts"])

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing or wrong bearer token; nothing changed"},
    422: {"description": "Not an Alertmanager webhook message (version 4); nothing changed"},
}


class AlertOutcomeOut(BaseModel):
    """What the receiver did with one alert."""

    alert: str
    model_name: str
    outcome: str
    detail: str
    version: int | None


class AlertsResponse(BaseModel):
    """The answer to one webhook message."""

    group_key: str
    controller: str
    rolled_back: int
    outcomes: list[AlertOutcomeOut]


@router.post("/alertmanager", response_model=AlertsResponse, responses=ERRORS)
async def alertmanager(
    payload: Annotated[dict[str, Any], Body()], service: ServiceDep, _: AdminDep
) -> dict[str, Any]:
    """Receive one Alertmanager webhook message and act on its alerts."""
    report = await run_in_threadpool(service.alerts.receive, payload)
    return {
        "group_key": report.group_key,
        "controller": report.controller,
        "rolled_back": report.rolled_back,
        "outcomes": [o.to_dict() for o in report.outcomes],
    }
