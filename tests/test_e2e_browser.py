"""End to end in a real headless Chromium: the dashboard served by ``streamlit run``.

Starts ``streamlit run app.py`` on 127.0.0.1 (a free port) against a small demo
database, drives Debian's ``/usr/bin/chromium`` with Playwright (never
``playwright install``), visits every page through the sidebar navigation,
changes a sidebar filter, downloads a CSV and checks it against
:mod:`ete_metrics`, and saves a screenshot of every page in ``screenshots/``.

Skipped with a reason when ``/usr/bin/chromium`` is absent, except under
``CI=true`` where that is a failure. Every wait is bounded; the server is always
terminated.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from apptest_support import build_demo_file
from browser_support import (
    CHARTS_DRAWN,
    choose,
    chromium_page,
    navigation_link,
    one_run,
    require_chromium,
)

from benchmarks.bench_concurrency import IDLE, streamlit_server

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "screenshots"
PAGE_TIMEOUT_MS = 60_000
#: Sidebar link text -> (heading on the page, screenshot name).
PAGES: tuple[tuple[str, str, str], ...] = (
    ("Overview", "Overview", "1_overview"),
    ("Funnels", "Funnels", "2_funnels"),
    ("Regions", "Regions", "3_regions"),
    ("Cohorts", "Cohorts", "4_cohorts"),
    ("Partners", "Partners", "5_partners"),
    ("Equality", "Equality", "6_equality"),
    ("Data", "Data", "7_data"),
    ("About these statistics", "About these statistics", "8_about"),
)


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A small demo SQLite database (built here, not through ETE_DATABASE_URL of the session)."""
    require_chromium()
    return build_demo_file(tmp_path_factory.mktemp("e2e") / "ete_e2e.db")


