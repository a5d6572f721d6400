"""Who a report is about: its filters checked and resolved, and the people they leave.

:func:`resolve_filters` is the first step of
:func:`~ete_metrics.present.report.content.report_content`: the chosen regions, pathways
and delivery partners in the data's spelling, the entry-date range, the people and
milestones they keep, the regions the report is labelled with, and the programme's
funnel a part of the programme is set against.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from ete_metrics import config
from ete_metrics.counting.filters import filter_participants, milestones_for
from ete_metrics.counting.population import to_timestamp
from ete_metrics.errors import InputError
from ete_metrics.metrics.funnel import funnel
from ete_metrics.metrics.headline import month_earlier
from ete_metrics.metrics.review import scope_label
from ete_metrics.protect.audience import AUDIENCES, check_stakeholder_scope


def _names(column: pd.Series) -> list[str]:
    """The distinct values of a column as text, missing ones left out (each read once, not per row)."""
    return [str(v) for v in column.dropna().unique()]


def _canonical(
    chosen: Iterable[str] | None, known: Iterable[str], what: str
) -> tuple[str, ...]:
    """The chosen values in their stored spelling (case-insensitive), or InputError naming the unknown."""
    if chosen is None:
        return ()
    values = [chosen] if isinstance(chosen, str) else list(chosen)
    spelling = {str(k).casefold(): str(k) for k in known}
    out: list[str] = []
    unknown: list[str] = []
    for value in values:
        match = spelling.get(str(value).strip().casefold())
        if match is None:
            unknown.append(str(value))
        elif match not in out:
            out.append(match)
    if unknown:
        options = ", ".join(sorted(spelling.values())) or "none in the data"
        raise InputError(
            f"Unknown {what} {', '.join(repr(u) for u in unknown)}: choose from {options}."
        )
    return tuple(out)


def part_of_programme(regions: Iterable[str]) -> bool:
    """True when ``regions`` (those a report covers) are only part of the programme.

    The pages' rule (``dashboard.filters.Filters.part_of_programme``): decided by the
    regions chosen (a region filter, or a regional lead's regions), not by the regions
    the figures happen to hold.
    """
    chosen = set(regions)
    return bool(chosen) and not set(config.regions()) <= chosen


def programme_funnel(
    participants: pd.DataFrame,
    milestones: pd.DataFrame,
    *,
    as_of: date | pd.Timestamp | str,
    pathways: Iterable[str] | None = None,
    delivery_partners: Iterable[str] | None = None,
    date_from: date | pd.Timestamp | str | None = None,
    date_to: date | pd.Timestamp | str | None = None,
) -> pd.DataFrame:
    """The programme's funnel (every region's people; an aggregate, no breakdown).

    What a report of part of the programme is set against (:func:`report_content`'s
    ``programme``): ``participants`` and ``milestones`` hold every region; the other
    filters are the report's. Only the totals per step leave this function.
    """
    if pathways or delivery_partners:
        participants = filter_participants(participants, pathways=list(pathways or ()) or None,
                                           delivery_partners=list(delivery_partners or ()) or None)
        milestones = milestones_for(participants, milestones)
    start = None if date_from is None else to_timestamp(date_from)
    end = None if date_to is None else to_timestamp(date_to)
    return funnel(participants, milestones, as_of=to_timestamp(as_of), include_sustained=True,
                  date_from=start, date_to=end)



@dataclass(frozen=True, eq=False)
class ReportFilters:
    """A report's filters, resolved, and the people they keep (:func:`resolve_filters`).

    Attributes
    ----------
    participants, milestones : pandas.DataFrame
        The people the filters keep (every entry date: the range is applied by the metrics).
    as_of, previous : pandas.Timestamp
        The cut-off, and one month before it (for "what changed").
    regions, pathways, delivery_partners : tuple of str
        As chosen, in the data's spelling; ``regions`` is the regions the data holds when
        none was chosen and it holds only part of the programme (a regional lead's).
    date_from, date_to : pandas.Timestamp or None
        The entry-date range (inclusive); ``None`` when open.
    programme : pandas.DataFrame or None
        :func:`programme_funnel` to set part of the programme against; ``None`` for the
        whole programme.
    compare_regions : bool
        Two regions or more in view, so they are compared with each other.
    """

    participants: pd.DataFrame
    milestones: pd.DataFrame
    as_of: pd.Timestamp
    previous: pd.Timestamp
    regions: tuple[str, ...]
    pathways: tuple[str, ...]
    delivery_partners: tuple[str, ...]
    date_from: pd.Timestamp | None
    date_to: pd.Timestamp | None
    programme: pd.DataFrame | None
    compare_regions: bool

    @property
    def region_list(self) -> list[str] | None:
        """The regions as a metric's ``regions`` argument: ``None`` for all."""
        return list(self.regions) or None

    @property
    def dates(self) -> dict[str, pd.Timestamp | None]:
        """The entry-date range as a metric's ``date_from`` and ``date_to`` arguments."""
        return {"date_from": self.date_from, "date_to": self.date_to}

    def as_chosen(self) -> dict[str, Any]:
        """The filters as :class:`~.model.ReportContent` records them (dates as dates)."""
        return {
            "regions": self.regions, "pathways": self.pathways,
            "delivery_partners": self.delivery_partners,
            "date_from": None if self.date_from is None else self.date_from.date(),
            "date_to": None if self.date_to is None else self.date_to.date(),
        }

    @property
    def scope(self) -> str:
        """The regions in words: ``"All regions"``, ``"Wales"``, ``"London and Wales"``."""
        return scope_label(self.regions)


def resolve_filters(
    participants: pd.DataFrame,
    milestones: pd.DataFrame,
    *,
    as_of: date | pd.Timestamp | str,
    audience: str = "internal",
    regions: Iterable[str] | None = None,
    pathways: Iterable[str] | None = None,
    delivery_partners: Iterable[str] | None = None,
    date_from: date | pd.Timestamp | str | None = None,
    date_to: date | pd.Timestamp | str | None = None,
    programme: pd.DataFrame | None = None,
) -> ReportFilters:
    """Check a report's filters and keep the people they choose.

    Names are matched without regard to case and kept in the data's spelling. With no
    region chosen, the report covers the regions in the data. As on the pages, part of the
    programme (:func:`part_of_programme`) is set against the ``programme``'s funnel, worked
    out from ``participants`` when they hold other regions too (a lead's data holds only
    theirs: then it is passed in), and regions are compared only when two or more are in view.

    Raises
    ------
    InputError
        An unknown audience; no participants at all, or none left by the filters; an unknown
        region, pathway or delivery partner; a date range that starts after it ends; a stakeholder report of
        regions other than the whole programme or one region.
    """
    if audience not in AUDIENCES:
        raise InputError(f"Unknown audience {audience!r}: choose internal or stakeholder.")
    if participants.empty:
        raise InputError(
            "There are no participants to report on: import an extract first "
            "(python -m ete_metrics import ...)."
        )
    stamp = to_timestamp(as_of)
    chosen = _canonical(regions, set(_names(participants["region"])) | set(config.regions()), "region")
    chosen_pathways = _canonical(pathways, set(_names(participants["pathway"])) | set(config.PATHWAYS), "pathway")
    chosen_partners = _canonical(
        delivery_partners, participants["delivery_partner"].dropna().astype(str).unique(),
        "delivery partner",
    )
    start = None if date_from is None else to_timestamp(date_from)
    end = None if date_to is None else to_timestamp(date_to)
    if start is not None and end is not None and start > end:
        raise InputError("The entry-date range starts after it ends: choose a start on or before the end.")
    everyone, everyone_milestones = participants, milestones
    if chosen or chosen_pathways or chosen_partners:
        participants = filter_participants(
            participants,
            regions=chosen or None,
            pathways=chosen_pathways or None,
            delivery_partners=chosen_partners or None,
        )
        milestones = milestones_for(participants, milestones)
        if participants.empty:
            raise InputError(
                "No participants match these filters: choose other regions, pathways or partners."
            )
    if not chosen:
        chosen = _regions_held(participants)
    if audience == "stakeholder":  # the whole programme or one region (a pair's totals would be differenced)
        check_stakeholder_scope(chosen)
    if part_of_programme(chosen) and programme is None and set(_names(everyone["region"])) - set(chosen):
        programme = programme_funnel(everyone, everyone_milestones, as_of=stamp, pathways=chosen_pathways,
                                     delivery_partners=chosen_partners, date_from=start, date_to=end)
    if not part_of_programme(chosen):
        programme = None  # the whole programme in view: nothing to set it against
    return ReportFilters(
        participants=participants, milestones=milestones, as_of=stamp,
        previous=pd.Timestamp(month_earlier(stamp)), regions=chosen, pathways=chosen_pathways,
        delivery_partners=chosen_partners, date_from=start, date_to=end, programme=programme,
        compare_regions=len(_names(participants["region"])) >= 2,
    )


def _regions_held(participants: pd.DataFrame) -> tuple[str, ...]:
    """With no region chosen, the regions a report covers: those in the data.

    A regional lead's data holds their regions only, so their pack is labelled with them,
    not "All regions"; data holding every region gives ``()`` (all regions).
    """
    held = set(_names(participants["region"]))
    if held and not set(config.regions()) <= held:
        return tuple(r for r in config.regions() if r in held) + tuple(
            sorted(held - set(config.regions())))
    return ()

