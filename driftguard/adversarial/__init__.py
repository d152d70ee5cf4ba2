"""Per-request adversarial signals: logit scores, feature distance, raw-input checks, conformal p.

Examples
--------
>>> from driftguard.adversarial import COMPONENTS
>>> COMPONENTS[:3]
('max_softmax', 'margin', 'energy')
"""

from driftguard.adversarial.conformal import ScoreScaler, conformal_p_values
from driftguard.adversarial.flag_rate import AdversarialRate
from driftguard.adversarial.inputs import InputGrid, InputRange
from driftguard.adversarial.mahalanobis import TiedMahalanobis
from driftguard.adversarial.probing import (
    ProbeDetector,
    ProbeState,
    ProbeVerdict,
    fit_probe_detector,
)
from driftguard.adversarial.request import (
    COMPONENTS,
    DEFAULT_SCORES,
    RAW_COMPONENTS,
    RequestScorer,
    RequestScores,
    fit_request_scorer,
)
from driftguard.adversarial.scores import (
    energy_score,
    margin_score,
    max_softmax_score,
    output_scores,
)

__all__ = [
    "COMPONENTS",
    "DEFAULT_SCORES",
    "RAW_COMPONENTS",
    "AdversarialRate",
    "InputGrid",
    "InputRange",
    "ProbeDetector",
    "ProbeState",
    "ProbeVerdict",
    "RequestScorer",
    "RequestScores",
    "ScoreScaler",
    "TiedMahalanobis",
    "conformal_p_values",
    "energy_score",
    "fit_probe_detector",
    "fit_request_scorer",
    "margin_score",
    "max_softmax_score",
    "output_scores",
]
