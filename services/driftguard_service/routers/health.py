"""Liveness, readiness and server metadata (Open Inference Protocol v2)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from starlette.concurrency import run_in_threadpool

from driftguard.errors import ModelUnavailableError
from driftguard_service.deps import ServiceDep
from driftguard_service.responses import SafeJSONResponse

__all__ = ["router"]

router = APIRouter(tags=["health"])

NamePath = Annotated[str, Path(max_length=200)]


@router.get("/v2/health/live")
async def live() -> dict[str, bool]:
    """The process is up."""
    return {"live": True}


@router.get("/v2/health/ready", responses={503: {"description": "No model loaded yet"}})
async def ready(service: ServiceDep) -> SafeJSONResponse:
    """Ready once at least one model is loaded."""
    is_ready = service.host.ready
    return SafeJSONResponse({"ready": is_ready}, status_code=200 if is_ready else 503)


@router.get(
    "/v2/models/{name}/ready",
    responses={404: {"description": "Not a model served here"}, 503: {"description": "Not loaded"}},
)
async def model_ready(name: NamePath, service: ServiceDep) -> SafeJSONResponse:
    """Ready once this model's ACTIVE version is loaded; 404 for a model not served here."""
    try:
        await run_in_threadpool(service.host.get, name)
    except ModelUnavailableError:
        return SafeJSONResponse({"name": name, "ready": False}, status_code=503)
    return SafeJSONResponse({"name": name, "ready": True})


@router.get("/v2")
async def server_metadata() -> dict[str, Any]:
    """Server name, version and protocol extensions."""
    from importlib.metadata import version

    return {"name": "driftguard", "version": version("driftguard"), "extensions": []}
