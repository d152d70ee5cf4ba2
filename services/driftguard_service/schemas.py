"""Request and response bodies of the public routes (they also make the OpenAPI schema).

Feature values are typed ``Any`` on purpose: the model's schema, not pydantic's coercion,
decides what a value may be (pydantic would turn the string ``"1.5"`` into a number), so the
error can name the feature.

Examples
--------
>>> PredictRequest(records=[{"x": 1.0}]).records[0]["x"]
1.0
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from driftguard_service.schemas_rules import RuleStandingModel

__all__ = [
    "MAX_VERSION",
    "AuditEntry",
    "FeedbackRequest",
    "FeedbackResponse",
    "InferenceRequest",
    "InferenceResponse",
    "ModelMetadata",
    "PredictRequest",
    "PredictResponse",
    "PromoteRequest",
    "RollbackRequest",
    "SignalsResponse",
    "SwitchResponse",
    "TensorInput",
    "VersionEntry",
]


MAX_VERSION = 2**31 - 1  # as the version path parameters; the registry stores SQLite int64


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PredictRequest(_Strict):
    """``POST /predict/{name}``: rows as objects of feature values."""

    records: list[dict[str, Any]] = Field(description="One object per row: {feature: value}")


class PredictResponse(BaseModel):
    """Predictions of ``POST /predict/{name}``."""

    model_name: str
    model_version: str
    request_id: str = Field(description="Quote it in POST /feedback")
    labels: list[str] = Field(description="Class labels, the column order of probabilities")
    predictions: list[str]
    probabilities: list[list[float]]


class TensorInput(BaseModel):
    """One input tensor of the Open Inference Protocol v2."""

    name: str
    shape: list[int]
    datatype: str
    data: list[Any]
    parameters: dict[str, Any] | None = None


class RequestedOutput(BaseModel):
    """An output the client asks for (``predict`` or ``predict_proba``)."""

    name: str
    parameters: dict[str, Any] | None = None


class InferenceRequest(BaseModel):
    """``POST /v2/models/{name}/infer``: one [rows, features] tensor or one per feature."""

    id: str | None = None
    parameters: dict[str, Any] | None = None
    inputs: list[TensorInput]
    outputs: list[RequestedOutput] | None = None


class TensorOutput(BaseModel):
    """One output tensor."""

    name: str
    shape: list[int]
    datatype: str
    data: list[Any]


class InferenceResponse(BaseModel):
    """Open Inference Protocol v2 response; ``parameters.request_id`` is for feedback."""

    model_name: str
    model_version: str
    id: str
    parameters: dict[str, Any]
    outputs: list[TensorOutput]


class TensorMetadata(BaseModel):
    """Name, datatype and shape of an input or output."""

    name: str
    datatype: str
    shape: list[int]


class ModelMetadata(BaseModel):
    """``GET /v2/models/{name}``."""

    name: str
    versions: list[str]
    platform: str
    inputs: list[TensorMetadata]
    outputs: list[TensorMetadata]
    active_version: str
    generation: int
    labels: list[str]
    input_schema: dict[str, Any]


class FeedbackRequest(_Strict):
    """``POST /feedback``: labels for a logged request, or for rows sent with the labels."""

    request_id: str | None = Field(default=None, description="From a prediction response")
    model: str | None = Field(default=None, description="Model name (with records)")
    records: list[dict[str, Any]] | None = Field(default=None, description="Rows, if no id")
    label: Any = Field(description="One label, or one per row")
    source: str = Field(default="", max_length=200, description="Who sent it (for screening)")


class FeedbackResponse(BaseModel):
    """What ``POST /feedback`` stored."""

    model_name: str
    model_version: str
    request_id: str
    rows: int
    flagged: int = 0
    quarantined: bool = False
    trusted_version: int | None = None


class PromoteRequest(_Strict):
    """``POST /models/{name}/promote``."""

    version: int = Field(ge=1, le=MAX_VERSION)
    reason: str = Field(default="", max_length=2000)


class RollbackRequest(_Strict):
    """``POST /models/{name}/rollback`` (default target: newest earlier known-good)."""

    version: int | None = Field(default=None, ge=1, le=MAX_VERSION)
    reason: str = Field(default="", max_length=2000)


class SwitchResponse(BaseModel):
    """ACTIVE after a promote or rollback."""

    model_name: str
    version: int
    generation: int
    previous: int | None


class VersionEntry(BaseModel):
    """One registered version."""

    version: int
    created: str
    status: str
    parent: int | None
    manifest_sha256: str
    active: bool


class AuditEntry(BaseModel):
    """One audit record."""

    id: int
    time: str
    name: str
    action: str
    actor: str
    reason: str
    evidence: dict[str, Any]
    from_version: int | None
    to_version: int | None
    generation: int


class Signal(BaseModel):
    """One monitoring signal (:class:`driftguard.types.Signal`)."""

    name: str
    kind: str
    value: float | None
    threshold: float | None
    status: str
    samples: int
    p_value: float | None = Field(
        default=None,
        description="Evidence against 'no change' for sequential rules (uniform when nothing "
        "changed), resting on data no earlier p-value of this signal used",
    )
    block: int | None = Field(
        default=None,
        description="Number of the disjoint block of data p_value rests on (counted once)",
    )


class SignalsResponse(BaseModel):
    """``GET /models/{name}/signals``."""

    model: str
    version: int
    signals: list[Signal]
    decision: dict[str, Any] | None
    window: dict[str, Any]
    rules: list[RuleStandingModel] = Field(
        description="Every rule of the policy: false-decision interval, evidence so far"
    )
    windows_per_s: float | None = Field(
        description="Windows the guard decided on a second lately (null: fewer than two yet)"
    )
    planned_windows_per_s: float = Field(description="The policy's planning traffic, in windows")
