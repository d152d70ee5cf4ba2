"""The result of a training-set audit: which rows would be dropped, and why.

Examples
--------
>>> report = AuditReport(n_rows=10, flagged=(3,), reasons={3: ("label issue",)},
...                      counts={"confident": 1})
>>> report.to_dict()["flagged"], report.share
([3], 0.1)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["AuditReport"]


@dataclass(frozen=True, slots=True)
class AuditReport:
    """Rows an audit would drop, with the reasons each method gave.

    Parameters
    ----------
    n_rows : int
        Rows audited.
    flagged : tuple of int
        0-based row indices, ascending.
    reasons : mapping of int to tuple of str
        Per flagged row, one human-readable reason per method that flagged it.
    counts : mapping of str to int
        Rows flagged by each method that ran (a row may count for several).
    details : mapping of str to Any, optional
        Per-method settings and learned quantities (JSON-ready).

    Examples
    --------
    >>> AuditReport(n_rows=4, flagged=(), reasons={}, counts={"confident": 0}).share
    0.0
    """

    n_rows: int
    flagged: tuple[int, ...]
    reasons: Mapping[int, tuple[str, ...]]
    counts: Mapping[str, int]
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def share(self) -> float:
        """Share of the rows flagged."""
        return len(self.flagged) / self.n_rows if self.n_rows else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``flagged``, ``reasons`` (keyed by row index as a string), counts."""
        return {
            "n_rows": self.n_rows,
            "flagged": list(self.flagged),
            "reasons": {str(row): list(self.reasons[row]) for row in self.flagged},
            "counts": dict(self.counts),
            "share": self.share,
            "details": dict(self.details),
        }
