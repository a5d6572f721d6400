"""Plotly chart builders in the house style (no Streamlit, no programme logic).

Each builder takes a tidy frame from a metric module and returns a styled
``plotly.graph_objects.Figure`` (:mod:`ete_metrics.present.charts.style`).
"""

from __future__ import annotations

from ete_metrics.present.charts.cohorts import (
    cohort_curves_chart,
    cohort_heatmap_table,
    cumulative_incidence_chart,
    latest_cohorts,
)
from ete_metrics.present.charts.equality import equality_chart
from ete_metrics.present.charts.funnels import (
    activity_chart,
    conversion_chart,
    funnel_chart,
)
from ete_metrics.present.charts.partners import (
    employers_chart,
    funnel_plot,
    step_bars,
    training_providers_chart,
)
from ete_metrics.present.charts.regions import rates_by_group_chart, regions_funnel_plot
from ete_metrics.present.charts.style import apply_style, colour
from ete_metrics.present.charts.targets import target_progress_chart, targets_chart

__all__ = [
    "activity_chart",
    "apply_style",
    "cohort_curves_chart",
    "cohort_heatmap_table",
    "colour",
    "conversion_chart",
    "cumulative_incidence_chart",
    "employers_chart",
    "equality_chart",
    "funnel_chart",
    "funnel_plot",
    "latest_cohorts",
    "rates_by_group_chart",
    "regions_funnel_plot",
    "step_bars",
    "target_progress_chart",
    "targets_chart",
    "training_providers_chart",
]
