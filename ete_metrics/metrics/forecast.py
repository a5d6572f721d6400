"""Forecast of cumulative training starts and job starts to the contract's end.

The measures are those of the contract targets (:mod:`ete_metrics.metrics.targets`): a
participant counts once, at their first counted ``training_start`` (``training``) or
``job_start`` (``work``) on or after the contract start. The forecast for a month is the
cumulative count at the end of that month (the last month ends the day before
:data:`ete_metrics.config.CONTRACT_END`).

Method
------
1. **Cohort curves as hazards.** From everyone entered by the as-at date, the monthly
   hazard ``h_k`` (the chance of a first start in month ``k`` since entry, for someone
   without one by then; a month is 30.4375 days) is events over people at risk, with an
   actuarial half-month for people whose follow-up ends inside month ``k``. Each region
   has its own hazards, shrunk towards the programme's: ``(events_r + 20 h_all) /
   (at_risk_r + 20)``, so a thin month borrows the programme's rate. Beyond the longest
   follow-up the last hazard carries on.
2. **People already in.** Someone entered ``d`` days ago without a start reaches one by a
   date ``t`` days ahead with probability ``1 - exp(-(H(d + t) - H(d)))``, where ``H`` is the
   cumulative hazard (piecewise linear in days).
3. **Future entrants.** Each region's entries per month continue at the mean of the last
   :data:`ENTRY_HISTORY_MONTHS` whole months before the as-at date (the entry profile);
   the number entering in a month is Poisson, each entering at mid-month.
4. **Intervals: analytic, not simulated.** Given the rates, people already in reach a
   start independently (a sum of Bernoulli variables: variance ``sum p (1 - p)``) and
   future entrants who reach one are a thinned Poisson count (variance = its mean);
   the uncertainty of the estimated entry rate adds ``(sum of p over future months)^2 x
   mean / months of history``. The total is treated as Normal (counts are in the
   hundreds), giving the 80% and 95% prediction intervals and the probability of
   reaching a target. Analytic because it is exact for this model, needs no random
   numbers (the same data always give the same figures) and runs in well under a second
   at a million participants; the back-test (``benchmarks/bench_forecast.py``) checks
   the coverage against what happened.

Back-test (``benchmarks/bench_forecast.py``, the demo programme cut at each month start
from June 2022 to March 2024): the outcome fell inside the 80% interval in 77% of cases
and inside the 95% interval in 95%. Before a year of data (cuts January to May 2022) the
cohort curves beyond the months seen are extrapolated and the forecast runs low (coverage
about 25% and 35%): read a forecast made in the contract's first year with care.

It does not foresee changes the data cannot show (a new partner, a change in referrals):
the intervals are for a programme that carries on as it has been.
"""

from __future__ import annotations

from collections.abc import Iterable
from statistics import NormalDist

import numpy as np
import pandas as pd

from ete_metrics import config
from ete_metrics.counting.population import (
    contract_as_of,
    counted_milestones,
    entered_population,
    first_milestone_dates,
)
from ete_metrics.counting.scope import Scope
from ete_metrics.steps import TRAINING, WORK

#: Columns of :func:`forecast_to_end`.
FORECAST_COLUMNS: tuple[str, ...] = (
    "region",
    "measure",
    "month",
    "actual_to_date",
    "forecast",
    "low_80",
    "high_80",
    "low_95",
    "high_95",
    "sd",
)

#: The measures forecast, with the milestone that counts for each.
FORECAST_MEASURES: dict[str, str] = {step.name: step.milestone or "" for step in (TRAINING, WORK)}
#: Months of entries before the as-at date whose mean continues into the future.
ENTRY_HISTORY_MONTHS: int = 6
#: Days in a month since entry.
MONTH_DAYS: float = 30.4375
#: Weight (in people at risk) of the programme's hazard in a region's.
SHRINK: float = 20.0
#: The label of the all-regions rows.
ALL_REGIONS = "All regions"

_Z80 = NormalDist().inv_cdf(0.9)
_Z95 = NormalDist().inv_cdf(0.975)
#: The standard Normal distribution (chances of reaching a target).
_STANDARD_NORMAL = NormalDist()


