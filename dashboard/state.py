"""The shared filters: one sidebar for every page, kept in the URL.

``app.py`` calls :func:`sidebar_filters` once per run (before the page), which
renders the widgets in the sidebar and stores the resulting :class:`Filters` in
``st.session_state``; pages read them with :func:`dashboard.filters.current_filters`.

Because the widgets live in the entry script they keep their values when the user
moves between pages. Their values are mirrored in the URL (its query string) so a copied
link opens the same view. Query parameters (all optional; absent = the default),
declared with their rules in :mod:`dashboard.links`:

``as_of``     ISO date, default the data's cut-off
``from``/``to`` ISO dates, the range of entry dates (inclusive)
``region``, ``pathway``, ``partner``  repeatable, e.g. ``?region=London&region=Wales``
``audience``  ``stakeholder`` for the protected stakeholder view (default ``internal``)

The link is read once per session. A date outside the data's range (a bookmark that
outlived an import, ``?from=1900-01-01``) moves to the nearest end of the range; a value
that is not a date, a region the data does not hold, an audience that is neither is
ignored (an unclear audience gives the protected view); a repeated value counts once.
The sidebar says so, naming the parameter and the value, for as long as the control
holds what the link left it.

An empty ``regions``/``pathways``/``delivery_partners`` tuple means *no
restriction* (everyone), which is the default.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from dashboard.auth import require_access
from dashboard.data import ProgrammeData
from dashboard.escape import markdown_literal
from dashboard.filters import FILTERS_KEY, Filters
from dashboard.links import (
    AS_OF,
    AUDIENCE,
    DATE_FROM,
    DATE_TO,
    PARAMS,
    PARTNER,
    PATHWAY,
    REGION,
    ChoicesParam,
    DateParam,
    Param,
    params_for,
    shown_value,
)
from dashboard.page_state import (
    NOTES_KEY,
    keep_notes,
    one_history_entry_per_page,
    set_url,
    show_notes,
    standing_notes,
    url_last_values,
    url_texts,
)
from ete_metrics import config
from ete_metrics.protect.access import Access
from ete_metrics.protect.audience import AUDIENCES, INTERNAL

_INIT_KEY = "_ete_filters_initialised"

#: Widget keys (also the session-state keys).
AS_OF_KEY = "filter_as_of"
FROM_KEY = "filter_date_from"
TO_KEY = "filter_date_to"
REGIONS_KEY = "filter_regions"
PATHWAYS_KEY = "filter_pathways"
PARTNERS_KEY = "filter_delivery_partners"
AUDIENCE_KEY = "filter_audience"

#: The date filters: widget key -> parameter.
_DATES: dict[str, DateParam] = {AS_OF_KEY: AS_OF, FROM_KEY: DATE_FROM, TO_KEY: DATE_TO}
#: The filters choosing from the data: widget key -> parameter.
_CHOICES: dict[str, ChoicesParam] = {REGIONS_KEY: REGION, PATHWAYS_KEY: PATHWAY, PARTNERS_KEY: PARTNER}
#: Every sidebar parameter, by widget key, in the order of the controls.
_ALL: dict[str, Param] = {AUDIENCE_KEY: AUDIENCE, **_DATES, **_CHOICES}


def _options(values: pd.Series, preferred: tuple[str, ...] = ()) -> list[str]:
    """Distinct non-missing values, the configured ones first in their order."""
    present = {str(v) for v in values.dropna().unique() if str(v) != ""}
    ordered = [v for v in preferred if v in present]
    return ordered + sorted(present - set(ordered))


# Keyed on the data version only (``_data`` is not hashed: the version stands for it), so a
# new import offers its regions, pathways, partners and dates at the next rerun.
@st.cache_resource(show_spinner=False, max_entries=4)
def _choices(version: tuple[Any, ...], _data: ProgrammeData) -> tuple[dict[str, list[str]], tuple[date, date]]:
    """The sidebar's options (by the data's column) and date bounds, computed once per data version."""
    participants = _data.participants
    preferred = {"region": config.regions(), "pathway": config.PATHWAYS}
    options = {
        param.column: _options(participants[param.column], preferred.get(param.column, ()))
        for param in _CHOICES.values()
    }
    return options, _bounds(_data)


@st.cache_resource(show_spinner=False, max_entries=4)
def _partners_by_region(version: tuple[Any, ...], _data: ProgrammeData) -> dict[str, frozenset[str]]:
    """Each region's delivery partners (those with a participant there), once per data version."""
    pairs = _data.participants[[REGION.column, PARTNER.column]].dropna().astype(str).drop_duplicates()
    return {str(region): frozenset(group[PARTNER.column]) for region, group in pairs.groupby(REGION.column)}


