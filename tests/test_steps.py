"""The vocabulary: one label and one definition per step, read by every output."""

from __future__ import annotations

from ete_metrics import steps
from ete_metrics.counting.survival import OUTCOME_MILESTONES as TIMED_OUTCOMES
from ete_metrics.present.report.content import definitions as report_definitions
from ete_metrics.steps import find_step, label, phrase


def test_each_step_has_its_milestone_and_words() -> None:
    assert [s.name for s in steps.STEPS] == ["referred", "entered", "training", "work", "sustained"]
    assert [find_step(s).milestone for s in ("training", "work", "sustained")] == [
        "training_start", "job_start", "job_sustained",
    ]
    assert [label(s) for s in ("training", "work", "sustained")] == [
        "Into training", "Into work", "Sustained work",
    ]
    assert phrase("work") == "in work"
    assert steps.TARGET_MEASURES == ("referred", "entered", "training", "work")
    # time to outcome follows the first training and job start, from the same vocabulary
    assert TIMED_OUTCOMES == {"training": "training_start", "work": "job_start"}


def test_codes_become_words() -> None:
    assert [label(c) for c in ("amber", "green", "above", "gender", "age_band", "job_start")] == [
        "Amber", "Green", "Above", "Gender", "Age band", "Job start",
    ]
    assert label(None) == "" and label(float("nan")) == ""
    assert label("some_other_code") == "Some other code"


def test_reports_carry_the_same_definitions_as_the_vocabulary() -> None:
    shared = steps.definitions()
    assert shared[:5] == tuple((s.label, s.definition) for s in steps.STEPS)
    assert report_definitions()[: len(shared)] == shared
    stakeholder = dict(report_definitions(stakeholder=True))
    assert "[c]" in stakeholder and "Counts" in stakeholder and "Rates" in stakeholder
