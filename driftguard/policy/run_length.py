"""Run lengths as policy values: targets (:class:`Every`), planning :class:`Traffic`, results.

A run length is the expected number of evaluated windows to a false decision when nothing
changed (ARL0). A policy states targets either in windows (``2000 windows``) or in time
(``365d``); time converts to windows at the policy's planning traffic
(``rows_per_s / window_rows`` windows a second), and back to time at whatever traffic the
service actually sees.

Examples
--------
>>> every = parse_every("365d")
>>> every.seconds, every.windows(Traffic(rows_per_s=1000, window_rows=250))
(31536000.0, 126144000.0)
>>> parse_every("2000 windows").text
'2000 windows'
>>> format_duration(3 * 86400.0 + 7200)
'3.1 days'
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from driftguard.errors import ConfigurationError

__all__ = [
    "RUN_LENGTH_METHODS",
    "Every",
    "RunLength",
    "Traffic",
    "check_traffic",
    "format_duration",
    "parse_every",
]

RUN_LENGTH_METHODS = ("cusum", "k_of_m_p", "k_of_m")
"""How a rule decides: CUSUM of p-values, k-of-m at a derived p-value level, k-of-m on status."""

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0, "y": 31536000.0}
_EVERY = re.compile(r"\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*(windows?|[smhdwy])\s*")


@dataclass(frozen=True, slots=True)
class Every:
    """A run length stated in windows (``seconds is None``) or in time (``windows_ is None``).

    Examples
    --------
    >>> Every(windows_=2000.0).windows(Traffic())
    2000.0
    """

    windows_: float | None = None
    seconds: float | None = None
    label: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if (self.windows_ is None) == (self.seconds is None):
            raise ConfigurationError("a run length is either in windows or in time")

    def windows(self, traffic: Traffic) -> float:
        """The run length in windows at ``traffic``."""
        if self.windows_ is not None:
            return self.windows_
        assert self.seconds is not None
        return self.seconds * traffic.windows_per_s

    @property
    def text(self) -> str:
        """As the policy file wrote it (or a canonical form for one built in code)."""
        if self.label is not None:
            return self.label
        if self.windows_ is not None:
            return f"{self.windows_:g} windows"
        assert self.seconds is not None
        for unit in ("y", "w", "d", "h", "m"):
            amount = self.seconds / _UNITS[unit]
            if amount >= 1 and float(amount).is_integer():
                return f"{amount:g}{unit}"
        return f"{self.seconds:g}s"


def parse_every(value: Any, what: str = "false_alarm_every") -> Every:
    """Read ``365d``, ``12h``, ``2000 windows`` or a bare number of windows.

    Raises
    ------
    ConfigurationError
        Anything else, or a run length that is not positive and finite.

    Examples
    --------
    >>> parse_every(5000).windows_
    5000.0
    >>> parse_every("soon")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    driftguard.errors.ConfigurationError: false_alarm_every must be a duration such as 365d, ...
    """
    if isinstance(value, bool):
        raise ConfigurationError(f"{what} must be a duration or a number of windows, got {value}")
    if isinstance(value, int | float):
        amount, unit = float(value), "windows"
    else:
        match = _EVERY.fullmatch(str(value))
        if match is None:
            raise ConfigurationError(
                f"{what} must be a duration such as 365d, 12h, 30m or a number of windows "
                f"such as '2000 windows'; got {value!r}"
            )
        amount, unit = float(match.group(1)), match.group(2)
    if not math.isfinite(amount) or amount <= 0:
        raise ConfigurationError(f"{what} must be positive and finite, got {value!r}")
    if unit.startswith("window"):
        return Every(windows_=amount, label=f"{amount:g} windows")
    return Every(seconds=amount * _UNITS[unit], label=f"{amount:g}{unit}")


@dataclass(frozen=True, slots=True)
class Traffic:
    """Planning traffic: rows a second and rows per monitoring window.

    Examples
    --------
    >>> Traffic(rows_per_s=100, window_rows=250).windows_per_s
    0.4
    """

    rows_per_s: float = 1000.0
    window_rows: int = 250

    def __post_init__(self) -> None:
        check_traffic(self.rows_per_s, self.window_rows)

    @property
    def windows_per_s(self) -> float:
        """Windows closed a second at this traffic."""
        return self.rows_per_s / self.window_rows

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (the YAML keys)."""
        return {"rows_per_s": self.rows_per_s, "window_rows": self.window_rows}


def check_traffic(rows_per_s: Any, window_rows: Any) -> None:
    """Raise :class:`ConfigurationError` unless both are positive (``window_rows`` an int)."""
    if isinstance(rows_per_s, bool) or not isinstance(rows_per_s, int | float):
        raise ConfigurationError(f"traffic.rows_per_s must be a number, got {rows_per_s!r}")
    if not (math.isfinite(rows_per_s) and rows_per_s > 0):
        raise ConfigurationError(f"traffic.rows_per_s must be positive, got {rows_per_s!r}")
    if isinstance(window_rows, bool) or not isinstance(window_rows, int) or window_rows < 1:
        raise ConfigurationError(
            f"traffic.window_rows must be a positive integer, got {window_rows!r}"
        )


def format_duration(seconds: float) -> str:
    """A duration as people read it (``45 s``, ``12 min``, ``3.1 days``, ``2.0 years``)."""
    if not math.isfinite(seconds):
        return "never"
    for size, unit in ((31536000.0, "years"), (86400.0, "days"), (3600.0, "h")):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    if seconds >= 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"


@dataclass(frozen=True, slots=True)
class RunLength:
    """The false-decision run length a rule implies.

    Parameters
    ----------
    rule : str
        The rule's name.
    method : str
        ``cusum`` (CUSUM of calibrated window p-values), ``k_of_m_p`` (k of m windows with a
        p-value at most ``level``) or ``k_of_m`` (k of m windows whose status breached, each
        with probability ``level`` under no change).
    windows : float
        Expected evaluated windows to a false decision under no change (ARL0).
    exact : bool
        ``False`` when ``windows`` is a lower bound (k-of-m chains too large to solve).
    threshold : float or None
        CUSUM threshold ``h`` in nats (``cusum`` only).
    level : float or None
        Per-window level (``k_of_m_p``) or assumed false-breach rate (``k_of_m``).
    target : str or None
        The target the policy stated (``365d``), when it stated one.

    Examples
    --------
    >>> r = RunLength("drift", "k_of_m", 1608.4, True, None, 0.05)
    >>> format_duration(r.seconds(4.0))
    '7 min'
    """

    rule: str
    method: str
    windows: float
    exact: bool
    threshold: float | None
    level: float | None
    target: str | None = None

    def seconds(self, windows_per_s: float) -> float:
        """The run length in seconds at ``windows_per_s`` (``inf`` without traffic)."""
        return self.windows / windows_per_s if windows_per_s > 0 else math.inf

    def to_dict(self, windows_per_s: float | None = None) -> dict[str, Any]:
        """JSON-ready fields; with ``windows_per_s``, the interval in seconds too."""
        out: dict[str, Any] = {
            "rule": self.rule,
            "method": self.method,
            "windows": self.windows,
            "exact": self.exact,
            "threshold": self.threshold,
            "level": self.level,
            "target": self.target,
        }
        if windows_per_s is not None:
            seconds = self.seconds(windows_per_s)
            out["seconds"] = seconds if math.isfinite(seconds) else None
        return out
