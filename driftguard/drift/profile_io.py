"""Save and load reference profiles: one ``.npz`` file, JSON header plus float64 arrays.

The header (``__meta__``, UTF-8 JSON) holds the format name and version, the constructor
parameters, the schema, the bins and the methods; arrays hold counts, tails, moments, the
reservoir and the null table. Files are written to a temporary name and renamed, so a crash
never leaves half a profile; loading never unpickles (``allow_pickle=False``) and checks the
bin fingerprint.

Examples
--------
>>> import numpy as np, tempfile, pathlib
>>> from driftguard.drift.profile import ReferenceProfile
>>> p = ReferenceProfile(n_resamples=50).fit({"x": np.arange(200.0)})
>>> path = pathlib.Path(tempfile.mkdtemp()) / "ref.npz"
>>> load_profile(save_profile(p, path)).layout_id_ == p.layout_id_
True
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from driftguard.drift.binning import CategoricalBins, NumericBins
from driftguard.drift.nulls import NullTable
from driftguard.drift.profile import ReferenceProfile
from driftguard.drift.scores import SAMPLING_POWER
from driftguard.drift.window import Bins, layout_id
from driftguard.errors import SerializationError, UnsupportedVersionError
from driftguard.schema.features import Schema
from driftguard.types import FeatureKind

__all__ = ["FORMAT", "VERSION", "load_profile", "save_profile"]

FORMAT = "driftguard.profile"
VERSION = 1


def _bins_to_json(bins: Bins) -> dict[str, Any]:
    if isinstance(bins, NumericBins):
        return {"edges": bins.edges.tolist()}
    return {"vocabulary": list(bins.vocabulary)}


def _bins_from_json(data: dict[str, Any]) -> Bins:
    if "edges" in data:
        return NumericBins(np.asarray(data["edges"], dtype=np.float64))
    return CategoricalBins(tuple(str(v) for v in data["vocabulary"]))


def save_profile(profile: ReferenceProfile, path: str | os.PathLike[str]) -> Path:
    """Write a fitted profile to ``path`` atomically and return the path."""
    nulls = profile.calibration()
    target = Path(path)
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "params": {
            "n_bins": profile.n_bins,
            "holdout": profile.holdout,
            "reservoir_size": profile.reservoir_size,
            "n_resamples": profile.n_resamples,
            "max_window": profile.max_window,
            "n_splits": profile.n_splits,
            "window_sizes": None if profile.window_sizes is None else list(profile.window_sizes),
            "methods": dict(profile.methods or {}),
            "seed": profile.seed,
        },
        "schema": profile.schema_.to_dict(),
        "bins": [_bins_to_json(b) for b in profile.bins_],
        "methods": list(profile.methods_),
        "n_fit": profile.n_fit_,
        "n_holdout": profile.n_holdout_,
        "layout_id": profile.layout_id_,
    }
    arrays: dict[str, Any] = {
        "__meta__": np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
        "counts": profile.counts_,
        "tails": profile.tails_,
        "mean": profile.mean_,
        "std": profile.std_,
        "null_sizes": nulls.sizes,
        "null_scores": nulls.scores,
    }
    for j, name in enumerate(profile.schema_.names):
        arrays[f"reservoir_{j}"] = profile.reservoir_[name]
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez_compressed(handle, **arrays)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _read(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray[Any, Any]]]:
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except FileNotFoundError:
        raise SerializationError(f"{path}: no such profile file") from None
    except (OSError, ValueError, EOFError, zlib.error, zipfile.BadZipFile) as exc:
        raise SerializationError(f"{path}: not a driftguard profile ({exc})") from None
    if "__meta__" not in arrays:
        raise SerializationError(f"{path}: not a driftguard profile (no header)")
    try:
        meta = json.loads(arrays.pop("__meta__").tobytes().decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SerializationError(f"{path}: unreadable profile header ({exc})") from None
    if meta.get("format") != FORMAT:
        raise SerializationError(f"{path}: format {meta.get('format')!r} is not {FORMAT!r}")
    if meta.get("version") != VERSION:
        raise UnsupportedVersionError(
            f"{path}: profile format version {meta.get('version')!r} is not supported "
            f"(this driftguard reads version {VERSION})"
        )
    return meta, arrays


def load_profile(path: str | os.PathLike[str]) -> ReferenceProfile:
    """Read a profile written by :func:`save_profile`; raise a clear error if it cannot."""
    source = Path(path)
    meta, arrays = _read(source)
    try:
        profile = ReferenceProfile(**meta["params"])
        schema = Schema.from_dict(meta["schema"])
        profile.schema_ = schema
        profile.bins_ = tuple(_bins_from_json(b) for b in meta["bins"])
        profile.methods_ = tuple(str(m) for m in meta["methods"])
        profile.n_fit_, profile.n_holdout_ = int(meta["n_fit"]), int(meta["n_holdout"])
        profile.counts_ = arrays["counts"].astype(np.int64)
        profile.tails_ = arrays["tails"].astype(np.float64)
        profile.mean_ = arrays["mean"].astype(np.float64)
        profile.std_ = arrays["std"].astype(np.float64)
        profile.reservoir_ = {
            f.name: arrays[f"reservoir_{j}"].astype(
                np.float64 if f.kind is FeatureKind.NUMERIC else str
            )
            for j, f in enumerate(schema.features)
        }
        profile.nulls_ = NullTable(
            arrays["null_sizes"].astype(np.int64),
            arrays["null_scores"].astype(np.float64),
            profile.n_fit_,
            np.array([SAMPLING_POWER[m] for m in profile.methods_]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise SerializationError(f"{source}: incomplete profile ({exc})") from None
    profile.layout_id_ = layout_id(profile.bins_, schema)
    if profile.layout_id_ != meta["layout_id"]:
        raise SerializationError(f"{source}: bin fingerprint mismatch (file altered?)")
    return profile
