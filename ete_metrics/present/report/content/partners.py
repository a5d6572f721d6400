"""Delivery partners: people at each step by partner."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ete_metrics import views
from ete_metrics.present.report.content.model import ReportTable, ReportView
from ete_metrics.present.report.content.published import PARTNER_STEPS, _chart_frame
from ete_metrics.steps import ENTERED, TRAINING, WORK

if TYPE_CHECKING:  # Plotly is loaded only where a chart is drawn: a workbook has none
    import plotly.graph_objects as go


def _partners_view(long: pd.DataFrame, charts: bool = True) -> ReportView:
    steps = list(PARTNER_STEPS)
    partners = list(dict.fromkeys(long["delivery_partner"].astype(str)))
    shown = pd.DataFrame({"delivery_partner": partners})
    for step in steps:
        part = long.loc[long["step"] == step]
        by_partner = dict(zip(part["delivery_partner"].astype(str), part["participants"], strict=True))
        shown[step] = pd.Series([by_partner.get(p, np.nan) for p in partners], dtype=object)
    for step in (TRAINING.name, WORK.name):
        part = long.loc[long["step"] == step]
        rates = dict(zip(part["delivery_partner"].astype(str), part["rate_from_entry"], strict=True))
        shown[f"{step}_rate"] = pd.Series([rates.get(p, np.nan) for p in partners], dtype=object)
    return ReportView(
        key="partners",
        title="Delivery partners",
        summary="People entered, in training and in work for each delivery partner; "
        "percentages are of the partner's entrants.",
        table=ReportTable(
            key="partners",
            title="Delivery partners",
            data=shown.reset_index(drop=True),
            view=views.PARTNER_STEPS,
        ),
        figure=_partners_chart(shown) if charts else None,
    )


def _partners_chart(shown: pd.DataFrame) -> go.Figure | None:
    """People at each step by delivery partner, from the partners' table as shown."""
    from ete_metrics.present.charts.partners import step_bars

    numbers = _chart_frame(shown)
    chart_long = pd.DataFrame(
        [
            {
                "delivery_partner": row["delivery_partner"],
                "step": step,
                "participants": row[step],
                "rate_from_entry": 1.0 if step == ENTERED.name else row[f"{step}_rate"],
            }
            for _, row in numbers.iterrows()
            for step in PARTNER_STEPS
        ],
        columns=["delivery_partner", "step", "participants", "rate_from_entry"],
    )
    if not len(chart_long):
        return None
    return step_bars(
        chart_long,
        by="delivery_partner",
        group_label="Delivery partner",
        title="People at each step, by delivery partner",
    )

