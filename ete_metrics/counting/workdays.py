"""Working days of England and Wales: Monday to Friday less the bank holidays.

The bank holidays come from the maintained ``holidays`` package (the United Kingdom's
holidays for England; Wales has the same bank holidays), never from a list typed here,
so a holiday the government adds (the 2022 state funeral, the 2023 coronation) arrives
with an upgrade of that package. The counting itself is NumPy's business-day calendar.

Dates are calendar dates in England: a timestamp with a time zone is first converted to
Europe/London (an evening in UTC in summer is the next day in London), a naive one is
taken as London time already.

>>> import datetime as dt
>>> working_days_after(dt.date(2023, 5, 5), dt.date(2023, 5, 9))  # Mon 8 May: coronation
1
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError


def bank_holidays(first_year: int, last_year: int) -> list[dt.date]:
    """The bank holidays of England and Wales from ``first_year`` to ``last_year``, sorted."""
    if last_year < first_year:
        raise InputError(
            f"The years run backwards ({first_year} to {last_year}): give the earlier year first."
        )
    import holidays  # 0.2-0.7 s to import: only where working days are counted

    calendar = holidays.country_holidays("GB", subdiv="ENG", years=range(first_year, last_year + 1))
    return sorted(calendar)


LONDON = "Europe/London"


def _london_timestamp(value: object) -> pd.Timestamp:
    if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[call-overload]
        return pd.NaT  # type: ignore[return-value]
    stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(LONDON).tz_localize(None)
    return stamp


def london_dates(values: Any) -> pd.Series:
    """Calendar dates in London (midnight, ``datetime64[ns]``) of dates or timestamps.

    A time-zone-aware value is converted to Europe/London before its time is dropped (an
    evening in UTC in summer is the next day in London); a naive one is taken as London
    time. Missing values stay missing (``NaT``). Any sequence is accepted; a Series keeps
    its index.
    """
    values = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_convert(LONDON).dt.tz_localize(None)
    elif not pd.api.types.is_datetime64_dtype(values.dtype) and values.isna().all():
        values = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    elif not pd.api.types.is_datetime64_dtype(values.dtype):
        try:  # one form throughout (all naive or all with an offset): vectorised
            parsed = pd.to_datetime(values, format="ISO8601")
        except (ValueError, TypeError):  # mixed forms: one value at a time
            parsed = pd.Series(
                [_london_timestamp(value) for value in values],
                index=values.index,
                dtype="datetime64[ns]",
            )
        if isinstance(parsed.dtype, pd.DatetimeTZDtype):
            parsed = parsed.dt.tz_convert(LONDON).dt.tz_localize(None)
        values = parsed
    # Midnight of each day (NaT stays NaT): NumPy's day unit, faster than .dt.normalize().
    days = values.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    return pd.Series(days.astype("datetime64[ns]"), index=values.index)


def _calendar(starts: pd.Series, ends: pd.Series) -> np.ndarray:
    years = pd.concat([starts, ends]).dropna().dt.year
    if years.empty:
        return np.array([], dtype="datetime64[D]")
    return np.array(bank_holidays(int(years.min()), int(years.max()) + 1), dtype="datetime64[D]")


def working_days_between(starts: Any, ends: Any) -> pd.Series:
    """Working days after each start up to and including its end (the same day is 0).

    ``starts`` and ``ends`` are aligned sequences of dates or timestamps (see
    :func:`london_dates`). The result is a nullable integer series (``Int64``), missing
    where either date is missing; where the end comes before the start it is minus the
    working days after the end up to and including the start.
    """
    start = london_dates(starts).reset_index(drop=True)
    end = london_dates(ends).reset_index(drop=True)
    if len(start) != len(end):
        raise InputError(
            f"{len(start)} start dates but {len(end)} end dates: give one end for each start."
        )
    index = starts.index if isinstance(starts, pd.Series) else pd.RangeIndex(len(start))
    known = (start.notna() & end.notna()).to_numpy()
    counts = np.zeros(len(start), dtype="int64")
    if known.any():
        early = np.minimum(start[known].to_numpy(), end[known].to_numpy()).astype("datetime64[D]")
        late = np.maximum(start[known].to_numpy(), end[known].to_numpy()).astype("datetime64[D]")
        one = np.timedelta64(1, "D")
        days = np.busday_count(
            early + one, late + one, holidays=_calendar(start[known], end[known])
        )
        # An end before its start counts the days between them the other way, negated.
        counts[known] = np.where(end[known].to_numpy() < start[known].to_numpy(), -days, days)
    result = pd.Series(counts, index=index, dtype="Int64")
    result[~known] = pd.NA
    return result


def working_days_after(start: Any, end: Any) -> int:
    """Working days after ``start`` up to and including ``end`` for one pair of dates."""
    if start is None or end is None or pd.isna(start) or pd.isna(end):
        raise InputError("Both dates are needed to count the working days between them.")
    return int(working_days_between([start], [end]).iloc[0])


def add_working_days(start: Any, days: int) -> dt.date:
    """The date ``days`` working days after ``start`` (``days`` >= 1), in England and Wales.

    ``add_working_days(end_of_month, 5)`` is the fifth working day after a month ends.
    """
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        raise InputError(
            f"The number of working days must be a whole number of 1 or more, not {days!r}."
        )
    first = london_dates([start]).iloc[0]
    if pd.isna(first):
        raise InputError("A date is needed to count working days from.")
    day = np.datetime64(first.date(), "D")
    # A month of calendar days holds more than 5 working days even at Christmas.
    calendar = np.array(
        bank_holidays(first.year, first.year + 1 + days // 200), dtype="datetime64[D]"
    )
    return pd.Timestamp(
        np.busday_offset(day + 1, days - 1, roll="forward", holidays=calendar)
    ).date()
