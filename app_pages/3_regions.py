"""Regions: the regions side by side, a funnel plot against control limits, adjusted for case mix, areas."""

from __future__ import annotations

import dataclasses

import pandas as pd
import streamlit as st

from dashboard.adjusted import adjusted_comparison, adjusted_ratios
from dashboard.data import load_data, metric, programme_metric
from dashboard.filters import current_filters, window_select
from dashboard.render import (
    chart_with_table,
    empty_state,
    shown_publication,
    table_with_downloads,
    user_errors,
)
from ete_metrics import views
from ete_metrics.metrics.comparison import compare_funnel, funnel_limits, programme_benchmark
from ete_metrics.metrics.funnel import funnel
from ete_metrics.metrics.review import scope_label
from ete_metrics.metrics.targets import ALL_REGIONS
from ete_metrics.present.charts.funnels import funnel_chart
from ete_metrics.present.charts.regions import rates_by_group_chart, regions_funnel_plot
from ete_metrics.protect.audience import limit_sizes
from ete_metrics.steps import TRAINING, WORK, label

STEPS: tuple[str, ...] = (TRAINING.name, WORK.name)

data = load_data()
filters = current_filters()

st.header("Regions")
st.caption(filters.describe())
window = window_select(
    "regions_window",
    "Compare like with like: only people who entered at least this many days before the "
    "'as at' date, and milestones within this many days of entry.",
)
common = dict(as_of=filters.as_of, window_days=window, **filters.date_range())

with user_errors():
    by_region = metric(funnel, data, filters, by=("region",), **common)
if by_region.empty:
    empty_state("No one is in the funnel with these filters. Widen the dates, shorten the window "
                "or clear some filters.")
    st.stop()

# The funnel by region, its comparison, the adjusted comparison and the areas of the region
# drilled into are published together (views.PUBLICATIONS["regions"]): placed first, filled
# once all are known and protected as one set (a region suppressed in one is suppressed in
# all; the areas sum to their region; see shown_publication).
st.subheader("Regions side by side")
side_by_side = st.container()


# --- The scope against the programme ------------------------------------------
held = sorted(set(by_region["region"].astype(str)))
scope = scope_label(held)
benchmark: pd.DataFrame | None = None
if filters.part_of_programme:  # (as on the Partners page)
    st.subheader(f"{scope} against the programme")
    st.caption(
        f"{scope}'s rates beside the programme's, computed from every region's people with the same "
        "filters and window, and shown as an aggregate only (no other region's figures). The position "
        "says whether the rate is outside the 95% limits around the programme's rate for a group of "
        "this size."
    )
    with user_errors():
        mine = metric(funnel, data, filters, **common)
        programme = programme_metric(funnel, filters, **common)
        benchmark = programme_benchmark(mine, programme)
    against_programme = st.container()


def _limits_for(comparison):  # type: ignore[no-untyped-def]
    """Control limits over the range of group sizes shown (the rounded sizes for stakeholders)."""
    return funnel_limits(float(comparison["overall_rate"].iloc[0]), limit_sizes(comparison["entered"]))


# One region in view: a comparison of regions would compare it with itself.
alone = len(held) < 2
comparison, limits, adjusted, step = pd.DataFrame(), None, None, WORK.name
if alone:
    st.info(
        f"Only {scope} is in view, so it is not compared with itself: its rates against the "
        "programme's are above, and its areas below."
        if filters.part_of_programme
        else f"Only {scope} has people with these filters, so it is not compared with itself: "
        "its areas are below.",
        icon=":material/info:",
    )
else:
    st.subheader("Compared with the overall rate" if scope == ALL_REGIONS else f"Compared with the {scope} rate")
    st.caption(
        "A funnel plot (Spiegelhalter 2005): each point is a region, the lines show where 95% and "
        "99.8% of regions of that size would fall by chance if every region had the overall rate."
    )
    step = st.segmented_control(
        "Step", STEPS, default=WORK.name, format_func=label, key="regions_step"
    ) or WORK.name
    compared = st.container()
    with user_errors():
        # compared from the funnel above (the same population and window), not computed again
        comparison = compare_funnel(by_region, by="region", step=step)
        limits = _limits_for(comparison) if len(comparison) else None

    st.subheader("Adjusted for who each region works with")
    adjusted = adjusted_ratios(data, filters, by="region", step=step, key="regions", common=common)
    adjusted_place = st.container()

st.subheader("Areas within a region")
choices = [r for r in by_region["region"].astype(str).drop_duplicates()]
region = st.selectbox("Region", choices, key="regions_drill")
by_area = pd.DataFrame()
if region:
    in_region = dataclasses.replace(filters, regions=(region,))
    with user_errors():
        by_area = metric(funnel, data, in_region, by=("area",), **common)
    if by_area.empty:
        empty_state(f"No one in {region} with these filters.")

together = shown_publication("regions", {
    "by_region": by_region,
    "comparison": None if comparison.empty else comparison,
    "areas": by_area if region and not by_area.empty else None,
    "benchmark": benchmark,
}, step=step, within={"region": str(region)})

if benchmark is not None:
    with against_programme:
        table_with_downloads(together["benchmark"], key="regions_benchmark", filename="programme_benchmark")

with side_by_side:
    chart_with_table(
        lambda numbers: funnel_chart(numbers, by="region", title="People at each step, by region"),
        together["by_region"], views.FUNNEL, key="regions_funnel",
        filename="funnel_by_region",
    )
if adjusted is not None:  # two regions or more in view: compared with each other
    with compared:
        if comparison.empty or limits is None:
            empty_state("No regions to compare with these filters.")
        else:
            chart_with_table(
                lambda numbers: regions_funnel_plot(numbers, _limits_for(numbers), step=step, by="region"),
                together["comparison"], views.COMPARE, key="regions_funnel_plot",
                filename=f"funnel_plot_{step}_by_region",
            )
    with adjusted_place:
        adjusted_comparison(adjusted, by="region", step=step, group_label="Region",
                            key="regions")
if region and not by_area.empty:
    chart_with_table(
        lambda numbers: rates_by_group_chart(
            numbers, by="area", title=f"Percent of entrants reaching each step, by area of {region}"
        ),
        together["areas"], views.FUNNEL, key="regions_areas",
        filename=f"funnel_by_area_{region.lower().replace(' ', '_')}",
    )
