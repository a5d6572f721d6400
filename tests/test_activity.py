"""Monthly activity and the follow-up list on hand-built cases."""

from __future__ import annotations

import pandas as pd
import pytest

from ete_metrics.counting.scope import Scope
from ete_metrics.data.frames import conform_milestones, conform_participants
from ete_metrics.errors import InputError
from ete_metrics.metrics.activity import follow_up_list, monthly_activity
from ete_metrics.steps import ENTERED
from ete_metrics.views import heading


def _data() -> tuple[pd.DataFrame, pd.DataFrame]:
    participants = conform_participants(pd.DataFrame([
        # id, region, partner, referral, entry, exit
        ("A", "London", "P1", "2023-01-01", "2023-01-10", None),
        ("B", "London", "P1", "2023-01-01", "2023-02-20", None),
        ("C", "Wales", "P2", "2023-01-01", "2023-02-01", None),
        ("D", "Wales", "P2", "2023-01-01", "2023-01-05", "2023-03-01"),  # exited before as_of
        ("E", "Wales", "P2", "2023-01-01", None, None),  # never entered
        ("F", None, "P3", "2023-01-01", "2023-03-06", "2023-05-01"),  # exits after as_of
    ], columns=["participant_id", "region", "delivery_partner", "referral_date", "entry_date",
                "exit_date"]))
    milestones = conform_milestones(pd.DataFrame([
        ("A", "training_start", "2023-01-20"),
        ("A", "training_start", "2023-03-02"),  # not A's first
        ("A", "job_start", "2023-03-05"),
        ("B", "job_start", "2023-02-10"),  # before B's entry: not counted
        ("C", "job_start", "2023-04-01"),  # after as_of: not counted
    ], columns=["participant_id", "milestone", "date"]))
    return participants, milestones


AS_OF = "2023-03-31"


def test_monthly_activity_totals() -> None:
    participants, milestones = _data()
    out = monthly_activity(Scope(participants, milestones, as_of=AS_OF))
    assert list(out.columns) == ["month", "measure", "participants"]
    table = out.set_index([out["month"].dt.strftime("%Y-%m"), "measure"])["participants"]
    # entries: Jan A, D; Feb B, C; Mar F
    assert [table[(m, "entered")] for m in ("2023-01", "2023-02", "2023-03")] == [2, 2, 1]
    # first training: A in Jan; first job: A in March (B's is before entry, C's after as_of)
    assert [table[(m, "training")] for m in ("2023-01", "2023-02", "2023-03")] == [1, 0, 0]
    assert [table[(m, "work")] for m in ("2023-01", "2023-02", "2023-03")] == [0, 0, 1]
    assert out["measure"].tolist()[:3] == ["entered", "training", "work"]


def test_monthly_activity_by_region_fills_months_and_skips_empty_groups() -> None:
    participants, milestones = _data()
    out = monthly_activity(Scope(participants, milestones, as_of=AS_OF), by="region")
    assert out["region"].drop_duplicates().tolist() == ["London", "Not recorded", "Wales"]
    # "Not recorded" (F) enters in March: its series starts in March
    nr = out[out["region"] == "Not recorded"]
    assert nr["month"].dt.strftime("%Y-%m").drop_duplicates().tolist() == ["2023-03"]
    # Wales: Jan (D) and Feb (C) entries, March present with zeros
    wales = out[(out["region"] == "Wales") & (out["measure"] == ENTERED.name)]
    assert wales["participants"].tolist() == [1, 1, 0]
    # a date range on entry: only February entries (B, C)
    feb = monthly_activity(
        Scope(participants, milestones, as_of=AS_OF, date_from="2023-02-01", date_to="2023-02-28"),
    )
    assert feb.loc[feb["measure"] == ENTERED.name, "participants"].sum() == 2


def test_monthly_activity_empty() -> None:
    participants, milestones = _data()
    out = monthly_activity(Scope(participants, milestones, as_of="2022-01-01"), by="region")
    assert out.empty and list(out.columns) == ["region", "month", "measure", "participants"]


