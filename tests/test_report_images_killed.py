"""Chromium killed while a report's charts are drawn (issue 26, item 20): the message says
Chromium stopped (it is installed: never "install Chromium"), and asyncio prints nothing
("Task was destroyed but it is pending!") as the browser's thread ends. Chromium needed.

The drawing runs in a child process, so that what asyncio prints at its end is seen.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import gc
import os
import signal
import time

import plotly.graph_objects as go

from ete_metrics.errors import ConfigError
from ete_metrics.present.report.images import start_browser


def children(pid):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except OSError:
                pass
    return found


opts = {"format": "png", "width": 300, "height": 200, "scale": 1}
figures = [go.Figure(go.Bar(x=["a", "b"], y=[1, n])) for n in range(3)]
browser = start_browser()
print("DREW", len(browser.draw(figures[:1], [opts])), flush=True)
for pid in children(os.getpid()):  # Chromium, killed as the deck's charts are drawn
    os.kill(pid, signal.SIGKILL)
time.sleep(1)
try:
    browser.draw(figures, [opts] * 3)
    print("NO ERROR", flush=True)
except ConfigError as exc:
    print("ERROR", exc, flush=True)
browser.close()
del browser
gc.collect()
print("END", flush=True)
"""


def test_chromium_killed_while_drawing_is_reported_as_stopped_and_nothing_is_left_pending() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHILD],
        cwd=ROOT,
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    assert "DREW 1" in done.stdout and "END" in done.stdout, done.stdout + done.stderr
    error = next(line for line in done.stdout.splitlines() if line.startswith("ERROR"))
    assert "stopped while drawing the charts" in error, error
    assert "Install Chromium" not in error and "apt-get" not in error
    assert "Nothing was written; try again." in error
    assert "Task was destroyed but it is pending" not in done.stderr, done.stderr
