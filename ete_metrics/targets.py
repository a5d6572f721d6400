"""Contract targets against actual performance, with RAG ratings and projections.

Actuals per measure (a participant counts in the period when):

- ``referred``: their ``referral_date`` falls in the period (and is on or before ``as_of``);
- ``entered``: their ``entry_date`` falls in the period (and is on or before ``as_of``);
- ``training`` / ``work``: their FIRST counted ``training_start`` / ``job_start``
  (counted = ``entry_date <= date <= as_of``) falls in the period.

Periods are calendar months, or calendar quarters (January, April, July, October
starts, so the financial-year quarters too), from the one containing the contract
start (:data:`ete_metrics.config.CONTRACT_START`) to the one containing ``as_of``. The
RAG rating compares cumulative actual with cumulative target: green at 100% or more
(:data:`~ete_metrics.config.RAG_GREEN_FROM`), amber from 86%
(:data:`~ete_metrics.config.RAG_AMBER_FROM`), red below.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction

import numpy as np
import pandas as pd

from ete_metrics import config
from ete_metrics.errors import InputError
from ete_metrics.population import (
    AsOf,
    counted_milestones,
    entered_population,
    first_milestone_dates,
    to_timestamp,
)

#: Columns of :func:`targets_vs_actual`.
TARGET_VS_ACTUAL_COLUMNS: tuple[str, ...] = (
    "region",
    "period_start",
    "measure",
    "target",
    "actual",
    "cumulative_target",
    "cumulative_actual",
    "percent_achieved",
    "rag",
)

#: Columns of :func:`target_summary`.
TARGET_SUMMARY_COLUMNS: tuple[str, ...] = (
    "region",
    "measure",
    "actual_to_date",
    "target_to_date",
    "percent_achieved",
    "rag",
    "contract_target",
    "projected_at_end",
    "projected_percent",
)

#: Region label of the all-regions rows of :func:`target_summary`.
ALL_REGIONS = "All regions"

_PERIODS = ("month", "quarter")


def rag_rating(actual: Iterable[float] | np.ndarray, target: Iterable[float] | np.ndarray) -> np.ndarray:
    """Red/amber/green rating of actual against target, compared exactly.

    Parameters
    ----------
    actual, target : array-like of int
        Cumulative actual and cumulative target.

    Returns
    -------
    numpy.ndarray of object
        ``"green"`` when ``actual / target >= config.RAG_GREEN_FROM`` (1.00), ``"amber"``
        when ``>= config.RAG_AMBER_FROM`` (0.86), ``"red"`` otherwise, ``None`` where the
        target is 0 (no target). The thresholds are read as exact decimals and compared
        in integer arithmetic (``actual * 100 >= 86 * target``), so 86 of 100 is amber
        and 859 of 1,000 is red without floating-point doubt.
    """
    actual_values = np.asarray(actual, dtype=object)
    target_values = np.asarray(target, dtype=object)
    green = Fraction(str(config.RAG_GREEN_FROM))
    amber = Fraction(str(config.RAG_AMBER_FROM))
    out = np.empty(len(actual_values), dtype=object)
    for i, (a, t) in enumerate(zip(actual_values, target_values, strict=True)):
        if t is None or pd.isna(t) or t <= 0:
            out[i] = None
            continue
        a, t = int(a), int(t)
        if a * green.denominator >= green.numerator * t:
            out[i] = "green"
        elif a * amber.denominator >= amber.numerator * t:
            out[i] = "amber"
        else:
            out[i] = "red"
    return out


def _period_start(dates: pd.Series | pd.DatetimeIndex, period: str) -> pd.Series:
    values = pd.Series(pd.to_datetime(dates)).astype("datetime64[ns]")
    months = values.dt.to_period("M" if period == "month" else "Q")
    return months.dt.start_time.astype("datetime64[ns]")


def _periods(as_of: pd.Timestamp, period: str) -> pd.DatetimeIndex:
    start = _period_start(pd.Series([pd.Timestamp(config.CONTRACT_START)]), period).iloc[0]
    end = _period_start(pd.Series([as_of]), period).iloc[0]
    frequency = "MS" if period == "month" else "QS"
    return pd.DatetimeIndex(pd.date_range(start, end, freq=frequency), dtype="datetime64[ns]")


def _actual_events(
    participants: pd.DataFrame, milestones: pd.DataFrame, stamp: pd.Timestamp
) -> pd.DataFrame:
    """One row per participant and measure reached: [region, measure, date]."""
    parts = []
    for measure, column in (("referred", "referral_date"), ("entered", "entry_date")):
        dates = participants[column]
        mask = (dates.notna() & (dates <= stamp)).to_numpy(dtype=bool)
        parts.append(
            pd.DataFrame(
                {
                    "region": participants["region"].to_numpy(dtype=object)[mask],
                    "measure": measure,
                    "date": dates.to_numpy(dtype="datetime64[ns]")[mask],
                }
            )
        )
    population = entered_population(participants, as_of=stamp)
    counted = counted_milestones(
        population, milestones, as_of=stamp, kinds=("training_start", "job_start")
    )
    for measure, kind in (("training", "training_start"), ("work", "job_start")):
        first = first_milestone_dates(counted, kind, len(population))
        mask = ~np.isnat(first)
        parts.append(
            pd.DataFrame(
                {
                    "region": population["region"].to_numpy(dtype=object)[mask],
                    "measure": measure,
                    "date": first[mask],
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _region_list(regions: Iterable[str] | None) -> list[str]:
    if regions is None:
        return list(config.regions())
    return [regions] if isinstance(regions, str) else list(regions)


def targets_vs_actual(
    participants: pd.DataFrame,
    milestones: pd.DataFrame,
    targets: pd.DataFrame,
    *,
    as_of: AsOf,
    period: str = "month",
    regions: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Target and actual per region, period and measure, with cumulative sums and RAG.

    Parameters
    ----------
    participants, milestones : pandas.DataFrame
        In the import format.
    targets : pandas.DataFrame
        Targets in :data:`ete_metrics.frames.TARGET_COLUMNS` format (``period_start``
        any day; targets are summed into the period containing it).
    as_of : date-like
    period : {"month", "quarter"}, default "month"
        Calendar months or calendar quarters.
    regions : iterable of str, optional
        Regions to report; default :func:`ete_metrics.config.regions`.

    Returns
    -------
    pandas.DataFrame
        Columns ``[region, period_start, measure, target, actual, cumulative_target,
        cumulative_actual, percent_achieved, rag]``: one row per region, period (from the
        contract start's period to the period containing ``as_of``) and measure
        (:data:`ete_metrics.config.MEASURES`), sorted in that order. ``target`` and
        ``actual`` are int64 (0 when none); cumulative sums run over the periods within
        region and measure; ``percent_achieved = cumulative_actual /
        cumulative_target`` (fraction, NaN with no target yet) and ``rag`` from
        :func:`rag_rating`.

    Raises
    ------
    InputError
        For an unknown ``period``.
    """
    if period not in _PERIODS:
        raise InputError(f"Unknown period {period!r}: choose month or quarter.")
    stamp = to_timestamp(as_of)
    names = _region_list(regions)
    periods = _periods(stamp, period)
    measures = list(config.MEASURES)
    grid = pd.MultiIndex.from_product(
        [names, periods, measures], names=["region", "period_start", "measure"]
    )
    if len(grid) == 0:
        return pd.DataFrame({c: pd.Series([], dtype=_DTYPES[c]) for c in TARGET_VS_ACTUAL_COLUMNS})

    events = _actual_events(participants, milestones, stamp)
    events = events.loc[events["region"].isin(names).to_numpy(dtype=bool)].copy()
    events["period_start"] = _period_start(events["date"], period).to_numpy()
    actual = events.groupby(["region", "period_start", "measure"]).size()

    wanted = targets.loc[
        (targets["region"].isin(names) & targets["measure"].isin(measures)).to_numpy(dtype=bool)
    ].copy()
    wanted["period_start"] = _period_start(wanted["period_start"], period).to_numpy()
    target = wanted.groupby(["region", "period_start", "measure"])["target"].sum()

    out = pd.DataFrame(index=grid)
    out["target"] = target.reindex(grid, fill_value=0).to_numpy(dtype="int64")
    out["actual"] = actual.reindex(grid, fill_value=0).to_numpy(dtype="int64")
    out = out.reset_index()
    out["region"] = out["region"].astype(object)
    out["measure"] = out["measure"].astype(object)
    out["period_start"] = out["period_start"].astype("datetime64[ns]")
    series = out.groupby(["region", "measure"], sort=False)
    out["cumulative_target"] = series["target"].cumsum().astype("int64")
    out["cumulative_actual"] = series["actual"].cumsum().astype("int64")
    cumulative_target = out["cumulative_target"].to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        percent = np.where(
            cumulative_target > 0, out["cumulative_actual"].to_numpy() / cumulative_target, np.nan
        )
    out["percent_achieved"] = percent
    out["rag"] = rag_rating(out["cumulative_actual"].to_numpy(), out["cumulative_target"].to_numpy())
    return out[list(TARGET_VS_ACTUAL_COLUMNS)]


