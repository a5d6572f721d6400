"""The case-mix-adjusted comparison section shared by the Regions and Partners pages.

Raw and adjusted rates side by side, then the observed / expected funnel plot, each with its
numbers under it (:func:`dashboard.render.chart_with_table`, view ``standardised``).

The expected counts are a model of each person's records, not published counts, so the
section is for the programme team only (``views.STANDARDISED.internal_only``): stakeholders
read :data:`NOT_PUBLISHED` in its place, and nothing is counted for them.

The section is in two halves, so a page can ask what to adjust for where the section starts
and draw it later: :func:`adjusted_ratios` asks and counts, :func:`adjusted_comparison` shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.data import ProgrammeData, metric
from dashboard.filters import Filters
from dashboard.render import chart_with_table, empty_state, stakeholder_mode, user_errors
from ete_metrics import views
from ete_metrics.metrics.standardised import (
    ADJUSTERS,
    DEFAULT_ADJUST,
    ratio_limits,
    standardised_ratios,
)
from ete_metrics.present.charts.standardised import ratio_funnel_plot, raw_and_adjusted_chart
from ete_metrics.protect import policy
from ete_metrics.protect.audience import limit_sizes

#: Readable names of the characteristics an adjustment can use.
ADJUSTER_LABELS: dict[str, str] = {
    "pathway": "Pathway (community or custody)",
    "age_band": "Age band",
    "gender": "Gender",
    "time_since_entry": "Time since entry",
}

#: Said to stakeholders where the programme team sees the adjusted comparison.
NOT_PUBLISHED = policy.NOT_PUBLISHED[views.STANDARDISED.name]


@dataclass(frozen=True)
class Adjusted:
    """Observed / expected ratios of groups and what they were adjusted for.

    Attributes
    ----------
    ratios : pandas.DataFrame
        :func:`ete_metrics.metrics.standardised.standardised_ratios` (true counts).
    adjust : tuple of str
        The characteristics adjusted for.
    """

    ratios: pd.DataFrame
    adjust: tuple[str, ...]


def adjusted_ratios(
    data: ProgrammeData,
    filters: Filters,
    *,
    by: str,
    step: str,
    key: str,
    common: dict[str, Any],
) -> Adjusted:
    """Ask what to adjust for (a multiselect) and count the groups' ratios.

    Parameters
    ----------
    data : ProgrammeData
    filters : Filters
    by : str
        The grouping column (``region``, ``delivery_partner``).
    step : str
        ``training``, ``work`` or ``sustained``.
    key : str
        Widget and download key prefix.
    common : dict
        ``as_of``, the entry range and any conversion window, as for the page's other metrics.
    """
    if stakeholder_mode():
        return Adjusted(pd.DataFrame(), ())
    adjust = st.multiselect(
        "Adjust for", list(ADJUSTERS), default=list(DEFAULT_ADJUST), format_func=lambda name: ADJUSTER_LABELS.get(name, name),
        key=f"{key}_adjust",
        help="Each person is given the programme-wide rate of people with the same "
        "characteristics; a group's expected number is the sum. See 'About these statistics'.",
    )
    ratios = pd.DataFrame()
    with user_errors():
        ratios = metric(standardised_ratios, data, filters, by=by, step=step, adjust_for=tuple(adjust), **common)
    return Adjusted(ratios, tuple(adjust))


def adjusted_comparison(
    adjusted: Adjusted,
    *,
    by: str,
    step: str,
    group_label: str,
    key: str,
) -> None:
    """Render the adjusted comparison of groups ``by`` for ``step``.

    Parameters
    ----------
    adjusted : Adjusted
        From :func:`adjusted_ratios`.
    by, step, group_label, key : str
        The grouping column, the step, what a group is called on screen, the key prefix.
    """
    if stakeholder_mode():
        st.caption(NOT_PUBLISHED)
        return
    ratios = adjusted.ratios
    if ratios.empty:
        empty_state("No one to compare with these filters.")
        return
    named = ", ".join(ADJUSTER_LABELS[a].lower() for a in adjusted.adjust) or "nothing (the overall rate)"
    st.caption(
        f"Adjusted for {named}. The adjusted rate is what the {group_label.lower()}'s observed / expected "
        "ratio means on the rate scale (ratio × overall rate). Adjustment removes differences explained by "
        "these recorded characteristics only, not differences in unrecorded need."
    )
    chart_with_table(
        lambda numbers: raw_and_adjusted_chart(numbers, by=by, step=step, group_label=group_label),
        ratios, views.STANDARDISED, key=f"{key}_raw_adjusted",
        filename=f"{by}_{step}_raw_and_adjusted",
        columns=[by, "entered", "observed", "expected", "raw_rate", "adjusted_rate", "overall_rate"],
    )
    st.caption(
        "Observed ÷ expected against the expected number: 1 is as expected for the group's mix of "
        "people. Outside the dashed 95% limits a group differs from expected by more than chance "
        "would usually explain; outside the dotted 99.8% limits, by much more (exact Poisson limits)."
    )
    chart_with_table(  # limits over the expected counts
        lambda numbers: ratio_funnel_plot(numbers, ratio_limits(limit_sizes(numbers["expected"])), by=by,
                                          step=step, group_label=group_label),
        ratios, views.STANDARDISED, key=f"{key}_ratio_funnel",
        filename=f"{by}_{step}_observed_expected",
        columns=[by, "observed", "expected", "ratio", "ratio_low", "ratio_high", "position"],
    )
