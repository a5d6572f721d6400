"""A step added to the vocabulary alone reaches the funnel, the comparisons, the CLI and the pages.

The walk-through in ``docs/architecture.md`` ("add a measure: sustained at 26 weeks")
says that adding one :class:`~ete_metrics.steps.Step` to ``STEPS`` is the whole change
for the figures. Here a copy of the vocabulary with one more step of sustained work
(monkeypatched, so no other file changes) is given to the library, the CLI's parser and
two pages. The step is made from the vocabulary as it stands: it follows the last step
of sustained work, whatever that is, and its code is that step's code with a suffix, so
it cannot already be a step (once "sustained at 26 weeks" is real, this adds one after it).
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
from ete_metrics.steps import ENTERED, REFERRED, TRAINING, WORK, Step

AS_OF = "2023-08-16"

#: The vocabulary's steps before the new one (the fixture adds it after them).
BEFORE = steps.STEPS
LAST = [step for step in BEFORE if step.sustained][-1]
NEW = Step(
    f"{LAST.name}_later", "Sustained longer", "in work for longer still",
    "Entered participants with a job recorded as sustained for longer, counted the same way.",
    milestone=f"{LAST.milestone}_later", sustained=True, after=LAST.name,
)
assert NEW.name not in {step.name for step in BEFORE}

PARTICIPANTS = conform_participants(pd.DataFrame(
    [
        ("A", "London", "2022-12-01", "2023-01-01"),
        ("B", "London", "2022-12-01", "2023-01-01"),
        ("C", "Wales", "2023-01-15", "2023-02-01"),
    ],
    columns=["participant_id", "region", "referral_date", "entry_date"],
))
# every step of sustained work before the new one is recorded on the same day, so A and C
# reach each of them; the new step: A (after them), B (with no job start), C's after as_of
MILESTONES = conform_milestones(pd.DataFrame(
    [
        ("A", TRAINING.milestone, "2023-01-10"),
        ("A", WORK.milestone, "2023-02-01"),
        *(("A", step.milestone, "2023-03-01") for step in BEFORE if step.sustained),
        ("A", NEW.milestone, "2023-07-01"),
        ("B", NEW.milestone, "2023-06-01"),  # no job start recorded: any order only
        ("C", WORK.milestone, "2023-03-01"),
        *(("C", step.milestone, "2023-04-01") for step in BEFORE if step.sustained),
        ("C", NEW.milestone, "2023-09-01"),  # after the as-at date: not counted
    ],
    columns=["participant_id", "milestone", "date"],
))
SUSTAINED_BEFORE = tuple(step.name for step in BEFORE if step.sustained)


@pytest.fixture
def with_new_step(monkeypatch: pytest.MonkeyPatch) -> None:
    """The vocabulary with one more step of sustained work, after the last one."""
    monkeypatch.setattr(steps, "STEPS", (*BEFORE, NEW))


def _counts(frame: pd.DataFrame) -> dict[str, int]:
    return dict(zip(frame["step"], frame["participants"].astype(int), strict=True))


def test_the_vocabulary_lists_the_new_step(with_new_step: None) -> None:
    before = tuple(step.name for step in BEFORE if step.milestone)
    assert steps.outcome_steps() == (*before, NEW.name)
    assert steps.sustained_steps() == (*SUSTAINED_BEFORE, NEW.name)
    assert steps.funnel_steps() == (ENTERED.name, TRAINING.name, WORK.name)
    assert steps.referral_steps() == (REFERRED.name, ENTERED.name, TRAINING.name, WORK.name)
    assert steps.label(NEW.name) == "Sustained longer"
    assert steps.phrase(NEW.name) == "in work for longer still"


def test_the_funnel_counts_the_new_step(with_new_step: None) -> None:
    out = funnel(Scope(PARTICIPANTS, MILESTONES, as_of=AS_OF), include_sustained=True)
    # any order: training A; work A, C; each step of sustained work A, C; the new step A, B
    # (C's is after as_of)
    assert _counts(out) == {
        ENTERED.name: 3, TRAINING.name: 1, WORK.name: 2,
        **dict.fromkeys(SUSTAINED_BEFORE, 2), NEW.name: 2,
    }
    last = out.iloc[-1]
    assert last["rate_from_entry"] == pytest.approx(2 / 3)
    assert last["rate_from_previous"] == pytest.approx(2 / 2)  # against the step before it
    # ordered: work only A (C has no training); sustained work A; the new step only after it: A
    ordered = funnel(
        Scope(PARTICIPANTS, MILESTONES, as_of=AS_OF),
        include_sustained=True,
        ordered=True,
    )
    assert _counts(ordered) == {
        ENTERED.name: 3, TRAINING.name: 1, WORK.name: 1,
        **dict.fromkeys(SUSTAINED_BEFORE, 1), NEW.name: 1,
    }
    # without sustained work, and from referral, the funnels are as before
    assert list(funnel(Scope(PARTICIPANTS, MILESTONES, as_of=AS_OF))["step"]) == [
        ENTERED.name, TRAINING.name, WORK.name,
    ]
    referral = referral_funnel(Scope(PARTICIPANTS, MILESTONES, as_of=AS_OF))
    assert list(referral["step"]) == [REFERRED.name, ENTERED.name, TRAINING.name, WORK.name]


def test_the_comparisons_take_the_new_step(with_new_step: None) -> None:
    compared = compare_groups(
        Scope(PARTICIPANTS, MILESTONES, as_of=AS_OF),
        by="region",
        step=NEW.name,
    )
    # London: A and B of 2; Wales: none of 1
    assert compared["participants"].tolist() == [2, 0]
    groups = equality(
        Scope(PARTICIPANTS, MILESTONES, as_of=AS_OF),
        characteristics=["region"],
        step=NEW.name,
    )
    assert groups["participants"].tolist() == [2, 0]
    with pytest.raises(InputError, match=NEW.name):  # the message names the new step
        equality(Scope(PARTICIPANTS, MILESTONES, as_of=AS_OF), step=f"{NEW.name}_unknown")


def test_the_cli_offers_the_new_step(with_new_step: None) -> None:
    parser = build_parser()
    assert parser.parse_args(["compare", "--step", NEW.name]).step == NEW.name
    funnel_parser = parser._subparsers._group_actions[0].choices["funnel"]  # type: ignore[union-attr]
    assert "Sustained longer" in funnel_parser.format_help()


def test_the_pages_offer_the_new_step(demo_db_url: str, with_new_step: None) -> None:
    at = open_page(new_app(), "app_pages/6_equality.py")
    # work first (the page's default), then the other steps after entry in funnel order
    others = [step.label for step in BEFORE if step.milestone and step.name != WORK.name]
    assert list(at.radio(key="equality_step").options) == [WORK.label, *others, "Sustained longer"]
    at = open_page(new_app(), "app_pages/2_funnels.py")
    sustained_words = [step.label.lower() for step in BEFORE if step.sustained]
    assert at.checkbox(key="funnels_sustained").label == (
        "Show " + ", ".join([*sustained_words, "sustained longer"])
    )
