"""Which period's pack is due on a date: months, quarters and weeks, and working days.

A month's or a quarter's pack is due on the ``working_day``-th working day after the
period ends (bank holidays of England and Wales,
:func:`ete_metrics.counting.workdays.add_working_days`); a week (Monday to Sunday)'s
pack on the first working day after it. The pack due on a date is the latest period's
whose due day has come (:func:`due_period`): April 2023's, with the fifth working day,
from 9 May 2023 (1 and 8 May were bank holidays) until June's fifth working day.
Quarters are the calendar's (January to March...), which are also the financial year's.

Nothing here reads the clock: every function takes the date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from ete_metrics.counting.workdays import add_working_days
from ete_metrics.errors import InputError
from ete_metrics.present.formatting import uk_date

__all__ = ["Period", "due_period", "latest_ended", "period_containing"]

_EVERY = ("month", "quarter", "week")


@dataclass(frozen=True, order=True)
class Period:
    """A month, a quarter or a week.

    Attributes
    ----------
    start, end : date
        Its first and last days (inclusive).
    every : str
        ``"month"``, ``"quarter"`` or ``"week"``.
    """

    start: date
    end: date
    every: str

    @property
    def label(self) -> str:
        """In words: ``"April 2023"``, ``"April to June 2023"``, ``"the week of 1 May 2023"``."""
        if self.every == "month":
            return f"{self.start:%B %Y}"
        if self.every == "quarter":
            return f"{self.start:%B} to {self.end:%B %Y}"
        return f"the week of {uk_date(self.start)} to {uk_date(self.end)}"

    def due(self, working_day: int = 1) -> date:
        """The day its pack is due: the ``working_day``-th working day after it ends (a week: the first)."""
        return add_working_days(self.end, 1 if self.every == "week" else working_day)

    def previous(self) -> Period:
        """The period before it."""
        return period_containing(self.every, self.start - timedelta(days=1))


def _first_of_month(year: int, month: int) -> date:
    return date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def period_containing(every: str, day: date) -> Period:
    """The month, quarter or week (Monday to Sunday) holding ``day``.

    Raises
    ------
    InputError
        ``every`` is not ``month``, ``quarter`` or ``week``.
    """
    if every == "week":
        start = day - timedelta(days=day.weekday())
        return Period(start, start + timedelta(days=6), every)
    if every == "month":
        start = date(day.year, day.month, 1)
        return Period(start, _first_of_month(day.year, day.month + 1) - timedelta(days=1), every)
    if every == "quarter":
        first = 3 * ((day.month - 1) // 3) + 1
        start = date(day.year, first, 1)
        return Period(start, _first_of_month(day.year, first + 3) - timedelta(days=1), every)
    raise InputError(f"Unknown period {every!r}: use month, quarter or week.")


def latest_ended(every: str, as_of: date) -> Period:
    """The latest period that ended before ``as_of`` (the one holding ``as_of`` has not ended)."""
    return period_containing(every, as_of).previous()


def due_period(every: str, as_of: date, working_day: int = 1) -> Period:
    """The latest period whose pack is due on or before ``as_of``.

    Parameters
    ----------
    every : str
        ``"month"``, ``"quarter"`` or ``"week"``.
    as_of : date
        The day of the run.
    working_day : int
        For a month or a quarter: the working day after its end on which its pack is due.

    Returns
    -------
    Period
        E.g. monthly on the fifth working day: April 2023 on 9 May 2023, March 2023 on 5 May.
    """
    period = latest_ended(every, as_of)
    while period.due(working_day) > as_of:
        period = period.previous()
    return period
