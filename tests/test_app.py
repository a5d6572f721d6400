"""The app's frame: header, navigation, shared sidebar filters and their URL."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from apptest_support import *  # noqa: F403
from apptest_support import PAGES, DemoData, build_demo_at, new_app, open_page
from outage_support import Relay, lock_out, reader_role, terminate, with_application_name
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


# ---------------------------------------------------------------------------
# A database that does not answer says so, on every page; only an empty one is offered the demo
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def postgres_demo(postgres_module_url: str) -> str:
    """The small demo programme in a PostgreSQL schema of this module's own; its URL."""
    return build_demo_at(postgres_module_url)


def _error_at(url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The one error the app shows over the database at ``url``, as it reads on screen."""
    monkeypatch.setenv("ETE_DATABASE_URL", url)
    at = new_app()
    at.run()
    assert not at.exception
    assert len(at.error) == 1, [e.value for e in at.error]
    return unescape_markdown(at.error[0].value)


def _says_unreachable(at: AppTest, where: str) -> None:
    """One error: the database cannot be reached, and what to check. Never that it is empty or
    has no tables, never a command that writes (as the demo would)."""
    assert not at.exception, [e.value for e in at.exception]
    shown = [e.value for e in at.error]
    assert len(shown) == 1, shown
    message = unescape_markdown(shown[0])  # the URL is shown as literal text
    assert message.startswith(f"Cannot connect to the database at {where}: "), message
    assert "Check that the database server is running and can be reached from here" in message
    for never in ("empty", "no ETE tables", "no participants", "demo", "python -m", "make run"):
        assert never not in message, message


def _opened(at: AppTest, page: str) -> AppTest:
    at.run()
    at.switch_page(page)
    at.run()
    return at


@pytest.mark.postgres
@pytest.mark.parametrize("page", PAGES)
def test_every_page_says_when_the_database_server_goes_away(
    page: str, postgres_demo: str, demo_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Relay(postgres_demo) as relay:
        monkeypatch.setenv("ETE_DATABASE_URL", relay.url)
        at = _opened(new_app(), page)
        assert not at.exception and not at.error, [e.value for e in at.error]  # it answers
        relay.cut()  # the server stops, or the network between them fails
        at.run()
    _says_unreachable(at, relay.url)


@pytest.mark.postgres
@pytest.mark.parametrize("page", PAGES)
def test_every_page_says_when_the_database_server_cannot_be_reached_at_all(
    page: str, demo_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Port 1 on this machine: nothing listens there, the connection is refused at once.
    closed = "postgresql+psycopg://ete@127.0.0.1:1/ete"
    monkeypatch.setenv("ETE_DATABASE_URL", closed)
    _says_unreachable(_opened(new_app(), page), closed)


@pytest.mark.postgres
def test_a_page_reads_on_after_the_server_drops_its_connections(
    postgres_demo: str, demo_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, name = with_application_name(postgres_demo)
    monkeypatch.setenv("ETE_DATABASE_URL", url)
    at = new_app()
    at.run()
    assert not at.error
    assert terminate(postgres_demo, name) >= 1  # an administrator, or a restart, ends them
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "last import" in at.caption[0].value  # the data, as before


@pytest.mark.postgres
def test_a_page_whose_connections_are_dropped_and_log_in_refused_says_so(
    postgres_demo: str, demo_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with reader_role(postgres_demo) as (url, role):
        monkeypatch.setenv("ETE_DATABASE_URL", url)
        at = new_app()
        at.run()
        assert not at.exception and not at.error, [e.value for e in at.error]
        lock_out(postgres_demo, role)  # its connections terminated, new ones refused
        at.run()
        _says_unreachable(at, url)
        assert f'role "{role}" is not permitted to log in' in unescape_markdown(at.error[0].value)


def test_another_applications_database_is_told_to_check_the_url_not_offered_the_demo(
    demo_db_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    url = f"sqlite:///{tmp_path / 'orders.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE orders (id INTEGER PRIMARY KEY)")
    engine.dispose()
    message = _error_at(url, monkeypatch)
    assert "has no ETE tables, but it holds 1 other table: check that the URL" in message
    assert "demo" not in message and "make run" not in message


def test_a_database_of_real_data_without_participants_is_not_offered_the_demo(
    demo_db_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    import pandas as pd

    from ete_metrics.data import frames
    from ete_metrics.data.db import make_engine, save_extract

    url = f"sqlite:///{tmp_path / 'targets_only.db'}"
    engine = make_engine(url)  # the contract's targets, imported before any participant
    targets = pd.DataFrame({"region": ["Wales"], "period_start": [pd.Timestamp("2024-06-01")],
                            "measure": ["entered"], "target": [12]})
    save_extract(engine, frames.empty_participants(), frames.empty_milestones(), targets,
                 record={"imported_at": pd.Timestamp("2024-06-03 09:30").to_pydatetime()})
    engine.dispose()
    message = _error_at(url, monkeypatch)
    assert "holds no participants (0 participants, 0 milestones and 1 target; 1 import recorded, the latest on 3 Jun 2024)" in message
    assert "demo" not in message and "make run" not in message
