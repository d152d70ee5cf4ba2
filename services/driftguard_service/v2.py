"""Open Inference Protocol v2 tensors to validated rows, and predictions back to tensors.

Two input layouts are accepted, the ones MLServer's and KServe's runtimes use:

- one tensor of shape ``[rows, features]`` (any name), features in the model's schema order,
  row-major, flat or nested ``data``;
- one tensor per feature, named after it, of shape ``[rows]`` or ``[rows, 1]``.

Outputs are ``predict`` (``BYTES``, the labels) and ``predict_proba`` (``FP64``,
``[rows, classes]``); a request may ask for either.

Examples
--------
>>> flatten([[1, 2], [3, 4]])
[1, 2, 3, 4]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from driftguard.errors import InvalidInputError
from driftguard.schema.validation import InputValidator, ValidatedBatch
from driftguard.types import FeatureKind
from driftguard_service.schemas import InferenceRequest

__all__ = ["DATATYPES", "decode", "encode_outputs", "flatten", "input_metadata"]

DATATYPES = frozenset(
    {"BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64",
     "FP16", "FP32", "FP64", "BYTES"}
)  # fmt: skip
OUTPUTS = ("predict", "predict_proba")
MAX_DEPTH = 4


def flatten(data: list[Any], depth: int = 0, where: str = "inputs.data") -> list[Any]:
    """Row-major flattening of nested ``data`` (at most a few levels deep)."""
    if not any(isinstance(v, list) for v in data):
        return data
    if depth >= MAX_DEPTH:
        raise InvalidInputError(where, f"nested more than {MAX_DEPTH} levels deep")
    out: list[Any] = []
    for v in data:
        out.extend(flatten(v, depth + 1, where) if isinstance(v, list) else [v])
    return out


def _check_tensor(k: int, shape: list[int], datatype: str, data: list[Any]) -> list[Any]:
    where = f"inputs[{k}]"
    if datatype not in DATATYPES:
        raise InvalidInputError(f"{where}.datatype", f"unknown datatype {datatype!r}")
    if not shape or any(d < 0 for d in shape):
        raise InvalidInputError(f"{where}.shape", f"must be non-negative sizes, got {shape}")
    flat = flatten(data, where=f"{where}.data")
    expected = math.prod(shape)
    if len(flat) != expected:
        raise InvalidInputError(
            f"{where}.data", f"has {len(flat)} values but shape {shape} needs {expected}"
        )
    return flat


def decode(request: InferenceRequest, validator: InputValidator) -> ValidatedBatch:
    """Validate the request's input tensors against the model's schema."""
    names = validator.schema.names
    if not request.inputs:
        raise InvalidInputError("inputs", "at least one input tensor is required")
    _wanted(request)  # refuse an unknown output before the rows are scored and monitored
    first = request.inputs[0]
    if len(request.inputs) == 1 and first.name not in names:
        return _matrix(first.shape, first.datatype, first.data, validator)
    columns: dict[str, list[Any]] = {}
    for k, tensor in enumerate(request.inputs):
        flat = _check_tensor(k, tensor.shape, tensor.datatype, tensor.data)
        if len(tensor.shape) > 2 or (len(tensor.shape) == 2 and tensor.shape[1] != 1):
            raise InvalidInputError(
                f"inputs[{k}].shape",
                f"a per-feature tensor is [rows] or [rows, 1], not {tensor.shape}",
            )
        if tensor.name in columns:
            raise InvalidInputError(f"inputs[{k}].name", f"feature {tensor.name!r} given twice")
        columns[tensor.name] = flat
    index = {t.name: k for k, t in enumerate(request.inputs)}
    return validator.columns(columns, lambda name: lambda i: f"inputs[{index[name]}].data[{i}]")


def _matrix(
    shape: list[int], datatype: str, data: list[Any], validator: InputValidator
) -> ValidatedBatch:
    flat = _check_tensor(0, shape, datatype, data)
    n_features = len(validator.schema.names)
    if len(shape) != 2 or shape[1] != n_features:
        raise InvalidInputError(
            "inputs[0].shape",
            f"expected [rows, {n_features}] (features in schema order) or one tensor per "
            f"feature, got {shape}",
        )
    if shape[0] < 1:
        raise InvalidInputError("inputs", "at least one row is required")
    return validator.matrix(flat, shape[0], lambda i: f"inputs[0].data[{i}]")


def _wanted(request: InferenceRequest) -> list[str]:
    wanted = [o.name for o in request.outputs] if request.outputs else list(OUTPUTS)
    for k, name in enumerate(wanted):
        if name not in OUTPUTS:
            raise InvalidInputError(f"outputs[{k}].name", f"unknown output {name!r}; use {OUTPUTS}")
    return wanted


def encode_outputs(
    request: InferenceRequest, labels: tuple[str, ...], proba: npt.NDArray[np.float64]
) -> list[dict[str, Any]]:
    """The response tensors the request asked for (both by default)."""
    wanted = _wanted(request)
    rows = int(proba.shape[0])
    out = []
    if "predict" in wanted:
        predicted = [labels[i] for i in proba.argmax(axis=1).tolist()]
        out.append({"name": "predict", "shape": [rows], "datatype": "BYTES", "data": predicted})
    if "predict_proba" in wanted:
        out.append(
            {
                "name": "predict_proba",
                "shape": [rows, len(labels)],
                "datatype": "FP64",
                "data": proba.ravel().tolist(),
            }
        )
    return out


def input_metadata(validator: InputValidator) -> list[dict[str, Any]]:
    """One ``{"name", "datatype", "shape"}`` per feature."""
    return [
        {
            "name": f.name,
            "datatype": "FP64" if f.kind is FeatureKind.NUMERIC else "BYTES",
            "shape": [-1],
        }
        for f in validator.schema.features
    ]
