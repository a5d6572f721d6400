"""Loading the programme's data once, and applying the sidebar filters.

:func:`load_data` reads every table through :mod:`ete_metrics.db` and caches the
result keyed on the database URL and a cheap *version* query (latest import id
and row counts), so a new import invalidates the cache while filter changes never
re-read the database. The frames are cached with ``st.cache_resource`` (shared,
not copied: copying 45,000 participants on every rerun cost ~70 ms) and are
therefore **read-only** — the metric functions never mutate their inputs. :func:`metric` caches a metric
call keyed on that version, the filters and the arguments, without hashing the
frames, so a warm rerun is fast.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from dashboard.state import Filters
from ete_metrics import config, db
from ete_metrics.errors import DatabaseError, EteError
from ete_metrics.filters import filter_participants, milestones_for


@dataclass
class ProgrammeData:
    """Everything the dashboard shows, read from the database.

    Attributes
    ----------
    participants, milestones, targets : pandas.DataFrame
        In the :mod:`ete_metrics.frames` formats.
    cutoff : date or None
        The data's cut-off: the latest import's extract date, else the latest date in the data.
    last_import : dict or None
        The latest row of the ``imports`` table (``imported_at``, ``extract_date``, files, rows…).
    import_warnings : pandas.DataFrame
        Data-quality warnings stored with the latest import.
    version : tuple
        The cache key of this load (database URL, latest import id, row counts).
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
def _engine(url: str) -> sa.Engine:
    return db.make_engine(url)


def _as_date(value: Any) -> date | None:
    if value is None:
        return None
    stamp = pd.Timestamp(value)
    if stamp is pd.NaT:
        return None
    return stamp.date()


@st.cache_resource(show_spinner="Loading the programme data…", max_entries=2)
def _load(url: str, version: tuple[Any, ...]) -> ProgrammeData:
    engine = _engine(url)
    participants = db.load_participants(engine)
    milestones = db.load_milestones(engine)
    targets = db.load_targets(engine)
    imports = db.load_imports(engine)
    warnings = db.load_import_warnings(engine)
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
        version=(url, *version),
        imports=imports,
    )


def read_data(url: str | None = None) -> ProgrammeData:
    """Load the programme data (cached), raising :class:`EteError` on a problem.

    Parameters
    ----------
    url : str, optional
        Database URL; default :func:`ete_metrics.config.database_url`.

    Returns
    -------
    ProgrammeData

    Raises
    ------
    DatabaseError
        The database cannot be reached, has no tables, or holds no participants.
    """
    resolved = config.database_url(url)
    engine = _engine(resolved)
    version = db.data_version(engine)
    if not version[2]:
        raise DatabaseError(
            "The database holds no participants yet. Build the demo database with `make run` "
            "(or `python -m ete_metrics demo`), or import an extract with "
            "`python -m ete_metrics import ...`."
        )
    return _load(resolved, version)


def load_data() -> ProgrammeData:
    """Load the programme data for the page, or show what to fix and stop.

    Returns
    -------
    ProgrammeData
        Cached on the database URL and the latest import; a new import invalidates it.
        When the database is missing or empty a clear ``st.error`` is shown and the
        script stops (never a traceback).
    """
    try:
        return read_data()
    except EteError as exc:
        st.error(str(exc))
        st.stop()
        raise  # unreachable: st.stop() raises


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
        New frames; the milestones are those of the kept participants.
    """
    if not (filters.regions or filters.pathways or filters.delivery_partners):
        return data.participants, data.milestones
    participants = filter_participants(
        data.participants,
        regions=filters.regions or None,
        pathways=filters.pathways or None,
        delivery_partners=filters.delivery_partners or None,
    )
    return participants, milestones_for(participants, data.milestones)


def _filtered_cached(data: ProgrammeData, filters: Filters) -> tuple[pd.DataFrame, pd.DataFrame]:
    cache: dict[Any, tuple[pd.DataFrame, pd.DataFrame]] = _filter_cache()
    key = (data.version, filters.regions, filters.pathways, filters.delivery_partners)
    if key not in cache:
        if len(cache) > 16:
            cache.clear()
        cache[key] = filtered(data, filters)
    return cache[key]


@st.cache_resource(show_spinner=False)
def _filter_cache() -> dict[Any, tuple[pd.DataFrame, pd.DataFrame]]:
    return {}


@st.cache_data(show_spinner=False, max_entries=512)
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
    dictionary look-up. Errors (:class:`EteError`) propagate to the caller.

    Parameters
    ----------
    fn : callable
        A metric function such as ``ete_metrics.funnel.funnel``.
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
    participants, milestones = _filtered_cached(data, filters)
    frames: tuple[pd.DataFrame, ...] = (participants, milestones)
    if with_targets:
        frames = (*frames, data.targets)
    name = f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', repr(fn))}"
    items = tuple(
        sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in kwargs.items())
    )
    return _metric_cached(data.version, name, filters.key(), items, fn, frames)
