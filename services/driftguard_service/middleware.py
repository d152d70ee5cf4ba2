"""One pure-ASGI middleware: the request-size limit and the request metrics.

Bodies larger than ``max_body_bytes`` get 413 before the app reads them (by
``Content-Length``) or as soon as the streamed body passes the limit. Every request is counted
by route template (never the raw path, so label sets stay bounded) and status class; the
model labels come from the ``X-Model-Name`` / ``X-Model-Version`` headers a model route sets.

Examples
--------
>>> from prometheus_client import CollectorRegistry
>>> from driftguard.metrics.prometheus import ServiceMetrics
>>> async def app(scope, receive, send): ...
>>> ServiceMiddleware(app, ServiceMetrics(CollectorRegistry()), 1024).max_body_bytes
1024
"""

from __future__ import annotations

import json
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from driftguard.metrics.prometheus import ServiceMetrics
from driftguard_service.errors import PayloadTooLarge, error_body

__all__ = ["ServiceMiddleware"]


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str:
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return ""


class ServiceMiddleware:
    """Limit request bodies and record ``driftguard_http_*`` metrics."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics, max_body_bytes: int) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection scope."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        result: dict[str, Any] = {"status": 500, "name": "", "version": "", "started": False}
        try:
            declared = int(_header(scope["headers"], b"content-length") or 0)
        except ValueError:
            declared = 0
        try:
            if declared > self.max_body_bytes:
                raise PayloadTooLarge(self.max_body_bytes)
            await self.app(scope, self._limited(receive), self._recording(send, result))
        except PayloadTooLarge:
            if not result["started"]:
                await self._too_large(send)
                result["status"] = 413
        finally:
            route = scope.get("route")
            endpoint = getattr(route, "path", "<unmatched>")
            self.metrics.request(
                endpoint,
                result["status"],
                result["name"],
                result["version"],
                time.perf_counter() - start,
            )

    def _limited(self, receive: Receive) -> Receive:
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body_bytes:
                    raise PayloadTooLarge(self.max_body_bytes)
            return message

        return limited

    @staticmethod
    def _recording(send: Send, result: dict[str, Any]) -> Send:
        async def recording(message: Message) -> None:
            if message["type"] == "http.response.start":
                result["started"] = True
                result["status"] = message["status"]
                headers = message.get("headers", [])
                result["version"] = _header(headers, b"x-model-version")
                if result["version"]:
                    result["name"] = _header(headers, b"x-model-name")
            await send(message)

        return recording

    async def _too_large(self, send: Send) -> None:
        message = str(PayloadTooLarge(self.max_body_bytes).detail)
        body = json.dumps(error_body(message, "PayloadTooLarge")).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
