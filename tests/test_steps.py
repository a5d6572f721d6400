"""The vocabulary: one label and one definition per step, read by every output."""

from __future__ import annotations

from ete_metrics import steps
from ete_metrics.counting.survival import OUTCOME_MILESTONES as TIMED_OUTCOMES
from ete_metrics.present.report.content import definitions as report_definitions
from ete_metrics.steps import ENTERED, REFERRED, SUSTAINED, TRAINING, WORK, find_step, label, phrase


def test_each_step_has_its_milestone_and_words() -> None:
    # the funnel starts at referral and entry (recorded on the participant); the others
    # follow in order, each marked by a milestone caseworkers record
    names = [s.name for s in steps.STEPS]
    assert names[:4] == [REFERRED.name, ENTERED.name, TRAINING.name, WORK.name]
    assert SUSTAINED.name in names and len(set(names)) == len(names)
    assert [s.milestone for s in steps.STEPS[:2]] == [None, None]
    assert all(s.milestone in steps.MILESTONE_TYPES for s in steps.STEPS[2:])
    # every step labelled and phrased; a step that must come after another follows it
    assert all(s.label and s.phrase and s.definition for s in steps.STEPS)
    assert all(s.after is None or names.index(s.after) < names.index(s.name) for s in steps.STEPS)
    # steps of sustained work come last (the funnel adds them when asked)
    sustained = [s.sustained for s in steps.STEPS]
    assert sustained == sorted(sustained) and sustained[-1]
    assert [find_step(s.name).milestone for s in (TRAINING, WORK, SUSTAINED)] == [
        "training_start", "job_start", "job_sustained",
    ]
    assert [label(s.name) for s in (TRAINING, WORK, SUSTAINED)] == [
        "Into training", "Into work", "Sustained work",
    ]
    assert phrase(WORK.name) == "in work"
    assert steps.TARGET_MEASURES[:4] == (REFERRED.name, ENTERED.name, TRAINING.name, WORK.name)
    # time to outcome follows the first training and job start, from the same vocabulary
    assert dict(TIMED_OUTCOMES) == {TRAINING.name: "training_start", WORK.name: "job_start"}


def test_codes_become_words() -> None:
    assert [label(c) for c in ("amber", "green", "above", "gender", "age_band", "job_start")] == [
        "Amber", "Green", "Above", "Gender", "Age band", "Job start",
    ]
    assert label(None) == "" and label(float("nan")) == ""
    assert label("some_other_code") == "Some other code"


def test_reports_carry_the_same_definitions_as_the_vocabulary() -> None:
    shared = steps.definitions()
    assert shared[: len(steps.STEPS)] == tuple((s.label, s.definition) for s in steps.STEPS)
    assert report_definitions()[: len(shared)] == shared
    stakeholder = dict(report_definitions(stakeholder=True))
    assert "[c]" in stakeholder and "Counts" in stakeholder and "Rates" in stakeholder
