"""The README's "As a library" example runs as written.

Every ```python block of that section is a doctest; the blocks run in order in one namespace
(like one doctest file), in a temporary working directory, and any failing example fails the
test with doctest's report.
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
SECTION = "## As a library"

BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def section() -> tuple[int, str]:
    """The section's first line number (1-based) and its text, up to the next ``## `` title."""
    text = README.read_text(encoding="utf-8")
    match = re.search(rf"^{re.escape(SECTION)}\n", text, re.MULTILINE)
    assert match is not None, f"README.md has no {SECTION!r} section"
    following = re.compile(r"^## ", re.MULTILINE).search(text, match.end())
    end = following.start() if following else len(text)
    return text.count("\n", 0, match.start()) + 1, text[match.start() : end]


def blocks() -> list[tuple[int, str]]:
    """Each ```python block of the section: the line number of its first code line, its code."""
    first_line, text = section()
    found = []
    for match in BLOCK.finditer(text):
        line = first_line + text.count("\n", 0, match.start(1))
        found.append((line, match.group(1)))
    return found


def test_section_has_doctest_blocks() -> None:
    found = blocks()
    assert found, f"no ```python block in README.md {SECTION!r}"
    for line, code in found:
        assert code.lstrip().startswith(">>> "), f"README.md:{line}: write the block as a doctest"


def test_as_a_library_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(verbose=False, optionflags=doctest.ELLIPSIS)
    globs: dict[str, object] = {"__name__": "README"}
    report: list[str] = []
    for line, code in blocks():
        test = parser.get_doctest(code, globs, f"README.md:{line}", str(README), line - 1)
        assert test.examples, f"README.md:{line}: no >>> example"
        runner.run(test, out=report.append, clear_globs=False)
    assert runner.tries > 0
    assert runner.failures == 0, "".join(report)
