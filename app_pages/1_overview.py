"""Overview for the contract director: headline figures, targets, funnel and activity."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.data import filtered, load_data, metric
from dashboard.escape import markdown_literal
from dashboard.filters import current_filters
from dashboard.links import OVERVIEW_TAB, OVERVIEW_TABS
from dashboard.page_state import section_tabs
from dashboard.render import (
    Shown,
    chart_with_table,
    empty_state,
    rag_table_with_downloads,
    report_downloads,
    shown,
    shown_count,
    shown_publication,
    table_with_downloads,
    tiles,
    user_errors,
)
from ete_metrics import config, views
from ete_metrics.metrics.activity import monthly_activity
from ete_metrics.metrics.forecast import (
    ALL_REGIONS,
    FORECAST_MEASURES,
    forecast_to_end,
    probability_of_reaching,
)
from ete_metrics.metrics.funnel import funnel
from ete_metrics.metrics.headline import headline, month_earlier
from ete_metrics.metrics.review import comparison_changes, month_comparison, rag_table, scope_label
from ete_metrics.metrics.targets import summarise_targets, targets_vs_actual
from ete_metrics.present.charts.forecast import forecast_chart
from ete_metrics.present.charts.funnels import activity_chart, funnel_chart
from ete_metrics.present.charts.targets import targets_chart
from ete_metrics.present.formatting import percent, signed_count, signed_points, uk_date
from ete_metrics.present.narrative import narrative
from ete_metrics.protect.disclosure import SUPPRESSED, numeric_view
from ete_metrics.protect.policy import NOT_PUBLISHED
from ete_metrics.steps import ENTERED, WORK, label

data = load_data()
filters = current_filters()

#: Days before the contract's end within which a projection has (almost) nothing left to project.
_END_DAYS = 31


def _at_contract_end() -> bool:
    """True when the figures are as at the contract's last month (the default: the data's cut-off)."""
    return (config.CONTRACT_END - filters.as_of).days <= _END_DAYS


_AT_END_NOTE = (
    f"The figures are as at {uk_date(filters.as_of)}, within a month of the contract's end "
    f"({uk_date(config.CONTRACT_END)}): there is almost nothing left to project, so each projection at the end "
    "equals the figures to date, and the chance of reaching a target is 0% or 100%. Choose an earlier "
    "'Figures as at' date (for example 16 Aug 2023) to see where the contract was heading."
)


st.header("Overview")
st.caption(filters.describe())

with user_errors():
    now = metric(funnel, data, filters, as_of=filters.as_of, include_sustained=True, **filters.date_range())
    previous = month_earlier(filters.as_of)
    before = metric(
        funnel, data, filters, as_of=previous, include_sustained=True, **filters.date_range()
    )

entered = now.loc[now["step"] == ENTERED.name, "participants"]
if entered.empty or int(entered.iloc[0]) == 0:
    empty_state(
        "No one had entered the programme with these filters. Widen the dates, choose a later "
        "'Figures as at' date, or clear the region, pathway and partner filters."
    )
    st.stop()



def _shown_rate(value: object) -> str:
    return SUPPRESSED if isinstance(value, str) and value == SUPPRESSED else percent(value)


def _change(value: object, formatter: Callable[[Any], str]) -> str | None:
    """A tile's change since a month earlier; None where it is withheld or missing."""
    if isinstance(value, str) or value is None or pd.isna(value):  # type: ignore[call-overload]
        return None
    return f"{formatter(value)} since {uk_date(previous)}"


# Tiles show what the audience may see: for stakeholders the protected figures, and
# the changes since last month are differences of the protected (rounded) figures,
# left out where either is suppressed (the same headline as the deck's).
# Now and a month earlier are published together: protected as one set.
published = shown_publication("overview", {"now": now, "month_earlier": before})
now_shown, before_shown = published["now"], published["month_earlier"]
changes = headline(now_shown.table, before_shown.table)
count_tiles = []
rate_tiles = []
for row in changes.itertuples(index=False):
    step = str(row.step)
    count_tiles.append(
        {
            "label": label(step),
            "value": shown_count(row.participants),
            "delta": _change(row.change, signed_count),
            "help": f"People {label(step).lower()} as at {uk_date(filters.as_of)}; "
            "the change is on the same figure a month earlier.",
        }
    )
    if step != ENTERED.name:
        rate_tiles.append(
            {
                "label": f"{label(step)} rate",
                "value": _shown_rate(row.rate_from_entry),
                "delta": _change(row.rate_change, signed_points),
                "help": f"{label(step)} as a percentage of people entered "
                f"(95% interval {_shown_rate(row.ci_low)} to {_shown_rate(row.ci_high)}).",
            }
        )
regions = filters.regions or None
with user_errors():
    # the monthly figures (charted below) are counted once; the summary, the RAG table and
    # the month comparison are read off them
    progress = metric(
        targets_vs_actual, data, filters, with_targets=True, as_of=filters.as_of,
        period="month", regions=regions,
    )
    summary = summarise_targets(progress, data.targets, as_of=filters.as_of, regions=regions)
    rag = rag_table(summary)
    comparison = month_comparison(progress, data.targets, as_of=filters.as_of, regions=regions)
