"""Cohort curves and cumulative incidence of training and work since entry.

Two views of the same question, "how quickly do people reach training or work?":

- :func:`cohort_curves` follows each entry cohort month by month, only as far as
  every member of the cohort has been followed, so a curve never falls because of
  incomplete follow-up;
- :func:`cumulative_incidence` uses every participant's follow-up, censoring those
  not yet there at ``as_of``: one minus the Kaplan–Meier survival (Kaplan & Meier
  1958) with Greenwood (1926) variance and a log(-log) interval (Kalbfleisch &
  Prentice 2002).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ete_metrics.counting.population import (
    cohort_labels,
    counted_milestones,
    first_milestone_dates,
    validate_by,
)
from ete_metrics.counting.scope import Scope
from ete_metrics.counting.survival import (
    group_codes,
    kaplan_meier,
    outcome_durations,
    outcome_milestone,
)
from ete_metrics.errors import InputError
from ete_metrics.steps import TRAINING

#: Columns of :func:`cohort_curves`.
COHORT_CURVE_COLUMNS: tuple[str, ...] = (
    "cohort",
    "months_since_entry",
    "cohort_size",
    "participants",
    "cumulative_rate",
)

#: Columns of :func:`cumulative_incidence` after the grouping keys.
INCIDENCE_COLUMNS: tuple[str, ...] = (
    "days_since_entry",
    "at_risk",
    "events",
    "cumulative_incidence",
    "ci_low",
    "ci_high",
)

_CURVE_COHORTS = ("entry_month", "entry_quarter")


def add_months(dates: np.ndarray, months: np.ndarray | int) -> np.ndarray:
    """Add calendar months to dates like ``pandas.DateOffset(months=m)``, vectorised.

    The day of month is kept, clipped to the end of a shorter month
    (31 Jan + 1 month = 28 or 29 Feb). Times of day are dropped.

    Parameters
    ----------
    dates : numpy.ndarray of datetime64
    months : int or numpy.ndarray of int

    Returns
    -------
    numpy.ndarray of datetime64[D]
    """
    days = np.asarray(dates).astype("datetime64[D]")
    month_start = days.astype("datetime64[M]")
    day_of_month = (days - month_start.astype("datetime64[D]")).astype("int64")
    target = month_start + np.asarray(months, dtype="int64").astype("timedelta64[M]")
    length = ((target + np.timedelta64(1, "M")).astype("datetime64[D]") - target.astype("datetime64[D]")).astype("int64")
    return target.astype("datetime64[D]") + np.minimum(day_of_month, length - 1).astype("timedelta64[D]")


def _month_number(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[M]").astype("int64")


def months_to_reach(entry: np.ndarray, reached: np.ndarray) -> np.ndarray:
    """Smallest whole ``m >= 0`` with ``reached <= entry + m calendar months``.

    Parameters
    ----------
    entry, reached : numpy.ndarray of datetime64
        ``reached >= entry``; ``NaT`` in ``reached`` gives -1.

    Returns
    -------
    numpy.ndarray of int64
    """
    entry_d = entry.astype("datetime64[D]")
    missing = np.isnat(reached)
    reached_d = np.where(missing, entry_d, reached.astype("datetime64[D]"))
    diff = _month_number(reached_d) - _month_number(entry_d)
    months = diff + (reached_d > add_months(entry_d, diff)).astype("int64")
    return np.where(missing, -1, months)


def months_followed(entry: np.ndarray, as_of: pd.Timestamp) -> np.ndarray:
    """Largest whole ``m`` with ``entry + m calendar months <= as_of``.

    Parameters
    ----------
    entry : numpy.ndarray of datetime64
        Entry dates on or before ``as_of``.
    as_of : pandas.Timestamp

    Returns
    -------
    numpy.ndarray of int64
    """
    entry_d = entry.astype("datetime64[D]")
    end = np.datetime64(as_of.date(), "D")
    diff = _month_number(np.full(len(entry_d), end)) - _month_number(entry_d)
    return diff - (add_months(entry_d, diff) > end).astype("int64")


def _empty_curves() -> pd.DataFrame:
    """A cohort-curves frame with no rows and the documented types."""
    return pd.DataFrame(
        {
            "cohort": pd.Series(dtype=object),
            "months_since_entry": pd.Series(dtype="int64"),
            "cohort_size": pd.Series(dtype="int64"),
            "participants": pd.Series(dtype="int64"),
            "cumulative_rate": pd.Series(dtype="float64"),
        }
    )


def _reached_by_month(
    codes: np.ndarray, entry: np.ndarray, firsts: np.ndarray, stamp: pd.Timestamp, n_cohorts: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per cohort, how many months every member has been followed (the youngest member
    decides), and the cumulative count reaching the outcome by each month since entry
    (cohorts x months, up to the longest such horizon)."""
    followed = months_followed(entry, stamp)
    horizon = np.full(n_cohorts, np.iinfo("int64").max, dtype="int64")
    np.minimum.at(horizon, codes, followed)
    width = int(horizon.max()) + 1
    reach = months_to_reach(entry, firsts)
    hit = (reach >= 0) & (reach < width)
    counts = np.zeros((n_cohorts, width), dtype="int64")
    np.add.at(counts, (codes[hit], reach[hit]), 1)
    return horizon, np.cumsum(counts, axis=1)