def _hazards(days: np.ndarray, event_days: np.ndarray, region: np.ndarray, n_regions: int) -> np.ndarray:
    """Monthly hazards per region (shrunk to the programme's), shape ``(n_regions, K)``.

    ``days``: follow-up in days (as-at date minus entry); ``event_days``: days from entry to
    the first start (-1 for none).
    """
    has_event = event_days >= 0
    end = np.where(has_event, event_days, days)
    last_month = (end / MONTH_DAYS).astype(np.int64)
    n_months = int(last_month.max()) + 1 if len(last_month) else 1
    size = n_regions * n_months
    # a person is at risk in full in the months before their last one; in the last one
    # in full if the event happens there, else half (actuarial: follow-up ends inside it)
    full_before = np.bincount(region * n_months + last_month, minlength=size).reshape(n_regions, n_months)
    started = full_before[:, ::-1].cumsum(axis=1)[:, ::-1]  # reached month k or later
    at_risk = started - full_before  # fully through month k (their last month is later)
    events = np.bincount(region[has_event] * n_months + last_month[has_event], minlength=size)
    events = events.reshape(n_regions, n_months).astype("float64")
    censored = full_before - events
    exposure = at_risk + events + 0.5 * censored
    total_events, total_exposure = events.sum(axis=0), exposure.sum(axis=0)
    overall = np.divide(total_events, total_exposure, out=np.zeros(n_months), where=total_exposure > 0)
    hazards = (events + SHRINK * overall) / (exposure + SHRINK)
    return np.clip(hazards, 0.0, 1.0 - 1e-12)


