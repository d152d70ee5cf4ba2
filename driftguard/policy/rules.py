"""The policy as values: :class:`Rule`, :class:`Confirm`, :class:`Clear` and :class:`Policy`.

Every field has one checker in :mod:`driftguard.policy.fields`; the dataclasses
run them on construction (so a policy built in code is checked like one read from YAML) and the
YAML loader runs the same checkers with the line of each value.

Examples
--------
>>> rule = Rule("drift", "input_drift", confirm=Confirm(3, 5), action="rollback")
>>> rule.matches(Signal("input_drift", "drift", 2.0, 1.0, "breach", 500))
True
>>> Policy(mode="warn", rules=(rule,), false_rollback_floor=None).rule("drift").confirm
Confirm(k=3, m=5)
>>> sequential = Rule("drift", "input_drift", false_alarm_every=parse_every("365d"),
...                   action="rollback")
>>> policy = Policy(mode="rollback", rules=(sequential,))
>>> policy.run_length(sequential).method, round(policy.run_length(sequential).windows / 1e8, 2)
('cusum', 1.26)
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
from driftguard.policy.run_length import Every, RunLength, Traffic, format_duration, parse_every
from driftguard.stats.run_length import (
    cusum_threshold,
    k_of_m_exact,
    k_of_m_level,
    k_of_m_run_length,
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
    confirm : Confirm or None
        Fire when ``k`` of the last ``m`` evaluated windows breached (``None``: 1 of 1, or
        a CUSUM when ``false_alarm_every`` is set).
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
    false_alarm_every : Every or None
        Target run length to a false decision under no change. Without ``confirm`` the rule
        is a CUSUM of the window p-values with the threshold that meets it; with ``confirm``
        a window counts as a breach when its p-value is at most the per-window level that
        makes k-of-m meet it. Either way the signals must carry p-values.
    window_alarm_rate : float
        Without ``false_alarm_every``: the probability that a window's status breaches under
        no change (0.05 for driftguard's calibrated checks), used only to state the run
        length the rule implies.

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
    confirm: Confirm | None = None
    clear: Clear = field(default_factory=Clear)
    trigger: str = "breach"
    action: str = "notify"
    severity: str | None = None
    mode: str | None = None
    description: str = ""
    false_alarm_every: Every | None = None
    window_alarm_rate: float = 0.05

    def __post_init__(self) -> None:
        for key, check in RULE_FIELDS.items():
            if key not in ("confirm", "clear", "false_alarm_every"):
                check(getattr(self, key))
        if self.confirm is not None and not isinstance(self.confirm, Confirm):
            raise ConfigurationError(f"confirm must be a Confirm, got {type_name(self.confirm)}")
        if self.false_alarm_every is not None and not isinstance(self.false_alarm_every, Every):
            object.__setattr__(self, "false_alarm_every", parse_every(self.false_alarm_every))
        if not isinstance(self.clear, Clear):
            raise ConfigurationError(f"clear must be a Clear, got {type_name(self.clear)}")
        if self.severity is None:
            default = "critical" if self.action == "rollback" else "warning"
            object.__setattr__(self, "severity", default)

    @property
    def method(self) -> str:
        """``cusum``, ``k_of_m_p`` (k-of-m on p-values) or ``k_of_m`` (on statuses)."""
        if self.false_alarm_every is None:
            return "k_of_m"
        return "cusum" if self.confirm is None else "k_of_m_p"

    @property
    def k_of_m(self) -> Confirm:
        """The k-of-m this rule counts (1 of 1 when none is stated)."""
        return self.confirm if self.confirm is not None else Confirm()

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
        every = self.false_alarm_every
        return {
            "name": self.name,
            "signal": self.signal,
            "kind": self.kind,
            "min_samples": self.min_samples,
            "confirm": None if self.confirm is None else {"k": self.confirm.k, "m": self.confirm.m},
            "false_alarm_every": None if every is None else every.text,
            "window_alarm_rate": self.window_alarm_rate,
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
    traffic : Traffic
        Planning traffic: converts run lengths stated in time into windows.
    false_rollback_floor : Every or None
        A rollback rule whose run length to a false rollback is shorter than this at the
        planning traffic is refused (``None``: no floor).

    Examples
    --------
    >>> Policy(rules=(Rule("a", "x"), Rule("b", "y"))).names
    ('a', 'b')
    >>> Policy(rules=(Rule("d", "input_drift", confirm=Confirm(3, 5), action="rollback"),))
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    driftguard.errors.ConfigurationError: rule 'd' would roll back a good model every 7 min ...
    """

    mode: str = "warn"
    cooldown_s: float = 3600.0
    rules: tuple[Rule, ...] = ()
    version: int = 1
    source: str = "<code>"
    clients: ClientPolicy = field(default_factory=ClientPolicy)
    traffic: Traffic = field(default_factory=Traffic)
    false_rollback_floor: Every | None = field(default_factory=lambda: Every(seconds=30 * 86400))
    _run_lengths: dict[str, RunLength] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

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
        if not isinstance(self.traffic, Traffic):
            raise ConfigurationError(f"traffic must be a Traffic, got {type_name(self.traffic)}")
        for rule in self.rules:
            self._run_lengths[rule.name] = _implied(rule, self.traffic)
            self._check_floor(rule)

    def _check_floor(self, rule: Rule) -> None:
        floor = self.false_rollback_floor
        if floor is None or rule.action != "rollback":
            return
        implied = self._run_lengths[rule.name]
        if implied.windows >= floor.windows(self.traffic):
            return
        t = self.traffic
        raise ConfigurationError(
            f"rule {rule.name!r} would roll back a good model every "
            f"{format_duration(implied.seconds(t.windows_per_s))} ({implied.windows:.0f} windows) "
            f"at the planning traffic of {t.rows_per_s:g} rows/s in {t.window_rows}-row windows, "
            f"below false_rollback_floor {floor.text}; state false_alarm_every (for example "
            "365d) to derive the rule from a target, or lower false_rollback_floor (0 turns the "
            "check off)"
        )

    def run_length(self, rule: Rule | str) -> RunLength:
        """The run length to a false decision that ``rule`` implies (computed once).

        Examples
        --------
        >>> policy = Policy(rules=(Rule("a", "x", confirm=Confirm(2, 3)),))
        >>> round(policy.run_length("a").windows)
        225
        """
        name = rule if isinstance(rule, str) else rule.name
        self.rule(name)
        return self._run_lengths[name]

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
        floor = self.false_rollback_floor
        return {
            "version": self.version,
            "mode": self.mode,
            "cooldown_s": self.cooldown_s,
            "traffic": self.traffic.to_dict(),
            "false_rollback_floor": None if floor is None else floor.text,
            "rules": [r.to_dict() for r in self.rules],
        }


def _implied(rule: Rule, traffic: Traffic) -> RunLength:
    """The run length ``rule`` implies at ``traffic`` (the threshold or level that meets it)."""
    every = rule.false_alarm_every
    confirm = rule.k_of_m
    if every is None:
        rate = rule.window_alarm_rate
        windows = k_of_m_run_length(confirm.k, confirm.m, rate)
        exact = k_of_m_exact(confirm.k, confirm.m)
        return RunLength(rule.name, "k_of_m", windows, exact, None, rate)
    target = every.windows(traffic)
    try:
        if rule.confirm is None:
            h = cusum_threshold(target)
            return RunLength(rule.name, "cusum", target, True, h, None, every.text)
        level = k_of_m_level(confirm.k, confirm.m, target)
    except ConfigurationError as exc:
        raise ConfigurationError(f"rule {rule.name!r}: false_alarm_every: {exc}") from None
    windows = k_of_m_run_length(confirm.k, confirm.m, level)
    exact = k_of_m_exact(confirm.k, confirm.m)
    return RunLength(rule.name, "k_of_m_p", windows, exact, None, level, every.text)
