"""Store a fitted :class:`~driftguard.poisoning.screen.FeedbackScreen` as ``.npz`` bytes.

The archive holds plain arrays only (read back with ``allow_pickle=False``): the format
version, the configuration, the kNN reference and the sorted calibration scores.

Examples
--------
>>> import numpy as np
>>> from driftguard.poisoning.screen import FeedbackScreen
>>> x = np.array([[0.0], [1.0], [5.0], [6.0]])
>>> y = np.array([0, 0, 1, 1])
>>> p = np.array([[0.9, 0.1], [0.8, 0.2], [0.1, 0.9], [0.2, 0.8]])
>>> screen = FeedbackScreen(k=2).fit(x, y, p, y, x)
>>> again = screen_from_bytes(screen_to_bytes(screen))
>>> again.k, again.calibration_scores_.tolist() == screen.calibration_scores_.tolist()
(2, True)
"""

from __future__ import annotations

import io
import zipfile
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from driftguard.errors import DriftguardError, SerializationError, UnsupportedVersionError

if TYPE_CHECKING:
    from driftguard.poisoning.screen import FeedbackScreen

__all__ = ["FORMAT_VERSION", "screen_from_bytes", "screen_to_bytes"]

#: Version of the ``.npz`` layout written by :func:`screen_to_bytes`.
FORMAT_VERSION = 1

_KEYS = ("format_version", "config", "reference_x", "reference_y", "calibration_scores")


def screen_to_bytes(screen: FeedbackScreen) -> bytes:
    """The fitted screen as ``.npz`` bytes.

    Examples
    --------
    >>> import numpy as np
    >>> from driftguard.poisoning.screen import FeedbackScreen
    >>> x = np.array([[0.0], [1.0]])
    >>> screen_to_bytes(FeedbackScreen(k=1).fit(x, [0, 1], [[0.9, 0.1], [0.1, 0.9]], [0, 1], x))[:2]
    b'PK'
    """
    screen.check_fitted()
    config = np.array(
        [
            screen.alpha,
            screen.k,
            screen.loss_weight,
            screen.knn_weight,
            screen.max_reference,
            screen.seed,
            screen.n_classes_,
            screen.clean_flag_rate_,
        ],
        dtype=np.float64,
    )
    buffer = io.BytesIO()
    np.savez(
        buffer,
        format_version=np.array(FORMAT_VERSION, dtype=np.int64),
        config=config,
        reference_x=screen.reference_x_,
        reference_y=screen.reference_y_.astype(np.int64),
        calibration_scores=screen.calibration_scores_,
    )
    return buffer.getvalue()


def screen_from_bytes(data: bytes) -> FeedbackScreen:
    """Read a screen written by :func:`screen_to_bytes`.

    Examples
    --------
    >>> screen_from_bytes(b"not a screen")  # doctest: +ELLIPSIS
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
        return _rebuild(arrays)
    except (DriftguardError, ValueError, IndexError, TypeError) as exc:
        raise SerializationError(f"feedback screen: inconsistent contents ({exc})") from None


def _rebuild(arrays: dict[str, npt.NDArray[Any]]) -> FeedbackScreen:
    from driftguard.poisoning.screen import FeedbackScreen

    config = arrays["config"]
    if config.shape != (8,):
        raise ValueError(f"config has shape {config.shape}, expected (8,)")
    alpha, k, loss_w, knn_w, max_ref, seed, n_classes, clean_rate = config.tolist()
    screen = FeedbackScreen(
        alpha=alpha,
        k=int(k),
        loss_weight=loss_w,
        knn_weight=knn_w,
        max_reference=int(max_ref),
        seed=int(seed),
    )
    screen._validate()
    ref_x = arrays["reference_x"].astype(np.float32)
    ref_y = arrays["reference_y"].astype(np.intp)
    scores = arrays["calibration_scores"].astype(np.float64)
    if ref_x.ndim != 2 or ref_y.shape != (ref_x.shape[0],) or scores.ndim != 1:
        raise ValueError("reference or calibration arrays have the wrong shape")
    if ref_y.size and (ref_y.min() < 0 or ref_y.max() >= n_classes):
        raise ValueError("reference labels outside 0..n_classes-1")
    if not (np.isfinite(ref_x).all() and np.isfinite(scores).all()) or scores.size == 0:
        raise ValueError("non-finite or empty arrays")
    screen.reference_x_ = ref_x
    screen.reference_y_ = ref_y
    screen.n_classes_ = int(n_classes)
    screen.calibration_scores_ = np.sort(scores)
    screen.clean_flag_rate_ = float(clean_rate)
    return screen
