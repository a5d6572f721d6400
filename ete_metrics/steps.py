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


# --- Engagement, timeliness, exits and prison leavers (issue 28) ---------------------------

#: The step whose milestone is a job start: exits "after a job start" and the prison
#: leavers' job starts read its milestone (``find_step(JOB_STEP).milestone``).
JOB_STEP: str = WORK.name

#: A referral's end state at the as-at date (Refer and Monitor's ``referral_end_state``;
#: empty there is open), in reading order, with its words.
END_STATE_LABELS: Mapping[str, str] = {
    "open": "Open",
    "completed": "Completed",
    "ended": "Ended",
    "cancelled": "Cancelled",
}

#: The end states a referral can be in, in order.
END_STATES: tuple[str, ...] = tuple(END_STATE_LABELS)

#: The end state of a referral not (yet) concluded.
END_STATE_OPEN: str = "open"

#: The end states of a referral that ended before it was completed: its exits.
EXIT_END_STATES: tuple[str, ...] = ("ended", "cancelled")

#: The stage a referral had reached when it ended, in funnel order, with its words.
EXIT_STAGE_LABELS: Mapping[str, str] = {
    "before_first_appointment": "Before the first appointment",
    "before_action_plan": "Before the action plan",
    "in_delivery": "In delivery",
    "after_job_start": "After a job start",
}

#: The exit stages, in funnel order.
EXIT_STAGES: tuple[str, ...] = tuple(EXIT_STAGE_LABELS)

#: Groups of exit reasons (Refer and Monitor's ``withdrawal_reason.grouping``), with words.
EXIT_REASON_GROUP_LABELS: Mapping[str, str] = {
    "problem": "Problem with the referral",
    "user": "The person's circumstances",
    "sentence": "Change to the sentence",
    "early": "Completed early",
    "other": "Other",
}

#: The exit-reason groups, in order.
EXIT_REASON_GROUPS: tuple[str, ...] = tuple(EXIT_REASON_GROUP_LABELS)


@dataclass(frozen=True)
class ExitReason:
    """Why a referral ended early: one reason of the programme's vocabulary.

    Attributes
    ----------
    code : str
        The code in frames (``end_reason``) and files.
    label : str
        The words people see.
    group : str
        One of :data:`EXIT_REASON_GROUPS`.
    positive : bool
        Good news for an employment programme (work or caring; the intervention
        completed early): shown as a positive exit, not a drop-out.
    """

    code: str
    label: str
    group: str
    positive: bool = False


#: Every exit reason, grouped in the order of :data:`EXIT_REASON_GROUPS`. Refer and
#: Monitor's withdrawal reasons (``withdrawal_reason``, migration V1_166, words updated in
#: V1_177) give the codes and groups; its older end-request reasons (``cancellation_reason``,
#: V1_41_1) and CATS's archive reasons (``ArchiveReason.cs``) map onto them, with four codes
#: of their own (:data:`REFER_AND_MONITOR_EXIT_REASONS`, :data:`CATS_EXIT_REASONS`).
EXIT_REASONS: tuple[ExitReason, ...] = (
    ExitReason("ineligible", "Ineligible referral", "problem"),
    ExitReason("mistaken", "Mistaken or duplicate referral", "problem"),
    ExitReason("provider_capacity", "The provider's caseload was too high", "problem"),
    ExitReason("not_engaged", "Not engaged", "user"),
    ExitReason("declined", "Did not wish to take part", "user"),
    ExitReason("needs_met", "Needs met through another route", "user"),
    ExitReason("moved", "Moved out of the service area", "user"),
    ExitReason("work_or_caring", "Work, caring commitments or sickness", "user", positive=True),
    ExitReason("personal_circumstances", "Personal circumstances", "user"),
    ExitReason("died", "Died", "user"),
    ExitReason("acquitted", "Acquitted on appeal", "sentence"),
    ExitReason("returned_to_custody", "Returned to custody", "sentence"),
    ExitReason("sentence_revoked", "Sentence revoked", "sentence"),
    ExitReason("sentence_expired", "Sentence or licence ended", "sentence"),
    ExitReason("completed_early", "Intervention completed early", "early", positive=True),
    ExitReason("practitioner_judgement", "Probation practitioner's professional judgement", "other"),
    ExitReason("other_change", "Another change of circumstance", "other"),
    ExitReason("not_recorded", "Reason not recorded", "other"),
)