def _partners_offered(all_partners: list[str], by_region: dict[str, frozenset[str]], regions: list[str]) -> list[str]:
    """The delivery partners to offer: those of the regions chosen (all of them when none is chosen)."""
    if not regions:
        return all_partners
    theirs = frozenset().union(*(by_region.get(region, frozenset()) for region in regions))
    return [partner for partner in all_partners if partner in theirs]


def _regions_placeholder(access: Access) -> str:
    """What the Regions box reads with nothing chosen: all regions, or a lead's own."""
    if access.regions:
        return f"{', '.join(access.regions)} (all your regions)" if len(access.regions) > 1 else (
            f"{access.regions[0]} (your region)")
    return "All regions"


def _bounds(data: ProgrammeData) -> tuple[date, date]:
    cutoff = data.cutoff or config.CONTRACT_END
    earliest = config.CONTRACT_START
    entries = data.participants["entry_date"].dropna()
    if len(entries):
        earliest = min(earliest, entries.min().date())
    return earliest, cutoff


def _everyone(param: ChoicesParam, access: Access) -> str:
    """What no value of ``param`` chosen means for this user, in a note."""
    if param is REGION:
        return f"all your regions ({', '.join(access.regions)})" if access.regions else "all regions, the whole programme"
    return f"all {param.label.lower()}"


#: Session-state key of the page the link opened (its notes about parameters it does not read stand there).
LINK_PAGE_KEY = "_ete_link_page"


def _current_page() -> tuple[str, str, dict[str, str]]:
    """The page running (its script hash and file, relative to the app) and every page's title by file."""
    ctx = get_script_run_ctx()
    if ctx is None:
        return "", "", {}
    titles: dict[str, str] = {}
    current = ""
    for page_hash, info in ctx.pages_manager.get_pages().items():
        path = Path(str(info.get("script_path", "")))
        relative = f"{path.parent.name}/{path.name}"
        titles[relative] = str(info.get("page_name", "") or relative)
        if page_hash == ctx.page_script_hash:
            current = relative
    return ctx.page_script_hash, current, titles


def _unread_notes(page: str, titles: dict[str, str]) -> list[str]:
    """Notes on what the link gives that ``page`` does not read: another page's setting, or no setting."""
    read = {param.name for param in params_for(page)}
    notes = []
    for name, last in url_last_values().items():
        if name in read:
            continue
        # its last value (every value of a parameter is read only where it is declared: dashboard.links)
        given = f"‘{shown_value(name)}={shown_value(last)}’"
        elsewhere = sorted({titles.get(str(p.page), str(p.page)) for p in PARAMS if p.name == name and p.page})
        if elsewhere:
            pages = " and ".join(elsewhere) + (" pages" if len(elsewhere) > 1 else " page")
            notes.append(f"The link's {given} was ignored: this page has no such setting "
                         f"(‘{shown_value(name)}’ is a setting of the {pages}).")
        else:
            notes.append(f"The link's {given} was ignored: the dashboard has no setting called "
                         f"‘{shown_value(name)}’.")
    return notes


