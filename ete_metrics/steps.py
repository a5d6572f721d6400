"""The programme's vocabulary: every step and outcome, once.

Each step of the funnel has its code (``"training"``), the milestone that marks it
(``"training_start"``), the words people see (``"Into training"``), its definition
(read by the About page and the reports' definitions alike) and the contract
measure it is targeted by. Metrics, charts, tables, the About page and the deck
all read them from here, so a label or a definition is changed in one place.

Adding a step (say, jobs sustained at 26 weeks) means adding one :class:`Step` to
:data:`STEPS` (and, when a new milestone records it, the milestone to
:data:`MILESTONE_LABELS`); see ``docs/architecture.md``. The lists derived from the
steps (:func:`outcome_steps`, :func:`funnel_steps`, :func:`referral_steps`,
:func:`outcome_milestones`, :func:`find_step`) read :data:`STEPS` when they are
called, so the funnel, the comparisons, the CLI's and the pages' step choices all
follow it.

Examples
--------
>>> from ete_metrics.steps import find_step, label
>>> find_step("work").milestone, label("work")
('job_start', 'Into work')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd

from ete_metrics import config
from ete_metrics.errors import InputError


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
    sustained : bool
        A step of sustained work: in the entry funnel only when sustained work is asked
        for (``include_sustained``), never in the referral funnel.
    after : str or None
        In the ordered funnel, the step that must come first: this step then counts
        only for people who reached ``after`` (in order).
    on_or_after : bool
        With ``after``: a milestone of this step counts in the ordered funnel only on or
        after the person's first counted milestone of ``after`` (the same day counts).
    """

    name: str
    label: str
    phrase: str
    definition: str
    milestone: str | None = None
    target_measure: str | None = None
    sustained: bool = False
    after: str | None = None
    on_or_after: bool = False


#: The referral: the first step of the funnel from referral.
REFERRED = Step(
    "referred", "Referred", "referred",
    "People referred to the programme by probation with a referral date on or before the "
    "as-at date.",
    target_measure="referred",
)

#: Entry to the programme: the population of every other measure.
ENTERED = Step(
    "entered", "Entered", "entered",
    "Participants whose entry date (the day they started on the programme) is on or before "
    "the as-at date. This is the population of every other measure: figures are "
    "entry-anchored.",
    target_measure="entered",
)

#: The first outcome: a training start.
TRAINING = Step(
    "training", "Into training", "in training",
    "Entered participants with at least one training start dated on or after their entry "
    "date and on or before the as-at date. Each person is counted once, however many "
    "courses they start.",
    milestone="training_start", target_measure="training",
)

#: The outcome of work: a job start.
WORK = Step(
    "work", "Into work", "in work",
    "Entered participants with at least one job start counted the same way.",
    milestone="job_start", target_measure="work", after=TRAINING.name, on_or_after=True,
)

#: Sustained work: a sustained job.
SUSTAINED = Step(
    "sustained", "Sustained work", "in sustained work",
    "Entered participants with at least one recorded sustained job (the contract's "
    "sustainment milestone), counted the same way.",
    milestone="job_sustained", sustained=True, after=WORK.name,
)

#: Every step, in funnel order (a new step goes here, after the step it follows).
STEPS: tuple[Step, ...] = (REFERRED, ENTERED, TRAINING, WORK, SUSTAINED)


def find_step(name: str) -> Step:
    """The step with this code.

    Raises
    ------
    KeyError
        For a code that is not a step.
    """
    for step in STEPS:
        if step.name == name:
            return step
    raise KeyError(name)


def outcome_steps(*, sustained: bool = True) -> tuple[str, ...]:
    """The steps after entry that a milestone marks, in funnel order.

    Parameters
    ----------
    sustained : bool, default True
        Include the steps of sustained work.

    Examples
    --------
    >>> outcome_steps(), outcome_steps(sustained=False)
    (('training', 'work', 'sustained'), ('training', 'work'))
    """
    return tuple(
        step.name for step in STEPS if step.milestone is not None and (sustained or not step.sustained)
    )


def outcome_step(name: str) -> Step:
    """The step after entry with this code, for a metric that measures one step.

    Raises
    ------
    InputError
        For a code that is not one of :func:`outcome_steps` (the message names them).
    """
    if name in outcome_steps():
        return find_step(name)
    raise InputError(f"Unknown step {name!r}: choose from {', '.join(outcome_steps())}.")


