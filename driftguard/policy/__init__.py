"""Turn signals into decisions: a pure policy read from YAML (see ``docs/policy.md``).

:func:`load_policy` reads and checks a policy file (a bad one fails at start with
``FILE:LINE: problem``), :func:`default_policy` returns the documented one shipped with the
package, :func:`decide` turns one evaluation's signals and the remembered :class:`PolicyState`
into a :class:`Decision` and the next state, and :func:`alert_payload` renders a decision as
Alertmanager's webhook JSON. Nothing here performs I/O beyond reading the policy file.

Examples
--------
>>> from driftguard.types import Signal
>>> policy = default_policy()
>>> weak = [Signal("input_drift", "drift", 3.0, 1.0, "breach", 10)]  # below min_samples
>>> decision, state = decide(policy, weak, PolicyState(), now=0.0)
>>> decision.action, decision.reason
('keep', 'no rule fired')
"""

from driftguard.policy.alerts import alert_payload, fingerprint, rfc3339
from driftguard.policy.clients import CLIENT_ACTIONS, ClientPolicy
from driftguard.policy.decide import decide, window_p_value, window_verdict
from driftguard.policy.loader import default_policy, load_policy, parse_policy
from driftguard.policy.rules import Clear, Confirm, Policy, Rule
from driftguard.policy.run_length import Every, RunLength, Traffic, format_duration, parse_every
from driftguard.policy.standing import RuleStanding, standings
from driftguard.policy.state import Decision, Evidence, PolicyState, RuleState

__all__ = [
    "CLIENT_ACTIONS",
    "Clear",
    "ClientPolicy",
    "Confirm",
    "Decision",
    "Every",
    "Evidence",
    "Policy",
    "PolicyState",
    "Rule",
    "RuleStanding",
    "RuleState",
    "RunLength",
    "Traffic",
    "alert_payload",
    "decide",
    "default_policy",
    "fingerprint",
    "format_duration",
    "load_policy",
    "parse_every",
    "parse_policy",
    "rfc3339",
    "standings",
    "window_p_value",
    "window_verdict",
]
