"""The guard: signals of every closed window go through the policy; decisions act.

See :class:`~driftguard.guard.guard.Guard` (the wiring),
:class:`~driftguard.guard.timeline.Timeline` (the events; built first and handed to whatever
reports them), :class:`~driftguard.guard.webhook.WebhookSender` (Alertmanager-shaped
notifications), :class:`~driftguard.guard.alert_receiver.AlertReceiver` (Alertmanager's
webhook, back in) and :class:`~driftguard.guard.window_rate.WindowRate` (the window rate each
rule's false-decision interval is stated at, :meth:`Guard.standing`).
"""

from driftguard.guard.alert_receiver import AlertOutcome, AlertReceiver, ReceiveReport
from driftguard.guard.defense_signals import DefenseSignals
from driftguard.guard.guard import Guard, RollbackTarget
from driftguard.guard.labels import LabelSignals
from driftguard.guard.sequential import SequentialSignals
from driftguard.guard.timeline import Event, Timeline
from driftguard.guard.webhook import WebhookSender
from driftguard.guard.window_rate import WindowRate

__all__ = [
    "AlertOutcome",
    "AlertReceiver",
    "DefenseSignals",
    "Event",
    "Guard",
    "LabelSignals",
    "ReceiveReport",
    "RollbackTarget",
    "SequentialSignals",
    "Timeline",
    "WebhookSender",
    "WindowRate",
]