def target_summary(
    participants: pd.DataFrame,
    milestones: pd.DataFrame,
    targets: pd.DataFrame,
    *,
    as_of: AsOf,
    regions: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Performance to date against target per region and measure, with a projection.

    Definitions: ``actual_to_date`` and ``target_to_date`` are the cumulative actual and
    target of :func:`targets_vs_actual` (monthly) up to the month containing ``as_of``
    (that month's target counted in full). ``contract_target`` is the sum of all the
    region's targets for the measure. The run-rate projection is::

        elapsed_days     = (as_of - CONTRACT_START).days + 1   (as_of counts; at most the total)
        total_days       = (CONTRACT_END - CONTRACT_START).days (CONTRACT_END is the day after)
        projected_at_end = actual_to_date / elapsed_days * total_days
        projected_percent = projected_at_end / contract_target

    Parameters
    ----------
    participants, milestones, targets : pandas.DataFrame
        In the import format.
    as_of : date-like
    regions : iterable of str, optional
        Default :func:`ete_metrics.config.regions`.

    Returns
    -------
    pandas.DataFrame
        Columns ``[region, measure, actual_to_date, target_to_date, percent_achieved,
        rag, contract_target, projected_at_end, projected_percent]``: one row per region
        and measure, then the ``"All regions"`` rows (sums over the regions). Fractions
        are NaN (and ``rag`` None) where the target is 0.

    Raises
    ------
    InputError
        When ``as_of`` is before the contract start.
    """
    stamp = to_timestamp(as_of)
    start = pd.Timestamp(config.CONTRACT_START)
    end = pd.Timestamp(config.CONTRACT_END)
    if stamp < start:
        raise InputError(
            f"as_of {stamp.date()} is before the contract start {start.date()}: choose a later date."
        )
    names = _region_list(regions)
    monthly = targets_vs_actual(
        participants, milestones, targets, as_of=stamp, period="month", regions=names
    )
    if monthly.empty:
        return pd.DataFrame({c: pd.Series([], dtype=_DTYPES[c]) for c in TARGET_SUMMARY_COLUMNS})
    last = monthly.loc[monthly["period_start"] == monthly["period_start"].max()]
    per_region = last[["region", "measure", "cumulative_actual", "cumulative_target"]].rename(
        columns={"cumulative_actual": "actual_to_date", "cumulative_target": "target_to_date"}
    )
    wanted = targets.loc[targets["region"].isin(names).to_numpy(dtype=bool)]
    contract = wanted.groupby(["region", "measure"])["target"].sum()
    per_region = per_region.merge(
        contract.rename("contract_target").reset_index(), on=["region", "measure"], how="left"
    )
    per_region["contract_target"] = per_region["contract_target"].fillna(0).astype("int64")
    overall = per_region.groupby("measure", sort=False)[
        ["actual_to_date", "target_to_date", "contract_target"]
    ].sum()
    overall = overall.reset_index()
    overall.insert(0, "region", ALL_REGIONS)
    out = pd.concat([per_region, overall], ignore_index=True)

    total_days = (end - start).days
    elapsed_days = min((stamp - start).days + 1, total_days)
    actual = out["actual_to_date"].to_numpy(dtype="float64")
    target = out["target_to_date"].to_numpy(dtype="float64")
    contract_target = out["contract_target"].to_numpy(dtype="float64")
    projected = actual / elapsed_days * total_days
    with np.errstate(divide="ignore", invalid="ignore"):
        percent = np.where(target > 0, actual / target, np.nan)
        projected_percent = np.where(contract_target > 0, projected / contract_target, np.nan)
    out["percent_achieved"] = percent
    out["rag"] = rag_rating(out["actual_to_date"].to_numpy(), out["target_to_date"].to_numpy())
    out["projected_at_end"] = projected
    out["projected_percent"] = projected_percent
    for column in ("actual_to_date", "target_to_date", "contract_target"):
        out[column] = out[column].astype("int64")
    out["region"] = out["region"].astype(object)
    out["measure"] = out["measure"].astype(object)
    return out[list(TARGET_SUMMARY_COLUMNS)].reset_index(drop=True)


_DTYPES = {
    "region": "object",
    "period_start": "datetime64[ns]",
    "measure": "object",
    "target": "int64",
    "actual": "int64",
    "cumulative_target": "int64",
    "cumulative_actual": "int64",
    "percent_achieved": "float64",
    "rag": "object",
    "actual_to_date": "int64",
    "target_to_date": "int64",
    "contract_target": "int64",
    "projected_at_end": "float64",
    "projected_percent": "float64",
}
