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
    counted_milestones,
    first_milestone_dates,
    validate_by,
)
from ete_metrics.counting.scope import Scope
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
    "followed_3_months",
    "within_3_months",
    "share_within_3_months",
    "followed_6_months",
    "within_6_months",
    "share_within_6_months",
    "followed_12_months",
    "within_12_months",
    "share_within_12_months",
)

#: Shares reached by a time since entry: column -> days (3, 6 and 12 months).
REACHED_BY: dict[str, int] = {"reached_3_months": 91, "reached_6_months": 182, "reached_12_months": 365}

#: The horizons counted in people: months -> days (the days of :data:`REACHED_BY`).
HORIZONS: dict[int, int] = {3: 91, 6: 182, 12: 365}

#: The columns of the horizons counted in people, in order.
TIME_TO_OUTCOME_BY_HORIZON: tuple[str, ...] = tuple(
    f"{what}_{months}_months" for months in HORIZONS for what in ("followed", "within", "share_within")
)

#: Survival levels read off the curve: the quartiles of time to outcome.
_LEVELS = {"q1_days": 0.75, "median_days": 0.5, "q3_days": 0.25}


def time_to_outcome(scope: Scope, *, by: str | Iterable[str] = ()) -> pd.DataFrame:
    """Median and quartile days from entry to first training and first work.

    Parameters
    ----------
    scope : Scope
        The frames, ``as_of`` and the entry range (:class:`~ete_metrics.counting.scope.Scope`;
        a scope with a window is refused).
    by : str or iterable of str
        Grouping keys (:data:`config.GROUPING_COLUMNS` or a cohort key).

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
        follow-up is shorter than that. The same horizons counted in people
        (:data:`HORIZONS`), for a table whose figures follow from its counts:
        ``followed_<m>_months`` is the number entered at least that many days before
        ``as_of``, ``within_<m>_months`` how many of them reached the outcome within that
        many days of entry, and ``share_within_<m>_months`` the second over the first
        (NaN when nobody has been followed that long).

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
    scope.refuse_window("Times to outcome")
    stamp = scope.as_of
    keys = validate_by(by)
    population = scope.population(by=keys)
    if population.empty:
        return _empty(keys)
    codes, labels = group_codes(population, keys)
    counted = counted_milestones(
        population, scope.milestones, as_of=stamp, kinds=list(OUTCOME_MILESTONES.values())
    )
    n_groups = len(labels)
    # one row per group and outcome (outcomes in name order), built from arrays
    outcomes = sorted(OUTCOME_MILESTONES)
    per_outcome = [_outcome_figures(population, counted, outcome, codes, n_groups, stamp) for outcome in outcomes]
    group_of_row = np.repeat(np.arange(n_groups), len(outcomes))
    data: dict[str, Any] = {
        key: pd.Series(labels[key].to_numpy(dtype=object)[group_of_row], dtype=object) for key in keys
    }
    data["outcome"] = pd.Series(np.tile(np.array(outcomes, dtype=object), n_groups), dtype="str")
    data["entered"] = np.bincount(codes, minlength=n_groups).astype("int64")[group_of_row]
    data.update(_interleaved(per_outcome))
    return pd.DataFrame(data, columns=[*keys, *TIME_TO_OUTCOME_COLUMNS])


def _interleaved(per_outcome: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Each figure's column, rows by group then outcome, from each outcome's figures per
    group; the share within each horizon is worked out from its two counts."""
    data: dict[str, np.ndarray] = {}
    for name in ("reached", "median_days", "q1_days", "q3_days", *REACHED_BY, *TIME_TO_OUTCOME_BY_HORIZON):
        if not name.startswith("share_within_"):
            data[name] = np.stack([figures[name] for figures in per_outcome], axis=1).reshape(-1)
    for months in HORIZONS:
        followed, within = data[f"followed_{months}_months"], data[f"within_{months}_months"]
        with np.errstate(divide="ignore", invalid="ignore"):
            data[f"share_within_{months}_months"] = np.where(
                followed > 0, within / np.maximum(followed, 1), np.nan)
    return data


def _outcome_figures(
    population: pd.DataFrame, counted: pd.DataFrame, outcome: str, codes: np.ndarray, n_groups: int,
    stamp: pd.Timestamp,
) -> dict[str, np.ndarray]:
    """One outcome's figures per group: ``reached`` (int64), the Kaplan–Meier quartiles and
    shares reached (float64), and the horizons counted in people (:func:`_within`)."""
    # whole days since entry on the as-at date (calendar dates, as outcome_durations counts)
    never = np.full(len(population), np.datetime64("NaT"), "datetime64[ns]")
    followed_days, _ = outcome_durations(population, never, stamp)
    firsts = first_milestone_dates(counted, OUTCOME_MILESTONES[outcome], len(population))
    durations, observed = outcome_durations(population, firsts, stamp)
    table = kaplan_meier(durations, observed, codes)
    curve = pd.concat(
        [survival_quantiles(table, _LEVELS), 1.0 - survival_at(table, REACHED_BY)], axis=1
    ).reindex(range(n_groups))
    figures = {name: curve[name].to_numpy(dtype="float64") for name in ("median_days", "q1_days", "q3_days", *REACHED_BY)}
    figures["reached"] = np.bincount(codes, weights=observed, minlength=n_groups).astype("int64")
    figures.update(_within(codes, n_groups, followed_days, durations, observed))
    return figures


def _within(codes: np.ndarray, n_groups: int, followed_days: np.ndarray, durations: np.ndarray,
            observed: np.ndarray) -> dict[str, np.ndarray]:
    """Per group and horizon: people followed at least that long, and of them how many
    reached the outcome within that many days of entry."""
    out: dict[str, np.ndarray] = {}
    reached = np.asarray(observed, dtype=bool)
    for months, days in HORIZONS.items():
        followed = followed_days >= days
        within = followed & reached & (np.asarray(durations) <= days)
        out[f"followed_{months}_months"] = np.bincount(codes, weights=followed, minlength=n_groups).astype("int64")
        out[f"within_{months}_months"] = np.bincount(codes, weights=within, minlength=n_groups).astype("int64")
    return out


def _empty(keys: list[str]) -> pd.DataFrame:
    data: dict[str, pd.Series] = {key: pd.Series(dtype=object) for key in keys}
    data["outcome"] = pd.Series(dtype=object)
    data["entered"] = pd.Series(dtype="int64")
    data["reached"] = pd.Series(dtype="int64")
    for name in ("median_days", "q1_days", "q3_days", *REACHED_BY):
        data[name] = pd.Series(dtype="float64")
    for months in HORIZONS:
        data[f"followed_{months}_months"] = pd.Series(dtype="int64")
        data[f"within_{months}_months"] = pd.Series(dtype="int64")
        data[f"share_within_{months}_months"] = pd.Series(dtype="float64")
    return pd.DataFrame(data)
