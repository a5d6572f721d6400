"""Shared definitions behind every metric: the population, counted milestones, cohorts.

These implement the programme's counting rules once, so the funnel, the cohort
curves, the partner tables and the targets all agree:

- **Population** (entry-anchored): participants with an ``entry_date`` on or before
  ``as_of`` and, when given, between ``date_from`` and ``date_to`` inclusive.
- A **milestone counts** when ``anchor <= date <= as_of`` where the anchor is the
  participant's ``entry_date`` (or ``referral_date`` for the referral funnel).
- **Conversion window** of N days: only participants with ``anchor + N days <= as_of``
  (mature) are in the population, and a milestone counts only when
  ``date <= anchor + N days``. Both boundaries inclusive.

Each rule is written once, on arrays (:func:`population_rows`, :func:`counted_events`,
:func:`first_per_row`, dates as int64 nanoseconds), and the frame-level helpers
(:func:`entered_population`, :func:`counted_milestones`, :func:`first_milestone_dates`)
and the funnel (:func:`ete_metrics.metrics.funnel.step_flags`) are built on them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from functools import partial
from typing import Literal

import numpy as np
import pandas as pd

from ete_metrics import config
from ete_metrics.config import COHORT_COLUMNS, GROUPING_COLUMNS
from ete_metrics.counting import parallel
from ete_metrics.counting.match import PopulationIds, PreparedIds
from ete_metrics.errors import InputError

Anchor = Literal["entry_date", "referral_date"]

AsOf = date | datetime | pd.Timestamp | str


def to_timestamp(value: AsOf, *, name: str = "as_of") -> pd.Timestamp:
    """Normalise a date-like value to a midnight ``pandas.Timestamp``.

    Parameters
    ----------
    value : date, datetime, pandas.Timestamp or str
        The date. Strings must be ISO ``YYYY-MM-DD``. A time of day is dropped.
    name : str
        The argument's name, used in the error message.

    Returns
    -------
    pandas.Timestamp
        The date at midnight, timezone-naive.

    Raises
    ------
    InputError
        When the value is missing or not a date.
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        raise InputError(f"{name} is required: give a date such as 2023-08-16.")
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{name} must be a date such as 2023-08-16, not {value!r}.") from exc
    if stamp is pd.NaT:
        raise InputError(f"{name} must be a date such as 2023-08-16, not {value!r}.")
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    return stamp.normalize()


def contract_as_of(value: AsOf) -> pd.Timestamp:
    """Like :func:`to_timestamp`, for measures that count from the contract start.

    Parameters
    ----------
    value : date-like
        The date the figures are as at; it must not be before
        :data:`ete_metrics.config.CONTRACT_START` (an :class:`InputError` says so).

    Returns
    -------
    pandas.Timestamp
    """
    stamp = to_timestamp(value)
    start = pd.Timestamp(config.CONTRACT_START)
    if stamp < start:
        raise InputError(
            f"as_of {stamp.date()} is before the contract start {start.date()}: choose a later date."
        )
    return stamp


def optional_timestamp(value: AsOf | None, *, name: str) -> pd.Timestamp | None:
    """Like :func:`to_timestamp`, but ``None`` passes through as ``None``.

    Parameters
    ----------
    value : date, datetime, pandas.Timestamp, str or None
        The date, or ``None`` for "not given".
    name : str
        The argument's name, used in the error message.

    Returns
    -------
    pandas.Timestamp or None
        The date at midnight, or ``None``.

    Raises
    ------
    InputError
        When the value is given but is not a date.
    """
    if value is None:
        return None
    return to_timestamp(value, name=name)


