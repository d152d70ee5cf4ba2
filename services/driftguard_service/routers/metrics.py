"""``GET /metrics``: the app's own Prometheus registry in the text exposition format."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from driftguard_service.deps import ServiceDep

__all__ = ["router"]

router = APIRouter(tags=["metrics"])


@router.get("/metrics", response_class=Response)
async def metrics(service: ServiceDep) -> Response:
    """Every ``driftguard_*`` metric of this process."""
    body = generate_latest(service.metrics.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