def _initialise_from_url(options: dict[str, list[str]], earliest: date, cutoff: date, access: Access) -> None:
    """Seed the widgets' session state from the URL (once per session), keeping notes of what was not used."""
    page_hash, page, titles = _current_page()
    st.session_state[LINK_PAGE_KEY] = page_hash
    if page:
        keep_notes(LINK_PAGE_KEY, page_hash, _unread_notes(page, titles))
    for key, date_param in _DATES.items():
        parsed = date_param.parse(url_texts(date_param), earliest=earliest, latest=cutoff)
        st.session_state[key] = parsed.value
        keep_notes(key, parsed.value, parsed.notes)
    for key, param in _CHOICES.items():
        parsed = param.parse(url_texts(param), allowed=options[param.column], everyone=_everyone(param, access))
        st.session_state[key] = list(parsed.value)
        keep_notes(key, list(parsed.value), parsed.notes)
    parsed = AUDIENCE.parse(url_texts(AUDIENCE))
    st.session_state[AUDIENCE_KEY] = parsed.value
    keep_notes(AUDIENCE_KEY, parsed.value, parsed.notes)
    st.session_state[_INIT_KEY] = True


def _keep_dates_in_range(earliest: date, cutoff: date) -> None:
    """Move the date filters into the data's range before the date inputs are drawn.

    A session that outlived an import can hold a date outside the range the date inputs
    allow, which Streamlit refuses with an error in place of the page. The date moves to
    the nearest end of the range, as a link's does (:meth:`dashboard.links.DateParam.clamp`),
    and the sidebar says so for as long as the moved date stays in place.
    """
    if st.session_state.get(AS_OF_KEY) is None:
        st.session_state[AS_OF_KEY] = cutoff
    for key, param in _DATES.items():
        value = st.session_state.get(key)
        if not isinstance(value, date):
            continue
        kept, moved = param.clamp(value, earliest, cutoff)
        if moved is not None:
            st.session_state[key] = kept
            keep_notes(key, kept, [moved])


def _hold_filters() -> None:
    """Send the filters' values to the browser with the widgets on every run.

    A value put in a widget's state by code (a link read, a date moved) is shown by the
    widget only on the run that set it; a page opened afterwards mounts the sidebar's
    widgets afresh, and a region a link chose showed as none, then was lost at the next
    run. Setting each value again before its widget is drawn makes the run send it.
    """
    for key in _ALL:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def _reset() -> None:
    st.session_state.pop(_INIT_KEY, None)
    st.session_state.pop(NOTES_KEY, None)
    for param in _ALL.values():
        if param is AUDIENCE:  # resetting the filters never drops the protection
            continue
        set_url(param, [])


def _write_url(filters: Filters, cutoff: date | None) -> None:
    """Mirror the filters in the URL (defaults left out, so a plain link stays plain)."""
    set_url(AS_OF, [filters.as_of.isoformat()] if cutoff is None or filters.as_of != cutoff else [])
    set_url(DATE_FROM, [filters.date_from.isoformat()] if filters.date_from else [])
    set_url(DATE_TO, [filters.date_to.isoformat()] if filters.date_to else [])
    set_url(REGION, list(filters.regions))
    set_url(PATHWAY, list(filters.pathways))
    set_url(PARTNER, list(filters.delivery_partners))
    set_url(AUDIENCE, [filters.audience] if filters.audience != INTERNAL else [])


