"""Section names of ``driftguard bench guard`` (kept light: the parser imports them).

Examples
--------
>>> BENCH_GUARD_SECTIONS[0]
'sequential'
"""

__all__ = ["BENCH_GUARD_SECTIONS"]

BENCH_GUARD_SECTIONS = ("sequential", "calibration", "adversarial", "probing", "poisoning")