# the regions the figures cover, named truthfully (a regional lead's data holds their regions)
scope = scope_label(sorted({str(r) for r in data.participants["region"].dropna().unique()})
                    if not filters.regions else filters.regions)
rag_seen = shown(rag, views.RAG_TABLE)
compared_seen = shown(comparison, views.MONTH_COMPARISON)
compared_table = comparison_changes(compared_seen.table)
compared_shown = Shown(compared_table, numeric_view(compared_table), compared_seen.protected,
                       views.MONTH_COMPARISON)
sentences = narrative(changes, compared_table, rag_seen.table, as_of=filters.as_of, previous=previous,
                      scope=scope if len(set(rag["region"])) != 1 else str(rag["region"].iloc[0]),
                      audience=filters.audience)
if sentences:
    st.subheader("What changed")
    st.markdown("\n".join(f"- {markdown_literal(s)}" for s in sentences))

st.subheader("Headline figures")
with st.expander("Reports for the contract review", icon=":material/description:"):
    st.caption(
        "A deck, a review pack and a workbook of these figures, for the regions and audience "
        "chosen in the sidebar (built when you click)."
        + (" Stakeholder reports carry the protected figures only." if filters.stakeholder else "")
    )
    participants_shown, milestones_shown = filtered(data, filters)
    report_downloads(participants_shown, milestones_shown, data.targets, key="overview_report")
tiles(count_tiles)
tiles(rate_tiles, columns=4)

# --- Targets -----------------------------------------------------------------
st.subheader("Against contract targets")
if filters.pathways or filters.delivery_partners or filters.date_from or filters.date_to:
    st.caption(
        "Targets are set per region for all pathways and partners; with a pathway, partner or "
        "entry-date filter the comparison counts only the people selected."
    )
if summary.empty:
    empty_state("No contract targets are loaded for these regions.")
else:
    summary_view = rag_seen.table
    overall = summary_view.loc[summary_view["region"] == scope]
    if overall.empty:
        overall = summary_view
    target_tiles = []
    for row in overall.itertuples(index=False):
        target_tiles.append(
            {
                "label": f"{label(str(row.measure))}: % of target",
                "value": _shown_rate(row.percent_achieved),
                "delta": label(row.rag),
                # coloured as in the review pack and the RAG table
                "delta_color": {"green": "green", "amber": "orange", "red": "red"}.get(str(row.rag), "off"),
                "delta_arrow": "off",
                "delta_description": f"projected {_shown_rate(row.projected_percent)}",
                "help": f"{shown_count(row.actual_to_date)} against a target to date of "
                f"{shown_count(row.target_to_date)}; run-rate projection at contract end "
                f"{shown_count(row.projected_at_end)} of {shown_count(row.contract_target)} "
                f"({_shown_rate(row.projected_percent)}).",
            }
        )
    tiles(target_tiles)
    if _at_contract_end():
        st.caption(_AT_END_NOTE)
    st.markdown("**RAG by region**: percent of target to date, and the work target's run-rate projection "
                "at the contract's end")
    rag_table_with_downloads(rag_seen, key="overview_rag", filename="rag_by_region")

# --- This month and this quarter ------------------------------------------------
st.subheader("This month and this quarter")
st.caption(
    "Activity in the latest full month against the month before and the same month a year earlier, "
    "and the quarter so far against the quarter's target (every month of it). "
    "Changes are worked out from the figures shown."
)
table_with_downloads(  # each figure beside its comparison, the dates last
    compared_shown, key="overview_month", filename="month_and_quarter",
    columns=["measure", "participants", "previous_month", "change_on_month", "year_earlier", "change_on_year",
             "quarter_to_date", "quarter_target", "quarter_percent", "month", "quarter_start"],
)

# --- In detail: one tab drawn at a time ------------------------------------------
# Only the open tab's chart and table are drawn (dashboard.page_state.section_tabs), so
# opening the Overview mounts one chart, not four; the open tab is kept in the URL.
FUNNEL, ACTIVITY, TARGETS, FORECAST = OVERVIEW_TABS  # declared with the link's tab (dashboard.links)


def _funnel() -> None:
    chart_with_table(
        lambda frame: funnel_chart(frame, title=f"People at each step, as at {uk_date(filters.as_of)}"),
        now_shown, views.FUNNEL, key="overview_funnel", filename="overview_funnel",  # as protected with the month earlier
    )


def _activity() -> None:
    with user_errors():
        activity = metric(monthly_activity, data, filters, as_of=filters.as_of, **filters.date_range())
    chart_with_table(activity_chart, activity, views.ACTIVITY, key="overview_activity",
                     filename="monthly_activity", empty="No entries or outcomes in this period.")


def _targets() -> None:
    if progress.empty:
        empty_state("No contract targets are loaded for these regions.")
    else:
        measures = list(dict.fromkeys(progress["measure"].astype(str)))
        measure = st.segmented_control(
            "Measure",
            measures,
            default=WORK.name if WORK.name in measures else measures[0],
            format_func=label,
            key="overview_target_measure",
        ) or (WORK.name if WORK.name in measures else measures[0])
        chart_with_table(
            lambda frame: targets_chart(frame, measure=measure),
            progress, views.TARGETS, key="overview_targets", filename=f"targets_{measure}",
            select=lambda frame: frame.loc[frame["measure"] == measure],
        )


