"""Prometheus families of the defences (names in :mod:`driftguard.metrics.prometheus`).

:class:`DefenseCollector` reads a :class:`DefenseMetrics` snapshot at scrape time: adversarial
rows scored and flagged per served version, clients flagged for probing and requests refused,
feedback rows screened and flagged, and quarantined feedback sources.

Examples
--------
>>> state = DefenseMetrics(adversarial={("m", 1): (100, 2)}, probing_flags_total=1)
>>> names = {f.name for f in DefenseCollector(lambda: state).collect()}
>>> sorted(n for n in names if n.startswith("driftguard_adversarial"))
['driftguard_adversarial_flagged', 'driftguard_adversarial_rows']
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from driftguard.metrics.prometheus import family
from driftguard.metrics.state import DefenseMetrics

__all__ = ["DefenseCollector"]


class DefenseCollector(Collector):
    """Export a :class:`DefenseMetrics` at scrape time.

    Parameters
    ----------
    state : callable
        Returns a fresh :class:`DefenseMetrics`.
    """

    def __init__(self, state: Callable[[], DefenseMetrics]) -> None:
        self.state = state

    def collect(self) -> Iterator[Any]:
        """Yield the ``driftguard_adversarial_*``, ``_probing_*`` and ``_feedback_*`` families."""
        state = self.state()
        for counts, rows_name, flagged_name in (
            (
                state.adversarial,
                "driftguard_adversarial_rows_total",
                "driftguard_adversarial_flagged_total",
            ),
            (
                state.feedback,
                "driftguard_feedback_screened_total",
                "driftguard_feedback_flagged_total",
            ),
        ):
            rows = family(rows_name, CounterMetricFamily)
            flagged = family(flagged_name, CounterMetricFamily)
            for (model, version), (n, k) in counts.items():
                rows.add_metric([model, str(version)], n)
                flagged.add_metric([model, str(version)], k)
            yield rows
            yield flagged
        gauges = (
            ("driftguard_probing_clients_flagged", state.probing_flagged),
            ("driftguard_feedback_sources_quarantined", state.quarantined_sources),
        )
        for name, values in gauges:
            gauge = family(name, GaugeMetricFamily)
            for model, count in values.items():
                gauge.add_metric([model], count)
            yield gauge
        total = family("driftguard_probing_flags_total", CounterMetricFamily)
        total.add_metric([], state.probing_flags_total)
        yield total
        refused = family("driftguard_probing_refused_total", CounterMetricFamily)
        for action, count in state.refused.items():
            refused.add_metric([action], count)
        yield refused
