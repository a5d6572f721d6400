"""Overview for the contract director: headline figures, targets, funnel and activity."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.data import load_data, metric
from dashboard.render import chart_with_table, empty_state, tiles, user_errors
from dashboard.state import current_filters
from ete_metrics.activity import monthly_activity
from ete_metrics.charts.funnels import activity_chart, funnel_chart, step_name
from ete_metrics.charts.targets import rag_name, targets_chart
from ete_metrics.formatting import count, percent, signed_count, signed_points, uk_date
from ete_metrics.funnel import funnel
from ete_metrics.targets import target_summary, targets_vs_actual

data = load_data()
filters = current_filters()

st.header("Overview")
st.caption(filters.describe())

with user_errors():
    now = metric(funnel, data, filters, as_of=filters.as_of, include_sustained=True, **filters.date_range())
    month_earlier = (pd.Timestamp(filters.as_of) - pd.DateOffset(months=1)).date()
    before = metric(
        funnel, data, filters, as_of=month_earlier, include_sustained=True, **filters.date_range()
    )

entered = now.loc[now["step"] == "entered", "participants"]
if entered.empty or int(entered.iloc[0]) == 0:
    empty_state(
        "No one had entered the programme with these filters. Widen the dates, choose a later "
        "'Figures as at' date, or clear the region, pathway and partner filters."
    )
    st.stop()

previous = before.set_index("step")
earlier_counts = dict(zip(before["step"].astype(str), before["participants"].astype(int), strict=True))
count_tiles = []
rate_tiles = []
for row in now.itertuples(index=False):
    step = str(row.step)
    earlier = int(earlier_counts.get(step, 0))
    count_tiles.append(
        {
            "label": step_name(step),
            "value": count(row.participants),
            "delta": f"{signed_count(int(row.participants) - earlier)} since {uk_date(month_earlier)}",  # type: ignore[arg-type]
            "help": f"People {step_name(step).lower()} as at {uk_date(filters.as_of)}; "
            "the change is on the same figure a month earlier.",
        }
    )
    if step != "entered":
        earlier_rate = previous["rate_from_entry"].get(step) if len(previous) else None
        rate_tiles.append(
            {
                "label": f"{step_name(step)} rate",
                "value": percent(row.rate_from_entry),
                "delta": (
                    f"{signed_points(row.rate_from_entry - earlier_rate)} since {uk_date(month_earlier)}"
                    if earlier_rate is not None and pd.notna(earlier_rate)
                    else None
                ),
                "help": f"{step_name(step)} as a percentage of people entered "
                f"(95% interval {percent(row.ci_low)} to {percent(row.ci_high)}).",
            }
        )
st.subheader("Headline figures")
tiles(count_tiles)
tiles(rate_tiles, columns=4)

# --- Targets -----------------------------------------------------------------
st.subheader("Against contract targets")
if filters.pathways or filters.delivery_partners or filters.date_from or filters.date_to:
    st.caption(
        "Targets are set per region for all pathways and partners; with a pathway, partner or "
        "entry-date filter the comparison counts only the people selected."
    )
regions = filters.regions or None
with user_errors():
    summary = metric(
        target_summary, data, filters, with_targets=True, as_of=filters.as_of, regions=regions
    )
if summary.empty:
    empty_state("No contract targets are loaded for these regions.")
else:
    overall_label = "All regions"
    overall = summary.loc[summary["region"] == overall_label]
    if overall.empty:
        overall = summary
    target_tiles = []
    for row in overall.itertuples(index=False):
        target_tiles.append(
            {
                "label": f"{step_name(str(row.measure))}: % of target",
                "value": percent(row.percent_achieved),
                "delta": rag_name(row.rag),
                "delta_color": "off",
                "delta_arrow": "off",
                "help": f"{count(row.actual_to_date)} against a target to date of "
                f"{count(row.target_to_date)}; run-rate projection at contract end "
                f"{count(row.projected_at_end)} of {count(row.contract_target)} "
                f"({percent(row.projected_percent)}).",
            }
        )
    tiles(target_tiles)

# --- Funnel ------------------------------------------------------------------
st.subheader("From entry to training and work")
chart_with_table(
    funnel_chart(now, title=f"People at each step, as at {uk_date(filters.as_of)}"),
    now,
    key="overview_funnel",
    filename="overview_funnel",
    counts=("participants",),
    rates=("rate_from_entry", "rate_from_previous", "ci_low", "ci_high"),
)

# --- Monthly activity --------------------------------------------------------
st.subheader("Month by month")
with user_errors():
    activity = metric(monthly_activity, data, filters, as_of=filters.as_of, **filters.date_range())
if activity.empty:
    empty_state("No entries or outcomes in this period.")
else:
    chart_with_table(
        activity_chart(activity),
        activity,
        key="overview_activity",
        filename="monthly_activity",
        counts=("participants",),
        dates=("month",),
    )

# --- Targets against actuals by region ---------------------------------------
st.subheader("Targets against actuals by region")
with user_errors():
    progress = metric(
        targets_vs_actual,
        data,
        filters,
        with_targets=True,
        as_of=filters.as_of,
        period="month",
        regions=regions,
    )
if progress.empty:
    empty_state("No contract targets are loaded for these regions.")
else:
    measures = list(dict.fromkeys(progress["measure"].astype(str)))
    measure = st.segmented_control(
        "Measure",
        measures,
        default="work" if "work" in measures else measures[0],
        format_func=step_name,
        key="overview_target_measure",
    ) or ("work" if "work" in measures else measures[0])
    shown = progress.loc[progress["measure"] == measure].reset_index(drop=True)
    chart_with_table(
        targets_chart(shown, measure=measure),
        shown,
        key="overview_targets",
        filename=f"targets_{measure}",
        counts=("target", "actual", "cumulative_target", "cumulative_actual"),
        rates=("percent_achieved",),
        dates=("period_start",),
    )
