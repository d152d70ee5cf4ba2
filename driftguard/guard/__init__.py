"""The guard: signals of every closed window go through the policy; decisions act.

See :class:`~driftguard.guard.guard.Guard` (the wiring) and
:class:`~driftguard.guard.webhook.WebhookSender` (Alertmanager-shaped notifications).
"""

from driftguard.guard.defense_signals import DefenseSignals
from driftguard.guard.guard import Event, Guard
from driftguard.guard.labels import LabelSignals
from driftguard.guard.sequential import SequentialSignals
from driftguard.guard.webhook import WebhookSender

__all__ = ["DefenseSignals", "Event", "Guard", "LabelSignals", "SequentialSignals", "WebhookSender"]
