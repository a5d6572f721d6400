"""Cohorts: how quickly each entry cohort reaches training or work.

Thin page: reads the sidebar filters, calls :mod:`ete_metrics.metrics.cohorts` and
:mod:`ete_metrics.metrics.time_to_outcome` (through the cached ``metric``), renders.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.data import load_data, metric
from dashboard.filters import current_filters
from dashboard.links import COHORT_CHOICES, COHORTS_COHORT, COHORTS_OUTCOME, OUTCOME_CHOICES
from dashboard.page_state import keep_in_url, url_option
from dashboard.render import (
    Shown,
    chart_with_table,
    empty_state,
    shown,
    shown_publication,
    table_with_downloads,
    user_errors,
)
from ete_metrics import views
from ete_metrics.metrics.cohorts import cohort_curves, cumulative_incidence
from ete_metrics.metrics.time_to_outcome import (
    REACHED_BY,
    TIME_TO_OUTCOME_BY_HORIZON,
    TIME_TO_OUTCOME_COLUMNS,
    time_to_outcome,
)
from ete_metrics.present.charts.cohorts import (
    cohort_curves_chart,
    cohort_heatmap_table,
    cumulative_incidence_chart,
    latest_cohorts,
)
from ete_metrics.present.formatting import percent
from ete_metrics.steps import label

#: Lines shown by default (legibility).
DEFAULT_LINES = 8



def protected_heatmap(raw: pd.DataFrame, protected_curves: pd.DataFrame) -> pd.DataFrame:
    """The heatmap with the protected curves' figures: rounded sizes, ``[c]`` for blank rates.

    Parameters
    ----------
    raw : pandas.DataFrame
        ``cohort_heatmap_table`` of the true curves (one row per cohort).
    protected_curves : pandas.DataFrame
        ``protect_view(curves, "cohort_curves")``.
    """
    out = raw.copy().astype({c: object for c in raw.columns if c != "cohort"})
    sizes = protected_curves.drop_duplicates("cohort").set_index("cohort")["cohort_size"]
    out["cohort_size"] = out["cohort"].map(sizes).astype(object)
    rates = protected_curves.set_index(["cohort", "months_since_entry"])["cumulative_rate"]
    for column in out.columns:
        if not str(column).startswith("month_"):
            continue
        month = int(str(column).removeprefix("month_"))
        keys = list(zip(out["cohort"], [month] * len(out), strict=True))
        out[column] = [rates.get(k, float("nan")) for k in keys]
    return out


data = load_data()
filters = current_filters()

st.header("Cohorts")
st.caption(filters.describe())

# the page's options are kept in the URL (declared in dashboard.links), so a link reproduces the view
url_option(COHORTS_COHORT, "cohorts_cohort")
url_option(COHORTS_OUTCOME, "cohorts_outcome")
left, right = st.columns(2)
with left:
    cohort_label = st.radio(
        "Cohorts by", COHORTS_COHORT.options, horizontal=True, key="cohorts_cohort",
        help="Group people by the quarter or the month they entered the programme.",
    )
with right:
    outcome_label = st.radio(
        "Outcome", COHORTS_OUTCOME.options, horizontal=True, key="cohorts_outcome",
        help="First training start, or first job start, on or after entry.",
    )
cohort = COHORT_CHOICES[str(cohort_label)]
outcome = OUTCOME_CHOICES[str(outcome_label)]
keep_in_url(COHORTS_COHORT, cohort_label)
keep_in_url(COHORTS_OUTCOME, outcome_label)
common = {"as_of": filters.as_of, **filters.date_range()}

with user_errors():
    curves = metric(cohort_curves, data, filters, cohort=cohort, outcome=outcome, **common)

if curves.empty:
    empty_state(
        "No one entered the programme with these filters. Widen the entry dates, "
        "choose a later 'Figures as at' date or clear the region, pathway and partner filters."
    )
    st.stop()

with user_errors():
    incidence = metric(cumulative_incidence, data, filters, outcome=outcome, **common)
    quartiles = metric(time_to_outcome, data, filters, **common)
# the cohort curves (and the heatmap drawn from them), the cumulative percent and the time to
# each outcome are published together (views.PUBLICATIONS["cohorts"])
published = shown_publication("cohorts", {
    "curves": curves,
    "time_to_outcome": None if quartiles.empty else quartiles,
}, step=outcome)

st.subheader(f"Cumulative percent in {outcome} by months since entry")
st.caption(
    "Each line follows one entry cohort, only as far as every member of the cohort has "
    "been followed, so a line never falls because recent entrants have had less time."
)
all_cohorts = latest_cohorts(curves, limit=0)
chosen_cohorts = st.multiselect(
    "Cohorts shown",
    all_cohorts,
    default=latest_cohorts(curves, limit=DEFAULT_LINES),
    key=f"cohorts_shown_{cohort}",
    help=f"The latest {DEFAULT_LINES} cohorts are shown by default; add or remove cohorts here.",
)
if not chosen_cohorts:
    empty_state("Choose at least one cohort to draw.")
else:
    chart_with_table(
        lambda numbers: cohort_curves_chart(
            numbers.loc[numbers["cohort"].isin(chosen_cohorts)].reset_index(drop=True),
            outcome=outcome, cohorts=chosen_cohorts,
        ),
        published["curves"], views.COHORT_CURVES, key="cohort_curves",
        filename=f"cohort_curves_{cohort}_{outcome}",
        select=lambda frame: frame.loc[frame["cohort"].isin(chosen_cohorts)],
    )

st.subheader("Cohort by month since entry")
st.caption(
    f"Cumulative percent of each cohort in {outcome} by the end of each month since entry "
    "(all cohorts; blank where the cohort has not yet been followed that long)."
)
# For stakeholders the heatmap is built from the protected curves (rounded sizes, no rates
# for small cohorts), so it is already protected.
curves_view = published["curves"]
heatmap = cohort_heatmap_table(curves)
if curves_view.protected:
    heatmap = protected_heatmap(heatmap, curves_view.table)
heatmap_view = Shown(heatmap, heatmap, curves_view.protected, views.COHORT_HEATMAP)
table_with_downloads(
    heatmap_view, key="cohort_heatmap", filename=f"cohort_by_month_{cohort}_{outcome}",
)

st.subheader(f"Time from entry to {outcome}")
quartiles_view = published.get("time_to_outcome") or shown(quartiles, views.TIME_TO_OUTCOME)
if filters.stakeholder:
    st.caption(
        "The Kaplan–Meier curve of days to the outcome is worked out from each person's own dates, "
        "not from published counts, so it is for the programme team only. The cohort curves above "
        "show the same progress from published counts, and the table below the people followed 3, "
        "6 and 12 months."
    )
else:
    st.caption(
        "Cumulative percent reaching the outcome by days since entry, using everyone's "
        "follow-up: 1 − Kaplan–Meier, people not there yet are censored at the 'as at' date; "
        "the band is the 95% interval and the dashed line the median (drawn once at least half "
        "have reached the outcome). Where fewer than half have, the median is not defined: the table "
        "below gives the quartile that is reached and the share reached by 3, 6 and 12 months instead."
    )
    chart_with_table(
        lambda numbers: cumulative_incidence_chart(numbers, outcome=outcome, medians=quartiles_view.numbers),
        incidence, views.INCIDENCE, key="time_to_outcome_curve",
        filename=f"cumulative_incidence_{outcome}",
    )
if quartiles_view.protected:
    # Kaplan-Meier days and shares come from each person's days: stakeholders get the shares
    # of the people followed 3, 6 and 12 months, from the published counts.
    st.markdown("**Training and work within 3, 6 and 12 months of entry**")
    st.caption("Of the people who entered at least 3, 6 or 12 months before the 'as at' date, how "
               "many reached training and work within that time of their entry, and the percent.")
    shown_columns = ["outcome", "entered", "reached", *TIME_TO_OUTCOME_BY_HORIZON]
else:
    st.markdown("**Days from entry to training and to work** (Kaplan–Meier quartiles)")
    shown_columns = ["outcome", "entered", "reached", "median_days", "q1_days", "q3_days", *REACHED_BY]


def _by_a_year(share_reached: str) -> str:
    """Each outcome's share reached by day 365, for the quartiles no one reached."""
    shares = [
        f"{label(str(outcome)).lower()} {percent(share)}"
        for outcome, share in zip(quartiles["outcome"], quartiles["reached_12_months"], strict=True)
        if pd.notna(share)
    ]
    return f"not reached: {share_reached} have got there ({', '.join(shares)} by day 365)."


table_with_downloads(
    quartiles_view, key="time_to_outcome_table", filename="time_to_outcome",
    columns=[*[c for c in quartiles.columns if c not in TIME_TO_OUTCOME_COLUMNS], *shown_columns],
    undefined={} if quartiles.empty else {
        "q1_days": _by_a_year("fewer than one in four"), "median_days": _by_a_year("fewer than half"),
        "q3_days": _by_a_year("fewer than three in four"),
    },
)
