"""The engagement table: written and read back as the data contract's frame (SQLite and PostgreSQL)."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from ete_metrics.data import db, frames
from ete_metrics.errors import InputError
from ete_metrics.steps import END_STATES, EXIT_REASONS


def _referrals() -> pd.DataFrame:
    completed = END_STATES[1]
    reason = EXIT_REASONS[0].code
    return pd.DataFrame(
        {
            "referral_id": ["r2", "r1", "r3"],
            "participant_id": ["p2", "p1", "p3"],
            "region": ["North", "South", None],
            "delivery_partner": ["Alpha", "Beta", None],
            "pathway": ["custody", "community", None],
            "referral_date": ["2023-07-01", "2023-06-01", "2023-08-01"],
            # An evening in UTC in summer is the next day in London: 3 July.
            "first_appointment_attended_on": ["2023-07-02T23:30:00Z", None, None],
            "first_appointment_on_time": [True, None, None],
            "sessions_expected": [6, None, None],
            "sessions_attended": [4, None, None],
            "outcomes_to_achieve": [3, None, None],
            "achievement_score": [1.5, None, None],
            "end_reason": [None, reason, None],
            "end_state": [None, completed, None],
            "concluded_on": [None, "2023-09-30", None],
            "release_date": ["2023-06-20", None, None],
        }
    )


def test_saved_referrals_read_back_as_the_contract_frame(engine: sa.Engine) -> None:
    given = _referrals()
    before = given.copy()
    assert db.save_engagement(engine, given) == 3
    pd.testing.assert_frame_equal(given, before)  # the input is not modified
    read = db.read_engagement(engine)
    assert list(read.columns) == list(frames.ENGAGEMENT_COLUMNS)
    assert read["referral_id"].tolist() == ["r1", "r2", "r3"]  # ordered by referral
    r2 = read.set_index("referral_id").loc["r2"]
    assert r2["first_appointment_attended_on"] == pd.Timestamp("2023-07-03")
    assert r2["referral_date"] == pd.Timestamp("2023-07-01")
    assert r2["release_date"] == pd.Timestamp("2023-06-20")
    assert r2["sessions_expected"] == 6 and r2["sessions_attended"] == 4
    assert r2["outcomes_to_achieve"] == 3 and r2["achievement_score"] == 1.5
    assert bool(r2["first_appointment_on_time"]) is True
    assert read["sessions_expected"].dtype == "Int64"
    assert read["achievement_score"].dtype == "Float64"
    assert read["first_appointment_on_time"].dtype == "boolean"
    assert read["first_appointment_on_time"].isna().tolist() == [True, False, True]
    assert read["referral_date"].dtype == "datetime64[ns]"
    r1 = read.set_index("referral_id").loc["r1"]
    assert r1["end_reason"] == EXIT_REASONS[0].code
    assert r1["concluded_on"] == pd.Timestamp("2023-09-30")
    assert read.set_index("referral_id")["region"].isna()["r3"]
    expected = frames.conform_engagement(given).sort_values("referral_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(read, expected, check_dtype=False)


def test_a_referral_saved_again_replaces_its_row_and_others_are_kept(engine: sa.Engine) -> None:
    db.save_engagement(engine, _referrals())
    update = pd.DataFrame(
        {
            "referral_id": ["r2"],
            "participant_id": ["p2"],
            "referral_date": ["2023-07-01"],
            "sessions_attended": [5],
        }
    )
    assert db.save_engagement(engine, update) == 1
    read = db.read_engagement(engine).set_index("referral_id")
    assert sorted(read.index) == ["r1", "r2", "r3"]
    assert read.loc["r2", "sessions_attended"] == 5
    assert read["sessions_expected"].isna()["r2"]  # the whole row replaced


def test_replace_all_makes_the_frame_the_whole_table(engine: sa.Engine) -> None:
    db.save_engagement(engine, _referrals())
    only = pd.DataFrame(
        {"referral_id": ["r9"], "participant_id": ["p9"], "referral_date": ["2024-01-02"]}
    )
    db.save_engagement(engine, only, replace_all=True)
    assert db.read_engagement(engine)["referral_id"].tolist() == ["r9"]


def test_regions_choose_the_referrals(engine: sa.Engine) -> None:
    db.save_engagement(engine, _referrals())
    assert db.read_engagement(engine, regions=["North"])["referral_id"].tolist() == ["r2"]
    assert db.read_engagement(engine, regions=[]).empty


def test_a_database_without_the_table_holds_no_engagement(engine: sa.Engine) -> None:
    read = db.read_engagement(engine)
    assert read.empty and list(read.columns) == list(frames.ENGAGEMENT_COLUMNS)


@pytest.mark.parametrize(
    ("column", "value", "words"),
    [
        ("participant_id", "someone@example.org", "email"),
        ("referral_id", "x" * 65, "longer than 64"),
        ("referral_id", "r1", "repeat"),
        ("referral_date", None, r"referral_date is empty on 1 row\(s\), the first row 3"),
    ],
)
def test_a_frame_that_is_not_pseudonymous_or_whole_is_refused_and_nothing_changes(
    engine: sa.Engine, column: str, value: str | None, words: str
) -> None:
    db.save_engagement(engine, _referrals())
    bad = _referrals()
    bad.loc[2, column] = value
    with pytest.raises(InputError, match=words) as caught:
        db.save_engagement(engine, bad, replace_all=True)
    if isinstance(value, str):
        assert value not in str(caught.value)  # no identifier in the message
    assert db.read_engagement(engine)["referral_id"].tolist() == ["r1", "r2", "r3"]


def test_a_frame_without_the_ids_is_refused(engine: sa.Engine) -> None:
    with pytest.raises(InputError, match="no column 'participant_id'"):
        db.save_engagement(
            engine, pd.DataFrame({"referral_id": ["r1"], "referral_date": ["2023-01-03"]})
        )
