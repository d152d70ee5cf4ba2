"""Save a fitted and calibrated :class:`RequestScorer` as ``.npz`` bytes, and read it back.

The archive holds plain float / bool arrays and one JSON string (format, version, the
constructor arguments and the used components); it is read with ``allow_pickle=False``.
Anything unreadable or inconsistent raises :class:`~driftguard.errors.SerializationError`.

Examples
--------
>>> import numpy as np
>>> from driftguard.adversarial.request import RequestScorer
>>> x = np.random.default_rng(0).normal(size=(40, 2))
>>> s = RequestScorer().fit(x, x, np.round(x), np.arange(40) % 2).calibrate(x, x, np.round(x))
>>> back = scorer_from_bytes(scorer_to_bytes(s))
>>> bool(np.array_equal(back.score(x, x, x).p_value, s.score(x, x, x).p_value))
True
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import numpy as np
import numpy.typing as npt

from driftguard.adversarial.conformal import ScoreScaler
from driftguard.adversarial.inputs import InputGrid, InputRange
from driftguard.adversarial.mahalanobis import TiedMahalanobis
from driftguard.adversarial.request import COMPONENTS, RequestScorer
from driftguard.errors import ConfigurationError, NotFittedError, SerializationError

__all__ = ["FORMAT", "VERSION", "scorer_from_bytes", "scorer_to_bytes"]

FORMAT = "driftguard.request_scorer"
VERSION = 1


def scorer_to_bytes(scorer: RequestScorer) -> bytes:
    """``.npz`` bytes of a calibrated scorer."""
    if not hasattr(scorer, "calibration_"):
        raise NotFittedError("RequestScorer is not calibrated; nothing to save")
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "params": scorer.get_params(),
        "used": list(scorer.used_),
    }
    arrays: dict[str, npt.NDArray[Any]] = {
        "meta": np.array(json.dumps(meta)),
        "whitening": scorer.mahalanobis_.whitening_,
        "means": scorer.mahalanobis_.means_,
        "center": scorer.scaler_.center_,
        "spread": scorer.scaler_.spread_,
        "calibration": scorer.calibration_,
        "calibration_components": scorer.calibration_components_,
    }
    if scorer.range_ is not None and scorer.grid_ is not None:
        arrays.update(
            low=scorer.range_.low_,
            high=scorer.range_.high_,
            unit=scorer.range_.unit_,
            offset=scorer.grid_.offset_,
            step=scorer.grid_.step_,
            has_grid=scorer.grid_.has_grid_,
        )
    buffer = io.BytesIO()
    np.savez(buffer, allow_pickle=False, **arrays)
    return buffer.getvalue()


def _load(data: bytes) -> dict[str, npt.NDArray[Any]]:
    try:
        with np.load(io.BytesIO(bytes(data)), allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, TypeError) as exc:
        raise SerializationError(f"{FORMAT}: not a readable .npz archive ({exc})") from None


def _meta(arrays: dict[str, npt.NDArray[Any]]) -> dict[str, Any]:
    try:
        meta = json.loads(str(arrays["meta"]))
    except (KeyError, ValueError) as exc:
        raise SerializationError(f"{FORMAT}: missing or malformed meta ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise SerializationError(f"not a {FORMAT} archive")
    if meta.get("version") != VERSION:
        raise SerializationError(f"{FORMAT}: version {meta.get('version')!r} is not supported")
    return meta


def scorer_from_bytes(data: bytes) -> RequestScorer:
    """Rebuild a scorer written by :func:`scorer_to_bytes`."""
    arrays = _load(data)
    meta = _meta(arrays)
    try:
        params = dict(meta["params"])
        params["scores"] = tuple(params["scores"])
        scorer = RequestScorer(**params)
        scorer._validate()
        scorer.used_ = tuple(str(c) for c in meta["used"])
        if not set(scorer.used_) <= set(COMPONENTS):
            raise ValueError(f"unknown components {scorer.used_}")
        scorer.uses_logit_scores_ = bool(set(scorer.used_) & set(COMPONENTS[:3]))
        scorer.mahalanobis_ = TiedMahalanobis.from_arrays(
            arrays["whitening"], arrays["means"], scorer.shrinkage, scorer.ridge
        )
        scorer.range_, scorer.grid_ = None, None
        if "low" in arrays:
            scorer.range_ = InputRange.from_arrays(arrays["low"], arrays["high"], arrays["unit"])
            scorer.grid_ = InputGrid.from_arrays(
                arrays["offset"], arrays["step"], arrays["has_grid"], scorer.grid_tolerance
            )
        scaler = ScoreScaler(scorer.quantile, scorer.degenerate_spread)
        scaler.center_, scaler.spread_ = arrays["center"], arrays["spread"]
        scorer.scaler_ = scaler
        scorer.calibration_ = np.asarray(arrays["calibration"], dtype=np.float64)
        scorer.calibration_components_ = arrays["calibration_components"]
    except (KeyError, TypeError, ValueError, ConfigurationError) as exc:
        raise SerializationError(f"{FORMAT}: malformed archive ({exc})") from None
    _check_shapes(scorer)
    return scorer


def _check_shapes(scorer: RequestScorer) -> None:
    k = len(scorer.used_)
    w, m = scorer.mahalanobis_.whitening_, scorer.mahalanobis_.means_
    ok = (
        w.ndim == 2
        and m.ndim == 2
        and m.shape[1] == w.shape[1]
        and scorer.scaler_.center_.shape == (k,)
        and scorer.scaler_.spread_.shape == (k,)
        and scorer.calibration_.ndim == 1
        and scorer.calibration_components_.shape == (len(scorer.calibration_), k)
        and (scorer.range_ is not None or not set(scorer.used_) & {"out_of_range", "off_grid"})
    )
    if not ok:
        raise SerializationError(f"{FORMAT}: arrays have inconsistent shapes")
