"""The contract director's review: RAG by region, this month against last, the quarter so far.

Everything here is read off the monthly :func:`ete_metrics.metrics.targets.targets_vs_actual`
frame and the :func:`~ete_metrics.metrics.targets.target_summary` computed from it, the
same numbers as the Overview's target tiles and the reports' targets table, so the
review cannot disagree with them.

* :func:`rag_table`: regions x measures (referred, entered, training, work) with the
  percent of target to date, its RAG rating (the thresholds of
  :func:`~ete_metrics.metrics.targets.rag_rating`) and the run-rate projection at the
  contract's end; total rows labelled by what they cover (:func:`scope_label`).
* :func:`month_comparison`: per measure, the latest full month's count against the month
  before and the same month a year earlier, and the quarter so far against the quarter's
  target. Counts only: :func:`comparison_changes` adds the changes from the figures *as
  shown* (protected for stakeholders), as :func:`ete_metrics.metrics.headline.headline` does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ete_metrics import config
from ete_metrics.counting.population import AsOf, to_timestamp
from ete_metrics.metrics.targets import ALL_REGIONS, TARGET_SUMMARY_COLUMNS
from ete_metrics.steps import SUPPRESSED, TARGET_MEASURES

#: Columns of :func:`rag_table`: those of the target summary it is read from.
RAG_TABLE_COLUMNS: tuple[str, ...] = TARGET_SUMMARY_COLUMNS

#: Count columns of :func:`month_comparison`, after ``measure``, ``month`` and ``quarter_start``.
MONTH_COMPARISON_COUNTS: tuple[str, ...] = (
    "participants",
    "previous_month",
    "year_earlier",
    "quarter_to_date",
    "quarter_target",
)
#: Columns of :func:`month_comparison`.
MONTH_COMPARISON_COLUMNS: tuple[str, ...] = ("measure", "month", *MONTH_COMPARISON_COUNTS[:3],
                                             "quarter_start", *MONTH_COMPARISON_COUNTS[3:])
#: Columns :func:`comparison_changes` adds.
CHANGE_COLUMNS: tuple[str, ...] = (
    "change_on_month", "change_on_year", "quarter_percent",
)


def scope_label(regions: Sequence[str], *, every: Sequence[str] | None = None) -> str:
    """The words for what a total covers: the regions it sums, named truthfully.

    Parameters
    ----------
    regions : sequence of str
        The regions whose figures the total sums.
    every : sequence of str, optional
        The programme's regions; default :func:`ete_metrics.config.regions`.

    Returns
    -------
    str
        ``"All regions"`` when ``regions`` covers every region (or is empty: nothing
        narrowed), the region's name for one region, else ``"London and Wales"`` /
        ``"London, North West and Wales"``.

    Examples
    --------
    >>> scope_label(["Wales"]), scope_label(["London", "Wales"])
    ('Wales', 'London and Wales')
    """
    names = list(dict.fromkeys(str(r) for r in regions))
    programme = list(config.regions() if every is None else every)
    if not names or set(programme) <= set(names):
        return ALL_REGIONS
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def rag_table(summary: pd.DataFrame) -> pd.DataFrame:
    """The director's RAG table: regions x measures against target, with the projection.

    Parameters
    ----------
    summary : pandas.DataFrame
        :func:`ete_metrics.metrics.targets.target_summary` (or ``summarise_targets``):
        one row per region and measure, then the ``"All regions"`` sums. Not modified.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`RAG_TABLE_COLUMNS`, the same figures. Regions with neither a
        target nor an actual for any measure (outside a user's scope: their rows are not
        loaded) are left out, and the total rows are labelled by :func:`scope_label` of
        the regions left; with one region left its total rows repeat it and are dropped.
    """
    if summary.empty:
        return summary.reindex(columns=list(RAG_TABLE_COLUMNS))
    total = summary["region"] == ALL_REGIONS
    regional = summary.loc[~total]
    activity = regional[["actual_to_date", "target_to_date", "contract_target"]].abs().sum(axis=1)
    active = activity.groupby(regional["region"], sort=False).sum()
    names = [str(name) for name, value in active.items() if value > 0]
    keep = regional.loc[regional["region"].isin(names)]
    totals = summary.loc[total]
    if len(names) == 1:
        out = keep
    else:
        out = pd.concat([keep, totals.assign(region=scope_label(names))], ignore_index=True)
    return out[list(RAG_TABLE_COLUMNS)].reset_index(drop=True)


def latest_full_month(as_of: AsOf) -> pd.Timestamp:
    """The first day of the latest calendar month complete on ``as_of``.

    ``as_of`` itself counts: on 31 May the latest full month is May; on 30 May it is April.

    Examples
    --------
    >>> str(latest_full_month("2024-05-31").date()), str(latest_full_month("2024-05-30").date())
    ('2024-05-01', '2024-04-01')
    """
    stamp = to_timestamp(as_of)
    month = stamp.to_period("M")
    if stamp != month.end_time.normalize():
        month -= 1
    return month.start_time


def month_comparison(
    monthly: pd.DataFrame,
    targets: pd.DataFrame,
    *,
    as_of: AsOf,
    regions: Iterable[str] | None = None,
) -> pd.DataFrame:
    """The latest full month against the month before and a year before; the quarter so far.

    Definitions, per measure (:data:`ete_metrics.steps.TARGET_MEASURES`), summed over
    the regions of ``monthly``: ``participants`` is the ``actual`` of the latest full month
    (:func:`latest_full_month` of ``as_of``), ``previous_month`` the month before's and
    ``year_earlier`` the same month a year before's (NaN where that month is before the
    contract's start: not counted). ``quarter_to_date`` sums the actuals of the calendar
    quarter containing ``as_of`` up to ``as_of``; ``quarter_target`` is that whole
    quarter's target (every month of it, from ``targets``).

    Parameters
    ----------
    monthly : pandas.DataFrame
        :func:`ete_metrics.metrics.targets.targets_vs_actual` with ``period="month"`` and
        the same ``as_of``. Not modified.
    targets : pandas.DataFrame
        The targets it was computed from (:data:`ete_metrics.data.frames.TARGET_COLUMNS`).
    as_of : date-like
    regions : iterable of str, optional
        The regions whose targets count; default the regions in ``monthly``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`MONTH_COMPARISON_COLUMNS`, one row per measure; counts float64
        (NaN where the month is outside the contract's counted months).
    """
    stamp = to_timestamp(as_of)
    month = latest_full_month(stamp)
    quarter = stamp.to_period("Q").start_time
    names = set(monthly["region"]) if regions is None else set(regions)
    by_month = monthly.groupby(["measure", "period_start"])["actual"].sum()
    in_quarter = (monthly["period_start"] >= quarter) & (monthly["period_start"] <= stamp)
    quarter_actual = monthly.loc[in_quarter].groupby("measure")["actual"].sum()
    starts = pd.to_datetime(targets["period_start"])
    in_target_quarter = (starts >= quarter) & (starts < quarter + pd.DateOffset(months=3))
    chosen = targets.loc[in_target_quarter.to_numpy(dtype=bool) & targets["region"].isin(names).to_numpy()]
    quarter_target = chosen.groupby("measure")["target"].sum()
    months = set(monthly["period_start"])

    def actual(measure: str, start: pd.Timestamp) -> float:
        if start not in months:
            return np.nan
        return float(by_month.get((measure, start), 0))

    rows = []
    for measure in TARGET_MEASURES:
        rows.append({
            "measure": measure,
            "month": month,
            "participants": actual(measure, month),
            "previous_month": actual(measure, month - pd.DateOffset(months=1)),
            "year_earlier": actual(measure, month - pd.DateOffset(years=1)),
            "quarter_start": quarter,
            "quarter_to_date": float(quarter_actual.get(measure, 0)) if quarter in months else np.nan,
            "quarter_target": float(quarter_target.get(measure, 0)),
        })
    out = pd.DataFrame(rows, columns=list(MONTH_COMPARISON_COLUMNS))
    for column in ("month", "quarter_start"):
        out[column] = pd.to_datetime(out[column]).astype("datetime64[ns]")
    return out


def _number(value: Any) -> float | None:
    """A shown figure as a float; None when it is suppressed or missing."""
    if isinstance(value, str) or value is None:
        return None
    number = float(value)
    return None if np.isnan(number) else number


def _relative(now: Any, before: Any) -> Any:
    """``now / before - 1`` of shown figures: ``"[c]"`` where either is withheld, NaN with no base."""
    if isinstance(now, str) or isinstance(before, str):
        return SUPPRESSED
    a, b = _number(now), _number(before)
    return np.nan if a is None or b is None or b == 0 else a / b - 1


def comparison_changes(shown: pd.DataFrame) -> pd.DataFrame:
    """:func:`month_comparison` as shown, with its changes worked out from the shown figures.

    Parameters
    ----------
    shown : pandas.DataFrame
        :func:`month_comparison`, protected for stakeholders (numbers or ``"[c]"``). Not
        modified.

    Returns
    -------
    pandas.DataFrame
        The same with :data:`CHANGE_COLUMNS`: ``change_on_month`` = participants /
        previous_month - 1, ``change_on_year`` = participants / year_earlier - 1 and
        ``quarter_percent`` = quarter_to_date / quarter_target (fractions; NaN with no
        base; ``"[c]"`` where a figure it needs is withheld). Computed from the figures
        shown, so a stakeholder's change is that of the rounded figures they see.
    """
    out = shown.copy()
    out["change_on_month"] = [_relative(a, b) for a, b in zip(out["participants"], out["previous_month"],
                                                               strict=True)]
    out["change_on_year"] = [_relative(a, b) for a, b in zip(out["participants"], out["year_earlier"],
                                                              strict=True)]
    quarter = [_relative(a, b) for a, b in zip(out["quarter_to_date"], out["quarter_target"], strict=True)]
    out["quarter_percent"] = [q if isinstance(q, str) or np.isnan(q) else q + 1 for q in quarter]
    for column in CHANGE_COLUMNS:
        if not any(isinstance(v, str) for v in out[column]):
            out[column] = out[column].astype("float64")
        else:
            out[column] = out[column].astype(object)
    return out
