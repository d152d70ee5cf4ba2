"""Prometheus families of the guard: signals and decisions (names in :mod:`~.metrics.names`).

:class:`GuardCollector` reads a :class:`GuardState` snapshot at scrape time: the signals of
each served version's last evaluation (``driftguard_signal_*``; per-feature drift has its own
``driftguard_drift_feature_*`` families) and the decision and rollback counters.

Examples
--------
>>> from driftguard.types import Signal
>>> state = GuardState({("m", 1): (Signal("input_drift", "drift", 0.5, 1.0, "ok", 100),)})
>>> names = {f.name for f in GuardCollector(lambda: state).collect()}
>>> "driftguard_signal_status" in names
True
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from driftguard.metrics.prometheus import family
from driftguard.metrics.state import STATUSES, GuardState

__all__ = ["GuardCollector"]


class GuardCollector(Collector):
    """Export a :class:`GuardState` at scrape time.

    Parameters
    ----------
    state : callable
        Returns a fresh :class:`GuardState`.
    """

    def __init__(self, state: Callable[[], GuardState]) -> None:
        self.state = state

    def collect(self) -> Iterator[Any]:
        """Yield the ``driftguard_signal_*`` and ``driftguard_guard_*`` families."""
        state = self.state()
        value = family("driftguard_signal_value", GaugeMetricFamily)
        threshold = family("driftguard_signal_threshold", GaugeMetricFamily)
        samples = family("driftguard_signal_samples", GaugeMetricFamily)
        status = family("driftguard_signal_status", GaugeMetricFamily)
        for (model, version), signals in state.signals.items():
            for s in signals:
                if s.name.startswith("input_drift:"):
                    continue
                labels = [s.name, s.kind, model, str(version)]
                if s.value is not None:
                    value.add_metric(labels, s.value)
                if s.threshold is not None:
                    threshold.add_metric(labels, s.threshold)
                samples.add_metric(labels, s.samples)
                for name in STATUSES:
                    status.add_metric(
                        [s.name, s.kind, name, model, str(version)], float(s.status == name)
                    )
        yield from (value, threshold, samples, status)
        decisions = family("driftguard_guard_decisions_total", CounterMetricFamily)
        for (model, action), count in state.decisions.items():
            decisions.add_metric([action, model], count)
        yield decisions
        for name, counts in (
            ("driftguard_guard_rollbacks_total", state.rollbacks),
            ("driftguard_guard_rollback_failures_total", state.rollback_failures),
        ):
            counter = family(name, CounterMetricFamily)
            for model, count in counts.items():
                counter.add_metric([model], count)
            yield counter
        alerts = family("driftguard_alerts_received_total", CounterMetricFamily)
        for outcome, count in state.alerts.items():
            alerts.add_metric([outcome], count)
        yield alerts