#: The reason given to an exit whose reason is missing.
EXIT_REASON_NOT_RECORDED: str = "not_recorded"

#: Refer and Monitor's end-request reasons -> :data:`EXIT_REASONS` codes. The performance
#: report's ``end_requested_by_pp_reason`` carries the reason's *description* (the words of
#: ``withdrawal_reason``, else of the older ``cancellation_reason``), so both the three-letter
#: codes and every description either table has held are keys; the two tables share the
#: codes MIS, MOV and ACQ with the same meaning.
REFER_AND_MONITOR_EXIT_REASONS: Mapping[str, str] = {
    # withdrawal_reason (V1_166; WOR and ANO reworded in V1_177)
    "INE": "ineligible",
    "Ineligible Referral": "ineligible",
    "MIS": "mistaken",
    "Mistaken or duplicate referral": "mistaken",
    "NOT": "not_engaged",
    "Not engaged": "not_engaged",
    "NEE": "needs_met",
    "Needs met through another route": "needs_met",
    "MOV": "moved",
    "Moved out of service area": "moved",
    "WOR": "work_or_caring",
    "Work or caring responsibilities": "work_or_caring",
    "Work, caring commitments, or sickness": "work_or_caring",
    "USE": "died",
    "User died": "died",
    "ACQ": "acquitted",
    "Acquitted on appeal": "acquitted",
    "RET": "returned_to_custody",
    "Returned to custody": "returned_to_custody",
    "SER": "sentence_revoked",
    "Sentence revoked": "sentence_revoked",
    "SEE": "sentence_expired",
    "Sentence expired": "sentence_expired",
    "EAR": "completed_early",
    "Intervention has been completed": "completed_early",
    "ANO": "other_change",
    "Another reason": "other_change",
    "Any other change of circumstance": "other_change",
    # cancellation_reason (V1_41_1), the end-request reasons before withdrawal_reason
    "Referral was made by mistake": "mistaken",
    "Service user has moved out of service area": "moved",
    "DIE": "died",
    "Service user died": "died",
    "Service user has been acquitted on appeal": "acquitted",
    "DIS": "not_engaged",
    "Service user has been disengaged": "not_engaged",
    "REC": "returned_to_custody",
    "Service user has been recalled": "returned_to_custody",
    "END": "sentence_expired",
    "Sentence has ended": "sentence_expired",
    "REV": "sentence_revoked",
    "Sentence has been revoked": "sentence_revoked",
    "DUP": "mistaken",
    "Duplication of referral": "mistaken",
    "PPJ": "practitioner_judgement",
    "Probation practitioner's professional judgement": "practitioner_judgement",
}

#: CATS's archive reasons (``ArchiveReason.cs``: its names, as an export or the screen shows
#: them) -> :data:`EXIT_REASONS` codes.
CATS_EXIT_REASONS: Mapping[str, str] = {
    "Caseload for this location is too high": "provider_capacity",
    "Deceased": "died",
    "Licence end date reached": "sentence_expired",
    "Moved outside of provider delivery catchment area": "moved",
    "Moved to non-CFO location": "moved",
    "No further support required": "needs_met",
    "No supporting right to live / work documentation": "ineligible",
    "Participant has stated they do not wish to participate": "declined",
    "Participant is no longer engaging with provision": "not_engaged",
    "Personal circumstances": "personal_circumstances",
    "Other": "other_change",
}


def find_exit_reason(code: str) -> ExitReason:
    """The exit reason with this code.

    Raises
    ------
    InputError
        For a code that is not one of :data:`EXIT_REASONS` (the message names them).
    """
    for reason in EXIT_REASONS:
        if reason.code == code:
            return reason
    known = ", ".join(reason.code for reason in EXIT_REASONS)
    raise InputError(f"Unknown exit reason {code!r}: use one of {known}.")


