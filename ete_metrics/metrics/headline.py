"""The headline: each step now against a month earlier, as the Overview and the deck show it.

The Overview's tiles and the deck's headline slide both call :func:`headline`, so
they cannot disagree. Its inputs are the two funnels *as shown to the audience*
(for stakeholders, protected by :func:`ete_metrics.protect.audience.present_view`):
the changes are differences of the figures shown, never of hidden true counts, and
a change is withheld (``"[c]"``) where either figure is.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from ete_metrics.steps import SUPPRESSED

#: Columns of :func:`headline`, in order.
HEADLINE_COLUMNS: tuple[str, ...] = (
    "step",
    "participants",
    "participants_month_earlier",
    "change",
    "rate_from_entry",
    "rate_month_earlier",
    "rate_change",
    "rate_from_previous",
    "ci_low",
    "ci_high",
)


def month_earlier(as_of: date | pd.Timestamp) -> date:
    """The date one calendar month before ``as_of`` (31 Mar -> 28 or 29 Feb).

    Parameters
    ----------
    as_of : date or pandas.Timestamp

    Returns
    -------
    datetime.date

    Examples
    --------
    >>> month_earlier(date(2024, 3, 31))
    datetime.date(2024, 2, 29)
    """
    return (pd.Timestamp(as_of) - pd.DateOffset(months=1)).date()


def _number(value: Any) -> float | None:
    """A shown figure as a float; None when it is suppressed or missing."""
    if isinstance(value, str) or value is None:
        return None
    number = float(value)
    return None if np.isnan(number) else number


def headline(now: pd.DataFrame, before: pd.DataFrame) -> pd.DataFrame:
    """Each step's figure now, a month earlier, and the change between them.

    Parameters
    ----------
    now, before : pandas.DataFrame
        The entry funnel (:func:`ete_metrics.metrics.funnel.funnel`, one row per
        step, no ``by``) as at the date and as at :func:`month_earlier` of it, as
        shown to the audience: numbers, or ``"[c]"`` where protection withheld one.
        Not modified.

    Returns
    -------
    pandas.DataFrame
        One row per step of ``now``, columns :data:`HEADLINE_COLUMNS`:
        ``participants_month_earlier`` (0 for a step nobody had reached) and
        ``rate_month_earlier`` read from ``before``; ``change`` =
        ``participants - participants_month_earlier`` and ``rate_change`` =
        ``rate_from_entry - rate_month_earlier``, each ``"[c]"`` where either side is
        suppressed (``rate_change`` is NaN where the earlier rate is missing).
        Count columns hold ``int`` or ``"[c]"`` (object dtype).
    """
    earlier_people = dict(zip(before["step"].astype(str), before["participants"], strict=True))
    earlier_rate = dict(zip(before["step"].astype(str), before["rate_from_entry"], strict=True))
    rows = []
    for row in now.itertuples(index=False):
        step = str(row.step)
        people: Any = row.participants
        people_before: Any = earlier_people.get(step, 0)
        rate: Any = row.rate_from_entry
        rate_before: Any = earlier_rate.get(step, np.nan)
        a, b = _number(people), _number(people_before)
        change: Any = SUPPRESSED if a is None or b is None else int(a) - int(b)
        r, s = _number(rate), _number(rate_before)
        if isinstance(rate, str) or isinstance(rate_before, str):
            rate_change: Any = SUPPRESSED
        else:
            rate_change = np.nan if r is None or s is None else r - s
        rows.append({
            "step": step,
            "participants": people if isinstance(people, str) else int(people),
            "participants_month_earlier": (
                people_before if isinstance(people_before, str) else int(people_before)
            ),
            "change": change,
            "rate_from_entry": rate,
            "rate_month_earlier": rate_before,
            "rate_change": rate_change,
            "rate_from_previous": row.rate_from_previous,
            "ci_low": row.ci_low,
            "ci_high": row.ci_high,
        })
    out = pd.DataFrame(rows, columns=list(HEADLINE_COLUMNS))
    for column in ("participants", "participants_month_earlier", "change", "rate_month_earlier", "rate_change"):
        out[column] = out[column].astype(object)
    return out
