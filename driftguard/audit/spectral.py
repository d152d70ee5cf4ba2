"""Spectral signatures: find backdoor-like poisoned rows inside each labelled class.

Implemented from Tran, Li & Madry (2018), "Spectral Signatures in Backdoor Attacks", NeurIPS.
For every class ``c`` the representations ``R_c`` of the rows labelled ``c`` are centred
(``R_c - mean(R_c)``, as in the paper), the top right singular vector ``v`` of the centred
matrix is computed, and each row's outlier score is its squared projection
``((r - mean) . v) ** 2``. Poisoned rows share a direction that clean rows do not, so they
dominate ``v`` and score high.

The paper removes the ``1.5 * epsilon * n_c`` highest-scoring rows of every class, where
``epsilon`` is an upper bound on the poisoned fraction (``poison_fraction``, default 0.05).
That removes a fixed share of clean data too, so driftguard keeps those rows only as
*candidates* and flags a candidate only when its score is also an outlier of the class:
above ``gate`` times the class's median score. For a Gaussian class the squared projection
is ``sigma^2 * chi2(1)``, whose median is 0.455 ``sigma^2`` and whose 0.1% tail starts at
10.8 ``sigma^2``, so the default ``gate=24`` lets about 0.1% of clean rows through; set
``gate=0`` for the paper's rule exactly.

The representation is the caller's: the audit passes the standardised / one-hot encoding
of the inputs (no network is trained here).

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=(200, 5))
>>> x[:8, 0] += 12.0  # eight rows carry a trigger
>>> sorted(SpectralSignatures().fit(x, np.zeros(200, dtype=int)).flagged_.tolist())
[0, 1, 2, 3, 4, 5, 6, 7]
"""

from __future__ import annotations

from typing import Self

import numpy as np
import numpy.typing as npt

from driftguard.errors import ConfigurationError, NotFittedError

__all__ = ["SpectralSignatures"]


class SpectralSignatures:
    """Per-class spectral outlier scores on learned (or encoded) representations.

    Parameters
    ----------
    poison_fraction : float, default 0.05
        Upper bound ``epsilon`` on the poisoned share; at most ``1.5 * epsilon * n_c`` rows
        of a class are flagged.
    gate : float, default 24.0
        A candidate is flagged only if its score exceeds ``gate`` times its class's median
        score (0 reproduces the paper's fixed-count removal).

    Attributes
    ----------
    scores_ : ndarray of shape (n_rows,)
        Squared projection on the top singular direction of the row's class.
    flagged_ : ndarray of int
        Flagged row indices, highest score first.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(1).normal(size=(100, 3))
    >>> x[7] += 9.0
    >>> int(SpectralSignatures().fit(x, np.repeat([0, 1], 50)).flagged_[0])
    7
    """

    def __init__(self, poison_fraction: float = 0.05, gate: float = 24.0) -> None:
        self.poison_fraction = poison_fraction
        self.gate = gate

    def _validate(self) -> None:
        if not 0.0 < self.poison_fraction < 0.5:
            raise ConfigurationError(
                f"poison_fraction must be in (0, 0.5), got {self.poison_fraction!r}"
            )
        if not self.gate >= 0.0:
            raise ConfigurationError(f"gate must be >= 0, got {self.gate!r}")

    def fit(self, representations: npt.ArrayLike, y: npt.ArrayLike) -> Self:
        """Score every row against its class and flag the outliers."""
        self._validate()
        reps = np.asarray(representations, dtype=np.float64)
        labels = np.asarray(y)
        if reps.ndim != 2 or labels.shape != (reps.shape[0],):
            raise ConfigurationError(
                f"representations {reps.shape} and labels {labels.shape} do not match"
            )
        scores = np.zeros(labels.size)
        flagged: list[npt.NDArray[np.intp]] = []
        for cls in np.unique(labels):
            rows = np.flatnonzero(labels == cls)
            if rows.size < 2:
                continue
            centred = reps[rows] - reps[rows].mean(axis=0)
            _, _, vt = np.linalg.svd(centred, full_matrices=False)
            class_scores = (centred @ vt[0]) ** 2
            scores[rows] = class_scores
            budget = int(np.floor(1.5 * self.poison_fraction * rows.size))
            order = np.argsort(-class_scores, kind="stable")[:budget]
            cutoff = self.gate * float(np.median(class_scores))
            flagged.append(rows[order[class_scores[order] > cutoff]])
        self.scores_ = scores
        found = np.concatenate(flagged) if flagged else np.empty(0, dtype=np.intp)
        self.flagged_ = found[np.argsort(-scores[found], kind="stable")].astype(np.intp)
        return self

    def check_fitted(self) -> None:
        """Raise :class:`NotFittedError` before :meth:`fit`."""
        if not hasattr(self, "flagged_"):
            raise NotFittedError("SpectralSignatures is not fitted; call fit(x, y) first")
