"""The Scope: what a metric counts over, checked when it is made, and the same figures as by hand."""

from __future__ import annotations

import dataclasses
from datetime import date

import pandas as pd
import pytest

from ete_metrics import Scope as FaceScope
from ete_metrics import steps as vocabulary
from ete_metrics.counting.scope import Scope
from ete_metrics.data.frames import conform_milestones, conform_participants
from ete_metrics.errors import InputError
from ete_metrics.metrics.cohorts import cohort_curves
from ete_metrics.metrics.funnel import funnel
from ete_metrics.metrics.targets import targets_vs_actual

AS_OF = "2023-08-16"
ENTERED, TRAINING, WORK = vocabulary.funnel_steps()[:3]
MILESTONE = vocabulary.outcome_milestones()

#: Four people: A, B and C entered before the as-at date, D after it.
PEOPLE = conform_participants(
    pd.DataFrame(
        [
            ("A", "London", "2023-01-01", "2023-01-10"),
            ("B", "Wales", "2023-03-01", "2023-03-15"),
            ("C", "London", "2023-05-01", "2023-06-01"),
            ("D", "Wales", "2023-08-01", "2023-09-01"),
        ],
        columns=["participant_id", "region", "referral_date", "entry_date"],
    )
)
MILESTONES = conform_milestones(
    pd.DataFrame(
        [
            ("A", MILESTONE[TRAINING], "2023-02-01"),  # 22 days after entry
            ("A", MILESTONE[WORK], "2023-03-01"),  # 50 days after entry
            ("B", MILESTONE[TRAINING], "2023-03-20"),  # 5 days after entry
            ("C", MILESTONE[WORK], "2023-05-20"),  # before C's entry: never counts
            ("D", MILESTONE[TRAINING], "2023-09-02"),  # after the as-at date
        ],
        columns=["participant_id", "milestone", "date"],
    )
)


def _counts(frame: pd.DataFrame) -> dict[str, int]:
    return {step: int(n) for step, n in zip(frame["step"], frame["participants"], strict=True)}


def test_a_metric_given_a_scope_gives_the_figures_worked_out_by_hand() -> None:
    # entered by 16 Aug: A, B, C (D enters in September); training: A and B; work: A only
    # (C's job start is before C's entry)
    scope = Scope(PEOPLE, MILESTONES, as_of=AS_OF)
    assert _counts(funnel(scope)) == {ENTERED: 3, TRAINING: 2, WORK: 1}
    # entered from 1 Feb: B and C; training B; work nobody
    assert _counts(funnel(scope.replace(date_from="2023-02-01"))) == {
        ENTERED: 2,
        TRAINING: 1,
        WORK: 0,
    }
    # a 30-day window: all three have had 30 days (C's run to 1 Jul); within them A's
    # training (22 days) and B's (5 days) count, A's job (50 days) does not
    windowed = Scope(PEOPLE, MILESTONES, as_of=AS_OF, window_days=30)
    assert _counts(funnel(windowed)) == {ENTERED: 3, TRAINING: 2, WORK: 0}
    # by region: London A, C (training A, work A); Wales B (training B)
    by_region = funnel(scope, by="region")
    london = by_region.loc[by_region["region"] == "London"]
    wales = by_region.loc[by_region["region"] == "Wales"]
    assert _counts(london) == {ENTERED: 2, TRAINING: 1, WORK: 1}
    assert _counts(wales) == {ENTERED: 1, TRAINING: 1, WORK: 0}


def test_the_settings_are_normalised_once() -> None:
    scope = Scope(
        PEOPLE, MILESTONES, as_of=date(2023, 8, 16), date_from="2023-02-01", window_days=30.0
    )  # type: ignore[arg-type]
    assert scope.as_of == pd.Timestamp("2023-08-16")
    assert scope.date_from == pd.Timestamp("2023-02-01")
    assert scope.date_to is None
    assert scope.window_days == 30 and isinstance(scope.window_days, int)
    assert FaceScope is Scope  # the face exports it


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"as_of": None}, "as_of is required"),
        ({"as_of": "soon"}, "as_of must be a date such as 2023-08-16"),
        ({"as_of": AS_OF, "date_from": "not a date"}, "date_from must be a date"),
        ({"as_of": AS_OF, "date_to": "2023-13-01"}, "date_to must be a date"),
        (
            {"as_of": AS_OF, "date_from": "2023-03-01", "date_to": "2023-02-28"},
            "date_from is after date_to: choose a start on or before the end",
        ),
        (
            {"as_of": AS_OF, "window_days": -1},
            "window_days must be a whole number of days, zero or more",
        ),
        (
            {"as_of": AS_OF, "window_days": 1.5},
            "window_days must be a whole number of days, zero or more",
        ),
    ],
)
def test_a_bad_setting_is_refused_when_the_scope_is_made(settings: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        Scope(PEOPLE, MILESTONES, **settings)


def test_frames_must_be_frames() -> None:
    with pytest.raises(InputError, match="participants must be a pandas DataFrame"):
        Scope(PEOPLE.to_dict(), MILESTONES, as_of=AS_OF)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="milestones must be a pandas DataFrame"):
        Scope(PEOPLE, None, as_of=AS_OF)  # type: ignore[arg-type]


def test_a_scope_cannot_be_changed_and_replace_checks_again() -> None:
    scope = Scope(PEOPLE, MILESTONES, as_of=AS_OF)
    with pytest.raises(dataclasses.FrozenInstanceError):
        scope.as_of = pd.Timestamp("2024-01-01")  # type: ignore[misc]
    with pytest.raises(InputError, match="date_from is after date_to"):
        scope.replace(date_from="2023-05-01", date_to="2023-04-01")
    later = scope.replace(as_of="2023-09-30")
    assert later.as_of == pd.Timestamp("2023-09-30") and scope.as_of == pd.Timestamp(AS_OF)
    assert later.participants is scope.participants  # the frames are not copied


def test_a_scope_never_changes_or_shows_its_frames() -> None:
    before = PEOPLE.copy(), MILESTONES.copy()
    scope = Scope(PEOPLE, MILESTONES, as_of=AS_OF, window_days=30)
    funnel(scope, by="region", ordered=True)
    pd.testing.assert_frame_equal(PEOPLE, before[0])
    pd.testing.assert_frame_equal(MILESTONES, before[1])
    # its repr gives sizes and settings, never a participant's id
    assert repr(scope) == "Scope(4 participants, 5 milestones, as_of=2023-08-16, window_days=30)"


def test_a_metric_without_a_window_or_entry_range_refuses_a_scope_with_one() -> None:
    with pytest.raises(InputError, match="Cohort curves have no conversion window"):
        cohort_curves(Scope(PEOPLE, MILESTONES, as_of=AS_OF, window_days=30))
    targets = pd.DataFrame(columns=["region", "period_start", "measure", "target"])
    with pytest.raises(InputError, match="Targets count everyone to date"):
        targets_vs_actual(Scope(PEOPLE, MILESTONES, as_of=AS_OF, date_from="2023-01-01"), targets)
