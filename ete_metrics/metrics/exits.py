"""Exits: why referrals ended, by the stage they had reached, so the funnel's drop-off has reasons.

A referral *exits* when it is concluded on or before the as-at date in the end state ended or
cancelled (:func:`ete_metrics.metrics.engagement.state_at`); completed referrals and open ones
are not exits. Its stage is how far it had got on the day its end was requested (else the day
it was concluded), the furthest of, in order (``steps.EXIT_STAGES``):

- ``after_job_start``: a job start (the milestone of ``steps.JOB_STEP``) of the participant
  dated on or after the referral date and on or before that day;
- ``in_delivery``: an action plan approved on or before that day;
- ``before_action_plan``: a first appointment attended on or before that day;
- ``before_first_appointment``: none of these.

Its reason is ``end_reason`` (a code of ``steps.EXIT_REASONS``; missing is
``steps.EXIT_REASON_NOT_RECORDED``), with the reason's group and whether it is a positive exit.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ete_metrics import steps
from ete_metrics.counting.population import AsOf
from ete_metrics.errors import InputError
from ete_metrics.metrics.engagement import (
    job_start_between,
    received,
    state_at,
    validate_engagement_by,
)

#: The columns of :func:`exits` after the grouping keys.
EXIT_COLUMNS: tuple[str, ...] = ("stage", "reason_group", "reason", "positive", "referrals")


def exit_stages(exiting: pd.DataFrame, milestones: pd.DataFrame | None) -> np.ndarray:
    """The stage each exiting referral (conformed rows) had reached, see the module's notes."""
    exit_on = exiting["end_requested_on"].where(
        exiting["end_requested_on"].notna(), exiting["concluded_on"]
    )
    attended = (exiting["first_appointment_attended_on"] <= exit_on).to_numpy(dtype=bool)
    approved = (exiting["action_plan_approved_on"] <= exit_on).to_numpy(dtype=bool)
    job = job_start_between(exiting, milestones, exiting["referral_date"], exit_on)
    before_first, before_plan, delivery, after_job = steps.EXIT_STAGES
    return np.select(
        [job, approved, attended], [after_job, delivery, before_plan], default=before_first
    )


def exits(
    engagement: pd.DataFrame,
    as_of: AsOf,
    *,
    milestones: pd.DataFrame | None = None,
    by: str | Iterable[str] | None = None,
) -> pd.DataFrame:
    """Exits by the stage reached, reason group and reason, positive exits flagged.

    Parameters
    ----------
    engagement : pandas.DataFrame
        One row per referral (:func:`ete_metrics.data.frames.conform_engagement`). Not modified.
    as_of : date-like
        The as-at date.
    milestones : pandas.DataFrame, optional
        The milestones frame, for the job starts (none: no exit is after a job start). Not
        modified.
    by : str or list of str, optional
        Keys of :data:`ete_metrics.metrics.engagement.ENGAGEMENT_GROUPING`.

    Returns
    -------
    pandas.DataFrame
        The keys then :data:`EXIT_COLUMNS`, one row per group, stage and reason with at least
        one exit, ordered by the keys, the stage (funnel order), the group and the reason
        (vocabulary order): ``reason_group`` and ``positive`` from ``steps.EXIT_REASONS``,
        ``referrals`` the exits.

    Raises
    ------
    InputError
        For an ``end_reason`` that is not a code of ``steps.EXIT_REASONS``.
    """
    keys = validate_engagement_by(by)
    frame, stamp = received(engagement, as_of)
    reasons = frame["end_reason"].astype(object)
    given = {str(code) for code in pd.unique(reasons.dropna().to_numpy())}
    unknown = sorted(given - {r.code for r in steps.EXIT_REASONS})
    if unknown:
        raise InputError(
            f"Unknown exit reason {', '.join(map(repr, unknown))}: map it to one of "
            f"{', '.join(r.code for r in steps.EXIT_REASONS)}."
        )
    exiting = frame.loc[np.isin(state_at(frame, stamp), steps.EXIT_END_STATES)]
    exiting = exiting.reset_index(drop=True)
    table = pd.DataFrame({key: exiting[key].astype(object) for key in keys})
    table["stage"] = exit_stages(exiting, milestones)
    table["reason"] = (
        exiting["end_reason"]
        .astype(object)
        .where(exiting["end_reason"].notna(), steps.EXIT_REASON_NOT_RECORDED)
    )
    counts = (
        table.groupby([*keys, "stage", "reason"], dropna=False, sort=False)
        .size()
        .rename("referrals")
        .reset_index()
    )
    found = {reason.code: reason for reason in steps.EXIT_REASONS}
    counts["reason_group"] = [found[code].group for code in counts["reason"]]
    counts["positive"] = np.array([found[code].positive for code in counts["reason"]], dtype=bool)
    stage_order = {code: i for i, code in enumerate(steps.EXIT_STAGES)}
    group_order = {code: i for i, code in enumerate(steps.EXIT_REASON_GROUPS)}
    reason_order = {reason.code: i for i, reason in enumerate(steps.EXIT_REASONS)}
    counts["_stage"] = counts["stage"].map(stage_order)
    counts["_group"] = counts["reason_group"].map(group_order)
    counts["_reason"] = counts["reason"].map(reason_order)
    counts = counts.sort_values(
        [*keys, "_stage", "_group", "_reason"], na_position="last", kind="stable"
    )
    out = counts[[*keys, *EXIT_COLUMNS]].reset_index(drop=True)
    out["referrals"] = out["referrals"].astype("int64")
    return out
