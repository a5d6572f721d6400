"""Partners: delivery partners compared, training providers, employers and prisons.

Thin page: reads the sidebar filters, calls :mod:`ete_metrics.metrics.comparison` and
:mod:`ete_metrics.metrics.partners` (through the cached ``metric``), renders.
"""

from __future__ import annotations

import streamlit as st

from dashboard.adjusted import adjusted_comparison, adjusted_ratios
from dashboard.data import load_data, metric, programme_metric
from dashboard.filters import current_filters
from dashboard.render import (
    chart_with_table,
    empty_state,
    shown_publication,
    table_with_downloads,
    user_errors,
)
from ete_metrics import views
from ete_metrics.metrics import comparison
from ete_metrics.metrics.funnel import funnel
from ete_metrics.metrics.partners import delivery_partners, employers, prisons, training_providers
from ete_metrics.present.charts.partners import (
    employers_chart,
    funnel_plot,
    step_bars,
    training_providers_chart,
)
from ete_metrics.present.formatting import percent
from ete_metrics.protect.audience import limit_sizes
from ete_metrics.steps import TRAINING, WORK

#: Step choices for the comparison: widget label -> step.
STEP_CHOICES = {"Work": WORK.name, "Training": TRAINING.name}

data = load_data()
filters = current_filters()
common = {"as_of": filters.as_of, **filters.date_range()}

st.header("Partners")
st.caption(filters.describe())

# --- Delivery partners -------------------------------------------------------
st.subheader("Delivery partners compared")
step_label = st.radio(
    "Compare the percent of entered people in",
    list(STEP_CHOICES),
    horizontal=True,
    key="partners_step",
)
step = STEP_CHOICES[str(step_label)]
with user_errors():
    partners_funnel = metric(delivery_partners, data, filters, **common)
    # the funnel plot compares from the same funnel (computed once for both charts)
    compared = comparison.compare_funnel(partners_funnel, by="delivery_partner", step=step)

if compared.empty:
    empty_state(
        "No one entered the programme with these filters. Widen the entry dates, choose a "
        "later 'Figures as at' date or clear the region, pathway and partner filters."
    )
    st.stop()

st.caption(
    "A funnel plot (Spiegelhalter 2005): each partner's rate against the number of people "
    "it has entered. Partners outside the dashed 95% limits differ from the overall rate by "
    "more than chance would usually explain; outside the dotted 99.8% limits, by much more."
)
compared_place = st.container()
st.markdown("**Each delivery partner against its own region**")
st.caption(
    "A partner working where fewer people reach the step should not be blamed for its region: each "
    "partner's rate beside its region's (everyone in the region, every partner; the region where most "
    "of its people entered) and the rate of all the partners shown (or, when only part of the "
    "programme is in view, the programme's rate over every region, an aggregate only), with where it "
    "falls against the 95% limits around each."
)
# Part of the programme in view (a lead's regions, or a region filter): the programme's rate
# too, from every region's people as an aggregate only (no other region's rows).
scoped = filters.part_of_programme
with user_errors():
    by_partner_region = metric(funnel, data, filters, by=("delivery_partner", "region"), **common)
    programme = programme_metric(funnel, filters, **common) if scoped else None
    against_region = comparison.compare_within_regions(
        by_partner_region, by="delivery_partner", step=step, programme=programme
    )
against_region_place = st.container()
st.markdown("**Adjusted for who each delivery partner works with**")
adjusted = adjusted_ratios(data, filters, by="delivery_partner", step=step, key="partners", common=common)
adjusted_place = st.container()
with user_errors():
    prison_funnel = metric(prisons, data, filters, **common)
# the comparison, the adjusted comparison, each partner's funnel and the prisons' (custody
# pathway) count the same people: protected together (views.PUBLICATIONS["partners"])
together = shown_publication("partners", {
    "comparison": compared,
    "funnel": partners_funnel,
    "prisons": None if prison_funnel.empty else prison_funnel,
    "against_region": against_region,
}, step=step, within={"pathway": "custody"})
with against_region_place:
    table_with_downloads(
        together["against_region"], key="partners_regions", filename=f"delivery_partners_{step}_by_region",
        columns=["delivery_partner", "region", "entered", "participants", "rate", "region_rate", "region_position",
                 *(("programme_rate", "programme_position") if scoped else ("overall_rate", "position"))],
    )
with compared_place:
    chart_with_table(  # limits around the overall rate and over the sizes shown (as published)
        lambda numbers: funnel_plot(
            numbers,
            comparison.funnel_limits(float(numbers["overall_rate"].iloc[0]), limit_sizes(numbers["entered"])),
            by="delivery_partner", step=step, group_label="Delivery partner"),
        together["comparison"], views.COMPARE, key="partners_compare",
        filename=f"delivery_partners_{step}_funnel_plot",
    )
with adjusted_place:
    adjusted_comparison(adjusted, by="delivery_partner", step=step,
                        group_label="Delivery partner", key="partners")
st.markdown("**Each delivery partner's funnel**")
chart_with_table(
    lambda numbers: step_bars(numbers, by="delivery_partner", group_label="Delivery partner",
                              title="People entered, into training and into work, by delivery partner"),
    together["funnel"], views.FUNNEL, key="partners_funnel",
    filename="delivery_partners_funnel",
)

# --- Training providers ------------------------------------------------------
st.subheader("Training providers")
st.caption(
    "Each person is credited to the provider of their first training start (first touch). "
    "Completed: a training completion on or after that start; into work: a job start on or "
    "after it. Median days to work is a Kaplan–Meier estimate, blank when fewer than half "
    "have reached work."
)
with user_errors():
    providers = metric(training_providers, data, filters, **common)
best_rate = providers["work_rate"].max() if len(providers) else float("nan")
chart_with_table(training_providers_chart, providers, views.TRAINING_PROVIDERS,
                 key="partners_providers", filename="training_providers",
                 empty="No one with these filters has started training yet.",
                 undefined={"median_days_to_work": "not reached: fewer than half of any provider's trainees "
                            f"are in work yet (the highest share in work is {percent(best_rate)})."})

# --- Employers ---------------------------------------------------------------
st.subheader("Employers")
st.caption(
    "Each person is credited to the employer of their first job start (first touch). "
    "Sustained: a sustained-job milestone on or after that start. Recent starters have had "
    "less time to sustain, so recent rates are lower."
)
with user_errors():
    employer_table = metric(employers, data, filters, **common)
chart_with_table(employers_chart, employer_table, views.EMPLOYERS, key="partners_employers",
                 filename="employers", empty="No one with these filters has started a job yet.")

# --- Prisons -----------------------------------------------------------------
st.subheader("Prisons (custody pathway)")
chart_with_table(
    lambda numbers: step_bars(
        numbers, by="prison", group_label="Prison",
        title="Custody pathway: people entered, into training and into work, by prison",
    ),
    together.get("prisons", prison_funnel), views.FUNNEL, key="partners_prisons", filename="prisons_funnel",
    empty="No one on the custody pathway entered the programme with these filters.",
)