def sustained_steps() -> tuple[str, ...]:
    """The steps of sustained work, in funnel order (``include_sustained`` adds them)."""
    return tuple(step.name for step in STEPS if step.sustained)


def outcome_milestones() -> dict[str, str]:
    """Each step after entry with the milestone type that marks it (code -> milestone)."""
    return {step.name: step.milestone for step in STEPS if step.milestone is not None}


def funnel_steps(*, sustained: bool = False) -> tuple[str, ...]:
    """The entry funnel's steps, in order: ``entered``, then :func:`outcome_steps`."""
    return (ENTERED.name, *outcome_steps(sustained=sustained))


def referral_steps() -> tuple[str, ...]:
    """The referral funnel's steps, in order (no sustained work)."""
    return (REFERRED.name, ENTERED.name, *outcome_steps(sustained=False))


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

#: The marker shown in place of a figure withheld to protect the people in it (the GSS
#: "confidential" marker). Disclosure control writes it (:mod:`ete_metrics.protect.disclosure`);
#: a metric of shown figures (the headline's changes) passes it on.
SUPPRESSED: str = "[c]"

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

_WORDS: Mapping[str, str] = {**MILESTONE_LABELS, **RAG_LABELS, **POSITION_LABELS, **GROUP_LABELS}


def _words(text: str) -> str | None:
    """The words for a code, steps first (read from :data:`STEPS` when asked)."""
    for step in STEPS:
        if step.name == text:
            return step.label
    return _WORDS.get(text)


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
    words = _words(text) or _words(text.lower())
    if words is not None:
        return words
    return text.replace("_", " ").capitalize()


#: Words kept in upper case when column names are humanised.
_ACRONYMS = {"id": "ID", "ci": "CI", "rag": "RAG", "fy": "FY"}


def humanise(name: str) -> str:
    """Turn a column name into a heading: ``"rate_from_entry"`` -> ``"Rate from entry"``.

    Parameters
    ----------
    name : str
        A snake_case column name.

    Returns
    -------
    str
        Words separated by spaces, first letter capitalised, known acronyms
        (ID, CI, RAG, FY) in capitals.
    """
    words = [w for w in str(name).replace("_", " ").split(" ") if w]
    if not words:
        return str(name)
    out = [_ACRONYMS.get(w.lower(), w) for w in words]
    first = out[0]
    if first == words[0]:
        out[0] = first[:1].upper() + first[1:]
    return " ".join(out)


def phrase(step: str) -> str:
    """A step inside a sentence: ``phrase("work")`` -> ``"in work"`` (unknown: the code)."""
    for known in STEPS:
        if known.name == step:
            return known.phrase
    return step


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


def rag_rating(actual: Iterable[float] | np.ndarray, target: Iterable[float] | np.ndarray) -> np.ndarray:
    """Red/amber/green rating of actual against target, compared exactly.

    Parameters
    ----------
    actual, target : array-like of int
        Cumulative actual and cumulative target.

    Returns
    -------
    numpy.ndarray of object
        ``"green"`` when ``actual / target >= config.RAG_GREEN_FROM`` (1.00), ``"amber"``
        when ``>= config.RAG_AMBER_FROM`` (0.86), ``"red"`` otherwise, ``None`` where the
        target is 0 (no target). The thresholds are read as exact decimals and compared
        in integer arithmetic (``actual * 100 >= 86 * target``), so 86 of 100 is amber
        and 859 of 1,000 is red without floating-point doubt.
    """
    actual_values = np.asarray(actual, dtype=object)
    target_values = np.asarray(target, dtype=object)
    green = Fraction(str(config.RAG_GREEN_FROM))
    amber = Fraction(str(config.RAG_AMBER_FROM))
    out = np.empty(len(actual_values), dtype=object)
    for i, (a, t) in enumerate(zip(actual_values, target_values, strict=True)):
        if t is None or pd.isna(t) or t <= 0:
            out[i] = None
            continue
        a, t = int(a), int(t)
        if a * green.denominator >= green.numerator * t:
            out[i] = "green"
        elif a * amber.denominator >= amber.numerator * t:
            out[i] = "amber"
        else:
            out[i] = "red"
    return out
