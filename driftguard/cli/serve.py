"""``driftguard serve``: start the HTTP service with uvicorn.

Settings come from ``DRIFTGUARD_*`` environment variables (see ``driftguard_service.settings``); the
flags here set where to listen and which registry to serve. A bad setting prints one line
naming the variable. The admin token is resolved once here (generated, stored 0600 and
printed on first start) and handed to every worker, so all workers accept the same token.

SIGTERM (what ``docker stop`` and Kubernetes send) stops the service gracefully: in-flight
requests finish, the background threads stop, and the exit status is 0.

This is the one place the library's command line reaches into ``services/`` (the import is
listed as an exception in the import-linter contract).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from types import FrameType
from typing import Any

from driftguard.cli.registry_args import add_registry_arg, registry_root
from driftguard.errors import ConfigurationError

__all__ = ["add_serve_parser", "worker_app"]


def add_serve_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``serve`` sub-command."""
    p = sub.add_parser(
        "serve",
        help="serve the registry's ACTIVE models over HTTP (FastAPI + uvicorn)",
        description="Serve every ACTIVE model of the registry with monitoring and hot swap. "
        "Other settings: DRIFTGUARD_* environment variables (README, 'Serving').",
    )
    add_registry_arg(p)
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="TCP port (default 8000)")
    p.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--access-log", action="store_true", help="log every request (slower)")
    p.set_defaults(handler=_run_serve)


def _settings(registry: str) -> Any:
    from driftguard_service.settings import Settings
    from pydantic import ValidationError

    os.environ["DRIFTGUARD_REGISTRY"] = registry
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]).upper()
        raise ConfigurationError(f"DRIFTGUARD_{field}: {first['msg']}") from None


def worker_app() -> Any:
    """The app of one worker of ``--workers N`` (uvicorn calls this factory in each worker).

    The worker loads its models before it accepts a connection. Workers share one listening
    socket, so a worker still loading would otherwise take requests (and answer 503) after
    another worker already reported ready: at start, and whenever uvicorn replaces a worker
    that died. A model that fails to load is reported as with one worker (503 naming it).
    """
    from driftguard_service.app import create_app

    app = create_app()
    app.state.background.host.refresh()
    return app


class _Terminated(BaseException):
    """SIGTERM arrived outside uvicorn's own handling (or was re-raised by it after shutdown)."""


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise _Terminated


def _run_serve(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise ConfigurationError(f"--port must be in 0..65535, got {args.port}")
    if args.workers < 1:
        raise ConfigurationError(f"--workers must be at least 1, got {args.workers}")
    import uvicorn
    from driftguard_service.app import create_app
    from driftguard_service.token import resolve_admin_token, token_path

    root = registry_root(args)
    settings = _settings(str(root))
    configured = settings.admin_token.get_secret_value() if settings.admin_token else None
    token, created = resolve_admin_token(configured, root)
    if created:
        print(
            f"driftguard: generated admin token (stored in {token_path(root)}, mode 0600): {token}",
            file=sys.stderr,
        )
    os.environ["DRIFTGUARD_ADMIN_TOKEN"] = token
    print(
        f"driftguard: serving {root} at http://{args.host}:{args.port} "
        f"({args.workers} worker{'s' if args.workers > 1 else ''}); Ctrl-C stops",
        file=sys.stderr,
    )
    print(
        f"driftguard: dashboard at http://{args.host}:{args.port}/dashboard "
        "(it asks for the admin token, or append #token=<token> to the address)",
        file=sys.stderr,
    )
    options: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "access_log": args.access_log,
        "log_level": "info" if args.access_log else "warning",
    }
    # uvicorn shuts down gracefully on SIGTERM, then re-raises the signal with the handler it
    # found; with the default handler the process would die by the signal (status -15). This
    # handler turns it (and a SIGTERM before uvicorn starts) into a clean exit with status 0.
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if main_thread else None
    try:
        if args.workers == 1:
            uvicorn.run(create_app(_settings(str(root))), **options)
        else:
            uvicorn.run(
                "driftguard.cli.serve:worker_app", factory=True, workers=args.workers, **options
            )
    except _Terminated:
        print("driftguard: stopped (SIGTERM)", file=sys.stderr)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return 0
