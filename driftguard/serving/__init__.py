"""Serving without a web framework: loaded models, hot swap, prediction and feedback logs.

The FastAPI service (``services/``) is a thin layer over :class:`ModelHost` and
:class:`Background`; everything here is usable (and tested) without HTTP.
"""

from driftguard.serving.background import Background
from driftguard.serving.clients import ClientGuard
from driftguard.serving.defender import Defender, DefenderState, Screening
from driftguard.serving.feedback import Feedback, FeedbackStore, LoggedPrediction, PredictionLog
from driftguard.serving.host import ModelHost
from driftguard.serving.loaded import LoadedModel, ModelOptions, Served, load_model

__all__ = [
    "Background",
    "ClientGuard",
    "Defender",
    "DefenderState",
    "Feedback",
    "FeedbackStore",
    "LoadedModel",
    "LoggedPrediction",
    "ModelHost",
    "ModelOptions",
    "PredictionLog",
    "Screening",
    "Served",
    "load_model",
]
