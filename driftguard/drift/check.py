"""The drift verdict: calibrated per-feature tests plus a dataset-level decision.

A feature drifts when its resampling p-value, corrected across features (Holm by default,
or Benjamini-Hochberg), is at most ``alpha`` *and* its score reaches a practical effect size
(default 0.1 for every method: a tenth of a reference std for Wasserstein, PSI 0.1, ...). The
dataset drifts when the dataset statistic (the largest score-to-null-quantile ratio, calibrated
on whole resampled rows) exceeds its (1 - alpha) null quantile because of a feature that also
reaches its effect size. With ``min_effect=0`` the dataset verdict's false-alarm rate is
``alpha``; the effect gate only removes alarms.

Examples
--------
>>> import numpy as np
>>> from driftguard.drift.profile import ReferenceProfile
>>> g = np.random.default_rng(0)
>>> profile = ReferenceProfile(n_resamples=200).fit({"x": g.normal(size=4000)})
>>> report = DriftCheck().run(profile, {"x": g.normal(0.5, 1.0, size=500)})
>>> report.drift, report.drifted_features
(True, ('x',))
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from driftguard.drift.binning import CategoricalBins
from driftguard.drift.profile import ReferenceProfile
from driftguard.drift.scores import DEFAULT_MIN_EFFECT
from driftguard.drift.window import WindowCounts
from driftguard.errors import ConfigurationError, EmptyDataError
from driftguard.schema.features import normalised_columns
from driftguard.stats.binned import chi2
from driftguard.stats.multiple import CORRECTIONS, adjust
from driftguard.stats.samples import cvm, ks
from driftguard.types import DriftReport, FeatureDrift, FeatureKind, StatResult

__all__ = ["DriftCheck", "exact_tests"]


class DriftCheck:
    """Decide drift of a window against a fitted :class:`ReferenceProfile`.

    Parameters
    ----------
    alpha : float, default 0.05
        Target false-alarm rate of the dataset verdict, and the per-feature level.
    correction : {"holm", "bh", "none"}, default "holm"
        Multiple-testing correction of the per-feature p-values.
    min_effect : float, mapping of feature to float, or None
        Practical effect size a score must reach to count as drift. ``None`` uses 0.1 for
        every method; a mapping overrides single features; ``0`` disables the gate.

    Examples
    --------
    >>> import numpy as np
    >>> from driftguard.drift.profile import ReferenceProfile
    >>> g = np.random.default_rng(2)
    >>> profile = ReferenceProfile(n_resamples=200).fit({"x": g.normal(size=4000)})
    >>> DriftCheck(alpha=0.01).run(profile, {"x": g.normal(size=500)}).drift
    False
    """

    def __init__(
        self,
        alpha: float = 0.05,
        correction: str = "holm",
        min_effect: float | Mapping[str, float] | None = None,
    ) -> None:
        self.alpha = alpha
        self.correction = correction
        self.min_effect = min_effect

    def validate(self) -> None:
        """Raise :class:`ConfigurationError` naming the first invalid parameter."""
        if not 0.0 < self.alpha < 1.0:
            raise ConfigurationError(f"alpha must be in (0, 1), got {self.alpha}")
        if self.correction not in CORRECTIONS:
            raise ConfigurationError(
                f"correction: {self.correction!r} is not one of {sorted(CORRECTIONS)}"
            )

    def effect_sizes(self, profile: ReferenceProfile) -> np.ndarray[Any, np.dtype[np.float64]]:
        """The minimum effect size of every feature, in schema order."""
        names = profile.schema_.names
        defaults = [DEFAULT_MIN_EFFECT[m] for m in profile.methods_]
        if self.min_effect is None:
            return np.asarray(defaults, dtype=np.float64)
        if isinstance(self.min_effect, Mapping):
            unknown = set(self.min_effect) - set(names)
            if unknown:
                raise ConfigurationError(f"min_effect: unknown features {sorted(unknown)}")
            return np.asarray(
                [self.min_effect.get(n, d) for n, d in zip(names, defaults, strict=True)],
                dtype=np.float64,
            )
        return np.full(len(names), float(self.min_effect))

    def run(self, profile: ReferenceProfile, current: WindowCounts | Any) -> DriftReport:
        """Score ``current`` (a window or rows) against ``profile`` and decide."""
        self.validate()
        window = current if isinstance(current, WindowCounts) else profile.window(current)
        n = window.n_rows_
        if n == 0:
            raise EmptyDataError("current window has no rows")
        nulls = profile.calibration()
        scores = profile.scores(window)
        effect = self.effect_sizes(profile)
        thresholds = nulls.quantiles(n, 1 - self.alpha)
        p_values = nulls.p_values(n, scores)
        p_adjusted = adjust(p_values, self.correction)
        flags = (p_adjusted <= self.alpha) & (scores >= effect)
        ratios = nulls.dataset_ratio(n, scores)
        dataset_threshold = nulls.dataset_threshold(n, self.alpha)
        dataset_drift = bool(np.any((ratios > dataset_threshold) & (scores >= effect)))
        features = tuple(
            FeatureDrift(
                feature=name,
                method=profile.methods_[j],
                score=float(scores[j]),
                threshold=float(thresholds[j]),
                p_value=float(p_values[j]),
                p_adjusted=float(p_adjusted[j]),
                min_effect=float(effect[j]),
                drift=bool(flags[j]),
            )
            for j, name in enumerate(profile.schema_.names)
        )
        return DriftReport(
            n_rows=n,
            alpha=self.alpha,
            correction=self.correction,
            dataset_score=float(ratios.max()),
            dataset_threshold=dataset_threshold,
            dataset_p_value=nulls.dataset_p_value(n, scores),
            drift=dataset_drift,
            features=features,
            calibrated=nulls.calibrated(n),
        )


_EXACT = {"ks": ks, "cvm": cvm}


def exact_tests(
    profile: ReferenceProfile, current: Any, *, test: str = "ks"
) -> dict[str, StatResult]:
    """Exact two-sample tests of raw current rows against the profile's reference reservoir.

    Numeric features use ``test`` (``"ks"`` or ``"cvm"``) on the values; categorical features
    use a chi-squared test of the current labels against the reservoir's label shares.
    Unlike :class:`DriftCheck` these p-values are not calibrated to the window size or
    corrected across features; they are for investigating a verdict, not for alerting.

    Examples
    --------
    >>> import numpy as np
    >>> from driftguard.drift.profile import ReferenceProfile
    >>> g = np.random.default_rng(0)
    >>> profile = ReferenceProfile(n_resamples=50).fit({"x": g.normal(size=2000)})
    >>> exact_tests(profile, {"x": g.normal(2.0, 1.0, size=300)})["x"].p_value < 1e-6
    True
    """
    if test not in _EXACT:
        raise ConfigurationError(f"test: {test!r} is not one of {sorted(_EXACT)}")
    reservoir = profile.reservoir_
    cols = normalised_columns(profile.schema_, current)
    out: dict[str, StatResult] = {}
    for spec, bins in zip(profile.schema_.features, profile.bins_, strict=True):
        if spec.kind is FeatureKind.NUMERIC:
            out[spec.name] = _EXACT[test](reservoir[spec.name], cols[spec.name])
        else:
            labels = CategoricalBins(bins.vocabulary if isinstance(bins, CategoricalBins) else ())
            size = labels.size
            ref = np.bincount(labels.codes(reservoir[spec.name]), minlength=size)
            cur = np.bincount(labels.codes(cols[spec.name]), minlength=size)
            out[spec.name] = chi2(ref, cur)
    return out
