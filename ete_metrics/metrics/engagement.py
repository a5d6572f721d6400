"""Engagement and timeliness: the programme as Refer and Monitor records each referral.

Every function takes the engagement frame (:func:`ete_metrics.data.frames.conform_engagement`:
one row per referral; a frame in any date form is conformed first, so a UTC timestamp counts
on its London date) and an explicit as-at date, never reads the clock, never modifies its
inputs, and returns a new tidy frame with one row per group of ``by``. Only referrals received
on or before the as-at date count, and only what was recorded by then: a first appointment
attended, an action plan approved, an end-of-service report submitted or a referral concluded
after the as-at date has not happened yet. The session and outcome counts are as the source
last recorded them (the export holds no history of them). Definitions:
``steps.ENGAGEMENT_TERMS`` and ``docs/engagement.md``.

- :func:`timeliness`: working days (England and Wales, :mod:`ete_metrics.counting.workdays`)
  from the referral to the first appointment attended (threshold 10) and arranged
  (threshold 5): the median, the share within the threshold, RAG against a service level.
- :func:`engagement_rates`: first appointments attended on time, action plans approved,
  the pooled attendance rate.
- :func:`end_states`: open, completed, ended, cancelled at the as-at date.
- :func:`engagement_summary`: the CLI's ``engagement`` rows, exactly :data:`SUMMARY_COLUMNS`.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction

import numpy as np
import pandas as pd

from ete_metrics import steps
from ete_metrics.counting.population import AsOf, to_timestamp
from ete_metrics.counting.workdays import working_days_between
from ete_metrics.data.frames import conform_engagement
from ete_metrics.errors import InputError

#: Columns of the engagement frame a figure can be grouped by.
ENGAGEMENT_GROUPING: tuple[str, ...] = ("region", "delivery_partner", "pathway")

#: The default thresholds, in working days after the referral.
ATTENDED_THRESHOLD_DAYS: int = 10
ARRANGED_THRESHOLD_DAYS: int = 5

#: The columns of :func:`engagement_summary` after the grouping keys (the CLI's JSON rows).
SUMMARY_COLUMNS: tuple[str, ...] = (
    "referrals",
    "first_appointment_attended",
    "median_working_days_to_first_appointment",
    "threshold_working_days",
    "eligible_for_threshold",
    "attended_within_threshold",
    "share_within_threshold",
    "sessions_expected",
    "sessions_attended",
    "attendance_rate",
    "outcomes_to_achieve",
    "outcomes_achieved",
    "achievement_rate",
    *steps.END_STATES,
)

#: The columns of :func:`timeliness` after the grouping keys.
TIMELINESS_COLUMNS: tuple[str, ...] = (
    "measure",
    "threshold_working_days",
    "referrals",
    "reached",
    "median_working_days",
    "eligible_for_threshold",
    "within_threshold",
    "share_within_threshold",
    "service_level",
    "rag",
)

#: The columns of :func:`engagement_rates` after the grouping keys.
RATES_COLUMNS: tuple[str, ...] = (
    "referrals",
    "first_appointment_attended",
    "attended_on_time",
    "on_time_rate",
    "action_plan_approved",
    "action_plan_rate",
    "sessions_expected",
    "sessions_attended",
    "attendance_rate",
)

#: The columns of :func:`end_states` after the grouping keys.
END_STATE_COLUMNS: tuple[str, ...] = ("referrals", *steps.END_STATES)


def validate_engagement_by(by: str | Iterable[str] | None) -> list[str]:
    """Grouping keys of the engagement figures as a list.

    Raises
    ------
    InputError
        For a key that is not one of :data:`ENGAGEMENT_GROUPING`, or a repeated key.
    """
    if by is None:
        return []
    keys = [by] if isinstance(by, str) else list(by)
    for key in keys:
        if key not in ENGAGEMENT_GROUPING:
            raise InputError(
                f"Cannot group engagement by {key!r}: choose from {', '.join(ENGAGEMENT_GROUPING)}."
            )
    if len(set(keys)) != len(keys):
        raise InputError(f"Grouping keys repeat: {keys}: give each once.")
    return keys


def _threshold(value: object, name: str) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise InputError(
            f"{name} must be a whole number of working days, 1 or more, not {value!r}."
        )
    return int(value)


def job_start_between(
    rows: pd.DataFrame, milestones: pd.DataFrame | None, starts: pd.Series, ends: pd.Series
) -> np.ndarray:
    """Whether each row's participant has a job start from its start to its end (both inclusive).

    ``rows`` carry ``participant_id``; ``starts`` and ``ends`` are aligned with them. The exits'
    stage (a job between referral and exit) and the prison leavers' measures (a job within N
    days of release) both ask this.
    """
    if milestones is None or milestones.empty or rows.empty:
        return np.zeros(len(rows), dtype=bool)
    milestone = steps.find_step(steps.JOB_STEP).milestone
    jobs = milestones.loc[(milestones["milestone"].astype(object) == milestone).to_numpy()]
    pairs = pd.DataFrame(
        {
            "row": np.arange(len(rows)),
            "participant_id": rows["participant_id"].astype(object).to_numpy(),
            "start": starts.to_numpy(),
            "end": ends.to_numpy(),
        }
    ).merge(
        pd.DataFrame(
            {
                "participant_id": jobs["participant_id"].astype(object).to_numpy(),
                "date": pd.to_datetime(jobs["date"]).to_numpy(dtype="datetime64[ns]"),
            }
        ),
        on="participant_id",
    )
    hit = pairs.loc[(pairs["date"] >= pairs["start"]) & (pairs["date"] <= pairs["end"]), "row"]
    out = np.zeros(len(rows), dtype=bool)
    out[hit.to_numpy(dtype="int64")] = True
    return out


def received(engagement: pd.DataFrame, as_of: AsOf) -> tuple[pd.DataFrame, pd.Timestamp]:
    """The conformed referrals received on or before ``as_of``, and ``as_of`` as a date.

    Raises
    ------
    InputError
        When ``as_of`` is not a date, or an ``end_state`` is not one of ``steps.END_STATES``.
    """
    stamp = to_timestamp(as_of)
    frame = conform_engagement(engagement)
    states = pd.unique(frame["end_state"].dropna().astype(object).to_numpy())
    unknown = sorted({str(state) for state in states} - set(steps.END_STATES))
    if unknown:
        raise InputError(
            f"Unknown end state {', '.join(map(repr, unknown))}: use one of "
            f"{', '.join(steps.END_STATES)} (or leave it empty for open)."
        )
    kept = frame.loc[(frame["referral_date"] <= stamp).to_numpy()].reset_index(drop=True)
    return kept, stamp


def by_as_of(dates: pd.Series, as_of: pd.Timestamp) -> np.ndarray:
    """Whether each date is recorded and on or before ``as_of`` (missing: False)."""
    return (dates.notna() & (dates <= as_of)).to_numpy(dtype=bool)


def state_codes(frame: pd.DataFrame, as_of: pd.Timestamp) -> np.ndarray:
    """Each referral's end state at ``as_of`` as its position in ``steps.END_STATES``.

    A referral concluded after ``as_of``, or with no conclusion date, is open; one concluded
    by then whose state is missing or open is open too (nothing says how it ended).
    """
    concluded = by_as_of(frame["concluded_on"], as_of)
    recorded = pd.Categorical(frame["end_state"], categories=steps.END_STATES).codes
    opened = steps.END_STATES.index(steps.END_STATE_OPEN)
    return np.where(concluded & (recorded >= 0), recorded, opened).astype("int64")


def state_at(frame: pd.DataFrame, as_of: pd.Timestamp) -> np.ndarray:
    """Each referral's end state at ``as_of`` (a code of ``steps.END_STATES``; see :func:`state_codes`)."""
    return np.asarray(steps.END_STATES, dtype=object)[state_codes(frame, as_of)]


