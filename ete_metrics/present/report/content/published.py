"""The figures as published: where every table of a report is protected.

The pack (:func:`_pack`: the headline now and a month earlier, the regions compared, the
delivery partners, the equality groups, the programme benchmark) is protected together
(:func:`_published`, :func:`ete_metrics.protect.publication.publish`); a table counting
other things is protected alone with the dashboard's rules (:func:`_present`). Charts draw
only from the published numbers (:func:`_chart_frame`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from ete_metrics.metrics.comparison import compare_groups, programme_benchmark
from ete_metrics.metrics.equality import equality
from ete_metrics.metrics.funnel import funnel
from ete_metrics.metrics.partners import delivery_partners
from ete_metrics.protect import disclosure
from ete_metrics.protect.audience import present_view
from ete_metrics.protect.publication import Part, parts_of, publish
from ete_metrics.steps import ENTERED, TRAINING, WORK
from ete_metrics.views import View

#: The steps of the delivery partners' table.
PARTNER_STEPS: tuple[str, ...] = (ENTERED.name, TRAINING.name, WORK.name)


def _present(frame: pd.DataFrame, kind: View, audience: str) -> pd.DataFrame:
    """The view as shown: :func:`ete_metrics.protect.audience.present_view` (the dashboard's rules)."""
    return present_view(frame.reset_index(drop=True), kind, audience).reset_index(drop=True)


def _pack(
    participants: pd.DataFrame,
    milestones: pd.DataFrame,
    as_of: pd.Timestamp,
    previous: pd.Timestamp,
    dates: Mapping[str, Any],
    *,
    compare_regions: bool = True,
    programme: pd.DataFrame | None = None,
) -> dict[str, Part]:
    """The pack's tables of the same people, protected together (:func:`publish`).

    The set is declared as ``"pack"`` in :data:`ete_metrics.views.PUBLICATIONS`.

    The headline now and a month earlier, the regions compared (work), the delivery
    partners' steps and the equality groups: each counts
    the people entered and in work, so a cell suppressed in one is suppressed in all,
    and the set is audited as a whole. Targets and cohort tables count other things
    (contractual measures; quarters of entry at a month since entry) and are
    protected as views.

    As on the Regions page, the regions are compared with each other (and adjusted) only
    when two or more are in view (``compare_regions``): one region alone would be compared
    with itself. With the ``programme``'s funnel (part of the programme in view), the
    pack's people are set against it (``"benchmark"``, an aggregate of every region).
    """
    partners = delivery_partners(participants, milestones, as_of=as_of, **dates)
    now = funnel(participants, milestones, as_of=as_of, include_sustained=True, **dates)
    return parts_of("pack", {
        "now": now,
        "month_earlier": funnel(participants, milestones, as_of=previous, include_sustained=True,
                                **dates),
        "comparison": compare_groups(participants, milestones, by="region", step=WORK.name,
                                     as_of=as_of, **dates) if compare_regions else None,
        "partners": partners.loc[partners["step"].isin(PARTNER_STEPS)].reset_index(drop=True),
        "equality": equality(participants, milestones, as_of=as_of, **dates),
        "benchmark": None if programme is None else programme_benchmark(now, programme),
    })


def _chart_frame(table: pd.DataFrame, counts: Sequence[str] = ("participants",)) -> pd.DataFrame:
    """Numbers a chart may draw: ``"[c]"`` becomes NaN; whole count columns stay whole."""
    numbers = disclosure.numeric_view(table)
    for column in counts:
        if column in numbers.columns and pd.api.types.is_float_dtype(numbers[column].dtype):
            values = numbers[column]
            if values.notna().all() and (values == values.round()).all():
                numbers[column] = values.astype("int64")  # labels read 700, not 700.0
    return numbers



def _published(
    participants: pd.DataFrame,
    milestones: pd.DataFrame,
    as_of: pd.Timestamp,
    previous: pd.Timestamp,
    dates: Mapping[str, Any],
    audience: str,
    *,
    compare_regions: bool = True,
    programme: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """The pack's tables (:func:`_pack`) as the ``audience`` sees them, by name, protected together."""
    parts = _pack(participants, milestones, as_of, previous, dates, compare_regions=compare_regions,
                  programme=programme)
    return dict(zip(parts, publish(list(parts.values()), audience), strict=True))
