"""The data-quality rules, once: what the import warns about and the Data page checks.

Each rule has a machine name, a label for people, a description and one computation
(the functions below), which both :func:`ete_metrics.data.importer` (warnings on an
extract, stored with the import) and :func:`ete_metrics.data.quality.data_quality`
(counts over the stored data) call. The import stores three of them under older
names (:attr:`Rule.import_name`), kept so earlier import histories still read the
same.

The computations take dates as ``datetime64[ns]`` arrays; ``NaT`` compares false, so a
missing date never fails a comparison.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Rule:
    """One data-quality rule.

    Attributes
    ----------
    name : str
        Machine name (the Data page's ``check`` column).
    label : str
        The rule in words for people, e.g. "Milestone before entry".
    description : str
        What a failing record is, in a sentence.
    import_name : str or None
        The name the import's warnings are stored under, or ``None`` when the import
        does not warn about it (there it is an error, or the record cannot occur).
    """

    name: str
    label: str
    description: str
    import_name: str | None


#: The rules, in the order they are reported.
RULES: tuple[Rule, ...] = (
    Rule(
        "milestone_before_entry",
        "Milestone before entry",
        "A milestone is dated before the participant's entry date.",
        "milestone_before_entry",
    ),
    Rule(
        "milestone_without_entry",
        "Milestone without entry",
        "A milestone is recorded for a referral with no entry date (never started).",
        "milestone_without_entry",
    ),
    Rule(
        "referral_after_entry",
        "Referral after entry",
        "The referral date is after the entry date.",
        "referral_after_entry",
    ),
    Rule(
        "exit_before_entry",
        "Exit before entry",
        "The exit date is before the entry date.",
        "exit_before_entry",
    ),
    Rule(
        "date_after_as_of",
        "Date after the cut-off",
        "A referral, entry, exit or milestone date is after the as-of date.",
        "date_after_extract",
    ),
    Rule(
        "sustained_without_job_start",
        "Sustained job without a job start",
        "A job_sustained has no job_start on or before its date.",
        "sustained_without_start",
    ),
    Rule(
        "completed_without_training_start",
        "Training completed without a start",
        "A training_completed has no training_start on or before its date.",
        "completed_without_start",
    ),
    Rule(
        "duplicate_milestone",
        "Milestone recorded twice",
        "The same milestone of a participant is recorded again on the same date.",
        "duplicate_milestone",
    ),
    Rule(
        "entered_without_referral",
        "Entry without referral",
        "An entry date is recorded but no referral date.",
        None,
    ),
    Rule(
        "milestone_unknown_participant",
        "Milestone of an unknown participant",
        "A milestone's participant_id is not in the participants.",
        None,
    ),
)

#: The rules by machine name.
RULES_BY_NAME: dict[str, Rule] = {rule.name: rule for rule in RULES}

#: The later milestone and the earlier one it needs, for the two ordering rules.
NEEDS_EARLIER: dict[str, tuple[str, str]] = {
    "sustained_without_job_start": ("job_sustained", "job_start"),
    "completed_without_training_start": ("training_completed", "training_start"),
}


def referral_after_entry(referral: np.ndarray, entry: np.ndarray) -> np.ndarray:
    """Participants whose ``referral_date`` is after their ``entry_date``."""
    return np.asarray(referral > entry, dtype=bool)


def exit_before_entry(exit_: np.ndarray, entry: np.ndarray) -> np.ndarray:
    """Participants whose ``exit_date`` is before their ``entry_date``."""
    return np.asarray(exit_ < entry, dtype=bool)


def entered_without_referral(referral: np.ndarray, entry: np.ndarray) -> np.ndarray:
    """Participants with an ``entry_date`` and no ``referral_date``."""
    return ~np.isnat(entry) & np.isnat(referral)


def date_after(dates: np.ndarray, limit: pd.Timestamp) -> np.ndarray:
    """Records dated after ``limit`` (the extract date, or the as-of date)."""
    return np.asarray(dates > limit.to_datetime64(), dtype=bool)


def milestone_before_entry(dates: np.ndarray, entry_of: np.ndarray) -> np.ndarray:
    """Milestones dated before their participant's entry date.

    Parameters
    ----------
    dates : numpy.ndarray of datetime64[ns]
        The milestones' dates.
    entry_of : numpy.ndarray of datetime64[ns]
        Each milestone's participant's ``entry_date`` (``NaT`` when none or unknown).
    """
    return np.asarray(dates < entry_of, dtype=bool)


def milestone_without_entry(entry_of: np.ndarray, on_record: np.ndarray) -> np.ndarray:
    """Milestones of a known participant (``on_record``) who has no entry date."""
    return np.asarray(on_record, dtype=bool) & np.isnat(entry_of)


def without_earlier(milestones: pd.DataFrame, rule: str) -> np.ndarray:
    """Milestones of the rule's later type with no earlier-type milestone on or before them.

    Parameters
    ----------
    milestones : pandas.DataFrame
        Needs ``participant_id``, ``milestone`` and ``date``; all its rows are searched
        for the earlier milestone.
    rule : {"sustained_without_job_start", "completed_without_training_start"}

    Returns
    -------
    numpy.ndarray of bool
        One flag per milestone row.
    """
    later, earlier = NEEDS_EARLIER[rule]
    kinds = milestones["milestone"]
    codes, _ = pd.factorize(milestones["participant_id"])  # missing ids get -1, match nothing
    dates = milestones["date"].to_numpy(dtype="datetime64[ns]")
    is_earlier = (kinds == earlier).to_numpy(dtype=bool, na_value=False) & (codes >= 0)
    is_later = (kinds == later).to_numpy(dtype=bool, na_value=False)
    first_earlier = pd.Series(dates[is_earlier]).groupby(codes[is_earlier]).min()
    matched = first_earlier.reindex(pd.Index(codes[is_later])).to_numpy(dtype="datetime64[ns]")
    out = np.zeros(len(milestones), dtype=bool)
    out[np.flatnonzero(is_later)] = np.isnat(matched) | (dates[is_later] < matched)
    return out


#: What makes two milestone rows the same record: one person, one milestone, one date.
MILESTONE_KEY = ("participant_id", "milestone", "date")


def repeated_milestones(milestones: pd.DataFrame) -> np.ndarray:
    """Milestone rows that repeat an earlier row's participant, milestone and date.

    The first row of each record is not flagged, its repeats are (whatever their
    partner). One flag per row.
    """
    if milestones.empty:
        return np.zeros(len(milestones), dtype=bool)
    return milestones.duplicated(list(MILESTONE_KEY), keep="first").to_numpy(dtype=bool)
