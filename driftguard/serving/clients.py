"""Carry out the policy's response to clients flagged for probing: alert, rate-limit, block.

The probing detector of each served version flags a client; :class:`ClientGuard` remembers
the flag for the whole service (a hot swap does not forgive a client) and, on every later
request, admits it or refuses it as the policy's ``clients:`` block says. Memory is bounded:
at most ``max_clients`` flagged clients are kept (the oldest flag is forgotten first and
counted).

Examples
--------
>>> from driftguard.policy import ClientPolicy
>>> guard = ClientGuard(ClientPolicy(on_probing="block", hold_s=60), clock=lambda: 0.0)
>>> guard.admit("addr:10.0.0.1")
>>> guard.flag("addr:10.0.0.1", "digits", 1, "12 near-duplicate queries")
True
>>> try:
...     guard.admit("addr:10.0.0.1")
... except ClientBlockedError as exc:
...     print(exc.retry_after, str(exc)[:40])
60.0 client addr:10.0.0.1 is blocked: flagged
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from driftguard.errors import ClientBlockedError, RateLimitedError
from driftguard.policy import ClientPolicy

__all__ = ["ClientGuard", "ClientsState", "FlaggedClient"]


@dataclass
class FlaggedClient:
    """One flagged client: why, since when, and its recent request times (rate limit)."""

    client: str
    model: str
    version: int
    reason: str
    since: float
    recent: deque[float] = field(default_factory=deque)


@dataclass(frozen=True)
class ClientsState:
    """A snapshot for metrics and the status route.

    Examples
    --------
    >>> ClientsState(action="alert", flagged=("a",), flags_total=1, refused={}).flagged
    ('a',)
    """

    action: str
    flagged: tuple[str, ...]
    flags_total: int
    refused: dict[str, int]
    forgotten: int = 0


class ClientGuard:
    """Admit or refuse the requests of clients flagged for probing.

    Parameters
    ----------
    policy : ClientPolicy
        What to do to a flagged client, and for how long.
    max_clients : int, default 10000
        Flagged clients remembered (the oldest flag is forgotten first).
    clock : callable
        Monotonic seconds (a seam for tests).

    Examples
    --------
    >>> ClientGuard(ClientPolicy()).state().action
    'alert'
    """

    def __init__(
        self,
        policy: ClientPolicy,
        max_clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy
        self.max_clients = max_clients
        self.clock = clock
        self._flagged: OrderedDict[str, FlaggedClient] = OrderedDict()
        self._lock = threading.Lock()
        self.flags_total_ = 0
        self.forgotten_ = 0
        self.refused_: dict[str, int] = {"rate_limit": 0, "block": 0}

    def flag(self, client: str, model: str, version: int, reason: str) -> bool:
        """Remember that ``client`` probed ``model``; ``True`` if it was not flagged yet."""
        with self._lock:
            if client in self._flagged:
                return False
            self._flagged[client] = FlaggedClient(client, model, version, reason, self.clock())
            self.flags_total_ += 1
            while len(self._flagged) > self.max_clients:
                self._flagged.popitem(last=False)
                self.forgotten_ += 1
            return True

    def release(self, client: str) -> bool:
        """Forget a client's flag (an operator's decision); ``True`` if it was flagged."""
        with self._lock:
            return self._flagged.pop(client, None) is not None

    def flagged(self, client: str) -> bool:
        """Whether ``client`` is currently flagged."""
        return client in self._flagged

    def flagged_for(self, model: str) -> int:
        """Clients currently flagged for probing ``model``."""
        with self._lock:
            return sum(1 for f in self._flagged.values() if f.model == model)

    def admit(self, client: str) -> None:
        """Return if ``client`` may be served now, else raise the policy's refusal."""
        if not self._flagged or self.policy.on_probing == "alert":
            return
        with self._lock:
            found = self._flagged.get(client)
            if found is None:
                return
            now = self.clock()
            hold = self.policy.hold_s
            if hold > 0 and now - found.since >= hold:
                del self._flagged[client]
                return
            left = None if hold == 0 else hold - (now - found.since)
            why = f"flagged for probing {found.model} v{found.version} ({found.reason})"
            if self.policy.on_probing == "block":
                self.refused_["block"] += 1
                raise ClientBlockedError(f"client {client} is blocked: {why}", left)
            self._rate_limit(found, now, why)

    def _rate_limit(self, found: FlaggedClient, now: float, why: str) -> None:
        while found.recent and now - found.recent[0] >= 60.0:
            found.recent.popleft()
        if len(found.recent) >= self.policy.rate_per_minute:
            self.refused_["rate_limit"] += 1
            wait = 60.0 - (now - found.recent[0])
            raise RateLimitedError(
                f"client {found.client} is limited to {self.policy.rate_per_minute} requests "
                f"per minute: {why}",
                wait,
            )
        found.recent.append(now)

    def state(self) -> ClientsState:
        """Flagged clients and refusal counts."""
        with self._lock:
            return ClientsState(
                self.policy.on_probing,
                tuple(self._flagged),
                self.flags_total_,
                dict(self.refused_),
                self.forgotten_,
            )
