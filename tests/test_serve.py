"""``make run``'s server (dashboard.serve): it starts quietly, with its warm-up, and answers.

Started as ``make run`` starts it, on a free port given by ``STREAMLIT_SERVER_PORT``, with
the small demo database: none of the three alarming but harmless messages a newcomer saw
(issue 26, item 14) is printed, and the warm-up still runs.
"""

from __future__ import annotations

import os
import selectors
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from apptest_support import demo_db_url  # noqa: F401 - the fixture

from dashboard.serve import run_arguments

ROOT = Path(__file__).resolve().parent.parent
NOISE = (
    "config option section was detected",
    "Did not auto detect external IP",
    "missing ScriptRunContext",
)


def test_the_address_shown_is_localhost_unless_one_is_given() -> None:
    app = str(ROOT / "app.py")
    assert run_arguments([], {}) == ["run", app, "--browser.serverAddress", "localhost"]
    assert run_arguments(["--server.address", "0.0.0.0"], {}) == ["run", app, "--server.address", "0.0.0.0"]
    assert run_arguments([], {"STREAMLIT_BROWSER_SERVER_ADDRESS": "ete.example"}) == ["run", app]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
            return int(response.status) == 200
    except OSError:
        return False


@pytest.mark.usefixtures("demo_db_url")
def test_the_server_starts_without_alarming_messages_and_warms_up() -> None:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "dashboard.serve"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "STREAMLIT_SERVER_PORT": str(port), "PYTHONPATH": str(ROOT)},
        text=True,
    )
    output: list[str] = []
    answered = False
    try:
        assert server.stdout is not None
        os.set_blocking(server.stdout.fileno(), False)
        watch = selectors.DefaultSelector()
        watch.register(server.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and server.poll() is None:
            if watch.select(timeout=0.5):
                output.append(server.stdout.read() or "")
            answered = answered or _answers(port)
            if answered and "Warm-up done" in "".join(output):
                break
    finally:
        server.kill()
        server.wait(30)
    text = "".join(output)
    assert answered, text
    assert "Warm-up done" in text and "data" in text.split("Warm-up done")[1], text
    assert f"URL: http://localhost:{port}" in text
    for message in NOISE:
        assert message not in text, text
