"""Every Prometheus metric driftguard exports, on a registry the caller supplies.

Names follow ``driftguard_<subsystem>_<name>_<unit>``; counters end in ``_total``; series
carry ``model_name`` and ``model_version`` labels. Latencies are histograms with
sub-millisecond buckets, so replicas can be summed. Request-path metrics are instrumented
directly (:class:`ServiceMetrics`); state that the service already counts (rows observed,
window sizes, drops, the loaded models) is read at scrape time through :class:`StateCollector`
from :class:`ModelState` snapshots. Dashboards and alert rules are tested against
:data:`METRIC_NAMES`.

Only this module imports ``prometheus_client``; ``import driftguard`` does not load it.

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
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

__all__ = [
    "LATENCY_BUCKETS",
    "METRIC_NAMES",
    "ModelState",
    "ServiceMetrics",
    "StateCollector",
    "family",
]

LATENCY_BUCKETS = (
    0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0025, 0.005, 0.0075,
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)  # fmt: skip

MODEL = ("model_name", "model_version")

# name (as exposed) -> (type, help, labels)
METRIC_NAMES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "driftguard_http_requests_total": (
        "counter", "HTTP requests by route template and status class",
        ("endpoint", "status_class", *MODEL),
    ),
    "driftguard_http_request_duration_seconds": (
        "histogram", "HTTP request latency, from first byte in to response start",
        ("endpoint", *MODEL),
    ),
    "driftguard_inference_duration_seconds": (
        "histogram", "Model inference latency (encoding and predict_proba)", MODEL,
    ),
    "driftguard_inference_rows_total": ("counter", "Rows scored by the model", MODEL),
    "driftguard_monitor_rows_observed_total": (
        "counter", "Rows folded into the monitoring windows", MODEL,
    ),
    "driftguard_monitor_window_rows": ("gauge", "Rows in the current (open) window", MODEL),
    "driftguard_monitor_window_size_rows": ("gauge", "Rows per monitoring window", MODEL),
    "driftguard_monitor_windows_closed_total": ("counter", "Full windows checked", MODEL),
    "driftguard_monitor_queue_rows": ("gauge", "Rows waiting to be folded in", MODEL),
    "driftguard_dropped_records_total": (
        "counter", "Records dropped by a full bounded buffer, by buffer", ("buffer", *MODEL),
    ),
    "driftguard_validation_nonfinite_values_total": (
        "counter", "Missing or non-finite values let through (DRIFTGUARD_NONFINITE=count)",
        ("feature", *MODEL),
    ),
    "driftguard_validation_unseen_categories_total": (
        "counter", "Categorical values outside the training vocabulary", ("feature", *MODEL),
    ),
    "driftguard_drift_dataset_score_ratio": (
        "gauge", "Dataset drift statistic of the last closed window (max score/threshold)",
        MODEL,
    ),
    "driftguard_drift_dataset_threshold_ratio": (
        "gauge", "Calibrated threshold of the dataset drift statistic", MODEL,
    ),
    "driftguard_drift_feature_score": (
        "gauge", "Per-feature drift score of the last closed window", ("feature", *MODEL),
    ),
    "driftguard_drift_feature_threshold": (
        "gauge", "Calibrated per-feature threshold at the window size", ("feature", *MODEL),
    ),
    "driftguard_feedback_received_total": (
        "counter", "Labelled feedback rows accepted", MODEL,
    ),
    "driftguard_model_info": (
        "gauge", "1 for every loaded model version; role is active or pinned",
        ("framework", "role", "generation", *MODEL),
    ),
    "driftguard_model_active_version": (
        "gauge", "The version number ACTIVE in this service", ("model_name",),
    ),
    "driftguard_model_load_duration_seconds": (
        "gauge", "Seconds it took to load and verify the checkpoint", MODEL,
    ),
    "driftguard_model_load_failures_total": (
        "counter", "Checkpoints that failed to load (the previous version kept serving)",
        ("model_name",),
    ),
    "driftguard_model_swaps_total": (
        "counter", "Hot swaps of the ACTIVE model", ("model_name",),
    ),
    "driftguard_signal_value": (
        "gauge", "Value of a signal at the last evaluation (per-feature drift excluded)",
        ("signal", "kind", *MODEL),
    ),
    "driftguard_signal_threshold": (
        "gauge", "Threshold the signal is compared with", ("signal", "kind", *MODEL),
    ),
    "driftguard_signal_samples": (
        "gauge", "Rows or labels the signal rests on", ("signal", "kind", *MODEL),
    ),
    "driftguard_signal_status": (
        "gauge", "1 for the signal's current status (ok, warn, breach, insufficient_data)",
        ("signal", "kind", "status", *MODEL),
    ),
    "driftguard_guard_decisions_total": (
        "counter", "Policy decisions, one per evaluated window, by action",
        ("action", "model_name"),
    ),
    "driftguard_guard_rollbacks_total": (
        "counter", "Rollbacks carried out by the guard", ("model_name",),
    ),
    "driftguard_guard_rollback_failures_total": (
        "counter", "Rollbacks decided but refused (ACTIVE moved meanwhile, no target)",
        ("model_name",),
    ),
    "driftguard_alerts_received_total": (
        "counter", "Alerts delivered by Alertmanager's webhook, by what the receiver did",
        ("outcome",),
    ),
    "driftguard_adversarial_rows_total": (
        "counter", "Rows scored by the per-request adversarial scorer", MODEL,
    ),
    "driftguard_adversarial_flagged_total": (
        "counter", "Rows whose conformal p-value was at most the scorer's alpha", MODEL,
    ),
    "driftguard_probing_clients_flagged": (
        "gauge", "Clients currently flagged for probing the model", ("model_name",),
    ),
    "driftguard_probing_flags_total": (
        "counter", "Clients flagged for probing since start", (),
    ),
    "driftguard_probing_refused_total": (
        "counter", "Requests of flagged clients refused, by action (rate_limit, block)",
        ("action",),
    ),
    "driftguard_feedback_screened_total": (
        "counter", "Feedback rows scored with the trusted version", MODEL,
    ),
    "driftguard_feedback_flagged_total": (
        "counter", "Feedback rows flagged as likely poisoned (or from a quarantined source)",
        MODEL,
    ),
    "driftguard_feedback_sources_quarantined": (
        "gauge", "Feedback sources in quarantine", ("model_name",),
    ),
}  # fmt: skip


def _help(name: str) -> str:
    return METRIC_NAMES[name][1]


def family(name: str, kind: type[Any], labels: tuple[str, ...] | None = None) -> Any:
    """An empty metric family for ``name`` (counters drop ``_total``; the client adds it)."""
    exposed = name[: -len("_total")] if kind is CounterMetricFamily else name
    return kind(exposed, _help(name), labels=list(labels or METRIC_NAMES[name][2]))


@dataclass(frozen=True)
class ModelState:
    """What :class:`StateCollector` exports about one loaded model version.

    Examples
    --------
    >>> ModelState("iris", 3, "sklearn", "active", 7).version
    3
    """

    name: str
    version: int
    framework: str
    role: str
    generation: int
    load_seconds: float = 0.0
    rows_observed: int = 0
    rows_scored: int = 0
    window_rows: int = 0
    window_size: int = 0
    windows_closed: int = 0
    queue_rows: int = 0
    feedback_rows: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    nonfinite: dict[str, int] = field(default_factory=dict)
    unseen: dict[str, int] = field(default_factory=dict)
    dataset_score: float | None = None
    dataset_threshold: float | None = None
    feature_scores: dict[str, tuple[float, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class HostState:
    """Service-wide counters that outlive a model version (swaps, failed loads).

    Examples
    --------
    >>> HostState().swaps
    {}
    """

    swaps: dict[str, int] = field(default_factory=dict)
    load_failures: dict[str, int] = field(default_factory=dict)


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