def working_days_to(frame: pd.DataFrame, column: str, as_of: pd.Timestamp) -> pd.Series:
    """Working days from the referral to ``column``'s date, missing unless it is by ``as_of``."""
    reached = by_as_of(frame[column], as_of)
    days = working_days_between(frame["referral_date"], frame[column]).to_numpy(
        dtype="float64", na_value=np.nan
    )
    return pd.Series(np.where(reached, days, np.nan), index=frame.index)


def _groups(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """One row per group present (keys sorted, a missing key kept as a group of its own)."""
    if not keys:
        return pd.DataFrame(index=[0])
    return (
        frame[keys]
        .astype(object)
        .drop_duplicates()
        .sort_values(keys, na_position="last")
        .reset_index(drop=True)
    )


def _grouped_sums(
    frame: pd.DataFrame, keys: list[str], values: dict[str, np.ndarray]
) -> pd.DataFrame:
    """Sums of ``values`` (aligned with ``frame``) per group of ``keys``, groups in key order."""
    data = pd.DataFrame(values)
    if not keys:
        return data.sum().to_frame().T.reset_index(drop=True)
    for key in keys:
        data[key] = frame[key].astype(object).to_numpy()
    return data.groupby(keys, dropna=False, sort=True).sum().reset_index()


def _grouped_medians(
    frame: pd.DataFrame, keys: list[str], values: pd.Series, name: str
) -> pd.DataFrame:
    data = pd.DataFrame({name: values.to_numpy(dtype="float64")})
    if not keys:
        return pd.DataFrame({name: [data[name].median()]})
    for key in keys:
        data[key] = frame[key].astype(object).to_numpy()
    return data.groupby(keys, dropna=False, sort=True)[name].median().reset_index()


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """``numerator / denominator`` as floats, missing (NaN) where the denominator is 0."""
    top = numerator.to_numpy(dtype="float64")
    bottom = denominator.to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        return pd.Series(np.where(bottom > 0, top / np.where(bottom > 0, bottom, 1), np.nan))


def service_level_rating(
    within: Iterable[int], eligible: Iterable[int], service_level: float | None
) -> np.ndarray:
    """RAG of each share ``within / eligible`` against the service level, exactly.

    The vocabulary's ratings (:func:`ete_metrics.steps.rag_rating`): green when the share
    is at least the service level, amber when at least ``config.RAG_AMBER_FROM`` of it, red
    below; missing where nobody is eligible or no service level is given. The service level
    (a share, 0 < level <= 1) is read as an exact decimal, so 9 of 10 against 0.9 is green.
    """
    within_values = [int(v) for v in within]
    eligible_values = [int(v) for v in eligible]
    if service_level is None:
        return np.array([None] * len(within_values), dtype=object)
    if isinstance(service_level, bool) or not 0 < float(service_level) <= 1:
        raise InputError(
            f"The service level must be a share above 0 and at most 1 (0.9 for 90%), not {service_level!r}."
        )
    level = Fraction(str(service_level))
    # within / eligible against level = within * den / (eligible * num), both whole numbers.
    actual = [w * level.denominator for w in within_values]
    target = [e * level.numerator for e in eligible_values]
    return steps.rag_rating(actual, target)


def _timeliness_rows(
    frame: pd.DataFrame,
    keys: list[str],
    as_of: pd.Timestamp,
    column: str,
    threshold: int,
) -> pd.DataFrame:
    days = working_days_to(frame, column, as_of)
    reached = days.notna().to_numpy()
    since = working_days_between(frame["referral_date"], pd.Series(as_of, index=frame.index))
    eligible = (since >= threshold).fillna(False).to_numpy(dtype=bool)
    within = eligible & reached & (days.fillna(np.inf).to_numpy() <= threshold)
    counts = _grouped_sums(
        frame,
        keys,
        {
            "referrals": np.ones(len(frame), dtype="int64"),
            "reached": reached.astype("int64"),
            "eligible_for_threshold": eligible.astype("int64"),
            "within_threshold": within.astype("int64"),
        },
    )
    medians = _grouped_medians(frame, keys, days, "median_working_days")
    out = counts.merge(medians, on=keys) if keys else pd.concat([counts, medians], axis=1)
    out["threshold_working_days"] = threshold
    out["share_within_threshold"] = _ratio(out["within_threshold"], out["eligible_for_threshold"])
    return out


def _with_groups(
    groups: pd.DataFrame, rows: pd.DataFrame, keys: list[str], columns: tuple[str, ...]
) -> pd.DataFrame:
    if keys:
        for key in keys:
            rows[key] = rows[key].astype(object)
        rows = groups.merge(rows, on=keys, how="left")
    return rows[[*keys, *columns]].reset_index(drop=True)


def timeliness(
    engagement: pd.DataFrame,
    as_of: AsOf,
    *,
    by: str | Iterable[str] | None = None,
    attended_threshold_days: int = ATTENDED_THRESHOLD_DAYS,
    arranged_threshold_days: int = ARRANGED_THRESHOLD_DAYS,
    service_level: float | None = None,
) -> pd.DataFrame:
    """Working days from referral to the first appointment attended and arranged.

    Parameters
    ----------
    engagement : pandas.DataFrame
        One row per referral (:func:`ete_metrics.data.frames.conform_engagement`). Not modified.
    as_of : date-like
        The as-at date.
    by : str or list of str, optional
        Keys of :data:`ENGAGEMENT_GROUPING`.
    attended_threshold_days, arranged_threshold_days : int
        The thresholds in working days (defaults 10 and 5).
    service_level : float, optional
        The service-level target, a share (0.9): the ``rag`` column rates the share within
        the threshold against it (:func:`service_level_rating`); missing when not given.

    Returns
    -------
    pandas.DataFrame
        Per group, two rows (``measure``: ``first_appointment_attended`` then
        ``first_appointment_arranged``), columns :data:`TIMELINESS_COLUMNS`: ``referrals``
        received by ``as_of``; ``reached``, those whose date is on or before it;
        ``median_working_days`` over them (NaN when none); ``eligible_for_threshold``,
        referrals received at least the threshold's working days before ``as_of``;
        ``within_threshold``, of those, the ones whose date is by ``as_of`` and at most the
        threshold's working days after the referral; ``share_within_threshold`` = within /
        eligible (NaN when none is eligible); ``service_level`` and ``rag``.
    """
    keys = validate_engagement_by(by)
    measures = {
        "first_appointment_attended": (
            "first_appointment_attended_on",
            _threshold(attended_threshold_days, "attended_threshold_days"),
        ),
        "first_appointment_arranged": (
            "first_appointment_arranged_on",
            _threshold(arranged_threshold_days, "arranged_threshold_days"),
        ),
    }
    frame, stamp = received(engagement, as_of)
    groups = _groups(frame, keys)
    parts = []
    for order, (measure, (column, threshold)) in enumerate(measures.items()):
        rows = _timeliness_rows(frame, keys, stamp, column, threshold)
        rows["measure"] = measure
        rows["service_level"] = np.nan if service_level is None else float(service_level)
        rows["rag"] = service_level_rating(
            rows["within_threshold"], rows["eligible_for_threshold"], service_level
        )
        rows = _with_groups(groups, rows, keys, TIMELINESS_COLUMNS)
        rows["_order"] = order
        rows["_group"] = np.arange(len(rows))
        parts.append(rows)
    out = pd.concat(parts, ignore_index=True).sort_values(["_group", "_order"], kind="stable")
    out = out.drop(columns=["_order", "_group"]).reset_index(drop=True)
    return _counts_as_int(
        out,
        (
            "threshold_working_days",
            "referrals",
            "reached",
            "eligible_for_threshold",
            "within_threshold",
        ),
    )


def _counts_as_int(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    for column in columns:
        frame[column] = frame[column].fillna(0).astype("int64")
    return frame


def engagement_rates(
    engagement: pd.DataFrame, as_of: AsOf, *, by: str | Iterable[str] | None = None
) -> pd.DataFrame:
    """First appointments on time, action plans approved and the pooled attendance rate.

    Returns
    -------
    pandas.DataFrame
        One row per group, columns :data:`RATES_COLUMNS`: ``referrals`` received by
        ``as_of``; ``first_appointment_attended`` by then; ``attended_on_time`` of those
        (``first_appointment_on_time`` true; missing counts as not on time) and
        ``on_time_rate`` = on time / attended; ``action_plan_approved`` (approved on or
        before ``as_of``) and ``action_plan_rate`` = approved / referrals;
        ``sessions_expected`` and ``sessions_attended`` summed over referrals with an action
        plan approved by ``as_of`` and both counts recorded, ``attendance_rate`` = attended /
        expected. A rate is NaN where its denominator is 0.
    """
    keys = validate_engagement_by(by)
    frame, stamp = received(engagement, as_of)
    rows = _grouped_sums(frame, keys, _row_values(frame, stamp))
    rows["on_time_rate"] = _ratio(rows["attended_on_time"], rows["first_appointment_attended"])
    rows["action_plan_rate"] = _ratio(rows["action_plan_approved"], rows["referrals"])
    rows["attendance_rate"] = _ratio(rows["sessions_attended"], rows["sessions_expected"])
    out = _with_groups(_groups(frame, keys), rows, keys, RATES_COLUMNS)
    return _counts_as_int(
        out,
        (
            "referrals",
            "first_appointment_attended",
            "attended_on_time",
            "action_plan_approved",
            "sessions_expected",
            "sessions_attended",
        ),
    )


def _row_values(frame: pd.DataFrame, as_of: pd.Timestamp) -> dict[str, np.ndarray]:
    """Each referral's contribution to the pooled counts (aligned with ``frame``)."""
    attended = by_as_of(frame["first_appointment_attended_on"], as_of)
    on_time = attended & frame["first_appointment_on_time"].fillna(False).to_numpy(dtype=bool)
    approved = by_as_of(frame["action_plan_approved_on"], as_of)
    expected = frame["sessions_expected"]
    attended_sessions = frame["sessions_attended"]
    pooled = approved & expected.notna().to_numpy() & attended_sessions.notna().to_numpy()
    reported = (
        by_as_of(frame["end_of_service_report_submitted_on"], as_of)
        & frame["outcomes_to_achieve"].notna().to_numpy()
        & frame["achievement_score"].notna().to_numpy()
    )
    return {
        "referrals": np.ones(len(frame), dtype="int64"),
        "first_appointment_attended": attended.astype("int64"),
        "attended_on_time": on_time.astype("int64"),
        "action_plan_approved": approved.astype("int64"),
        "sessions_expected": np.where(pooled, expected.fillna(0).to_numpy(dtype="int64"), 0),
        "sessions_attended": np.where(
            pooled, attended_sessions.fillna(0).to_numpy(dtype="int64"), 0
        ),
        "outcomes_to_achieve": np.where(
            reported, frame["outcomes_to_achieve"].fillna(0).to_numpy(dtype="int64"), 0
        ),
        "outcomes_achieved": np.where(
            reported, frame["achievement_score"].fillna(0).to_numpy(dtype="float64"), 0.0
        ),
    }


def _state_counts(frame: pd.DataFrame, as_of: pd.Timestamp) -> dict[str, np.ndarray]:
    state = state_codes(frame, as_of)
    return {code: (state == i).astype("int64") for i, code in enumerate(steps.END_STATES)}


def end_states(
    engagement: pd.DataFrame, as_of: AsOf, *, by: str | Iterable[str] | None = None
) -> pd.DataFrame:
    """Referrals by their end state at the as-at date (see :func:`state_at`).

    Returns
    -------
    pandas.DataFrame
        One row per group, columns :data:`END_STATE_COLUMNS`: ``referrals`` received by
        ``as_of`` and how many are ``open``, ``completed``, ``ended`` and ``cancelled``
        (they add up to ``referrals``).
    """
    keys = validate_engagement_by(by)
    frame, stamp = received(engagement, as_of)
    values = {"referrals": np.ones(len(frame), dtype="int64"), **_state_counts(frame, stamp)}
    rows = _grouped_sums(frame, keys, values)
    out = _with_groups(_groups(frame, keys), rows, keys, END_STATE_COLUMNS)
    return _counts_as_int(out, END_STATE_COLUMNS)


def engagement_summary(
    engagement: pd.DataFrame,
    as_of: AsOf,
    *,
    by: str | Iterable[str] | None = None,
    threshold_days: int = ATTENDED_THRESHOLD_DAYS,
) -> pd.DataFrame:
    """The engagement figures per group: the rows of the CLI's ``engagement`` command.

    Parameters
    ----------
    engagement : pandas.DataFrame
        One row per referral (:func:`ete_metrics.data.frames.conform_engagement`). Not modified.
    as_of : date-like
        The as-at date.
    by : str or list of str, optional
        Keys of :data:`ENGAGEMENT_GROUPING`.
    threshold_days : int, default 10
        Working days for the first appointment attended.

    Returns
    -------
    pandas.DataFrame
        One row per group (one row overall without ``by``, zeros when nothing was
        received), the keys then exactly :data:`SUMMARY_COLUMNS`: ``referrals`` received
        by ``as_of``; ``first_appointment_attended`` by then and the
        ``median_working_days_to_first_appointment`` over them; ``threshold_working_days``,
        ``eligible_for_threshold``, ``attended_within_threshold``, ``share_within_threshold``
        as :func:`timeliness`; ``sessions_expected``, ``sessions_attended``,
        ``attendance_rate`` as :func:`engagement_rates`; ``outcomes_to_achieve`` and
        ``outcomes_achieved`` (desired outcomes and achievement scores summed over
        referrals whose end-of-service report was submitted by ``as_of`` with both
        recorded) and ``achievement_rate`` = achieved / to achieve; ``open``,
        ``completed``, ``ended``, ``cancelled`` as :func:`end_states`. Rates are NaN where
        the denominator is 0.
    """
    keys = validate_engagement_by(by)
    threshold = _threshold(threshold_days, "threshold_days")
    frame, stamp = received(engagement, as_of)
    values = {**_row_values(frame, stamp), **_state_counts(frame, stamp)}
    rows = _grouped_sums(frame, keys, values)
    times = _timeliness_rows(frame, keys, stamp, "first_appointment_attended_on", threshold)
    times = times.rename(
        columns={
            "median_working_days": "median_working_days_to_first_appointment",
            "within_threshold": "attended_within_threshold",
        }
    )[
        [
            *keys,
            "median_working_days_to_first_appointment",
            "threshold_working_days",
            "eligible_for_threshold",
            "attended_within_threshold",
            "share_within_threshold",
        ]
    ]
    rows = rows.merge(times, on=keys) if keys else pd.concat([rows, times], axis=1)
    rows["threshold_working_days"] = threshold
    rows["attendance_rate"] = _ratio(rows["sessions_attended"], rows["sessions_expected"])
    rows["achievement_rate"] = _ratio(rows["outcomes_achieved"], rows["outcomes_to_achieve"])
    out = _with_groups(_groups(frame, keys), rows, keys, SUMMARY_COLUMNS)
    out["outcomes_achieved"] = out["outcomes_achieved"].astype("float64")
    return _counts_as_int(
        out,
        (
            "referrals",
            "first_appointment_attended",
            "threshold_working_days",
            "eligible_for_threshold",
            "attended_within_threshold",
            "sessions_expected",
            "sessions_attended",
            "outcomes_to_achieve",
            *steps.END_STATES,
        ),
    )
