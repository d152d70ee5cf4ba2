"""Every Prometheus metric driftguard exports, on a registry the caller supplies.

Names follow ``driftguard_<subsystem>_<name>_<unit>``; counters end in ``_total``; series
carry ``model_name`` and ``model_version`` labels. Latencies are histograms with
sub-millisecond buckets, so replicas can be summed. Request-path metrics are instrumented
directly (:class:`ServiceMetrics`); state that the service already counts (rows observed,
window sizes, drops, the loaded models) is read at scrape time through :class:`StateCollector`
from :class:`ModelState` snapshots. Dashboards and alert rules are tested against
:data:`METRIC_NAMES`.

Only the collector modules of :mod:`driftguard.metrics` import ``prometheus_client``; names
live in :mod:`driftguard.metrics.names` and snapshots in :mod:`driftguard.metrics.state`.

Examples
--------
>>> from prometheus_client import CollectorRegistry, generate_latest
>>> registry = CollectorRegistry()
>>> metrics = ServiceMetrics(registry)
>>> metrics.request("/predict/{name}", 200, "iris", "3", 0.0012)
>>> b'driftguard_http_requests_total{' in generate_latest(registry)
True
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from driftguard.metrics.names import LATENCY_BUCKETS, METRIC_NAMES, MODEL
from driftguard.metrics.state import HostState, ModelState

__all__ = ["ServiceMetrics", "StateCollector", "family"]


def _help(name: str) -> str:
    return METRIC_NAMES[name][1]


def family(name: str, kind: type[Any], labels: tuple[str, ...] | None = None) -> Any:
    """An empty metric family for ``name`` (counters drop ``_total``; the client adds it)."""
    exposed = name[: -len("_total")] if kind is CounterMetricFamily else name
    return kind(exposed, _help(name), labels=list(labels or METRIC_NAMES[name][2]))


class StateCollector(Collector):
    """Export :class:`ModelState` snapshots at scrape time.

    Parameters
    ----------
    models : callable
        Returns the current :class:`ModelState` of every loaded model version.
    host : callable
        Returns the service-wide :class:`HostState`.

    Examples
    --------
    >>> collector = StateCollector(lambda: [ModelState("m", 1, "sklearn", "active", 1)],
    ...                            HostState)
    >>> "driftguard_model_info" in {m.name for m in collector.collect()}
    True
    """

    def __init__(
        self, models: Callable[[], Iterable[ModelState]], host: Callable[[], HostState]
    ) -> None:
        self.models = models
        self.host = host

    def collect(self) -> Iterator[Any]:
        """Yield one family per metric name, filled from fresh snapshots."""
        states = list(self.models())
        yield from self._counters(states)
        yield from self._gauges(states)
        yield from self._host(self.host(), states)

    def _counters(self, states: list[ModelState]) -> Iterator[Any]:
        simple: dict[str, Callable[[ModelState], float]] = {
            "driftguard_inference_rows_total": lambda s: s.rows_scored,
            "driftguard_monitor_rows_observed_total": lambda s: s.rows_observed,
            "driftguard_monitor_windows_closed_total": lambda s: s.windows_closed,
            "driftguard_feedback_received_total": lambda s: s.feedback_rows,
        }
        for name, read in simple.items():
            counter = family(name, CounterMetricFamily, MODEL)
            for s in states:
                counter.add_metric([s.name, str(s.version)], read(s))
            yield counter
        by_key = {
            "driftguard_dropped_records_total": ("dropped", "buffer"),
            "driftguard_validation_nonfinite_values_total": ("nonfinite", "feature"),
            "driftguard_validation_unseen_categories_total": ("unseen", "feature"),
        }
        for name, (attr, label) in by_key.items():
            counter = family(name, CounterMetricFamily, (label, *MODEL))
            for s in states:
                for key, value in getattr(s, attr).items():
                    counter.add_metric([key, s.name, str(s.version)], value)
            yield counter

    def _gauges(self, states: list[ModelState]) -> Iterator[Any]:
        simple: dict[str, Callable[[ModelState], float]] = {
            "driftguard_monitor_window_rows": lambda s: s.window_rows,
            "driftguard_monitor_window_size_rows": lambda s: s.window_size,
            "driftguard_monitor_queue_rows": lambda s: s.queue_rows,
            "driftguard_model_load_duration_seconds": lambda s: s.load_seconds,
        }
        for name, read in simple.items():
            gauge = family(name, GaugeMetricFamily, MODEL)
            for s in states:
                gauge.add_metric([s.name, str(s.version)], read(s))
            yield gauge
        score = family("driftguard_drift_dataset_score_ratio", GaugeMetricFamily)
        limit = family("driftguard_drift_dataset_threshold_ratio", GaugeMetricFamily)
        f_score = family("driftguard_drift_feature_score", GaugeMetricFamily)
        f_limit = family("driftguard_drift_feature_threshold", GaugeMetricFamily)
        info = family("driftguard_model_info", GaugeMetricFamily)
        for s in states:
            model = [s.name, str(s.version)]
            info.add_metric([s.framework, s.role, str(s.generation), *model], 1.0)
            if s.dataset_score is not None and s.dataset_threshold is not None:
                score.add_metric(model, s.dataset_score)
                limit.add_metric(model, s.dataset_threshold)
            for feature, (value, threshold) in s.feature_scores.items():
                f_score.add_metric([feature, *model], value)
                f_limit.add_metric([feature, *model], threshold)
        yield from (score, limit, f_score, f_limit, info)

    def _host(self, host: HostState, states: list[ModelState]) -> Iterator[Any]:
        active = family("driftguard_model_active_version", GaugeMetricFamily)
        for s in states:
            if s.role == "active":
                active.add_metric([s.name], float(s.version))
        yield active
        for name, values in (
            ("driftguard_model_swaps_total", host.swaps),
            ("driftguard_model_load_failures_total", host.load_failures),
        ):
            counter = family(name, CounterMetricFamily)
            for model, value in values.items():
                counter.add_metric([model], value)
            yield counter


class ServiceMetrics:
    """Request-path instruments registered on ``registry`` (never the global one).

    Parameters
    ----------
    registry : CollectorRegistry
        Where the instruments are registered; one per app.

    Examples
    --------
    >>> from prometheus_client import CollectorRegistry
    >>> ServiceMetrics(CollectorRegistry()).inference("m", "1", 0.0004)
    """

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        name = "driftguard_http_requests_total"
        self._requests = Counter(
            name[: -len("_total")], _help(name), METRIC_NAMES[name][2], registry=registry
        )
        name = "driftguard_http_request_duration_seconds"
        self._latency = Histogram(
            name, _help(name), METRIC_NAMES[name][2], registry=registry, buckets=LATENCY_BUCKETS
        )
        name = "driftguard_inference_duration_seconds"
        self._inference = Histogram(
            name, _help(name), METRIC_NAMES[name][2], registry=registry, buckets=LATENCY_BUCKETS
        )
        self._children: dict[tuple[str, ...], tuple[Any, Any]] = {}
        self._inference_children: dict[tuple[str, str], Any] = {}

    def request(
        self, endpoint: str, status: int, model_name: str, model_version: str, seconds: float
    ) -> None:
        """Count one request and observe its latency (children are cached per label set)."""
        key = (endpoint, f"{status // 100}xx", model_name, model_version)
        children = self._children.get(key)
        if children is None:
            children = (
                self._requests.labels(*key),
                self._latency.labels(endpoint, model_name, model_version),
            )
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def inference(self, model_name: str, model_version: str, seconds: float) -> None:
        """Observe one model call."""
        key = (model_name, model_version)
        child = self._inference_children.get(key)
        if child is None:
            child = self._inference_children[key] = self._inference.labels(*key)
        child.observe(seconds)
