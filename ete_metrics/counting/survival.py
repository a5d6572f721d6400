"""Kaplan–Meier internals shared by the cohort and time-to-outcome metrics.

The estimator is computed for many groups at once with numpy and pandas'
grouped cumulative operations, so it scales to a million participants.

Methods
-------
- Survival :math:`S(t)` by the product-limit estimator of Kaplan & Meier (1958):
  :math:`\\hat S(t) = \\prod_{t_i \\le t} (1 - d_i / n_i)`, where :math:`d_i` is the
  number of events at time :math:`t_i` and :math:`n_i` the number at risk just
  before it (everyone whose time is :math:`\\ge t_i`; a person censored at
  :math:`t_i` is still at risk at :math:`t_i`).
- Variance by Greenwood's formula (Greenwood 1926):
  :math:`\\widehat{Var}[\\hat S(t)] = \\hat S(t)^2 \\sum_{t_i \\le t} d_i / (n_i (n_i - d_i))`.
- Confidence interval on the log(-log) scale (Kalbfleisch & Prentice 2002, §1.3),
  which keeps the interval inside [0, 1]:
  :math:`\\hat S(t)^{\\exp(\\pm z \\sigma(t))}` with
  :math:`\\sigma(t)^2 = \\sum d_i / (n_i (n_i - d_i)) / (\\log \\hat S(t))^2`.

References
----------
Kaplan, E. L. and Meier, P. (1958). Nonparametric estimation from incomplete
observations. *Journal of the American Statistical Association* 53(282), 457–481.

Greenwood, M. (1926). The natural duration of cancer. *Reports on Public Health
and Medical Subjects* 33, 1–26. London: HMSO.

Kalbfleisch, J. D. and Prentice, R. L. (2002). *The Statistical Analysis of Failure
Time Data*, 2nd edition. Hoboken, NJ: Wiley.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd

from ete_metrics.errors import InputError
from ete_metrics.steps import TRAINING, WORK

#: Columns of :func:`kaplan_meier`'s result.
KM_COLUMNS: tuple[str, ...] = (
    "group",
    "time",
    "at_risk",
    "events",
    "censored",
    "survival",
    "greenwood",
    "ci_low",
    "ci_high",
)


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise InputError("confidence must be between 0 and 1, e.g. 0.95.")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def _subjects(
    durations: np.ndarray, observed: np.ndarray, groups: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The subjects' durations (int64), events (bool) and groups (int64; one group 0 when
    none), checked to be of one length."""
    durations = np.asarray(durations, dtype="int64")
    observed = np.asarray(observed, dtype=bool)
    if groups is None:
        groups = np.zeros(len(durations), dtype="int64")
    groups = np.asarray(groups, dtype="int64")
    if not (len(durations) == len(observed) == len(groups)):
        raise InputError("durations, observed and groups must have the same length.")
    return durations, observed, groups


