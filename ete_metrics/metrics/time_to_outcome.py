"""Time from entry to training and to work: Kaplan–Meier quartiles.

A simple median of the days taken by those who got there is biased towards fast
outcomes (people still waiting are left out). Instead the quartiles are read from
the Kaplan–Meier survival curve (Kaplan & Meier 1958) of "not yet reached",
in which people who have not reached the outcome by ``as_of`` are censored there.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ete_metrics.counting.population import (
    AsOf,
    counted_milestones,
    entered_population,
    first_milestone_dates,
    to_timestamp,
    validate_by,
)
from ete_metrics.counting.survival import (
    OUTCOME_MILESTONES,
    group_codes,
    kaplan_meier,
    outcome_durations,
    survival_at,
    survival_quantiles,
)

#: Columns after the grouping keys.
TIME_TO_OUTCOME_COLUMNS: tuple[str, ...] = (
    "outcome",
    "entered",
    "reached",
    "median_days",
    "q1_days",
    "q3_days",
    "reached_3_months",
    "reached_6_months",
    "reached_12_months",
)

#: Shares reached by a time since entry: column -> days (3, 6 and 12 months).
REACHED_BY: dict[str, int] = {"reached_3_months": 91, "reached_6_months": 182, "reached_12_months": 365}

#: Survival levels read off the curve: the quartiles of time to outcome.
_LEVELS = {"q1_days": 0.75, "median_days": 0.5, "q3_days": 0.25}


def time_to_outcome(
    participants: pd.DataFrame,
    milestones: pd.DataFrame,
    *,
    as_of: AsOf,
    by: str | Iterable[str] = (),
    date_from: AsOf | None = None,
    date_to: AsOf | None = None,
) -> pd.DataFrame:
    """Median and quartile days from entry to first training and first work.

    Parameters
    ----------
    participants, milestones : pandas.DataFrame
        In the import format (:mod:`ete_metrics.data.frames`).
    as_of : date-like
        The date the figures are as at.
    by : str or iterable of str
        Grouping keys (:data:`config.GROUPING_COLUMNS` or a cohort key).
    date_from, date_to : date-like, optional
        Inclusive bounds on ``entry_date``.

    Returns
    -------
    pandas.DataFrame
        Columns ``[*by, outcome, entered, reached, median_days, q1_days, q3_days,
        reached_3_months, reached_6_months, reached_12_months]``, one row per group and
        outcome (``training`` then ``work``), sorted by the grouping keys. ``entered`` and
        ``reached`` are int64; the day columns are floats, ``NaN`` when the quantile is
        not reached. Where fewer than half reach the outcome the median is not defined,
        but the shares are: ``reached_*`` is the Kaplan–Meier share reached by 91, 182
        and 365 days after entry (:data:`REACHED_BY`; ``1 - S(t)``), NaN when the group's
        follow-up is shorter than that.

    Notes
    -----
    For each entered participant (``entry_date <= as_of``) the time is the number of
    days from ``entry_date`` to the first *counted* ``training_start`` (training) or
    ``job_start`` (work), counted as in :func:`ete_metrics.counting.population.counted_milestones`
    (``entry_date <= date <= as_of``). Someone without the outcome by ``as_of`` is
    censored at ``as_of - entry_date`` days. An outcome on the entry date is day 0.

    Survival :math:`S(t)` (not yet reached after ``t`` days) is the Kaplan–Meier
    product-limit estimate (Kaplan & Meier 1958). ``median_days`` is the smallest
    ``t`` with :math:`S(t) \\le 0.5`; ``q1_days`` the smallest with
    :math:`S(t) \\le 0.75` (a quarter have reached the outcome); ``q3_days`` the
    smallest with :math:`S(t) \\le 0.25`. ``NaN`` when survival never falls that far
    within the follow-up (fewer than half, a quarter... reach it in the data).

    **Exits are not censoring events.** Leaving the programme (``exit_date``) does
    not stop the clock: a person who left is still counted as reaching work if a
    ``job_start`` is recorded for them later, and is otherwise followed to
    ``as_of``. The estimate therefore assumes outcomes after exit are recorded;
    where they are not, the times are an overestimate for leavers.
    Work is not required to follow training here (any order).
    """
    stamp = to_timestamp(as_of)
    keys = validate_by(by)
    population = entered_population(
        participants, as_of=stamp, date_from=date_from, date_to=date_to, by=keys
    )
    columns = [*keys, *TIME_TO_OUTCOME_COLUMNS]
    if population.empty:
        return _empty(keys)
    codes, labels = group_codes(population, keys)
    counted = counted_milestones(
        population, milestones, as_of=stamp, kinds=list(OUTCOME_MILESTONES.values())
    )
    n_groups = len(labels)
    entered = np.bincount(codes, minlength=n_groups).astype("int64")
    # one row per group and outcome (outcomes in name order), built from arrays
    outcomes = sorted(OUTCOME_MILESTONES)
    reached: list[np.ndarray] = []
    quantiles: list[pd.DataFrame] = []
    for outcome in outcomes:
        firsts = first_milestone_dates(counted, OUTCOME_MILESTONES[outcome], len(population))
        durations, observed = outcome_durations(population, firsts, stamp)
        table = kaplan_meier(durations, observed, codes)
        quantiles.append(pd.concat([survival_quantiles(table, _LEVELS),
                                    1.0 - survival_at(table, REACHED_BY)], axis=1).reindex(range(n_groups)))
        reached.append(np.bincount(codes, weights=observed, minlength=n_groups).astype("int64"))
    group_of_row = np.repeat(np.arange(n_groups), len(outcomes))
    data: dict[str, Any] = {
        key: pd.Series(labels[key].to_numpy(dtype=object)[group_of_row], dtype=object) for key in keys
    }
    data["outcome"] = pd.Series(np.tile(np.array(outcomes, dtype=object), n_groups), dtype="str")
    data["entered"] = entered[group_of_row]
    data["reached"] = np.stack(reached, axis=1).reshape(-1)
    for name in ("median_days", "q1_days", "q3_days", *REACHED_BY):
        data[name] = np.stack(
            [q[name].to_numpy(dtype="float64") for q in quantiles], axis=1
        ).reshape(-1)
    return pd.DataFrame(data, columns=columns)


def _empty(keys: list[str]) -> pd.DataFrame:
    data: dict[str, pd.Series] = {key: pd.Series(dtype=object) for key in keys}
    data["outcome"] = pd.Series(dtype=object)
    data["entered"] = pd.Series(dtype="int64")
    data["reached"] = pd.Series(dtype="int64")
    for name in ("median_days", "q1_days", "q3_days", *REACHED_BY):
        data[name] = pd.Series(dtype="float64")
    return pd.DataFrame(data)