def cohort_curves(
    scope: Scope, *, cohort: str = "entry_month", outcome: str = TRAINING.name
) -> pd.DataFrame:
    """Cumulative share of each entry cohort reaching training or work, by month since entry.

    Parameters
    ----------
    scope : Scope
        The frames, ``as_of`` and the entry range (:class:`~ete_metrics.counting.scope.Scope`;
        a scope with a window is refused).
    cohort : {"entry_month", "entry_quarter"}
        Cohort of entry: ``2023-01`` or ``2023-Q1``.
    outcome : {"training", "work"}
        First counted ``training_start`` or first counted ``job_start``.

    Returns
    -------
    pandas.DataFrame
        Columns ``[cohort, months_since_entry, cohort_size, participants,
        cumulative_rate]`` sorted by cohort then month; ``months_since_entry``,
        ``cohort_size`` and ``participants`` are int64.

    Notes
    -----
    A participant has reached the outcome by month ``m`` since entry when their
    first counted outcome date (``entry_date <= date <= as_of``) is on or before
    ``entry_date + m`` calendar months (``pandas.DateOffset(months=m)``: 31 Jan + 1
    month is 28/29 Feb). Month 0 is outcomes on the entry date itself.

    The point ``(cohort, m)`` is shown only when every member of the cohort has had
    ``m`` months of follow-up, ``entry_date + m months <= as_of``; the youngest
    member (latest entry) decides how far a cohort's curve goes. So every point
    compares like with like and a curve never falls because of censoring.
    ``cumulative_rate = participants / cohort_size``. This is the empirical
    cumulative proportion: no estimation is needed because nobody in a shown point
    is censored. Exits do not stop follow-up (outcomes recorded after an exit count).
    Work is not required to follow training here (any order).
    """
    if cohort not in _CURVE_COHORTS:
        raise InputError(f"Unknown cohort {cohort!r}: choose from {', '.join(_CURVE_COHORTS)}.")
    scope.refuse_window("Cohort curves")
    kind = outcome_milestone(outcome)
    stamp = scope.as_of
    population = scope.population()
    if population.empty:
        return _empty_curves()
    counted = counted_milestones(population, scope.milestones, as_of=stamp, kinds=[kind])
    firsts = first_milestone_dates(counted, kind, len(population))
    entry = population["entry_date"].to_numpy(dtype="datetime64[ns]")
    labels = cohort_labels(population["entry_date"], cohort)
    codes, names = pd.factorize(labels, sort=True)
    n_cohorts = len(names)
    size = np.bincount(codes, minlength=n_cohorts).astype("int64")
    horizon, cumulative = _reached_by_month(codes, entry, firsts, stamp, n_cohorts)
    month_grid = np.arange(cumulative.shape[1])
    shown = month_grid[None, :] <= horizon[:, None]
    cohort_index, month_index = np.nonzero(shown)
    reached = cumulative[cohort_index, month_index]
    sizes = size[cohort_index]
    return pd.DataFrame(
        {
            "cohort": np.asarray(names, dtype=object)[cohort_index],
            "months_since_entry": month_index.astype("int64"),
            "cohort_size": sizes,
            "participants": reached.astype("int64"),
            "cumulative_rate": reached / sizes,
        }
    )


