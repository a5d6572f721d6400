"""The filters a user has chosen: what every page and download is computed for.

:class:`Filters` is plain data. ``app.py`` renders the sidebar
(:func:`dashboard.state.sidebar_filters`) before it runs a page and stores the
result in ``st.session_state``; a page reads it with :func:`current_filters`.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass
from datetime import date
from typing import Any

import streamlit as st

from dashboard.escape import markdown_literal
from dashboard.links import WINDOWS, window_words
from ete_metrics import config
from ete_metrics.present.formatting import uk_date
from ete_metrics.protect.audience import INTERNAL, STAKEHOLDER

#: Session-state key of the current :class:`Filters`.
FILTERS_KEY = "ete_filters"


@dataclass(frozen=True)
class Filters:
    """What the user has chosen in the sidebar.

    Attributes
    ----------
    as_of : date
        Figures as at this date (default: the data's cut-off).
    date_from, date_to : date or None
        Only participants who entered in this range (inclusive); ``None`` = open.
    regions, pathways, delivery_partners : tuple of str
        Restrict to these; an empty tuple means everyone. Each value counts once (a
        repeated one is dropped when the filters are made).
    audience : str
        ``"internal"`` (default) or ``"stakeholder"``: every figure shown is then
        protected by :func:`ete_metrics.protect.audience.protect_view`.
    """

    as_of: date
    date_from: date | None = None
    date_to: date | None = None
    regions: tuple[str, ...] = ()
    pathways: tuple[str, ...] = ()
    delivery_partners: tuple[str, ...] = ()
    audience: str = INTERNAL

    def __post_init__(self) -> None:
        # Each region, pathway and partner once, whoever built the filters: a region named
        # twice would count its people and targets twice.
        for name in ("regions", "pathways", "delivery_partners"):
            object.__setattr__(self, name, tuple(dict.fromkeys(getattr(self, name))))

    @property
    def stakeholder(self) -> bool:
        """True in the stakeholder audience (protected figures only)."""
        return self.audience == STAKEHOLDER

    @property
    def part_of_programme(self) -> bool:
        """True when only some of the programme's regions are in view (a region filter, or a
        regional lead's regions): pages then set the view against the programme's aggregate.

        Decided by the regions chosen, not by the regions the figures happen to hold: a
        partner or pathway filter that leaves one region's people still views the whole
        programme, whose aggregate with the same filters would be the same people.
        """
        return bool(self.regions) and not set(config.regions()) <= set(self.regions)

    def date_range(self) -> dict[str, Any]:
        """Return ``{"date_from": ..., "date_to": ...}`` to pass to a metric function."""
        return {"date_from": self.date_from, "date_to": self.date_to}

    def key(self) -> tuple[Any, ...]:
        """Return a plain hashable tuple of the data filters (a cache key; not the audience).

        The audience changes how figures are shown, not how they are computed, so
        the metric cache is shared between audiences.
        """
        return astuple(self)[:-1]

    def describe(self) -> str:
        """Return a one-line description of the view, for captions under headings.

        It is Markdown: names that come from the data (partners, regions) are escaped
        (:func:`dashboard.escape.markdown_literal`) so they show as typed.
        """
        parts = [f"Figures as at {uk_date(self.as_of)}"]
        if self.date_from or self.date_to:
            start = uk_date(self.date_from) if self.date_from else "the start"
            end = uk_date(self.date_to) if self.date_to else uk_date(self.as_of)
            parts.append(f"people who entered from {start} to {end}")
        parts.append(
            ", ".join(markdown_literal(r) for r in self.regions) if self.regions else "all regions"
        )
        if self.pathways:
            parts.append("pathway: " + ", ".join(markdown_literal(p) for p in self.pathways))
        if self.delivery_partners:
            parts.append(
                "delivery partner: " + ", ".join(markdown_literal(p) for p in self.delivery_partners)
            )
        if self.stakeholder:
            parts.append("stakeholder view: rounded and suppressed figures")
        return " · ".join(parts)


def current_filters() -> Filters:
    """Return the filters ``app.py`` stored for this run.

    Returns
    -------
    Filters

    Raises
    ------
    RuntimeError
        The page was run without ``app.py`` (pages are parts of the app, run with
        ``streamlit run app.py``).
    """
    filters = st.session_state.get(FILTERS_KEY)
    if not isinstance(filters, Filters):
        raise RuntimeError(
            "No filters for this run: pages are run by app.py (streamlit run app.py), "
            "which draws the sidebar first."
        )
    return filters


def window_select(key: str, help_text: str) -> int | None:
    """The "Conversion window" select box of a page.

    Parameters
    ----------
    key : str
        The widget's key (also its URL option, where the page keeps one).
    help_text : str
        The help shown beside it.

    Returns
    -------
    int or None
        The chosen window in days, ``None`` for all follow-up to date.
    """
    window: int | None = st.selectbox(
        "Conversion window",
        WINDOWS,
        format_func=window_words,
        key=key,
        help=help_text,
    )
    return window
