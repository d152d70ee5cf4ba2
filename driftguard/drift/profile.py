"""The reference profile: the statistical fingerprint a checkpoint carries.

``ReferenceProfile.fit`` splits the reference rows at random into a *fitted* part and a
*held-out* part. The fitted part fixes the bins (reference quantiles for numeric features, the
vocabulary for categorical ones), the reference counts and the moments; the held-out part is
resampled into windows of many sizes to calibrate each feature's null distribution (see
:mod:`driftguard.drift.nulls`). A bounded uniform sample of reference rows is kept for exact tests.

Examples
--------
>>> import numpy as np
>>> g = np.random.default_rng(0)
>>> ref = {"x": g.normal(size=2000), "c": g.choice(["a", "b"], size=2000)}
>>> profile = ReferenceProfile(n_bins=16, n_resamples=200).fit(ref)
>>> profile.methods_
('wasserstein', 'psi')
>>> window = profile.window({"x": g.normal(size=300), "c": g.choice(["a", "b"], size=300)})
>>> window.n_rows_
300
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Self

import numpy as np
import numpy.typing as npt

from driftguard.drift.binning import CategoricalBins, FloatArray, IntArray, NumericBins
from driftguard.drift.nulls import NullTable, calibrate, window_sizes
from driftguard.drift.scores import (
    DEFAULT_METHOD,
    SAMPLING_POWER,
    binned_wasserstein,
    check_method,
    divergence,
)
from driftguard.drift.window import Bins, WindowCounts, encode, layout_id
from driftguard.errors import ConfigurationError, EmptyDataError, NotFittedError
from driftguard.schema.features import (
    Columns,
    Schema,
    categorical_values,
    infer_schema,
    normalised_columns,
    numeric_values,
    take_rows,
    to_columns,
)
from driftguard.stats.resampling import rng
from driftguard.types import FeatureKind

__all__ = ["MIN_REFERENCE_ROWS", "ReferenceProfile"]

#: Fewest reference rows a profile can be fitted on.
MIN_REFERENCE_ROWS = 20


class ReferenceProfile:
    """Fixed bins, reference counts, moments, a reservoir and calibrated null scores.

    Parameters
    ----------
    n_bins : int, default 32
        Interior quantile bins per numeric feature.
    holdout : float, default 0.5
        Share of reference rows held out to calibrate thresholds (never used for bins).
    reservoir_size : int, default 10_000
        Reference rows kept verbatim for exact tests.
    n_resamples : int, default 1000
        Resampled windows per calibrated window size.
    max_window : int or None, default 10_000
        Largest window size to calibrate (never more than half the held-out rows; ``None``
        for that half). Larger windows use the null's sampling law, flagged as extrapolated.
    window_sizes : sequence of int, optional
        Exact window sizes to calibrate instead of the ladder (each at most the held-out
        rows), for users who know their window sizes.
    n_splits : int, default 50
        Random fitted/held-out splits of the reference the null windows are spread over
        (the first is the real split; see :mod:`driftguard.drift.nulls`).
    methods : mapping of str to str, optional
        Score method per feature (see :data:`driftguard.drift.scores.METHODS`); default
        ``"wasserstein"`` for numeric and ``"psi"`` for categorical features.
    seed : int, default 0
        Seed of every random choice (split, reservoir, resampling).

    Attributes
    ----------
    schema_, bins_, methods_, counts_, tails_, mean_, std_, n_fit_, n_holdout_,
    reservoir_, nulls_, layout_id_
        Learned by :meth:`fit`.

    Examples
    --------
    >>> import numpy as np
    >>> g = np.random.default_rng(1)
    >>> profile = ReferenceProfile(n_bins=8, n_resamples=100).fit({"x": g.normal(size=1000)})
    >>> profile.n_fit_, profile.n_holdout_, profile.bins_[0].n_interior
    (500, 500, 8)
    >>> profile.nulls_.sizes.tolist()
    [20, 50, 100, 200, 250]
    """

    def __init__(
        self,
        n_bins: int = 32,
        holdout: float = 0.5,
        reservoir_size: int = 10_000,
        n_resamples: int = 1000,
        max_window: int | None = 10_000,
        n_splits: int = 50,
        window_sizes: Sequence[int] | None = None,
        methods: Mapping[str, str] | None = None,
        seed: int = 0,
    ) -> None:
        self.n_bins = n_bins
        self.holdout = holdout
        self.reservoir_size = reservoir_size
        self.n_resamples = n_resamples
        self.max_window = max_window
        self.n_splits = n_splits
        self.window_sizes = window_sizes
        self.methods = methods
        self.seed = seed
        self._groups_cache: list[tuple[str, IntArray, IntArray, FloatArray, FloatArray]] | None
        self._groups_cache = None

    def validate(self) -> None:
        """Raise :class:`ConfigurationError` naming the first invalid parameter."""
        if not 1 <= self.n_bins <= 10_000:
            raise ConfigurationError(f"n_bins must be in [1, 10000], got {self.n_bins}")
        if not 0.0 < self.holdout < 1.0:
            raise ConfigurationError(f"holdout must be in (0, 1), got {self.holdout}")
        if self.n_resamples < 20:
            raise ConfigurationError(f"n_resamples must be at least 20, got {self.n_resamples}")
        if self.max_window is not None and self.max_window < 5:
            raise ConfigurationError(f"max_window must be at least 5, got {self.max_window}")
        if self.n_splits < 1:
            raise ConfigurationError(f"n_splits must be at least 1, got {self.n_splits}")
        if self.reservoir_size < 0:
            raise ConfigurationError("reservoir_size must be non-negative")

    def fit(
        self,
        reference: Any,
        schema: Schema | None = None,
        *,
        progress: Callable[[int, int], None] | None = None,
    ) -> Self:
        """Learn bins, counts, moments, reservoir and null scores from reference rows.

        ``progress(done, total)`` is called as the null calibration advances.
        """
        self.validate()
        self._groups_cache = None
        self._explicit_vocabulary = schema is not None
        schema = schema if schema is not None else infer_schema(reference)
        cols = to_columns(reference, schema.names)
        n_rows = len(next(iter(cols.values())))
        if n_rows < MIN_REFERENCE_ROWS:
            raise EmptyDataError(
                f"reference has {n_rows} rows; at least {MIN_REFERENCE_ROWS} are needed"
            )
        order = rng(self.seed).permutation(n_rows)
        n_holdout = max(round(n_rows * self.holdout), 10)
        fit_cols = take_rows(cols, order[n_holdout:])
        self.schema_ = schema
        self.bins_ = self._fit_bins(fit_cols)
        self.methods_ = self._resolve_methods()
        self.layout_id_ = layout_id(self.bins_, schema)
        self._fit_moments(fit_cols)
        fitted = self.window(fit_cols)
        self.counts_, self.tails_ = fitted.counts_, fitted.tails_
        self.n_fit_, self.n_holdout_ = n_rows - n_holdout, n_holdout
        keep = order[: min(self.reservoir_size, n_rows)]
        self.reservoir_ = normalised_columns(schema, take_rows(cols, np.sort(keep)))
        codes, tails = encode(schema, self.bins_, cols)
        self.nulls_ = calibrate(
            self.score_many,
            codes,
            tails,
            first_split=order,
            n_holdout=n_holdout,
            n_bins_total=int(self.counts_.size),
            sizes=self._sizes(n_holdout),
            n_resamples=self.n_resamples,
            n_splits=self.n_splits,
            seed=self.seed + 1,
            powers=np.array([SAMPLING_POWER[m] for m in self.methods_]),
            progress=progress,
        )
        return self

    def _sizes(self, n_holdout: int) -> tuple[int, ...]:
        if self.window_sizes is None:
            return window_sizes(n_holdout, self.max_window)
        sizes = tuple(sorted({int(s) for s in self.window_sizes}))
        if not sizes or sizes[0] < 2 or sizes[-1] > n_holdout:
            raise ConfigurationError(
                f"window_sizes must lie in [2, {n_holdout}] (the held-out rows), got {sizes}"
            )
        return sizes

    def _fit_bins(self, cols: Columns) -> tuple[Bins, ...]:
        bins: list[Bins] = []
        for spec in self.schema_.features:
            if spec.kind is FeatureKind.NUMERIC:
                values = numeric_values(spec.name, cols[spec.name])
                try:
                    bins.append(NumericBins.fit(values, self.n_bins))
                except EmptyDataError:
                    raise EmptyDataError(f"column {spec.name!r}: no finite values") from None
            else:
                vocab = spec.vocabulary if self._explicit_vocabulary else ()
                vocab = vocab or tuple(sorted(set(categorical_values(cols[spec.name])) - {""}))
                bins.append(CategoricalBins(vocab))
        return tuple(bins)

    def _resolve_methods(self) -> tuple[str, ...]:
        chosen = dict(self.methods or {})
        unknown = set(chosen) - set(self.schema_.names)
        if unknown:
            raise ConfigurationError(f"methods: unknown features {sorted(unknown)}")
        return tuple(
            check_method(f.name, chosen.get(f.name, DEFAULT_METHOD[f.kind]), f.kind)
            for f in self.schema_.features
        )

    def _fit_moments(self, cols: Columns) -> None:
        means, stds = [], []
        for spec in self.schema_.features:
            if spec.kind is FeatureKind.NUMERIC:
                values = numeric_values(spec.name, cols[spec.name])
                finite = values[np.isfinite(values)]
                means.append(float(finite.mean()))
                stds.append(float(finite.std()))
            else:
                means.append(np.nan)
                stds.append(np.nan)
        self.mean_ = np.asarray(means, dtype=np.float64)
        self.std_ = np.asarray(stds, dtype=np.float64)

    def _require_fitted(self) -> None:
        if not hasattr(self, "nulls_"):
            raise NotFittedError("ReferenceProfile is not fitted; call fit(reference) first")

    def new_window(self) -> WindowCounts:
        """An empty window on this profile's bins."""
        if not hasattr(self, "bins_"):
            raise NotFittedError("ReferenceProfile is not fitted; call fit(reference) first")
        return WindowCounts(self.schema_, self.bins_)

    def window(self, data: Any) -> WindowCounts:
        """A window holding ``data``'s rows."""
        return self.new_window().update(data)

    @property
    def offsets_(self) -> IntArray:
        """Start of each feature's bins in the flat layout (plus the total at the end)."""
        return np.cumsum([0, *(b.size for b in self.bins_)]).astype(np.int64)

    @property
    def _groups(self) -> list[tuple[str, IntArray, IntArray, FloatArray, FloatArray]]:
        """Features scored together (same method and layout size).

        Each group holds its method, feature indices, bin indices into the flat layout and,
        for Wasserstein, the interior bin widths and the reference std used as scale.
        """
        if self._groups_cache is None:
            offsets = self.offsets_
            keys: dict[tuple[str, int], list[int]] = {}
            for j, (b, method) in enumerate(zip(self.bins_, self.methods_, strict=True)):
                keys.setdefault((method, b.size), []).append(j)
            groups = []
            for (method, size), js in keys.items():
                index = offsets[js][:, None] + np.arange(size)
                widths, scale = np.empty(0), np.empty(0)
                if method == "wasserstein":
                    widths = np.stack([np.diff(self._numeric(j).edges) for j in js])
                    scale = np.where(self.std_[js] > 0, self.std_[js], 1.0)
                groups.append((method, np.asarray(js), index, widths, scale))
            self._groups_cache = groups
        return self._groups_cache

    def score_many(
        self, ref_counts: FloatArray, ref_tails: FloatArray, counts: FloatArray, tails: FloatArray
    ) -> FloatArray:
        """Score windows against references; all four arrays broadcast on a leading axis.

        Counts are flat ``(..., bins)`` and tails ``(..., features, 2)``.
        """
        out = np.empty((counts.shape[0], len(self.bins_)), dtype=np.float64)
        for method, js, index, widths, scale in self._groups:
            ref, cur = ref_counts[..., index], counts[..., index]
            if method == "wasserstein":
                out[:, js] = binned_wasserstein(
                    widths, ref, ref_tails[..., js, :], cur, tails[..., js, :], scale
                )
            else:
                out[:, js] = divergence(method, ref, cur)
        return out

    def _numeric(self, j: int) -> NumericBins:
        bins = self.bins_[j]
        if not isinstance(bins, NumericBins):
            raise ConfigurationError(f"feature {self.schema_.names[j]!r} is not numeric")
        return bins

    def scores(self, window: WindowCounts) -> FloatArray:
        """Per-feature scores of one window, in schema order."""
        self._require_fitted()
        if window.layout_id_ != self.layout_id_:
            raise ConfigurationError("window was not built on this profile's bins")
        return np.asarray(self.score_counts(window.counts_[None, :], window.tails_[None])[0])

    def score_windows(self, data: Any, window_rows: int) -> FloatArray:
        """Per-feature scores ``(windows, features)`` of consecutive ``window_rows``-row windows.

        The rows of ``data`` are cut into ``len(rows) // window_rows`` windows (a remainder is
        ignored) and all are scored in one pass: what :meth:`scores` gives each window on its
        own, for simulations and back-testing over many windows.

        Examples
        --------
        >>> import numpy as np
        >>> g = np.random.default_rng(0)
        >>> profile = ReferenceProfile(n_resamples=50).fit({"x": g.normal(size=2000)})
        >>> rows = {"x": g.normal(size=300)}
        >>> many = profile.score_windows(rows, 100)
        >>> bool(np.allclose(many[1], profile.scores(profile.window({"x": rows["x"][100:200]}))))
        True
        """
        self._require_fitted()
        if isinstance(window_rows, bool) or not isinstance(window_rows, int) or window_rows < 1:
            raise ConfigurationError(f"window_rows must be a positive integer, got {window_rows!r}")
        codes, tails = encode(self.schema_, self.bins_, data)
        n_windows = codes.shape[0] // window_rows
        if n_windows == 0:
            raise EmptyDataError(f"fewer rows than one window of {window_rows}")
        used = n_windows * window_rows
        tail_sums = tails[:used].reshape(n_windows, window_rows, *tails.shape[1:]).sum(axis=1)
        return self.score_counts(self.count_windows(codes[:used], window_rows), tail_sums)

    def count_windows(self, codes: npt.NDArray[np.integer[Any]], window_rows: int) -> IntArray:
        """Flat bin counts ``(windows, bins)`` of consecutive ``window_rows``-row runs of codes.

        ``codes`` are encoded rows ``(windows * window_rows, features)`` in the flat layout
        (:func:`~driftguard.drift.window.encode`).
        """
        n_windows = codes.shape[0] // window_rows
        n_bins = int(self.offsets_[-1])
        which = np.repeat(np.arange(n_windows) * n_bins, window_rows)[:, None]
        flat = np.bincount((codes + which).ravel(), minlength=n_windows * n_bins)
        return np.asarray(flat.reshape(n_windows, n_bins))

    def score_counts(self, counts: npt.ArrayLike, tail_sums: FloatArray) -> FloatArray:
        """Per-feature scores ``(windows, features)`` of windows' counts against the reference."""
        flat = np.asarray(counts, dtype=np.float64)
        ref = self.counts_.astype(np.float64)[None, :]
        return self.score_many(ref, self.tails_[None], flat, tail_sums)

    def calibration(self) -> NullTable:
        """The calibrated null table (raises if the profile is not fitted)."""
        self._require_fitted()
        return self.nulls_
