"""Data-quality checks on participants and milestones, with counts and example ids."""

from __future__ import annotations

import heapq

import numpy as np
import pandas as pd

from ete_metrics.counting.match import match_rows
from ete_metrics.counting.population import AsOf, to_timestamp
from ete_metrics.data import checks
from ete_metrics.errors import InputError

#: Columns of :func:`data_quality`.
QUALITY_COLUMNS: tuple[str, ...] = ("check", "description", "count", "example_ids")

#: The checks, in the order reported, with what each one means (from :mod:`.checks`).
CHECKS: dict[str, str] = {rule.name: rule.description for rule in checks.RULES}

#: How many example ids each check lists.
MAX_EXAMPLES = 5


def _ids_at(values: pd.Series, mask: np.ndarray) -> np.ndarray:
    """The ids where ``mask`` holds, as an object array (only those converted)."""
    return np.asarray(values.array[np.asarray(mask, dtype=bool)], dtype=object)


def data_quality(
    participants: pd.DataFrame, milestones: pd.DataFrame, *, as_of: AsOf
) -> pd.DataFrame:
    """Run the data-quality checks and report how many participants each one finds.

    Parameters
    ----------
    participants, milestones : pandas.DataFrame
        In the import format (:mod:`ete_metrics.data.frames`); all records are checked,
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
    - ``milestone_without_entry``: a milestone of a participant who has no
      ``entry_date`` (a referral that never started); it cannot count as an outcome.
    - ``referral_after_entry``: ``referral_date > entry_date``.
    - ``exit_before_entry``: ``exit_date < entry_date``.
    - ``date_after_as_of``: any referral, entry, exit or milestone date after ``as_of``
      (an extract from the future, or a mistyped year).
    - ``sustained_without_job_start``: a ``job_sustained`` with no ``job_start`` for
      the same participant on or before its date.
    - ``completed_without_training_start``: likewise for ``training_completed`` and
      ``training_start``.
    - ``duplicate_milestone``: a milestone repeating another of the same participant,
      milestone and date (an import stores one of them; older data may hold both).
    - ``entered_without_referral``: ``entry_date`` set but ``referral_date`` missing.
    - ``milestone_unknown_participant``: a milestone whose ``participant_id`` is not
      in ``participants`` (it cannot count anywhere).

    The rules (names, labels, computations) are those of :mod:`ete_metrics.data.checks`,
    which the import's warnings use too: here they run on the stored data as a whole
    (each import's own warnings are stored in ``import_warnings``, where
    ``sustained_without_job_start``, ``completed_without_training_start`` and
    ``date_after_as_of`` are named ``sustained_without_start``,
    ``completed_without_start`` and ``date_after_extract``). The import's
    ``unknown_column`` is about a file, not the records, and is only in the stored
    warnings.
    """
    limit = to_timestamp(as_of)
    return _summary(_failing_ids(participants, milestones, limit))


def _entry_of_milestones(
    id_values: pd.Series, entry: np.ndarray, m_id_values: pd.Series
) -> tuple[np.ndarray, np.ndarray]:
    """Each milestone's participant's entry date (``NaT`` when none), and whether the
    participant is known (the first row when an id repeats)."""
    try:
        rows = match_rows(id_values, m_id_values)
        entry_lookup = entry
    except InputError:  # repeated ids: the first row of each
        index = pd.Index(id_values.astype(object).to_numpy(), dtype=object)
        keep = ~index.duplicated()
        index = index[keep]
        entry_lookup = entry[keep]
        rows = index.get_indexer(pd.Index(m_id_values.astype(object).to_numpy(), dtype=object))
    known = rows >= 0
    m_entry = np.where(known, entry_lookup[np.where(known, rows, 0)], np.datetime64("NaT"))
    return m_entry, known


def _failing_ids(
    participants: pd.DataFrame, milestones: pd.DataFrame, limit: pd.Timestamp
) -> dict[str, np.ndarray]:
    """The participant id of every failing record, by check (an id once per record)."""
    id_values = participants["participant_id"]
    referral = participants["referral_date"].to_numpy(dtype="datetime64[ns]")
    entry = participants["entry_date"].to_numpy(dtype="datetime64[ns]")
    exit_ = participants["exit_date"].to_numpy(dtype="datetime64[ns]")
    m_id_values = milestones["participant_id"]
    m_dates = milestones["date"].to_numpy(dtype="datetime64[ns]")
    m_entry, known = _entry_of_milestones(id_values, entry, m_id_values)

    def ids(mask: np.ndarray) -> np.ndarray:
        return _ids_at(id_values, mask)

    def m_ids(mask: np.ndarray) -> np.ndarray:
        return _ids_at(m_id_values, mask)

    found: dict[str, np.ndarray] = {
        "milestone_before_entry": m_ids(checks.milestone_before_entry(m_dates, m_entry)),
        "milestone_without_entry": m_ids(checks.milestone_without_entry(m_entry, known)),
        "referral_after_entry": ids(checks.referral_after_entry(referral, entry)),
        "exit_before_entry": ids(checks.exit_before_entry(exit_, entry)),
        "date_after_as_of": np.concatenate(
            [
                ids(
                    checks.date_after(referral, limit)
                    | checks.date_after(entry, limit)
                    | checks.date_after(exit_, limit)
                ),
                m_ids(checks.date_after(m_dates, limit)),
            ]
        ),
        "duplicate_milestone": m_ids(checks.repeated_milestones(milestones)),
        "entered_without_referral": ids(checks.entered_without_referral(referral, entry)),
        "milestone_unknown_participant": m_ids(~known),
    }
    for rule in checks.NEEDS_EARLIER:
        found[rule] = m_ids(checks.without_earlier(milestones, rule))
    return found


def _summary(found: dict[str, np.ndarray]) -> pd.DataFrame:
    """One row per check in :data:`CHECKS` order: its distinct participants and examples."""
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
