"""Evidently's data-drift report of a reference sample against current rows.

:func:`evidently_drift_report` builds Evidently's ``DataDriftPreset`` HTML, told which
features are numerical and which categorical by a driftguard schema, and reads the columns
Evidently judged drifted into a :class:`DriftSummary`. Evidently and pandas are imported only
when a report is built (``pip install 'driftguard[reports]'``), so importing this module stays
light.

Examples
--------
>>> DriftSummary(("a",), ("a", "b"), 0.5).line()
'drifted columns: 1 of 2 (a)'
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from driftguard.errors import ConfigurationError, DriftguardError
from driftguard.schema.features import Columns, Schema
from driftguard.types import FeatureKind

__all__ = ["EXTRAS_HINT", "DriftSummary", "drift_summary", "evidently_drift_report"]

EXTRAS_HINT = "pip install 'driftguard[reports]'"


@dataclass(frozen=True)
class DriftSummary:
    """What Evidently's result says: the columns it judged drifted, of those it tested.

    Examples
    --------
    >>> DriftSummary(("a",), ("a", "b"), 0.5).line()
    'drifted columns: 1 of 2 (a)'
    """

    drifted: tuple[str, ...]
    columns: tuple[str, ...]
    share: float

    def line(self, shown: int = 8) -> str:
        """``drifted columns: k of n (names...)``."""
        names = ", ".join(self.drifted[:shown])
        more = f", and {len(self.drifted) - shown} more" if len(self.drifted) > shown else ""
        detail = f" ({names}{more})" if self.drifted else ""
        return f"drifted columns: {len(self.drifted)} of {len(self.columns)}{detail}"


def drift_summary(result: dict[str, Any]) -> DriftSummary:
    """Read the drifted columns from an Evidently 0.7 snapshot's ``dict()``.

    Each ``ValueDrift`` metric holds a p-value (drift below the threshold) or a distance
    (drift at or above it), as Evidently's own ``DriftedColumnsCount`` decides.

    Examples
    --------
    >>> drift_summary({"metrics": [
    ...     {"config": {"type": "evidently:metric_v2:DriftedColumnsCount"},
    ...      "value": {"count": 1.0, "share": 0.5}},
    ...     {"config": {"type": "evidently:metric_v2:ValueDrift", "column": "a",
    ...                 "method": "K-S p_value", "threshold": 0.05}, "value": 0.001},
    ...     {"config": {"type": "evidently:metric_v2:ValueDrift", "column": "b",
    ...                 "method": "Wasserstein distance (normed)", "threshold": 0.1},
    ...      "value": 0.02}]}).drifted
    ('a',)
    """
    drifted: list[str] = []
    columns: list[str] = []
    share = float("nan")
    for metric in result.get("metrics", []):
        config, value = metric.get("config", {}), metric.get("value")
        kind = str(config.get("type", ""))
        if kind.endswith("DriftedColumnsCount") and isinstance(value, dict):
            share = float(value.get("share", share))
        elif kind.endswith("ValueDrift") and isinstance(value, int | float):
            column, threshold = str(config["column"]), float(config["threshold"])
            columns.append(column)
            p_value = "p_value" in str(config.get("method", ""))
            if (value < threshold) if p_value else (value >= threshold):
                drifted.append(column)
    if not columns:
        raise DriftguardError("Evidently's result has no per-column drift (ValueDrift) metrics")
    return DriftSummary(tuple(drifted), tuple(columns), share)


def _extras() -> tuple[ModuleType, ModuleType, ModuleType]:
    try:
        import evidently
        import evidently.presets
        import pandas
    except ImportError as exc:
        raise ConfigurationError(
            f"driftguard report needs Evidently and pandas ({exc}): {EXTRAS_HINT}"
        ) from None
    return pandas, evidently, evidently.presets


def _frame(pandas: ModuleType, schema: Schema, columns: Columns) -> Any:
    data: dict[str, Any] = {}
    for spec in schema.features:
        values = columns[spec.name]
        if spec.kind is FeatureKind.NUMERIC:
            data[spec.name] = np.asarray(values, dtype=np.float64)
        else:
            data[spec.name] = [None if v == "" else str(v) for v in values.tolist()]
    return pandas.DataFrame(data, columns=list(schema.names))


def evidently_drift_report(
    schema: Schema, reference: Columns, current: Columns
) -> tuple[str, DriftSummary]:
    """Evidently's HTML and the drift summary of ``current`` against ``reference``.

    Parameters
    ----------
    schema : Schema
        Names and kinds of the features; both tables hold these columns, already conformed
        (numeric values as floats, categorical values as strings, ``""`` for missing).
    reference, current : mapping of column name to array
        The reference sample (e.g. a checkpoint profile's reservoir) and the rows to judge.

    Returns
    -------
    str, DriftSummary
        The standalone HTML page and the columns Evidently judged drifted.

    Raises
    ------
    ConfigurationError
        Evidently or pandas is not installed.
    DriftguardError
        Evidently failed (its error, in one line).
    """
    pandas, evidently, presets = _extras()
    kinds = {f.name: f.kind for f in schema.features}
    definition = evidently.DataDefinition(
        numerical_columns=[n for n, k in kinds.items() if k is FeatureKind.NUMERIC],
        categorical_columns=[n for n, k in kinds.items() if k is FeatureKind.CATEGORICAL],
    )
    datasets = [
        evidently.Dataset.from_pandas(_frame(pandas, schema, cols), data_definition=definition)
        for cols in (reference, current)
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy's and plotly's warnings on small categories
        try:
            snapshot = evidently.Report([presets.DataDriftPreset()]).run(
                current_data=datasets[1], reference_data=datasets[0]
            )
            html = snapshot.get_html_str(as_iframe=False)
            result = snapshot.dict()
        except Exception as exc:  # a third-party library: say what failed, in one line
            raise DriftguardError(
                f"Evidently could not build the report: {type(exc).__name__}: {exc}"
            ) from None
    return str(html), drift_summary(result)
