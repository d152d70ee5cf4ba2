"""Every metric name driftguard exports, with its type, help text and labels.

Names follow ``driftguard_<subsystem>_<name>_<unit>``; counters end in ``_total``; series
carry ``model_name`` and ``model_version`` labels. Latencies are histograms with
sub-millisecond buckets, so replicas can be summed. Dashboards and alert rules are tested
against :data:`METRIC_NAMES`. Plain data: importing it loads no ``prometheus_client``.

Examples
--------
>>> METRIC_NAMES["driftguard_inference_rows_total"][0]
'counter'
"""

from __future__ import annotations

__all__ = ["LATENCY_BUCKETS", "METRIC_NAMES", "MODEL"]

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