def _forecast() -> None:
    if filters.stakeholder:
        st.info(NOT_PUBLISHED[views.FORECAST.name], icon=":material/info:")
        return
    with user_errors():
        forecast = metric(forecast_to_end, data, filters, as_of=filters.as_of,
                          regions=tuple(regions) if regions else None)
    if forecast.empty:
        empty_state(
            "The 'Figures as at' date is at or after the contract's end, so there is nothing left to "
            "forecast. Choose an earlier date (for example 16 Aug 2023) to see where the contract was heading."
        )
    else:
        forecast_measure = st.segmented_control(
            "Forecast of", list(FORECAST_MEASURES), default=WORK.name, format_func=label,
            key="overview_forecast_measure",
        ) or WORK.name
        forecast_region = ALL_REGIONS if (forecast["region"] == ALL_REGIONS).any() else str(forecast["region"].iloc[0])
        # the total of the regions in view, named truthfully ("Wales" for a Wales lead, not "All regions")
        forecast_scope = scope if forecast_region == ALL_REGIONS else forecast_region
        chances = probability_of_reaching(forecast, data.targets)
        chance_view = shown(chances, views.TARGET_PROBABILITY).numbers
        mine = chance_view.loc[chance_view["region"] == forecast_region].set_index("measure")["probability"]
        said = [f"{label(m).lower()} {percent(mine[m], decimals=0)}" for m in FORECAST_MEASURES
                if m in mine.index and pd.notna(mine[m])]
        if _at_contract_end():
            st.info(_AT_END_NOTE, icon=":material/event_busy:")
        st.caption(
            f"From the data as at {uk_date(filters.as_of)}: the cohort curves applied to the people already in, "
            "plus new entrants at the last six months' rate, with 80% and 95% prediction intervals. "
            + (f"Chance of reaching the contract target by the end ({forecast_scope}): {', '.join(said)}. "
               if said else "")
            + "See 'About these statistics' for the method and its back-test."
        )
        if progress.empty:
            actual_path = pd.DataFrame({"month": pd.Series([], dtype="datetime64[ns]"),
                                        "cumulative_actual": pd.Series([], dtype=float)})
        else:
            progress_numbers = shown(progress, views.TARGETS).numbers
            picked = progress_numbers.loc[(progress_numbers["measure"] == forecast_measure)
                                          & ((progress_numbers["region"] == forecast_region)
                                             | (forecast_region == ALL_REGIONS))]
            actual_sums = picked.groupby("period_start")["cumulative_actual"].sum(min_count=1)
            actual_path = pd.DataFrame({"month": actual_sums.index, "cumulative_actual": actual_sums.to_numpy()})
        planned = data.targets.loc[(data.targets["measure"] == forecast_measure)
                                   & (data.targets["region"].isin(regions) if regions else True)]
        target_sums = planned.groupby("period_start")["target"].sum().sort_index()
        # the whole contract's target line, protected like the targets table (rounded for stakeholders)
        target_numbers = shown(pd.DataFrame({
            "region": forecast_region, "period_start": target_sums.index, "measure": forecast_measure,
            "target": target_sums.to_numpy(), "cumulative_target": target_sums.cumsum().to_numpy(),
        }), views.TARGETS).numbers
        target_path = pd.DataFrame({"month": target_numbers["period_start"],
                                    "cumulative_target": target_numbers["cumulative_target"]})
        run_rate = None
        if not summary.empty:
            summary_numbers = shown(summary, views.TARGET_SUMMARY).numbers
            projected = summary_numbers.loc[(summary_numbers["region"] == forecast_region)
                                            & (summary_numbers["measure"] == forecast_measure), "projected_at_end"]
            if len(projected) and pd.notna(projected.iloc[0]):
                run_rate = (config.CONTRACT_START, config.CONTRACT_END, float(projected.iloc[0]))
        chart_with_table(
            lambda numbers: forecast_chart(numbers, actual=actual_path, target=target_path, run_rate=run_rate,
                                           measure=forecast_measure, region=forecast_region,
                                           scope=forecast_scope),
            forecast, views.FORECAST, key="overview_forecast", filename=f"forecast_{forecast_measure}",
            select=lambda frame: frame.loc[(frame["measure"] == forecast_measure)
                                           & (frame["region"] == forecast_region)],
            columns=["region", "measure", "month", "actual_to_date", "forecast", "low_80", "high_80",
                     "low_95", "high_95"],
        )
        st.markdown("**Chance of reaching each contract target by the end**")
        table_with_downloads(
            chances, views.TARGET_PROBABILITY, key="overview_target_chances", filename="target_chances",
        )


section, tab = section_tabs(OVERVIEW_TAB, key="overview_section")
with tab:
    {FUNNEL: _funnel, ACTIVITY: _activity, TARGETS: _targets, FORECAST: _forecast}[section]()
