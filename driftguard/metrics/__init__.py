"""Every metric name, the plain snapshots the service fills, and the Prometheus collectors.

:mod:`~driftguard.metrics.names` and :mod:`~driftguard.metrics.state` are plain Python, so the
request path (:mod:`driftguard.serving`, :mod:`driftguard.guard`, :mod:`driftguard.monitor`)
fills snapshots without importing ``prometheus_client``. The collectors that turn them into
families (:mod:`~driftguard.metrics.prometheus`, :mod:`~driftguard.metrics.guard`,
:mod:`~driftguard.metrics.defense`) are imported by the service only; this package's
``__init__`` does not import them.

Examples
--------
>>> from driftguard.metrics import METRIC_NAMES
>>> METRIC_NAMES["driftguard_monitor_windows_closed_total"][0]
'counter'
"""

from driftguard.metrics.names import LATENCY_BUCKETS, METRIC_NAMES
from driftguard.metrics.state import DefenseMetrics, GuardState, HostState, ModelState

__all__ = [
    "LATENCY_BUCKETS",
    "METRIC_NAMES",
    "DefenseMetrics",
    "GuardState",
    "HostState",
    "ModelState",
]
