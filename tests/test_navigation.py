"""Tests of dashboard.navigation: the app draws the sidebar's links itself (Streamlit's are hidden)."""

from __future__ import annotations

from apptest_support import *  # noqa: F403
from streamlit.testing.v1 import AppTest


def test_the_sidebar_links_every_page_in_order_under_its_section(app: AppTest) -> None:
    links = app.sidebar.get("page_link")
    # every page of the app, in the navigation's order, by its title, once
    assert [link.proto.label for link in links] == [
        "Overview", "Presentation", "Funnels", "Regions", "Cohorts", "Partners", "Equality", "Data",
        "About these statistics",
    ]
    # the section names come first in the sidebar, as text
    assert [c.value for c in app.sidebar.caption][:3] == ["Contract", "Analysis", "Data and methods"]
