"""Human reports built on peer tools: Evidently's data-drift report.

Examples
--------
>>> from driftguard.reports import DriftSummary
>>> DriftSummary((), ("a",), 0.0).line()
'drifted columns: 0 of 1'
"""

from driftguard.reports.evidently import DriftSummary, drift_summary, evidently_drift_report

__all__ = ["DriftSummary", "drift_summary", "evidently_drift_report"]