def sidebar_filters(data: ProgrammeData, *, notes_in_sidebar: bool = True) -> Filters:
    """Render the shared sidebar filters and return (and store) the user's choice.

    Called once per run by ``app.py``, before the page runs.

    Parameters
    ----------
    data : dashboard.data.ProgrammeData
        The loaded data (its cut-off and the regions, pathways and partners present).
    notes_in_sidebar : bool
        Where the notes about the link go (what it gave that was not used): the sidebar,
        beside the filters, or (``False``: the presentation, whose sidebar is hidden) the
        top of the page.

    Returns
    -------
    Filters
        Also stored in ``st.session_state`` for :func:`dashboard.filters.current_filters`.
    """
    options, (earliest, cutoff) = _choices(data.version, data)
    access = require_access()
    if not st.session_state.get(_INIT_KEY):
        _initialise_from_url(options, earliest, cutoff, access)
    forced = access.forced_audience  # stakeholders: the protected view, always
    if forced is not None:
        st.session_state[AUDIENCE_KEY] = forced

    with st.sidebar:
        st.header("Filters")
    one_history_entry_per_page()
    _hold_filters()
    _keep_dates_in_range(earliest, cutoff)
    notes = st.sidebar if notes_in_sidebar else st.container()
    st.session_state[LINK_PAGE_KEY] = _current_page()[0]  # the notes on what the page does not read stand on it
    for key in (LINK_PAGE_KEY, *_ALL):  # then in the order of the controls
        show_notes(standing_notes(key), notes)
    with st.sidebar:
        audience = _audience_control(forced)
        as_of, date_from, date_to = _date_controls(earliest, cutoff)
        regions, pathways, partners = _group_controls(data, options, access)
        st.button("Reset filters", on_click=_reset, key="filter_reset")
    start, end = _entry_range(date_from, date_to)
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


def _audience_control(forced: str | None) -> Any:
    """The audience: the role's, in words, when it is forced; else a choice."""
    if forced is not None:  # in words: a disabled control's faint text is 2.4:1 (WCAG 1.4.3)
        st.markdown(f"**Audience**: {AUDIENCE.describe(forced)}, always for this role")
        return forced
    return st.radio(
        "Audience",
        list(AUDIENCE.options),
        key=AUDIENCE_KEY,
        format_func=AUDIENCE.describe,
        help="Stakeholder: every count is rounded to the nearest 5, counts below 5 are "
        "suppressed ([c]) and rates for groups of fewer than 10 are not shown; no "
        "participant-level data. Use it for anything shared outside the programme team.",
    )


def _date_controls(earliest: date, cutoff: date) -> tuple[Any, Any, Any]:
    """The date controls, within the data's dates: figures as at, and the entry range."""
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
    return as_of, date_from, date_to


def _group_controls(
    data: ProgrammeData, options: Mapping[str, list[str]], access: Access
) -> tuple[list[str], list[str], list[str]]:
    """The regions, pathways and delivery partners chosen. Only the partners of the regions
    chosen are offered (one of another region would empty the view): a partner chosen before
    and not offered now is taken off, and the user told."""
    regions = st.multiselect(
        "Regions", options[REGION.column], key=REGIONS_KEY, placeholder=_regions_placeholder(access)
    )
    pathways = st.multiselect(
        "Pathways", options[PATHWAY.column], key=PATHWAYS_KEY, placeholder="All pathways",
        format_func=lambda v: str(v).capitalize(),
    )
    offered = _partners_offered(options[PARTNER.column], _partners_by_region(data.version, data), regions)
    chosen = list(st.session_state.get(PARTNERS_KEY) or [])
    outside = [partner for partner in chosen if partner not in offered]
    if outside:
        st.session_state[PARTNERS_KEY] = [partner for partner in chosen if partner in offered]
        st.info(
            f"{markdown_literal(', '.join(outside))}: no participant of the regions chosen, so taken off "
            "'Delivery partners'.", icon=":material/filter_alt_off:",
        )
    partners = st.multiselect(
        "Delivery partners", offered, key=PARTNERS_KEY,
        placeholder="All delivery partners" if not regions else "All their delivery partners",
    )
    return regions, pathways, partners


def _entry_range(date_from: Any, date_to: Any) -> tuple[date | None, date | None]:
    """The entry-date range chosen: open ends as ``None``, and ignored (with a warning in the
    sidebar) while it starts after it ends."""
    start: date | None = date_from if isinstance(date_from, date) else None
    end: date | None = date_to if isinstance(date_to, date) else None
    if start is not None and end is not None and start > end:
        st.sidebar.warning("'Entered from' is after 'Entered to': the range is ignored until you fix it.")
        start = end = None
    return start, end