def _cumulative(hazards: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Cumulative hazard ``H`` at ``days`` since entry for each region (rows), piecewise linear.

    ``hazards``: ``(R, K)`` monthly hazards; ``days``: ``(R, N)`` or ``(N,)``. The last month's
    hazard carries on beyond ``K`` months.
    """
    rate = -np.log1p(-hazards) / MONTH_DAYS  # per day, within each month
    n_regions, n_months = hazards.shape
    knots = np.concatenate([np.zeros((n_regions, 1)), np.cumsum(rate * MONTH_DAYS, axis=1)], axis=1)
    d = np.broadcast_to(np.asarray(days, dtype="float64"), (n_regions, *np.shape(days)[-1:])).copy()
    month = np.minimum((d / MONTH_DAYS).astype(np.int64), n_months - 1)
    rows = np.arange(n_regions)[:, None]
    return knots[rows, month] + rate[rows, month] * (d - month * MONTH_DAYS)


def _month_ends(stamp: pd.Timestamp) -> pd.DatetimeIndex:
    """Month starts from the as-at date's month to the contract's last month."""
    end = pd.Timestamp(config.CONTRACT_END) - pd.Timedelta(days=1)
    return pd.date_range(stamp.to_period("M").to_timestamp(), end, freq="MS")


def _entry_rates(
    entry: np.ndarray, region: np.ndarray, keep: np.ndarray, stamp: pd.Timestamp, n_regions: int
) -> tuple[np.ndarray, np.ndarray, int]:
    """Entries a month per region (the mean of the last whole months before the as-at
    date), their month-to-month variance (at least Poisson's, the mean) and the number
    of months they are worked out from."""
    start = pd.Timestamp(config.CONTRACT_START)
    this_month = stamp.to_period("M").to_timestamp().to_datetime64()
    history_start = (stamp.to_period("M") - ENTRY_HISTORY_MONTHS).to_timestamp().to_datetime64()
    recent = keep & (entry >= history_start) & (entry < this_month)
    history = max(min(ENTRY_HISTORY_MONTHS, (stamp.to_period("M") - start.to_period("M")).n), 1)
    entry_month = (entry[recent].astype("datetime64[M]") - this_month.astype("datetime64[M]")).astype(np.int64) + history
    monthly = np.zeros((n_regions, history))
    inside = entry_month >= 0
    np.add.at(monthly, (region[recent][inside], entry_month[inside]), 1.0)
    entry_rate = monthly.mean(axis=1)
    entry_var = np.maximum(monthly.var(axis=1, ddof=1) if history > 1 else entry_rate, entry_rate)
    return entry_rate, entry_var, history


def _future_entry(months: pd.DatetimeIndex, stamp: pd.Timestamp) -> tuple[np.ndarray, np.ndarray]:
    """Future entrants of each month (the rest of this month, then each month to the end):
    the share of the month still to come, and the day (from the as-at date) they enter
    on, mid-way through it."""
    today = stamp.to_datetime64().astype("datetime64[D]")
    month_starts = months.to_numpy(dtype="datetime64[D]")
    next_starts = (months + pd.offsets.MonthBegin(1)).to_numpy(dtype="datetime64[D]")
    from_day = np.maximum(month_starts, today + 1)
    share = (next_starts - from_day).astype("float64") / (next_starts - month_starts).astype("float64")
    mid_entry = (from_day + (next_starts - from_day) // 2 - today).astype(np.int64)
    return share, mid_entry


def _waiting(
    hazards: np.ndarray, days: np.ndarray, region: np.ndarray, waiting: np.ndarray, ahead: np.ndarray,
    mean: np.ndarray, var: np.ndarray,
) -> None:
    """Add the people already in without a start (grouped by region and days since
    entry), each reaching it by each horizon with the hazards' chance, to ``mean`` and
    ``var`` (regions x horizons; changed in place)."""
    n_regions = mean.shape[0]
    key = region[waiting] * (int(days.max()) + 1 if len(days) else 1) + days[waiting]
    unique_keys, size = np.unique(key, return_counts=True)
    span = int(days.max()) + 1 if len(days) else 1
    w_region, w_days = unique_keys // span, (unique_keys % span).astype("float64")
    if not len(unique_keys):
        return
    h_now = _cumulative(hazards, w_days)[w_region, np.arange(len(w_region))]
    for j in range(len(ahead)):
        h_then = _cumulative(hazards, w_days + ahead[j])[w_region, np.arange(len(w_region))]
        p = 1.0 - np.exp(-(h_then - h_now))
        mean[:, j] += np.bincount(w_region, weights=size * p, minlength=n_regions)
        var[:, j] += np.bincount(w_region, weights=size * p * (1 - p), minlength=n_regions)


def _entrants(
    hazards: np.ndarray, ahead: np.ndarray, entry: tuple[np.ndarray, np.ndarray, int],
    future: tuple[np.ndarray, np.ndarray], mean: np.ndarray, var: np.ndarray,
) -> None:
    """Add the future entrants, Poisson(rate x share of month) entering at mid-month, to
    ``mean`` and ``var`` (changed in place); ``entry`` is :func:`_entry_rates`' output and
    ``future`` :func:`_future_entry`'s."""
    entry_rate, entry_var, history = entry
    share, mid_entry = future
    for j in range(len(ahead)):
        left = ahead[j] - mid_entry[: j + 1]
        valid = left > 0
        if not valid.any():
            continue
        p = 1.0 - np.exp(-_cumulative(hazards, np.where(valid, left, 0.0)))  # (R, j+1)
        p = np.where(valid, p, 0.0)
        weight = share[None, : j + 1] * p
        mean[:, j] += (entry_rate[:, None] * weight).sum(axis=1)
        # N entrants a month (variance v) each reaching with chance p: m p (1 - p) + v p^2
        var[:, j] += (entry_rate[:, None] * weight * (1 - p) + entry_var[:, None] * weight**2).sum(axis=1)
        # the entry level itself is estimated from `history` months
        var[:, j] += weight.sum(axis=1) ** 2 * entry_var / history


def forecast_to_end(scope: Scope, *, regions: Iterable[str] | None = None) -> pd.DataFrame:
    """Forecast each region's cumulative training and job starts month by month to the end.

    Parameters
    ----------
    scope : Scope
        The frames and ``as_of`` (only data up to it is used); no entry range or window
        (:class:`~ete_metrics.counting.scope.Scope`).
    regions : iterable of str, optional
        Default :func:`ete_metrics.config.regions`. An ``"All regions"`` total follows
        when there is more than one.

    Returns
    -------
    pandas.DataFrame
        :data:`FORECAST_COLUMNS`: one row per region, measure and month from the as-at
        date's month to the contract's last month. ``month`` is the month's first day,
        ``actual_to_date`` the cumulative count at ``as_of``, ``forecast`` the expected
        cumulative count at the month's end, ``low_80`` ... ``high_95`` the prediction
        intervals (never below ``actual_to_date``) and ``sd`` the standard deviation.
        Empty when ``as_of`` is on or after the contract's end.

    Raises
    ------
    InputError
        When ``as_of`` is before the contract start, or the scope has an entry range or window.
    """
    scope.refuse_window("Forecasts")
    scope.refuse_entry_range("Forecasts")
    stamp = contract_as_of(scope.as_of)
    start = pd.Timestamp(config.CONTRACT_START)
    names = list(config.regions()) if regions is None else ([regions] if isinstance(regions, str) else list(regions))
    months = _month_ends(stamp)
    horizon_ends = (months + pd.offsets.MonthEnd(0)).to_numpy(dtype="datetime64[D]")
    ahead = (horizon_ends - stamp.to_datetime64().astype("datetime64[D]")).astype(np.int64).astype("float64")
    n_regions, n_horizons = len(names), len(months)

    narrow = scope.participants[["participant_id", "region", "entry_date"]]
    population = entered_population(narrow, as_of=stamp)
    region = pd.Index(names, dtype=object).get_indexer(pd.Index(population["region"].astype(object)))
    keep = region >= 0
    entry = population["entry_date"].to_numpy(dtype="datetime64[D]")
    days = (stamp.to_datetime64().astype("datetime64[D]") - entry).astype(np.int64)
    counted = counted_milestones(population, scope.milestones, as_of=stamp, kinds=tuple(FORECAST_MEASURES.values()))
    entry_rates = _entry_rates(entry, region, keep, stamp, n_regions)
    future = _future_entry(months, stamp)

    frames = []
    for measure, kind in FORECAST_MEASURES.items():
        first = first_milestone_dates(counted, kind, len(population)).astype("datetime64[D]")
        reached = ~np.isnat(first)
        event_days = np.where(reached, (first - entry).astype(np.int64), -1)
        hazards = _hazards(days[keep], event_days[keep], region[keep], n_regions)
        in_contract = reached & (first >= start.to_datetime64().astype("datetime64[D]"))
        actual = np.bincount(region[keep & in_contract], minlength=n_regions).astype("float64")
        mean = np.tile(actual[:, None], (1, n_horizons))
        var = np.zeros((n_regions, n_horizons))
        _waiting(hazards, days, region, keep & ~reached, ahead, mean, var)
        _entrants(hazards, ahead, entry_rates, future, mean, var)
        frames.append(_rows(names, measure, months, actual, mean, var))
        if n_regions > 1:
            frames.append(_rows([ALL_REGIONS], measure, months, actual.sum(keepdims=True),
                                mean.sum(axis=0, keepdims=True), var.sum(axis=0, keepdims=True)))
    if not frames or n_horizons == 0:
        return pd.DataFrame({c: pd.Series([], dtype=_DTYPES[c]) for c in FORECAST_COLUMNS})
    out = pd.concat(frames, ignore_index=True)
    order = {name: i for i, name in enumerate([*names, ALL_REGIONS])}
    out = out.sort_values(["region", "measure", "month"], key=lambda s: s.map(order) if s.name == "region" else s,
                          kind="stable")
    return out.reset_index(drop=True)


def _rows(names: list[str], measure: str, months: pd.DatetimeIndex, actual: np.ndarray,
          mean: np.ndarray, var: np.ndarray) -> pd.DataFrame:
    sd = np.sqrt(var)
    floor = actual[:, None]
    n = len(months)
    return pd.DataFrame(
        {
            "region": np.repeat(np.array(names, dtype=object), n),
            "measure": measure,
            "month": np.tile(months.to_numpy(dtype="datetime64[ns]"), len(names)),
            "actual_to_date": np.repeat(actual, n).astype("int64"),
            "forecast": mean.reshape(-1),
            "low_80": np.maximum(mean - _Z80 * sd, floor).reshape(-1),
            "high_80": (mean + _Z80 * sd).reshape(-1),
            "low_95": np.maximum(mean - _Z95 * sd, floor).reshape(-1),
            "high_95": (mean + _Z95 * sd).reshape(-1),
            "sd": sd.reshape(-1),
        }
    )


def probability_of_reaching(forecast: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    """The chance each region reaches its contract target for each measure by the end.

    Parameters
    ----------
    forecast : pandas.DataFrame
        From :func:`forecast_to_end` (its last month is the contract's last).
    targets : pandas.DataFrame
        Targets in the import format; a region's contract target for a measure is the
        sum of its targets (``All regions``: of every region's).

    Returns
    -------
    pandas.DataFrame
        ``[region, measure, contract_target, forecast, low_95, high_95, probability]``:
        ``probability`` is ``P(N >= target)`` for the Normal forecast ``N`` with a
        continuity correction, ``1 - Phi((target - 0.5 - forecast) / sd)`` (1 or 0 when
        ``sd`` is 0); ``NaN`` where there is no target.
    """
    columns = ["region", "measure", "contract_target", "forecast", "low_95", "high_95", "probability"]
    if forecast.empty:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    last = forecast.loc[forecast["month"] == forecast["month"].max()].reset_index(drop=True)
    by_pair = targets.assign(region=targets["region"].astype(object), measure=targets["measure"].astype(object))
    sums = by_pair.groupby(["region", "measure"])["target"].sum()
    overall = by_pair.groupby("measure")["target"].sum()
    target = np.array([
        overall.get(m, np.nan) if r == ALL_REGIONS else sums.get((r, m), np.nan)
        for r, m in zip(last["region"], last["measure"], strict=True)
    ], dtype="float64")
    mean, sd = last["forecast"].to_numpy(dtype="float64"), last["sd"].to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (target - 0.5 - mean) / sd
    # P(N >= target) = Phi(-z): the standard library's Normal, not SciPy (a second to load)
    upper = np.array([_STANDARD_NORMAL.cdf(-value) for value in z.tolist()], dtype="float64")
    probability = np.where(sd > 0, upper, (mean >= target - 0.5).astype("float64"))
    probability = np.where(np.isnan(target), np.nan, probability)
    out = last[["region", "measure"]].copy()
    out["contract_target"] = target
    out["forecast"] = mean
    out["low_95"] = last["low_95"].to_numpy()
    out["high_95"] = last["high_95"].to_numpy()
    out["probability"] = probability
    return out


_DTYPES = {
    "region": "object",
    "measure": "object",
    "month": "datetime64[ns]",
    "actual_to_date": "int64",
    "forecast": "float64",
    "low_80": "float64",
    "high_80": "float64",
    "low_95": "float64",
    "high_95": "float64",
    "sd": "float64",
}
