"""The ``.npz`` format of a fitted feedback screen, on plain state.

The codec never imports the class it encodes: :class:`ScreenState` holds the constructor
arguments, the fitted values and the arrays, and
:meth:`~driftguard.poisoning.screen.FeedbackScreen.to_bytes` /
:meth:`~driftguard.poisoning.screen.FeedbackScreen.from_bytes` convert between the screen and
that state.

The archive holds plain arrays only (read back with ``allow_pickle=False``): the format
version, the configuration, the kNN reference and the sorted calibration scores.

Examples
--------
>>> import numpy as np
>>> params = {"alpha": 0.01, "k": 2, "loss_weight": 0.5, "knn_weight": 0.5,
...           "max_reference": 5000, "seed": 0}
>>> state = ScreenState(params, 2, 0.0, np.array([[0.0], [5.0]], np.float32), np.array([0, 1]),
...                     np.array([0.1, 0.2]))
>>> again = state_from_bytes(state_to_bytes(state))
>>> again.params == params, again.n_classes, again.calibration_scores.tolist()
(True, 2, [0.1, 0.2])
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from driftguard.errors import SerializationError, UnsupportedVersionError

__all__ = [
    "FORMAT_VERSION",
    "PARAMS",
    "ScreenState",
    "inconsistent",
    "state_from_bytes",
    "state_to_bytes",
]

#: Version of the ``.npz`` layout written by :func:`state_to_bytes`.
FORMAT_VERSION = 1

#: The constructor arguments, in the order of the stored ``config`` array (which ends with
#: ``n_classes`` and ``clean_flag_rate``).
PARAMS = ("alpha", "k", "loss_weight", "knn_weight", "max_reference", "seed")
_INTEGERS = ("k", "max_reference", "seed")

_KEYS = ("format_version", "config", "reference_x", "reference_y", "calibration_scores")


@dataclass(frozen=True, eq=False)
class ScreenState:
    """Everything a fitted screen stores, as plain values and arrays.

    ``params`` are the constructor arguments (the names of :data:`PARAMS`), ``n_classes`` and
    ``clean_flag_rate`` the fitted values, then the kNN reference (float32 rows and class
    indices) and the sorted calibration scores.

    Examples
    --------
    >>> import numpy as np
    >>> params = dict(alpha=0.1, k=1, loss_weight=0.5, knn_weight=0.5, max_reference=9, seed=0)
    >>> one = np.zeros((1, 1), np.float32)
    >>> state = ScreenState(params, 2, 0.0, one, np.zeros(1, np.intp), np.ones(1))
    >>> state_from_bytes(state_to_bytes(state)).n_classes
    2
    """

    params: dict[str, Any]
    n_classes: int
    clean_flag_rate: float
    reference_x: npt.NDArray[np.float32]
    reference_y: npt.NDArray[np.intp]
    calibration_scores: npt.NDArray[np.float64]


def inconsistent(exc: Exception) -> SerializationError:
    """The error for an archive whose contents do not make a screen."""
    return SerializationError(f"feedback screen: inconsistent contents ({exc})")


def state_to_bytes(state: ScreenState) -> bytes:
    """The state of a fitted screen as ``.npz`` bytes.

    Examples
    --------
    >>> import numpy as np
    >>> params = dict(alpha=0.1, k=1, loss_weight=0.5, knn_weight=0.5, max_reference=9, seed=0)
    >>> one = np.zeros((1, 1), np.float32)
    >>> state_to_bytes(ScreenState(params, 2, 0.0, one, np.zeros(1, int), np.ones(1)))[:2]
    b'PK'
    """
    config = np.array(
        [*(state.params[name] for name in PARAMS), state.n_classes, state.clean_flag_rate],
        dtype=np.float64,
    )
    buffer = io.BytesIO()
    np.savez(
        buffer,
        format_version=np.array(FORMAT_VERSION, dtype=np.int64),
        config=config,
        reference_x=state.reference_x,
        reference_y=state.reference_y.astype(np.int64),
        calibration_scores=state.calibration_scores,
    )
    return buffer.getvalue()


def state_from_bytes(data: bytes) -> ScreenState:
    """Read the state written by :func:`state_to_bytes`.

    Examples
    --------
    >>> state_from_bytes(b"not a screen")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    driftguard.errors.SerializationError: feedback screen: not a readable .npz archive (...)
    """
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            arrays = {key: np.asarray(archive[key]) for key in _KEYS}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise SerializationError(f"feedback screen: not a readable .npz archive ({exc})") from None
    version = int(arrays["format_version"])
    if version != FORMAT_VERSION:
        raise UnsupportedVersionError(
            f"feedback screen: format version {version}, this release reads {FORMAT_VERSION}"
        )
    try:
        return _state(arrays)
    except (ValueError, IndexError, TypeError) as exc:
        raise inconsistent(exc) from None


def _state(arrays: dict[str, npt.NDArray[Any]]) -> ScreenState:
    config = arrays["config"]
    if config.shape != (8,):
        raise ValueError(f"config has shape {config.shape}, expected (8,)")
    *values, n_classes, clean_rate = config.tolist()
    params = {
        name: int(value) if name in _INTEGERS else value
        for name, value in zip(PARAMS, values, strict=True)
    }
    ref_x = arrays["reference_x"].astype(np.float32)
    ref_y = arrays["reference_y"].astype(np.intp)
    scores = arrays["calibration_scores"].astype(np.float64)
    if ref_x.ndim != 2 or ref_y.shape != (ref_x.shape[0],) or scores.ndim != 1:
        raise ValueError("reference or calibration arrays have the wrong shape")
    if ref_y.size and (ref_y.min() < 0 or ref_y.max() >= n_classes):
        raise ValueError("reference labels outside 0..n_classes-1")
    if not (np.isfinite(ref_x).all() and np.isfinite(scores).all()) or scores.size == 0:
        raise ValueError("non-finite or empty arrays")
    return ScreenState(
        params=params,
        n_classes=int(n_classes),
        clean_flag_rate=float(clean_rate),
        reference_x=ref_x,
        reference_y=ref_y,
        calibration_scores=np.sort(scores),
    )
