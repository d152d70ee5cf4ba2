"""Serving without a web framework: loaded models, hot swap, prediction and feedback logs.

The FastAPI service (``services/``) is a thin layer over :class:`ModelHost`,
:class:`RequestPath` (one call per prediction request) and :class:`Background`; everything
here is usable (and tested) without HTTP.
"""

from driftguard.serving.background import Background
from driftguard.serving.clients import ClientGuard
from driftguard.serving.defender import Defender, DefenderState, Screening
from driftguard.serving.feedback import Feedback, FeedbackStore, LoggedPrediction, PredictionLog
from driftguard.serving.host import ModelHost
from driftguard.serving.loaded import LoadedModel, ModelOptions, Served, load_model
from driftguard.serving.request_path import RequestPath, Scored

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
    "RequestPath",
    "Scored",
    "Screening",
    "Served",
    "load_model",
]
