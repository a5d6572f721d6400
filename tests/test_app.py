"""The app's frame: header, navigation, shared sidebar filters and their URL."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from apptest_support import *  # noqa: F403
from apptest_support import DemoData, new_app, open_page
from streamlit.testing.v1 import AppTest

from dashboard.escape import unescape_markdown
from ete_metrics.present.formatting import uk_date


def test_header_shows_the_cut_off_and_the_last_import(app: AppTest, demo_data: DemoData) -> None:
    assert app.title[0].value == "ETE Outcomes"
    caption = app.caption[0].value
    assert f"data to **{uk_date(demo_data.cutoff)}**" in caption
    assert "last import" in caption


def test_navigation_registers_the_pages(app: AppTest) -> None:
    registered = {info["page_name"] for info in app._registered_pages.values()}
    assert {"Overview", "Funnels", "Regions", "About these statistics"} <= registered


def test_default_filters(app: AppTest, demo_data: DemoData) -> None:
    filters = app.session_state["ete_filters"]
    # as_of defaults to the cut-off; no date range; everyone
    assert filters.as_of == demo_data.cutoff
    assert (filters.date_from, filters.date_to) == (None, None)
    assert filters.regions == filters.pathways == filters.delivery_partners == ()
    assert app.query_params == {}  # a plain link for the default view


def test_url_opens_the_matching_view(demo_db_url: str) -> None:
    at = new_app(
        {
            "as_of": "2023-08-16",
            "from": "2022-04-01",
            "to": "2023-03-31",
            "region": ["London", "Wales"],
            "pathway": "custody",
            "partner": "Not a partner",  # unknown values are dropped, not an error
        }
    )
    at.run()
    assert not at.exception
    filters = at.session_state["ete_filters"]
    assert filters.as_of == date(2023, 8, 16)
    assert filters.date_from == date(2022, 4, 1)
    assert filters.date_to == date(2023, 3, 31)
    assert filters.regions == ("London", "Wales")
    assert filters.pathways == ("custody",)
    assert filters.delivery_partners == ()
    assert at.multiselect(key="filter_regions").value == ["London", "Wales"]
    assert at.date_input(key="filter_as_of").value == date(2023, 8, 16)


def test_changing_a_filter_updates_the_url_and_persists_across_pages(app: AppTest) -> None:
    app.multiselect(key="filter_regions").set_value(["North West"]).run()
    app.date_input(key="filter_as_of").set_value(date(2022, 12, 31)).run()
    assert app.query_params["region"] == "North West"
    assert app.query_params["as_of"] == "2022-12-31"
    open_page(app, "app_pages/8_about.py")
    filters = app.session_state["ete_filters"]
    assert filters.regions == ("North West",)
    assert filters.as_of == date(2022, 12, 31)
    assert app.multiselect(key="filter_regions").value == ["North West"]
    # reset returns to the defaults and a plain URL
    app.button(key="filter_reset").click().run()
    assert app.session_state["ete_filters"].regions == ()
    assert "region" not in app.query_params


def test_a_reversed_date_range_is_ignored_with_a_warning(app: AppTest) -> None:
    app.date_input(key="filter_date_from").set_value(date(2023, 1, 1))
    app.date_input(key="filter_date_to").set_value(date(2022, 1, 1)).run()
    assert app.session_state["ete_filters"].date_from is None
    assert any("after" in w.value for w in app.warning)


def test_an_empty_database_shows_what_to_do(
    demo_db_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    from ete_metrics.data.db import create_schema, make_engine

    url = f"sqlite:///{tmp_path / 'empty.db'}"
    engine = make_engine(url)
    create_schema(engine)
    engine.dispose()
    monkeypatch.setenv("ETE_DATABASE_URL", url)
    at = new_app()
    at.run()
    assert not at.exception
    assert "no participants" in at.error[0].value
    assert "make run" in at.error[0].value


def test_a_database_without_tables_shows_what_to_do(
    demo_db_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    url = f"sqlite:///{tmp_path / 'blank.db'}"
    sa.create_engine(url).connect().close()
    monkeypatch.setenv("ETE_DATABASE_URL", url)
    at = new_app()
    at.run()
    assert not at.exception
    assert "no ETE tables" in at.error[0].value


def test_url_dates_outside_the_data_are_moved_into_it_and_said_so(
    demo_db_url: str, demo_data: DemoData
) -> None:
    # A bookmarked link outlives the data: 1900 is before every entry and 2999 after the
    # cut-off, so each moves to the nearest end of the range (the contract start, 1 Jun
    # 2021, is earlier than every demo entry; the cut-off is the data's).
    at = new_app({"from": "1900-01-01", "to": "2999-01-01", "as_of": "1900-01-01"})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    filters = at.session_state["ete_filters"]
    assert filters.date_from == date(2021, 6, 1)
    assert filters.date_to == demo_data.cutoff
    assert filters.as_of == date(2021, 6, 1)
    notes = [unescape_markdown(n.value) for n in at.sidebar.info]  # shown escaped (a link is input)
    cutoff = uk_date(demo_data.cutoff)
    assert notes == [
        f"'Figures as at' was 1 Jan 1900, outside the data (1 Jun 2021 to {cutoff}); "
        "1 Jun 2021 is used instead.",
        f"'Entered from' was 1 Jan 1900, outside the data (1 Jun 2021 to {cutoff}); "
        "1 Jun 2021 is used instead.",
        f"'Entered to' was 1 Jan 2999, outside the data (1 Jun 2021 to {cutoff}); "
        f"{cutoff} is used instead.",
    ]
    # Every page runs with the moved dates; a date the user picks ends the note.
    open_page(at, "app_pages/2_funnels.py")
    at.date_input(key="filter_date_from").set_value(date(2022, 1, 1)).run()
    assert not at.exception
    assert len(at.sidebar.info) == 2