def test_follow_up_list() -> None:
    participants, milestones = _data()
    # as_of 2023-03-31, days 30: entered MORE than 30 days before (entry before 2023-03-01),
    # not into work, not exited. A has a job start (5 Mar) -> no; B (39 days; the job before
    # entry does not count) -> listed; C (58 days; the job after as_of) -> listed;
    # D exited 2023-03-01 -> no; F 25 days -> no.
    out = follow_up_list(Scope(participants, milestones, as_of=AS_OF), days=30)
    assert list(out.columns) == [
        "participant_id", "region", "delivery_partner", "pathway", "entry_date", "days_since_entry",
        "last_milestone", "last_milestone_date", "days_since_last",
    ]
    assert out["participant_id"].tolist() == ["C", "B"]
    assert out["days_since_entry"].tolist() == [58, 39]
    # neither has a counted milestone: the time since entry is the time since anything happened
    assert out["last_milestone"].isna().all() and out["last_milestone_date"].isna().all()
    assert out["days_since_last"].tolist() == [58, 39]
    # boundary: B has waited exactly 39 days -> not "more than 39"
    assert out.pipe(lambda _: follow_up_list(Scope(participants, milestones, as_of=AS_OF), days=39)
                    )["participant_id"].tolist() == ["C"]
    with pytest.raises(InputError):
        follow_up_list(Scope(participants, milestones, as_of=AS_OF), days=-1)


def test_follow_up_list_shows_where_people_are_and_puts_the_longest_silence_first() -> None:
    participants, milestones = _data()
    participants = conform_participants(pd.concat([participants, pd.DataFrame([
        # G entered 1 Jan, trained (start 10 Jan, completed 20 Mar) but no job yet: listed, last
        # milestone "training_completed" 11 days before 31 Mar. H entered 15 Jan, training start
        # 1 Feb and nothing since: 58 days of silence, like C (58 since entry), but in the
        # programme longer (75 days against 58), so H comes first.
        ("G", "London", "P1", "2023-01-01", "2023-01-01", None),
        ("H", "Wales", "P2", "2023-01-01", "2023-01-15", None),
    ], columns=["participant_id", "region", "delivery_partner", "referral_date", "entry_date",
                "exit_date"])], ignore_index=True))
    milestones = conform_milestones(pd.concat([milestones, pd.DataFrame([
        ("G", "training_start", "2023-01-10"),
        ("G", "training_completed", "2023-03-20"),
        ("H", "training_start", "2023-02-01"),
    ], columns=["participant_id", "milestone", "date"])], ignore_index=True))
    out = follow_up_list(Scope(participants, milestones, as_of=AS_OF), days=30)
    assert out["participant_id"].tolist() == ["H", "C", "B", "G"]
    assert out["days_since_last"].tolist() == [58, 58, 39, 11]
    assert out["days_since_entry"].tolist() == [75, 58, 39, 89]
    assert out["last_milestone"].tolist()[0] == "training_start"
    assert out["last_milestone"].tolist()[3] == "training_completed"
    assert out["last_milestone_date"].dt.strftime("%Y-%m-%d").tolist()[3] == "2023-03-20"


def test_follow_up_list_shows_the_caseworker_pseudonym_when_recorded() -> None:
    participants, milestones = _data()
    # B's caseworker is recorded, C's is not; A (not listed) has another.
    participants["caseworker"] = pd.Series(["cw-a", "cw-b", None, None, None, None], dtype=object)
    out = follow_up_list(Scope(participants, milestones, as_of=AS_OF), days=30)
    assert list(out.columns)[:5] == ["participant_id", "region", "delivery_partner", "caseworker",
                                     "pathway"]
    assert out["participant_id"].tolist() == ["C", "B"]
    assert out["caseworker"].isna().tolist() == [True, False]
    assert out["caseworker"].tolist()[1] == "cw-b"
    assert heading("caseworker") == "Caseworker (pseudonym)"
    # As loaded from the database: a categorical column, the same list.
    loaded = participants.assign(caseworker=participants["caseworker"].astype("category"))
    again = follow_up_list(Scope(loaded, milestones, as_of=AS_OF), days=30)
    assert again["caseworker"].tolist()[1] == "cw-b" and pd.isna(again["caseworker"].iloc[0])
