"""The explicit feature schema, request validation against it, and numeric array checks.

Step one of the data path: every row that reaches a model or a window is checked here first.

Examples
--------
>>> from driftguard.schema import infer_schema
>>> infer_schema({"age": [30.0, 41.0], "plan": ["free", "pro"]}).names
('age', 'plan')
"""

from driftguard.schema.arrays import finite_matrix
from driftguard.schema.features import (
    Columns,
    FeatureSpec,
    Schema,
    infer_schema,
    take_rows,
    to_columns,
)
from driftguard.schema.validation import InputValidator, ValidatedBatch

__all__ = [
    "Columns",
    "FeatureSpec",
    "InputValidator",
    "Schema",
    "ValidatedBatch",
    "finite_matrix",
    "infer_schema",
    "take_rows",
    "to_columns",
]
