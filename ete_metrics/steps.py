"""The programme's vocabulary: every step and outcome, once.

Each step of the funnel has its code (``"training"``), the milestone that marks it
(``"training_start"``), the words people see (``"Into training"``), its definition
(read by the About page and the reports' definitions alike) and the contract
measure it is targeted by. Metrics, charts, tables, the About page and the deck
all read them from here, so a label or a definition is changed in one place.

Adding a step (say, jobs sustained at 26 weeks) means adding one :class:`Step` to
:data:`STEPS` (and, when a new milestone records it, the milestone to
:data:`MILESTONE_LABELS`); see ``docs/architecture.md``.

Examples
--------
>>> from ete_metrics.steps import STEP, label
>>> STEP["work"].milestone, label("work")
('job_start', 'Into work')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ete_metrics import config


@dataclass(frozen=True)
class Step:
    """One step of the programme's funnel.

    Attributes
    ----------
    name : str
        The code used in frames and URLs (``"work"``).
    label : str
        The words people see (``"Into work"``), in legends, axes, tables and definitions.
    phrase : str
        The step inside a sentence or a title (``"Percent in work"``).
    definition : str
        What is counted, for the About page and the reports' definitions.
    milestone : str or None
        The milestone type that marks the step (``"job_start"``); None for the
        steps recorded on the participant (referral and entry dates).
    target_measure : str or None
        The contract measure with targets for this step, if any.
    """

    name: str
    label: str
    phrase: str
    definition: str
    milestone: str | None = None
    target_measure: str | None = None


#: Every step, in funnel order.
STEPS: tuple[Step, ...] = (
    Step(
        "referred", "Referred", "referred",
        "People referred to the programme by probation with a referral date on or before the "
        "as-at date.",
        target_measure="referred",
    ),
    Step(
        "entered", "Entered", "entered",
        "Participants whose entry date (the day they started on the programme) is on or before "
        "the as-at date. This is the population of every other measure: figures are "
        "entry-anchored.",
        target_measure="entered",
    ),
    Step(
        "training", "Into training", "in training",
        "Entered participants with at least one training start dated on or after their entry "
        "date and on or before the as-at date. Each person is counted once, however many "
        "courses they start.",
        milestone="training_start", target_measure="training",
    ),
    Step(
        "work", "Into work", "in work",
        "Entered participants with at least one job start counted the same way.",
        milestone="job_start", target_measure="work",
    ),
    Step(
        "sustained", "Sustained work", "in sustained work",
        "Entered participants with at least one recorded sustained job (the contract's "
        "sustainment milestone), counted the same way.",
        milestone="job_sustained",
    ),
)

#: Steps by code.
STEP: Mapping[str, Step] = {step.name: step for step in STEPS}

#: The entry funnel's steps, in order (``sustained`` only when asked for).
FUNNEL_STEPS: tuple[str, ...] = ("entered", "training", "work", "sustained")
#: The referral funnel's steps, in order.
REFERRAL_STEPS: tuple[str, ...] = ("referred", "entered", "training", "work")
#: Steps after entry that a milestone marks: code -> milestone type.
OUTCOME_MILESTONES: Mapping[str, str] = {
    step.name: step.milestone for step in STEPS if step.milestone is not None
}
#: Measures that carry contract targets, in order.
TARGET_MEASURES: tuple[str, ...] = tuple(
    step.target_measure for step in STEPS if step.target_measure is not None
)

#: Each target measure as a count of events in a period, for sentences ("Job starts in May 2024").
MEASURE_NOUNS: Mapping[str, str] = {
    "referred": "Referrals",
    "entered": "Programme entries",
    "training": "Training starts",
    "work": "Job starts",
}

#: Milestone types caseworkers record, with their words.
MILESTONE_LABELS: Mapping[str, str] = {
    "training_start": "Training start",
    "training_completed": "Training completed",
    "job_start": "Job start",
    "job_sustained": "Job sustained",
}

#: Milestone types an extract may hold, in order.
MILESTONE_TYPES: tuple[str, ...] = tuple(MILESTONE_LABELS)

#: RAG ratings against target, with their words.
RAG_LABELS: Mapping[str, str] = {"green": "Green", "amber": "Amber", "red": "Red"}

#: A group's position against funnel-plot limits, with its words.
POSITION_LABELS: Mapping[str, str] = {"above": "Above", "within": "Within", "below": "Below"}

#: Grouping keys (participant characteristics and entry cohorts), with their words.
GROUP_LABELS: Mapping[str, str] = {
    "region": "Region",
    "area": "Area",
    "pathway": "Pathway",
    "delivery_partner": "Delivery partner",
    "prison": "Prison",
    "gender": "Gender",
    "age_band": "Age band",
    "ethnicity": "Ethnicity",
    "disability": "Disability",
    "entry_month": "Month of entry",
    "entry_quarter": "Quarter of entry",
    "entry_fy": "Financial year of entry",
}

_WORDS: Mapping[str, str] = {
    **{step.name: step.label for step in STEPS},
    **MILESTONE_LABELS,
    **RAG_LABELS,
    **POSITION_LABELS,
    **GROUP_LABELS,
}


def label(code: object) -> str:
    """The words people see for a code of the vocabulary.

    Parameters
    ----------
    code : object
        A step (``"work"``), milestone (``"job_start"``), RAG rating (``"amber"``),
        position (``"above"``) or grouping key (``"age_band"``).

    Returns
    -------
    str
        Its label; ``""`` when missing; any other text with underscores as spaces and
        a capital first letter (``"foo_bar"`` -> ``"Foo bar"``).

    Examples
    --------
    >>> label("training"), label("amber"), label("age_band"), label(None)
    ('Into training', 'Amber', 'Age band', '')
    """
    if code is None or (isinstance(code, float) and code != code):
        return ""
    text = str(code)
    words = _WORDS.get(text) or _WORDS.get(text.lower())
    if words is not None:
        return words
    return text.replace("_", " ").capitalize()


def phrase(step: str) -> str:
    """A step inside a sentence: ``phrase("work")`` -> ``"in work"`` (unknown: the code)."""
    known = STEP.get(step)
    return known.phrase if known else step


def step_labels(steps: tuple[str, ...] | list[str]) -> list[str]:
    """The labels of several steps, in the same order."""
    return [label(step) for step in steps]


#: The other terms of the programme's figures, after the steps: term and definition.
TERMS: tuple[tuple[str, str], ...] = (
    ("Rate from entry", "Participants reaching a step divided by participants entered (a percentage "
     "with one decimal), with a 95% Wilson score interval."),
    ("Rate from previous step", "Participants reaching a step divided by those reaching the step "
     "before it (training for work; work for sustained work)."),
    ("Change since last month", "The same figure as at one calendar month before the as-at date, "
     "and the difference."),
    ("Target to date", "The sum of the monthly contract targets from the contract start up to the "
     "period containing the as-at date."),
    ("Percent of target", "Actual to date divided by the target to date."),
    ("RAG", f"Green: at least {config.RAG_GREEN_FROM:.0%} of target to date; amber: at least "
     f"{config.RAG_AMBER_FROM:.0%}; red: below."),
    ("Projection", "Actual to date extended to the contract end at the run rate so far (actual to "
     "date divided by contract days elapsed, times contract days in total): a guide, not a forecast."),
    ("Control limits", "Funnel plot (Spiegelhalter 2005): where 95% and 99.8% of groups of a given "
     "size would fall by chance if every group had the overall rate."),
    ("Cohort", "People who entered in the same period; a cohort is followed only as far as all its "
     "members have been followed."),
    ("Gap", "A group's rate minus the overall rate, in percentage points."),
    ("As at (cut-off)", "The date the figures are as at: nothing recorded after it is counted."),
)


def definitions() -> tuple[tuple[str, str], ...]:
    """Every step and term with its definition, in reading order.

    The About page and every report's definitions read this, so they say the same.

    Returns
    -------
    tuple of (str, str)
        Term (a step's label) and definition.
    """
    return (*((step.label, step.definition) for step in STEPS), *TERMS)
