"""What the service does to a client whose queries look like probing of the model.

The ``clients:`` block of a policy file:

.. code-block:: yaml

    clients:
      on_probing: rate_limit    # alert | rate_limit | block
      rate_per_minute: 30       # allowed requests of a rate-limited client
      hold_s: 3600              # how long the limit or block lasts (0: until released)

Every flag is counted, exported and put on the timeline whatever the action; ``alert`` does
only that, ``rate_limit`` answers a flagged client's requests beyond ``rate_per_minute`` with
429, ``block`` answers all of them with 403, for ``hold_s`` seconds.

Examples
--------
>>> ClientPolicy().on_probing
'alert'
>>> ClientPolicy(on_probing="ban")
Traceback (most recent call last):
...
driftguard.errors.ConfigurationError: on_probing must be one of alert, rate_limit, block; got 'ban'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from driftguard.errors import ConfigurationError
from driftguard.policy.fields import check_cooldown, check_int

__all__ = ["CLIENT_ACTIONS", "CLIENT_FIELDS", "ClientPolicy"]

CLIENT_ACTIONS = ("alert", "rate_limit", "block")
"""What may happen to a client flagged for probing, mildest first."""


def _action(value: Any) -> str:
    if value not in CLIENT_ACTIONS:
        allowed = ", ".join(CLIENT_ACTIONS)
        raise ConfigurationError(f"on_probing must be one of {allowed}; got {value!r}")
    return str(value)


def _hold(value: Any) -> float:
    try:
        return check_cooldown(value)
    except ConfigurationError as exc:
        raise ConfigurationError(str(exc).replace("cooldown_s", "hold_s")) from None


CLIENT_FIELDS: dict[str, Callable[[Any], Any]] = {
    "on_probing": _action,
    "rate_per_minute": lambda v: check_int(v, "rate_per_minute", 1, 1_000_000),
    "hold_s": _hold,
}
"""Checker of each key of the ``clients:`` block."""


@dataclass(frozen=True)
class ClientPolicy:
    """The response to probing clients.

    Parameters
    ----------
    on_probing : {"alert", "rate_limit", "block"}
        Action on a client flagged by the probing detector.
    rate_per_minute : int
        Requests per minute a rate-limited client may still make.
    hold_s : float
        Seconds a limit or block lasts (0: until released by an operator).

    Examples
    --------
    >>> ClientPolicy(on_probing="block", hold_s=60).hold_s
    60.0
    """

    on_probing: str = "alert"
    rate_per_minute: int = 30
    hold_s: float = 3600.0

    def __post_init__(self) -> None:
        for key, check in CLIENT_FIELDS.items():
            object.__setattr__(self, key, check(getattr(self, key)))
