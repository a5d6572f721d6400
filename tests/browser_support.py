"""What the browser tests share: Debian's Chromium, its flags, and the rule that they run in CI.

The path and flags are the concurrency benchmark's (``benchmarks/bench_concurrency.py``),
so the suite and the benchmark drive the same browser the same way.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

import pytest
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from benchmarks.bench_concurrency import (
    CHOOSE_ATTEMPTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    IDLE,
    choose_wait_ms,
)

__all__ = [
    "CHARTS_DRAWN", "CHROMIUM", "CHROMIUM_ARGS", "IN_CI", "choose", "chromium_page", "one_run", "require_chromium",
]

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

#: True when every Plotly chart on the page is drawn at its container's width (after the
#: viewport changes, the charts re-lay out; the screenshot waits for that, not for a clock).
CHARTS_DRAWN = (
    "() => { const charts = document.querySelectorAll('[data-testid=\"stPlotlyChart\"]');"
    " const plots = document.querySelectorAll('.js-plotly-plot');"
    " return charts.length === plots.length && Array.from(plots).every(p => {"
    " const svg = p.querySelector('.main-svg');"
    " return svg && Math.abs(svg.getBoundingClientRect().width - p.getBoundingClientRect().width) < 2; }); }"
)

#: The app's websocket in each open page (the newest, should the page reload).
_SOCKETS: WeakKeyDictionary[Any, Any] = WeakKeyDictionary()


def _run_finished(payload: str | bytes) -> bool:
    """True for Streamlit's message that a script run (or a fragment's) is over; a run
    stopped early for another (``st.rerun``) is not over: the next one follows."""
    if not isinstance(payload, bytes):
        return False
    message = ForwardMsg()
    try:
        message.ParseFromString(payload)
    except Exception:  # noqa: BLE001 - not a ForwardMsg: not the end of a run
        return False
    return message.WhichOneof("type") == "script_finished" and (
        message.script_finished != ForwardMsg.ScriptFinishedStatus.FINISHED_EARLY_FOR_RERUN
    )


#: The app's own sidebar links (dashboard.navigation draws them in a container of this key).
NAVIGATION_LINKS = ".st-key-ete_navigation a"


def navigation_link(page: Any, text: str) -> Any:
    """The sidebar's link to the page named ``text`` (the first, where several match)."""
    return page.locator(NAVIGATION_LINKS).filter(has_text=text).first


def require_chromium() -> None:
    """Skip the test with the reason when Chromium is missing; under ``CI=true``, fail it."""
    if Path(CHROMIUM).exists():
        return
    reason = f"{CHROMIUM} is not installed (apt-get install chromium)"
    if IN_CI:
        pytest.fail(f"The browser test must run in CI: {reason}")
    pytest.skip(reason)


def choose(page: Any, box: Any, option: str) -> None:
    """Pick ``option`` in a Streamlit multiselect or select ``box`` (Playwright, sync API).

    As the concurrency benchmark's ``_choose``: type the option's name into the box
    (which opens its list, filtered), wait for the option (longer on each try, a bounded
    number of tries) and click it; Escape closes the list at the end.
    """
    wanted = page.get_by_role("option", name=option, exact=True)
    field = box.locator("input")
    for attempt in range(CHOOSE_ATTEMPTS):
        try:
            field.click(timeout=5_000)
            field.fill(option, timeout=5_000)
            wanted.wait_for(state="visible", timeout=choose_wait_ms(attempt))
            wanted.click(timeout=5_000)
            break
        except Exception:  # noqa: BLE001 - the list did not show, or closed under us: again
            if attempt == CHOOSE_ATTEMPTS - 1:
                raise
    page.keyboard.press("Escape")


@contextmanager
def chromium_page(timeout_ms: int, **context: Any) -> Iterator[Any]:
    """A Playwright page (sync API) in headless Debian Chromium; closed, with its browser, after.

    ``context`` goes to ``browser.new_context`` (a viewport, ``accept_downloads``...);
    ``timeout_ms`` bounds the launch and is the page's default timeout.
    """
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, timeout=timeout_ms
        )
        try:
            opened = browser.new_context(**context)
            page = opened.new_page()
            page.on("websocket", lambda socket: _SOCKETS.__setitem__(page, socket))
            page.set_default_timeout(timeout_ms)
            yield page
            opened.close()
        finally:
            browser.close()


@contextmanager
def one_run(page: Any, timeout_ms: int) -> Iterator[None]:
    """Around an action that makes Streamlit rerun the script (a click, a choice, an
    upload): on leaving, wait (at most ``timeout_ms``) until the server has said that
    the run it started is over, and the page shows the script as no longer running.

    The end of the run is Streamlit's own ``script_finished`` message on the app's
    websocket, listened for from before the action, so a run however quick or slow is
    caught and nothing waits on a clock. Use it only around actions that rerun.
    """
    socket = _SOCKETS[page]
    with socket.expect_event("framereceived", predicate=_run_finished, timeout=timeout_ms):
        yield
    page.wait_for_function(IDLE, timeout=timeout_ms)
