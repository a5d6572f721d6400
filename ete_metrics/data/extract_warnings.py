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


def extract_warnings(
    p_table: Table,
    participants: pd.DataFrame,
    m_table: Table,
    milestones: pd.DataFrame,
    extract_date: date | None,
    known_entry_dates: pd.Series | None = None,
) -> list[Problem]:
    """The import's warnings: the rules of :mod:`ete_metrics.data.checks` on the extract."""
    out: list[Problem] = []
    pids = participants["participant_id"]
    entry = participants["entry_date"]
    referral = participants["referral_date"]
    exit_ = participants["exit_date"]
    entry_values = entry.to_numpy(dtype="datetime64[ns]")

    def name(rule: str) -> str:
        return checks.RULES_BY_NAME[rule].import_name or rule

    out += warnings_at(
        p_table,
        checks.referral_after_entry(referral.to_numpy(dtype="datetime64[ns]"), entry_values),
        "referral_date",
        name("referral_after_entry"),
        lambda i: f"referral_date {fmt(referral.iat[i])} is after entry_date {fmt(entry.iat[i])}",
        pids,
    )
    out += warnings_at(
        p_table,
        checks.exit_before_entry(exit_.to_numpy(dtype="datetime64[ns]"), entry_values),
        "exit_date",
        name("exit_before_entry"),
        lambda i: f"exit_date {fmt(exit_.iat[i])} is before entry_date {fmt(entry.iat[i])}",
        pids,
    )

    mids = milestones["participant_id"]
    when = milestones["date"]
    when_values = when.to_numpy(dtype="datetime64[ns]")
    kind = milestones["milestone"]
    # One hash pass: each milestone's participant as a code, then its row in the participants.
    codes, uniques = pd.factorize(mids)
    position = pd.Index(pids.to_numpy(dtype=object)).get_indexer(pd.Index(uniques, dtype=object))[
        codes
    ]
    in_file = position >= 0
    m_entry_values = np.full(len(mids), np.datetime64("NaT"), dtype="datetime64[ns]")
    m_entry_values[in_file] = entry_values[position[in_file]]
    # A milestone of a stored participant who is not in this extract is checked
    # against the entry date on record (the extract's own rows win for the others).
    has_entry_record = in_file.copy()
    if known_entry_dates is not None and len(known_entry_dates) and not in_file.all():
        stored_ids = known_entry_dates.index
        if stored_ids.dtype != object:  # e.g. Arrow strings: match on plain str objects
            stored_ids = pd.Index(stored_ids.to_numpy(dtype=object))
        stored = stored_ids.get_indexer(pd.Index(uniques, dtype=object))[codes]
        on_record = ~in_file & (stored >= 0)
        stored_values = known_entry_dates.to_numpy(dtype="datetime64[ns]")
        m_entry_values[on_record] = stored_values[stored[on_record]]
        has_entry_record |= on_record
    m_entry = pd.Series(m_entry_values, index=mids.index)
    out += warnings_at(
        m_table,
        checks.milestone_before_entry(when_values, m_entry_values),
        "date",
        name("milestone_before_entry"),
        lambda i: (
            f"{kind.iat[i]} on {fmt(when.iat[i])} is before the participant's entry_date "
            f"{fmt(m_entry.iat[i])}"
        ),
        mids,
    )
    out += warnings_at(
        m_table,
        checks.milestone_without_entry(m_entry_values, has_entry_record),
        "date",
        name("milestone_without_entry"),
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
            name(rule),
            _constant(f"{later} without a {earlier} for this participant"),
            mids,
        )

    start = pd.Timestamp(config.CONTRACT_START)
    for column in frames.PARTICIPANT_DATE_COLUMNS:
        values = participants[column]
        out += warnings_at(
            p_table,
            (values < start).to_numpy(),
            column,
            "date_before_contract",
            _before_contract_message(column, values, start),
            pids,
        )
    out += warnings_at(
        m_table,
        (when < start).to_numpy(),
        "date",
        "date_before_contract",
        _before_contract_message("{kind} date", when, start, kind),
        mids,
    )

    if extract_date is not None:
        limit = pd.Timestamp(extract_date)
        for column in frames.PARTICIPANT_DATE_COLUMNS:
            values = participants[column]
            out += warnings_at(
                p_table,
                checks.date_after(values.to_numpy(dtype="datetime64[ns]"), limit),
                column,
                name("date_after_as_of"),
                _after_extract_message(column, values, limit),
                pids,
            )
        out += warnings_at(
            m_table,
            checks.date_after(when_values, limit),
            "date",
            name("date_after_as_of"),
            lambda i: (
                f"{kind.iat[i]} date {fmt(when.iat[i])} is after the extract date {limit:%Y-%m-%d}"
            ),
            mids,
        )
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
