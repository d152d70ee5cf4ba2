"""Dependencies of the routes, as ``Annotated`` aliases.

``ServiceDep`` is the app's :class:`Service` (model host, metrics, settings); ``ClientDep``
names the caller for per-client probing defences (token digest, else address); ``AdminDep``
guards the management routes: a bearer token compared in constant time
(:func:`hmac.compare_digest`), 401 without one.

Examples
--------
>>> AdminDep.__metadata__[0].dependency.__name__
'require_admin'
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from driftguard.guard import AlertReceiver, Guard
from driftguard.metrics.prometheus import ServiceMetrics
from driftguard.serving import ModelHost, RequestPath
from driftguard_service.errors import UnauthorizedError
from driftguard_service.settings import Settings

__all__ = ["AdminDep", "ClientDep", "Service", "ServiceDep", "client_id"]

_bearer = HTTPBearer(auto_error=False, description="DRIFTGUARD_ADMIN_TOKEN")


@dataclass(frozen=True, eq=False)
class Service:
    """What every route needs: the host, metrics, settings, guard and alert receiver.

    ``scoring`` is the request path of the prediction routes (admit, validate, predict,
    record, defend), built over ``host`` with the inference-latency metric wired in.
    """

    host: ModelHost
    metrics: ServiceMetrics
    settings: Settings
    admin_token: str
    guard: Guard
    alerts: AlertReceiver
    scoring: RequestPath


def get_service(request: Request) -> Service:
    """The app's :class:`Service` (set by ``create_app``)."""
    service: Service = request.app.state.service
    return service


def require_admin(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """Return the caller's actor name, or raise :class:`UnauthorizedError`."""
    expected = get_service(request).admin_token
    given = credentials.credentials if credentials is not None else ""
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise UnauthorizedError("a valid bearer token (DRIFTGUARD_ADMIN_TOKEN) is required")
    client = request.client.host if request.client is not None else "unknown"
    return f"api:{client}"


def client_id(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """Who is asking: a digest of the bearer token when one is sent, else the address.

    The token itself is never kept (only the first 16 hex digits of its SHA-256).
    """
    if credentials is not None and credentials.credentials:
        digest = hashlib.sha256(credentials.credentials.encode()).hexdigest()[:16]
        return f"token:{digest}"
    return f"addr:{request.client.host}" if request.client is not None else "addr:unknown"


ServiceDep = Annotated[Service, Depends(get_service)]
ClientDep = Annotated[str, Depends(client_id)]
AdminDep = Annotated[str, Depends(require_admin)]
