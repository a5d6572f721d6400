"""Data-quality checks on participants and milestones, with counts and example ids."""

from __future__ import annotations

import heapq

import numpy as np
import pandas as pd

from ete_metrics.population import AsOf, to_timestamp

#: Columns of :func:`data_quality`.
QUALITY_COLUMNS: tuple[str, ...] = ("check", "description", "count", "example_ids")

#: The checks, in the order reported, with what each one means.
CHECKS: dict[str, str] = {
    "milestone_before_entry": "A milestone is dated before the participant's entry date.",
    "referral_after_entry": "The referral date is after the entry date.",
    "exit_before_entry": "The exit date is before the entry date.",
    "date_after_as_of": "A referral, entry, exit or milestone date is after the as-of date.",
    "sustained_without_job_start": (
        "A job_sustained has no job_start on or before its date."
    ),
    "completed_without_training_start": (
        "A training_completed has no training_start on or before its date."
    ),
    "entered_without_referral": "An entry date is recorded but no referral date.",
    "milestone_unknown_participant": "A milestone's participant_id is not in the participants.",
}

#: How many example ids each check lists.
MAX_EXAMPLES = 5


def _without_earlier(milestones: pd.DataFrame, later: str, earlier: str) -> np.ndarray:
    """Participant ids with a ``later`` milestone that has no ``earlier`` one on or before it."""
    kinds = milestones["milestone"].to_numpy()
    ids = milestones["participant_id"].astype(object).to_numpy()
    dates = milestones["date"].to_numpy(dtype="datetime64[ns]")
    first_earlier = (
        pd.Series(dates[kinds == earlier]).groupby(ids[kinds == earlier]).min()
    )
    is_later = kinds == later
    later_ids = ids[is_later]
    later_dates = dates[is_later]
    matched = first_earlier.reindex(pd.Index(later_ids, dtype=object)).to_numpy(
        dtype="datetime64[ns]"
    )
    bad = np.isnat(matched) | (later_dates < matched)
    return np.asarray(later_ids[bad], dtype=object)


def data_quality(participants: pd.DataFrame, milestones: pd.DataFrame, *, as_of: AsOf) -> pd.DataFrame:
    """Run the data-quality checks and report how many participants each one finds.

    Parameters
    ----------
    participants, milestones : pandas.DataFrame
        In the import format (:mod:`ete_metrics.frames`); all records are checked,
        whatever their dates.
    as_of : date-like
        Dates after this are flagged by ``date_after_as_of``.

    Returns
    -------
    pandas.DataFrame
        One row per check in :data:`CHECKS` order (always all of them):
        ``check`` (machine name), ``description``, ``count`` (int64: the number of
        distinct participants with at least one record failing the check) and
        ``example_ids`` (up to 5 of those participant ids, in sorted order, joined
        with ", "; empty when the count is 0).

    Notes
    -----
    - ``milestone_before_entry``: a milestone dated before its participant's
      ``entry_date`` (participants with no entry date are not checked). Such
      milestones are not counted as outcomes.
    - ``referral_after_entry``: ``referral_date > entry_date``.
    - ``exit_before_entry``: ``exit_date < entry_date``.
    - ``date_after_as_of``: any referral, entry, exit or milestone date after ``as_of``
      (an extract from the future, or a mistyped year).
    - ``sustained_without_job_start``: a ``job_sustained`` with no ``job_start`` for
      the same participant on or before its date.
    - ``completed_without_training_start``: likewise for ``training_completed`` and
      ``training_start``.
    - ``entered_without_referral``: ``entry_date`` set but ``referral_date`` missing.
    - ``milestone_unknown_participant``: a milestone whose ``participant_id`` is not
      in ``participants`` (it cannot count anywhere).
    """
    stamp = to_timestamp(as_of).to_datetime64()
    ids = participants["participant_id"].astype(object).to_numpy()
    referral = participants["referral_date"].to_numpy(dtype="datetime64[ns]")
    entry = participants["entry_date"].to_numpy(dtype="datetime64[ns]")
    exit_ = participants["exit_date"].to_numpy(dtype="datetime64[ns]")
    m_ids = milestones["participant_id"].astype(object).to_numpy()
    m_dates = milestones["date"].to_numpy(dtype="datetime64[ns]")

    # Entry date of each milestone's participant (first row when an id repeats).
    index = pd.Index(ids, dtype=object)
    if not index.is_unique:
        keep = ~index.duplicated()
        index = index[keep]
        entry_lookup = entry[keep]
    else:
        entry_lookup = entry
    rows = index.get_indexer(pd.Index(m_ids, dtype=object))
    known = rows >= 0
    m_entry = np.where(known, entry_lookup[np.where(known, rows, 0)], np.datetime64("NaT"))

    # NaT compares False, so missing dates never fail a comparison.
    found: dict[str, np.ndarray] = {
        "milestone_before_entry": m_ids[known & (m_dates < m_entry)],
        "referral_after_entry": ids[referral > entry],
        "exit_before_entry": ids[exit_ < entry],
        "date_after_as_of": np.concatenate(
            [ids[(referral > stamp) | (entry > stamp) | (exit_ > stamp)], m_ids[m_dates > stamp]]
        ),
        "sustained_without_job_start": _without_earlier(milestones, "job_sustained", "job_start"),
        "completed_without_training_start": _without_earlier(
            milestones, "training_completed", "training_start"
        ),
        "entered_without_referral": ids[~np.isnat(entry) & np.isnat(referral)],
        "milestone_unknown_participant": m_ids[~known],
    }
    counts = []
    examples = []
    for check in CHECKS:
        unique = pd.unique(pd.Series(found[check], dtype=object).dropna())
        counts.append(len(unique))
        examples.append(", ".join(heapq.nsmallest(MAX_EXAMPLES, (str(v) for v in unique))))
    return pd.DataFrame(
        {
            "check": pd.Series(list(CHECKS), dtype=object),
            "description": pd.Series(list(CHECKS.values()), dtype=object),
            "count": pd.Series(counts, dtype="int64"),
            "example_ids": pd.Series(examples, dtype=object),
        }
    )
