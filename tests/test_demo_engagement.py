"""The demo's engagement (issue 28): one row per referral, calibrated, its own random stream.

Figures are counted with plain pandas here, never with the metrics library.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from ete_metrics.data import db, frames
from ete_metrics.data.demo import (
    DemoProgramme,
    build_demo_database,
    generate_demo,
    generate_engagement,
)
from ete_metrics.steps import END_STATES, EXIT_END_STATES, EXIT_REASONS

EXTRACT = pd.Timestamp("2024-05-31")


@pytest.fixture(scope="module")
def demo() -> DemoProgramme:
    return generate_demo()


@pytest.fixture(scope="module")
def engagement(demo: DemoProgramme) -> pd.DataFrame:
    return generate_engagement(demo)


def _working_days(starts: pd.Series, ends: pd.Series) -> np.ndarray:
    """Working days after each start up to and including its end, weekends and bank holidays
    of England and Wales left out (the holidays package, as the metric's own calendar)."""
    import holidays

    calendar = np.array(
        sorted(holidays.country_holidays("GB", subdiv="ENG", years=range(2021, 2026))),
        dtype="datetime64[D]",
    )
    one = np.timedelta64(1, "D")
    start = starts.to_numpy().astype("datetime64[D]")
    end = ends.to_numpy().astype("datetime64[D]")
    return np.busday_count(start + one, end + one, holidays=calendar)


def test_the_programme_is_not_changed_and_the_rows_are_the_same_every_time(
    demo: DemoProgramme, engagement: pd.DataFrame
) -> None:
    small = generate_demo(500, seed=3)
    before = small.participants.copy(), small.milestones.copy()
    first = generate_engagement(small, 3)
    pd.testing.assert_frame_equal(small.participants, before[0])
    pd.testing.assert_frame_equal(small.milestones, before[1])
    pd.testing.assert_frame_equal(first, generate_engagement(small, 3))
    assert not first.equals(generate_engagement(small, 4))
    # The programme's own frames do not depend on whether the engagement was drawn.
    pd.testing.assert_frame_equal(generate_demo(500, seed=3).participants, small.participants)


def test_one_row_per_referral_with_pseudonymous_ids(
    demo: DemoProgramme, engagement: pd.DataFrame
) -> None:
    assert list(engagement.columns) == list(frames.ENGAGEMENT_COLUMNS)
    assert len(engagement) == len(demo.participants)
    assert engagement["referral_id"].is_unique
    assert engagement["referral_id"].str.fullmatch(r"R\d{7}").all()
    people = demo.participants.set_index("participant_id")
    rows = engagement.set_index("participant_id")
    assert set(rows.index) == set(people.index)
    for column in ("region", "delivery_partner", "pathway", "referral_date"):
        assert (rows[column] == people.loc[rows.index, column]).all()


def test_nothing_happens_after_the_extract_and_events_keep_their_order(
    engagement: pd.DataFrame,
) -> None:
    for column in frames.ENGAGEMENT_DATE_COLUMNS:
        if column in ("complete_by", "sentence_end_date"):
            continue  # dates to come
        assert (engagement[column].dropna() <= EXTRACT).all(), column
    e = engagement
    assert (
        e["action_plan_approved_on"].notna() <= e["first_appointment_attended_on"].notna()
    ).all()
    plan = e["action_plan_approved_on"].notna()
    assert (e.loc[plan, "action_plan_approved_on"] >= e.loc[plan, "action_plan_submitted_on"]).all()
    assert (
        e.loc[plan, "action_plan_submitted_on"] > e.loc[plan, "first_appointment_attended_on"]
    ).all()
    session = e["first_session_attended_on"].notna()
    assert (
        e.loc[session, "first_session_attended_on"] > e.loc[session, "action_plan_approved_on"]
    ).all()
    counts = e["sessions_attended"].notna()
    assert (e.loc[counts, "sessions_attended"] <= e.loc[counts, "sessions_expected"]).all()
    scored = e["achievement_score"].notna()
    assert (e.loc[scored, "achievement_score"] <= e.loc[scored, "outcomes_to_achieve"]).all()
    assert (e.loc[scored, "end_of_service_report_submitted_on"].notna()).all()


def test_end_states_and_reasons_come_from_the_vocabulary(engagement: pd.DataFrame) -> None:
    e = engagement
    states = set(e["end_state"].dropna())
    assert states == set(END_STATES) - {END_STATES[0]}  # open is left empty, as the source does
    exits = e["end_state"].isin(EXIT_END_STATES)
    assert e.loc[exits, "end_reason"].notna().all()
    assert e.loc[~exits, "end_reason"].isna().all()
    assert set(e["end_reason"].dropna()) <= {reason.code for reason in EXIT_REASONS}
    assert (e["end_state"].notna() == e["concluded_on"].notna()).all()
    assert (e.loc[exits, "end_requested_on"] <= e.loc[exits, "concluded_on"]).all()
    # Cancelled: never attended; ended: attended.
    cancelled = e["end_state"] == EXIT_END_STATES[1]
    assert e.loc[cancelled, "first_appointment_attended_on"].isna().all()
    assert (
        e.loc[e["end_state"] == EXIT_END_STATES[0], "first_appointment_attended_on"].notna().all()
    )


def test_release_dates_only_on_the_custody_pathway(engagement: pd.DataFrame) -> None:
    custody = engagement["pathway"] == "custody"
    assert engagement.loc[~custody, "release_date"].isna().all()
    released = engagement.loc[custody, "release_date"].notna().mean()
    assert 0.9 < released <= 1.0  # the last few weeks' releases are still to come
    assert (
        engagement.loc[custody, "release_date"].dropna()
        > engagement.loc[custody, "referral_date"].dropna().min()
    ).all()


def test_calibrated_as_docs_engagement_says(engagement: pd.DataFrame) -> None:
    e = engagement
    n = len(e)
    attended = e["first_appointment_attended_on"].notna()
    assert 0.70 <= attended.mean() <= 0.80
    days = _working_days(
        e.loc[attended, "referral_date"], e.loc[attended, "first_appointment_attended_on"]
    )
    assert 5 <= np.median(days) <= 12
    assert 0.65 <= np.mean((days >= 3) & (days <= 15)) <= 0.95  # most within 5-15 working days
    plans = e["action_plan_approved_on"].notna()
    assert 0.65 <= plans.sum() / attended.sum() <= 0.85
    with_plan = e[plans]
    attendance = with_plan["sessions_attended"].sum() / with_plan["sessions_expected"].sum()
    assert 0.60 <= attendance <= 0.75
    scored = e[e["end_of_service_report_submitted_on"].notna()]
    achievement = scored["achievement_score"].sum() / scored["outcomes_to_achieve"].sum()
    assert 0.50 <= achievement <= 0.65
    shares = e["end_state"].fillna(END_STATES[0]).value_counts() / n
    assert all(0.10 <= shares[state] <= 0.50 for state in END_STATES)
    positive = {reason.code for reason in EXIT_REASONS if reason.positive}
    exit_reasons = e["end_reason"].dropna()
    assert 0.02 <= exit_reasons.isin(positive).mean() <= 0.15
    assert exit_reasons.value_counts(normalize=True).iloc[0] < 0.5  # no one reason dominates


def test_the_demo_database_holds_the_engagement_and_its_figures_are_unchanged(
    engine: sa.Engine,
) -> None:
    programme = generate_demo(400, seed=11)
    build_demo_database(engine, n_participants=400, seed=11)
    build_demo_database(engine, n_participants=400, seed=11)  # replaced, not added to
    stored = db.read_engagement(engine)
    expected = generate_engagement(programme, 11).sort_values("referral_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(stored, expected, check_dtype=False)
    people = db.load_participants(engine)
    assert set(people["participant_id"]) == set(programme.participants["participant_id"])
    assert people["entry_date"].notna().sum() == programme.participants["entry_date"].notna().sum()
    assert len(db.load_milestones(engine)) == len(programme.milestones)
