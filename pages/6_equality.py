"""Equality: outcome rates by gender, age band, ethnicity and disability.

Thin page: reads the sidebar filters, calls :func:`ete_metrics.equality.equality`
(through the cached ``metric``), renders the chart and the table under it.
"""

from __future__ import annotations

import streamlit as st

from dashboard.data import load_data, metric
from dashboard.render import chart_with_table, empty_state, user_errors
from dashboard.state import current_filters
from ete_metrics.charts.equality import equality_chart
from ete_metrics.equality import equality

#: Step choices: widget label -> step.
STEP_CHOICES = {"Work": "work", "Training": "training", "Sustained work": "sustained"}
#: Characteristics compared, in display order.
CHARACTERISTICS = ("gender", "age_band", "ethnicity", "disability")

data = load_data()
filters = current_filters()

st.header("Equality")
st.caption(filters.describe())

left, right = st.columns(2)
with left:
    step_label = st.radio(
        "Outcome", list(STEP_CHOICES), horizontal=True, key="equality_step",
        help="Entered participants with at least one counted milestone of this kind.",
    )
with right:
    window = st.selectbox(
        "Time allowed since entry",
        ["Any time", "Within 90 days", "Within 180 days", "Within 365 days"],
        key="equality_window",
        help="With a window, only people who entered at least that long ago are counted, "
        "and only outcomes within the window — so groups are compared like with like.",
    )
step = STEP_CHOICES[str(step_label)]
window_days = None if window == "Any time" else int(str(window).split()[1])

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
    equality_chart(frame, step=step),
    frame,
    key="equality",
    filename=f"equality_{step}",
    counts=("entered", "participants"),
    rates=("rate", "ci_low", "ci_high", "overall_rate", "gap"),
)
