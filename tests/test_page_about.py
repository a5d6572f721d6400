"""The About these statistics page."""

from __future__ import annotations

from apptest_support import *  # noqa: F403
from apptest_support import DemoData, open_page
from streamlit.testing.v1 import AppTest

from ete_metrics.present.formatting import count, uk_date


def test_about_page_states_status_cut_off_and_definitions(app: AppTest, demo_data: DemoData) -> None:
    open_page(app, "app_pages/8_about.py")
    text = "\n".join(m.value for m in app.markdown)
    info = "\n".join(i.value for i in app.info)
    assert "management information, not official statistics" in info
    assert f"**{uk_date(demo_data.cutoff)}**" in text
    assert f"{count(len(demo_data.participants))} referrals" in text
    for measure in ("Entered", "Into training", "Into work", "Sustained work", "Rate from entry"):
        assert f"**{measure}**" in text
    for method in ("Conversion windows", "Cohorts", "Spiegelhalter", "Wilson", "Kaplan"):
        assert method in text
    assert "Recent cohorts are immature" in text
    assert "self-reported by caseworkers" in text
    assert not app.error


def test_about_page_shows_the_vocabularys_definitions(app: AppTest) -> None:
    from ete_metrics.steps import definitions

    open_page(app, "app_pages/8_about.py")
    text = "\n".join(m.value for m in app.markdown)
    for term, definition in definitions():
        assert f"| **{term}** | {definition} |" in text
