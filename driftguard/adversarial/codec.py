"""The ``.npz`` format of a fitted and calibrated request scorer, on plain state.

The codec never imports the class it encodes: :class:`ScorerState` holds the constructor
arguments, the used components and the learned arrays, and
:meth:`~driftguard.adversarial.request.RequestScorer.to_bytes` /
:meth:`~driftguard.adversarial.request.RequestScorer.from_bytes` convert between the scorer
and that state.

The archive holds plain float / bool arrays and one JSON string (format, version, the
constructor arguments and the used components); it is read with ``allow_pickle=False``.
Anything unreadable or inconsistent raises :class:`~driftguard.errors.SerializationError`.

Examples
--------
>>> import numpy as np
>>> state = ScorerState(
...     params={"alpha": 0.01, "scores": ["mahalanobis"]}, used=("mahalanobis",),
...     whitening=np.eye(2), means=np.zeros((2, 2)), center=np.zeros(1), spread=np.ones(1),
...     calibration=np.arange(3.0), calibration_components=np.zeros((3, 1)))
>>> back = state_from_bytes(state_to_bytes(state))
>>> back.params, back.used, back.raw, back.whitening.tolist()
({'alpha': 0.01, 'scores': ['mahalanobis']}, ('mahalanobis',), None, [[1.0, 0.0], [0.0, 1.0]])
>>> state_from_bytes(b"nope")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
driftguard.errors.SerializationError: driftguard.request_scorer: not a readable .npz archive (...)
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from driftguard.adversarial.results import COMPONENTS
from driftguard.errors import SerializationError

__all__ = [
    "FORMAT",
    "RAW_ARRAYS",
    "VERSION",
    "ScorerState",
    "inconsistent_shapes",
    "malformed",
    "state_from_bytes",
    "state_to_bytes",
]

FORMAT = "driftguard.request_scorer"
VERSION = 1

#: The arrays of the raw-value checks (range, then grid), present only when fitted with raw data.
RAW_ARRAYS = ("low", "high", "unit", "offset", "step", "has_grid")

Array = npt.NDArray[Any]


@dataclass(frozen=True, eq=False)
class ScorerState:
    """Everything a calibrated scorer stores, as plain values and arrays.

    ``params`` are the JSON-ready constructor arguments (``get_params()``), ``used`` the
    components of the combined score; the arrays are the Mahalanobis whitening and class
    means, the scaler's center and spread, the sorted calibration scores (combined and per
    component) and, when the scorer has raw data, ``raw``: the arrays of :data:`RAW_ARRAYS`.

    Examples
    --------
    >>> import numpy as np
    >>> z = np.zeros((2, 2))
    >>> state = ScorerState({"alpha": 0.01}, ("mahalanobis",), z, z, z[0, :1], z[0, :1],
    ...                     np.zeros(3), np.zeros((3, 1)))
    >>> state_from_bytes(state_to_bytes(state)).used
    ('mahalanobis',)
    """

    params: dict[str, Any]
    used: tuple[str, ...]
    whitening: Array
    means: Array
    center: Array
    spread: Array
    calibration: Array
    calibration_components: Array
    raw: dict[str, Array] | None = None


def malformed(exc: Exception) -> SerializationError:
    """The error for an archive whose contents do not make a scorer."""
    return SerializationError(f"{FORMAT}: malformed archive ({exc})")


def inconsistent_shapes() -> SerializationError:
    """The error for an archive whose arrays do not fit together."""
    return SerializationError(f"{FORMAT}: arrays have inconsistent shapes")


def state_to_bytes(state: ScorerState) -> bytes:
    """``.npz`` bytes of a scorer's state."""
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "params": state.params,
        "used": list(state.used),
    }
    arrays: dict[str, Array] = {
        "meta": np.array(json.dumps(meta)),
        "whitening": state.whitening,
        "means": state.means,
        "center": state.center,
        "spread": state.spread,
        "calibration": state.calibration,
        "calibration_components": state.calibration_components,
    }
    if state.raw is not None:
        arrays.update((name, state.raw[name]) for name in RAW_ARRAYS)
    buffer = io.BytesIO()
    np.savez(buffer, allow_pickle=False, **arrays)
    return buffer.getvalue()


def _load(data: bytes) -> dict[str, Array]:
    try:
        with np.load(io.BytesIO(bytes(data)), allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, TypeError) as exc:
        raise SerializationError(f"{FORMAT}: not a readable .npz archive ({exc})") from None


def _meta(arrays: dict[str, Array]) -> dict[str, Any]:
    try:
        meta = json.loads(str(arrays["meta"]))
    except (KeyError, ValueError) as exc:
        raise SerializationError(f"{FORMAT}: missing or malformed meta ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise SerializationError(f"not a {FORMAT} archive")
    if meta.get("version") != VERSION:
        raise SerializationError(f"{FORMAT}: version {meta.get('version')!r} is not supported")
    return meta


def state_from_bytes(data: bytes) -> ScorerState:
    """Read the state written by :func:`state_to_bytes` (raises ``SerializationError``)."""
    arrays = _load(data)
    meta = _meta(arrays)
    try:
        params = dict(meta["params"])
        used = tuple(str(c) for c in meta["used"])
        if not set(used) <= set(COMPONENTS):
            raise ValueError(f"unknown components {used}")
        raw = {name: arrays[name] for name in RAW_ARRAYS} if "low" in arrays else None
        return ScorerState(
            params=params,
            used=used,
            whitening=arrays["whitening"],
            means=arrays["means"],
            center=arrays["center"],
            spread=arrays["spread"],
            calibration=arrays["calibration"],
            calibration_components=arrays["calibration_components"],
            raw=raw,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise malformed(exc) from None