def _cells(
    flat: np.ndarray, observed: np.ndarray, cells: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct (group, time) cells (``flat = group * span + time``, sorted) with the
    subjects leaving in each and the events among them (int64); ``cells`` is the number of
    possible cells (-1 when a group code is negative).

    Two paths, the same answer: few cells against the subjects (the usual case) are
    counted directly in O(n) with ``bincount``; many (a long follow-up in many groups)
    through ``np.unique``.
    """
    if 0 <= cells <= max(4 * len(flat), 1 << 20):
        counted = np.bincount(flat, minlength=cells)
        keys = np.flatnonzero(counted)
        totals = counted[keys].astype("int64")
        events = np.bincount(flat[observed], minlength=cells)[keys].astype("int64")
    else:
        keys, inverse = np.unique(flat, return_inverse=True)
        totals = np.bincount(inverse).astype("int64")
        events = np.bincount(inverse, weights=observed).astype("int64")
    return keys, totals, events


def _at_risk(groups: np.ndarray, key_group: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """At risk in each cell: the group's size minus everyone leaving (event or censored)
    earlier in the group (the cells sorted by group, then time)."""
    group_size = np.bincount(groups)
    left_before = np.cumsum(totals) - totals
    first_row = np.r_[0, np.flatnonzero(np.diff(key_group)) + 1]
    offset = np.repeat(left_before[first_row], np.diff(np.r_[first_row, len(key_group)]))
    return group_size[key_group] - (left_before - offset)


def _product_limit(
    key_group: np.ndarray, at_risk: np.ndarray, events: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per cell, the product-limit survival :math:`\\prod (1 - d_i / n_i)` and Greenwood's
    sum :math:`\\sum d_i / (n_i (n_i - d_i))` over the group's cells so far."""
    n = at_risk.astype("float64")
    d = events.astype("float64")
    factor = 1.0 - d / n
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(d > 0, d / (n * (n - d)), 0.0)
    by_group = pd.Series(key_group)
    survival = pd.Series(factor).groupby(by_group, sort=False).cumprod().to_numpy()
    greenwood = pd.Series(term).groupby(by_group, sort=False).cumsum().to_numpy()
    return survival, greenwood


def _loglog_interval(
    survival: np.ndarray, greenwood: np.ndarray, z: float
) -> tuple[np.ndarray, np.ndarray]:
    """The pointwise log(-log) interval of :math:`S(t)` (Kalbfleisch & Prentice 2002);
    where ``survival`` is 0 or 1 (or Greenwood's sum infinite) it collapses to the estimate."""
    low = survival.copy()
    high = survival.copy()
    inside = (survival > 0) & (survival < 1) & np.isfinite(greenwood)
    s_in = survival[inside]
    sigma = np.sqrt(greenwood[inside]) / np.abs(np.log(s_in))
    low[inside] = s_in ** np.exp(z * sigma)
    high[inside] = s_in ** np.exp(-z * sigma)
    return low, high


def kaplan_meier(
    durations: np.ndarray,
    observed: np.ndarray,
    groups: np.ndarray | None = None,
    *,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Kaplan–Meier survival table for one or many groups, vectorised.

    Parameters
    ----------
    durations : numpy.ndarray of int
        Time of each subject's event or censoring (here whole days, ``>= 0``).
    observed : numpy.ndarray of bool
        ``True`` when the event happened at ``durations``; ``False`` when the
        subject was censored then (followed up to that time without the event).
    groups : numpy.ndarray of int, optional
        Group code (``0 .. k-1``) of each subject; ``None`` means one group ``0``.
    confidence : float
        Confidence level of the pointwise interval, 0.95 by default.

    Returns
    -------
    pandas.DataFrame
        One row per group and distinct observed time (event or censoring), sorted
        by ``group`` then ``time``, with columns

        - ``group`` (int64), ``time`` (int64);
        - ``at_risk``: subjects with time ``>= time`` (censored at ``time``
          still count as at risk, the usual convention: events before censoring);
        - ``events``, ``censored`` (int64) at that time;
        - ``survival``: the product-limit estimate :math:`\\hat S(t)` (Kaplan &
          Meier 1958) just after ``time``;
        - ``greenwood``: :math:`\\sum_{t_i \\le t} d_i / (n_i (n_i - d_i))`, so that
          Greenwood's (1926) variance is ``survival**2 * greenwood`` (``inf`` once
          everyone at risk has had the event);
        - ``ci_low``, ``ci_high``: pointwise log(-log) interval for :math:`S(t)`
          (Kalbfleisch & Prentice 2002). Before any event (``survival == 1``) and
          after everyone has had it (``survival == 0``) the interval collapses to
          the estimate.

    Raises
    ------
    InputError
        When lengths differ, a duration is negative or ``confidence`` is not in (0, 1).

    Notes
    -----
    The same estimator as ``lifelines.KaplanMeierFitter`` (its default
    ``exp(-exp(...))`` interval is the log(-log) interval used here).
    """
    durations, observed, groups = _subjects(durations, observed, groups)
    z = _z(confidence)
    if len(durations) == 0:
        return pd.DataFrame(
            {column: pd.Series(dtype="int64" if i < 5 else "float64") for i, column in enumerate(KM_COLUMNS)}
        )
    if durations.min() < 0:
        raise InputError("durations must be zero or more (an event before the start?).")
    span = int(durations.max()) + 1
    cells = (int(groups.max()) + 1) * span if groups.min() >= 0 else -1
    keys, totals, events = _cells(groups * span + durations, observed, cells)
    key_group, key_time = keys // span, keys % span
    at_risk = _at_risk(groups, key_group, totals)
    survival, greenwood = _product_limit(key_group, at_risk, events)
    low, high = _loglog_interval(survival, greenwood, z)
    return pd.DataFrame(
        {
            "group": key_group.astype("int64"),
            "time": key_time.astype("int64"),
            "at_risk": at_risk.astype("int64"),
            "events": events,
            "censored": totals - events,
            "survival": survival,
            "greenwood": greenwood,
            "ci_low": low,
            "ci_high": high,
        }
    )


def survival_quantiles(table: pd.DataFrame, levels: dict[str, float]) -> pd.DataFrame:
    """Times at which Kaplan–Meier survival first drops to given levels, per group.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`kaplan_meier`.
    levels : dict of str to float
        Output column name to survival level ``p``: the result is the smallest
        ``time`` with :math:`\\hat S(t) \\le p` (e.g. ``{"median": 0.5}``), the
        usual definition of a Kaplan–Meier quantile; ``NaN`` when survival never
        falls that far in the follow-up.

    Returns
    -------
    pandas.DataFrame
        Index ``group`` (every group in ``table``), one float column per level.
    """
    codes, uniques = pd.factorize(table["group"], sort=False)
    groups = pd.Index(uniques, name="group")
    times = table["time"].to_numpy(dtype="float64")
    survival = table["survival"].to_numpy(dtype="float64")
    columns = {}
    for name, level in levels.items():
        reached = survival <= level + 1e-12
        firsts = np.full(len(groups), np.inf)
        np.minimum.at(firsts, codes[reached], times[reached])
        columns[name] = np.where(np.isinf(firsts), np.nan, firsts)
    out = pd.DataFrame(index=groups)
    for name, values in columns.items():
        out[name] = values
    return out


def survival_at(table: pd.DataFrame, times: dict[str, int]) -> pd.DataFrame:
    """Kaplan–Meier survival at given times, per group.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`kaplan_meier`.
    times : dict of str to int
        Output column name to a time ``t`` (days).

    Returns
    -------
    pandas.DataFrame
        Index ``group`` (every group in ``table``), one float column per time:
        :math:`\\hat S(t)`, the survival after the last event time at or before ``t``
        (1 before the first); ``NaN`` when ``t`` is after the group's longest follow-up
        (its last time, event or censored), where the curve is not estimated.
    """
    codes, uniques = pd.factorize(table["group"], sort=False)
    groups = pd.Index(uniques, name="group")
    times_all = table["time"].to_numpy(dtype="float64")
    survival = table["survival"].to_numpy(dtype="float64")
    longest = np.full(len(groups), -np.inf)
    np.maximum.at(longest, codes, times_all)
    out = pd.DataFrame(index=groups)
    for name, t in times.items():
        # rows are sorted by group then time: the last row at or before t holds S(t)
        last = np.full(len(groups), -1)
        at_or_before = np.flatnonzero(times_all <= t)
        np.maximum.at(last, codes[at_or_before], at_or_before)
        value = np.where(last >= 0, survival[np.maximum(last, 0)], 1.0)
        out[name] = np.where(longest >= t, value, np.nan)
    return out


#: Outcome name to the milestone that marks it.
#: Outcomes timed from entry (time to outcome, cohort curves): the first training and job starts.
OUTCOME_MILESTONES: dict[str, str] = {step.name: step.milestone or "" for step in (TRAINING, WORK)}

#: Label for a missing group value.
NOT_RECORDED = "Not recorded"


def outcome_milestone(outcome: str) -> str:
    """Return the milestone type for an outcome name.

    Parameters
    ----------
    outcome : {"training", "work"}

    Returns
    -------
    str
        ``training_start`` or ``job_start``.

    Raises
    ------
    InputError
        For any other outcome.
    """
    try:
        return OUTCOME_MILESTONES[outcome]
    except (KeyError, TypeError):
        raise InputError(
            f"Unknown outcome {outcome!r}: choose from {', '.join(OUTCOME_MILESTONES)}."
        ) from None


def group_codes(population: pd.DataFrame, by: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Code each participant's group, missing values shown as "Not recorded".

    Parameters
    ----------
    population : pandas.DataFrame
        Participants (with any cohort columns in ``by`` already added).
    by : list of str
        Grouping columns (already validated).

    Returns
    -------
    codes : numpy.ndarray of int64
        Group code per row, ``0 .. k-1`` in sorted order of the group values.
    labels : pandas.DataFrame
        Row ``i`` holds the ``by`` values of group ``i`` (one empty row when ``by`` is empty).
    """
    if not by:
        return np.zeros(len(population), dtype="int64"), pd.DataFrame(index=range(1))
    keys = pd.DataFrame(
        {
            key: population[key].astype(object).where(population[key].notna(), NOT_RECORDED)
            for key in by
        }
    )
    grouped = keys.groupby(by, sort=True)
    codes = grouped.ngroup().to_numpy(dtype="int64")
    labels = grouped.size().index.to_frame(index=False)[by].astype(object)
    return codes, labels.reset_index(drop=True)


def outcome_durations(
    population: pd.DataFrame, first_dates: np.ndarray, as_of: pd.Timestamp
) -> tuple[np.ndarray, np.ndarray]:
    """Days from entry to the first outcome, or to ``as_of`` when not reached.

    Parameters
    ----------
    population : pandas.DataFrame
        Entered participants (``entry_date <= as_of``).
    first_dates : numpy.ndarray of datetime64[ns]
        First counted outcome date per row (``NaT`` when none), from
        :func:`ete_metrics.counting.population.first_milestone_dates`.
    as_of : pandas.Timestamp

    Returns
    -------
    durations : numpy.ndarray of int64
        Whole days (calendar dates, time of day ignored).
    observed : numpy.ndarray of bool
        ``True`` when the outcome was reached, ``False`` when censored at ``as_of``.
    """
    entry = population["entry_date"].to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    observed = ~np.isnat(first_dates)
    end = np.where(observed, first_dates.astype("datetime64[D]"), as_of.to_datetime64().astype("datetime64[D]"))
    durations = (end - entry).astype("int64")
    return durations, observed
