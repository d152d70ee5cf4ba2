"""Drift verdict benchmark: driftguard vs Evidently on the same 100k x 50 data.

Run with ``make bench`` or ``.venv/bin/python benchmarks/bench_drift.py [--rows N]``.
"""

import sys

from driftguard.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["bench", "drift", *sys.argv[1:]]))