def validate_by(by: str | Iterable[str] | None) -> list[str]:
    """Check grouping keys and return them as a list.

    Parameters
    ----------
    by : str or iterable of str or None
        Participant columns (:data:`config.GROUPING_COLUMNS`) or cohort keys
        (:data:`config.COHORT_COLUMNS`).

    Returns
    -------
    list of str

    Raises
    ------
    InputError
        When a key is not a known grouping column.
    """
    if by is None:
        return []
    keys = [by] if isinstance(by, str) else list(by)
    allowed = set(GROUPING_COLUMNS) | set(COHORT_COLUMNS)
    for key in keys:
        if key not in allowed:
            known = ", ".join([*GROUPING_COLUMNS, *COHORT_COLUMNS])
            raise InputError(f"Cannot group by {key!r}: choose from {known}.")
    if len(set(keys)) != len(keys):
        raise InputError(f"Grouping keys repeat: {keys}.")
    return keys


def cohort_labels(dates: pd.Series, cohort: str) -> pd.Series:
    """Label dates with an entry cohort.

    Parameters
    ----------
    dates : pandas.Series
        ``datetime64`` values (``NaT`` gives a missing label).
    cohort : {"entry_month", "entry_quarter", "entry_fy"}
        ``entry_month`` gives ``2023-01``; ``entry_quarter`` gives ``2023-Q1``
        (calendar quarters); ``entry_fy`` gives the UK financial year April–March,
        ``2022-23`` for 1 Apr 2022 to 31 Mar 2023.

    Returns
    -------
    pandas.Series of str (object), same index as ``dates``.
    """
    dates = pd.to_datetime(dates)
    if cohort == "entry_month":
        labels = dates.dt.strftime("%Y-%m")
    elif cohort == "entry_quarter":
        labels = dates.dt.year.astype("Int64").astype(str) + "-Q" + dates.dt.quarter.astype("Int64").astype(str)
    elif cohort == "entry_fy":
        start = dates.dt.year - (dates.dt.month < 4).astype("int64")
        start = start.astype("Int64")
        labels = start.astype(str) + "-" + ((start + 1) % 100).astype(str).str.zfill(2)
    else:
        raise InputError(f"Unknown cohort {cohort!r}: choose from {', '.join(COHORT_COLUMNS)}.")
    return labels.where(dates.notna(), None).astype(object)


def add_cohorts(participants: pd.DataFrame, keys: Sequence[str] = COHORT_COLUMNS) -> pd.DataFrame:
    """Return a copy of ``participants`` with cohort columns derived from ``entry_date``.

    Parameters
    ----------
    participants : pandas.DataFrame
        Participants in the import format.
    keys : sequence of str
        Which of ``entry_month``, ``entry_quarter``, ``entry_fy`` to add.

    Returns
    -------
    pandas.DataFrame
    """
    out = participants.copy()
    for key in keys:
        out[key] = cohort_labels(out["entry_date"], key)
    return out


#: A missing date among int64 nanoseconds (``NaT`` viewed as int64).
NAT = np.iinfo(np.int64).min

#: Nanoseconds in a day.
NS_PER_DAY = 86_400_000_000_000


def date_values(values: pd.Series) -> np.ndarray:
    """Dates as int64 nanoseconds since 1970 (``NaT`` becomes :data:`NAT`).

    Parameters
    ----------
    values : pandas.Series
        Dates (``datetime64`` of any unit, or values ``pandas.to_datetime`` reads).

    Returns
    -------
    numpy.ndarray of int64
        A new array (the column is not changed).
    """
    if values.dtype != "datetime64[ns]":
        values = pd.to_datetime(values)
    return values.to_numpy(dtype="datetime64[ns]").view(np.int64)


def window_ns(window_days: int | None) -> int | None:
    """A conversion window in nanoseconds, after checking it.

    Parameters
    ----------
    window_days : int or None
        Whole days, zero or more; ``None`` for no window.

    Returns
    -------
    int or None

    Raises
    ------
    InputError
        When the window is negative or not a whole number of days.
    """
    if window_days is None:
        return None
    if int(window_days) != window_days or window_days < 0:
        raise InputError("window_days must be a whole number of days, zero or more.")
    return int(window_days) * NS_PER_DAY


