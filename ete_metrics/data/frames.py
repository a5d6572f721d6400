"""The tidy frame formats every module agrees on (the import format).

Participants, milestones and targets travel between the database, the metrics
and the dashboard as pandas DataFrames with exactly these columns. Date columns
are ``datetime64[ns]`` (missing dates are ``NaT``). Text columns hold strings with
missing text as ``None``/``NaN``: the functions here accept any string dtype
(``object``, pandas' ``str``/Arrow strings, or ``category``). Frames loaded from the
database (:mod:`ete_metrics.data.db`) carry ``participant_id`` as Arrow-backed strings
and the other text columns (regions, partners, milestones, ...) as categoricals
with sorted categories; the importer's frames use ``object``. Metrics must not
depend on which: compare values, not dtypes.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ete_metrics.data import columns

#: The participants frame's columns: those of the import format's schema
#: (:data:`ete_metrics.data.columns.PARTICIPANTS`), in its order.
PARTICIPANT_COLUMNS: tuple[str, ...] = columns.names(columns.PARTICIPANTS)
PARTICIPANT_DATE_COLUMNS: tuple[str, ...] = columns.date_names(columns.PARTICIPANTS)
#: Columns a participants file must have (the others are optional).
PARTICIPANT_REQUIRED: tuple[str, ...] = columns.required_names(columns.PARTICIPANTS)

MILESTONE_COLUMNS: tuple[str, ...] = columns.names(columns.MILESTONES)
MILESTONE_DATE_COLUMNS: tuple[str, ...] = columns.date_names(columns.MILESTONES)
MILESTONE_REQUIRED: tuple[str, ...] = columns.required_names(columns.MILESTONES)

TARGET_COLUMNS: tuple[str, ...] = columns.names(columns.TARGETS)
TARGET_DATE_COLUMNS: tuple[str, ...] = columns.date_names(columns.TARGETS)
TARGET_REQUIRED: tuple[str, ...] = columns.required_names(columns.TARGETS)


def _conform(
    frame: pd.DataFrame, columns: Sequence[str], date_columns: Sequence[str]
) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    for column in columns:
        if column in frame.columns:
            values = frame[column]
        else:
            values = pd.Series(None, index=frame.index, dtype="object")
        if column in date_columns:
            values = pd.to_datetime(values, errors="raise").astype("datetime64[ns]")
        out[column] = values
    return out.reset_index(drop=True)


def conform_participants(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``frame`` with exactly the participant columns and types.

    Parameters
    ----------
    frame : pandas.DataFrame
        Participants with at least ``participant_id``; absent optional columns are added empty.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`PARTICIPANT_COLUMNS`, dates as ``datetime64[ns]``.
    """
    return _conform(frame, PARTICIPANT_COLUMNS, PARTICIPANT_DATE_COLUMNS)


def conform_milestones(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``frame`` with exactly the milestone columns and types.

    Parameters
    ----------
    frame : pandas.DataFrame
        Milestones with ``participant_id``, ``milestone`` and ``date``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`MILESTONE_COLUMNS`, ``date`` as ``datetime64[ns]``.
    """
    return _conform(frame, MILESTONE_COLUMNS, MILESTONE_DATE_COLUMNS)


def conform_targets(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``frame`` with exactly the target columns and types.

    Parameters
    ----------
    frame : pandas.DataFrame
        Targets with ``region``, ``period_start``, ``measure`` and ``target``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TARGET_COLUMNS`, ``period_start`` as ``datetime64[ns]``,
        ``target`` as ``int64``.
    """
    out = _conform(frame, TARGET_COLUMNS, TARGET_DATE_COLUMNS)
    out["target"] = out["target"].astype("int64")
    return out


def empty_participants() -> pd.DataFrame:
    """Return an empty participants frame with the right columns and types."""
    return conform_participants(pd.DataFrame(columns=list(PARTICIPANT_COLUMNS)))


def empty_milestones() -> pd.DataFrame:
    """Return an empty milestones frame with the right columns and types."""
    return conform_milestones(pd.DataFrame(columns=list(MILESTONE_COLUMNS)))


def empty_targets() -> pd.DataFrame:
    """Return an empty targets frame with the right columns and types."""
    return conform_targets(pd.DataFrame(columns=list(TARGET_COLUMNS)))
