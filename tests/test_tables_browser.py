"""Tables at 1440 px, in a real headless Chromium: no column cut off, no row hidden on a meeting's screen.

Streamlit's grid keeps a table's columns at their content's width and scrolls sideways
when they do not fit, so a wide table ended at "Quarter's targ…"; it shows ten rows and
scrolls inside for more. Only a browser lays the grid out, so here, on the pages with
the widest tables, every grid must fit its width, and on the Presentation every grid
must show every row (no inner scroll either way). Waits are on Streamlit's script state,
bounded; skipped with a reason without Chromium, except under ``CI=true``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from apptest_support import build_demo_file
from browser_support import chromium_page, navigation_link, one_run, require_chromium

from benchmarks.bench_concurrency import IDLE, streamlit_server
from dashboard.render import WRAP_AT_MOST_PX

pytestmark = pytest.mark.browser

TIMEOUT_MS = 60_000
#: The pages with the widest tables, by their navigation link and heading.
PAGES = ("Overview", "Regions", "Cohorts", "Partners", "Data")
#: The grids on the page that scroll (sideways, or down inside the table).
CLIPPED = """() => Array.from(document.querySelectorAll('[data-testid="stDataFrame"] .dvn-scroller'))
  .filter(s => s.scrollWidth > s.clientWidth + 1 || s.scrollHeight > s.clientHeight + 1)
  .map(s => (s.closest('[data-testid="stDataFrame"]').innerText || '').slice(0, 80)
       + ` (${s.scrollWidth}x${s.scrollHeight} in ${s.clientWidth}x${s.clientHeight})`)"""
#: Only sideways, of a table narrow enough to be wrapped whole (dashboard.render.show_table: one
#: wider, the cohorts' heatmap with a column a month, stays in the grid and scrolls, with focus).
CLIPPED_SIDEWAYS = CLIPPED.replace(
    " || s.scrollHeight > s.clientHeight + 1", f" && s.scrollWidth <= {WRAP_AT_MOST_PX}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_chromium()
    folder = tmp_path_factory.mktemp("tables")
    url = build_demo_file(folder / "ete_tables.db")
    with streamlit_server(url, folder / "streamlit.log") as base:
        yield base


@pytest.fixture
def page(server: str) -> Iterator[Any]:
    with chromium_page(TIMEOUT_MS, viewport={"width": 1440, "height": 900}, reduced_motion="reduce") as tab:
        yield tab


def _open(page: Any, name: str) -> None:
    with one_run(page, TIMEOUT_MS):
        navigation_link(page, name).click()
    page.wait_for_function(IDLE, timeout=TIMEOUT_MS)


def test_no_table_is_cut_off_at_1440_px(server: str, page: Any) -> None:
    page.goto(server, wait_until="domcontentloaded")
    page.get_by_role("heading", name="Overview", exact=True).wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function(IDLE, timeout=TIMEOUT_MS)
    clipped = {}
    for name in PAGES:
        if name != "Overview":
            _open(page, name)
        page.get_by_role("heading", name=name, exact=True).first.wait_for(timeout=TIMEOUT_MS)
        page.locator('[data-testid="stDataFrame"], [data-testid="stTable"]').first.wait_for(timeout=TIMEOUT_MS)
        clipped[name] = page.evaluate(CLIPPED_SIDEWAYS)
    assert clipped == {name: [] for name in PAGES}, clipped


def test_the_presentation_shows_every_row(server: str, page: Any) -> None:
    page.goto(f"{server}/present", wait_until="domcontentloaded")
    page.get_by_text("Slide 1 of ").first.wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function(IDLE, timeout=TIMEOUT_MS)
    slides = int(page.get_by_text("Slide 1 of ").first.inner_text().split(" of ")[1].split()[0])
    clipped = {}
    for number in range(2, slides + 1):
        with one_run(page, TIMEOUT_MS):
            page.keyboard.press("ArrowRight")
        page.get_by_text(f"Slide {number} of ").first.wait_for(timeout=TIMEOUT_MS)
        page.wait_for_function(IDLE, timeout=TIMEOUT_MS)
        if page.locator('[data-testid="stDataFrame"]').count():
            page.locator('[data-testid="stDataFrame"] .dvn-scroller').first.wait_for(timeout=TIMEOUT_MS)
        found = page.evaluate(CLIPPED)
        if found:
            clipped[number] = found
    assert clipped == {}, clipped
