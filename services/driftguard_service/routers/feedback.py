"""``POST /feedback``: delayed labels, joined to the logged prediction by request id."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from driftguard.serving.inbox import accept_feedback
from driftguard_service.deps import ServiceDep
from driftguard_service.responses import SafeJSONResponse
from driftguard_service.schemas import FeedbackRequest, FeedbackResponse

__all__ = ["router"]

router = APIRouter(tags=["feedback"])

ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "Unknown, already labelled or evicted request id"},
    422: {"description": "Unknown label, wrong number of labels, or invalid records"},
}


@router.post("/feedback", response_model=FeedbackResponse, responses=ERRORS)
async def feedback(body: FeedbackRequest, service: ServiceDep) -> SafeJSONResponse:
    """Store labels for a prediction (``request_id``) or for rows sent along (``records``).

    Every label is screened with the trusted (known-good) version first; ``flagged`` rows and
    all rows of a quarantined ``source`` are kept for inspection but never used.
    """
    stored = await run_in_threadpool(
        lambda: accept_feedback(
            service.host,
            label=body.label,
            request_id=body.request_id,
            model=body.model,
            records=body.records,
            source=body.source,
        )
    )
    p = stored.prediction
    content = {
        "model_name": p.model,
        "model_version": str(p.version),
        "request_id": p.request_id,
        "rows": len(stored.labels),
        "flagged": int((~stored.usable()).sum()),
        "quarantined": stored.quarantined,
        "trusted_version": stored.trusted_version,
    }
    return SafeJSONResponse(
        content, headers={"X-Model-Name": p.model, "X-Model-Version": str(p.version)}
    )
