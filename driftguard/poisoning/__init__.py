"""Poisoned-feedback defenses: screen labelled feedback with the trusted model, track sources.

Examples
--------
>>> from driftguard.poisoning import FeedbackScreen, SourceTracker
>>> FeedbackScreen().alpha, SourceTracker().min_items
(0.01, 20)
"""

from driftguard.poisoning.detector import PoisonedFeedback
from driftguard.poisoning.neighbours import knn_disagreement, nearest_labels
from driftguard.poisoning.screen import (
    FeedbackScores,
    FeedbackScreen,
    ProbabilityModel,
    fit_feedback_screen,
    stratified_subsample,
)
from driftguard.poisoning.sources import (
    SourceStats,
    SourceTracker,
    SourceVerdict,
    TrackerState,
    binomial_tail,
)

__all__ = [
    "FeedbackScores",
    "FeedbackScreen",
    "PoisonedFeedback",
    "ProbabilityModel",
    "SourceStats",
    "SourceTracker",
    "SourceVerdict",
    "TrackerState",
    "binomial_tail",
    "fit_feedback_screen",
    "knn_disagreement",
    "nearest_labels",
    "stratified_subsample",
]
