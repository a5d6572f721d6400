"""Shared fixtures for the dashboard's AppTest tests.

Import them in a test module with ``from apptest_support import *  # noqa: F403``
(``tests/`` is on ``sys.path`` under pytest's default import mode).

- ``demo_db_url`` (session): a SQLite file with the demo programme
  (3,000 referrals, built once per session) and ``ETE_DATABASE_URL`` pointing at it.
- ``demo_data`` (session): the same data as frames, read with :mod:`ete_metrics.data.db`,
  so tests compute the expected figures with :mod:`ete_metrics` directly.
- ``app``: an ``AppTest`` of ``app.py`` (run once, on the default page).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import streamlit.testing.v1.app_test as app_test_module
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
DEMO_PARTICIPANTS = 3_000
TIMEOUT = 60
#: Every page of the app (each file in app_pages/), so a new page is covered by the page-wide tests.
PAGES: tuple[str, ...] = tuple(sorted(f"app_pages/{p.name}" for p in (ROOT / "app_pages").glob("*.py")))



__all__ = [
    "APP", "PRESENTATION", "DemoData", "ShownTable", "app", "tables_shown", "demo_data", "demo_db_url", "each_screen", "media", "new_app",
    "open_page",
]
#: The presentation page: one slide at a time (:func:`each_screen` shows every slide).
PRESENTATION = "app_pages/9_present.py"
#: An ``[auth]`` secret (sign-in on, one OpenID Connect provider), for ``at.secrets["auth"]``:
#: with it ``at.user`` is the signed-in visitor. Not a real registration.
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "not-a-real-secret",
    "client_id": "00000000-0000-0000-0000-000000000000",
    "client_secret": "not-a-real-secret",
    "server_metadata_url": "https://login.example.org/.well-known/openid-configuration",
}


@dataclass(frozen=True)
class DemoData:
    """The demo database's contents, for computing expected figures in tests."""

    url: str
    participants: pd.DataFrame
    milestones: pd.DataFrame
    targets: pd.DataFrame
    cutoff: date


def build_demo_file(path: Path) -> str:
    """Build the small demo programme (:data:`DEMO_PARTICIPANTS`) in a SQLite file; its URL."""
    return build_demo_at(f"sqlite:///{path}")


def build_demo_at(url: str) -> str:
    """Build the small demo programme (:data:`DEMO_PARTICIPANTS`) in the database at ``url``; the URL."""
    from ete_metrics.data.db import make_engine
    from ete_metrics.data.demo import build_demo_database

    engine = make_engine(url)
    try:
        build_demo_database(engine, n_participants=DEMO_PARTICIPANTS)
    finally:
        engine.dispose()
    return url


@pytest.fixture(scope="session")
def demo_db_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Build the small demo database once per session and point ETE_DATABASE_URL at it."""
    url = build_demo_file(tmp_path_factory.mktemp("apptest") / "ete_demo.db")
    previous = os.environ.get("ETE_DATABASE_URL")
    os.environ["ETE_DATABASE_URL"] = url
    try:
        yield url
    finally:
        if previous is None:
            os.environ.pop("ETE_DATABASE_URL", None)
        else:
            os.environ["ETE_DATABASE_URL"] = previous


@pytest.fixture(scope="session")
def demo_data(demo_db_url: str) -> DemoData:
    """The demo database read back as frames, with the dashboard's cut-off."""
    from dashboard.data import read_data

    data = read_data(demo_db_url)
    assert data.cutoff is not None
    return DemoData(
        url=demo_db_url,
        participants=data.participants,
        milestones=data.milestones,
        targets=data.targets,
        cutoff=data.cutoff,
    )


def new_app(query_params: dict[str, str | list[str]] | None = None) -> AppTest:
    """Return an AppTest of app.py (not yet run), with optional URL query parameters."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for name, value in (query_params or {}).items():
        at.query_params[name] = value
    return at


@dataclass(frozen=True)
class ShownTable:
    """A table on the page as a person reads it (its ``value``: headings and cells)."""

    value: pd.DataFrame


def tables_shown(at: AppTest) -> list[ShownTable]:
    """Every table on the page, in order: the grids (``st.dataframe``) and the static tables
    (``st.table``, whose Markdown escapes are resolved, so a cell reads as it shows)."""
    from dashboard.escape import unescape_markdown

    def text(value: Any) -> Any:
        return unescape_markdown(value) if isinstance(value, str) else value

    shown = []
    for node in at._tree:
        if node.type == "dataframe":
            shown.append(ShownTable(node.value))
        elif node.type == "table":
            frame = node.value
            frame = frame.rename(columns=text).map(text) if len(frame.columns) else frame
            shown.append(ShownTable(frame.reset_index(drop=True)))
    return shown


def open_page(at: AppTest, page: str) -> AppTest:
    """Run the app if needed, switch to ``page`` (e.g. ``"app_pages/2_funnels.py"``) and run it."""
    if "ete_filters" not in at.session_state:  # never run yet: switch_page needs one run
        at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def prepare_reports(at: AppTest, key: str = "overview_report") -> AppTest:
    """Click each report's Prepare button still shown (deck, review pack, workbook), as a person would."""
    for fmt in ("pptx", "pdf", "xlsx"):
        if not any(b.key == f"{key}_prepare_{fmt}" for b in at.button):
            continue  # already prepared for this view
        at.button(key=f"{key}_prepare_{fmt}").click().run()
        assert not at.exception, [e.value for e in at.exception]
    return at


#: The pages drawing one tab at a time (``dashboard.page_state.section_tabs``): their tabs' key.
SECTIONS = {"app_pages/1_overview.py": "overview_section", "app_pages/2_funnels.py": "funnels_section"}


def open_section(at: AppTest, page: str, section: str) -> AppTest:
    """Open tab ``section`` (its label) of ``page``, as a click on the tab does, and run."""
    at.session_state[SECTIONS[page]] = section
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def each_screen(at: AppTest, page: str) -> Iterator[AppTest]:
    """``at`` as it is, then each other tab of a page drawn a tab at a time, or for the
    presentation each following slide in turn (Next clicked).

    So a test that scans every page for what it must not show scans every tab and slide.
    """
    yield at
    if page in SECTIONS:
        labels = [tab.label for tab in at.tabs]
        assert labels, f"{page} shows no tabs"
        for section in labels[1:]:
            yield open_section(at, page, section)
        open_section(at, page, labels[0])
        return
    if page != PRESENTATION:
        return
    while not at.button(key="present_next").disabled:
        at.button(key="present_next").click().run()
        assert not at.exception, [e.value for e in at.exception]
        yield at


@pytest.fixture
def app(demo_db_url: str) -> AppTest:
    """An AppTest of app.py, run once on the default page."""
    at = new_app()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture
def media(monkeypatch: pytest.MonkeyPatch) -> list[MediaFileManager]:
    """The media managers of AppTest runs, kept so deferred downloads can be run later."""
    managers: list[MediaFileManager] = []

    class Recording(MediaFileManager):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            managers.append(self)

    monkeypatch.setattr(app_test_module, "MediaFileManager", Recording)
    return managers