def _empty_incidence(keys: list[str]) -> pd.DataFrame:
    """A cumulative-incidence frame with no rows and the documented types."""
    data: dict[str, pd.Series] = {key: pd.Series(dtype=object) for key in keys}
    for column in INCIDENCE_COLUMNS:
        dtype = "int64" if column in ("days_since_entry", "at_risk", "events") else "float64"
        data[column] = pd.Series(dtype=dtype)
    return pd.DataFrame(data)


def cumulative_incidence(
    scope: Scope,
    *,
    outcome: str = TRAINING.name,
    by: str | Iterable[str] = (),
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Cumulative incidence of training or work by days since entry (1 − Kaplan–Meier).

    Parameters
    ----------
    scope : Scope
        The frames, ``as_of`` (the censoring date) and the entry range
        (:class:`~ete_metrics.counting.scope.Scope`; a scope with a window is refused).
    outcome : {"training", "work"}
        First counted ``training_start`` or first counted ``job_start``.
    by : str or iterable of str
        Grouping keys (:data:`config.GROUPING_COLUMNS` or a cohort key); missing
        values are grouped as "Not recorded".
    confidence : float
        Level of the pointwise interval, 0.95 by default.

    Returns
    -------
    pandas.DataFrame
        Columns ``[*by, days_since_entry, at_risk, events, cumulative_incidence,
        ci_low, ci_high]``: one row per group and distinct day on which someone
        reached the outcome or was censored, sorted by group then day. Before the
        first row the incidence is 0. ``at_risk`` is the number not yet reached and
        still followed at the start of that day; ``events`` those reaching the
        outcome that day (int64).

    Notes
    -----
    Time is days from ``entry_date`` to the first counted outcome date
    (``entry_date <= date <= as_of``); a participant without it is censored at
    ``as_of`` (``as_of - entry_date`` days). Survival is the Kaplan–Meier (1958)
    product-limit estimate
    :math:`\\hat S(t) = \\prod_{t_i \\le t} (1 - d_i / n_i)` and
    ``cumulative_incidence`` :math:`= 1 - \\hat S(t)`.
    The interval is the log(-log) interval for :math:`S(t)` (Kalbfleisch & Prentice
    2002) built on Greenwood's (1926) variance
    :math:`\\hat S^2 \\sum d_i / (n_i (n_i - d_i))`, transformed:
    ``ci_low = 1 - S_high`` and ``ci_high = 1 - S_low``.

    **Exits are not censoring events**: the only censoring is at ``as_of``. A person
    who left the programme is followed to ``as_of`` and counts as reaching the
    outcome if it is recorded later; if outcomes after exit go unrecorded the
    incidence is understated. With no competing risks modelled, 1 − KM is the
    cumulative incidence of the outcome in the absence of censoring.
    """
    scope.refuse_window("Cumulative incidence curves")
    kind = outcome_milestone(outcome)
    stamp = scope.as_of
    keys = validate_by(by)
    population = scope.population(by=keys)
    if population.empty:
        return _empty_incidence(keys)
    codes, labels = group_codes(population, keys)
    counted = counted_milestones(population, scope.milestones, as_of=stamp, kinds=[kind])
    firsts = first_milestone_dates(counted, kind, len(population))
    durations, observed = outcome_durations(population, firsts, stamp)
    table = kaplan_meier(durations, observed, codes, confidence=confidence)
    out = labels.iloc[table["group"].to_numpy()].reset_index(drop=True)
    out["days_since_entry"] = table["time"].to_numpy()
    out["at_risk"] = table["at_risk"].to_numpy()
    out["events"] = table["events"].to_numpy()
    out["cumulative_incidence"] = 1.0 - table["survival"].to_numpy()
    out["ci_low"] = 1.0 - table["ci_high"].to_numpy()
    out["ci_high"] = 1.0 - table["ci_low"].to_numpy()
    return out[[*keys, *INCIDENCE_COLUMNS]]
