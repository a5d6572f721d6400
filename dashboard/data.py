"""Loading the programme's data once, and applying the sidebar filters.

:func:`load_data` reads every table through :mod:`ete_metrics.data.db` and caches the
result keyed on the database URL and a cheap *version* query (latest import id
and row counts), so a new import invalidates the cache while filter changes never
re-read the database. The frames are cached with ``st.cache_resource``: shared by
every session, not copied, and therefore **read-only** (the metric functions never
mutate their inputs). :func:`metric` caches a metric call keyed on that version, the
filters and the arguments, without hashing the frames.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
import streamlit as st

from dashboard.auth import require_access
from dashboard.escape import markdown_literal
from dashboard.filters import Filters
from ete_metrics import config
from ete_metrics.counting.filters import participant_mask
from ete_metrics.counting.match import match_rows
from ete_metrics.data import db
from ete_metrics.errors import DatabaseError, EteError


@dataclass
class ProgrammeData:
    """Everything the dashboard shows, read from the database.

    Attributes
    ----------
    participants, milestones, targets : pandas.DataFrame
        In the :mod:`ete_metrics.data.frames` formats.
    cutoff : date or None
        The data's cut-off: the latest import's extract date, else the latest date in the data.
    last_import : dict or None
        The latest row of the ``imports`` table (``imported_at``, ``extract_date``, files, rows…).
    import_warnings : pandas.DataFrame
        Data-quality warnings stored with the latest import.
    version : tuple
        The cache key of this load (database URL, the user's regions or None for all,
        latest import id, row counts).
    imports : pandas.DataFrame
        The whole import history, oldest first.
    """

    participants: pd.DataFrame
    milestones: pd.DataFrame
    targets: pd.DataFrame
    cutoff: date | None
    last_import: dict[str, Any] | None
    import_warnings: pd.DataFrame
    version: tuple[Any, ...] = ()
    imports: pd.DataFrame = field(default_factory=pd.DataFrame)


@st.cache_resource(show_spinner=False)
def shared_engine(url: str) -> sa.Engine:
    """The app's one engine (connection pool) per database URL, for every session and page.

    Cached for the server's life, keyed on the URL: an engine holds no data, only
    connections, so nothing ever makes it stale.
    """
    return db.make_engine(url)


def _as_date(value: Any) -> date | None:
    if value is None:
        return None
    stamp = pd.Timestamp(value)
    if stamp is pd.NaT:
        return None
    return stamp.date()


#: Columns of the import history a user limited to some regions does not see (whole-extract counts).
_WHOLE_EXTRACT_COLUMNS = (
    "participants_rows", "milestones_rows", "targets_rows", "warnings_count",
    "participants_sha256", "milestones_sha256", "targets_sha256",
)


#: Times the loader reads the tables when imports keep landing while it reads.
_LOAD_ATTEMPTS = 5


# Cached for every session, keyed on (URL, data version, regions): a new import changes the
# version, so the next rerun reads the new data; the scope is part of the key, so one role's
# data never reaches another. The six most recent loads are kept.
@st.cache_resource(show_spinner="Loading the programme data…", max_entries=6)
def _load(
    url: str, version: tuple[Any, ...], regions: tuple[str, ...] | None = None
) -> ProgrammeData:
    """Read the data of ``regions`` (None: all). Keyed by the scope, so one role's data
    never reaches another: a restricted load reads only its regions from the database."""
    engine = shared_engine(url)
    # The tables are read one after the other: when an import lands in between (the
    # version changed), read them all again, so the frames are always one state of the data.
    for attempt in range(_LOAD_ATTEMPTS):
        participants = db.load_participants(engine, regions=regions)
        milestones = db.load_milestones(engine, regions=regions)
        targets = db.load_targets(engine, regions=regions)
        imports = db.load_imports(engine)
        warnings = db.load_import_warnings(engine)
        now = tuple(db.data_version(engine))
        if now == tuple(version):
            break
        if attempt == _LOAD_ATTEMPTS - 1:
            raise DatabaseError(
                "The data changed while it was being read (imports are under way); "
                "reload the page in a minute."
            )
        version = now
    if regions is not None:  # only warnings about their own participants; no whole-extract counts
        warnings = warnings[
            warnings["participant_id"].isin(participants["participant_id"])
        ].reset_index(drop=True)
        imports = imports.drop(columns=[c for c in _WHOLE_EXTRACT_COLUMNS if c in imports.columns])
    last_import: dict[str, Any] | None = None
    cutoff: date | None = None
    if len(imports):
        latest = {str(k): v for k, v in imports.iloc[-1].to_dict().items()}
        last_import = latest
        cutoff = _as_date(latest.get("extract_date"))
        warnings = warnings[warnings["import_id"] == latest["id"]].reset_index(drop=True)
    if cutoff is None:
        cutoff = db.data_cutoff(engine)
    return ProgrammeData(
        participants=participants,
        milestones=milestones,
        targets=targets,
        cutoff=cutoff,
        last_import=last_import,
        import_warnings=warnings,
        version=(url, regions, *version),
        imports=imports,
    )


def read_data(url: str | None = None, regions: tuple[str, ...] | None = None) -> ProgrammeData:
    """Load the programme data (cached), raising :class:`EteError` on a problem.

    Parameters
    ----------
    url : str, optional
        Database URL; default :func:`ete_metrics.config.database_url`.
    regions : tuple of str, optional
        Load only these regions' participants, milestones and targets (a user's
        scope, :attr:`ete_metrics.protect.access.Access.regions`); ``None`` loads everything.

    Returns
    -------
    ProgrammeData

    Raises
    ------
    DatabaseError
        The database cannot be reached or read (the message says what to check, never
        that it is empty), has no ETE tables, or holds no participants.
    """
    resolved = config.database_url(url)
    engine = shared_engine(resolved)
    version = db.data_version(engine)  # cannot be read: says so and what to check
    if not version[2]:  # the demo is suggested only for a database with no data at all
        raise DatabaseError(db.database_holdings(engine).no_participants())
    return _load(resolved, version, None if regions is None else tuple(regions))


def load_data() -> ProgrammeData:
    """Load the data the signed-in user may see, or show what to fix and stop.

    The user's access (:func:`dashboard.auth.require_access`) is checked first:
    without access the sign-in or no-access page is shown and nothing is loaded;
    with it only the user's regions are read, so every page, chart, table and
    download works on data the user may see whatever the filters say.

    Returns
    -------
    ProgrammeData
        Cached on the database URL, the user's scope and the latest import; a new
        import invalidates it. When the database cannot be reached, or is empty, a clear
        ``st.error`` says which and what to do, and the script stops (never a traceback).
    """
    access = require_access()
    try:
        data = read_data(regions=access.regions)
    except EteError as exc:
        st.error(markdown_literal(exc))  # may quote the database URL: literal text
        st.stop()
        raise  # unreachable: st.stop() raises
    if not access.can_see_participant_level:  # stakeholders: no warnings naming participants
        data = dataclasses.replace(data, import_warnings=data.import_warnings.iloc[0:0])
    return data


def filtered(data: ProgrammeData, filters: Filters) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Apply the sidebar's regions, pathways and delivery partners.

    The date range and ``as_of`` are *not* applied here: pages pass them to the
    metric functions (``as_of=filters.as_of, **filters.date_range()``).

    Parameters
    ----------
    data : ProgrammeData
    filters : Filters

    Returns
    -------
    tuple of (participants, milestones)
        The milestones are those of the kept participants. Cached (shared, read-only)
        for the few filter sets used last, so every metric of a page, and the next
        page, start from the same frames without filtering again.
    """
    return _filtered(data.version, filters.regions, filters.pathways, filters.delivery_partners, data, filters)


