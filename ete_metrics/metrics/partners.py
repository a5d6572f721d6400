"""Partner tables: delivery partners, training providers, employers and prisons.

Training providers and employers are credited by **first touch**: a participant
belongs to the partner named on their first counted ``training_start`` (or
``job_start``), even if they later train or work elsewhere, so each participant
is counted once in each table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ete_metrics.counting.population import counted_milestones
from ete_metrics.counting.scope import Scope
from ete_metrics.counting.survival import NOT_RECORDED, kaplan_meier, survival_quantiles
from ete_metrics.metrics.funnel import funnel

#: Columns of :func:`training_providers`.
TRAINING_PROVIDER_COLUMNS: tuple[str, ...] = (
    "partner",
    "training_starts",
    "training_completed",
    "completion_rate",
    "work_after_training",
    "work_rate",
    "median_days_to_work",
)

#: Columns of :func:`employers`.
EMPLOYER_COLUMNS: tuple[str, ...] = ("partner", "job_starts", "job_sustained", "sustained_rate")


def delivery_partners(scope: Scope) -> pd.DataFrame:
    """The programme funnel for each delivery partner.

    Parameters
    ----------
    scope : Scope
        The frames, ``as_of``, the entry range and the window
        (:class:`~ete_metrics.counting.scope.Scope`).

    Returns
    -------
    pandas.DataFrame
        :func:`ete_metrics.metrics.funnel.funnel` with ``by=["delivery_partner"]``: columns
        ``[delivery_partner, step, participants, rate_from_entry, rate_from_previous,
        ci_low, ci_high]`` (95% Wilson interval, Wilson 1927).
    """
    return funnel(scope, by=["delivery_partner"])


def prisons(scope: Scope) -> pd.DataFrame:
    """The funnel of the custody pathway, by prison.

    Parameters
    ----------
    scope : Scope
        The frames, ``as_of``, the entry range and the window; only participants with
        ``pathway == "custody"`` are used.

    Returns
    -------
    pandas.DataFrame
        :func:`ete_metrics.metrics.funnel.funnel` with ``by=["prison"]`` over the custody
        pathway: ``[prison, step, participants, rate_from_entry, rate_from_previous,
        ci_low, ci_high]``. A custody participant with no prison recorded is shown
        under "Not recorded".
    """
    participants = scope.participants
    custody = participants.loc[(participants["pathway"] == "custody").to_numpy()]
    return funnel(scope.replace(participants=custody.reset_index(drop=True)), by=["prison"])


def _empty(columns: tuple[str, ...]) -> pd.DataFrame:
    """An empty partner table: ``partner`` text, counts int64, rates and days float64."""
    counts = {"training_starts", "training_completed", "work_after_training", "job_starts", "job_sustained"}
    return pd.DataFrame(
        {
            column: pd.Series(
                dtype=object if column == "partner" else "int64" if column in counts else "float64"
            )
            for column in columns
        }
    )


def _of_kind(counted: pd.DataFrame, kind: str) -> np.ndarray:
    """Which counted milestones are of type ``kind`` (without a Python string per row)."""
    kinds = counted["milestone"]
    if kinds.dtype == object:
        return np.asarray(kinds.to_numpy() == kind, dtype=bool)
    return (kinds == kind).to_numpy(dtype=bool, na_value=False)


def _first_touch(counted: pd.DataFrame, kind: str, size: int) -> tuple[np.ndarray, np.ndarray]:
    """First counted date and its partner per population row (NaT / None when none).

    Ties on the same first date go to the partner first in alphabetical order.
    """
    first_date = np.full(size, np.datetime64("NaT"), dtype="datetime64[ns]")
    partner = np.full(size, None, dtype=object)
    chosen = _of_kind(counted, kind)
    if chosen.any():
        rows = counted["row"].to_numpy(dtype=np.int64)[chosen]
        dates = counted["date"].to_numpy(dtype="datetime64[ns]")[chosen]
        names = counted["partner"][chosen]
        names = names.astype(object).where(names.notna(), NOT_RECORDED)
        # partners coded in alphabetical order; sort by row, date (missing last), partner
        codes, labels = pd.factorize(names, sort=True)
        when = np.where(np.isnat(dates), np.iinfo(np.int64).max, dates.view(np.int64))
        order = np.lexsort((codes, when, rows))
        rows, dates, codes = rows[order], dates[order], codes[order]
        first = np.r_[True, rows[1:] != rows[:-1]]
        first_date[rows[first]] = dates[first]
        partner[rows[first]] = np.asarray(labels, dtype=object)[codes[first]]
    return first_date, partner


def _first_on_or_after(
    counted: pd.DataFrame, kind: str, start: np.ndarray, size: int
) -> np.ndarray:
    """Per row, the first counted ``kind`` date on or after ``start`` (NaT when none)."""
    out = np.full(size, np.datetime64("NaT"), dtype="datetime64[ns]")
    chosen = _of_kind(counted, kind)
    if chosen.any():
        rows = counted["row"].to_numpy(dtype=np.int64)[chosen]
        dates = counted["date"].to_numpy(dtype="datetime64[ns]")[chosen]
        keep = ~np.isnat(start[rows]) & ~np.isnat(dates) & (dates >= start[rows])
        if keep.any():  # the earliest per row, on int64 nanoseconds
            never = np.iinfo(np.int64).max
            firsts = np.full(size, never, dtype=np.int64)
            np.minimum.at(firsts, rows[keep], dates[keep].view(np.int64))
            reached = firsts != never
            out[reached] = firsts[reached].view("datetime64[ns]")
    return out


def _first_touches(
    scope: Scope, *, first: str, after: tuple[str, ...]
) -> tuple[pd.Timestamp, np.ndarray, np.ndarray, list[np.ndarray]] | None:
    """First-touch attribution shared by :func:`training_providers` and :func:`employers`.

    Parameters
    ----------
    scope : Scope
        The frames, ``as_of`` and the entry range (no window).
    first : str
        The milestone that credits a partner (``training_start`` or ``job_start``).
    after : tuple of str
        Milestones looked for on or after each participant's first ``first``.

    Returns
    -------
    tuple or None
        ``None`` when nobody entered or nobody reached ``first``; otherwise the as-at
        timestamp, the first ``first`` date and its partner per population row, and
        for each of ``after`` the first date on or after it (NaT when none).
    """
    stamp = scope.as_of
    population = scope.population()
    if population.empty:
        return None
    counted = counted_milestones(population, scope.milestones, as_of=stamp, kinds=[first, *after])
    size = len(population)
    start, partner = _first_touch(counted, first, size)
    if np.isnat(start).all():
        return None
    return stamp, start, partner, [_first_on_or_after(counted, kind, start, size) for kind in after]


def _median_days_to_work(
    start: np.ndarray, work: np.ndarray, codes: np.ndarray, k: int, stamp: pd.Timestamp
) -> pd.Series:
    """Kaplan–Meier median days from the first training start to work, per provider code.

    Those without work are censored at ``stamp`` (the as-at date); ``NaN`` where fewer
    than half are estimated to reach work in the follow-up.
    """
    reached = ~np.isnat(work)
    end = np.where(reached, work.astype("datetime64[D]"), np.datetime64(stamp.date(), "D"))
    durations = (end - start.astype("datetime64[D]")).astype("int64")
    table = kaplan_meier(durations, reached, codes)
    return survival_quantiles(table, {"median": 0.5}).reindex(range(k))["median"]


def training_providers(scope: Scope) -> pd.DataFrame:
    """Training providers: starts, completions and work after training, by first touch.

    Parameters
    ----------
    scope : Scope
        The frames, ``as_of`` and the entry range (:class:`~ete_metrics.counting.scope.Scope`);
        a scope with a window is refused.

    Returns
    -------
    pandas.DataFrame
        One row per provider with at least one attributed start, sorted by
        ``partner``: ``[partner, training_starts, training_completed,
        completion_rate, work_after_training, work_rate, median_days_to_work]``.

    Notes
    -----
    Only entered participants (``entry_date <= as_of``) and counted milestones
    (``entry_date <= date <= as_of``) are used.

    - ``training_starts``: participants whose FIRST counted ``training_start`` names
      this provider (first touch; a tie on the same day goes to the provider first
      alphabetically; a missing partner is "Not recorded").
    - ``training_completed``: of those, participants with a counted
      ``training_completed`` on or after that first start (with any provider).
    - ``work_after_training``: of those, participants with a counted ``job_start``
      on or after their first counted ``training_start`` (same day counts).
    - ``completion_rate`` and ``work_rate``: the two counts over ``training_starts``.
    - ``median_days_to_work``: Kaplan–Meier (Kaplan & Meier 1958) median of days from
      first training start to the first job start on or after it, censored at
      ``as_of`` for those without one: the smallest ``t`` with :math:`S(t) \\le 0.5`,
      ``NaN`` when fewer than half are estimated to reach work in the follow-up.
      Exits are not censoring events.
    """
    scope.refuse_window("Training providers")
    touched = _first_touches(scope, first="training_start", after=("training_completed", "job_start"))
    if touched is None:
        return _empty(TRAINING_PROVIDER_COLUMNS)
    stamp, start, partner, (completed, work) = touched
    trained = ~np.isnat(start)
    codes, names = pd.factorize(pd.Series(partner[trained], dtype=object), sort=True)
    k = len(names)
    reached = ~np.isnat(work[trained])
    median = _median_days_to_work(start[trained], work[trained], codes, k, stamp)
    starts = np.bincount(codes, minlength=k).astype("int64")
    n_completed = np.bincount(codes, weights=~np.isnat(completed[trained]), minlength=k).astype("int64")
    n_work = np.bincount(codes, weights=reached, minlength=k).astype("int64")
    return pd.DataFrame(
        {
            "partner": np.asarray(names, dtype=object),
            "training_starts": starts,
            "training_completed": n_completed,
            "completion_rate": n_completed / starts,
            "work_after_training": n_work,
            "work_rate": n_work / starts,
            "median_days_to_work": median.to_numpy(dtype="float64"),
        }
    )


def employers(scope: Scope) -> pd.DataFrame:
    """Employers: job starts and sustained jobs, by first touch.

    Parameters
    ----------
    scope : Scope
        The frames, ``as_of`` and the entry range (:class:`~ete_metrics.counting.scope.Scope`);
        a scope with a window is refused.

    Returns
    -------
    pandas.DataFrame
        One row per employer with at least one attributed job start, sorted by
        ``partner``: ``[partner, job_starts, job_sustained, sustained_rate]``.

    Notes
    -----
    - ``job_starts``: entered participants whose FIRST counted ``job_start``
      (``entry_date <= date <= as_of``) names this employer (first touch; a tie on
      the same day goes to the employer first alphabetically; a missing partner is
      "Not recorded").
    - ``job_sustained``: of those, participants with a counted ``job_sustained`` on
      or after that first job start (with any employer).
    - ``sustained_rate = job_sustained / job_starts``. Recent starters have had
      less time to sustain, so the rate is lower for recent periods.
    """
    scope.refuse_window("Employers")
    touched = _first_touches(scope, first="job_start", after=("job_sustained",))
    if touched is None:
        return _empty(EMPLOYER_COLUMNS)
    _, start, partner, (sustained,) = touched
    working = ~np.isnat(start)
    codes, names = pd.factorize(pd.Series(partner[working], dtype=object), sort=True)
    k = len(names)
    starts = np.bincount(codes, minlength=k).astype("int64")
    n_sustained = np.bincount(
        codes, weights=~np.isnat(sustained[working]), minlength=k
    ).astype("int64")
    return pd.DataFrame(
        {
            "partner": np.asarray(names, dtype=object),
            "job_starts": starts,
            "job_sustained": n_sustained,
            "sustained_rate": n_sustained / starts,
        }
    )
