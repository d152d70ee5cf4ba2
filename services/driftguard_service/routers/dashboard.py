"""The built-in dashboard: an HTML page, its assets and two token-protected data routes.

``GET /dashboard`` and its assets (``charts.js``, ``sections.js``, ``dashboard.js``,
``dashboard.css``, ``favicon.svg``) hold no data and need no token; they ship inside the
``services`` package (no CDN, no web fonts), so the page works with no internet. Each is sent
with a strict Content-Security-Policy (``default-src 'self'``, no inline script or style). The
page reads the admin token from the URL fragment (``/dashboard#token=...``, never sent to the
server), else from the tab's session storage, else asks for it, and polls the data routes:

- ``GET /dashboard/api/models``: the served models and their ACTIVE versions;
- ``GET /dashboard/api/models/{name}``: one bounded snapshot
  (:func:`driftguard.guard.snapshot.snapshot`) and where every rule stands
  (:func:`~driftguard_service.schemas_rules.rule_fields`).

Examples
--------
>>> sorted(r.path for r in router.routes)[:3]
['/dashboard', '/dashboard/api/models', '/dashboard/api/models/{name}']
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from starlette.concurrency import run_in_threadpool

from driftguard.guard.snapshot import model_list, snapshot
from driftguard_service.dashboard_data import DashboardSnapshot, ModelEntry
from driftguard_service.deps import AdminDep, ServiceDep
from driftguard_service.schemas_rules import rule_fields

__all__ = ["ASSETS", "CSP", "router"]

router = APIRouter(tags=["dashboard"])

#: The page may load only its own scripts, styles, images and data.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; font-src 'none'; object-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
#: Files served under ``/dashboard/``, with their media types.
ASSETS = {
    "index.html": "text/html; charset=utf-8",
    "charts.js": "text/javascript; charset=utf-8",
    "sections.js": "text/javascript; charset=utf-8",
    "dashboard.js": "text/javascript; charset=utf-8",
    "dashboard.css": "text/css; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
DATA_HEADERS = {"Cache-Control": "no-store"}

NamePath = Annotated[str, Path(max_length=200)]
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing or wrong bearer token"},
    404: {"description": "Unknown model"},
}


@functools.cache
def _asset(name: str) -> bytes:
    """The bytes of a packaged asset (read once)."""
    return resources.files("driftguard_service").joinpath("static", "dashboard", name).read_bytes()


def _serve(name: str) -> Response:
    return Response(_asset(name), media_type=ASSETS[name], headers=PAGE_HEADERS)


@router.get("/dashboard", include_in_schema=False)
async def page() -> Response:
    """The dashboard's HTML shell (no data; the script fetches it with the token)."""
    return _serve("index.html")


def _asset_route(name: str) -> None:
    async def asset() -> Response:
        return _serve(name)

    asset.__name__ = f"dashboard_{name.replace('.', '_')}"
    router.add_api_route(f"/dashboard/{name}", asset, methods=["GET"], include_in_schema=False)


for _name in ASSETS:
    if _name != "index.html":
        _asset_route(_name)


@router.get("/dashboard/api/models", response_model=list[ModelEntry], responses=ERRORS)
async def models(service: ServiceDep, _: AdminDep, response: Response) -> list[dict[str, Any]]:
    """The models served here, with their ACTIVE and loaded versions."""
    response.headers.update(DATA_HEADERS)
    return await run_in_threadpool(model_list, service.host)


@router.get("/dashboard/api/models/{name}", response_model=DashboardSnapshot, responses=ERRORS)
async def model_snapshot(
    name: NamePath, service: ServiceDep, _: AdminDep, response: Response
) -> dict[str, Any]:
    """Everything the dashboard shows about one model (bounded; see the schema)."""
    response.headers.update(DATA_HEADERS)
    snap = await run_in_threadpool(snapshot, service.host, service.guard, name)
    return snap | await run_in_threadpool(rule_fields, service.guard, name)