def population_rows(
    participants: pd.DataFrame,
    *,
    as_of: AsOf,
    date_from: AsOf | None = None,
    date_to: AsOf | None = None,
    window_days: int | None = None,
    anchor: Anchor = "entry_date",
) -> tuple[np.ndarray, np.ndarray]:
    """The population rule on arrays: which participants a metric counts over.

    Parameters
    ----------
    participants : pandas.DataFrame
        Participants in the import format.
    as_of : date-like
        The date the figures are as at.
    date_from, date_to : date-like, optional
        Inclusive bounds on the anchor date.
    window_days : int, optional
        Conversion window: keep only participants with ``anchor + window_days <= as_of``.
    anchor : {"entry_date", "referral_date"}
        Which date anchors the population.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        The population's row positions in ``participants`` (ascending) and their
        anchor dates as int64 nanoseconds.

    Raises
    ------
    InputError
        For a reversed date range or a bad window.
    """
    stamp = to_timestamp(as_of).value
    start = optional_timestamp(date_from, name="date_from")
    end = optional_timestamp(date_to, name="date_to")
    if start is not None and end is not None and start > end:
        raise InputError("date_from is after date_to: choose a start on or before the end.")
    window = window_ns(window_days)
    anchors = date_values(participants[anchor])
    mask = (anchors != NAT) & (anchors <= stamp)
    if start is not None:
        mask &= anchors >= start.value
    if end is not None:
        mask &= anchors <= end.value
    if window is not None:
        mask &= anchors <= stamp - window
    positions = np.flatnonzero(mask)
    return positions, anchors[positions]


def entered_population(
    participants: pd.DataFrame,
    *,
    as_of: AsOf,
    date_from: AsOf | None = None,
    date_to: AsOf | None = None,
    window_days: int | None = None,
    anchor: Anchor = "entry_date",
    by: Sequence[str] = (),
) -> pd.DataFrame:
    """Select the population a metric counts over, as a frame.

    Parameters
    ----------
    participants, as_of, date_from, date_to, window_days, anchor
        As in :func:`population_rows`.
    by : sequence of str
        Grouping keys; cohort keys among them are derived from ``entry_date``.

    Returns
    -------
    pandas.DataFrame
        A new frame, a subset of ``participants`` (index reset) with any cohort
        columns in ``by`` added (the rows of :func:`population_rows`).
    """
    positions, _ = population_rows(
        participants,
        as_of=as_of,
        date_from=date_from,
        date_to=date_to,
        window_days=window_days,
        anchor=anchor,
    )
    population = participants.take(positions).reset_index(drop=True)
    cohorts = [key for key in by if key in COHORT_COLUMNS]
    if cohorts:
        population = add_cohorts(population, cohorts)
    return population


def kind_codes(
    milestones: pd.DataFrame, kinds: Sequence[str], *, where: np.ndarray | None = None
) -> np.ndarray:
    """Index of each milestone's type in ``kinds`` (-1 for other types).

    Parameters
    ----------
    milestones : pandas.DataFrame
        Needs ``milestone``.
    kinds : sequence of str
        The wanted milestone types (at most 127).
    where : numpy.ndarray of bool, optional
        Only these rows count; the others get -1.

    Returns
    -------
    numpy.ndarray of int8
    """
    kinds = list(kinds)
    values = milestones["milestone"]
    if values.dtype == object and len(kinds) > 2:  # one hash pass beats 3+ comparison passes
        found, uniques = pd.factorize(values, use_na_sentinel=True)
        lookup = [kinds.index(u) if u in kinds else -1 for u in uniques]
        codes = np.array([*lookup, -1], dtype=np.int8)[found]  # code -1: missing
    elif isinstance(values.dtype, pd.CategoricalDtype):  # each category looked up once
        lookup = [kinds.index(c) if c in kinds else -1 for c in values.cat.categories]
        codes = np.array([*lookup, -1], dtype=np.int8)[values.array.codes]  # code -1: missing
    else:  # one comparison pass per type (Arrow text without a Python string per row)
        plain = values.to_numpy() if values.dtype == object else None
        number_plus_one = np.zeros(len(values), dtype=np.int8)
        for number, kind in enumerate(kinds):
            if kind in kinds[:number]:  # a repeated kind keeps its first number
                continue
            if plain is None:
                hit = (values == kind).to_numpy(dtype=bool, na_value=False)
            else:
                try:
                    hit = np.equal(plain, kind)
                except TypeError:  # e.g. pd.NA, whose truth is undefined: compared one by one
                    hit = np.array([isinstance(v, str) and v == kind for v in plain], dtype=bool)
            # a value equals one kind at most: adding each kind's number codes it (no masked writes)
            number_plus_one += np.asarray(hit, dtype=bool).view(np.int8) * np.int8(number + 1)
        codes = number_plus_one - np.int8(1)
    if where is not None:
        codes = np.where(where, codes, np.int8(-1))
    return codes


