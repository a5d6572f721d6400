"""dashboard.render: a long table is shown in part on screen, downloaded in full; protected
views are worked out once per distinct frame."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from apptest_support import tables_shown
from streamlit.testing.v1 import AppTest

import dashboard.render as render
from dashboard.filters import Filters
from ete_metrics.protect.audience import present_view
from ete_metrics.steps import ENTERED, TRAINING, WORK
from ete_metrics.views import FUNNEL, View


def _long_table_app() -> None:
    import pandas as pd
    import streamlit as st

    from dashboard.filters import FILTERS_KEY, Filters
    from dashboard.render import table_with_downloads
    from ete_metrics.views import WITHHELD, View

    st.session_state[FILTERS_KEY] = Filters(as_of=pd.Timestamp("2024-05-31").date())
    frame = pd.DataFrame({"participant_id": [f"P{i:05d}" for i in range(2_500)], "days": range(2_500)})
    listing = View("long_list", {"*": WITHHELD}, days=("days",), internal_only=True)
    table_with_downloads(frame, listing, key="long", filename="long", max_rows=1_000)
    table_with_downloads(frame.head(10), listing, key="short", filename="short", max_rows=1_000)


def test_a_long_table_shows_its_first_rows_and_says_so() -> None:
    at = AppTest.from_function(_long_table_app, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    long, short = tables_shown(at)[0].value, tables_shown(at)[1].value
    assert len(long) == 1_000 and long["Participant ID"].iloc[-1] == "P00999"
    assert long["Days"].iloc[-1] == "999"
    assert len(short) == 10
    captions = [c.value for c in at.caption]
    assert "Showing the first 1,000 of 2,500 rows; the downloads below have all of them." in captions
    assert sum("Showing the first" in c for c in captions) == 1


def _funnel_view(training: int) -> pd.DataFrame:
    return pd.DataFrame({
        "step": [ENTERED.name, TRAINING.name, WORK.name], "participants": [23, training, 12],
        "rate_from_entry": [1.0, training / 23, 12 / 23], "rate_from_previous": [np.nan, training / 23, 12 / training],
        "ci_low": [0.85, 0.05, 0.33], "ci_high": [1.0, 0.32, 0.71],
    })


@pytest.fixture
def protections(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the protections ``render.shown`` works out (the stakeholder audience)."""
    calls: list[int] = []

    def counted(frame: pd.DataFrame, kind: View, audience: str) -> pd.DataFrame:
        calls.append(len(frame))
        return present_view(frame, kind, audience)

    monkeypatch.setattr(render, "present_view", counted)
    render._protected.clear()
    return calls


def _audience(monkeypatch: pytest.MonkeyPatch, audience: str) -> None:
    filters = Filters(as_of=date(2023, 8, 16), audience=audience)
    monkeypatch.setattr(render, "current_filters", lambda: filters)


def test_a_view_shown_again_is_not_protected_again(monkeypatch: pytest.MonkeyPatch, protections: list[int]) -> None:
    _audience(monkeypatch, "stakeholder")
    first = render.shown(_funnel_view(3), FUNNEL)
    # 23 -> 25; 3 is suppressed, and so is every rate it is part of; 12 -> 10
    assert first.protected
    assert first.table["participants"].to_list() == [25, "[c]", 10]
    assert first.table["rate_from_previous"].to_list()[1:] == ["[c]", "[c]"]
    assert first.numbers["participants"].to_list()[::2] == [25, 10]
    first.table.loc[0, "participants"] = 999  # the page's copy
    again = render.shown(_funnel_view(3), FUNNEL)  # equal figures, another frame
    assert again.table["participants"].to_list() == [25, "[c]", 10]
    assert protections == [3]  # worked out once

    # one count different: protected afresh (7 -> 5, shown; its rate from entry too, from
    # the published counts: 5 / 25 = 0.2)
    other = render.shown(_funnel_view(7), FUNNEL)
    assert other.table["participants"].to_list() == [25, 5, 10]
    assert other.table["rate_from_entry"].iloc[1] == 0.2
    assert protections == [3, 3]


def test_the_internal_audience_sees_the_true_figures(monkeypatch: pytest.MonkeyPatch, protections: list[int]) -> None:
    _audience(monkeypatch, "stakeholder")
    render.shown(_funnel_view(3), FUNNEL)
    _audience(monkeypatch, "internal")
    raw = _funnel_view(3)
    internal = render.shown(raw, FUNNEL)
    assert not internal.protected and internal.table is raw  # never a stakeholder's protected copy
    assert internal.table["participants"].to_list() == [23, 3, 12]
    assert protections == [3]


