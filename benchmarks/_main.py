"""What every benchmark's ``__main__`` shares: one-line errors, exit status 2 on a mistake."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from driftguard.errors import DriftguardError

__all__ = ["run_main"]


def run_main(
    parser: argparse.ArgumentParser,
    run: Callable[[argparse.Namespace], int],
    argv: Sequence[str] | None,
) -> int:
    """Parse ``argv`` and run; a :class:`DriftguardError` prints one line and returns 2."""
    args = parser.parse_args(argv)
    try:
        return run(args)
    except DriftguardError as exc:
        print(f"driftguard: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("driftguard: interrupted", file=sys.stderr)
        return 130
