"""Nearest-neighbour label disagreement in the encoded input space (chunked, vectorised).

A feedback row whose label differs from the labels of its nearest trusted training rows is
suspicious even where the model itself is unsure. Distances are Euclidean on the model's
encoded (standardised, one-hot) inputs; queries are processed in chunks so that the distance
matrix held in memory stays below about ``max_cells`` floats whatever the reference size.

Examples
--------
>>> import numpy as np
>>> ref = np.array([[0.0], [0.1], [0.2], [5.0], [5.1], [5.2]])
>>> ref_labels = np.array([0, 0, 0, 1, 1, 1])
>>> knn_disagreement(ref, ref_labels, np.array([[0.05], [5.05]]), np.array([1, 1]), k=3).tolist()
[1.0, 0.0]
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["knn_disagreement", "nearest_labels"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

#: Default bound on the number of distances computed at once (about 32 MiB of float64).
MAX_CELLS = 4_000_000


def nearest_labels(
    reference: npt.ArrayLike,
    reference_labels: npt.ArrayLike,
    queries: npt.ArrayLike,
    k: int,
    max_cells: int = MAX_CELLS,
) -> IntArray:
    """Labels of the ``k`` nearest reference rows of every query, shape ``(n_queries, k)``.

    ``k`` is capped at the number of reference rows. Order within a row is unspecified.

    Examples
    --------
    >>> import numpy as np
    >>> nearest_labels([[0.0], [1.0], [9.0]], [4, 5, 6], [[8.0]], k=1).tolist()
    [[6]]
    """
    ref = np.asarray(reference, dtype=np.float64)
    labels = np.asarray(reference_labels, dtype=np.intp)
    q = np.asarray(queries, dtype=np.float64)
    kk = min(int(k), ref.shape[0])
    out = np.empty((q.shape[0], kk), dtype=np.intp)
    ref_sq = np.einsum("ij,ij->i", ref, ref)
    step = max(1, max_cells // max(ref.shape[0], 1))
    for start in range(0, q.shape[0], step):
        chunk = q[start : start + step]
        d2 = np.einsum("ij,ij->i", chunk, chunk)[:, None] - 2.0 * chunk @ ref.T + ref_sq[None, :]
        if kk < ref.shape[0]:
            idx = np.argpartition(d2, kk - 1, axis=1)[:, :kk]
        else:
            idx = np.broadcast_to(np.arange(kk), (chunk.shape[0], kk))
        out[start : start + chunk.shape[0]] = labels[idx]
    return out


def knn_disagreement(
    reference: npt.ArrayLike,
    reference_labels: npt.ArrayLike,
    queries: npt.ArrayLike,
    labels: npt.ArrayLike,
    k: int,
    max_cells: int = MAX_CELLS,
) -> FloatArray:
    """Share of each query's ``k`` nearest reference rows whose label differs from its label.

    Examples
    --------
    >>> import numpy as np
    >>> knn_disagreement([[0.0], [1.0], [2.0]], [0, 0, 1], [[0.4]], [1], k=2).tolist()
    [1.0]
    """
    near = nearest_labels(reference, reference_labels, queries, k, max_cells)
    given = np.asarray(labels, dtype=np.intp)[:, None]
    return np.asarray((near != given).mean(axis=1), dtype=np.float64)