#: The words of the new codes, for :func:`label` (end states, exit stages, reason groups
#: and reasons).
ENGAGEMENT_LABELS: Mapping[str, str] = {
    **END_STATE_LABELS,
    **EXIT_STAGE_LABELS,
    **EXIT_REASON_GROUP_LABELS,
    **{reason.code: reason.label for reason in EXIT_REASONS},
}

_WORDS = {**ENGAGEMENT_LABELS, **_WORDS}

#: The terms of the engagement figures, with their definitions (the Engagement page and
#: the About page will read them beside :func:`definitions`).
ENGAGEMENT_TERMS: tuple[tuple[str, str], ...] = (
    ("Working days", "Monday to Friday less the bank holidays of England and Wales (from the "
     "maintained holidays package). The working days from a referral to a date are those after "
     "the referral date up to and including that date, both as calendar dates in London: the "
     "same day is 0."),
    ("Working days to the first appointment", "The median number of working days from the "
     "referral to the first appointment attended, over referrals received by the as-at date "
     "whose first appointment was attended on or before it."),
    ("First appointment within the threshold", "Referrals whose first appointment was attended "
     "within the threshold (10 working days unless stated) and by the as-at date, divided by "
     "referrals received at least that many working days before the as-at date."),
    ("First appointment arranged within the threshold", "The same for the date the first "
     "appointment was arranged (5 working days unless stated)."),
    ("Service level", "The share within the threshold against the service-level target: green "
     f"at the target or above, amber at {config.RAG_AMBER_FROM:.0%} of it or above, red below."),
    ("Attended on time", "First appointments attended on time, divided by first appointments "
     "attended by the as-at date."),
    ("Action plan approved", "Referrals whose first action plan was approved on or before the "
     "as-at date, divided by referrals received by it."),
    ("Attendance rate", "Sessions attended divided by sessions expected, pooled over referrals "
     "whose action plan was approved by the as-at date (the counts are as the source last "
     "recorded them)."),
    ("Achievement rate", "The sum of the end-of-service reports' achievement scores (each desired "
     "outcome achieved 1, partly achieved 0.5, not achieved 0) divided by the sum of desired "
     "outcomes, over referrals whose end-of-service report was submitted by the as-at date."),
    ("End state", "Open, completed, ended or cancelled as at the as-at date: a referral "
     "concluded after it is open."),
    ("Exit stage", "How far an ended or cancelled referral had got on the day its end was "
     "requested (else concluded): before the first appointment, before the action plan, in "
     "delivery, or after a job start."),
    ("Positive exit", "An exit that is good news for an employment programme: for work or "
     "caring commitments, or the intervention completed early."),
    ("Job start after release", "Custody participants with a job start within 42 (182) days of "
     "their release, divided by releases at least 42 (182) days before the as-at date; beside "
     "HMPPS's national share of prison leavers in employment 6 weeks (MI016) and 6 months "
     "(MI017) after release."),
)

#: The pathway whose participants are prison leavers (one of ``config.PATHWAYS``).
CUSTODY_PATHWAY: str = "custody"

#: Timeliness measures: the first appointment's date counted from the referral, with words.
TIMELINESS_LABELS: Mapping[str, str] = {
    "first_appointment_attended": "First appointment attended",
    "first_appointment_arranged": "First appointment arranged",
}

#: Prison leavers' measures (HMPPS's codes): each with its window in days after release.
PRISON_LEAVER_WINDOWS: Mapping[str, int] = {"MI016": 42, "MI017": 182}

#: Prison leavers' measures with their words.
PRISON_LEAVER_LABELS: Mapping[str, str] = {
    "MI016": "Job start within 6 weeks of release",
    "MI017": "Job start within 6 months of release",
}

_WORDS = {**TIMELINESS_LABELS, **PRISON_LEAVER_LABELS, **_WORDS}
