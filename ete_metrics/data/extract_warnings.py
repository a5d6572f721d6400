"""The warnings of an import: the data-quality rules of :mod:`ete_metrics.data.checks` on
a valid extract, each failing row a :class:`Problem` naming its file, line and column.

The rules themselves (what counts as a milestone before entry, a sustained job without
a start, ...) live in :mod:`ete_metrics.data.checks`, the one home of the rules the Data
page counts too (:mod:`ete_metrics.data.quality`); here they get the import's names
(:attr:`ete_metrics.data.checks.Rule.import_name`) and messages. A warning does not stop
the import: every one is stored with it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np
import pandas as pd

from ete_metrics import config
from ete_metrics.data import checks, frames
from ete_metrics.data.reading import Table, warnings_at
from ete_metrics.data.validation import fmt
from ete_metrics.errors import Problem

__all__ = ["extract_warnings", "repeated_milestones"]


def _constant(message: str) -> Callable[[int], str]:
    return lambda _i: message


def _after_extract_message(
    column: str, values: pd.Series, limit: pd.Timestamp
) -> Callable[[int], str]:
    return lambda i: f"{column} {fmt(values.iat[i])} is after the extract date {limit:%Y-%m-%d}"


def _before_contract_message(
    label: str, values: pd.Series, start: pd.Timestamp, kind: pd.Series | None = None
) -> Callable[[int], str]:
    def message(i: int) -> str:
        name = label.format(kind=kind.iat[i]) if kind is not None else label
        return (
            f"{name} {fmt(values.iat[i])} is before the contract started ({start:%Y-%m-%d}); "
            "check the year"
        )

    return message


def _name(rule: str) -> str:
    """The name the import stores a rule's warnings under."""
    return checks.RULES_BY_NAME[rule].import_name or rule


def _dates(values: pd.Series) -> np.ndarray:
    return values.to_numpy(dtype="datetime64[ns]")


def _participants_in_order(p_table: Table, participants: pd.DataFrame) -> list[Problem]:
    """A referral after the entry, an exit before it."""
    pids = participants["participant_id"]
    entry = participants["entry_date"]
    referral = participants["referral_date"]
    exit_ = participants["exit_date"]
    out = warnings_at(
        p_table,
        checks.referral_after_entry(_dates(referral), _dates(entry)),
        "referral_date",
        _name("referral_after_entry"),
        lambda i: f"referral_date {fmt(referral.iat[i])} is after entry_date {fmt(entry.iat[i])}",
        pids,
    )
    out += warnings_at(
        p_table,
        checks.exit_before_entry(_dates(exit_), _dates(entry)),
        "exit_date",
        _name("exit_before_entry"),
        lambda i: f"exit_date {fmt(exit_.iat[i])} is before entry_date {fmt(entry.iat[i])}",
        pids,
    )
    return out


def _entry_of_milestones(
    participants: pd.DataFrame, milestones: pd.DataFrame, known_entry_dates: pd.Series | None
) -> tuple[np.ndarray, np.ndarray]:
    """Each milestone's participant's entry date (``NaT`` when none), and whether that
    participant is on record at all (in the extract, or stored).

    A milestone of a stored participant who is not in this extract is checked against
    the entry date on record (the extract's own rows win for the others).
    """
    mids = milestones["participant_id"]
    # One hash pass: each milestone's participant as a code, then its row in the participants.
    codes, uniques = pd.factorize(mids)
    wanted = pd.Index(uniques, dtype=object)
    position = pd.Index(participants["participant_id"].to_numpy(dtype=object)).get_indexer(wanted)
    position = position[codes]
    in_file = position >= 0
    entry_of = np.full(len(mids), np.datetime64("NaT"), dtype="datetime64[ns]")
    entry_of[in_file] = _dates(participants["entry_date"])[position[in_file]]
    on_record = in_file.copy()
    if known_entry_dates is not None and len(known_entry_dates) and not in_file.all():
        stored_ids = known_entry_dates.index
        if stored_ids.dtype != object:  # e.g. Arrow strings: match on plain str objects
            stored_ids = pd.Index(stored_ids.to_numpy(dtype=object))
        stored = stored_ids.get_indexer(wanted)[codes]
        stored_only = ~in_file & (stored >= 0)
        entry_of[stored_only] = _dates(known_entry_dates)[stored[stored_only]]
        on_record |= stored_only
    return entry_of, on_record


def _milestones_in_order(
    m_table: Table, milestones: pd.DataFrame, entry_of: np.ndarray, on_record: np.ndarray
) -> list[Problem]:
    """A milestone before its participant's entry, of a participant who never started, or
    without the milestone it needs first (a sustained job without a job start, ...)."""
    mids = milestones["participant_id"]
    when = milestones["date"]
    kind = milestones["milestone"]
    m_entry = pd.Series(entry_of, index=mids.index)
    out = warnings_at(
        m_table,
        checks.milestone_before_entry(_dates(when), entry_of),
        "date",
        _name("milestone_before_entry"),
        lambda i: (
            f"{kind.iat[i]} on {fmt(when.iat[i])} is before the participant's entry_date "
            f"{fmt(m_entry.iat[i])}"
        ),
        mids,
    )
    out += warnings_at(
        m_table,
        checks.milestone_without_entry(entry_of, on_record),
        "date",
        _name("milestone_without_entry"),
        lambda i: (
            f"{kind.iat[i]} for a participant with no entry_date (a referral that never started)"
        ),
        mids,
    )
    for rule, (later, earlier) in checks.NEEDS_EARLIER.items():
        out += warnings_at(
            m_table,
            checks.without_earlier(milestones, rule),
            "milestone",
            _name(rule),
            _constant(f"{later} without a {earlier} for this participant"),
            mids,
        )
    return out


