"""Metric and label names used by PromQL expressions, checked against what the service exports.

Good enough for the expressions in ``dashboards/`` (not a PromQL parser): metric names are
``driftguard_*`` identifiers not followed by a label matcher operator; selector labels are
the matchers in the braces right after a metric name; ``by``/``without`` labels must be labels
of every ``driftguard_*`` metric inside the aggregation's argument (prefix form,
``sum by (x) (...)``); ``on``/``ignoring``/``group_left``/``group_right`` labels must be labels
of some metric in the expression. A scrape adds ``job`` and ``instance`` to every series and
``le`` is a histogram bucket's label; ``label_replace`` may add a label.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from prometheus_client.parser import text_string_to_metric_families

Catalogue = Mapping[str, tuple[str, str, tuple[str, ...]]]
SCRAPE_LABELS = frozenset({"job", "instance"})
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")

_NAME = re.compile(r"\bdriftguard_[a-zA-Z0-9_]+\b(?!\s*(?:=~|!~|!=|=(?!=)))")
_SELECTOR = re.compile(r"\b(driftguard_[a-zA-Z0-9_]+)\s*\{([^}]*)\}")
_MATCHER = re.compile(
    r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)\s*(?:\"(?:[^\"\\]|\\.)*\"|'[^']*')"
)
_CLAUSE = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\(([^()]*)\)")
# label_replace(v, "dst", "replacement", "src", "regex"): the four string arguments at its end
_LABEL_REPLACE = re.compile(r',\s*"([a-zA-Z_][a-zA-Z0-9_]*)"(?:\s*,\s*"(?:[^"\\]|\\.)*"){3}\s*\)')
_LABEL_VALUES = re.compile(r"label_values\s*\(\s*(driftguard_[a-zA-Z0-9_]+)[^,)]*,\s*(\w+)\s*\)")


def metric_names(expr: str) -> set[str]:
    """Every ``driftguard_*`` metric name in ``expr`` (label names in matchers excluded)."""
    return set(_NAME.findall(expr))


def exposed_names(metrics_text: str) -> dict[str, str]:
    """Sample name -> family name for every family declared in a ``/metrics`` text.

    A family counts as declared when its ``# TYPE`` line is there, with or without samples;
    counters expose ``_total`` (and ``_created``), histograms ``_bucket``/``_sum``/``_count``.
    """
    out: dict[str, str] = {}
    for family in text_string_to_metric_families(metrics_text):
        suffixes = {
            "counter": ("_total", "_created"),
            "histogram": (*HISTOGRAM_SUFFIXES, "_created"),
            "summary": ("", "_sum", "_count", "_created"),
        }.get(family.type, ("",))
        for suffix in suffixes:
            out[family.name + suffix] = family.name
    return out


def declared_labels(name: str, catalogue: Catalogue) -> set[str]:
    """Labels a series called ``name`` can carry, from ``METRIC_NAMES``-shaped ``catalogue``."""
    if name in catalogue:
        return set(catalogue[name][2]) | SCRAPE_LABELS
    for suffix in HISTOGRAM_SUFFIXES:
        base = name.removesuffix(suffix)
        if base != name and catalogue.get(base, ("",))[0] == "histogram":
            extra = {"le"} if suffix == "_bucket" else set()
            return set(catalogue[base][2]) | SCRAPE_LABELS | extra
    raise KeyError(name)


def selector_labels(expr: str) -> list[tuple[str, str]]:
    """(metric, label) for every matcher after a ``driftguard_*`` name, and ``label_values``."""
    pairs = [
        (metric, label)
        for metric, body in _SELECTOR.findall(expr)
        for label in _MATCHER.findall(body)
    ]
    return pairs + [(m, label) for m, label in _LABEL_VALUES.findall(expr)]


def _argument(expr: str, end: int) -> str:
    """The balanced parenthesised group starting at or after ``end`` (empty if none)."""
    i = end
    while i < len(expr) and expr[i].isspace():
        i += 1
    if i >= len(expr) or expr[i] != "(":
        return ""
    depth = 0
    for j in range(i, len(expr)):
        depth += {"(": 1, ")": -1}.get(expr[j], 0)
        if depth == 0:
            return expr[i + 1 : j]
    return expr[i + 1 :]


def label_problems(expr: str, catalogue: Catalogue) -> list[str]:
    """Unknown metrics and labels that are not labels of the metric they are used with."""
    names = metric_names(expr)
    problems = [f"{n}: not in METRIC_NAMES" for n in sorted(names) if _known(n, catalogue) is None]
    for metric, label in selector_labels(expr):
        known = _known(metric, catalogue)
        if known is not None and label not in known:
            problems.append(f"{metric}: no label {label!r} (has {sorted(known)})")
    return problems + _clause_problems(expr, names, catalogue)


def _clause_problems(expr: str, names: set[str], catalogue: Catalogue) -> list[str]:
    everywhere = set(_LABEL_REPLACE.findall(expr))
    for name in names:
        everywhere |= _known(name, catalogue) or set()
    problems: list[str] = []
    for match in _CLAUSE.finditer(expr):
        clause = match.group(1)
        labels = [x.strip() for x in match.group(2).split(",") if x.strip()]
        if clause not in ("by", "without"):
            problems += [
                f"{clause} ({label}): no metric in the expression has it"
                for label in labels
                if names and label not in everywhere
            ]
            continue
        argument = _argument(expr, match.end())
        local = set(_LABEL_REPLACE.findall(argument))
        for name in sorted(metric_names(argument)):
            known = _known(name, catalogue)
            problems += [
                f"{clause} ({label}): {name} has no label {label!r}"
                for label in labels
                if known is not None and label not in known | local
            ]
    return problems


def _known(name: str, catalogue: Catalogue) -> set[str] | None:
    try:
        return declared_labels(name, catalogue)
    except KeyError:
        return None


def missing_names(exprs: Iterable[str], exposed: Mapping[str, str]) -> dict[str, list[str]]:
    """Metric name -> the expressions using it, for names the scrape does not expose."""
    out: dict[str, list[str]] = {}
    for expr in exprs:
        for name in sorted(metric_names(expr)):
            if name not in exposed:
                out.setdefault(name, []).append(expr)
    return out
