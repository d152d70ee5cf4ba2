"""The window rate a model really sees: windows closed a second, from their close times.

The guard feeds :class:`WindowRate` the close time of every window it decides on; the rate
over the last few windows turns each rule's run length (in windows) into the interval between
false decisions at the traffic the service sees (:func:`~driftguard.policy.standings`).

Examples
--------
>>> rate = WindowRate()
>>> rate.update(100.0).per_second() is None  # one window: no interval yet
True
>>> rate.update(102.5).update(105.0).per_second()
0.4
"""

from __future__ import annotations

from collections import deque

from driftguard.errors import ConfigurationError

__all__ = ["WindowRate"]


class WindowRate:
    """Windows closed a second over the last ``keep`` close times.

    Parameters
    ----------
    keep : int, default 20
        Close times remembered (at least 2); older ones are forgotten, so the rate follows
        the traffic.

    Examples
    --------
    >>> rate = WindowRate(keep=3)
    >>> for t in (0.0, 100.0, 101.0, 102.0):
    ...     _ = rate.update(t)
    >>> rate.per_second()  # the first window fell out: 2 intervals in 2 s
    1.0
    """

    def __init__(self, keep: int = 20) -> None:
        if keep < 2:
            raise ConfigurationError(f"keep must be at least 2, got {keep}")
        self._times: deque[float] = deque(maxlen=keep)

    def update(self, t: float) -> WindowRate:
        """Note a window closed at UNIX time ``t``; return ``self``."""
        self._times.append(t)
        return self

    def per_second(self) -> float | None:
        """Windows a second, or ``None`` before two windows (or when no time passed)."""
        if len(self._times) < 2:
            return None
        span = self._times[-1] - self._times[0]
        return (len(self._times) - 1) / span if span > 0 else None
