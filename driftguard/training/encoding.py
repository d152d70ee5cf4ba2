"""Turn schema'd columns into the float32 matrix a neural network reads (numpy only).

Numeric features are standardised with the training mean and standard deviation (a constant
feature gets a standard deviation of 1); NaN is imputed with the training mean, so it encodes
as 0, and ±inf is clipped to the smallest / largest finite training value. Categorical
features are one-hot encoded over the training vocabulary plus one *unseen* column for labels
the training data never had; a missing label encodes as all zeros. ``categorical="drop"``
leaves categorical features out.

The fitted encoder round-trips through :meth:`TabularEncoder.to_dict` (JSON-ready, with a
format name and version) so that a checkpoint can rebuild the exact transform.

Examples
--------
>>> import numpy as np
>>> from driftguard.schema.features import infer_schema
>>> cols = {"age": np.array([20.0, 40.0, np.nan]), "city": np.array(["a", "b", "a"])}
>>> enc = TabularEncoder(infer_schema(cols)).fit(cols)
>>> enc.feature_names_
('age', 'city=a', 'city=b', 'city=<unseen>')
>>> enc.transform({"age": np.array([30.0]), "city": np.array(["z"])}).tolist()
[[0.0, 0.0, 0.0, 1.0]]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

import numpy as np
import numpy.typing as npt

from driftguard.errors import (
    ConfigurationError,
    NotFittedError,
    SerializationError,
    TrainingDataError,
    UnsupportedVersionError,
)
from driftguard.schema.features import Columns, Schema, normalised_columns
from driftguard.types import FeatureKind

__all__ = ["CATEGORICAL_MODES", "FORMAT", "UNSEEN", "VERSION", "TabularEncoder"]

FORMAT = "driftguard.tabular_encoder"
VERSION = 1
#: Ways to encode categorical features.
CATEGORICAL_MODES = ("onehot", "drop")
#: Suffix of the one-hot column that receives labels outside the training vocabulary.
UNSEEN = "<unseen>"
MAX_Z = 1e6


class TabularEncoder:
    """Standardise numeric features and one-hot encode categorical ones.

    Parameters
    ----------
    schema : Schema
        The features to encode, in order.
    categorical : {"onehot", "drop"}, default "onehot"
        One-hot encode categorical features (plus an unseen column), or leave them out.

    Attributes
    ----------
    mean_, std_, low_, high_ : dict of str to float
        Per numeric feature: training mean and standard deviation (used to standardise)
        and the finite range (used to clip ±inf).
    vocabulary_ : dict of str to tuple of str
        Per categorical feature: the sorted labels seen in training.
    feature_names_ : tuple of str
        Names of the output columns (``name`` or ``name=label``).

    Examples
    --------
    >>> import numpy as np
    >>> from driftguard.schema.features import infer_schema
    >>> cols = {"x": np.array([1.0, 3.0, np.inf])}
    >>> enc = TabularEncoder(infer_schema(cols)).fit(cols)
    >>> enc.mean_["x"], enc.std_["x"]
    (2.0, 1.0)
    >>> enc.transform(cols).ravel().tolist()
    [-1.0, 1.0, 1.0]
    """

    def __init__(self, schema: Schema, categorical: str = "onehot") -> None:
        self.schema = schema
        self.categorical = categorical

    def _validate(self) -> None:
        if not isinstance(self.schema, Schema):
            raise ConfigurationError(f"schema must be a Schema, got {type(self.schema).__name__}")
        if self.categorical not in CATEGORICAL_MODES:
            raise ConfigurationError(
                f"categorical must be one of {CATEGORICAL_MODES}, got {self.categorical!r}"
            )

    def fit(self, columns: Mapping[str, Any] | Any) -> Self:
        """Learn the standardisation and vocabularies from training ``columns``."""
        self._validate()
        cols = normalised_columns(self.schema, columns)
        mean: dict[str, float] = {}
        std: dict[str, float] = {}
        low: dict[str, float] = {}
        high: dict[str, float] = {}
        vocabulary: dict[str, tuple[str, ...]] = {}
        for spec in self.schema.features:
            values = cols[spec.name]
            if spec.kind is FeatureKind.NUMERIC:
                finite = values[np.isfinite(values)]
                if finite.size == 0:
                    raise TrainingDataError(f"column {spec.name!r}: no finite training values")
                mean[spec.name] = float(finite.mean())
                sd = float(finite.std())
                std[spec.name] = sd if sd > 0.0 and np.isfinite(sd) else 1.0
                low[spec.name], high[spec.name] = float(finite.min()), float(finite.max())
            elif self.categorical == "onehot":
                vocabulary[spec.name] = tuple(sorted(set(values.tolist()) - {""}))
        self.mean_, self.std_, self.low_, self.high_ = mean, std, low, high
        self.vocabulary_ = vocabulary
        self.feature_names_ = self._names()
        if not self.feature_names_:
            raise ConfigurationError("categorical='drop' leaves no feature to encode")
        return self

    def _names(self) -> tuple[str, ...]:
        names: list[str] = []
        for spec in self.schema.features:
            if spec.name in self.mean_:
                names.append(spec.name)
            elif spec.name in self.vocabulary_:
                labels = (*self.vocabulary_[spec.name], UNSEEN)
                names.extend(f"{spec.name}={label}" for label in labels)
        return tuple(names)

    def transform(self, columns: Mapping[str, Any] | Any) -> npt.NDArray[np.float32]:
        """Encode ``columns`` (any input :func:`~driftguard.schema.features.to_columns` reads)."""
        if not hasattr(self, "feature_names_"):
            raise NotFittedError("TabularEncoder is not fitted; call fit(columns) first")
        cols: Columns = normalised_columns(self.schema, columns)
        n = len(next(iter(cols.values())))
        numeric = self._numeric(cols)
        if len(self.mean_) == len(self.schema.features):
            return numeric.astype(np.float32)
        blocks: list[npt.NDArray[np.float64]] = []
        numeric_names = [f.name for f in self.schema.features if f.name in self.mean_]
        position = {name: j for j, name in enumerate(numeric_names)}
        for spec in self.schema.features:
            if spec.name in self.mean_:
                blocks.append(numeric[:, position[spec.name], None])
            elif spec.name in self.vocabulary_:
                blocks.append(self._onehot(spec.name, cols[spec.name], n))
        return np.concatenate(blocks, axis=1).astype(np.float32)

    def _vectors(self) -> tuple[npt.NDArray[np.float64], ...]:
        """Mean, std, low and high of the numeric features in schema order (cached)."""
        cached = getattr(self, "_vectors_", None)
        if cached is None:
            names = [f.name for f in self.schema.features if f.name in self.mean_]
            cached = tuple(
                np.array([table[k] for k in names], dtype=np.float64)
                for table in (self.mean_, self.std_, self.low_, self.high_)
            )
            self._vectors_ = cached
        return cached

    @property
    def all_numeric(self) -> bool:
        """Every feature is numeric (then :meth:`transform_matrix` applies)."""
        return len(self.mean_) == len(self.schema.features)

    def transform_matrix(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float32]:
        """Encode a ``(rows, features)`` float64 matrix in schema order (all-numeric schemas)."""
        if not self.all_numeric:
            raise ConfigurationError("transform_matrix needs an all-numeric schema")
        return self._scale(x).astype(np.float32)

    def _scale(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        mean, std, low, high = self._vectors()
        x = np.where(np.isnan(x), mean, x)
        x = np.where(x == np.inf, high, x)
        x = np.where(x == -np.inf, low, x)
        with np.errstate(over="ignore"):  # overflow to inf is clipped just below
            z = (x - mean) / std
        # Values a million standard deviations out are clipped, so that float32 cannot overflow.
        return np.asarray(np.clip(z, -MAX_Z, MAX_Z), dtype=np.float64)

    def _numeric(self, cols: Columns) -> npt.NDArray[np.float64]:
        """All numeric features at once, in schema order: impute, clip, scale."""
        names = [f.name for f in self.schema.features if f.name in self.mean_]
        if not names:
            return np.empty((len(next(iter(cols.values()))), 0))
        return self._scale(np.column_stack([cols[name] for name in names]))

    def _onehot(self, name: str, labels: npt.NDArray[Any], n: int) -> npt.NDArray[np.float64]:
        vocab = np.asarray(self.vocabulary_[name], dtype=str)
        out = np.zeros((n, len(vocab) + 1), dtype=np.float64)
        rows = np.arange(n)
        if len(vocab):
            pos = np.minimum(np.searchsorted(vocab, labels), len(vocab) - 1)
            seen = vocab[pos] == labels
            out[rows[seen], pos[seen]] = 1.0
        else:
            seen = np.zeros(n, dtype=bool)
        out[rows[~seen & (labels != "")], len(vocab)] = 1.0
        return out

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description that :meth:`from_dict` rebuilds exactly."""
        if not hasattr(self, "feature_names_"):
            raise NotFittedError("TabularEncoder is not fitted; call fit(columns) first")
        return {
            "format": FORMAT,
            "version": VERSION,
            "categorical": self.categorical,
            "schema": self.schema.to_dict(),
            "numeric": {
                name: {
                    "mean": self.mean_[name],
                    "std": self.std_[name],
                    "low": self.low_[name],
                    "high": self.high_[name],
                }
                for name in self.mean_
            },
            "vocabulary": {name: list(labels) for name, labels in self.vocabulary_.items()},
            "feature_names": list(self.feature_names_),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TabularEncoder:
        """Rebuild a fitted encoder written by :meth:`to_dict`."""
        if not isinstance(data, Mapping) or data.get("format") != FORMAT:
            raise SerializationError(f"not a {FORMAT} description")
        if data.get("version") != VERSION:
            raise UnsupportedVersionError(
                f"{FORMAT} version {data.get('version')!r} is not supported (expected {VERSION})"
            )
        try:
            enc = cls(Schema.from_dict(data["schema"]), str(data["categorical"]))
            numeric = data["numeric"]
            enc.mean_ = {k: float(v["mean"]) for k, v in numeric.items()}
            enc.std_ = {k: float(v["std"]) for k, v in numeric.items()}
            enc.low_ = {k: float(v["low"]) for k, v in numeric.items()}
            enc.high_ = {k: float(v["high"]) for k, v in numeric.items()}
            enc.vocabulary_ = {
                k: tuple(sorted(str(s) for s in v)) for k, v in data["vocabulary"].items()
            }
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise SerializationError(f"{FORMAT}: malformed description ({exc})") from exc
        enc._validate()
        enc.feature_names_ = enc._names()
        if list(enc.feature_names_) != list(data.get("feature_names", enc.feature_names_)):
            raise SerializationError(f"{FORMAT}: feature names do not match the description")
        return enc
