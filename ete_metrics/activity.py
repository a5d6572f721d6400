"""Monthly activity (entries, first training starts, first job starts) and the follow-up list."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ete_metrics.errors import InputError
from ete_metrics.funnel import NOT_RECORDED
from ete_metrics.population import (
    AsOf,
    counted_milestones,
    entered_population,
    first_milestone_dates,
    to_timestamp,
    validate_by,
)

#: Columns of :func:`monthly_activity` after the grouping keys.
ACTIVITY_COLUMNS: tuple[str, ...] = ("month", "measure", "participants")

#: Columns of :func:`follow_up_list`.
FOLLOW_UP_COLUMNS: tuple[str, ...] = (
    "participant_id",
    "region",
    "delivery_partner",
    "entry_date",
    "days_since_entry",
)

_MEASURES = ("entered", "training", "work")


def _month_start(values: np.ndarray) -> np.ndarray:
    return values.astype("datetime64[M]").astype("datetime64[ns]")


def monthly_activity(
    participants: pd.DataFrame,
    milestones: pd.DataFrame,
    *,
    as_of: AsOf,
    by: str | Iterable[str] | None = (),
    date_from: AsOf | None = None,
    date_to: AsOf | None = None,
) -> pd.DataFrame:
    """People entering, starting training and starting work, per calendar month.

    Definitions: the population is the funnel's (``entry_date <= as_of``, and
    ``date_from <= entry_date <= date_to``). *entered* counts each participant in the
    month of their ``entry_date``; *training* / *work* count each participant once, in
    the month of their FIRST counted ``training_start`` / ``job_start`` (counted =
    ``entry_date <= date <= as_of``).

    Parameters
    ----------
    participants, milestones : pandas.DataFrame
        In the import format.
    as_of : date-like
    by : str or iterable of str, optional
        Grouping keys as in :func:`ete_metrics.funnel.funnel`; missing values are
        "Not recorded".
    date_from, date_to : date-like, optional
        Inclusive range of ``entry_date``.

    Returns
    -------
    pandas.DataFrame
        Columns ``[*by, month, measure, participants]`` where ``month`` is the first of
        the month (datetime64[ns]) and ``participants`` int64. Every month from the
        group's first entry month to the month of ``as_of`` appears for each measure
        (0 where nothing happened), so the series can be drawn without gaps. Groups with
        no one entered are left out. Sorted by the keys, month, then measure order.
    """
    keys = validate_by(by)
    stamp = to_timestamp(as_of)
    population = entered_population(
        participants, as_of=stamp, date_from=date_from, date_to=date_to, by=keys
    )
    columns = [*keys, "month", "measure", "participants"]
    if population.empty:
        out = pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
        out["month"] = out["month"].astype("datetime64[ns]")
        out["participants"] = out["participants"].astype("int64")
        return out
    counted = counted_milestones(
        population, milestones, as_of=stamp, kinds=("training_start", "job_start")
    )
    groups = pd.DataFrame(
        {key: population[key].astype(object).where(population[key].notna(), NOT_RECORDED) for key in keys},
        index=population.index,
    )
    dates = {
        "entered": population["entry_date"].to_numpy(dtype="datetime64[ns]"),
        "training": first_milestone_dates(counted, "training_start", len(population)),
        "work": first_milestone_dates(counted, "job_start", len(population)),
    }
    parts = []
    for measure in _MEASURES:
        reached = ~np.isnat(dates[measure])
        part = groups.loc[reached].copy()
        part["month"] = _month_start(dates[measure][reached])
        part["measure"] = measure
        parts.append(part)
    events = pd.concat(parts, ignore_index=True)
    counts = events.groupby([*keys, "month", "measure"]).size().rename("participants")

    last_month = _month_start(np.array([stamp.to_datetime64()]))[0]
    grids = []
    first_entry = (
        events.loc[events["measure"] == "entered"].groupby(keys)["month"].min()
        if keys
        else pd.Series([events.loc[events["measure"] == "entered", "month"].min()])
    )
    for label, first in first_entry.items():
        months = pd.date_range(first, last_month, freq="MS").astype("datetime64[ns]")
        grid = pd.DataFrame(
            {
                "month": np.repeat(months.to_numpy(), len(_MEASURES)),
                "measure": np.tile(np.array(_MEASURES, dtype=object), len(months)),
            }
        )
        values = label if isinstance(label, tuple) else (label,)
        for key, value in zip(keys, values, strict=False):
            grid[key] = value
        grids.append(grid)
    out = pd.concat(grids, ignore_index=True)[[*keys, "month", "measure"]]
    out = out.merge(counts.reset_index(), on=[*keys, "month", "measure"], how="left")
    out["participants"] = out["participants"].fillna(0).astype("int64")
    out["measure"] = out["measure"].astype(object)
    order = {m: i for i, m in enumerate(_MEASURES)}
    out["_order"] = out["measure"].map(order)
    out = out.sort_values([*keys, "month", "_order"], kind="stable").drop(columns="_order")
    for key in keys:
        out[key] = out[key].astype(object)
    return out[columns].reset_index(drop=True)


def follow_up_list(
    participants: pd.DataFrame,
    milestones: pd.DataFrame,
    *,
    as_of: AsOf,
    days: int,
) -> pd.DataFrame:
    """Participants who may need following up: entered a while ago, no outcome yet.

    Definition: participants with ``entry_date <= as_of`` and ``(as_of - entry_date)``
    MORE than ``days`` days, no counted ``training_start`` or ``job_start``
    (``entry_date <= date <= as_of``), and no ``exit_date`` on or before ``as_of``. For
    internal (caseworker) use only: it lists pseudonymous ids.

    Parameters
    ----------
    participants, milestones : pandas.DataFrame
        In the import format.
    as_of : date-like
    days : int
        Days since entry beyond which someone with no outcome is listed (zero or more).

    Returns
    -------
    pandas.DataFrame
        Columns ``[participant_id, region, delivery_partner, entry_date,
        days_since_entry]`` (days int64), longest-waiting first, then by id.

    Raises
    ------
    InputError
        When ``days`` is negative.
    """
    if days is None or int(days) != days or days < 0:
        raise InputError("days must be a whole number of days, zero or more.")
    stamp = to_timestamp(as_of)
    population = entered_population(participants, as_of=stamp)
    counted = counted_milestones(
        population, milestones, as_of=stamp, kinds=("training_start", "job_start")
    )
    waited = (stamp - population["entry_date"]).dt.days.to_numpy(dtype="int64")
    reached = np.zeros(len(population), dtype=bool)
    reached[counted["row"].to_numpy(dtype="int64")] = True
    exit_dates = population["exit_date"]
    exited = (exit_dates.notna() & (exit_dates <= stamp)).to_numpy(dtype=bool)
    keep = (waited > int(days)) & ~reached & ~exited
    out = pd.DataFrame(
        {
            "participant_id": population["participant_id"].to_numpy(dtype=object)[keep],
            "region": population["region"].to_numpy(dtype=object)[keep],
            "delivery_partner": population["delivery_partner"].to_numpy(dtype=object)[keep],
            "entry_date": population["entry_date"].to_numpy(dtype="datetime64[ns]")[keep],
            "days_since_entry": waited[keep],
        }
    )
    out = out.sort_values(["days_since_entry", "participant_id"], ascending=[False, True])
    return out.reset_index(drop=True)
