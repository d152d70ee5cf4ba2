"""Input drift of a window of rows, as a detector: a fitted profile, a check and a window.

:class:`WindowDrift` is the :class:`~driftguard.detectors.protocol.Detector` face of the
drift chain: rows go into a :class:`~driftguard.drift.window.WindowCounts` on the profile's
fixed bins (:meth:`~WindowDrift.update`), and :meth:`~WindowDrift.signals` runs
:class:`~driftguard.drift.check.DriftCheck` on the window so far. The signals are those the
service's window monitor reports (:meth:`~driftguard.types.DriftReport.signals`):
``input_drift`` (the dataset statistic against its calibrated threshold) and one
``input_drift:<feature>`` per feature, all of kind ``drift``; below ``min_rows`` rows every one
of them is ``insufficient_data``. The window grows until
:meth:`~WindowDrift.reset` (the service's monitor closes tumbling windows itself).

Examples
--------
>>> import numpy as np
>>> from driftguard.drift import ReferenceProfile
>>> g = np.random.default_rng(0)
>>> profile = ReferenceProfile(n_resamples=100).fit({"x": g.normal(size=2000)})
>>> det = WindowDrift(profile, min_rows=50)
>>> det.update({"x": g.normal(size=20)}).signals()[0].status
'insufficient_data'
>>> det.update({"x": g.normal(3.0, 1.0, size=200)}).signals()[0].status
'breach'
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any, Self

from driftguard.detectors.protocol import constructor_params
from driftguard.drift.check import DriftCheck
from driftguard.drift.profile import ReferenceProfile
from driftguard.errors import ConfigurationError, SerializationError, UnsupportedVersionError
from driftguard.types import DriftReport, Signal

__all__ = ["WindowDrift"]

FORMAT = "driftguard.window_drift"
VERSION = 1


class WindowDrift:
    """Calibrated drift verdict of the rows seen so far against a fitted reference profile.

    Parameters
    ----------
    profile : ReferenceProfile
        A fitted profile (bins, reference counts and calibrated nulls); it is only read.
    alpha : float, default 0.05
        Target false-alarm rate of the dataset verdict (see :class:`DriftCheck`).
    correction : {"holm", "bh", "none"}, default "holm"
        Multiple-testing correction of the per-feature p-values.
    min_effect : float, mapping of feature to float, or None
        Practical effect size a score must reach (``None``: 0.1 for every method).
    min_rows : int, default 50
        Below this many rows every signal is ``insufficient_data``.

    Attributes
    ----------
    check_ : DriftCheck
        The check built from ``alpha``, ``correction`` and ``min_effect``.
    window_ : WindowCounts
        Counts of the rows seen since construction or the last :meth:`reset`.

    Examples
    --------
    >>> import numpy as np
    >>> from driftguard.drift import ReferenceProfile
    >>> g = np.random.default_rng(1)
    >>> profile = ReferenceProfile(n_resamples=100).fit({"a": g.normal(size=2000)})
    >>> det = WindowDrift(profile, alpha=0.01).update({"a": g.normal(size=200)})
    >>> [(s.name, s.status) for s in det.signals()]
    [('input_drift', 'ok'), ('input_drift:a', 'ok')]
    >>> WindowDrift.from_dict(det.to_dict(), profile).window_.n_rows_
    200
    """

    def __init__(
        self,
        profile: ReferenceProfile,
        alpha: float = 0.05,
        correction: str = "holm",
        min_effect: float | Mapping[str, float] | None = None,
        min_rows: int = 50,
    ) -> None:
        if isinstance(min_rows, bool) or not isinstance(min_rows, int) or min_rows < 1:
            raise ConfigurationError(f"min_rows must be an integer >= 1, got {min_rows!r}")
        self.profile = profile
        self.alpha = alpha
        self.correction = correction
        self.min_effect = min_effect
        self.min_rows = min_rows
        self.check_ = DriftCheck(alpha, correction, min_effect)
        self.check_.validate()
        self.window_ = profile.new_window()  # raises NotFittedError for an unfitted profile
        self.check_.effect_sizes(profile)  # unknown features in min_effect fail here, not later
        self._lock = threading.Lock()

    def get_params(self) -> dict[str, Any]:
        """The constructor arguments, verbatim (see :class:`~driftguard.detectors.Detector`)."""
        return constructor_params(self)

    def update(self, rows: Any) -> Self:
        """Fold rows (a mapping of columns, a DataFrame or a 2-D array) into the window."""
        with self._lock:
            self.window_.update(rows)
        return self

    def reset(self) -> Self:
        """Start a new, empty window."""
        with self._lock:
            self.window_ = self.profile.new_window()
        return self

    def report(self) -> DriftReport:
        """The full drift report of the window so far (raises on an empty window)."""
        with self._lock:
            return self.check_.run(self.profile, self.window_)

    def signals(self) -> tuple[Signal, ...]:
        """``input_drift`` and one ``input_drift:<feature>`` per feature, in schema order."""
        n = self.window_.n_rows_
        names = self.profile.schema_.names
        if n < self.min_rows:
            return tuple(
                Signal(name, "drift", None, None, "insufficient_data", n)
                for name in ("input_drift", *(f"input_drift:{f}" for f in names))
            )
        return self.report().signals()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready configuration (without the profile) and window counts."""
        params = self.get_params()
        del params["profile"]
        if isinstance(self.min_effect, Mapping):
            params["min_effect"] = dict(self.min_effect)
        with self._lock:
            window = self.window_.to_dict()
        return {
            "format": FORMAT,
            "version": VERSION,
            "params": params,
            "window": window,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], profile: ReferenceProfile) -> WindowDrift:
        """Rebuild a detector written by :meth:`to_dict` on ``profile`` (the same bins)."""
        if data.get("format") != FORMAT:
            raise SerializationError(f"not a window drift snapshot: {data.get('format')!r}")
        if data.get("version") != VERSION:
            raise UnsupportedVersionError(f"window drift snapshot version {data.get('version')!r}")
        try:
            det = cls(profile, **data["params"])
            window = dict(data["window"])
        except (KeyError, TypeError, ConfigurationError) as exc:
            raise SerializationError(f"window drift snapshot: {exc}") from None
        det.window_.load_dict(window)
        return det
