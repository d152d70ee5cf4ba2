"""The app factory: ``create_app(settings)`` builds one self-contained service.

Each app has its own model host, background threads and Prometheus registry (never the
global one), so several apps can live in one process (tests do this).

Examples
--------
>>> import tempfile
>>> app = create_app(Settings(registry=tempfile.mkdtemp(), admin_token="x" * 16))
>>> sorted(p for p in app.openapi()["paths"] if p.startswith("/v2/health"))
['/v2/health/live', '/v2/health/ready']
"""

from __future__ import annotations

import dataclasses
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from driftguard.guard import (
    AlertReceiver,
    DefenseSignals,
    Guard,
    LabelSignals,
    SequentialSignals,
    Timeline,
    WebhookSender,
)
from driftguard.metrics.defense import DefenseCollector
from driftguard.metrics.guard import GuardCollector
from driftguard.metrics.prometheus import ServiceMetrics, StateCollector
from driftguard.policy import Policy, default_policy, format_duration, load_policy
from driftguard.registry import Registry
from driftguard.serving import (
    Background,
    ClientGuard,
    Defender,
    LoadedModel,
    ModelHost,
    ModelOptions,
    RequestPath,
)
from driftguard_service.deps import Service
from driftguard_service.errors import install_handlers
from driftguard_service.middleware import ServiceMiddleware
from driftguard_service.responses import SafeJSONResponse
from driftguard_service.routers import (
    alerts,
    dashboard,
    defenses,
    feedback,
    health,
    inference,
    management,
    metrics,
    window,
)
from driftguard_service.settings import Settings
from driftguard_service.token import resolve_admin_token, token_path

__all__ = ["ROUTERS", "create_app"]

#: Every router of the service, in the order they are included.
ROUTERS = (health, inference, feedback, management, window, defenses, alerts, dashboard, metrics)

log = logging.getLogger("driftguard.serving")


def _host(settings: Settings, defender: Defender) -> ModelHost:
    options = ModelOptions(
        nonfinite=settings.nonfinite,
        monitoring=settings.monitoring,
        window_size=settings.window_size,
        queue_rows=settings.queue_rows,
        shadow_rows=settings.shadow_rows,
        shadow_max_disagreement=settings.shadow_max_disagreement,
    )
    return ModelHost(
        Registry(settings.registry),
        options,
        names=settings.model_names,
        prediction_rows=settings.prediction_log_rows,
        feedback_rows=settings.feedback_rows,
        defender=defender,
    )


def _guard(settings: Settings, host: ModelHost, policy: Policy, timeline: Timeline) -> Guard:
    webhook = WebhookSender(settings.webhook_url) if settings.webhook_url else None
    sequential = (
        (SequentialSignals(settings.sequential_arl, note=timeline.note),)
        if settings.sequential_arl
        else ()
    )
    return Guard(
        host,
        policy,
        rollback=settings.rollback_controller == "guard",
        webhook=webhook,
        sources=(LabelSignals(host), DefenseSignals(host), *sequential),
        timeline=timeline,
    )


def _scoring(host: ModelHost, metrics: ServiceMetrics) -> RequestPath:
    def timed(model: LoadedModel, seconds: float) -> None:
        metrics.inference(model.name, str(model.version), seconds)

    return RequestPath(host, on_predict=timed)


def _announce_run_lengths(policy: Policy) -> None:
    """One stderr line per rollback rule: how often it would roll back a good model."""
    traffic = policy.traffic
    for rule in policy.rules:
        if rule.action != "rollback":
            continue
        run = policy.run_length(rule)
        every = format_duration(run.seconds(traffic.windows_per_s))
        print(
            f"driftguard: policy {policy.source}: rule {rule.name!r} rolls back a good model "
            f"every {every} on average ({run.windows:.3g} windows) at {traffic.rows_per_s:g} "
            f"rows/s in {traffic.window_rows}-row windows",
            file=sys.stderr,
        )


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the service; models load in the background once it starts (see readiness)."""
    settings = settings if settings is not None else Settings()
    configured = settings.admin_token.get_secret_value() if settings.admin_token else None
    token, created = resolve_admin_token(configured, settings.registry)
    if created:
        print(
            f"driftguard: generated admin token (stored in {token_path(settings.registry)}, "
            f"mode 0600): {token}",
            file=sys.stderr,
        )
    policy = load_policy(settings.policy) if settings.policy else default_policy()
    _announce_run_lengths(policy)
    timeline = Timeline()  # first: the defender and the guard's sources report to it
    host = _host(settings, Defender(ClientGuard(policy.clients), on_event=timeline.note))
    guard = _guard(settings, host, policy, timeline)
    registry = CollectorRegistry()
    metrics = ServiceMetrics(registry)
    receiver = AlertReceiver(host, guard, controller=settings.rollback_controller)
    service = Service(
        host, metrics, settings, token, guard, receiver, scoring=_scoring(host, metrics)
    )
    registry.register(StateCollector(host.model_states, host.host_state))
    registry.register(
        GuardCollector(lambda: dataclasses.replace(guard.metric_state(), alerts=receiver.counts()))
    )
    registry.register(
        DefenseCollector(lambda: host.defender.metrics([*host.loaded(), *host.pinned_models()]))
    )
    loops = Background(
        host,
        watch_interval=settings.watch_interval_s,
        drain_interval=settings.drain_interval_s,
        look_interval=settings.look_interval_s,
        hooks=(guard.step,),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loops.start()
        try:
            yield
        finally:
            loops.stop()
            if guard.webhook is not None:
                guard.webhook.close()

    app = FastAPI(
        title="driftguard",
        summary="Serve models with calibrated monitoring, hot swap and rollback.",
        default_response_class=SafeJSONResponse,
        lifespan=lifespan,
    )
    app.state.service = service
    app.state.background = loops
    install_handlers(app)
    for module in ROUTERS:
        app.include_router(module.router)
    app.add_middleware(
        ServiceMiddleware, metrics=service.metrics, max_body_bytes=settings.max_body_bytes
    )
    return app
