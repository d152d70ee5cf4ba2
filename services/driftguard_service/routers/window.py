"""``GET /models/{name}/window``: the most recent input rows the ACTIVE version served.

The rows come from the prediction log (answered, not yet labelled) and the feedback store
(labelled since) of the ACTIVE version, merged by the time they were predicted; the newest
``rows`` are kept and returned oldest first, as columns (``{feature: [values]}``). Missing and
non-finite numbers and missing labels are ``null``. ``driftguard report`` reads it to compare the
recent traffic with the checkpoint's reference sample. Behind the admin token: the rows are
the clients' data.

Examples
--------
>>> WindowResponse(model="m", version=1, generation=1, n_rows=1, columns={"x": [None]}).n_rows
1
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from driftguard.serving import ModelHost
from driftguard.serving.feedback import LoggedPrediction
from driftguard_service.deps import AdminDep, ServiceDep

__all__ = ["DEFAULT_ROWS", "MAX_ROWS", "WindowResponse", "recent_columns", "router"]

router = APIRouter(prefix="/models", tags=["management"])

DEFAULT_ROWS = 2_000
MAX_ROWS = 100_000

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing or wrong bearer token"},
    404: {"description": "Unknown model"},
    422: {"description": f"rows is not between 1 and {MAX_ROWS}"},
}


class WindowResponse(BaseModel):
    """Recent input rows of the ACTIVE version, as columns in schema order.

    Examples
    --------
    >>> WindowResponse(model="m", version=2, generation=3, n_rows=0, columns={}).version
    2
    """

    model: str = Field(description="model name")
    version: int = Field(description="the ACTIVE version the rows were served by")
    generation: int = Field(description="generation of the ACTIVE pointer")
    n_rows: int = Field(description="rows returned")
    columns: dict[str, list[float | str | None]] = Field(
        description="feature -> values, oldest first; null for missing or non-finite values"
    )


def _plain(column: np.ndarray[Any, Any]) -> list[float | str | None]:
    if column.dtype.kind == "f":
        return [v if math.isfinite(v) else None for v in column.tolist()]
    return [str(v) if v != "" else None for v in column.tolist()]


def recent_columns(
    host: ModelHost, name: str, version: int, features: Sequence[str], rows: int
) -> dict[str, list[float | str | None]]:
    """The newest ``rows`` rows that ``version`` of ``name`` served, oldest first.

    Rows still in the prediction log and rows labelled since (feedback store) are merged by
    prediction time; a request larger than what is left contributes its last rows.

    Examples
    --------
    >>> import tempfile
    >>> from driftguard.registry import Registry
    >>> host = ModelHost(Registry(tempfile.mkdtemp()))
    >>> host.predictions.add(LoggedPrediction(
    ...     "r1", "m", 1, 0.0, {"x": np.array([1.0, np.nan])}, np.zeros((2, 2))))
    >>> recent_columns(host, "m", 1, ["x"], 10), recent_columns(host, "m", 1, ["x"], 1)
    ({'x': [1.0, None]}, {'x': [None]})
    """
    items: list[LoggedPrediction] = host.predictions.recent(name, version, rows)
    items += [f.prediction for f in host.feedback.recent(name, version)]
    items.sort(key=lambda p: p.time, reverse=True)
    parts: list[tuple[LoggedPrediction, int]] = []
    left = rows
    for item in items:
        if left <= 0:
            break
        take = min(item.n_rows, left)
        parts.append((item, take))
        left -= take
    parts.reverse()
    if not parts:
        return {feature: [] for feature in features}
    return {
        feature: _plain(np.concatenate([p.columns[feature][p.n_rows - k :] for p, k in parts]))
        for feature in features
    }


@router.get("/{name}/window", response_model=WindowResponse, responses=ERRORS)
async def window(
    name: Annotated[str, Path(max_length=200)],
    service: ServiceDep,
    _: AdminDep,
    rows: Annotated[
        int, Query(ge=1, le=MAX_ROWS, description="most recent rows to return")
    ] = DEFAULT_ROWS,
) -> dict[str, Any]:
    """The most recent input rows of the ACTIVE version (prediction log and feedback)."""
    model = service.host.get(name)
    columns = await run_in_threadpool(
        recent_columns, service.host, model.name, model.version, model.schema.names, rows
    )
    return {
        "model": model.name,
        "version": model.version,
        "generation": model.generation,
        "n_rows": len(next(iter(columns.values()))) if columns else 0,
        "columns": columns,
    }
