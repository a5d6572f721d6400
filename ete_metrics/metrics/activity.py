"""Monthly activity (entries, first training starts, first job starts) and the follow-up list."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ete_metrics.config import COHORT_COLUMNS
from ete_metrics.counting.population import (
    counted_milestones,
    entered_population,
    first_milestone_dates,
    validate_by,
)
from ete_metrics.counting.scope import Scope
from ete_metrics.errors import InputError
from ete_metrics.metrics.funnel import group_codes
from ete_metrics.steps import ENTERED, MILESTONE_TYPES, TRAINING, WORK

#: Columns of :func:`monthly_activity` after the grouping keys.
ACTIVITY_COLUMNS: tuple[str, ...] = ("month", "measure", "participants")

#: Columns of :func:`follow_up_list` (with ``caseworker`` after ``delivery_partner``
#: when the participants have caseworkers recorded).
FOLLOW_UP_COLUMNS: tuple[str, ...] = (
    "participant_id",
    "region",
    "delivery_partner",
    "entry_date",
    "days_since_entry",
)

_MEASURES = (ENTERED.name, TRAINING.name, WORK.name)


def _month_number(values: np.ndarray) -> np.ndarray:
    """Calendar months since January 1970 of ``datetime64`` values."""
    return values.astype("datetime64[M]").astype(np.int64)


def _empty_activity(columns: list[str]) -> pd.DataFrame:
    """An empty activity frame: ``month`` datetime64[ns], ``participants`` int64, text object."""
    out = pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    out["month"] = out["month"].astype("datetime64[ns]")
    out["participants"] = out["participants"].astype("int64")
    return out


def _month_counts(
    codes: np.ndarray, dates: dict[str, np.ndarray], n_groups: int, base: int, n_months: int
) -> np.ndarray:
    """Participants per (group, month, measure), flat: ``(code * n_months + month - base)
    * len(_MEASURES) + measure`` on integer month numbers."""
    size = n_groups * n_months * len(_MEASURES)
    counts = np.zeros(size, dtype=np.int64)
    for number, measure in enumerate(_MEASURES):
        reached = ~np.isnat(dates[measure])
        flat = (codes[reached] * n_months + _month_number(dates[measure][reached]) - base) * len(_MEASURES)
        counts += np.bincount(flat + number, minlength=size)
    return counts


def _every_month(
    codes: np.ndarray, entry_months: np.ndarray, n_groups: int, last_month: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rows of the output: every month from each group's first entry month to the
    month of ``as_of``, each measure. Returns the group, month number and measure of each."""
    first = np.full(n_groups, last_month, dtype=np.int64)
    np.minimum.at(first, codes, entry_months)
    lengths = last_month - first + 1
    group_of_row = np.repeat(np.arange(n_groups), lengths)
    month_of_row = first[group_of_row] + (
        np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    )
    group_of_row = np.repeat(group_of_row, len(_MEASURES))
    month_of_row = np.repeat(month_of_row, len(_MEASURES))
    measure_of_row = np.tile(np.arange(len(_MEASURES)), len(month_of_row) // len(_MEASURES))
    return group_of_row, month_of_row, measure_of_row


def monthly_activity(scope: Scope, *, by: str | Iterable[str] | None = ()) -> pd.DataFrame:
    """People entering, starting training and starting work, per calendar month.

    Definitions: the population and the counted milestones are the scope's
    (:class:`~ete_metrics.counting.scope.Scope`; a scope with a window is refused).
    *entered* counts each participant in the month of their ``entry_date``; *training* /
    *work* count each participant once, in the month of their FIRST counted
    ``training_start`` / ``job_start``.

    Parameters
    ----------
    scope : Scope
        The frames, ``as_of`` and the entry range.
    by : str or iterable of str, optional
        Grouping keys as in :func:`ete_metrics.metrics.funnel.funnel`; missing values are
        "Not recorded".

    Returns
    -------
    pandas.DataFrame
        Columns ``[*by, month, measure, participants]`` where ``month`` is the first of
        the month (datetime64[ns]) and ``participants`` int64. Every month from the
        group's first entry month to the month of ``as_of`` appears for each measure
        (0 where nothing happened), so the series can be drawn without gaps. Groups with
        no one entered are left out. Sorted by the keys, month, then measure order.
    """
    scope.refuse_window("Monthly activity figures")
    keys = validate_by(by)
    stamp = scope.as_of
    needed = ["participant_id", "entry_date", *(k for k in keys if k not in COHORT_COLUMNS)]
    population = scope.population(needed)
    columns = [*keys, "month", "measure", "participants"]
    if population.empty:
        return _empty_activity(columns)
    counted = counted_milestones(
        population, scope.milestones, as_of=stamp, kinds=("training_start", "job_start")
    )
    entry = population["entry_date"].to_numpy(dtype="datetime64[ns]")
    # groups coded 0..G-1 in the order of their labels ("Not recorded" for missing values)
    codes, groups = group_codes(population, np.arange(len(population)), entry.view(np.int64), keys)
    dates = {
        ENTERED.name: entry,
        TRAINING.name: first_milestone_dates(counted, "training_start", len(population)),
        WORK.name: first_milestone_dates(counted, "job_start", len(population)),
    }
    entry_months = _month_number(entry)
    last_month = int(_month_number(np.array([stamp.to_datetime64()]))[0])
    base = int(entry_months.min())
    n_months = last_month - base + 1
    counts = _month_counts(codes, dates, len(groups), base, n_months)
    group_of_row, month_of_row, measure_of_row = _every_month(codes, entry_months, len(groups), last_month)
    flat = (group_of_row * n_months + month_of_row - base) * len(_MEASURES) + measure_of_row
    out = pd.DataFrame(
        {key: pd.Series(groups[key].to_numpy(dtype=object)[group_of_row], dtype=object) for key in keys}
    )
    out["month"] = month_of_row.astype("datetime64[M]").astype("datetime64[ns]")
    out["measure"] = pd.Series(np.array(_MEASURES, dtype=object)[measure_of_row], dtype=object)
    out["participants"] = counts[flat]
    return out[columns].reset_index(drop=True)


def _last_milestones(
    counted: pd.DataFrame, size: int
) -> tuple[np.ndarray, pd.Series]:
    """Each population row's last counted milestone and its date (None / NaT when none):
    the latest date, and of two on one day the later type in the vocabulary."""
    rows = counted["row"].to_numpy(dtype="int64")
    order = pd.Categorical(counted["milestone"].astype(str), categories=MILESTONE_TYPES).codes
    last = (
        pd.DataFrame({"row": rows, "date": counted["date"].to_numpy(), "kind": order})
        .sort_values(["row", "date", "kind"])
        .drop_duplicates("row", keep="last")
    )
    last_kind = np.full(size, None, dtype=object)
    last_kind[last["row"].to_numpy()] = [MILESTONE_TYPES[k] for k in last["kind"].tolist()]
    last_date = pd.Series(pd.NaT, index=range(size), dtype="datetime64[ns]")
    last_date.iloc[last["row"].to_numpy()] = pd.to_datetime(last["date"]).to_numpy(dtype="datetime64[ns]")
    return last_kind, last_date


def follow_up_list(scope: Scope, *, days: int) -> pd.DataFrame:
    """People to follow up: in the programme a while, not yet into work, longest without news first.

    Definition: participants entered by ``as_of`` (the scope's population, which must
    have no entry range or window) with ``(as_of - entry_date)`` MORE than ``days`` days,
    no counted ``job_start``, and no ``exit_date`` on or before ``as_of`` (people who
    have left are not on it). Their last counted milestone of any type (the latest, and
    of two on one day the later in :data:`ete_metrics.steps.MILESTONE_TYPES`) says where
    they are; what needs attention first is the longest time since anything happened:
    since the last milestone, or since entry when there is none. For internal
    (caseworker) use only: it lists pseudonymous ids, and, when the participants have a
    ``caseworker`` recorded (a pseudonym, never a name), whose case it is.

    Parameters
    ----------
    scope : Scope
        The frames and ``as_of`` (:class:`~ete_metrics.counting.scope.Scope`).
    days : int
        Days since entry beyond which someone not yet into work is listed (zero or more).

    Returns
    -------
    pandas.DataFrame
        Columns ``[participant_id, region, delivery_partner, pathway, entry_date,
        days_since_entry, last_milestone, last_milestone_date, days_since_last]``
        (days int64; ``last_milestone`` a milestone code, missing when none),
        sorted by ``days_since_last`` (longest first), then ``days_since_entry``,
        then id; with ``caseworker`` after ``delivery_partner`` when ``participants``
        has a ``caseworker`` column with at least one value.

    Raises
    ------
    InputError
        When ``days`` is negative, or the scope has an entry range or a window.
    """
    if days is None or int(days) != days or days < 0:
        raise InputError("days must be a whole number of days, zero or more.")
    scope.refuse_window("Follow-up lists")
    scope.refuse_entry_range("Follow-up lists")
    participants, stamp = scope.participants, scope.as_of
    columns = ["participant_id", "region", "delivery_partner", "pathway", "entry_date", "exit_date"]
    shown = ["region", "delivery_partner"]
    if "caseworker" in participants.columns and participants["caseworker"].notna().any():
        columns.append("caseworker")
        shown.append("caseworker")
    shown.append("pathway")
    population = entered_population(participants[columns], as_of=stamp)
    counted = counted_milestones(population, scope.milestones, as_of=stamp, kinds=MILESTONE_TYPES)
    waited = (stamp - population["entry_date"]).dt.days.to_numpy(dtype="int64")
    in_work = np.zeros(len(population), dtype=bool)
    jobs = (counted["milestone"] == "job_start").to_numpy(dtype=bool)
    in_work[counted["row"].to_numpy(dtype="int64")[jobs]] = True
    last_kind, last_date = _last_milestones(counted, len(population))
    since = np.where(
        last_date.notna().to_numpy(), (stamp - last_date).dt.days.fillna(0).to_numpy(dtype="int64"), waited
    )
    exit_dates = population["exit_date"]
    exited = (exit_dates.notna() & (exit_dates <= stamp)).to_numpy(dtype=bool)
    keep = np.flatnonzero((waited > int(days)) & ~in_work & ~exited)
    listed = population.iloc[keep]
    out = pd.DataFrame(
        {
            "participant_id": listed["participant_id"].to_numpy(dtype=object),
            **{column: listed[column].to_numpy(dtype=object) for column in shown},
            "entry_date": listed["entry_date"].to_numpy(dtype="datetime64[ns]"),
            "days_since_entry": waited[keep],
            "last_milestone": last_kind[keep],
            "last_milestone_date": last_date.to_numpy(dtype="datetime64[ns]")[keep],
            "days_since_last": since[keep],
        }
    )
    out = out.sort_values(
        ["days_since_last", "days_since_entry", "participant_id"], ascending=[False, False, True]
    )
    return out.reset_index(drop=True)