@pytest.fixture(scope="module")
def server(demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``streamlit run app.py`` on a free port of 127.0.0.1; yields the base URL; always stopped."""
    log = tmp_path_factory.mktemp("e2e_log") / "streamlit.log"
    with streamlit_server(demo_url, log) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def browser_page(server: str) -> Iterator[object]:
    """A Playwright page in headless Debian Chromium, downloads allowed."""
    with chromium_page(PAGE_TIMEOUT_MS, accept_downloads=True, viewport={"width": 1400, "height": 1000}) as page:
        yield page


def _first_visit(page, url: str) -> None:  # type: ignore[no-untyped-def]
    """Open the app and wait (bounded) for its first run to finish: the title is drawn by
    that run, and the script state says when it is over."""
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_text("ETE Outcomes").first.wait_for(timeout=PAGE_TIMEOUT_MS)
    page.wait_for_function(IDLE, timeout=PAGE_TIMEOUT_MS)


def _open(page, link: str, heading: str) -> None:  # type: ignore[no-untyped-def]
    """Another page through the sidebar navigation, its run finished (bounded waits)."""
    with one_run(page, PAGE_TIMEOUT_MS):
        navigation_link(page, link).click()
    page.get_by_role("heading", name=heading, exact=True).first.wait_for(timeout=PAGE_TIMEOUT_MS)




def _screenshot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Save the whole page: Streamlit scrolls inside its main block, so grow the viewport to fit."""
    height = page.evaluate(
        "() => Math.max(...Array.from(document.querySelectorAll("
        "'[data-testid=\"stMain\"], [data-testid=\"stAppViewContainer\"], section.main'))"
        ".map(e => e.scrollHeight), document.body.scrollHeight)"
    )
    page.set_viewport_size({"width": 1400, "height": int(min(max(height, 1000), 12000))})
    page.wait_for_function(CHARTS_DRAWN, timeout=PAGE_TIMEOUT_MS)  # re-laid out to the new size
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    page.set_viewport_size({"width": 1400, "height": 1000})


def _errors(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').all_inner_texts()


def _upload(page, index: int, path: Path, expect: str | None = None) -> None:  # type: ignore[no-untyped-def]
    """Choose ``path`` in the ``index``-th file uploader and wait (bounded) for the app to take it.

    Waits until the uploader lists the file and the rerun it triggers has finished,
    then, when given, until ``expect`` is on the page. On a busy machine the
    browser can drop a file chosen while the previous rerun re-renders the
    uploaders (the chooser is left empty), so the choice is repeated up to three
    times; a failure saves ``screenshots/_upload_failed.png`` and reports what
    the page showed.
    """
    uploader = page.locator('[data-testid="stFileUploader"]').nth(index)
    for _attempt in range(3):
        try:
            with one_run(page, PAGE_TIMEOUT_MS):
                uploader.locator('input[type="file"]').set_input_files(str(path))
                uploader.locator('[data-testid="stFileChipName"]').filter(has_text=path.name).first.wait_for(
                    timeout=20_000
                )
            if expect is not None:
                page.get_by_text(expect).first.wait_for(timeout=20_000)
            return
        except Exception:  # noqa: BLE001 - Playwright's TimeoutError; retried, then reported below
            continue
    page.screenshot(path=str(SCREENSHOTS / "_upload_failed.png"), full_page=True)
    shown = page.locator('[data-testid="stMain"]').inner_text()[-2000:]
    raise AssertionError(f"uploading {path.name} to uploader {index} did not take; the page showed:\n{shown}")


def test_every_page_filter_and_csv_download(server: str, browser_page, demo_url: str) -> None:  # type: ignore[no-untyped-def]
    from ete_metrics.counting.filters import filter_participants, milestones_for
    from ete_metrics.counting.scope import Scope
    from ete_metrics.data import db
    from ete_metrics.metrics.equality import equality
    from ete_metrics.steps import WORK, label
    from ete_metrics.views import heading as column_heading

    page = browser_page
    SCREENSHOTS.mkdir(exist_ok=True)
    _first_visit(page, server)

    # Every page through the sidebar navigation: a heading, no error, a screenshot.
    problems: dict[str, list[str]] = {}
    for link, heading, name in PAGES:
        _open(page, link, heading)
        if _errors(page):
            problems[link] = _errors(page)
        _screenshot(page, name)

    # Change a sidebar filter on the Equality page: London only.
    _open(page, "Equality", "Equality")
    regions = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Regions").first
    with one_run(page, PAGE_TIMEOUT_MS):
        choose(page, regions, "London")
    page.get_by_text("London").first.wait_for(timeout=PAGE_TIMEOUT_MS)
    assert "region=London" in page.url
    assert _errors(page) == []
    _screenshot(page, "6_equality_london")

    # Download the chart's CSV and check it against ete_metrics for the same filters.
    with page.expect_download(timeout=PAGE_TIMEOUT_MS) as download_info:
        page.get_by_role("button", name="Download CSV").first.click()
    download = download_info.value
    assert download.suggested_filename == "equality_work.csv"
    content = Path(download.path()).read_bytes().decode("utf-8")
    got = pd.read_csv(io.StringIO(content))

    engine = db.make_engine(demo_url)
    try:
        participants = db.load_participants(engine)
        milestones = db.load_milestones(engine)
        cutoff = pd.Timestamp(db.load_imports(engine)["extract_date"].iloc[-1]).date()
    finally:
        engine.dispose()
    london = filter_participants(participants, regions=["London"])
    expected = equality(
        Scope(london, milestones_for(london, milestones), as_of=cutoff),
        step=WORK.name,
    )
    # the file's headings and characteristics are the screen's words; its values stay machine-readable
    assert list(got.columns) == [column_heading(c) for c in expected.columns]
    assert got["Characteristic"].tolist() == [label(c) for c in expected["characteristic"]]
    assert got["Group"].astype(str).tolist() == expected["group"].astype(str).tolist()
    assert got["Entered"].tolist() == expected["entered"].tolist()
    assert got["People"].tolist() == expected["participants"].tolist()
    pd.testing.assert_series_equal(got["Rate"], expected["rate"], check_names=False, rtol=1e-12)
    assert expected["entered"].sum() > 0

    # Upload on the Data page: a bad file is rejected with file/line/column; nothing written.
    upload_dir = SCREENSHOTS / "_upload"
    upload_dir.mkdir(parents=True, exist_ok=True)
    bad = upload_dir / "participants.csv"
    bad.write_text(
        "participant_id,region,referral_date,entry_date\n"
        "E2E1,London,2023-01-02,2023-01-10\n"
        "E2E2,Wales,2023-02-01,not a date\n"
    )
    good_milestones = upload_dir / "milestones.csv"
    good_milestones.write_text("participant_id,milestone,date\nE2E1,training_start,2023-02-01\n")
    _open(page, "Data", "Data")
    _upload(page, 0, bad)
    _upload(page, 1, good_milestones, expect="The extract was rejected")
    _screenshot(page, "7_data_rejected")
    assert not page.get_by_role("button", name="Import this extract").count()
    engine = db.make_engine(demo_url)
    try:
        assert len(db.load_participants(engine)) == len(participants)
        assert len(db.load_imports(engine)) == 1
    finally:
        engine.dispose()
    # The problems table's own CSV: file, line, column and message of the bad date.
    with page.expect_download(timeout=PAGE_TIMEOUT_MS) as problems_info:
        page.get_by_role("button", name="Download CSV").first.click()
    assert problems_info.value.suggested_filename == "import_problems.csv"
    problems_csv = pd.read_csv(problems_info.value.path())
    assert list(problems_csv.columns) == ["File", "Line", "Column", "Message"]  # as on screen
    bad_date = problems_csv.loc[problems_csv["Column"] == "entry_date"].iloc[0]
    assert (bad_date["File"], int(bad_date["Line"])) == ("participants.csv", 3)
    assert "not a date" in bad_date["Message"]

    # Fixed file: previewed, then written only on the explicit confirm.
    fixed = upload_dir / "fixed" / "participants.csv"
    fixed.parent.mkdir(exist_ok=True)
    fixed.write_text(
        "participant_id,region,referral_date,entry_date\nE2E1,London,2023-01-02,2023-01-10\n"
    )
    _upload(page, 0, fixed, expect="The extract passed the checks")
    engine = db.make_engine(demo_url)
    try:
        assert len(db.load_imports(engine)) == 1  # not yet written
    finally:
        engine.dispose()
    with one_run(page, PAGE_TIMEOUT_MS):
        page.get_by_role("button", name="Import this extract").click()
    page.get_by_text("Import 2 done").first.wait_for(timeout=PAGE_TIMEOUT_MS)
    _screenshot(page, "7_data_imported")
    engine = db.make_engine(demo_url)
    try:
        assert len(db.load_imports(engine)) == 2
        assert "E2E1" in set(db.load_participants(engine)["participant_id"])
    finally:
        engine.dispose()
    # The cache was cleared: the page now counts the new referral.
    page.get_by_text(f"The database holds {len(participants) + 1:,} referrals").first.wait_for(
        timeout=PAGE_TIMEOUT_MS
    )
    # Checked last so one broken page does not hide the rest of the run.
    assert problems == {}, f"errors shown on pages: {problems}"
