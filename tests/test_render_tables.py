"""dashboard.render: a long table is shown in part on screen, downloaded in full."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _long_table_app() -> None:
    import pandas as pd
    import streamlit as st

    from dashboard.render import table_with_downloads
    from dashboard.state import FILTERS_KEY, Filters

    st.session_state[FILTERS_KEY] = Filters(as_of=pd.Timestamp("2024-05-31").date())
    frame = pd.DataFrame({"participant_id": [f"P{i:05d}" for i in range(2_500)], "days": range(2_500)})
    table_with_downloads(frame, key="long", filename="long", counts=("days",), max_rows=1_000)
    table_with_downloads(frame.head(10), key="short", filename="short", counts=("days",), max_rows=1_000)


def test_a_long_table_shows_its_first_rows_and_says_so() -> None:
    at = AppTest.from_function(_long_table_app, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    long, short = at.dataframe[0].value, at.dataframe[1].value
    assert len(long) == 1_000 and long["Participant ID"].iloc[-1] == "P00999"
    assert long["Days"].iloc[-1] == "999"
    assert len(short) == 10
    captions = [c.value for c in at.caption]
    assert "Showing the first 1,000 of 2,500 rows; the downloads below have all of them." in captions
    assert sum("Showing the first" in c for c in captions) == 1