#: Filtered (participants, milestones) pairs kept: few, as a filtered copy of a million
#: participants is tens of megabytes.
_FILTER_CACHE_SIZE = 4


# Shared by every session, keyed on the data version and the sidebar's region, pathway and
# partner filters (``_data`` and ``_filters`` are not hashed: the version and the filters
# stand for them): a new import (a new version) is filtered afresh; the least recently used
# go first, and one session computes a missing pair while the others wait for it.
@st.cache_resource(show_spinner=False, max_entries=_FILTER_CACHE_SIZE)
def _filtered(
    version: tuple[Any, ...],
    regions: tuple[str, ...],
    pathways: tuple[str, ...],
    partners: tuple[str, ...],
    _data: ProgrammeData,
    _filters: Filters,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    return _apply_filters(_data, _filters)


def _apply_filters(data: ProgrammeData, filters: Filters) -> tuple[pd.DataFrame, pd.DataFrame]:
    if not (filters.regions or filters.pathways or filters.delivery_partners):
        return data.participants, data.milestones
    kept = participant_mask(
        data.participants,
        regions=filters.regions or None,
        pathways=filters.pathways or None,
        delivery_partners=filters.delivery_partners or None,
    )
    participants = data.participants.loc[kept].reset_index(drop=True)
    # the milestones of the kept participants (as ``milestones_for``), by their rows
    rows = _milestone_rows(data.version, data)
    mine = rows >= 0
    mine[mine] = kept[rows[mine]]
    return participants, data.milestones.loc[mine].reset_index(drop=True)


# Keyed on the data version only (``_data`` is not hashed): the rows belong to the load of
# that version, so a new import (a new version) works them out again.
@st.cache_resource(show_spinner=False, max_entries=4)
def _milestone_rows(version: tuple[Any, ...], _data: ProgrammeData) -> np.ndarray:
    """Row of each milestone's participant in ``_data.participants`` (-1: none), once per load."""
    return match_rows(_data.participants["participant_id"], _data.milestones["participant_id"])


def warm_filters(data: ProgrammeData) -> None:
    """Work out once what every filtered view of ``data`` starts from (the server's warm-up).

    The row of each milestone's participant (:func:`_milestone_rows`) is cached per
    load; the first filter a visitor sets would otherwise wait for it.
    """
    _milestone_rows(data.version, data)


#: Metric results kept (the least recently used go first).
_METRIC_CACHE_SIZE = 512


def forget_metrics() -> None:
    """Drop every cached metric result (after an import: the new version's are computed
    afresh anyway; this frees the old ones at once instead of as they age out)."""
    _metric_cached.clear()


# Metric results shared by every session, keyed on hashable tuples only: the data version
# (so the user's scope), the function's name, the filters and the arguments (the frames and
# the function are not hashed: the version and the name stand for them), so a result is the
# same function of the same data, filters and arguments. One session computes a missing
# result while the others wait for it; nothing is kept when it raises.
@st.cache_resource(show_spinner=False, max_entries=_METRIC_CACHE_SIZE)
def _metric_cached(
    version: tuple[Any, ...],
    name: str,
    filter_key: tuple[Any, ...],
    kwargs: tuple[tuple[str, Any], ...],
    _fn: Callable[..., pd.DataFrame],
    _frames: tuple[pd.DataFrame, ...],
) -> pd.DataFrame:
    return _fn(*_frames, **dict(kwargs))


def metric(
    fn: Callable[..., pd.DataFrame],
    data: ProgrammeData,
    filters: Filters,
    *,
    with_targets: bool = False,
    **kwargs: Any,
) -> pd.DataFrame:
    """Call an :mod:`ete_metrics` function on the filtered data, cached.

    ``fn(participants, milestones[, targets], **kwargs)`` is called with the
    participants and milestones left by the sidebar's regions, pathways and
    partners (:func:`filtered`); pass ``as_of``, ``date_from``… explicitly in
    ``kwargs``. The result is cached on (data version, filters, function,
    kwargs) — the frames themselves are not hashed — so a warm rerun costs a
    cache look-up (``st.cache_resource``). Errors (:class:`EteError`) propagate to the caller.

    Parameters
    ----------
    fn : callable
        A metric function such as ``ete_metrics.metrics.funnel.funnel``.
    data : ProgrammeData
    filters : Filters
    with_targets : bool
        Also pass ``data.targets`` as the third positional argument.
    **kwargs
        Keyword arguments of ``fn`` (must be hashable: dates, str, tuples, numbers).

    Returns
    -------
    pandas.DataFrame
        The function's result (a copy; safe to modify).

    Examples
    --------
    >>> metric(funnel, data, f, as_of=f.as_of, **f.date_range(), by=("region",))  # doctest: +SKIP
    """
    participants, milestones = filtered(data, filters)
    frames: tuple[pd.DataFrame, ...] = (participants, milestones)
    if with_targets:
        frames = (*frames, data.targets)
    name = f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', repr(fn))}"
    items = tuple(
        sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in kwargs.items())
    )
    # a copy is handed out: the cached result is shared by every session
    return _metric_cached(data.version, name, filters.key(), items, fn, frames).copy()


def programme_metric(fn: Callable[..., pd.DataFrame], filters: Filters, **kwargs: Any) -> pd.DataFrame:
    """An aggregate of every region's people, as a benchmark for a user who sees fewer regions.

    A regional lead's data holds their regions only (:func:`load_data`); the programme's
    overall figures are an aggregate they may compare with. This reads every region
    (cached, as :func:`read_data`), applies the sidebar's other filters (pathways,
    partners; ``as_of`` and dates go in ``kwargs``) and returns only ``fn``'s result,
    which must be an aggregate: no grouping (``by``) is allowed, so no other region's
    rows ever leave this function.

    Parameters
    ----------
    fn : callable
        A metric function such as ``ete_metrics.metrics.funnel.funnel``.
    filters : Filters
        The sidebar's filters; the regions filter is dropped (the programme is every region).
    **kwargs
        Keyword arguments of ``fn``, without ``by``.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    ValueError
        ``by`` was passed (a breakdown is not an aggregate).
    """
    if kwargs.get("by"):
        raise ValueError("programme_metric gives aggregates only: no 'by'.")
    everyone = read_data(regions=None)
    return metric(fn, everyone, dataclasses.replace(filters, regions=()), **kwargs)
