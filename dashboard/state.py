"""The shared filters: one sidebar for every page, kept in the URL.

``app.py`` calls :func:`sidebar_filters` once per run (before the page), which
renders the widgets in the sidebar and stores the resulting :class:`Filters` in
``st.session_state``; pages read them with :func:`dashboard.filters.current_filters`.

Because the widgets live in the entry script they keep their values when the user
moves between pages. Their values are mirrored in ``st.query_params`` so a copied
link opens the same view. Query parameters (all optional; absent = the default):

``as_of``     ISO date, default the data's cut-off
``from``/``to`` ISO dates, the range of entry dates (inclusive)
``region``, ``pathway``, ``partner``  repeatable, e.g. ``?region=London&region=Wales``
``audience``  ``stakeholder`` for the protected stakeholder view (default ``internal``)

A date outside the data's range (a bookmark that outlived an import, ``?from=1900-01-01``)
moves to the nearest end of the range, and the sidebar says so.

An empty ``regions``/``pathways``/``delivery_partners`` tuple means *no
restriction* (everyone), which is the default.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.auth import require_access
from dashboard.data import ProgrammeData
from dashboard.filters import FILTERS_KEY, Filters
from ete_metrics import config
from ete_metrics.present.formatting import uk_date
from ete_metrics.protect.audience import AUDIENCES, INTERNAL, STAKEHOLDER

_INIT_KEY = "_ete_filters_initialised"
#: Dates moved into the data's range: widget key -> (the date used, what the sidebar says).
_MOVED_KEY = "_ete_filters_moved_dates"

#: Widget keys (also the session-state keys).
AS_OF_KEY = "filter_as_of"
FROM_KEY = "filter_date_from"
TO_KEY = "filter_date_to"
REGIONS_KEY = "filter_regions"
PATHWAYS_KEY = "filter_pathways"
PARTNERS_KEY = "filter_delivery_partners"
AUDIENCE_KEY = "filter_audience"

#: Query parameter names.
QP_AS_OF = "as_of"
QP_FROM = "from"
QP_TO = "to"
QP_REGION = "region"
QP_PATHWAY = "pathway"
QP_PARTNER = "partner"
QP_AUDIENCE = "audience"
_ALL_QP = (QP_AS_OF, QP_FROM, QP_TO, QP_REGION, QP_PATHWAY, QP_PARTNER, QP_AUDIENCE)

#: The date inputs' labels, by widget key (as the moved-date note names them).
_DATE_LABELS = {
    AS_OF_KEY: "Figures as at",
    FROM_KEY: "Entered from",
    TO_KEY: "Entered to",
}

#: Labels of the audience control.
AUDIENCE_LABELS = {INTERNAL: "Internal (all figures)", STAKEHOLDER: "Stakeholder (protected)"}


def _parse_date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    try:
        stamp = pd.Timestamp(str(value))
    except (ValueError, TypeError):
        return None
    if stamp is pd.NaT:
        return None
    return stamp.date()


def _get_all(name: str) -> list[str]:
    try:
        return [v for v in st.query_params.get_all(name) if v != ""]
    except Exception:  # noqa: BLE001 - a malformed URL must never break the page
        return []


def _options(values: pd.Series, preferred: tuple[str, ...] = ()) -> list[str]:
    """Distinct non-missing values, the configured ones first in their order."""
    present = {str(v) for v in values.dropna().unique() if str(v) != ""}
    ordered = [v for v in preferred if v in present]
    return ordered + sorted(present - set(ordered))


# Keyed on the data version only (``_data`` is not hashed: the version stands for it), so a
# new import offers its regions, pathways, partners and dates at the next rerun.
@st.cache_resource(show_spinner=False, max_entries=4)
def _choices(version: tuple[Any, ...], _data: ProgrammeData) -> tuple[dict[str, list[str]], tuple[date, date]]:
    """The sidebar's options and date bounds, computed once per data version."""
    participants = _data.participants
    options = {
        "regions": _options(participants["region"], config.regions()),
        "pathways": _options(participants["pathway"], config.PATHWAYS),
        "delivery_partners": _options(participants["delivery_partner"]),
    }
    return options, _bounds(_data)


def _bounds(data: ProgrammeData) -> tuple[date, date]:
    cutoff = data.cutoff or config.CONTRACT_END
    earliest = config.CONTRACT_START
    entries = data.participants["entry_date"].dropna()
    if len(entries):
        earliest = min(earliest, entries.min().date())
    return earliest, cutoff


def _initialise_from_url(data: ProgrammeData, options: dict[str, list[str]]) -> None:
    """Seed the widgets' session state from the URL, once per session."""
    st.session_state[AS_OF_KEY] = _parse_date(st.query_params.get(QP_AS_OF))
    st.session_state[FROM_KEY] = _parse_date(st.query_params.get(QP_FROM))
    st.session_state[TO_KEY] = _parse_date(st.query_params.get(QP_TO))
    for key, qp, name in (
        (REGIONS_KEY, QP_REGION, "regions"),
        (PATHWAYS_KEY, QP_PATHWAY, "pathways"),
        (PARTNERS_KEY, QP_PARTNER, "delivery_partners"),
    ):
        st.session_state[key] = [v for v in _get_all(qp) if v in options[name]]
    audience = st.query_params.get(QP_AUDIENCE)
    st.session_state[AUDIENCE_KEY] = audience if audience in AUDIENCES else INTERNAL
    st.session_state[_INIT_KEY] = True


