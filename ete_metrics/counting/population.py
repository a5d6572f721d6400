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
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Literal

import numpy as np
import pandas as pd

from ete_metrics.config import COHORT_COLUMNS, GROUPING_COLUMNS
from ete_metrics.counting.match import match_rows
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
    """Select the population a metric counts over.

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
    by : sequence of str
        Grouping keys; cohort keys among them are derived from ``entry_date``.

    Returns
    -------
    pandas.DataFrame
        A new frame, a subset of ``participants`` (index reset) with any cohort
        columns in ``by`` added.
    """
    stamp = to_timestamp(as_of)
    start = optional_timestamp(date_from, name="date_from")
    end = optional_timestamp(date_to, name="date_to")
    if start is not None and end is not None and start > end:
        raise InputError("date_from is after date_to: choose a start on or before the end.")
    if window_days is not None and window_days < 0:
        raise InputError("window_days must be zero or more.")
    anchors = participants[anchor]
    mask = anchors.notna() & (anchors <= stamp)
    if start is not None:
        mask &= anchors >= start
    if end is not None:
        mask &= anchors <= end
    if window_days is not None:
        mask &= anchors + pd.Timedelta(days=int(window_days)) <= stamp
    population = participants.loc[mask.to_numpy()].reset_index(drop=True)
    cohorts = [key for key in by if key in COHORT_COLUMNS]
    if cohorts:
        population = add_cohorts(population, cohorts)
    return population


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
    ``anchor <= date <= as_of`` (and ``date <= anchor + window_days`` with a window).

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
    stamp = to_timestamp(as_of)
    # Work on the positions of the wanted milestones and copy the kept rows once at the end.
    positions = (
        np.arange(len(milestones))
        if kinds is None
        else np.flatnonzero(milestones["milestone"].isin(list(kinds)).to_numpy(dtype=bool))
    )
    rows = match_rows(
        population["participant_id"], milestones["participant_id"], event_positions=positions
    )
    known = rows >= 0
    event_dates = milestones["date"].to_numpy()[positions]
    anchor_values = population[anchor].to_numpy(dtype="datetime64[ns]")
    if len(anchor_values) == 0:  # empty population: nothing can count
        anchor_values = np.array(["NaT"], dtype="datetime64[ns]")
    anchor_dates = anchor_values[np.where(known, rows, 0)]
    keep = known & (event_dates >= anchor_dates) & (event_dates <= stamp.to_datetime64())
    if window_days is not None:
        keep &= event_dates <= anchor_dates + np.timedelta64(int(window_days), "D")
    out = milestones[["participant_id", "milestone", "date", "partner"]].take(positions[keep])
    out["row"] = rows[keep]
    return out.reset_index(drop=True)


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
    out = np.full(size, np.datetime64("NaT"), dtype="datetime64[ns]")
    kinds = counted["milestone"]
    if kinds.dtype == object:
        chosen = np.asarray(kinds.to_numpy() == kind, dtype=bool)
    else:  # categorical or Arrow text: compared without making a Python string per row
        chosen = (kinds == kind).to_numpy(dtype=bool, na_value=False)
    dates = counted["date"].to_numpy(dtype="datetime64[ns]")[chosen]
    rows = counted["row"].to_numpy(dtype=np.int64)[chosen]
    dated = ~np.isnat(dates)
    if dated.any():  # the earliest date per row, on the dates' int64 nanoseconds
        never = np.iinfo(np.int64).max
        firsts = np.full(size, never, dtype=np.int64)
        np.minimum.at(firsts, rows[dated], dates[dated].view(np.int64))
        reached = firsts != never
        out[reached] = firsts[reached].view("datetime64[ns]")
    return out
