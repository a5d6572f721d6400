"""The repository itself: no committed merge-conflict markers in any tracked text file.

A conflict left in a file gives two definitions of one thing (``data/README.md`` once held two
versions of the warnings table). Git's markers are seven ``<``, ``|`` or ``>`` at the start of
a line, followed by a space or the end of the line.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = re.compile(r"^(<{7}|\|{7}|>{7})( |$)", re.MULTILINE)


def conflict_markers(text: str) -> list[int]:
    """Line numbers (from 1) of the lines that start a conflict marker."""
    return [text.count("\n", 0, match.start()) + 1 for match in MARKER.finditer(text)]


def test_the_marker_rule_finds_a_conflict_and_nothing_else() -> None:
    conflict = "a\n" + "<" * 7 + " HEAD\nb\n" + "=" * 7 + "\nc\n" + ">" * 7 + " branch\n"
    assert conflict_markers(conflict) == [2, 6]
    assert conflict_markers("Heading\n" + "=" * 7 + "\n" + "<" * 8 + "\n") == []


def test_no_tracked_file_holds_a_conflict_marker() -> None:
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    found = []
    for name in filter(None, tracked.decode().split("\0")):
        path = ROOT / name
        if not path.is_file():
            continue
        data = path.read_bytes()
        if b"\0" in data[:8192]:  # binary
            continue
        lines = conflict_markers(data.decode("utf-8", errors="replace"))
        if lines:
            found.append(f"{name}: lines {lines}")
    assert found == [], "merge-conflict markers committed: " + "; ".join(found)
