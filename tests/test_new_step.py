"""A step added to the vocabulary alone reaches the funnel, the comparisons, the CLI and the pages.

The walk-through in ``docs/architecture.md`` ("add a measure: sustained at 26 weeks")
says that adding one :class:`~ete_metrics.steps.Step` to ``STEPS`` is the whole change
for the figures. Here a copy of the vocabulary with that step (monkeypatched, so no
other file changes) is given to the library, the CLI's parser and two pages.
"""

from __future__ import annotations

import pandas as pd
import pytest
from apptest_support import *  # noqa: F403
from apptest_support import new_app, open_page

from ete_metrics import steps
from ete_metrics.cli import build_parser
from ete_metrics.counting.scope import Scope
from ete_metrics.data.frames import conform_milestones, conform_participants
from ete_metrics.errors import InputError
from ete_metrics.metrics.comparison import compare_groups
from ete_metrics.metrics.equality import equality
from ete_metrics.metrics.funnel import funnel, referral_funnel
from ete_metrics.steps import Step

AS_OF = "2023-08-16"

SUSTAINED_26W = Step(
    "sustained_26w", "Sustained 26 weeks", "in work for 26 weeks",
    "Entered participants with a job recorded as sustained for 26 weeks, counted the same way.",
    milestone="job_sustained_26w", sustained=True, after="sustained",
)

PARTICIPANTS = conform_participants(pd.DataFrame(
    [
        ("A", "London", "2022-12-01", "2023-01-01"),
        ("B", "London", "2022-12-01", "2023-01-01"),
        ("C", "Wales", "2023-01-15", "2023-02-01"),
    ],
    columns=["participant_id", "region", "referral_date", "entry_date"],
))
MILESTONES = conform_milestones(pd.DataFrame(
    [
        ("A", "training_start", "2023-01-10"),
        ("A", "job_start", "2023-02-01"),
        ("A", "job_sustained", "2023-03-01"),
        ("A", "job_sustained_26w", "2023-07-01"),
        ("B", "job_sustained_26w", "2023-06-01"),  # no job start recorded: any order only
        ("C", "job_start", "2023-03-01"),
        ("C", "job_sustained", "2023-04-01"),
        ("C", "job_sustained_26w", "2023-09-01"),  # after the as-at date: not counted
    ],
    columns=["participant_id", "milestone", "date"],
))


@pytest.fixture
def with_26_weeks(monkeypatch: pytest.MonkeyPatch) -> None:
    """The vocabulary with one more step of sustained work, after ``sustained``."""
    monkeypatch.setattr(steps, "STEPS", (*steps.STEPS, SUSTAINED_26W))


def _counts(frame: pd.DataFrame) -> dict[str, int]:
    return dict(zip(frame["step"], frame["participants"].astype(int), strict=True))


def test_the_vocabulary_lists_the_new_step(with_26_weeks: None) -> None:
    assert steps.outcome_steps() == ("training", "work", "sustained", "sustained_26w")
    assert steps.sustained_steps() == ("sustained", "sustained_26w")
    assert steps.funnel_steps() == ("entered", "training", "work")
    assert steps.referral_steps() == ("referred", "entered", "training", "work")
    assert steps.label("sustained_26w") == "Sustained 26 weeks"
    assert steps.phrase("sustained_26w") == "in work for 26 weeks"


def test_the_funnel_counts_the_new_step(with_26_weeks: None) -> None:
    out = funnel(Scope(PARTICIPANTS, MILESTONES, as_of=AS_OF), include_sustained=True)
    # any order: training A; work A, C; sustained A, C; 26 weeks A, B (C's is after as_of)
    assert _counts(out) == {
        "entered": 3, "training": 1, "work": 2, "sustained": 2, "sustained_26w": 2,
    }
    last = out.iloc[-1]
    assert last["rate_from_entry"] == pytest.approx(2 / 3)
    assert last["rate_from_previous"] == pytest.approx(2 / 2)  # against sustained work
    # ordered: work only A (C has no training); sustained work A; 26 weeks only after it: A
    ordered = funnel(
        Scope(PARTICIPANTS, MILESTONES, as_of=AS_OF),
        include_sustained=True,
        ordered=True,
    )
    assert _counts(ordered) == {
        "entered": 3, "training": 1, "work": 1, "sustained": 1, "sustained_26w": 1,
    }
    # without sustained work, and from referral, the funnels are as before
    assert list(funnel(Scope(PARTICIPANTS, MILESTONES, as_of=AS_OF))["step"]) == ["entered", "training", "work"]
    referral = referral_funnel(Scope(PARTICIPANTS, MILESTONES, as_of=AS_OF))
    assert list(referral["step"]) == ["referred", "entered", "training", "work"]


def test_the_comparisons_take_the_new_step(with_26_weeks: None) -> None:
    compared = compare_groups(
        Scope(PARTICIPANTS, MILESTONES, as_of=AS_OF),
        by="region",
        step="sustained_26w",
    )
    # London: A and B of 2; Wales: none of 1
    assert compared["participants"].tolist() == [2, 0]
    groups = equality(
        Scope(PARTICIPANTS, MILESTONES, as_of=AS_OF),
        characteristics=["region"],
        step="sustained_26w",
    )
    assert groups["participants"].tolist() == [2, 0]
    with pytest.raises(InputError, match="sustained_26w"):  # the message names the new step
        equality(Scope(PARTICIPANTS, MILESTONES, as_of=AS_OF), step="sustained_52w")


def test_the_cli_offers_the_new_step(with_26_weeks: None) -> None:
    parser = build_parser()
    assert parser.parse_args(["compare", "--step", "sustained_26w"]).step == "sustained_26w"
    funnel_parser = parser._subparsers._group_actions[0].choices["funnel"]  # type: ignore[union-attr]
    assert "Sustained 26 weeks" in funnel_parser.format_help()


def test_the_pages_offer_the_new_step(demo_db_url: str, with_26_weeks: None) -> None:
    at = open_page(new_app(), "app_pages/6_equality.py")
    assert list(at.radio(key="equality_step").options) == [
        "Into work", "Into training", "Sustained work", "Sustained 26 weeks",
    ]
    at = open_page(new_app(), "app_pages/2_funnels.py")
    assert at.checkbox(key="funnels_sustained").label == "Show sustained work, sustained 26 weeks"
