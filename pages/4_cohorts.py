"""Cohorts: how quickly each entry cohort reaches training or work.

Thin page: reads the sidebar filters, calls :mod:`ete_metrics.cohorts` and
:mod:`ete_metrics.time_to_outcome` (through the cached ``metric``), renders.
"""

from __future__ import annotations

import streamlit as st

from dashboard.data import load_data, metric
from dashboard.render import chart_with_table, empty_state, table_with_downloads, user_errors
from dashboard.state import current_filters
from ete_metrics.charts.cohorts import (
    cohort_curves_chart,
    cohort_heatmap_table,
    cumulative_incidence_chart,
    latest_cohorts,
)
from ete_metrics.cohorts import cohort_curves, cumulative_incidence
from ete_metrics.time_to_outcome import time_to_outcome

#: Cohort choices: widget label -> cohort key.
COHORT_CHOICES = {"Quarter of entry": "entry_quarter", "Month of entry": "entry_month"}
#: Outcome choices: widget label -> outcome.
OUTCOME_CHOICES = {"Training": "training", "Work": "work"}
#: Lines shown by default (legibility).
DEFAULT_LINES = 8

data = load_data()
filters = current_filters()

st.header("Cohorts")
st.caption(filters.describe())

left, right = st.columns(2)
with left:
    cohort_label = st.radio(
        "Cohorts by", list(COHORT_CHOICES), horizontal=True, key="cohorts_cohort",
        help="Group people by the quarter or the month they entered the programme.",
    )
with right:
    outcome_label = st.radio(
        "Outcome", list(OUTCOME_CHOICES), horizontal=True, key="cohorts_outcome",
        help="First training start, or first job start, on or after entry.",
    )
cohort = COHORT_CHOICES[str(cohort_label)]
outcome = OUTCOME_CHOICES[str(outcome_label)]
common = {"as_of": filters.as_of, **filters.date_range()}

with user_errors():
    curves = metric(cohort_curves, data, filters, cohort=cohort, outcome=outcome, **common)

if curves.empty:
    empty_state(
        "No one entered the programme with these filters. Widen the entry dates, "
        "choose a later 'Figures as at' date or clear the region, pathway and partner filters."
    )
    st.stop()

st.subheader(f"Cumulative percent in {outcome} by months since entry")
st.caption(
    "Each line follows one entry cohort, only as far as every member of the cohort has "
    "been followed, so a line never falls because recent entrants have had less time."
)
all_cohorts = latest_cohorts(curves, limit=0)
shown = st.multiselect(
    "Cohorts shown",
    all_cohorts,
    default=latest_cohorts(curves, limit=DEFAULT_LINES),
    key=f"cohorts_shown_{cohort}",
    help=f"The latest {DEFAULT_LINES} cohorts are shown by default; add or remove cohorts here.",
)
if not shown:
    empty_state("Choose at least one cohort to draw.")
else:
    chosen = curves.loc[curves["cohort"].isin(shown)].reset_index(drop=True)
    chart_with_table(
        cohort_curves_chart(chosen, outcome=outcome, cohorts=shown),
        chosen,
        key="cohort_curves",
        filename=f"cohort_curves_{cohort}_{outcome}",
        counts=("months_since_entry", "cohort_size", "participants"),
        rates=("cumulative_rate",),
    )

st.subheader("Cohort by month since entry")
st.caption(
    f"Cumulative percent of each cohort in {outcome} by the end of each month since entry "
    "(all cohorts; blank where the cohort has not yet been followed that long)."
)
heatmap = cohort_heatmap_table(curves)
month_columns = [c for c in heatmap.columns if c.startswith("month_")]
table_with_downloads(
    heatmap,
    key="cohort_heatmap",
    filename=f"cohort_by_month_{cohort}_{outcome}",
    counts=("cohort_size",),
    rates=month_columns,
)

st.subheader(f"Time from entry to {outcome}")
st.caption(
    "Cumulative percent reaching the outcome by days since entry, using everyone's "
    "follow-up: 1 − Kaplan–Meier, people not there yet are censored at the 'as at' date; "
    "the band is the 95% interval and the dashed line the median (drawn once at least half "
    "have reached the outcome; blank in the table below until then)."
)
with user_errors():
    incidence = metric(cumulative_incidence, data, filters, outcome=outcome, **common)
    quartiles = metric(time_to_outcome, data, filters, **common)
chart_with_table(
    cumulative_incidence_chart(incidence, outcome=outcome, medians=quartiles),
    incidence,
    key="time_to_outcome_curve",
    filename=f"cumulative_incidence_{outcome}",
    counts=("days_since_entry", "at_risk", "events"),
    rates=("cumulative_incidence", "ci_low", "ci_high"),
)
st.markdown("**Days from entry to training and to work** (Kaplan–Meier quartiles)")
table_with_downloads(
    quartiles,
    key="time_to_outcome_table",
    filename="time_to_outcome",
    counts=("entered", "reached", "median_days", "q1_days", "q3_days"),
)
