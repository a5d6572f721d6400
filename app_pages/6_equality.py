"""Equality: outcome rates by gender, age band, ethnicity and disability.

Thin page: reads the sidebar filters, calls :func:`ete_metrics.metrics.equality.equality`
(through the cached ``metric``), renders the chart and the table under it.
"""

from __future__ import annotations

import streamlit as st

from dashboard.data import load_data, metric
from dashboard.filters import current_filters
from dashboard.links import EQUALITY_OUTCOME, EQUALITY_WINDOW, EQUALITY_WINDOWS
from dashboard.page_state import keep_in_url, url_option
from dashboard.render import chart_with_table, empty_state, shown_publication, user_errors
from ete_metrics import views
from ete_metrics.metrics.equality import equality
from ete_metrics.present.charts.equality import equality_chart
from ete_metrics.steps import label

#: Characteristics compared, in display order.
CHARACTERISTICS = ("gender", "age_band", "ethnicity", "disability")

data = load_data()
filters = current_filters()

st.header("Equality")
st.caption(filters.describe())

# the page's options are kept in the URL (declared in dashboard.links), so a link reproduces the view
url_option(EQUALITY_OUTCOME, "equality_step")
url_option(EQUALITY_WINDOW, "equality_window")
left, right = st.columns(2)
with left:
    step = str(st.radio(
        "Outcome", EQUALITY_OUTCOME.options, format_func=label, horizontal=True, key="equality_step",
        help="Entered participants with at least one counted milestone of this kind.",
    ))
with right:
    window = st.selectbox(
        "Time allowed since entry",
        EQUALITY_WINDOW.options,
        key="equality_window",
        help="With a window, only people who entered at least that long ago are counted, "
        "and only outcomes within the window — so groups are compared like with like.",
    )
window_days = None if window == EQUALITY_WINDOWS[0] else int(str(window).split()[1])
keep_in_url(EQUALITY_OUTCOME, step)
keep_in_url(EQUALITY_WINDOW, window)

with user_errors():
    frame = metric(
        equality,
        data,
        filters,
        as_of=filters.as_of,
        characteristics=CHARACTERISTICS,
        step=step,
        window_days=window_days,
        **filters.date_range(),
    )

if frame.empty:
    empty_state(
        "No one entered the programme with these filters (and time window). Widen the entry "
        "dates, shorten the window or clear the region, pathway and partner filters."
    )
    st.stop()

st.caption(
    "Each dot is a group's rate with its 95% interval (Wilson); the dashed line is the rate "
    "for everyone shown. A gap is a description, not a test: check the interval and the "
    "group size before reading a difference into it. Small groups have wide intervals."
)
chart_with_table(
    lambda numbers: equality_chart(numbers, step=step),
    shown_publication("equality", {"equality": frame}, step=step)["equality"], views.EQUALITY,
    key="equality", filename=f"equality_{step}",
    # readable characteristics ("Age band") and the gap in percentage points ("+1.2 pp")
    labels={"characteristic": label},
)
