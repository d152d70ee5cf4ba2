"""The policy as values: :class:`Rule`, :class:`Confirm`, :class:`Clear` and :class:`Policy`.

Every field has one checker in :mod:`driftguard.policy.fields`; the dataclasses
run them on construction (so a policy built in code is checked like one read from YAML) and the
YAML loader runs the same checkers with the line of each value.

Examples
--------
>>> rule = Rule("drift", "input_drift", confirm=Confirm(3, 5), action="rollback")
>>> rule.matches(Signal("input_drift", "drift", 2.0, 1.0, "breach", 500))
True
>>> Policy(mode="warn", rules=(rule,)).rule("drift").confirm
Confirm(k=3, m=5)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from driftguard.errors import ConfigurationError
from driftguard.policy.clients import ClientPolicy
from driftguard.policy.fields import (
    MAX_WINDOWS,
    MODES,
    POLICY_FIELDS,
    RULE_FIELDS,
    check_cooldown,
    check_int,
    check_version,
    type_name,
)
from driftguard.types import Signal

__all__ = ["Clear", "Confirm", "Policy", "Rule"]


@dataclass(frozen=True, slots=True)
class Confirm:
    """Fire when at least ``k`` of the last ``m`` evaluated windows were breaches.

    Examples
    --------
    >>> Confirm(2, 3)
    Confirm(k=2, m=3)
    """

    k: int = 1
    m: int = 1

    def __post_init__(self) -> None:
        check_int(self.k, "confirm.k", 1, MAX_WINDOWS)
        check_int(self.m, "confirm.m", 1, MAX_WINDOWS)
        if self.k > self.m:
            raise ConfigurationError(f"confirm.k ({self.k}) must not exceed confirm.m ({self.m})")


@dataclass(frozen=True, slots=True)
class Clear:
    """Re-arm a fired rule after ``ok`` consecutive evaluated windows with status ``ok``.

    Examples
    --------
    >>> Clear(3).ok
    3
    """

    ok: int = 1

    def __post_init__(self) -> None:
        check_int(self.ok, "clear.ok", 1, MAX_WINDOWS)


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule over the signals whose name matches ``signal`` (and whose kind is ``kind``).

    Parameters
    ----------
    name : str
        Unique name; it is the ``alertname`` of the rule's alerts.
    signal : str
        Exact signal name or :func:`fnmatch.fnmatchcase` glob (``input_drift:*``).
    kind : str or None
        Only signals of this kind match (``None``: any kind).
    min_samples : int
        A signal resting on fewer samples counts as ``insufficient_data``.
    confirm : Confirm
        k-of-m windows that must breach before the rule fires.
    clear : Clear
        Consecutive ``ok`` windows that re-arm the rule after it fired.
    trigger : str
        ``breach`` (only breaches count) or ``warn`` (``warn`` counts as a breach too).
    action : str
        ``notify`` (a warning) or ``rollback``.
    severity : str or None
        ``info``, ``warning`` or ``critical``; default ``critical`` for rollback rules,
        ``warning`` for notify rules.
    mode : str or None
        Caps this rule's effect below the policy's mode (the milder of the two applies).
    description : str
        Human text for the alert annotations.

    Examples
    --------
    >>> r = Rule("features", "input_drift:*", min_samples=100)
    >>> r.severity, r.matches(Signal("input_drift:age", "drift", 0.1, 0.2, "ok", 50))
    ('warning', True)
    """

    name: str
    signal: str
    kind: str | None = None
    min_samples: int = 1
    confirm: Confirm = field(default_factory=Confirm)
    clear: Clear = field(default_factory=Clear)
    trigger: str = "breach"
    action: str = "notify"
    severity: str | None = None
    mode: str | None = None
    description: str = ""

    def __post_init__(self) -> None:
        for key, check in RULE_FIELDS.items():
            if key not in ("confirm", "clear"):
                check(getattr(self, key))
        if not isinstance(self.confirm, Confirm):
            raise ConfigurationError(f"confirm must be a Confirm, got {type_name(self.confirm)}")
        if not isinstance(self.clear, Clear):
            raise ConfigurationError(f"clear must be a Clear, got {type_name(self.clear)}")
        if self.severity is None:
            default = "critical" if self.action == "rollback" else "warning"
            object.__setattr__(self, "severity", default)

    def matches(self, signal: Signal) -> bool:
        """Whether ``signal`` is one this rule reads."""
        if self.kind is not None and signal.kind != self.kind:
            return False
        return fnmatchcase(signal.name, self.signal)

    def insufficient(self, signal: Signal) -> bool:
        """Whether ``signal`` counts as ``insufficient_data`` for this rule."""
        return (
            signal.status == "insufficient_data"
            or signal.value is None
            or signal.samples < self.min_samples
        )

    def is_bad(self, signal: Signal) -> bool:
        """Whether ``signal`` (with enough data) counts as a breach for this rule."""
        return signal.status == "breach" or (self.trigger == "warn" and signal.status == "warn")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (the YAML keys)."""
        return {
            "name": self.name,
            "signal": self.signal,
            "kind": self.kind,
            "min_samples": self.min_samples,
            "confirm": {"k": self.confirm.k, "m": self.confirm.m},
            "clear": {"ok": self.clear.ok},
            "trigger": self.trigger,
            "action": self.action,
            "severity": self.severity,
            "mode": self.mode,
            "description": self.description,
        }


@dataclass(frozen=True, slots=True)
class Policy:
    """A whole policy: global mode, rollback cooldown and rules (unique names).

    Parameters
    ----------
    mode : str
        ``observe`` (decide and audit, act never), ``warn`` (rollbacks become warnings) or
        ``rollback``.
    cooldown_s : float
        After a rollback of the model, no further rollback for this many seconds.
    rules : tuple of Rule
        Evaluated in order; names are unique.
    version : int
        Format version (1).
    source : str
        Where the policy came from (a file path, ``<default>`` or ``<code>``).
    clients : ClientPolicy
        What happens to clients flagged for probing (``clients:`` block).

    Examples
    --------
    >>> Policy(rules=(Rule("a", "x"), Rule("b", "y"))).names
    ('a', 'b')
    """

    mode: str = "warn"
    cooldown_s: float = 3600.0
    rules: tuple[Rule, ...] = ()
    version: int = 1
    source: str = "<code>"
    clients: ClientPolicy = field(default_factory=ClientPolicy)

    def __post_init__(self) -> None:
        POLICY_FIELDS["mode"](self.mode)
        object.__setattr__(self, "cooldown_s", check_cooldown(self.cooldown_s))
        check_version(self.version)
        if not all(isinstance(r, Rule) for r in self.rules):
            raise ConfigurationError("rules must be Rule values")
        object.__setattr__(self, "rules", tuple(self.rules))
        seen: set[str] = set()
        for rule in self.rules:
            if rule.name in seen:
                raise ConfigurationError(f"rule name {rule.name!r} is used twice")
            seen.add(rule.name)

    @property
    def names(self) -> tuple[str, ...]:
        """Rule names, in order."""
        return tuple(r.name for r in self.rules)

    def rule(self, name: str) -> Rule:
        """The rule called ``name``."""
        for rule in self.rules:
            if rule.name == name:
                return rule
        raise ConfigurationError(f"policy has no rule {name!r}; it has {list(self.names)}")

    def effective_mode(self, rule: Rule) -> str:
        """The milder of the policy's mode and the rule's own."""
        if rule.mode is None:
            return self.mode
        return MODES[min(MODES.index(self.mode), MODES.index(rule.mode))]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (the YAML keys)."""
        return {
            "version": self.version,
            "mode": self.mode,
            "cooldown_s": self.cooldown_s,
            "rules": [r.to_dict() for r in self.rules],
        }
