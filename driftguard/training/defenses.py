"""The adversarial and poisoning defences a checkpoint carries, fitted when it is trained.

Three files, each optional (older checkpoints have none and are served without them):

- ``request_scorer.npz``: :class:`~driftguard.adversarial.RequestScorer`, per-request scores
  (max-softmax, margin, energy, Mahalanobis, out-of-range, off-grid) fitted on the training
  split, with conformal thresholds calibrated on the test split (which nothing was fitted on);
- ``probe_detector.npz``: :class:`~driftguard.adversarial.probing.ProbeDetector`'s projection
  and near-duplicate radius, fitted on the training split;
- ``feedback_screen.npz``: :class:`~driftguard.poisoning.FeedbackScreen`, the labelled
  neighbours of the training split and the clean-feedback calibration of the test split.

:func:`defense_artefacts` is the training hook that writes them
(``train_table(..., artefacts=[defense_artefacts])``); :func:`load_defenses` reads them back
from a verified checkpoint (never with pickle).

Examples
--------
>>> Defenses().scorer is None
True
"""

from __future__ import annotations

from dataclasses import dataclass

from driftguard.adversarial.probing import ProbeDetector, fit_probe_detector
from driftguard.adversarial.request import RequestScorer, fit_request_scorer
from driftguard.checkpoint.folder import Checkpoint
from driftguard.poisoning import FeedbackScreen, fit_feedback_screen
from driftguard.training.pipeline import ArtefactInputs

__all__ = ["DEFENSE_FILES", "Defenses", "defense_artefacts", "load_defenses"]

SCORER_FILE = "request_scorer.npz"
PROBE_FILE = "probe_detector.npz"
SCREEN_FILE = "feedback_screen.npz"
DEFENSE_FILES = (SCORER_FILE, PROBE_FILE, SCREEN_FILE)
"""Checkpoint files written by :func:`defense_artefacts`."""


@dataclass(frozen=True, eq=False)
class Defenses:
    """The fitted defences of one version (each ``None`` when its file is absent).

    Examples
    --------
    >>> Defenses().probe is None
    True
    """

    scorer: RequestScorer | None = None
    probe: ProbeDetector | None = None
    screen: FeedbackScreen | None = None


def defense_artefacts(inputs: ArtefactInputs) -> dict[str, bytes]:
    """Fit every defence on a freshly trained model's splits; file name -> bytes."""
    scorer = fit_request_scorer(
        inputs.predictor,
        inputs.x_train,
        inputs.raw_train,
        inputs.y_train,
        inputs.x_test,
        inputs.raw_test,
    )
    probe = fit_probe_detector(inputs.x_train, seed=inputs.seed)
    screen = fit_feedback_screen(
        inputs.predictor, inputs.x_train, inputs.y_train, inputs.x_test, inputs.y_test
    )
    return {
        SCORER_FILE: scorer.to_bytes(),
        PROBE_FILE: probe.to_bytes(),
        SCREEN_FILE: screen.to_bytes(),
    }


def load_defenses(checkpoint: Checkpoint) -> Defenses:
    """The defences stored in ``checkpoint`` (hash-verified reads; absent files give None)."""
    present = set(checkpoint.model_files)

    def read(name: str) -> bytes | None:
        return checkpoint.file_bytes(name) if name in present else None

    scorer = read(SCORER_FILE)
    probe = read(PROBE_FILE)
    screen = read(SCREEN_FILE)
    return Defenses(
        scorer=None if scorer is None else RequestScorer.from_bytes(scorer),
        probe=None if probe is None else ProbeDetector.from_bytes(probe),
        screen=None if screen is None else FeedbackScreen.from_bytes(screen),
    )
