"""Funnels: entry to training and work, any order or in order, with windows and breakdowns."""

from __future__ import annotations

import streamlit as st

from dashboard.data import load_data, metric
from dashboard.filters import current_filters, window_select
from dashboard.links import (
    FUNNELS_BY,
    FUNNELS_ORDER,
    FUNNELS_SUSTAINED,
    FUNNELS_TAB,
    FUNNELS_TABS,
    FUNNELS_WINDOW,
)
from dashboard.page_state import keep_in_url, section_tabs, url_option
from dashboard.render import (
    chart_with_table,
    empty_state,
    shown_publication,
    table_with_downloads,
    user_errors,
)
from ete_metrics import views
from ete_metrics.metrics.activity import follow_up_list
from ete_metrics.metrics.funnel import funnel, referral_funnel
from ete_metrics.present.charts.funnels import conversion_chart, funnel_chart
from ete_metrics.present.charts.regions import rates_by_group_chart
from ete_metrics.present.formatting import count, uk_date
from ete_metrics.present.pseudonyms import spoken_names
from ete_metrics.steps import ENTERED, find_step, label, sustained_steps

#: Rows of the follow-up list shown on screen (longest waiting first; downloads have all).
FOLLOW_UP_ROWS_SHOWN = 1_000

data = load_data()
filters = current_filters()

st.header("Funnels")
st.caption(filters.describe())

# the page's options are kept in the URL (declared in dashboard.links), so a link reproduces the view
url_option(FUNNELS_ORDER, "funnels_order")
url_option(FUNNELS_WINDOW, "funnels_window")
url_option(FUNNELS_BY, "funnels_by")
url_option(FUNNELS_SUSTAINED, "funnels_sustained")
left, middle, right = st.columns(3)
with left:
    order = st.radio(
        "Order of milestones",
        FUNNELS_ORDER.options,
        format_func=FUNNELS_ORDER.describe,
        horizontal=True,
        key="funnels_order",
        help="'Training before work' counts work only for people whose job started on or after "
        "their first training start.",
    )
with middle:
    window = window_select(
        "funnels_window",
        "Only people who entered at least this many days before the 'as at' date, and "
        "milestones within this many days of entry.",
    )
with right:
    by = st.selectbox(
        "Break down by",
        FUNNELS_BY.options,
        format_func=FUNNELS_BY.describe,
        key="funnels_by",
    )
# the vocabulary's steps of sustained work ("Show sustained work"), added to the funnel together
include_sustained = st.checkbox(
    "Show " + ", ".join(label(step).lower() for step in sustained_steps()), key="funnels_sustained"
)
keep_in_url(FUNNELS_ORDER, order)
keep_in_url(FUNNELS_WINDOW, window)
keep_in_url(FUNNELS_BY, by)
keep_in_url(FUNNELS_SUSTAINED, include_sustained)

group = () if by is None else (by,)
common = dict(as_of=filters.as_of, window_days=window, ordered=order == "ordered", **filters.date_range())
with user_errors():
    frame = metric(funnel, data, filters, by=group, include_sustained=include_sustained, **common)

if frame.empty or int(frame.loc[frame["step"] == ENTERED.name, "participants"].sum()) == 0:
    empty_state(
        "No one is in this funnel with these filters"
        + (f" and a {window}-day window (people must have entered at least {window} days before "
           f"{uk_date(filters.as_of)})" if window else "")
        + ". Widen the dates, shorten the window or clear some filters."
    )
    st.stop()

with user_errors():
    referrals = metric(referral_funnel, data, filters, by=group, **common)
# the funnel (with its drop-off) and the funnel from referral are published together
# (views.PUBLICATIONS["funnels"])
published = shown_publication("funnels", {"funnel": frame, "referrals": None if referrals.empty else referrals})

def _main_chart(numbers):  # type: ignore[no-untyped-def]
    if by is None:
        return funnel_chart(numbers, title="People at each step")
    return rates_by_group_chart(numbers, by=by)


# --- One tab drawn at a time --------------------------------------------------------
# Only the open tab's chart and table are drawn (dashboard.page_state.section_tabs); the
# funnel and the funnel from referral above are protected together whichever is open.
MAIN, DROP_OFF, REFERRAL, FOLLOW_UP = FUNNELS_TABS  # declared with the link's tab (dashboard.links)


