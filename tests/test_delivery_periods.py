"""Which period's pack is due on a date (ete_metrics.delivery.periods), worked out by hand
on the calendar of England and Wales. May 2023: Monday 1 May (early May bank holiday) and
Monday 8 May (the coronation) were bank holidays; Good Friday 7 April and Easter Monday
10 April 2023."""

from __future__ import annotations

from datetime import date

import pytest

from ete_metrics.delivery.periods import Period, due_period, latest_ended, period_containing
from ete_metrics.errors import InputError

APRIL = Period(date(2023, 4, 1), date(2023, 4, 30), "month")
MARCH = Period(date(2023, 3, 1), date(2023, 3, 31), "month")


def test_aprils_pack_on_the_fifth_working_day_is_due_on_9_may_2023() -> None:
    # after Sunday 30 April: Tue 2 (1), Wed 3 (2), Thu 4 (3), Fri 5 (4), [Mon 8 holiday], Tue 9 (5)
    assert APRIL.due(5) == date(2023, 5, 9)
    assert due_period("month", date(2023, 5, 9), 5) == APRIL
    # on Friday 5 May April's is not due yet: the latest due is March's
    assert MARCH.due(5) == date(
        2023, 4, 11
    )  # Mon 3, Tue 4, Wed 5, Thu 6, [7 and 10 Easter], Tue 11
    assert due_period("month", date(2023, 5, 5), 5) == MARCH
    assert due_period("month", date(2023, 5, 8), 5) == MARCH
    assert due_period("month", date(2023, 6, 6), 5) == APRIL


def test_mays_pack_on_the_fifth_working_day_is_due_on_7_june_2023() -> None:
    may = Period(date(2023, 5, 1), date(2023, 5, 31), "month")
    assert may.due(5) == date(2023, 6, 7)  # Thu 1, Fri 2, Mon 5, Tue 6, Wed 7
    assert due_period("month", date(2023, 6, 7), 5) == may
    assert due_period("month", date(2023, 6, 6), 5) == APRIL


def test_the_first_working_day_after_a_quarter_and_a_week() -> None:
    first_quarter = Period(date(2023, 1, 1), date(2023, 3, 31), "quarter")
    assert first_quarter.due(1) == date(2023, 4, 3)
    assert due_period("quarter", date(2023, 5, 9)) == first_quarter
    assert first_quarter.label == "January to March 2023"
    # the week of Monday 1 May: its pack on Tuesday 9 May (Monday 8 May a bank holiday)
    week = Period(date(2023, 5, 1), date(2023, 5, 7), "week")
    assert week.due() == date(2023, 5, 9)
    assert due_period("week", date(2023, 5, 9)) == week
    assert due_period("week", date(2023, 5, 8)) == Period(
        date(2023, 4, 24), date(2023, 4, 30), "week"
    )
    # Christmas 2022: Sun 25 Dec, bank holidays Mon 26 and Tue 27 December
    christmas = Period(date(2022, 12, 19), date(2022, 12, 25), "week")
    assert christmas.due() == date(2022, 12, 28)


def test_periods_hold_their_days() -> None:
    assert period_containing("month", date(2024, 2, 29)) == Period(
        date(2024, 2, 1), date(2024, 2, 29), "month"
    )
    assert period_containing("quarter", date(2023, 12, 31)) == Period(
        date(2023, 10, 1), date(2023, 12, 31), "quarter"
    )
    assert period_containing("week", date(2023, 1, 1)) == Period(
        date(2022, 12, 26), date(2023, 1, 1), "week"
    )
    assert latest_ended("month", date(2023, 1, 15)) == Period(
        date(2022, 12, 1), date(2022, 12, 31), "month"
    )
    assert latest_ended("month", date(2023, 4, 30)) == MARCH  # April has not ended on its last day
    with pytest.raises(InputError, match="use month, quarter or week"):
        period_containing("fortnight", date(2023, 1, 1))
