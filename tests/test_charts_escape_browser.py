"""Names from the data are drawn literally by Plotly in a real headless Chromium.

Plotly draws ``<b>``, ``<br>`` and ``<a href=...>`` in the text of a chart. The
chart builders hand names to Plotly escaped (:func:`ete_metrics.present.charts.style.plotly_text`);
this checks what a browser actually draws: a figure from our builders with hostile
partner names is written to an HTML file with plotly.js inlined (no network), opened
through ``file://`` in Debian's ``/usr/bin/chromium`` with Playwright, and its SVG
is read back. A screenshot is left at ``/tmp/plotly_escape.png``.

Skipped with a reason when ``/usr/bin/chromium`` is absent, except under
``CI=true`` where that is a failure. Every wait is bounded.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import pytest
from browser_support import CHROMIUM, CHROMIUM_ARGS, require_chromium

from ete_metrics.present.charts.funnels import funnel_chart
from ete_metrics.present.charts.partners import employers_chart
from ete_metrics.present.charts.style import plotly_text
from ete_metrics.steps import ENTERED, TRAINING, WORK

pytestmark = pytest.mark.browser

TIMEOUT_MS = 10_000
SCREENSHOT = Path("/tmp/plotly_escape.png")

BOLD = "<b>Acme</b>"
LINK = '<a href="https://evil.example">click</a>'
BREAK = "Line<br>break"
ENTITY = "&amp; Co"
TEMPLATE = "Pay 100%{y} now"
NAMES = [BOLD, LINK, BREAK, ENTITY, "Cwmni 北京 партнёр", TEMPLATE]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=15_000)
        try:
            yield chromium
        finally:
            chromium.close()


def _open(browser: Any, fig: go.Figure, path: Path) -> Any:
    """The figure as a stand-alone page (plotly.js inlined) opened in a new tab, drawn."""
    fig.write_html(path, include_plotlyjs=True, full_html=True, config={"displaylogo": False})
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_selector(".main-svg .barlayer .point path")
    return page


def _texts(page: Any, selector: str) -> list[str]:
    return list(page.eval_on_selector_all(selector, "els => els.map(e => e.textContent)"))


def _hover(page: Any, trace: int, point: int) -> str:
    """Move the mouse onto one bar and return the hover label's text.

    The mouse first leaves the plot and the previous label is gone, so the text read
    is the new bar's label, not the last one still on screen.
    """
    page.mouse.move(1, 1)
    page.wait_for_selector(".hoverlayer .hovertext", state="detached")
    bar = page.locator(".barlayer .trace").nth(trace).locator(".point").nth(point)
    box = bar.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector(".hoverlayer .hovertext")
    return " ".join(_texts(page, ".hoverlayer .hovertext text"))


def _assert_no_markup(page: Any) -> None:
    """No link anywhere on the page to the hostile URL, no bold or styled text in the plot."""
    links = page.eval_on_selector_all(
        "a", "els => els.map(e => (e.getAttribute('href') || '') + ' ' + (e.getAttribute('xlink:href') || ''))"
    )
    assert not [link for link in links if "evil.example" in link]
    assert not _texts(page, ".main-svg a")  # Plotly draws no link of its own in the plot
    bold = page.eval_on_selector_all(
        ".main-svg tspan",
        "els => els.filter(e => /bold|italic/.test(e.getAttribute('style') || '')).map(e => e.textContent)",
    )
    assert bold == []


def test_employer_names_are_drawn_literally(browser: Any, tmp_path: Path) -> None:
    n = len(NAMES)
    employers = pd.DataFrame(
        {"partner": NAMES, "job_starts": [8] * n, "job_sustained": [4] * n, "sustained_rate": [0.5] * n}
    )
    figure = employers_chart(employers)
    page = _open(browser, figure, tmp_path / "employers.html")
    try:
        # Each tick label reads exactly the imported name, on one line.
        assert sorted(_texts(page, ".yaxislayer-above .ytick text")) == sorted(NAMES)
        _assert_no_markup(page)
        # Hover over the bold-named employer's first bar (bars are ranked by value, so find
        # its place in the trace): its name as typed, not bold.
        hover = _hover(page, 0, [str(v) for v in figure.data[0].y].index(plotly_text(BOLD)))
        assert BOLD in hover and "Job starts: 8" in hover
        _assert_no_markup(page)
        page.screenshot(path=str(SCREENSHOT), full_page=True)
    finally:
        page.close()


def test_partner_names_in_legend_and_hover_are_drawn_literally(browser: Any, tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"step": [ENTERED.name, TRAINING.name, WORK.name], "participants": [200, 80, 30],
         "rate_from_entry": [1.0, 0.4, 0.15], "rate_from_previous": [float("nan"), 0.4, 0.375]}
    )
    funnel = pd.concat([frame.assign(delivery_partner=name) for name in NAMES], ignore_index=True)
    page = _open(browser, funnel_chart(funnel, by="delivery_partner"), tmp_path / "funnel.html")
    try:
        assert _texts(page, ".legend .legendtext") == NAMES
        _assert_no_markup(page)
        # The hover names the group through the trace name: shown as typed, and a
        # "%{y}" in a name is not filled in with the bar's value.
        assert "Delivery partner: " + LINK in _hover(page, NAMES.index(LINK), 0)
        _assert_no_markup(page)
        hover = _hover(page, NAMES.index(TEMPLATE), 1)
        assert "Delivery partner: " + TEMPLATE in hover and "Into training: 80 people" in hover
    finally:
        page.close()
