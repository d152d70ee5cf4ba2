"""One checker per policy key: each returns the value or raises ConfigurationError.

The dataclasses of :mod:`driftguard.policy.rules` run these checkers on construction, and the
YAML loader runs the same ones with the line of each value, so both report the same problem.

Examples
--------
>>> RULE_FIELDS["action"]("rollback")
'rollback'
>>> RULE_FIELDS["min_samples"](True)
Traceback (most recent call last):
...
driftguard.errors.ConfigurationError: min_samples must be an integer, got bool True
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from driftguard.errors import ConfigurationError
from driftguard.policy.run_length import Every, parse_every

__all__ = [
    "ACTIONS",
    "CLEAR_FIELDS",
    "CONFIRM_FIELDS",
    "KINDS",
    "MAX_WINDOWS",
    "MODES",
    "POLICY_FIELDS",
    "RULE_FIELDS",
    "SEVERITIES",
    "TRAFFIC_FIELDS",
    "TRIGGERS",
    "check_cooldown",
    "check_floor",
    "check_int",
    "check_rate",
    "check_version",
    "type_name",
]

MODES = ("observe", "warn", "rollback")
"""Global (and per-rule) modes, mildest first."""
ACTIONS = ("notify", "rollback")
SEVERITIES = ("info", "warning", "critical")
TRIGGERS = ("breach", "warn")
KINDS = ("drift", "calibration", "performance", "regression", "adversarial", "poisoning")
MAX_WINDOWS = 1000
"""Upper bound of ``confirm.m`` and ``clear.ok`` (bounds the state kept per rule)."""

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,63}")
_GLOB = re.compile(r"[A-Za-z0-9_:.*?\[\]!-]+")


def _str(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ConfigurationError(f"{what} must be a string, got {type_name(value)}")
    return value


def type_name(value: Any) -> str:
    """Name of ``value``'s type as a message shows it (``null`` for None)."""
    return "null" if value is None else type(value).__name__


def check_int(value: Any, what: str, low: int, high: int | None = None) -> int:
    """``value`` if it is an int (not a bool) in ``[low, high]``; ``what`` names it."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigurationError(f"{what} must be an integer, got {type_name(value)} {value!r}")
    if value < low or (high is not None and value > high):
        top = "" if high is None else f" and <= {high}"
        raise ConfigurationError(f"{what} must be >= {low}{top}, got {value}")
    return value


def _choice(options: tuple[str, ...], what: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if isinstance(value, bool):
            raise ConfigurationError(
                f"{what} must be one of {', '.join(options)}; got boolean {value} (YAML reads "
                "yes/no/on/off/true/false as booleans)"
            )
        if value not in options:
            raise ConfigurationError(f"{what} must be one of {', '.join(options)}; got {value!r}")
        return str(value)

    return check


def _name(value: Any) -> str:
    name = _str(value, "name")
    if not _NAME.fullmatch(name):
        raise ConfigurationError(
            f"name {name!r} must start with a letter and hold only letters, digits, '_', '.' "
            "or '-' (at most 64 characters)"
        )
    return name


def _glob(value: Any) -> str:
    pattern = _str(value, "signal")
    if not _GLOB.fullmatch(pattern):
        raise ConfigurationError(
            f"signal {pattern!r} must be a signal name or glob of letters, digits and _ : . - "
            "with * ? [...] wildcards"
        )
    depth = 0
    for ch in pattern:
        depth += (ch == "[") - (ch == "]")
        if depth not in (0, 1):
            raise ConfigurationError(f"signal glob {pattern!r} has unbalanced brackets")
    if depth:
        raise ConfigurationError(f"signal glob {pattern!r} has an unclosed '['")
    return pattern


def _kind(value: Any) -> str | None:
    return None if value is None else _choice(KINDS, "kind")(value)


def _mode_or_none(value: Any) -> str | None:
    return None if value is None else _choice(MODES, "mode")(value)


def _description(value: Any) -> str:
    return _str(value, "description").strip()


def check_cooldown(value: Any) -> float:
    """``value`` as a finite number of seconds >= 0."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise ConfigurationError(f"cooldown_s must be a number of seconds >= 0, got {value!r}")
    if value == float("inf"):
        raise ConfigurationError("cooldown_s must be finite")
    return float(value)


def check_rate(value: Any, what: str) -> float:
    """``value`` as a probability strictly between 0 and 1."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 < value < 1.0:
        raise ConfigurationError(f"{what} must be a probability in (0, 1), got {value!r}")
    return float(value)


def check_floor(value: Any) -> Every | None:
    """A ``false_rollback_floor``: a duration or number of windows, ``0`` for none."""
    if not isinstance(value, bool) and value in (0, "0", None):
        return None
    return parse_every(value, "false_rollback_floor")


TRAFFIC_FIELDS: dict[str, Callable[[Any], Any]] = {
    "rows_per_s": lambda v: v,  # checked together by Traffic
    "window_rows": lambda v: v,
}


def check_version(value: Any) -> int:
    """The format version, which must be 1."""
    if isinstance(value, bool) or value != 1:
        raise ConfigurationError(f"unsupported policy version {value!r} (this release reads 1)")
    return 1


RULE_FIELDS: dict[str, Callable[[Any], Any]] = {
    "name": _name,
    "signal": _glob,
    "kind": _kind,
    "min_samples": lambda v: check_int(v, "min_samples", 0),
    "confirm": lambda v: v,  # read as Confirm
    "clear": lambda v: v,  # read as Clear
    "trigger": _choice(TRIGGERS, "trigger"),
    "action": _choice(ACTIONS, "action"),
    "severity": lambda v: None if v is None else _choice(SEVERITIES, "severity")(v),
    "mode": _mode_or_none,
    "description": _description,
    "false_alarm_every": parse_every,
    "window_alarm_rate": lambda v: check_rate(v, "window_alarm_rate"),
}
"""Checker of each rule key; each returns the value or raises ConfigurationError."""

CONFIRM_FIELDS: dict[str, Callable[[Any], Any]] = {
    "k": lambda v: check_int(v, "confirm.k", 1, MAX_WINDOWS),
    "m": lambda v: check_int(v, "confirm.m", 1, MAX_WINDOWS),
}
CLEAR_FIELDS: dict[str, Callable[[Any], Any]] = {
    "ok": lambda v: check_int(v, "clear.ok", 1, MAX_WINDOWS),
}


POLICY_FIELDS: dict[str, Callable[[Any], Any]] = {
    "version": check_version,
    "mode": _choice(MODES, "mode"),
    "cooldown_s": check_cooldown,
    "rules": lambda v: v,
    "clients": lambda v: v,  # read as ClientPolicy
    "traffic": lambda v: v,  # read as Traffic
    "false_rollback_floor": lambda v: check_floor(v),
}
"""Checker of each top-level key."""
