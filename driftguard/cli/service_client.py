"""Talk to a running ``driftguard serve`` from the command line (standard library only).

``driftguard status`` and ``driftguard report`` share two things: which admin token to send
(``--token``, else ``$DRIFTGUARD_ADMIN_TOKEN``, else the token the service stored next to the
registry) and a GET of a management route that turns HTTP and network failures into one-line
errors (404 is :class:`~driftguard.errors.VersionNotFoundError`, anything else and an
unreachable service :class:`~driftguard.errors.DriftguardError`).

Examples
--------
>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp()) / "registry"
>>> admin_token("a-token-given-on-the-command-line", root)
'a-token-given-on-the-command-line'
>>> _ = (root.parent / "registry.admin-token").write_text("stored-token ")
>>> admin_token(None, root, environ={})
'stored-token'
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from driftguard.errors import ConfigurationError, DriftguardError, VersionNotFoundError

__all__ = ["admin_token", "get_json", "model_path"]

TOKEN_VARIABLE = "DRIFTGUARD_ADMIN_TOKEN"


def admin_token(given: str | None, registry: Path, environ: Mapping[str, str] | None = None) -> str:
    """The admin token: ``given``, else the environment, else the one stored by the service.

    Parameters
    ----------
    given : str or None
        The ``--token`` flag.
    registry : Path
        The registry folder; the service stores its generated token in
        ``<registry>.admin-token`` next to it.
    environ : mapping, optional
        Environment to read ``DRIFTGUARD_ADMIN_TOKEN`` from (default: ``os.environ``).

    Raises
    ------
    ConfigurationError
        None of the three is there.
    """
    if given:
        return given
    env = os.environ if environ is None else environ
    if env.get(TOKEN_VARIABLE):
        return env[TOKEN_VARIABLE]
    stored = registry.parent / f"{registry.name}.admin-token"
    if stored.exists():
        return stored.read_text(encoding="utf-8").strip()
    raise ConfigurationError(
        f"no admin token: pass --token, set {TOKEN_VARIABLE}, or point --registry at the "
        "registry the service generated its token for"
    )


def model_path(name: str, route: str) -> str:
    """The path of a per-model management route, the name quoted.

    Examples
    --------
    >>> model_path("churn v2", "signals")
    '/models/churn%20v2/signals'
    """
    return f"/models/{urllib.parse.quote(name, safe='')}/{route}"


def get_json(
    url: str, path: str, token: str, timeout: float, query: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """GET ``url`` + ``path`` with the bearer token and return the JSON object it answers.

    Raises
    ------
    VersionNotFoundError
        The service answered 404 (unknown model).
    DriftguardError
        Any other HTTP error (with the service's message), an answer that is not JSON, or a
        service that cannot be reached.
    """
    target = f"{url.rstrip('/')}{path}"
    if query:
        target += "?" + urllib.parse.urlencode(query)
    request = urllib.request.Request(target, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read()).get("error", exc.reason)
        except (ValueError, AttributeError):
            message = exc.reason
        kind = VersionNotFoundError if exc.code == 404 else DriftguardError
        raise kind(f"{url}: {exc.code} {message}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        raise DriftguardError(
            f"{url}: cannot reach the service ({reason}); is `driftguard serve` running there?"
        ) from None
    try:
        data = json.loads(body)
    except ValueError:
        raise DriftguardError(f"{url}: the answer to {path} is not JSON") from None
    if not isinstance(data, dict):
        raise DriftguardError(f"{url}: the answer to {path} is not a JSON object")
    return data