def _before_contract(
    p_table: Table, participants: pd.DataFrame, m_table: Table, milestones: pd.DataFrame
) -> list[Problem]:
    """Every date before the contract started (a mistyped year, most likely)."""
    start = pd.Timestamp(config.CONTRACT_START)
    out: list[Problem] = []
    for column in frames.PARTICIPANT_DATE_COLUMNS:
        values = participants[column]
        out += warnings_at(
            p_table,
            (values < start).to_numpy(),
            column,
            "date_before_contract",
            _before_contract_message(column, values, start),
            participants["participant_id"],
        )
    when = milestones["date"]
    out += warnings_at(
        m_table,
        (when < start).to_numpy(),
        "date",
        "date_before_contract",
        _before_contract_message("{kind} date", when, start, milestones["milestone"]),
        milestones["participant_id"],
    )
    return out


def _after_extract(
    p_table: Table,
    participants: pd.DataFrame,
    m_table: Table,
    milestones: pd.DataFrame,
    extract_date: date,
) -> list[Problem]:
    """Every date after the extract was taken (from the future, or a mistyped year)."""
    limit = pd.Timestamp(extract_date)
    out: list[Problem] = []
    for column in frames.PARTICIPANT_DATE_COLUMNS:
        values = participants[column]
        out += warnings_at(
            p_table,
            checks.date_after(_dates(values), limit),
            column,
            _name("date_after_as_of"),
            _after_extract_message(column, values, limit),
            participants["participant_id"],
        )
    when = milestones["date"]
    kind = milestones["milestone"]
    out += warnings_at(
        m_table,
        checks.date_after(_dates(when), limit),
        "date",
        _name("date_after_as_of"),
        lambda i: (
            f"{kind.iat[i]} date {fmt(when.iat[i])} is after the extract date {limit:%Y-%m-%d}"
        ),
        milestones["participant_id"],
    )
    return out


def extract_warnings(
    p_table: Table,
    participants: pd.DataFrame,
    m_table: Table,
    milestones: pd.DataFrame,
    extract_date: date | None,
    known_entry_dates: pd.Series | None = None,
) -> list[Problem]:
    """The import's warnings: the rules of :mod:`ete_metrics.data.checks` on the extract.

    Parameters
    ----------
    p_table, m_table : Table
        The participants and milestones files as read (their lines name the warnings).
    participants, milestones : pandas.DataFrame
        Their valid frames.
    extract_date : datetime.date, optional
        Dates after it are warned about (``None``: not checked).
    known_entry_dates : pandas.Series, optional
        Stored participants' entry dates by id, for milestones of participants who
        are not in the extract.
    """
    entry_of, on_record = _entry_of_milestones(participants, milestones, known_entry_dates)
    out = _participants_in_order(p_table, participants)
    out += _milestones_in_order(m_table, milestones, entry_of, on_record)
    out += _before_contract(p_table, participants, m_table, milestones)
    if extract_date is not None:
        out += _after_extract(p_table, participants, m_table, milestones, extract_date)
    return out


def repeated_milestones(
    m_table: Table, milestones: pd.DataFrame
) -> tuple[list[Problem], pd.DataFrame]:
    """Keep one of identical milestone rows (same participant, milestone and date), with a
    ``duplicate_milestone`` warning for each repeat; return (warnings, milestones kept).

    The first row is kept; the milestones' table loses the repeats too, so the later
    warnings' lines stay those of the rows kept.
    """
    repeat = checks.repeated_milestones(milestones)
    if not repeat.any():
        return [], milestones
    key = list(checks.MILESTONE_KEY)
    first = ~repeat
    kept_rows = milestones.loc[first, key].assign(_line=m_table.lines[first])
    kept_rows["_partner"] = milestones.loc[first, "partner"]
    found = milestones.loc[:, key].merge(kept_rows, on=key, how="left")  # keeps the row order
    first_line = found["_line"].to_numpy()
    first_partner = found["_partner"]
    kind = milestones["milestone"]
    when = milestones["date"]
    partner = milestones["partner"]

    def plain(value: object) -> str:
        return "" if value is None or value != value else str(value)  # blank, None or NaN

    def message(i: int) -> str:
        differs = plain(partner.iat[i]) != plain(first_partner.iat[i])
        note = "; its partner differs, and the first row's is kept" if differs else ""
        return (
            f"{kind.iat[i]} on {fmt(when.iat[i])} repeats line {int(first_line[i]):,} (the same "
            f"participant, milestone and date): stored once{note}"
        )

    warnings = warnings_at(
        m_table, repeat, "milestone", "duplicate_milestone", message, milestones["participant_id"]
    )
    m_table.frame = m_table.frame.loc[first].reset_index(drop=True)
    m_table.lines = m_table.lines[first]
    return warnings, milestones.loc[first].reset_index(drop=True)
