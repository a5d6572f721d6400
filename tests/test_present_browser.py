"""The stakeholder presentation and a director's preview, in a real headless Chromium.

``streamlit run app.py`` on 127.0.0.1 against a small demo database, driven by
Playwright in Debian's ``/usr/bin/chromium``:

- the presentation fills the window (no sidebar, no banner), the arrow keys move
  between slides (the caption says which slide), and a slide's chart is drawn;
- the local operator previews a Wales lead: the banner says so, the Regions page has
  Wales alone in view (set against the programme), and ending the preview brings the
  other regions back.

Screenshots go to ``screenshots/``. Every wait is on Streamlit's script state or on
what the page shows, bounded; skipped with a reason without Chromium, except under
``CI=true`` where that is a failure.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from apptest_support import build_demo_file
from browser_support import choose, chromium_page, navigation_link, require_chromium

from benchmarks.bench_concurrency import IDLE, streamlit_server

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"
TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_chromium()
    folder = tmp_path_factory.mktemp("present")
    url = build_demo_file(folder / "ete_present.db")
    with streamlit_server(url, folder / "streamlit.log") as base:
        yield base


@pytest.fixture
def page(server: str) -> Iterator[Any]:
    with chromium_page(TIMEOUT_MS, viewport={"width": 1400, "height": 900}, reduced_motion="reduce") as tab:
        yield tab


def _shows(page: Any, text: str) -> None:
    """Wait until ``text`` is on the page and the script has finished its run."""
    page.get_by_text(text).first.wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function(IDLE, timeout=TIMEOUT_MS)


def _errors(page: Any) -> list[str]:
    return page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').all_inner_texts()


def test_the_presentation_fills_the_screen_and_the_arrow_keys_move(server: str, page: Any) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.goto(f"{server}/present", wait_until="domcontentloaded")
    _shows(page, "Slide 1 of ")
    assert not page.locator('[data-testid="stSidebar"]').is_visible()
    assert page.get_by_text("Sign-in is off").count() == 0
    page.keyboard.press("ArrowRight")
    _shows(page, "Slide 2 of ")
    page.keyboard.press("ArrowRight")
    _shows(page, "Slide 3 of ")
    page.locator(".js-plotly-plot").first.wait_for(timeout=TIMEOUT_MS)
    page.screenshot(path=str(SCREENSHOTS / "presentation.png"))
    page.keyboard.press("ArrowLeft")
    _shows(page, "Slide 2 of ")
    assert _errors(page) == []
    # "End the presentation" goes back to the Overview, with its frame and sidebar.
    page.get_by_text("End the presentation").click()
    page.get_by_role("heading", name="Overview", exact=True).wait_for(timeout=TIMEOUT_MS)
    page.locator('[data-testid="stSidebar"]').wait_for(state="visible", timeout=TIMEOUT_MS)


def test_the_local_operator_previews_a_wales_lead(server: str, page: Any) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.goto(server, wait_until="domcontentloaded")
    page.get_by_role("heading", name="Overview", exact=True).wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function(IDLE, timeout=TIMEOUT_MS)
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Preview as").first
    choose(page, box, "A regional lead (Wales)")
    _shows(page, "you are seeing the dashboard as A regional lead (Wales) sees it")
    navigation_link(page, "Regions").click()
    page.get_by_role("heading", name="Regions", exact=True).wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function(IDLE, timeout=TIMEOUT_MS)
    # Wales alone is in view: it is set against the programme, not compared with itself.
    page.get_by_role("heading", name="Wales against the programme", exact=True).wait_for(timeout=TIMEOUT_MS)
    assert page.get_by_text("Only Wales is in view").count() == 1
    page.screenshot(path=str(SCREENSHOTS / "preview_wales_regions.png"))
    page.get_by_role("button", name="End the preview").click()
    page.get_by_text("you are seeing the dashboard as").wait_for(state="detached", timeout=TIMEOUT_MS)
    # Every region again: the regions are compared with each other.
    page.get_by_role("heading", name="Compared with the overall rate", exact=True).wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function(IDLE, timeout=TIMEOUT_MS)
    assert _errors(page) == []


#: Each button's words as a person reads them: visible text, a Material icon read as its arrow.
_BUTTON_TEXT = """(button) => {
    const arrows = {arrow_back: "\\u2190", arrow_forward: "\\u2192"};
    const parts = [];
    const walk = (node) => {
        if (node.nodeType === Node.TEXT_NODE) { parts.push(node.textContent.trim()); return; }
        if (node.nodeType !== Node.ELEMENT_NODE) return;
        const style = getComputedStyle(node);
        if (style.display === "none" || style.visibility === "hidden") return;
        if (node.dataset && node.dataset.testid === "stIconMaterial") {
            parts.push(arrows[node.textContent.trim()] || node.textContent.trim()); return;
        }
        node.childNodes.forEach(walk);
    };
    walk(button);
    return parts.filter((p) => p).join(" ");
}"""


def test_the_slide_buttons_read_previous_and_next_with_one_arrow_each(server: str, page: Any) -> None:
    """The buttons read "← Previous" and "Next →" (not "← Previous ←": an icon and the shortcut's key)."""
    page.goto(f"{server}/present", wait_until="domcontentloaded")
    _shows(page, "Slide 1 of ")
    previous = page.locator(".st-key-present_previous button")
    following = page.locator(".st-key-present_next button")
    assert previous.evaluate(_BUTTON_TEXT) == "\u2190 Previous"
    assert following.evaluate(_BUTTON_TEXT) == "Next \u2192"
    # the arrow keys still move between slides
    page.keyboard.press("ArrowRight")
    _shows(page, "Slide 2 of ")
    assert previous.evaluate(_BUTTON_TEXT) == "\u2190 Previous"
    page.keyboard.press("ArrowLeft")
    _shows(page, "Slide 1 of ")
