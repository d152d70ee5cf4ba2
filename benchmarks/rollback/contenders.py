"""The rules of the delay table, each set for a stated run length.

- At the default target (``false_rollback_every: 365d`` at 1,000 rows/s): the CUSUM with
  ``h = cusum_threshold(target)`` and 3-of-5 on ``p <= k_of_m_level(3, 5, target)``.
- Today's 3-of-5 on status verdicts at alpha 0.05 (ARL0 ``k_of_m_run_length(3, 5, 0.05)``).
- At a common scaled-down run length ``matched`` that can be simulated: the CUSUM and the
  p-value 3-of-5 set by their chains, and river's PageHinkley and ADWIN matched to it by
  bisection on iid uniform p-value streams (:mod:`benchmarks.rollback.nulls`), where all four
  are measured.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from benchmarks.rollback.delay import Contender
from benchmarks.rollback.nulls import NullStreams, RunLengths, match
from benchmarks.rollback.render import num
from benchmarks.rollback.rules import adwin, cusum, k_of_m_p, k_of_m_verdict, page_hinkley
from benchmarks.rollback.world import ALPHA
from driftguard.stats.run_length import (
    cusum_run_length,
    cusum_threshold,
    k_of_m_level,
    k_of_m_run_length,
)

__all__ = ["build_contenders"]

_CENSOR = 10


def _measured(r: RunLengths, how: str) -> str:
    censored = f", {r.censored} censored" if r.censored else ""
    return f"{num(r.mean)} ({r.runs} null runs{censored}{how})"


def build_contenders(
    target: float,
    target_label: str,
    matched: float,
    null_runs: int,
    seed: int,
    today_measured: str,
    progress: Callable[[str], None],
) -> tuple[Contender, ...]:
    """The delay table's rules; river is calibrated here (the slow part)."""
    h, q = cusum_threshold(target), k_of_m_level(3, 5, target)
    out = [
        Contender(cusum(h), target_label, cusum_run_length(h), "not simulable"),
        Contender(k_of_m_p(q), target_label, k_of_m_run_length(3, 5, q), "not simulable"),
        Contender(
            k_of_m_verdict(),
            f"{num(k_of_m_run_length(3, 5, ALPHA))} (today)",
            k_of_m_run_length(3, 5, ALPHA),
            today_measured,
        ),
    ]
    streams = NullStreams(null_runs, int(_CENSOR * matched), seed)
    label = f"{num(matched)} (common)"
    h_m, q_m = cusum_threshold(matched), k_of_m_level(3, 5, matched)
    for rule, derived in (
        (cusum(h_m), cusum_run_length(h_m)),
        (k_of_m_p(q_m), k_of_m_run_length(3, 5, q_m)),
    ):
        progress(f"null streams: {rule.name} {rule.setting}")
        out.append(Contender(rule, label, derived, _measured(streams.run_lengths(rule), "")))
    scale = math.sqrt(matched / 10_000)
    progress("matching river PageHinkley")
    threshold, ph = match(streams, page_hinkley, (9.0 * scale, 14.0 * scale), matched)
    progress("matching river ADWIN")
    spread = math.log(matched / 10_000)
    log_delta, ad = match(
        streams, lambda x: adwin(math.exp(x)), (-1.2 - spread, -0.3 - spread), matched
    )
    in_sample = ", matched in-sample"
    out += [
        Contender(page_hinkley(threshold), label, math.nan, _measured(ph, in_sample), True),
        Contender(adwin(math.exp(log_delta)), label, math.nan, _measured(ad, in_sample), True),
    ]
    return tuple(out)
