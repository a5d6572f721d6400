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

import numpy as np
import pandas as pd

from ete_metrics import config
from ete_metrics.counting.population import (
    AsOf,
    contract_as_of,
    counted_milestones,
    entered_population,
    first_milestone_dates,
)
from ete_metrics.counting.scope import Scope
from ete_metrics.errors import InputError
from ete_metrics.steps import ENTERED, REFERRED, TARGET_MEASURES, TRAINING, WORK, rag_rating

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
    "contract_elapsed",
    "projected_at_end",
    "projected_percent",
)

#: Region label of the all-regions rows of :func:`target_summary`.
ALL_REGIONS = "All regions"

_PERIODS = ("month", "quarter")


def _periods(as_of: pd.Timestamp, period: str) -> pd.DatetimeIndex:
    """Period starts from the one containing the contract start to the one containing ``as_of``."""
    first, last = _period_keys(
        np.array([np.datetime64(config.CONTRACT_START), as_of.to_datetime64()], dtype="datetime64[ns]"),
        period,
    )
    months = np.arange(first, last + 1) * (1 if period == "month" else 3)
    return pd.DatetimeIndex(months.astype("datetime64[M]").astype("datetime64[ns]"))


def _period_keys(values: np.ndarray, period: str) -> np.ndarray:
    """Calendar month (or quarter) numbers since 1970 of ``datetime64`` values (NaT very negative)."""
    months = values.astype("datetime64[M]").astype("int64")
    return months if period == "month" else np.floor_divide(months, 3)


def _region_codes(regions: pd.Series, names: list[str]) -> np.ndarray:
    """Position of each value among ``names`` (unique), -1 when absent or missing."""
    codes, uniques = pd.factorize(regions)
    lookup = np.append(pd.Index(names, dtype=object).get_indexer(pd.Index(uniques, dtype=object)), -1)
    return lookup[codes]


def _actual_counts(
    participants: pd.DataFrame,
    milestones: pd.DataFrame,
    stamp: pd.Timestamp,
    names: list[str],
    periods: pd.DatetimeIndex,
    period: str,
) -> np.ndarray:
    """Participants reaching each measure, counted per (region, period, measure).

    One count per participant and measure reached, at the date it was reached: the
    referral and entry dates on or before ``as_of``, and the first counted training
    start / job start of the entered population (:func:`counted_milestones`). Returns
    an int64 array of shape ``(len(names), len(periods), len(MEASURES))`` (``names``
    unique); dates outside the periods are not counted.
    """
    measures = list(TARGET_MEASURES)
    n_periods = len(periods)
    shape = (len(names), n_periods, len(measures))
    size = int(np.prod(shape))
    base = int(_period_keys(periods.to_numpy(dtype="datetime64[ns]")[:1], period)[0])
    counts = np.zeros(size, dtype="int64")

    def add(region: np.ndarray, dates: np.ndarray, measure: str) -> None:
        index = _period_keys(dates, period) - base
        valid = (region >= 0) & (index >= 0) & (index < n_periods)
        flat = (region[valid] * n_periods + index[valid]) * len(measures) + measures.index(measure)
        counts[:] += np.bincount(flat, minlength=size)

    region = _region_codes(participants["region"], names)
    for measure, column in ((REFERRED.name, "referral_date"), (ENTERED.name, "entry_date")):
        if measure not in measures:
            continue
        dates = participants[column].to_numpy(dtype="datetime64[ns]")
        reached = ~np.isnat(dates) & (dates <= stamp.to_datetime64())
        add(region[reached], dates[reached], measure)
    narrow = participants[["participant_id", "region", "entry_date"]]
    population = entered_population(narrow, as_of=stamp)
    counted = counted_milestones(
        population, milestones, as_of=stamp, kinds=("training_start", "job_start")
    )
    population_region = _region_codes(population["region"], names)
    for measure, kind in ((TRAINING.name, "training_start"), (WORK.name, "job_start")):
        if measure not in measures:
            continue
        first = first_milestone_dates(counted, kind, len(population))
        reached = ~np.isnat(first)
        add(population_region[reached], first[reached], measure)
    return counts.reshape(shape)


def _region_list(regions: Iterable[str] | None) -> list[str]:
    if regions is None:
        return list(config.regions())
    return [regions] if isinstance(regions, str) else list(regions)