def test_protected_view_key_tells_categories_apart() -> None:
    from dashboard.render import _content_key

    # The same value under different category lists (one user's regions, another's) is
    # not the same frame: a cached protection must not be handed from one to the other.
    wales_only = pd.DataFrame({"region": pd.Categorical(["Wales"], categories=["Wales"])})
    all_regions = pd.DataFrame({"region": pd.Categorical(["Wales"], categories=["London", "Wales"])})
    assert _content_key(wales_only, "funnel", "stakeholder") != _content_key(all_regions, "funnel", "stakeholder")
    assert _content_key(wales_only, "funnel", "stakeholder") == _content_key(wales_only.copy(), "funnel", "stakeholder")


def _internal_list_app() -> None:
    import pandas as pd
    import streamlit as st

    from dashboard.filters import FILTERS_KEY, Filters
    from dashboard.render import table_with_downloads
    from ete_metrics.views import FOLLOW_UP

    audience = st.query_params.get("audience", "internal")
    st.session_state[FILTERS_KEY] = Filters(as_of=pd.Timestamp("2024-05-31").date(), audience=audience)
    frame = pd.DataFrame({"participant_id": ["P0000001", "P0000002"], "days_since_entry": [1200, 95],
                          "entry_date": pd.to_datetime(["2021-01-04", "2024-02-26"])})
    table_with_downloads(frame, FOLLOW_UP, key="follow_up", filename="follow_up")


@pytest.mark.parametrize("audience", ["internal", "stakeholder"])
def test_a_view_for_internal_use_is_formatted_by_its_roles_and_hidden_from_stakeholders(audience: str) -> None:
    at = AppTest.from_function(_internal_list_app, default_timeout=60)
    at.query_params["audience"] = audience
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    if audience == "stakeholder":
        assert len(tables_shown(at)) == 0 and not at.get("download_button")
        assert "This table is not available in the stakeholder view." in [c.value for c in at.caption]
        return
    shown = tables_shown(at)[0].value
    # the view's roles: days as counts ("1,200"), entry dates as UK dates
    assert shown.to_dict("list") == {"Participant ID": ["P0000001", "P0000002"],
                                     "Days since entry": ["1,200", "95"],
                                     "Entry date": ["4 Jan 2021", "26 Feb 2024"]}


def test_tables_shown_together_share_their_suppressions(monkeypatch: pytest.MonkeyPatch) -> None:
    from ete_metrics.protect.publication import Part
    from ete_metrics.views import COMPARE

    def compare(rows: list[tuple[str, int, int]]) -> pd.DataFrame:
        return pd.DataFrame({"region": [r for r, _, _ in rows], "entered": [n for _, n, _ in rows],
                             "participants": [x for _, _, x in rows]})

    # Regions A (30 entered, 3 in work), B (25, 7), C (40, 20) in one table: A's 3 and its
    # secondary B (the smallest other) are suppressed. A second table on the page shows B and
    # C: B is suppressed there too, then C as its partner, and so C in the first table.
    work = {"entered": "entered", "participants": "work"}
    parts = [Part(compare([("A", 30, 3), ("B", 25, 7), ("C", 40, 20)]), COMPARE, measures=work),
             Part(compare([("B", 25, 7), ("C", 40, 20)]), COMPARE, measures=work)]
    _audience(monkeypatch, "stakeholder")
    render._published.clear()
    first, second = render.shown_together(parts)
    assert first.table["participants"].to_list() == ["[c]", "[c]", "[c]"]
    assert second.table["participants"].to_list() == ["[c]", "[c]"]
    assert first.numbers["participants"].isna().all() and first.protected
    _audience(monkeypatch, "internal")
    internal, _ = render.shown_together(parts)
    assert internal.table["participants"].to_list() == [3, 7, 20]


def _empty_chart_app() -> None:
    import pandas as pd
    import streamlit as st

    from dashboard.filters import FILTERS_KEY, Filters
    from dashboard.render import chart_with_table
    from ete_metrics.present.charts.funnels import funnel_chart
    from ete_metrics.steps import ENTERED
    from ete_metrics.views import FUNNEL

    st.session_state[FILTERS_KEY] = Filters(as_of=pd.Timestamp("2024-05-31").date())
    nobody = pd.DataFrame({"step": [], "participants": []})
    chart_with_table(funnel_chart, nobody, FUNNEL, key="none", filename="none",
                     empty="No one entered with these filters.")
    someone = pd.DataFrame({"step": [ENTERED.name], "participants": [7], "rate_from_entry": [1.0],
                            "rate_from_previous": [float("nan")]})
    chart_with_table(funnel_chart, someone, FUNNEL, key="some", filename="some",
                     empty="No one entered with these filters.")


def test_a_chart_of_no_rows_shows_its_note_instead() -> None:
    at = AppTest.from_function(_empty_chart_app, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert [i.value for i in at.info] == ["No one entered with these filters."]  # once: the empty one
    assert len(at.get("plotly_chart")) == 1 and len(tables_shown(at)) == 1
    assert tables_shown(at)[0].value["People"].tolist() == ["7"]
