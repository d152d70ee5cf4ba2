"""Markdown tables and number formats shared by the suite's tables."""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["every", "markdown", "num", "per_day"]

SECONDS_PER_DAY = 86_400.0


def markdown(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub-flavoured markdown table.

    Examples
    --------
    >>> print(markdown(["a", "b"], [["x", "1"]]))
    | a | b |
    |---|---|
    | x | 1 |
    """
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def num(value: float) -> str:
    """Thousands-separated below a million, else three significant digits in scientific form.

    Examples
    --------
    >>> num(1608.2), num(126144000.0), num(3.25), num(float("nan"))
    ('1,608', '1.26e+08', '3.25', '-')
    """
    if math.isnan(value):
        return "-"
    if abs(value) >= 1e6:
        return f"{value:.3g}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def per_day(rows_per_s: float, window_rows: int, arl0: float) -> float:
    """False rollbacks per day of clean traffic: windows per day over the run length."""
    return SECONDS_PER_DAY * rows_per_s / window_rows / arl0


def every(rate_per_day: float) -> str:
    """A rate per day as ``"0.0027 (1 per 1 y)"`` style text.

    Examples
    --------
    >>> every(86.0), every(1 / 365), every(1 / 36500)
    ('86 (1 per 17 min)', '0.00274 (1 per 1 y)', '2.74e-05 (1 per 100 y)')
    """
    days = 1.0 / rate_per_day
    if days >= 365.0 * 0.995:
        span = f"{days / 365.0:.0f} y"
    elif days >= 1.0:
        span = f"{days:.0f} d"
    elif days >= 1 / 24:
        span = f"{days * 24:.1f} h"
    else:
        span = f"{days * 1440:.0f} min"
    return f"{rate_per_day:.3g} (1 per {span})"