def _target_counts(
    targets: pd.DataFrame, names: list[str], periods: pd.DatetimeIndex, period: str
) -> np.ndarray:
    """The targets summed into (region, period, measure) cells, int64, ``names`` unique."""
    measures = list(TARGET_MEASURES)
    target_counts = np.zeros((len(names), len(periods), len(measures)), dtype="int64")
    region = _region_codes(targets["region"], names)
    measure = _region_codes(targets["measure"], measures)
    index = _period_keys(pd.to_datetime(targets["period_start"]).to_numpy(dtype="datetime64[ns]"), period)
    index -= _period_keys(periods.to_numpy(dtype="datetime64[ns]")[:1], period)[0]
    known = (region >= 0) & (measure >= 0) & (index >= 0) & (index < len(periods))
    np.add.at(
        target_counts,
        (region[known], index[known], measure[known]),
        targets["target"].to_numpy(dtype="int64")[known],
    )
    return target_counts


def _running_totals(names: list[str], counts: np.ndarray) -> np.ndarray:
    """Running totals over the periods (axis 1) of each region and measure; a region named
    twice carries on from its first rows, as one series."""
    cumulative = counts.cumsum(axis=1)
    first_row: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in first_row:
            cumulative[i] += cumulative[first_row[name], -1]
        first_row[name] = i
    return cumulative


