r"""Read a policy from YAML; a problem is a :class:`~driftguard.errors.PolicyError` naming its line.

The YAML is composed into nodes (``yaml.compose``) rather than loaded into plain dicts, so every
value keeps the line it came from: unknown keys, duplicate keys, wrong types, ``k > m``, a bad
mode or glob are all reported as ``FILE:LINE: problem`` before anything runs.

Examples
--------
>>> policy = parse_policy('''
... version: 1
... mode: observe
... rules:
...   - name: drift
...     signal: input_drift
...     confirm: {k: 2, m: 3}
... ''')
>>> policy.mode, policy.rules[0].confirm.k
('observe', 2)
>>> parse_policy("version: 1\nmode: loud\nrules: []\n", source="p.yaml")
Traceback (most recent call last):
...
driftguard.errors.PolicyError: p.yaml:2: mode must be one of observe, warn, rollback; got 'loud'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from driftguard.errors import ConfigurationError, PolicyError
from driftguard.policy.clients import CLIENT_FIELDS, ClientPolicy
from driftguard.policy.fields import (
    CLEAR_FIELDS,
    CONFIRM_FIELDS,
    POLICY_FIELDS,
    RULE_FIELDS,
    TRAFFIC_FIELDS,
)
from driftguard.policy.rules import Clear, Confirm, Policy, Rule
from driftguard.policy.run_length import Traffic

__all__ = ["DEFAULT_POLICY", "default_policy", "load_policy", "parse_policy"]

DEFAULT_POLICY = "default.yaml"
"""File name of the default policy inside the ``driftguard.policy`` package."""

_REQUIRED_TOP = ("version", "mode", "rules")
_REQUIRED_RULE = ("name", "signal")


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


class _Reader:
    """Walks composed nodes of one document, failing with the source and line."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._constructor = yaml.SafeLoader("")
        self._rule_lines: dict[str, int] = {}

    def fail(self, node: yaml.Node | int, problem: str) -> PolicyError:
        line = node if isinstance(node, int) else _line(node)
        return PolicyError(self.source, line, problem)

    def scalar(self, node: yaml.Node, what: str) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            kind = "a mapping" if isinstance(node, yaml.MappingNode) else "a list"
            raise self.fail(node, f"{what} must be a single value, got {kind}")
        try:
            return self._constructor.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            raise self.fail(node, f"{what}: {getattr(exc, 'problem', None) or exc}") from None

    def mapping(
        self,
        node: yaml.Node,
        what: str,
        fields: Mapping[str, Callable[[Any], Any]],
        required: tuple[str, ...] = (),
        nested: Mapping[str, Callable[[yaml.Node, int], Any]] | None = None,
        line: int | None = None,
    ) -> dict[str, Any]:
        """Check one mapping node key by key; ``nested`` keys are read by their own reader.

        ``line`` (default: the node's) is where a missing required key is reported: the line of
        the key that holds this mapping.
        """
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"{what} must be a mapping of keys to values")
        nested = nested or {}
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "<complex>"
            if key not in fields:
                allowed = ", ".join(fields)
                raise self.fail(key_node, f"unknown key {key!r} in {what} (allowed: {allowed})")
            if key in out:
                raise self.fail(key_node, f"duplicate key {key!r} in {what}")
            if key in nested:
                out[key] = nested[key](value_node, _line(key_node))
                continue
            value = self.scalar(value_node, key)
            try:
                out[key] = fields[key](value)
            except ConfigurationError as exc:
                raise self.fail(value_node, str(exc)) from None
        missing = [k for k in required if k not in out]
        if missing:
            raise self.fail(line or node, f"{what} lacks required key {missing[0]!r}")
        return out

    def confirm(self, node: yaml.Node, line: int) -> Confirm:
        values = self.mapping(node, "confirm", CONFIRM_FIELDS, required=("k", "m"), line=line)
        try:
            return Confirm(**values)
        except ConfigurationError as exc:
            raise self.fail(line, str(exc)) from None

    def clear(self, node: yaml.Node, line: int) -> Clear:
        return Clear(**self.mapping(node, "clear", CLEAR_FIELDS, required=("ok",), line=line))

    def rule(self, node: yaml.Node, index: int) -> Rule:
        what = f"rule #{index + 1}"
        values = self.mapping(
            node,
            what,
            RULE_FIELDS,
            required=_REQUIRED_RULE,
            nested={"confirm": self.confirm, "clear": self.clear},
        )
        try:
            return Rule(**values)
        except ConfigurationError as exc:  # pragma: no cover - every field was checked above
            raise self.fail(node, str(exc)) from None

    def traffic(self, node: yaml.Node, line: int) -> Traffic:
        values = self.mapping(
            node, "traffic", TRAFFIC_FIELDS, required=("rows_per_s", "window_rows"), line=line
        )
        try:
            return Traffic(**values)
        except ConfigurationError as exc:
            raise self.fail(line, str(exc)) from None

    def clients(self, node: yaml.Node, line: int) -> ClientPolicy:
        return ClientPolicy(**self.mapping(node, "clients", CLIENT_FIELDS, line=line))

    def rules(self, node: yaml.Node, line: int) -> tuple[Rule, ...]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, "rules must be a list of rules (each starting with '- name:')")
        rules: list[Rule] = []
        seen: dict[str, int] = {}
        for index, item in enumerate(node.value):
            rule = self.rule(item, index)
            if rule.name in seen:
                raise self.fail(
                    item, f"rule name {rule.name!r} is already used on line {seen[rule.name]}"
                )
            seen[rule.name] = _line(item)
            rules.append(rule)
        self._rule_lines = seen
        return tuple(rules)

    def policy(self, root: yaml.Node | None) -> Policy:
        if root is None:
            raise self.fail(1, "the policy is empty (expected 'version: 1', 'mode' and 'rules')")
        values = self.mapping(
            root,
            "the policy",
            POLICY_FIELDS,
            required=_REQUIRED_TOP,
            nested={"rules": self.rules, "clients": self.clients, "traffic": self.traffic},
        )
        try:
            return Policy(source=self.source, **values)
        except ConfigurationError as exc:
            named = [n for n in self._rule_lines if str(exc).startswith(f"rule {n!r}")]
            raise self.fail(self._rule_lines[named[0]] if named else 1, str(exc)) from None


def parse_policy(text: str, source: str = "<string>") -> Policy:
    """Parse and check a policy from YAML text; ``source`` names it in error messages.

    Raises
    ------
    PolicyError
        The YAML is malformed or a value is invalid; the message reads ``SOURCE:LINE: problem``.
    """
    reader = _Reader(source)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = int(mark.line) + 1 if mark is not None else 1
        problem = ", ".join(p for p in (exc.context, exc.problem) if p) or "unreadable"
        raise reader.fail(line, f"malformed YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise reader.fail(1, f"malformed YAML: {exc}") from None
    return reader.policy(root)


def load_policy(path: str | Path) -> Policy:
    """Read and check the policy file at ``path``.

    Raises
    ------
    PolicyError
        The file cannot be read (line 0), or its content is invalid (the offending line).
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(source, 0, f"cannot read the policy file: {exc}") from None
    return parse_policy(text, source=source)


def default_policy() -> Policy:
    """The documented default policy shipped in ``driftguard/policy/default.yaml``.

    Examples
    --------
    >>> default_policy().source
    'driftguard/policy/default.yaml'
    """
    text = resources.files("driftguard.policy").joinpath(DEFAULT_POLICY).read_text("utf-8")
    return parse_policy(text, source=f"driftguard/policy/{DEFAULT_POLICY}")
