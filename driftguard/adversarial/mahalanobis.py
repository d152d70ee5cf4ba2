"""Distance of a row to the training data: class-conditional Gaussians with a tied covariance.

Lee et al. (2018): fit one mean per class and one shared covariance on the training features,
and score a row by its smallest squared Mahalanobis distance to a class mean,
``min_c (x - mu_c)' S^-1 (x - mu_c)``. Here ``S^-1 = W W'`` is factored once in :meth:`fit`
(``eigh`` of the shrunk covariance), the class means are whitened once, and a request costs one
matrix product plus the distances to the ``C`` whitened means:
``||W'x||^2 - 2 (W'x) . (W'mu_c) + ||W'mu_c||^2``.

Covariances of real features are often rank-deficient (digit pixels that are always 0, ReLU
units that never fire), so the covariance is shrunk towards a multiple of the identity:
``(1 - shrinkage) S + shrinkage * (trace(S) / d) I + ridge I``.

Examples
--------
>>> import numpy as np
>>> g = np.random.default_rng(0)
>>> x = np.r_[g.normal(0, 1, (200, 2)), g.normal(5, 1, (200, 2))]
>>> y = np.repeat([0, 1], 200)
>>> m = TiedMahalanobis().fit(x, y)
>>> near, far = m.score(np.array([[5.0, 5.0], [20.0, -20.0]]))
>>> bool(near < 1.0 < 100.0 < far)
True
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import numpy.typing as npt

from driftguard.errors import ConfigurationError, NotFittedError

__all__ = ["TiedMahalanobis"]

FloatArray = npt.NDArray[np.float64]


class TiedMahalanobis:
    """Smallest squared Mahalanobis distance to the class means (shared covariance).

    Parameters
    ----------
    shrinkage : float, default 0.01
        Weight of ``(trace(S) / d) I`` in the shrunk covariance, in ``[0, 1]``.
    ridge : float, default 1e-6
        Added to the diagonal (relative to ``trace(S) / d``) so that the covariance is
        invertible even with ``shrinkage=0``.

    Attributes
    ----------
    whitening_ : ndarray of shape (d, d)
        ``W`` with ``W W' = S^-1``.
    means_ : ndarray of shape (classes, d)
        The class means, whitened (``mu_c W``).
    mean_norms_ : ndarray of shape (classes,)
        ``||mu_c W||^2``.
    cross_ : ndarray of shape (d, classes)
        ``-2 (mu_c W)'``, so that ``(x W) cross_`` is the cross term of every distance.

    Examples
    --------
    >>> import numpy as np
    >>> m = TiedMahalanobis(shrinkage=0.0).fit(np.array([[0.0], [2.0], [10.0], [12.0]]),
    ...                                        np.array([0, 0, 1, 1]))
    >>> m.score(np.array([[1.0], [3.0]])).round(3).tolist()
    [0.0, 4.0]
    """

    def __init__(self, shrinkage: float = 0.01, ridge: float = 1e-6) -> None:
        self.shrinkage = shrinkage
        self.ridge = ridge

    def fit(self, features: npt.ArrayLike, labels: npt.ArrayLike) -> Self:
        """Fit the class means and the whitening of the tied covariance."""
        if not 0.0 <= self.shrinkage <= 1.0:
            raise ConfigurationError(f"shrinkage must be in [0, 1], got {self.shrinkage!r}")
        if not self.ridge >= 0.0:
            raise ConfigurationError(f"ridge must be >= 0, got {self.ridge!r}")
        x = np.asarray(features, dtype=np.float64)
        y = np.asarray(labels)
        if x.ndim != 2 or y.shape != (x.shape[0],) or x.shape[0] < 2:
            raise ConfigurationError(
                f"features (n, d) and labels (n,) with n >= 2 expected, got {x.shape} and {y.shape}"
            )
        if not np.all(np.isfinite(x)):
            raise ConfigurationError("features: contains NaN or infinite values")
        classes, inverse = np.unique(y, return_inverse=True)
        means = np.zeros((len(classes), x.shape[1]))
        np.add.at(means, inverse, x)
        means /= np.bincount(inverse)[:, None]
        centred = x - means[inverse]
        cov = centred.T @ centred / x.shape[0]
        scale = float(np.trace(cov)) / x.shape[1]
        scale = scale if scale > 0.0 else 1.0
        cov = (1.0 - self.shrinkage) * cov
        cov[np.diag_indices_from(cov)] += (self.shrinkage + self.ridge) * scale
        eigenvalues, vectors = np.linalg.eigh(cov)
        eigenvalues = np.maximum(eigenvalues, 1e-12 * scale)
        self.whitening_ = vectors / np.sqrt(eigenvalues)
        self.means_ = means @ self.whitening_
        self.mean_norms_ = np.einsum("ij,ij->i", self.means_, self.means_)
        self.cross_ = -2.0 * self.means_.T
        return self

    @classmethod
    def from_arrays(
        cls, whitening: FloatArray, means: FloatArray, shrinkage: float, ridge: float
    ) -> TiedMahalanobis:
        """Rebuild a fitted instance from its learned arrays (see :meth:`fit`).

        Examples
        --------
        >>> import numpy as np
        >>> m = TiedMahalanobis.from_arrays(np.eye(2), np.zeros((1, 2)), 0.0, 0.0)
        >>> m.score(np.array([[3.0, 4.0]])).tolist()
        [25.0]
        """
        out = cls(shrinkage, ridge)
        out.whitening_ = np.asarray(whitening, dtype=np.float64)
        out.means_ = np.asarray(means, dtype=np.float64)
        out.mean_norms_ = np.einsum("ij,ij->i", out.means_, out.means_)
        out.cross_ = -2.0 * out.means_.T
        return out

    def score(self, features: npt.ArrayLike) -> FloatArray:
        """Smallest squared distance of every row to a class mean (``>= 0``).

        float32 features (a network's penultimate activations) are scored in float32, which
        halves the cost; anything else in float64.
        """
        if not hasattr(self, "whitening_"):
            raise NotFittedError("TiedMahalanobis is not fitted; call fit(features, labels)")
        x = np.asarray(features)
        whitening, cross_term, norms = self._arrays(x.dtype == np.float32)
        z = x @ whitening
        cross = z @ cross_term
        cross += norms
        nearest = cross.min(axis=1)
        nearest += np.einsum("ij,ij->i", z, z)
        return np.asarray(np.maximum(nearest, 0.0), dtype=np.float64)

    def _arrays(self, single: bool) -> tuple[npt.NDArray[Any], ...]:
        """Whitening, cross term and mean norms, in float32 for float32 features (cached)."""
        if not single:
            return self.whitening_, self.cross_, self.mean_norms_
        cached = getattr(self, "_single", None)
        if cached is None:
            arrays = (self.whitening_, self.cross_, self.mean_norms_)
            cached = tuple(a.astype(np.float32) for a in arrays)
            self._single = cached
        return cached
