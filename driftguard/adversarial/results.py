"""What :class:`~driftguard.adversarial.RequestScorer` returns: :class:`RequestScores`.

Examples
--------
>>> COMPONENTS[3:]
('mahalanobis', 'out_of_range', 'off_grid')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import numpy.typing as npt

from driftguard.adversarial.scores import output_scores
from driftguard.errors import ConfigurationError

__all__ = ["COMPONENTS", "DEFAULT_SCORES", "RAW_COMPONENTS", "RequestScores"]

FloatArray = npt.NDArray[np.float64]

#: Every per-row score, in the order of :class:`RequestScores`' fields.
COMPONENTS = ("max_softmax", "margin", "energy", "mahalanobis", "out_of_range", "off_grid")
#: The scores that need the raw numeric matrix.
RAW_COMPONENTS = ("out_of_range", "off_grid")
#: The components of the combined score by default. The logit scores are still computed and
#: reported, but they are left out of the combination: on the digits benchmark successful
#: adversarials are MORE confident than clean rows (AUROC of max-softmax / energy far below 0.5
#: under PGD), so their clean tails only raise the threshold (``driftguard bench guard``).
DEFAULT_SCORES = ("mahalanobis", "out_of_range", "off_grid")


@dataclass(frozen=True)
class RequestScores:
    """Per-row scores of a batch, the combined score and its conformal p-value.

    The raw checks read NaN when the scorer has no raw data. The three logit scores
    (``max_softmax``, ``margin``, ``energy``) are read from ``logits`` on first access unless
    the scorer already computed them for the combined score (``outputs``).

    Examples
    --------
    >>> import numpy as np
    >>> one = np.array([0.1])
    >>> s = RequestScores(one, one, one, one, np.array([0.004]), 0.01, np.zeros((1, 2)), 1.0)
    >>> s.flags().tolist(), s.flags(0.001).tolist(), s.max_softmax.tolist()
    ([True], [False], [0.5])
    """

    mahalanobis: FloatArray
    out_of_range: FloatArray
    off_grid: FloatArray
    combined: FloatArray
    p_value: FloatArray
    alpha: float
    logits: FloatArray = field(repr=False)
    temperature: float = 1.0
    outputs: tuple[FloatArray, FloatArray, FloatArray] | None = field(default=None, repr=False)

    @cached_property
    def _outputs(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        return self.outputs or output_scores(self.logits, self.temperature)

    @property
    def max_softmax(self) -> FloatArray:
        """``1 - max softmax(logits / T)``."""
        return self._outputs[0]

    @property
    def margin(self) -> FloatArray:
        """``-(p_1 - p_2)``."""
        return self._outputs[1]

    @property
    def energy(self) -> FloatArray:
        """``-T logsumexp(logits / T)``."""
        return self._outputs[2]

    def component(self, name: str) -> FloatArray:
        """The per-row array of score ``name`` (one of :data:`COMPONENTS` or ``"combined"``)."""
        if name not in (*COMPONENTS, "combined"):
            raise ConfigurationError(f"unknown score {name!r}; expected one of {COMPONENTS}")
        out: FloatArray = getattr(self, name)
        return out

    def flags(self, alpha: float | None = None) -> npt.NDArray[np.bool_]:
        """``p_value <= alpha`` (the scorer's ``alpha`` when not given)."""
        return np.asarray(self.p_value <= (self.alpha if alpha is None else alpha))
