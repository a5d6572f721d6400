"""What a metric counts over: the frames, the as-at date, the entry range and the window.

Every metric in :mod:`ete_metrics.metrics` that counts people takes one :class:`Scope`
as its first argument (``funnel(scope, by="region")``) instead of repeating these
parameters, and its docstring refers here for them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ete_metrics.counting.population import (
    Anchor,
    AsOf,
    entered_population,
    optional_timestamp,
    population_rows,
    to_timestamp,
    window_ns,
)
from ete_metrics.errors import InputError


@dataclass(frozen=True, init=False, eq=False, repr=False)
class Scope:
    """The people and milestones a metric counts over, and as at when.

    This docstring is the documentation of these parameters for every metric that takes
    a scope.

    Parameters
    ----------
    participants : pandas.DataFrame
        Participants in :data:`ete_metrics.data.frames.PARTICIPANT_COLUMNS` format.
    milestones : pandas.DataFrame
        Milestones in :data:`ete_metrics.data.frames.MILESTONE_COLUMNS` format.
    as_of : date-like
        The date the figures are as at (a ``date``, ``datetime``, ``Timestamp`` or ISO
        string; a time of day is dropped). Stored as a midnight ``pandas.Timestamp``.
        The **population** is everyone whose anchor date (``entry_date``; the referral
        funnel's ``referral_date``) is on or before it, and a **milestone counts** when
        ``anchor <= date <= as_of``.
    date_from, date_to : date-like, optional
        The **entry range**: an inclusive range of the anchor date (``entry_date``, or
        ``referral_date`` for the referral funnel). ``None`` leaves that end open.
        Stored as ``pandas.Timestamp`` or ``None``.
    window_days : int, optional
        The **conversion window** of N days: only participants with ``anchor + N days
        <= as_of`` (mature) are counted, and a milestone counts only when ``date <=
        anchor + N days`` (both inclusive). ``None``: no window. Metrics that have no
        window (activity, cohorts, time to outcome, training providers, employers,
        targets, forecast) refuse a scope with one rather than ignore it.

    Notes
    -----
    The sidebar's and the CLI's **filters** (regions, pathways, delivery partners) are
    not part of the scope: they choose the frames, and are applied before a scope is made
    (:func:`ete_metrics.counting.filters.filter_participants` and
    :func:`~ete_metrics.counting.filters.milestones_for`; the dashboard's cached
    ``dashboard.data.filtered``), so ``participants`` and ``milestones`` are the
    filtered frames. A metric never filters by them.

    A scope is immutable (``dataclasses.replace(scope, as_of=...)`` makes another) and
    does not copy or change its frames. Two scopes are equal only when they are the same
    object.

    Raises
    ------
    InputError
        When a frame is not a DataFrame, a date is missing or not a date, ``date_from`` is
        after ``date_to``, or the window is negative or not whole days.

    Examples
    --------
    >>> from ete_metrics import Scope, funnel
    >>> scope = Scope(participants, milestones, as_of="2023-08-16", window_days=90)  # doctest: +SKIP
    >>> funnel(scope, by="region", ordered=True)  # doctest: +SKIP
    """

    participants: pd.DataFrame
    milestones: pd.DataFrame
    as_of: pd.Timestamp
    date_from: pd.Timestamp | None = None
    date_to: pd.Timestamp | None = None
    window_days: int | None = None

    def __init__(
        self,
        participants: pd.DataFrame,
        milestones: pd.DataFrame,
        *,
        as_of: AsOf,
        date_from: AsOf | None = None,
        date_to: AsOf | None = None,
        window_days: int | None = None,
    ) -> None:
        for name, frame in (("participants", participants), ("milestones", milestones)):
            if not isinstance(frame, pd.DataFrame):
                raise InputError(
                    f"{name} must be a pandas DataFrame in the import format, not {type(frame).__name__}."
                )
        start = optional_timestamp(date_from, name="date_from")
        end = optional_timestamp(date_to, name="date_to")
        if start is not None and end is not None and start > end:
            raise InputError("date_from is after date_to: choose a start on or before the end.")
        window_ns(window_days)  # checks it
        values = {
            "participants": participants,
            "milestones": milestones,
            "as_of": to_timestamp(as_of),
            "date_from": start,
            "date_to": end,
            "window_days": None if window_days is None else int(window_days),
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        """Sizes and settings only: never a participant's record."""
        settings = [f"as_of={self.as_of.date()}"]
        if self.date_from is not None:
            settings.append(f"date_from={self.date_from.date()}")
        if self.date_to is not None:
            settings.append(f"date_to={self.date_to.date()}")
        if self.window_days is not None:
            settings.append(f"window_days={self.window_days}")
        return (
            f"Scope({len(self.participants):,} participants, {len(self.milestones):,} milestones, "
            + ", ".join(settings)
            + ")"
        )

    def replace(self, **changes: Any) -> Scope:
        """Another scope with some settings changed (checked again), the same frames.

        Parameters
        ----------
        **changes
            Any of the parameters of :class:`Scope`.

        Returns
        -------
        Scope
        """
        current = {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}
        return Scope(**{**current, **changes})

    def population_rows(self, anchor: Anchor = "entry_date") -> tuple[np.ndarray, np.ndarray]:
        """The population's rows and anchor dates (:func:`~ete_metrics.counting.population.population_rows`).

        Parameters
        ----------
        anchor : {"entry_date", "referral_date"}

        Returns
        -------
        (numpy.ndarray, numpy.ndarray)
            Row positions in :attr:`participants` and their anchor dates (int64 ns).
        """
        return population_rows(
            self.participants,
            as_of=self.as_of,
            date_from=self.date_from,
            date_to=self.date_to,
            window_days=self.window_days,
            anchor=anchor,
        )

    def population(
        self, columns: Sequence[str] | None = None, *, by: Sequence[str] = ()
    ) -> pd.DataFrame:
        """The entry-anchored population as a frame
        (:func:`~ete_metrics.counting.population.entered_population`).

        Parameters
        ----------
        columns : sequence of str, optional
            Only these columns of :attr:`participants` (a narrower, quicker copy).
        by : sequence of str
            Grouping keys; cohort keys among them are added as columns.

        Returns
        -------
        pandas.DataFrame
            A new frame, index reset.
        """
        participants = self.participants if columns is None else self.participants[list(columns)]
        return entered_population(
            participants,
            as_of=self.as_of,
            date_from=self.date_from,
            date_to=self.date_to,
            window_days=self.window_days,
            by=by,
        )

    def refuse_window(self, metric: str) -> None:
        """Raise :class:`InputError` when the scope has a window ``metric`` does not apply.

        Parameters
        ----------
        metric : str
            What the figures are, in words, for the message ("Training providers").
        """
        if self.window_days is not None:
            raise InputError(
                f"{metric} have no conversion window: make the scope without window_days."
            )

    def refuse_entry_range(self, metric: str) -> None:
        """Raise :class:`InputError` when the scope has an entry range ``metric`` does not apply.

        Parameters
        ----------
        metric : str
            What the figures are, in words, for the message ("Targets").
        """
        if self.date_from is not None or self.date_to is not None:
            raise InputError(
                f"{metric} count everyone to date: make the scope without date_from and date_to."
            )
