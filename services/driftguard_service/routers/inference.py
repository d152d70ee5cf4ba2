"""Inference: Open Inference Protocol v2 routes and the plain ``POST /predict/{name}``.

A request picks up the loaded model once, then validates, predicts and is monitored by that
version only; the response names it (body and ``X-Model-Version``) with a request id for
feedback. Everything between parsing the body and shaping the response is one library call,
:meth:`~driftguard.serving.RequestPath.score` (admit the client, validate, predict, record,
defend); small requests run it on the event loop, larger ones in the thread pool.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from starlette.concurrency import run_in_threadpool

from driftguard.serving import LoadedModel, Scored
from driftguard.serving.request_path import Parse
from driftguard_service import v2
from driftguard_service.deps import ClientDep, Service, ServiceDep
from driftguard_service.responses import SafeJSONResponse
from driftguard_service.schemas import (
    MAX_VERSION,
    InferenceRequest,
    InferenceResponse,
    ModelMetadata,
    PredictRequest,
    PredictResponse,
)

__all__ = ["router"]

router = APIRouter(tags=["inference"])

NamePath = Annotated[str, Path(max_length=200)]
VersionPath = Annotated[int, Path(ge=1, le=MAX_VERSION)]
ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "The client is blocked (flagged for probing the model)"},
    404: {"description": "Unknown model or version"},
    413: {"description": "Body over the size limit"},
    422: {"description": "The input does not fit the model's schema; the message names the field"},
    429: {"description": "The client is rate-limited (flagged for probing the model)"},
    503: {"description": "Model not loaded yet"},
}


def _headers(model: LoadedModel, request_id: str) -> dict[str, str]:
    return {
        "X-Model-Name": model.name,
        "X-Model-Version": str(model.version),
        "X-Request-Id": request_id,
    }


async def _score(
    service: Service, model: LoadedModel, parse: Parse, rows: int, client: str
) -> Scored:
    """The request path in one library call: inline when small, else in the thread pool."""
    if rows <= service.settings.inline_rows:
        return service.scoring.score(model, parse, client)
    return await run_in_threadpool(service.scoring.score, model, parse, client)


def _rows_hint(request: InferenceRequest) -> int:
    shape = request.inputs[0].shape if request.inputs else []
    return shape[0] if shape else 0


async def _infer(
    service: Service, model: LoadedModel, body: InferenceRequest, client: str
) -> SafeJSONResponse:
    scored = await _score(
        service, model, lambda validator: v2.decode(body, validator), _rows_hint(body), client
    )
    request_id = scored.request_id
    outputs = v2.encode_outputs(body, model.labels, scored.proba)
    content = {
        "model_name": model.name,
        "model_version": str(model.version),
        "id": body.id or request_id,
        "parameters": {"request_id": request_id, "labels": list(model.labels)},
        "outputs": outputs,
    }
    return SafeJSONResponse(content, headers=_headers(model, request_id))


@router.post("/v2/models/{name}/infer", response_model=InferenceResponse, responses=ERRORS)
async def infer(
    name: NamePath, body: InferenceRequest, service: ServiceDep, client: ClientDep
) -> SafeJSONResponse:
    """Predict with the ACTIVE version."""
    return await _infer(service, service.host.get(name), body, client)


@router.post(
    "/v2/models/{name}/versions/{version}/infer",
    response_model=InferenceResponse,
    responses=ERRORS,
)
async def infer_version(
    name: NamePath,
    version: VersionPath,
    body: InferenceRequest,
    service: ServiceDep,
    client: ClientDep,
) -> SafeJSONResponse:
    """Predict with a given version (loaded on first use, then kept warm)."""
    model = await run_in_threadpool(service.host.get_version, name, version)
    return await _infer(service, model, body, client)


@router.post("/predict/{name}", response_model=PredictResponse, responses=ERRORS)
async def predict(
    name: NamePath, body: PredictRequest, service: ServiceDep, client: ClientDep
) -> SafeJSONResponse:
    """Predict rows given as ``{"records": [{feature: value, ...}, ...]}``."""
    model = service.host.get(name)
    records = body.records
    scored = await _score(
        service, model, lambda validator: validator.records(records), len(records), client
    )
    content = {
        "model_name": model.name,
        "model_version": str(model.version),
        "request_id": scored.request_id,
        "labels": list(model.labels),
        "predictions": scored.predictions(),
        "probabilities": scored.proba.tolist(),
    }
    return SafeJSONResponse(content, headers=_headers(model, scored.request_id))


@router.get("/v2/models/{name}", response_model=ModelMetadata, responses=ERRORS)
async def metadata(name: NamePath, service: ServiceDep) -> SafeJSONResponse:
    """Inputs, outputs, versions and the ACTIVE version of a model."""
    model = service.host.get(name)
    versions = await run_in_threadpool(service.host.registry.versions, name)
    content = {
        "name": model.name,
        "versions": [str(v.version) for v in versions],
        "platform": f"driftguard-{model.predictor.framework}",
        "inputs": v2.input_metadata(model.validator),
        "outputs": [
            {"name": "predict", "datatype": "BYTES", "shape": [-1]},
            {"name": "predict_proba", "datatype": "FP64", "shape": [-1, len(model.labels)]},
        ],
        "active_version": str(model.version),
        "generation": model.generation,
        "labels": list(model.labels),
        "input_schema": model.schema.to_dict(),
    }
    return SafeJSONResponse(
        content, headers={"X-Model-Name": name, "X-Model-Version": str(model.version)}
    )