def _keep_dates_in_range(earliest: date, cutoff: date) -> None:
    """Move the date filters into the data's range before the date inputs are drawn.

    A bookmarked link (``?from=1900-01-01``) or a session that outlived an import can
    hold a date outside the range the date inputs allow, which Streamlit refuses with
    an error in place of the page. The date moves to the nearest end of the range and
    the sidebar says so for as long as the moved date stays in place.
    """
    moved: dict[str, tuple[date, str]] = st.session_state.setdefault(_MOVED_KEY, {})
    if st.session_state.get(AS_OF_KEY) is None:
        st.session_state[AS_OF_KEY] = cutoff
    for key, label in _DATE_LABELS.items():
        value = st.session_state.get(key)
        if not isinstance(value, date) or earliest <= value <= cutoff:
            continue
        kept = min(max(value, earliest), cutoff)
        st.session_state[key] = kept
        moved[key] = (
            kept,
            f"'{label}' was {uk_date(value)}, outside the data ({uk_date(earliest)} to "
            f"{uk_date(cutoff)}); {uk_date(kept)} is used instead.",
        )
    for key, (kept, message) in list(moved.items()):
        if st.session_state.get(key) == kept:
            st.sidebar.info(message)
        else:
            del moved[key]


def _reset() -> None:
    st.session_state.pop(_INIT_KEY, None)
    st.session_state.pop(_MOVED_KEY, None)
    for qp in _ALL_QP:
        if qp == QP_AUDIENCE:  # resetting the filters never drops the protection
            continue
        if qp in st.query_params:
            del st.query_params[qp]


def _write_url(filters: Filters, cutoff: date | None) -> None:
    """Mirror the filters in the URL (defaults left out, so a plain link stays plain)."""
    wanted: dict[str, str | list[str]] = {}
    if cutoff is None or filters.as_of != cutoff:
        wanted[QP_AS_OF] = filters.as_of.isoformat()
    if filters.date_from:
        wanted[QP_FROM] = filters.date_from.isoformat()
    if filters.date_to:
        wanted[QP_TO] = filters.date_to.isoformat()
    if filters.regions:
        wanted[QP_REGION] = list(filters.regions)
    if filters.pathways:
        wanted[QP_PATHWAY] = list(filters.pathways)
    if filters.delivery_partners:
        wanted[QP_PARTNER] = list(filters.delivery_partners)
    if filters.audience != INTERNAL:
        wanted[QP_AUDIENCE] = filters.audience
    for qp in _ALL_QP:
        if qp in wanted:
            value = wanted[qp]
            current = _get_all(qp)
            if current != (value if isinstance(value, list) else [value]):
                st.query_params[qp] = value
        elif qp in st.query_params:
            del st.query_params[qp]


def sidebar_filters(data: ProgrammeData) -> Filters:
    """Render the shared sidebar filters and return (and store) the user's choice.

    Called once per run by ``app.py``, before the page runs.

    Parameters
    ----------
    data : dashboard.data.ProgrammeData
        The loaded data (its cut-off and the regions, pathways and partners present).

    Returns
    -------
    Filters
        Also stored in ``st.session_state`` for :func:`dashboard.filters.current_filters`.
    """
    options, (earliest, cutoff) = _choices(data.version, data)
    if not st.session_state.get(_INIT_KEY):
        _initialise_from_url(data, options)
    access = require_access()
    forced = access.forced_audience  # stakeholders: the protected view, always
    if forced is not None:
        st.session_state[AUDIENCE_KEY] = forced

    with st.sidebar:
        st.header("Filters")
    _keep_dates_in_range(earliest, cutoff)
    with st.sidebar:
        audience = st.radio(
            "Audience",
            list(AUDIENCES),
            key=AUDIENCE_KEY,
            format_func=AUDIENCE_LABELS.__getitem__,
            disabled=forced is not None,
            help="Stakeholder: every count is rounded to the nearest 5, counts below 5 are "
            "suppressed ([c]) and rates for groups of fewer than 10 are not shown; no "
            "participant-level data. Use it for anything shared outside the programme team.",
        )
        as_of = st.date_input(
            "Figures as at",
            key=AS_OF_KEY,
            min_value=earliest,
            max_value=cutoff,
            format="DD/MM/YYYY",
            help="Count entries and milestones on or before this date. Defaults to the data's cut-off.",
        )
        date_from = st.date_input(
            "Entered from (optional)", key=FROM_KEY, min_value=earliest, max_value=cutoff,
            format="DD/MM/YYYY", help="Only people who entered on or after this date.",
        )
        date_to = st.date_input(
            "Entered to (optional)", key=TO_KEY, min_value=earliest, max_value=cutoff,
            format="DD/MM/YYYY", help="Only people who entered on or before this date.",
        )
        regions = st.multiselect(
            "Regions", options["regions"], key=REGIONS_KEY, placeholder="All regions"
        )
        pathways = st.multiselect(
            "Pathways", options["pathways"], key=PATHWAYS_KEY, placeholder="All pathways",
            format_func=lambda v: str(v).capitalize(),
        )
        partners = st.multiselect(
            "Delivery partners", options["delivery_partners"], key=PARTNERS_KEY,
            placeholder="All delivery partners",
        )
        st.button("Reset filters", on_click=_reset, key="filter_reset")

    start: date | None = date_from if isinstance(date_from, date) else None
    end: date | None = date_to if isinstance(date_to, date) else None
    if start is not None and end is not None and start > end:
        st.sidebar.warning("'Entered from' is after 'Entered to': the range is ignored until you fix it.")
        start = end = None
    filters = Filters(
        as_of=as_of if isinstance(as_of, date) else cutoff,
        date_from=start,
        date_to=end,
        # Nothing chosen = everything the user may see (their regions, for targets and reports).
        regions=tuple(regions) or (access.regions or ()),
        pathways=tuple(pathways),
        delivery_partners=tuple(partners),
        audience=forced or (audience if audience in AUDIENCES else INTERNAL),
    )
    st.session_state[FILTERS_KEY] = filters
    _write_url(filters, data.cutoff)
    return filters
