"""Flag rates tested against their clean rate: the one-sided binomial test behind rate signals.

A defence that flags each clean row with probability at most ``alpha`` (a conformal test at
level ``alpha``, a feedback screen) flags ``X ~ Binomial(n, alpha)`` of ``n`` clean rows.
:func:`binomial_critical` is the smallest count whose upper tail falls below ``significance``;
:func:`flag_rate_signal` turns a count into a :class:`~driftguard.types.Signal` that breaches
at that count, with the critical *share* as its threshold.

Examples
--------
>>> binomial_critical(1000, 0.01, 1e-3)
22
>>> flag_rate_signal("x", "adversarial", n=1000, flagged=22, alpha=0.01).status
'breach'
"""

from __future__ import annotations

from scipy.stats import binom

from driftguard.types import Signal

__all__ = ["binomial_critical", "count_signal", "flag_rate_signal"]


def binomial_critical(n: int, rate: float, significance: float) -> int:
    """Smallest count ``k`` with ``P(X >= k) < significance`` for ``X ~ Binomial(n, rate)``.

    Examples
    --------
    >>> binomial_critical(1, 0.01, 1e-3)  # one row can never be evidence at this level
    2
    """
    return int(binom.isf(significance, n, rate)) + 1


def flag_rate_signal(
    name: str, kind: str, *, n: int, flagged: int, alpha: float, significance: float = 1e-3
) -> Signal:
    """A flag-rate signal tested against its clean rate ``alpha`` (one-sided binomial).

    ``insufficient_data`` without rows; else ``breach`` once ``flagged`` reaches
    :func:`binomial_critical`, with value ``flagged / n`` and threshold ``critical / n``.

    Examples
    --------
    >>> flag_rate_signal("x", "poisoning", n=0, flagged=0, alpha=0.01).status
    'insufficient_data'
    """
    if n == 0:
        return Signal(name, kind, None, None, "insufficient_data", 0)
    critical = binomial_critical(n, alpha, significance)
    status = "breach" if flagged >= critical else "ok"
    return Signal(name, kind, flagged / n, critical / n, status, n)


def count_signal(name: str, kind: str, count: int, samples: int) -> Signal:
    """A signal that breaches at one (flagged clients, quarantined sources): threshold 0.5.

    Examples
    --------
    >>> count_signal("probing_clients", "adversarial", 1, 40).status
    'breach'
    """
    return Signal(name, kind, float(count), 0.5, "breach" if count else "ok", samples)
