"""Several real browser sessions at once against one server, with an import mid-way.

A small, bounded run of ``benchmarks/bench_concurrency.py`` (4 sessions for about
15 s, a 3,000-referral demo database, ``streamlit run`` on 127.0.0.1): every
session switches pages and changes a filter while an extract is imported from
the command line. No Streamlit exception, error message, console error, page
error, timeout or server traceback may occur. The same server then shows
partner names that are HTML, a ``javascript:`` link, an image, Streamlit
directives and Plotly's own markup: the page must show them as literal text, in
its captions and in the labels its charts draw (checked in the DOM and the SVG).

Skipped with a reason when ``/usr/bin/chromium`` is absent, except under
``CI=true`` where that is a failure. Every wait is bounded; the server is always stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import urllib.parse
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from browser_support import require_chromium

from benchmarks.bench_concurrency import (
    CHROMIUM,
    CHROMIUM_ARGS,
    Result,
    drive,
    import_while_reading,
    streamlit_server,
    summary,
)

pytestmark = pytest.mark.browser

SESSIONS = 4
SECONDS = 15.0
PARTNERS = (
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "![t](https://example.org/t.png)",
    ":red[**loud**] :material/delete:",
    "www.example.org and x@example.org",
    # Plotly's own markup, drawn in chart labels unless escaped:
    "<b>Bold Ltd</b>",
    '<a href="https://evil.example/">Click Ltd</a>',
)
#: The partners whose names the Partners page draws as a chart's axis labels.
CHART_PARTNERS = PARTNERS[-2:]


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    require_chromium()
    pytest.importorskip("playwright.async_api")
    from ete_metrics.data import db
    from ete_metrics.data.demo import build_demo_database
    from ete_metrics.data.importer import import_extract

    folder = tmp_path_factory.mktemp("concurrency")
    url = f"sqlite:///{folder / 'ete_demo.db'}"
    engine = db.make_engine(url)
    try:
        build_demo_database(engine, n_participants=3_000)
        people = ["participant_id,region,referral_date,entry_date,delivery_partner"]
        for i, partner in enumerate(PARTNERS):
            quoted = '"' + partner.replace('"', '""') + '"'
            people.append(f"HOSTILE{i},Wales,2023-01-0{i + 1},2023-01-1{i},{quoted}")
        participants = folder / "hostile_participants.csv"
        participants.write_text("\n".join(people) + "\n", encoding="utf-8")
        milestones = folder / "hostile_milestones.csv"
        milestones.write_text("participant_id,milestone,date\n", encoding="utf-8")
        cutoff = db.load_imports(engine)["extract_date"].iloc[-1].date()
        import_extract(engine, participants, milestones, imported_at=datetime(2024, 6, 1, 9, 0),
                       extract_date=max(cutoff, date(2023, 2, 1)))
    finally:
        engine.dispose()
    return url


@contextlib.asynccontextmanager
async def _page(**options: Any) -> AsyncIterator[Any]:
    """A page (Playwright's async API) in headless Debian Chromium, closed with its browser after."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, timeout=60_000
        )
        try:
            yield await browser.new_page(**options)
        finally:
            await browser.close()


async def _literal_partners(base: str) -> dict[str, Any]:
    """Open the Overview filtered on the hostile partners; report what the caption renders."""
    query = urllib.parse.urlencode([("partner", p) for p in PARTNERS])
    async with _page() as page:
        dialogs: list[str] = []
        page.on("dialog", lambda d: dialogs.append(d.message))
        await page.goto(f"{base}/?{query}", wait_until="domcontentloaded", timeout=60_000)
        caption = page.locator('[data-testid="stCaptionContainer"]').filter(
            has_text="delivery partner:"
        ).first
        await caption.wait_for(timeout=90_000)
        return {
            # Bare links are broken with invisible word joiners (U+2060): drop them.
            "text": (await caption.inner_text()).replace("\u2060", ""),
            "links": await caption.locator("a").count(),
            "images": await caption.locator("img").count(),
            "icons": await caption.locator('[data-testid="stIconMaterial"]').count(),
            "coloured": await caption.locator("span[class*='red'], [style*='color']").count(),
            "bold": await caption.locator("strong, b").count(),
            "dialogs": dialogs,
        }


async def _chart_labels(base: str) -> dict[str, Any]:
    """Open the Partners page filtered on the hostile partners; report what its charts draw."""
    query = urllib.parse.urlencode([("partner", p) for p in CHART_PARTNERS])
    async with _page(viewport={"width": 1400, "height": 1000}) as page:
        await page.goto(f"{base}/partners?{query}", wait_until="domcontentloaded", timeout=60_000)
        # The delivery partners' funnel: one bar group per partner, named on its axis.
        await page.wait_for_function(
            "() => Array.from(document.querySelectorAll('.js-plotly-plot'))"
            ".some(p => p.textContent.includes('Bold Ltd'))",
            timeout=90_000,
        )
        return dict(await page.evaluate(
            """() => {
                const plots = Array.from(document.querySelectorAll('.js-plotly-plot'));
                const texts = plots.flatMap(p => Array.from(p.querySelectorAll('text'))
                    .map(t => t.textContent));
                return {
                    texts: texts,
                    links: plots.reduce((n, p) => n + p.querySelectorAll('a').length, 0),
                    // Bold drawn from a name (chart titles are bold in Streamlit's theme).
                    bold: plots.flatMap(p => Array.from(p.querySelectorAll('tspan')))
                        .filter(t => (t.getAttribute('style') || '').includes('bold'))
                        .filter(t => /Bold Ltd|Click Ltd/.test(t.textContent)).length,
                };
            }"""
        ))


def test_sessions_switch_pages_and_filters_during_an_import_without_errors(
    database: str, tmp_path: Path
) -> None:
    result = Result(sessions=SESSIONS, seconds=SECONDS)
    log = tmp_path / "streamlit.log"
    with streamlit_server(database, log) as base:
        asyncio.run(
            drive(base, SESSIONS, SECONDS, result,
                  halfway=lambda: import_while_reading(database, tmp_path / "extract"))
        )
        rendered = asyncio.run(_literal_partners(base))
        drawn = asyncio.run(_chart_labels(base))
    result.server_tracebacks = log.read_text(errors="replace").count("Traceback")
    print(summary(result))
    assert result.import_seconds is not None
    assert result.page_ms and result.filter_ms, "the sessions did not get going"
    assert result.error_count == 0, summary(result)
    assert result.server_tracebacks == 0, log.read_text(errors="replace")[-3000:]

    # Partner names are shown exactly as written: no link, image, icon, colour or bold.
    for partner in PARTNERS:
        assert partner in rendered["text"], rendered
    for kind in ("links", "images", "icons", "coloured", "bold"):
        assert rendered[kind] == 0, (kind, rendered)
    assert rendered["dialogs"] == []

    # ... and drawn in the charts as written: the tick labels read as typed, no link, no bold.
    for partner in CHART_PARTNERS:
        assert partner in drawn["texts"], drawn["texts"]
    assert (drawn["links"], drawn["bold"]) == (0, 0), drawn