def _no_events() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The outputs of :func:`counted_events` when no milestone counts."""
    empty = np.zeros(0, dtype=np.int64)
    return empty, empty.copy(), np.zeros(0, dtype=np.int8), empty.copy()


def _chosen_in(
    event_dates: np.ndarray, milestones: pd.DataFrame, stamp: int, kinds: Sequence[str] | None,
    stretch: slice,
) -> tuple[np.ndarray, np.ndarray]:
    """Rule, step 1: the milestones of the rows ``stretch`` that may count by type and date.

    Returns their type codes (per row of the stretch; -1 for a row that cannot count) and
    the positions (in ``milestones``) of those dated on or before ``as_of`` with a wanted type.
    """
    dates = event_dates[stretch]
    dated = (dates != NAT) & (dates <= stamp)
    if kinds is None:
        return np.zeros(len(dates), dtype=np.int8), np.flatnonzero(dated) + stretch.start
    codes = kind_codes(milestones.iloc[stretch], kinds, where=dated)
    return codes, np.flatnonzero(codes >= 0) + stretch.start


def _counted_of(
    event_dates: np.ndarray,
    starts: np.ndarray,
    window: int | None,
    window_from: np.ndarray | None,
    population: PopulationIds,
    chosen: tuple[np.ndarray, np.ndarray],
    ids: PreparedIds,
    stretch: slice,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rule, step 2: of the chosen milestones ``ids``, those of a population member dated
    from the member's start (and within the window): the outputs of :func:`counted_events`."""
    codes, _ = chosen
    rows = population.rows_of(ids)
    found = rows >= 0
    assert ids.positions is not None  # (made with the chosen positions)
    selected, rows = ids.positions[found], rows[found]
    dates = event_dates[selected]
    start_of = starts[rows]
    counted = (start_of != NAT) & (dates >= start_of)
    if window is not None:
        counted &= dates <= (starts if window_from is None else window_from)[rows] + window
    selected = selected[counted]
    return selected, rows[counted], codes[selected - stretch.start], dates[counted]


