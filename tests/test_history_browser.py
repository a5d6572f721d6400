"""Back and the URL, in a real headless Chromium: one history entry per page visited.

Streamlit pushes a browser history entry each time a run changes the query string (as
well as one for each page the navigation opens), so a page whose run rewrote the
filters in the URL took two entries and Back needed two presses. The URL is also the
filters' copy: a region given in a link is still chosen (and still in the URL) on every
page visited after it. Waits are on Streamlit's script state (never a clock), bounded;
skipped with a reason without Chromium, except under ``CI=true``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from apptest_support import build_demo_file
from browser_support import choose, chromium_page, navigation_link, one_run, require_chromium

from benchmarks.bench_concurrency import IDLE, streamlit_server

pytestmark = pytest.mark.browser

TIMEOUT_MS = 60_000
#: The pages visited after the first, by their navigation link and heading.
VISITS = ("Funnels", "Regions", "Cohorts", "Partners")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_chromium()
    folder = tmp_path_factory.mktemp("history")
    url = build_demo_file(folder / "ete_history.db")
    with streamlit_server(url, folder / "streamlit.log") as base:
        yield base


@pytest.fixture
def page(server: str) -> Iterator[Any]:
    with chromium_page(TIMEOUT_MS, viewport={"width": 1440, "height": 900}, reduced_motion="reduce") as tab:
        yield tab


def _first_visit(page: Any, url: str) -> None:
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_role("heading", name="Overview", exact=True).wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function(IDLE, timeout=TIMEOUT_MS)


def _visit(page: Any, name: str) -> None:
    with one_run(page, TIMEOUT_MS):
        navigation_link(page, name).click()
    page.get_by_role("heading", name=name, exact=True).first.wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function(IDLE, timeout=TIMEOUT_MS)


def _regions_box(page: Any) -> str:
    return str(page.locator('[data-testid="stMultiSelect"]').filter(has_text="Regions").first.inner_text())


def _entries_per_visit(page: Any) -> list[int]:
    """How many history entries each page visit in :data:`VISITS` added."""
    added = []
    for name in VISITS:
        before = page.evaluate("history.length")
        _visit(page, name)
        added.append(page.evaluate("history.length") - before)
        assert "region=Wales" in page.url, (name, page.url)
        assert "Wales" in _regions_box(page), (name, _regions_box(page))
    return added


def test_a_filter_from_a_link_costs_one_entry_per_page_and_stays(server: str, page: Any) -> None:
    _first_visit(page, f"{server}/?region=Wales")
    assert _entries_per_visit(page) == [1] * len(VISITS)
    # Back: one press per page, each to the page before with the filter still in its URL.
    for name in reversed(("Overview", *VISITS[:-1])):
        with one_run(page, TIMEOUT_MS):
            page.go_back(wait_until="commit")
        page.get_by_role("heading", name=name, exact=True).first.wait_for(timeout=TIMEOUT_MS)
        page.wait_for_function(IDLE, timeout=TIMEOUT_MS)
        assert "region=Wales" in page.url, (name, page.url)


def test_a_filter_chosen_on_the_page_costs_one_entry_per_page(server: str, page: Any) -> None:
    _first_visit(page, server)
    box = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Regions").first
    with one_run(page, TIMEOUT_MS):
        choose(page, box, "Wales")
    page.wait_for_function(IDLE, timeout=TIMEOUT_MS)
    assert _entries_per_visit(page) == [1] * len(VISITS)