def targets_vs_actual(
    scope: Scope,
    targets: pd.DataFrame,
    *,
    period: str = "month",
    regions: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Target and actual per region, period and measure, with cumulative sums and RAG.

    Parameters
    ----------
    scope : Scope
        The frames and ``as_of``; no entry range or window
        (:class:`~ete_metrics.counting.scope.Scope`).
    targets : pandas.DataFrame
        Targets in :data:`ete_metrics.data.frames.TARGET_COLUMNS` format (``period_start``
        any day; targets are summed into the period containing it).
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
        (:data:`ete_metrics.steps.TARGET_MEASURES`), sorted in that order. ``target`` and
        ``actual`` are int64 (0 when none); cumulative sums run over the periods within
        region and measure; ``percent_achieved = cumulative_actual /
        cumulative_target`` (fraction, NaN with no target yet) and ``rag`` from
        :func:`rag_rating`.

    Raises
    ------
    InputError
        For an unknown ``period``, or a scope with an entry range or a window.
    """
    if period not in _PERIODS:
        raise InputError(f"Unknown period {period!r}: choose month or quarter.")
    scope.refuse_window("Targets")
    scope.refuse_entry_range("Targets")
    stamp = scope.as_of
    names = _region_list(regions)
    periods = _periods(stamp, period)
    measures = list(TARGET_MEASURES)
    if not (names and len(periods) and measures):
        return pd.DataFrame({c: pd.Series([], dtype=_DTYPES[c]) for c in TARGET_VS_ACTUAL_COLUMNS})

    unique_names = list(dict.fromkeys(names))
    counts = _actual_counts(scope.participants, scope.milestones, stamp, unique_names, periods, period)
    rows = [unique_names.index(name) for name in names]
    actual = counts[rows]
    target = _target_counts(targets, unique_names, periods, period)[rows]
    cumulative_target, cumulative_actual = _running_totals(names, target), _running_totals(names, actual)
    n_periods, n_measures = len(periods), len(measures)
    cumulative_target_flat = cumulative_target.reshape(-1)
    cumulative_actual_flat = cumulative_actual.reshape(-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        percent = np.where(
            cumulative_target_flat > 0,
            cumulative_actual_flat / cumulative_target_flat.astype("float64"),
            np.nan,
        )
    out = pd.DataFrame(
        {
            "region": pd.Series(np.repeat(np.array(names, dtype=object), n_periods * n_measures), dtype=object),
            "period_start": np.tile(np.repeat(periods.to_numpy(dtype="datetime64[ns]"), n_measures), len(names)),
            "measure": pd.Series(np.tile(np.array(measures, dtype=object), len(names) * n_periods), dtype=object),
            "target": target.reshape(-1),
            "actual": actual.reshape(-1).astype("int64"),
            "cumulative_target": cumulative_target_flat,
            "cumulative_actual": cumulative_actual_flat,
            "percent_achieved": percent,
            "rag": rag_rating(cumulative_actual_flat, cumulative_target_flat),
        }
    )
    return out[list(TARGET_VS_ACTUAL_COLUMNS)]


def target_summary(
    scope: Scope, targets: pd.DataFrame, *, regions: Iterable[str] | None = None
) -> pd.DataFrame:
    """Performance to date against target per region and measure, with a projection.

    Definitions: ``actual_to_date`` and ``target_to_date`` are the cumulative actual and
    target of :func:`targets_vs_actual` (monthly) up to the month containing ``as_of``
    (that month's target counted in full). ``contract_target`` is the sum of all the
    region's targets for the measure. The run-rate projection is::

        elapsed_days     = (as_of - CONTRACT_START).days + 1   (as_of counts; at most the total)
        total_days       = (CONTRACT_END - CONTRACT_START).days (CONTRACT_END is the day after)
        contract_elapsed = elapsed_days / total_days      (the share of the contract elapsed)
        projected_at_end = actual_to_date / elapsed_days * total_days
        projected_percent = projected_at_end / contract_target

    Parameters
    ----------
    scope : Scope
        The frames and ``as_of``; no entry range or window
        (:class:`~ete_metrics.counting.scope.Scope`).
    targets : pandas.DataFrame
        In the import format.
    regions : iterable of str, optional
        Default :func:`ete_metrics.config.regions`.

    Returns
    -------
    pandas.DataFrame
        Columns ``[region, measure, actual_to_date, target_to_date, percent_achieved,
        rag, contract_target, contract_elapsed, projected_at_end, projected_percent]``: one
        row per region
        and measure, then the ``"All regions"`` rows (sums over the regions). Fractions
        are NaN (and ``rag`` None) where the target is 0.

    Raises
    ------
    InputError
        When ``as_of`` is before the contract start.
    """
    stamp = contract_as_of(scope.as_of)
    monthly = targets_vs_actual(scope, targets, period="month", regions=regions)
    return summarise_targets(monthly, targets, as_of=stamp, regions=regions)


def _contract_targets(targets: pd.DataFrame, names: list[str]) -> np.ndarray:
    """Each named region's whole-contract target per measure (regions x measures, int64)."""
    unique_names = list(dict.fromkeys(names))
    contract = np.zeros((len(unique_names), len(TARGET_MEASURES)), dtype="int64")
    region = _region_codes(targets["region"], unique_names)
    measure = _region_codes(targets["measure"], list(TARGET_MEASURES))
    known = (region >= 0) & (measure >= 0)
    np.add.at(contract, (region[known], measure[known]), targets["target"].to_numpy(dtype="int64")[known])
    return contract[[unique_names.index(name) for name in names]]


def _add_projection(out: pd.DataFrame, stamp: pd.Timestamp) -> None:
    """Add the share achieved, its RAG and the run-rate projection (:func:`target_summary`)
    to the summary ``out`` (changed in place)."""
    start = pd.Timestamp(config.CONTRACT_START)
    end = pd.Timestamp(config.CONTRACT_END)
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
    out["contract_elapsed"] = elapsed_days / total_days
    out["projected_at_end"] = projected
    out["projected_percent"] = projected_percent


def summarise_targets(
    monthly: pd.DataFrame,
    targets: pd.DataFrame,
    *,
    as_of: AsOf,
    regions: Iterable[str] | None = None,
) -> pd.DataFrame:
    """:func:`target_summary` from a monthly :func:`targets_vs_actual` already computed.

    ``target_summary(scope, targets, regions=r)`` equals
    ``summarise_targets(targets_vs_actual(scope, targets, period="month", regions=r),
    targets, as_of=scope.as_of, regions=r)``; a page showing both counts the
    participants once.

    Parameters
    ----------
    monthly : pandas.DataFrame
        Output of :func:`targets_vs_actual` with ``period="month"`` and the same
        ``as_of`` and ``regions``.
    targets : pandas.DataFrame
        The targets it was computed from.
    as_of : date-like
    regions : iterable of str, optional
        Default :func:`ete_metrics.config.regions`.

    Returns
    -------
    pandas.DataFrame
        As :func:`target_summary`.

    Raises
    ------
    InputError
        When ``as_of`` is before the contract start.
    """
    stamp = contract_as_of(as_of)
    names = _region_list(regions)
    if monthly.empty:
        return pd.DataFrame({c: pd.Series([], dtype=_DTYPES[c]) for c in TARGET_SUMMARY_COLUMNS})
    last = monthly.loc[(monthly["period_start"] == monthly["period_start"].max()).to_numpy(dtype=bool)]
    # one row per region named and measure (in that order), then the all-regions sums
    n_measures = len(TARGET_MEASURES)
    actual_to_date = last["cumulative_actual"].to_numpy(dtype="int64").reshape(-1, n_measures)
    target_to_date = last["cumulative_target"].to_numpy(dtype="int64").reshape(-1, n_measures)
    contract = _contract_targets(targets, names)
    out = pd.DataFrame(
        {
            "region": np.repeat(np.array([*names, ALL_REGIONS], dtype=object), n_measures),
            "measure": np.tile(np.array(TARGET_MEASURES, dtype=object), len(names) + 1),
            "actual_to_date": np.concatenate([actual_to_date.reshape(-1), actual_to_date.sum(axis=0)]),
            "target_to_date": np.concatenate([target_to_date.reshape(-1), target_to_date.sum(axis=0)]),
            "contract_target": np.concatenate([contract.reshape(-1), contract.sum(axis=0)]),
        }
    )
    _add_projection(out, stamp)
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
    "contract_elapsed": "float64",
    "projected_at_end": "float64",
    "projected_percent": "float64",
}