def counted_events(
    participant_ids: pd.Series,
    positions: np.ndarray,
    starts: np.ndarray,
    milestones: pd.DataFrame,
    *,
    as_of: AsOf,
    kinds: Sequence[str] | None = None,
    window_days: int | None = None,
    window_from: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The milestone rule on arrays: which milestones count, for which population row.

    A milestone counts when its participant is in the population and
    ``start <= date <= as_of`` (and ``date <= window_from + window_days`` with a
    window), where ``start`` is the participant's anchor.

    Parameters
    ----------
    participant_ids : pandas.Series
        All participants' ids (``participants["participant_id"]``).
    positions : numpy.ndarray
        The population's rows in ``participant_ids`` (from :func:`population_rows`).
    starts : numpy.ndarray of int64
        Per population row, the date milestones count from (int64 nanoseconds);
        :data:`NAT` where none count (e.g. a referral not entered).
    milestones : pandas.DataFrame
        Milestones in the import format.
    as_of : date-like
    kinds : sequence of str, optional
        Keep only these milestone types (the returned codes index them).
    window_days : int, optional
        Conversion window in days.
    window_from : numpy.ndarray of int64, optional
        Per population row, the date the window runs from (default ``starts``).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray, numpy.ndarray)
        For each counted milestone, in milestone order: its position in
        ``milestones``, its population row, its type's index in ``kinds`` (int8; 0
        without ``kinds``) and its date (int64 nanoseconds).

    Notes
    -----
    The rule is two steps on a stretch of milestone rows (:func:`_chosen_in`, then
    :func:`_counted_of` once the population's ids are hashed and the chosen milestones'
    ids read); :func:`ete_metrics.counting.parallel.run_in_stretches` runs them over
    stretches in threads and the outputs are joined in milestone order.
    """
    stamp = to_timestamp(as_of).value
    window = window_ns(window_days)
    if not len(positions):
        return _no_events()
    event_dates = date_values(milestones["date"])
    counted = parallel.run_in_stretches(
        parallel.stretches(len(milestones)),
        choose=partial(_chosen_in, event_dates, milestones, stamp, kinds),
        prepare=partial(PreparedIds, participant_ids, positions),
        shared=PopulationIds,
        read=lambda chosen: PreparedIds(milestones["participant_id"], chosen[1]),
        finish=partial(_counted_of, event_dates, starts, window, window_from),
    )
    selected, rows, codes, dates = parallel.concatenate(counted)
    return selected, rows, codes, dates


def counted_milestones(
    population: pd.DataFrame,
    milestones: pd.DataFrame,
    *,
    as_of: AsOf,
    window_days: int | None = None,
    anchor: Anchor = "entry_date",
    kinds: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Milestones that count as programme outcomes for a population.

    A milestone counts when it belongs to a participant of ``population`` and
    ``anchor <= date <= as_of`` (and ``date <= anchor + window_days`` with a window);
    the rule of :func:`counted_events`.

    Parameters
    ----------
    population : pandas.DataFrame
        From :func:`entered_population`.
    milestones : pandas.DataFrame
        Milestones in the import format.
    as_of : date-like
    window_days : int, optional
    anchor : {"entry_date", "referral_date"}
    kinds : sequence of str, optional
        Keep only these milestone types.

    Returns
    -------
    pandas.DataFrame
        Columns ``participant_id``, ``milestone``, ``date``, ``partner`` and
        ``row`` (the participant's row position in ``population``).
    """
    selected, rows, _, _ = counted_events(
        population["participant_id"],
        np.arange(len(population)),
        date_values(population[anchor]),
        milestones,
        as_of=as_of,
        kinds=kinds,
        window_days=window_days,
    )
    out = milestones[["participant_id", "milestone", "date", "partner"]].take(selected)
    out["row"] = rows
    return out.reset_index(drop=True)


def first_per_row(rows: np.ndarray, dates: np.ndarray, size: int) -> np.ndarray:
    """The earliest date per population row, vectorised.

    Parameters
    ----------
    rows : numpy.ndarray of int
        Population row of each date.
    dates : numpy.ndarray of int64
        Dates as int64 nanoseconds, none missing.
    size : int
        Number of population rows.

    Returns
    -------
    numpy.ndarray of int64
        :data:`NAT` where a row has no date.
    """
    never = np.iinfo(np.int64).max
    firsts = np.full(size, never, dtype=np.int64)
    np.minimum.at(firsts, rows, dates)
    firsts[firsts == never] = NAT
    return firsts


def first_milestone_dates(counted: pd.DataFrame, kind: str, size: int) -> np.ndarray:
    """First counted date of one milestone type per population row.

    Parameters
    ----------
    counted : pandas.DataFrame
        From :func:`counted_milestones` (needs ``row``, ``milestone``, ``date``).
    kind : str
        The milestone type, e.g. ``training_start``.
    size : int
        Number of rows in the population.

    Returns
    -------
    numpy.ndarray of datetime64[ns]
        ``NaT`` where the participant has no counted milestone of that type.
    """
    chosen = kind_codes(counted, [kind]) == 0
    dates = date_values(counted["date"])[chosen]
    rows = counted["row"].to_numpy(dtype=np.int64)[chosen]
    dated = dates != NAT
    return first_per_row(rows[dated], dates[dated], size).view("datetime64[ns]")
