"""Benchmark: a new session and a page switch in a real browser, against a bare Streamlit page.

Builds a 45,000-referral demo database (``python -m ete_metrics demo``), then starts two
servers of the same Streamlit in this run: the dashboard (``python -m dashboard.serve``,
so its warm-up starts with the server) and a bare page (one heading, a four-row table and
a small Plotly chart, with a button to rerun it). One headless Debian Chromium (Playwright)
then measures, interleaved, round after round:

- **first visit**: on each of ``--first-visits`` fresh pairs of servers, the dashboard's
  first session after its server started (once the warm-up has logged it is done)
  against its second session, beside the same for the bare page (what any new
  Streamlit server's first session costs). The browser's own first page (its first
  renderer process, fonts, JavaScript engine) is paid on a throwaway page before, as a
  visitor meets a new server with a browser that is already running;
- **new session**: a new browser context opening the dashboard's Overview, against one
  opening the bare page (goal: at most 1.3x);
- **page switch**: a click on a sidebar link (Overview <-> Funnels), against a rerun of
  the bare page by its button (goal: at most 1.5x). As a floor for what any page switch
  costs, the bare app's own page switch (to a second bare page and back, each mounting
  its table and chart afresh) is measured too.

Each time runs from the navigation or click until the page's heading (for the bare
rerun: its run counter) is there and Streamlit reports the script is no longer running
(``data-test-script-state`` on the app root): no sleeps. It also prints where the time
goes on the Overview: the bytes the server sent (websocket frames), the number of
elements, and the size of each Plotly chart's JSON.

Run: ``.venv/bin/python benchmarks/bench_browser.py [--rounds 7] [--first-visits 5] [--db URL]``.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_concurrency import (
    CHROMIUM,
    CHROMIUM_ARGS,
    IDLE,
    ROOT,
    _heading_js,
    build_demo,
    streamlit_server,
)

TIMEOUT_MS = 120_000
WARM_UP_WAIT = 180.0  # seconds, at most, for the dashboard's warm-up to log that it is done

BARE_PAGE = '''\
import pandas as pd
import plotly.graph_objects as go
import streamlit as st


def bare(title: str, people: list[int]) -> None:
    st.title(title)
    st.session_state["runs"] = st.session_state.get("runs", 0) + 1
    st.dataframe(
        pd.DataFrame({"Step": ["Entered", "Into training", "Into work", "Sustained work"],
                      "People": people}),
        hide_index=True,
    )
    st.plotly_chart(go.Figure(go.Bar(x=["Entered", "Training", "Work", "Sustained"], y=people)))
    st.button("Rerun", key="rerun")
    st.caption(f"Run {st.session_state['runs']}")


st.navigation([
    st.Page(lambda: bare("Bare page", [14735, 5659, 2875, 1210]), title="Bare page", url_path="bare"),
    st.Page(lambda: bare("Other bare page", [4735, 1659, 875, 210]), title="Other bare page",
            url_path="other"),
]).run()
'''


def _ready(heading: str) -> str:
    return f"() => ({_heading_js(heading)})() && ({IDLE})()"


def _runs_js(number: int) -> str:
    return (
        "() => Array.from(document.querySelectorAll('[data-testid=\"stCaptionContainer\"]'))"
        f".some(c => c.innerText.trim() === 'Run {number}') && ({IDLE})()"
    )


async def _new_session(browser: Any, base: str, heading: str, frames: list[int] | None = None) -> tuple[float, Any]:
    """Seconds from opening ``base`` in a new context until ``heading`` shows and the script is idle."""
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, reduced_motion="reduce")
    page = await context.new_page()
    if frames is not None:
        page.on("websocket", lambda ws: ws.on("framereceived", lambda data: frames.append(
            len(data) if isinstance(data, (bytes, str)) else 0)))
    began = time.perf_counter()
    await page.goto(base, wait_until="domcontentloaded", timeout=TIMEOUT_MS)
    await page.wait_for_function(_ready(heading), timeout=TIMEOUT_MS)
    return time.perf_counter() - began, (context, page)


async def _switch(page: Any, link: str) -> float:
    began = time.perf_counter()
    await page.locator('.st-key-ete_navigation a').filter(has_text=link).first.click()
    await page.wait_for_function(_ready(link), timeout=TIMEOUT_MS)
    return time.perf_counter() - began


async def _bare_switch(page: Any, link: str) -> float:
    began = time.perf_counter()
    # The bare app keeps Streamlit's own sidebar navigation (the dashboard draws its own).
    await page.locator('[data-testid="stSidebarNav"] a').filter(has_text=link).first.click()
    await page.wait_for_function(_ready(link), timeout=TIMEOUT_MS)
    return time.perf_counter() - began


async def _bare_rerun(page: Any, number: int) -> float:
    began = time.perf_counter()
    await page.get_by_role("button", name="Rerun").click()
    await page.wait_for_function(_runs_js(number), timeout=TIMEOUT_MS)
    return time.perf_counter() - began


async def _where_the_time_goes(page: Any) -> dict[str, Any]:
    """Elements and Plotly JSON sizes of the page as shown."""
    return dict(await page.evaluate(
        """() => {
            const charts = Array.from(document.querySelectorAll('.js-plotly-plot')).map(
                c => JSON.stringify({data: c.data, layout: c.layout}).length);
            return {
                elements: document.querySelectorAll('[data-testid="stElementContainer"]').length,
                dataframes: document.querySelectorAll('[data-testid="stDataFrame"]').length,
                charts: charts,
                dom_nodes: document.getElementsByTagName('*').length,
            };
        }"""
    ))


def _line(name: str, times: list[float]) -> str:
    return (f"{name:34s} median {statistics.median(times):6.2f} s  range "
            f"{min(times):.2f}-{max(times):.2f} s  (n={len(times)})")


async def first_visits(app: str, bare: str) -> tuple[float, float, float, float]:
    """Each server's first session and its second, in one browser (seconds).

    The browser's own first page (its first renderer process, fonts, JavaScript engine)
    is paid on a throwaway page first, as a visitor meets a new server with a browser
    that is already running. Then, alternating: the bare server's first session, the
    dashboard's first session, and a second session on each.
    """
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, timeout=TIMEOUT_MS
        )
        try:
            throwaway = await browser.new_context()
            await (await throwaway.new_page()).set_content(
                "<h1>Browser warm-up</h1><p>Text, a table and a script.</p>"
                "<table><tr><td>1</td></tr></table><script>document.title = 'ready'</script>"
            )
            await throwaway.close()
            times = []
            for base, heading in ((bare, "Bare page"), (app, "Overview"), (bare, "Bare page"), (app, "Overview")):
                took, (context, _) = await _new_session(browser, base, heading)
                await context.close()
                times.append(took)
        finally:
            await browser.close()
    bare_first, app_first, bare_second, app_second = times
    return app_first, app_second, bare_first, bare_second


async def measure(app: str, bare: str, rounds: int) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, timeout=TIMEOUT_MS
        )
        try:
            frames: list[int] = []
            _, (context, page) = await _new_session(browser, app, "Overview", frames)
            shape = await _where_the_time_goes(page)
            await context.close()
            _, (bare_context, bare_page) = await _new_session(browser, bare, "Bare page")
            await bare_context.close()
            app_new: list[float] = []
            bare_new: list[float] = []
            app_switch: list[float] = []
            bare_rerun: list[float] = []
            bare_switch: list[float] = []
            for _ in range(rounds):  # interleaved: both see the same machine
                took, (context, page) = await _new_session(browser, app, "Overview")
                app_new.append(took)
                took, (bare_context, bare_page) = await _new_session(browser, bare, "Bare page")
                bare_new.append(took)
                for link in ("Funnels", "Overview"):
                    app_switch.append(await _switch(page, link))
                for number in (2, 3):
                    bare_rerun.append(await _bare_rerun(bare_page, number))
                for link in ("Other bare page", "Bare page"):
                    bare_switch.append(await _bare_switch(bare_page, link))
                await context.close()
                await bare_context.close()
        finally:
            await browser.close()
    later = statistics.median(app_new)
    print(_line("dashboard: new session", app_new))
    print(_line("bare page: new session", bare_new))
    print(_line("dashboard: page switch", app_switch))
    print(_line("bare page: rerun", bare_rerun))
    print(_line("bare app: page switch", bare_switch))
    print(f"new session ratio (medians):      {later / statistics.median(bare_new):.2f} (goal <= 1.3)")
    print(f"page switch ratio (medians):      "
          f"{statistics.median(app_switch) / statistics.median(bare_rerun):.2f} (goal <= 1.5)")
    print(f"bare app's own page switch / its rerun: "
          f"{statistics.median(bare_switch) / statistics.median(bare_rerun):.2f} (the floor of any switch)")
    print(f"page switch / bare app's page switch:  "
          f"{statistics.median(app_switch) / statistics.median(bare_switch):.2f}")
    print(f"Overview: {shape['elements']} elements, {shape['dataframes']} tables, {shape['dom_nodes']:,} DOM nodes,"
          f" Plotly JSON {', '.join(f'{n / 1024:.0f} KiB' for n in shape['charts'])};"
          f" first session received {sum(frames) / 1024:.0f} KiB over the websocket")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--first-visits", type=int, default=5,
                        help="fresh servers whose first session is timed (default 5)")
    parser.add_argument("--db", help="database URL (default: a new 45,000-referral demo)")
    args = parser.parse_args()
    missing = [] if Path(CHROMIUM).exists() else [CHROMIUM]
    if missing:
        sys.exit(f"{missing[0]} is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="ete_bench_browser_") as tmp:
        folder = Path(tmp)
        if args.db is None:
            args.db = f"sqlite:///{folder / 'demo.db'}"
            build_demo(args.db, 45_000)
        url = args.db
        bare_script = folder / "bare.py"
        bare_script.write_text(BARE_PAGE, encoding="utf-8")
        samples = []
        for number in range(args.first_visits + 1):  # the last servers also serve the main phase
            app_log, bare_log = folder / f"app{number}.log", folder / f"bare{number}.log"
            with (
                streamlit_server(url, app_log, launch=("dashboard.serve",)) as app,
                streamlit_server(url, bare_log, launch=("streamlit", "run", str(bare_script))) as bare,
            ):
                deadline = time.monotonic() + WARM_UP_WAIT
                while "Warm-up done" not in app_log.read_text(errors="replace"):
                    if time.monotonic() > deadline:
                        sys.exit(f"the dashboard's warm-up did not finish:\n{app_log.read_text()[-2000:]}")
                    time.sleep(0.5)
                warm = re.search(r"Warm-up done: (.*)", app_log.read_text(errors="replace"))
                if number < args.first_visits:
                    samples.append(asyncio.run(first_visits(app, bare)))
                    continue
                print(f"warm-up at server start: {warm.group(1) if warm else '?'}")
                _print_first_visits(samples)
                asyncio.run(measure(app, bare, args.rounds))
            print(f"warm-ups run by the server: {app_log.read_text(errors='replace').count('Warm-up done')}"
                  " (1: once per server, not per session)")


def _print_first_visits(samples: list[tuple[float, float, float, float]]) -> None:
    """Medians over the fresh servers: the dashboard's first visit against its second, and
    the bare page's (the floor: what a new Streamlit server's first session costs anyway)."""
    if not samples:
        return
    app_first, app_second, bare_first, bare_second = (list(column) for column in zip(*samples, strict=True))
    print(_line("dashboard: first visit", app_first))
    print(_line("dashboard: second visit", app_second))
    print(_line("bare page: first visit", bare_first))
    print(_line("bare page: second visit", bare_second))
    app_ratio = statistics.median(a / b for a, b in zip(app_first, app_second, strict=True))
    bare_ratio = statistics.median(a / b for a, b in zip(bare_first, bare_second, strict=True))
    print(f"first visit / second visit (median of {len(samples)} fresh servers): {app_ratio:.2f} "
          f"(goal <= 1.0); the bare page's own: {bare_ratio:.2f} (what any new server costs)")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
