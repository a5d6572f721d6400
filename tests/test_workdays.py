"""Working days of England and Wales (counting/workdays.py), worked out on a calendar by hand."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from ete_metrics.counting.workdays import (
    add_working_days,
    bank_holidays,
    london_dates,
    working_days_after,
    working_days_between,
)
from ete_metrics.errors import InputError

D = dt.date


def test_the_same_day_is_zero() -> None:
    assert working_days_after(D(2023, 3, 15), D(2023, 3, 15)) == 0


def test_christmas_and_new_year_2022_23() -> None:
    # After Fri 23 Dec 2022: Sat 24, Sun 25, Mon 26 (Boxing Day), Tue 27 (Christmas Day
    # observed), Wed 28 (1), Thu 29 (2), Fri 30 (3), Sat 31, Sun 1 Jan, Mon 2 Jan (New
    # Year observed), Tue 3 (4), Wed 4 (5).
    assert working_days_after(D(2022, 12, 23), D(2023, 1, 4)) == 5


def test_easter_2023() -> None:
    # After Thu 6 Apr 2023: Good Friday 7, Sat 8, Sun 9, Easter Monday 10, Tue 11 (1).
    assert working_days_after(D(2023, 4, 6), D(2023, 4, 11)) == 1


def test_may_2023_bank_holidays_with_the_coronation() -> None:
    # May 2023 has 23 weekdays; 1 May (early May), 8 May (coronation) and 29 May (spring)
    # are bank holidays: 20 working days after Fri 28 Apr up to Wed 31 May.
    assert working_days_after(D(2023, 4, 28), D(2023, 5, 31)) == 20
    assert working_days_after(D(2023, 5, 5), D(2023, 5, 9)) == 1


def test_an_evening_in_utc_is_the_next_day_in_london() -> None:
    # 23:30 UTC on Sun 2 Jul 2023 is 00:30 on Mon 3 Jul in London (BST).
    appointment = pd.Series(pd.to_datetime(["2023-07-02T23:30:00Z"]))
    referral = pd.Series(pd.to_datetime(["2023-06-30"]))
    assert working_days_between(referral, appointment).tolist() == [1]
    # In winter London is UTC: 23:30 UTC on Sun 8 Jan 2023 is still Sunday.
    winter = pd.Series(pd.to_datetime(["2023-01-08T23:30:00Z"]))
    assert working_days_between(pd.Series(pd.to_datetime(["2023-01-06"])), winter).tolist() == [0]
    assert london_dates(["2023-07-02T23:30:00+00:00"]).tolist() == [pd.Timestamp("2023-07-03")]


def test_missing_dates_stay_missing_and_the_index_is_kept() -> None:
    starts = pd.Series(
        [pd.Timestamp("2023-04-06"), pd.NaT, pd.Timestamp("2023-04-06")], index=[10, 11, 12]
    )
    ends = pd.Series(
        [pd.Timestamp("2023-04-11"), pd.Timestamp("2023-04-11"), pd.NaT], index=[10, 11, 12]
    )
    result = working_days_between(starts, ends)
    assert result.index.tolist() == [10, 11, 12]
    assert result.iloc[0] == 1
    assert result.iloc[1:].isna().all()


def test_an_end_before_the_start_is_negative() -> None:
    # Fri 14 Apr back to Tue 11 Apr 2023: Wed 12, Thu 13, Fri 14 lie between.
    assert working_days_after(D(2023, 4, 14), D(2023, 4, 11)) == -3


def test_the_nth_working_day_after_a_month_ends() -> None:
    # April 2023 ends on a Sunday: Tue 2 (1), Wed 3 (2), Thu 4 (3), Fri 5 (4), Mon 8 May is
    # the coronation, Tue 9 (5).
    assert add_working_days(D(2023, 4, 30), 5) == D(2023, 5, 9)
    # December 2022: Mon 2 Jan 2023 is New Year's Day observed.
    assert add_working_days(D(2022, 12, 31), 1) == D(2023, 1, 3)
    assert add_working_days(D(2023, 6, 30), 1) == D(2023, 7, 3)


@pytest.mark.parametrize("days", [0, -1, 1.5, True])
def test_add_working_days_refuses_a_count_that_is_not_a_whole_positive_number(days: object) -> None:
    with pytest.raises(InputError, match="whole number"):
        add_working_days(D(2023, 4, 30), days)  # type: ignore[arg-type]


def test_bank_holidays_come_from_the_library_and_include_the_one_off_days() -> None:
    days = bank_holidays(2022, 2023)
    assert D(2022, 9, 19) in days  # the state funeral
    assert D(2023, 5, 8) in days  # the coronation
    assert D(2022, 12, 27) in days and D(2022, 12, 25) in days
    # 2023: ten holidays, one of them (New Year's Day) a Sunday, observed on Mon 2 Jan.
    assert len([d for d in days if d.year == 2023]) == 10
    assert len([d for d in days if d.year == 2023 and d.weekday() < 5]) == 9