def _main() -> None:
    if window:
        # a window too short for an outcome: say so rather than draw an empty bar
        reached = frame.groupby("step", sort=False)["participants"].sum()
        for step in [s for s in reached.index if s != ENTERED.name and int(reached[s]) == 0]:
            st.info(
                f"No one reached '{label(step)}' within {window} days of entry: the window is too short "
                "for this outcome" + (" (a job is recorded as sustained weeks after it starts)"
                                      if find_step(step).sustained else "")
                + ". Choose a longer conversion window to see it.",
                icon=":material/info:",
            )
    chart_with_table(
        _main_chart, published["funnel"], views.FUNNEL, key="funnels_main",
        filename="funnel" + (f"_by_{by}" if by else ""),
    )


def _drop_off() -> None:
    st.caption("The percentage of people at each step who reached the next one.")
    chart_with_table(
        lambda numbers: conversion_chart(numbers, by=by),
        published["funnel"], views.FUNNEL, key="funnels_dropoff",
        filename="funnel_conversion" + (f"_by_{by}" if by else ""),
        select=lambda f: f.loc[f["step"] != ENTERED.name, [*group, "step", "participants", "rate_from_previous"]],
    )


def _referral() -> None:
    st.caption(
        "Starts from everyone referred (referral date on or before the 'as at' date); rates are "
        "relative to referrals, and any window is measured from the referral date."
    )
    if not referrals.empty and by is None and window is None and not (filters.date_from or filters.date_to):
        # the same people and dates: the two "Entered" differ only by entries the referral
        # funnel cannot count (entered before their recorded referral, or with none recorded)
        entered_here = int(referrals.loc[referrals["step"] == ENTERED.name, "participants"].sum())
        entered_above = int(frame.loc[frame["step"] == ENTERED.name, "participants"].sum())
        if entered_here != entered_above:
            st.caption(
                "'Entered' here counts people who entered on or after their referral date. The funnel from entry "
                "counts everyone who entered; the difference is the people whose recorded referral date is after "
                "their entry date, or missing, whom a funnel from referral cannot place."
                if filters.stakeholder else
                f"'Entered' here is {count(entered_here)}, against {count(entered_above)} in the funnel from entry: "
                f"the {count(entered_above - entered_here)} people whose recorded referral date is after their "
                "entry date, or missing, entered but cannot be counted from a referral."
            )
    chart_with_table(
        lambda numbers: (
            funnel_chart(numbers, title="People referred, entered, into training and into work")
            if by is None
            else rates_by_group_chart(
                numbers, by=by,
                title=f"Percent of referrals reaching each step, by {label(by).lower()}",
            )
        ),
        published.get("referrals", referrals), views.REFERRAL_FUNNEL, key="funnels_referral",
        filename="referral_funnel" + (f"_by_{by}" if by else ""),
        empty="No referrals with these filters.",
    )


def _follow_up() -> None:
    st.caption(
        "Internal use only. Pseudonymous ids of people who entered more than the chosen number of "
        "days ago, have no job start recorded and have not exited, with their last milestone; the "
        "longest time since anything happened (the last milestone, or entry) comes first. A caseworker "
        "is shown by a short name made from their pseudonym (the same on every page and day); the "
        "downloads hold the pseudonym itself."
    )
    days = st.number_input(
        "Entered more than this many days ago", min_value=0, max_value=1000, value=90, step=30,
        key="funnels_follow_up_days",
    )
    with user_errors():
        follow_up = metric(follow_up_list, data, filters, as_of=filters.as_of, days=int(days))
    if follow_up.empty:
        empty_state(f"No one who entered more than {int(days)} days ago is still waiting for a job start.")
    else:
        st.write(f"**{count(len(follow_up))}** people to follow up.")
        table_with_downloads(
            follow_up, views.FOLLOW_UP, key="funnels_follow_up", filename="follow_up_list",
            max_rows=FOLLOW_UP_ROWS_SHOWN,
            # A caseworker by a short name made from the stored pseudonym, one a lead can say
            # aloud (the downloads keep the pseudonym, to join on).
            labels={"caseworker": spoken_names(follow_up.get("caseworker", ())).get},
        )


# no participant-level data for stakeholders: no follow-up list
sections = [MAIN, DROP_OFF, REFERRAL] + ([] if filters.stakeholder else [FOLLOW_UP])
section, tab = section_tabs(FUNNELS_TAB, key="funnels_section", offered=sections)
with tab:
    {MAIN: _main, DROP_OFF: _drop_off, REFERRAL: _referral, FOLLOW_UP: _follow_up}[section]()
