"""What changed, in words: a short summary written from the review's figures.

:func:`narrative` writes sentences from the frames the Overview and the deck show
(the headline tiles, the month comparison, the RAG table), *as shown to the
audience*: for stakeholders the protected figures, so a sentence never states a
figure the tables withhold. Every sentence is a figure with its comparison (a month
before, a year before, a target); where a figure or its comparison is withheld or
missing the sentence is left out rather than guessed. The Overview and the deck's
first slide call it with the same frames, so their text is the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from ete_metrics import config
from ete_metrics.present.formatting import count, percent, signed_count, uk_date
from ete_metrics.protect.audience import STAKEHOLDER, check_audience
from ete_metrics.steps import ENTERED, MEASURE_NOUNS, WORK, label

#: Measures the month sentences are written for, in order.
NARRATIVE_MEASURES: tuple[str, ...] = (ENTERED.name, WORK.name)
#: Most Red cells named (worst first).
MOST_RED = 3


def _figure(value: Any, audience: str) -> float | None:
    """A figure that may be written: None when withheld, missing, or (stakeholders) a count 1-4."""
    if value is None or isinstance(value, str):
        return None
    number = float(value)
    if np.isnan(number):
        return None
    if audience == STAKEHOLDER and 0 < abs(number) < config.SUPPRESS_BELOW:
        return None  # never a small count in stakeholder text, whatever the caller passed
    return number


def _rate(value: Any) -> float | None:
    if value is None or isinstance(value, str):
        return None
    number = float(value)
    return None if np.isnan(number) else number


def _against(now: float, before: float | None, when: str) -> str | None:
    """``"up 8.7% on April 2024 (195)"``; None when there is nothing to compare with."""
    if before is None:
        return None
    if before == 0:
        return f"against none in {when}" if now else f"none in {when} either"
    change = now / before - 1
    if percent(abs(change)) == "0.0%":
        return f"the same as {when} ({count(before)})"
    return f"{'up' if change > 0 else 'down'} {percent(abs(change))} on {when} ({count(before)})"


def _month_sentences(comparison: pd.DataFrame, measures: Sequence[str], audience: str) -> list[str]:
    out = []
    for row in comparison.itertuples(index=False):
        if row.measure not in measures:
            continue
        noun = MEASURE_NOUNS.get(str(row.measure), label(row.measure))
        when: Any = row.month
        month = pd.Timestamp(when)
        now = _figure(row.participants, audience)
        if now is not None:
            said = [
                s for s in (
                    _against(now, _figure(row.previous_month, audience),
                             (month - pd.DateOffset(months=1)).strftime("%B %Y")),
                    _against(now, _figure(row.year_earlier, audience),
                             (month - pd.DateOffset(years=1)).strftime("%B %Y")),
                ) if s is not None
            ]
            if said:
                out.append(f"{noun} in {month.strftime('%B %Y')}: {count(now)}, {' and '.join(said)}.")
    return out


def _quarter_sentences(comparison: pd.DataFrame, measures: Sequence[str], as_of: date,
                       audience: str) -> list[str]:
    out = []
    for row in comparison.itertuples(index=False):
        if row.measure not in measures:
            continue
        actual = _figure(row.quarter_to_date, audience)
        target = _figure(row.quarter_target, audience)
        if actual is None or not target:
            continue
        noun = MEASURE_NOUNS.get(str(row.measure), label(row.measure))
        out.append(
            f"{noun} in the quarter from {uk_date(row.quarter_start)} to {uk_date(as_of)}: "
            f"{count(actual)}, {percent(actual / target)} of the quarter's target of {count(target)}."
        )
    return out


def _rag_sentences(rag: pd.DataFrame, scope: str, audience: str) -> list[str]:
    regional = rag.loc[(rag["region"] != scope) & (rag["rag"] == "red")].copy()
    regional["sort_rate"] = [_rate(v) for v in regional["percent_achieved"]]
    regional = regional.dropna(subset=["sort_rate"]).sort_values("sort_rate", kind="stable").head(MOST_RED)
    out = []
    for row in regional.itertuples(index=False):
        actual = _figure(row.actual_to_date, audience)
        target = _figure(row.target_to_date, audience)
        of = f" ({count(actual)} of {count(target)})" if actual is not None and target else ""
        out.append(f"{row.region} is Red for {MEASURE_NOUNS.get(str(row.measure), label(row.measure)).lower()} at "
                   f"{percent(row.sort_rate)} of target to date{of}.")
    return out


def _projection_sentences(rag: pd.DataFrame, scope: str, audience: str) -> list[str]:
    total = rag.loc[(rag["region"] == scope) & (rag["measure"] == WORK.name)]
    if total.empty:
        return []
    row = total.iloc[0]
    share = _rate(row["projected_percent"])
    projected = _figure(row["projected_at_end"], audience)
    contract = _figure(row["contract_target"], audience)
    if share is None or projected is None or not contract:
        return []
    return [f"{scope}: projected {percent(share)} of the contract's work target at the current rate "
            f"({count(projected)} of {count(contract)})."]


def _headline_sentences(changes: pd.DataFrame, previous: date, audience: str) -> list[str]:
    out = []
    for row in changes.itertuples(index=False):
        if row.step != WORK.name:
            continue
        people = _figure(row.participants, audience)
        change: Any = row.change
        if people is None or isinstance(change, str) or change is None or pd.isna(change):
            continue
        if audience == STAKEHOLDER and 0 < abs(float(change)) < config.SUPPRESS_BELOW:
            continue  # a difference of 1-4 would be a small count
        rate = _rate(row.rate_from_entry)
        of = f" ({percent(rate)} of people entered)" if rate is not None else ""
        out.append(f"{label(row.step)}: {count(people)}{of}, {signed_count(change)} since {uk_date(previous)}.")
    return out


def narrative(
    changes: pd.DataFrame,
    comparison: pd.DataFrame,
    rag: pd.DataFrame,
    *,
    as_of: date,
    previous: date,
    scope: str,
    audience: str,
    measures: Sequence[str] = NARRATIVE_MEASURES,
) -> tuple[str, ...]:
    """The review's summary: short sentences, each a figure with its comparison.

    Parameters
    ----------
    changes : pandas.DataFrame
        :func:`ete_metrics.metrics.headline.headline` of the funnels as shown (the tiles).
    comparison : pandas.DataFrame
        :func:`ete_metrics.metrics.review.month_comparison` as shown (protected for
        stakeholders).
    rag : pandas.DataFrame
        :func:`ete_metrics.metrics.review.rag_table` as shown.
    as_of, previous : date
        The figures' date and a month before it (the tiles' comparison).
    scope : str
        The label of the RAG table's total rows (:func:`ete_metrics.metrics.review.scope_label`),
        or the one region's name when there is no total.
    audience : {"internal", "stakeholder"}
        For stakeholders no sentence states a count of 1-4 (nor a change of 1-4).
    measures : sequence of str
        Measures of the month and quarter sentences.

    Returns
    -------
    tuple of str
        In order: people in work now against a month before; each measure's latest full
        month against the month before and a year before; its quarter so far against the
        quarter's target; up to :data:`MOST_RED` Red region-measure cells, worst first;
        the projection of the work target at the contract's end.
    """
    audience = check_audience(audience)
    return tuple([
        *_headline_sentences(changes, previous, audience),
        *_month_sentences(comparison, measures, audience),
        *_quarter_sentences(comparison, measures, as_of, audience),
        *_rag_sentences(rag, scope, audience),
        *_projection_sentences(rag, scope, audience),
    ])
