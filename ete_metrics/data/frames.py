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

The engagement frame (:data:`ENGAGEMENT_COLUMNS`, :func:`conform_engagement`) has one row
per referral, its columns named for what Refer and Monitor's service provider performance
report records: ``referral_id`` and ``participant_id`` (pseudonymous) and ``referral_date``
(required); ``region``, ``delivery_partner``, ``pathway``; the first appointment
(``first_appointment_arranged_on``, ``_scheduled_for``, ``_missed_on``, ``_attended_on``,
``_completed_on``, ``first_appointment_on_time``); the action plan
(``action_plan_submitted_on``, ``action_plan_approved_on``); ``first_session_attended_on``;
``sessions_expected`` and ``sessions_attended``; ``outcomes_to_achieve`` and
``achievement_score`` (1 achieved, 0.5 partly, 0 not, summed);
``end_of_service_report_submitted_on``; ``end_requested_on`` and ``end_reason`` (a code of
``steps.EXIT_REASONS``); ``concluded_on`` and ``end_state`` (``steps.END_STATES``);
``complete_by``, ``sentence_end_date``; ``release_date`` (custody). Its dates are calendar
dates in London: a timestamp with a time zone is converted before its time is dropped. The
comment block above :data:`ENGAGEMENT_COLUMNS` gives each column's source;
``docs/engagement.md`` the whole contract. :data:`NATIONAL_COLUMNS` is the national figures'
table (:func:`read_national_figures`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import pandas as pd

from ete_metrics.data import columns

from ..counting.workdays import london_dates

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


# --- Engagement: one row per referral (issue 28) -------------------------------------------
#
# The columns are named for what Refer and Monitor's service provider performance report
# records (its column in brackets); CATS and the provider's own format fill what they hold.
# Only the ids and the referral date are required. docs/engagement.md has the full contract.
#
#   referral_id                          pseudonymous referral id (referral_id/referral_ref)
#   participant_id                       as in the participants frame (service_user_crn)
#   region                               contract region (contract_ref through its contract)
#   delivery_partner                     provider (organisation_id)
#   pathway                              "custody" or "community" (config.PATHWAYS)
#   referral_date                        referral received (date_referral_received)
#   first_appointment_arranged_on        (date_saa_first_arranged)
#   first_appointment_scheduled_for      (date_saa_first_scheduled_for)
#   first_appointment_missed_on          first not attended (date_saa_first_not_attended)
#   first_appointment_attended_on        first attended, on time or late (date_saa_first_attended)
#   first_appointment_completed_on       (date_saa_first_completed)
#   first_appointment_on_time            True on time, False late (saa_attended_on_time)
#   action_plan_submitted_on             (date_first_action_plan_submitted)
#   action_plan_approved_on              (date_of_first_action_plan_approval)
#   first_session_attended_on            (date_of_first_attended_session)
#   sessions_expected                    (count_of_sessions_expected)
#   sessions_attended                    (count_of_sessions_attended)
#   outcomes_to_achieve                  desired outcomes (outcomes_to_be_achieved_count)
#   achievement_score                    1 achieved, 0.5 partly, 0 not, summed (outcomes_achieved)
#   end_of_service_report_submitted_on   (date_eosr_submitted)
#   end_requested_on                     (end_requested_by_pp_at)
#   end_reason                           a code of steps.EXIT_REASONS (end_requested_by_pp_reason)
#   concluded_on                         (concluded_at)
#   end_state                            open, completed, ended, cancelled (referral_end_state)
#   complete_by                          (date_intervention_to_be_completed_by)
#   sentence_end_date                    (end_of_sentence_date)
#   release_date                         custody: the day of release from prison

ENGAGEMENT_COLUMNS: tuple[str, ...] = (
    "referral_id",
    "participant_id",
    "region",
    "delivery_partner",
    "pathway",
    "referral_date",
    "first_appointment_arranged_on",
    "first_appointment_scheduled_for",
    "first_appointment_missed_on",
    "first_appointment_attended_on",
    "first_appointment_completed_on",
    "first_appointment_on_time",
    "action_plan_submitted_on",
    "action_plan_approved_on",
    "first_session_attended_on",
    "sessions_expected",
    "sessions_attended",
    "outcomes_to_achieve",
    "achievement_score",
    "end_of_service_report_submitted_on",
    "end_requested_on",
    "end_reason",
    "concluded_on",
    "end_state",
    "complete_by",
    "sentence_end_date",
    "release_date",
)
ENGAGEMENT_DATE_COLUMNS: tuple[str, ...] = (
    "referral_date",
    "first_appointment_arranged_on",
    "first_appointment_scheduled_for",
    "first_appointment_missed_on",
    "first_appointment_attended_on",
    "first_appointment_completed_on",
    "action_plan_submitted_on",
    "action_plan_approved_on",
    "first_session_attended_on",
    "end_of_service_report_submitted_on",
    "end_requested_on",
    "concluded_on",
    "complete_by",
    "sentence_end_date",
    "release_date",
)
#: Whole-number counts (nullable ``Int64``).
ENGAGEMENT_COUNT_COLUMNS: tuple[str, ...] = (
    "sessions_expected",
    "sessions_attended",
    "outcomes_to_achieve",
)
#: Columns an engagement file must have (the others are optional).
ENGAGEMENT_REQUIRED: tuple[str, ...] = ("referral_id", "participant_id", "referral_date")



def _numbers(values: pd.Series, dtype: Literal["Int64", "Float64"]) -> pd.Series:
    if values.dtype == object and values.isna().all():
        return pd.Series(pd.NA, index=values.index, dtype=dtype)
    return pd.to_numeric(values, errors="raise").astype(dtype)


def conform_engagement(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``frame`` with exactly the engagement columns and types.

    Parameters
    ----------
    frame : pandas.DataFrame
        Referrals with at least :data:`ENGAGEMENT_REQUIRED`; absent optional columns are
        added empty. Not modified.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`ENGAGEMENT_COLUMNS`. Dates (:data:`ENGAGEMENT_DATE_COLUMNS`) are
        calendar dates in London as ``datetime64[ns]``: a timestamp with a time zone (Refer
        and Monitor's ``2023-07-02T23:30:00Z``) is converted to London time before its time
        is dropped (that one is 3 July), a naive one is taken as London time. Counts are
        ``Int64``, ``achievement_score`` ``Float64``, ``first_appointment_on_time``
        ``boolean``; text stays as given.
    """
    out = _conform(frame, ENGAGEMENT_COLUMNS, ())
    for column in ENGAGEMENT_DATE_COLUMNS:
        out[column] = london_dates(out[column])
    for column in ENGAGEMENT_COUNT_COLUMNS:
        out[column] = _numbers(out[column], "Int64")
    out["achievement_score"] = _numbers(out["achievement_score"], "Float64")
    out["first_appointment_on_time"] = out["first_appointment_on_time"].astype("boolean")
    return out


def empty_engagement() -> pd.DataFrame:
    """Return an empty engagement frame with the right columns and types."""
    return conform_engagement(pd.DataFrame(columns=list(ENGAGEMENT_COLUMNS)))


#: National figures a programme is compared with (HMPPS offender employment outcomes
#: statistics: MI016, the share of prison leavers in employment 6 weeks after release;
#: MI017, 6 months), one row per measure and period; ``value`` is a share (0 to 1).
NATIONAL_COLUMNS: tuple[str, ...] = ("source", "measure", "period", "period_end", "value")
NATIONAL_DATE_COLUMNS: tuple[str, ...] = ("period_end",)


def conform_national(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``frame`` with exactly :data:`NATIONAL_COLUMNS`, ``value`` as ``Float64``."""
    out = _conform(frame, NATIONAL_COLUMNS, NATIONAL_DATE_COLUMNS)
    out["value"] = pd.to_numeric(out["value"], errors="raise").astype("Float64")
    return out


#: The national figures kept as data (``docs/engagement.md`` says where they come from).
NATIONAL_FIGURES_FILE = Path(__file__).parent / "reference" / "national_prison_leavers.csv"


def read_national_figures(path: Path | None = None) -> pd.DataFrame:
    """The national figures file (default :data:`NATIONAL_FIGURES_FILE`), conformed.

    The file shipped holds the header only until a published figure is entered with its
    source and period: the prison leavers' metric then shows the national columns as missing.
    """
    return conform_national(pd.read_csv(path or NATIONAL_FIGURES_FILE, dtype={"value": "float64"}))
