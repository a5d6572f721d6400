"""Every published view, once: its columns' roles, their headings for people, its protection.

A *view* is a table the dashboard, the reports or the command line show: a
funnel, a comparison of groups, cohort curves... Each :class:`View` says, for the
columns its metric returns,

- which are counts of people, which are additive groups and which keys, and
  which rates go with which numerator and group size: what disclosure control
  (:mod:`ete_metrics.protect.audience`) needs to protect it for stakeholders;
- how each column is shown: a count (``10,234``), a percentage (``38.1%``), a
  UK date, a change in percentage points, a number of days;
- the heading people read (:func:`heading`: the view's own words, else
  :data:`HEADINGS`, else the column name in words).

The registry :data:`VIEWS` holds them by name; the module attributes
(:data:`FUNNEL`, :data:`COMPARE`...) are the objects callers pass.

:data:`PUBLICATIONS` declares what each page and the report pack publish together
(:class:`Published`: a view and what ties its cells to the others'), so the set is
protected as a whole (:func:`ete_metrics.protect.publication.parts_of` and ``publish``;
on screen ``dashboard.render.shown_publication``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from typing import ClassVar

from ete_metrics import config
from ete_metrics.data.checks import RULES
from ete_metrics.steps import (
    ENTERED,
    GROUP_LABELS,
    MILESTONE_LABELS,
    POSITION_LABELS,
    TRAINING,
    WORK,
    humanise,
)
from ete_metrics.steps import label as _step_label

#: The grouping keys of the vocabulary: groups of people in every view.
_BREAKDOWNS: frozenset[str] = frozenset((*config.GROUPING_COLUMNS, *config.COHORT_COLUMNS))

#: Group size of a long-form funnel rate: the first step of the same group.
FIRST_STEP = "<first step>"
#: Group size of a step-to-step rate: the previous step of the same group.
PREVIOUS_STEP = "<previous step>"

#: Headings people read, by column (the same on screen, in the reports and in files).
HEADINGS: Mapping[str, str] = {
    **GROUP_LABELS,
    "step": "Step",
    "measure": "Measure",
    "participants": "People",
    "participants_month_earlier": "A month earlier",
    "change": "Change",
    "rate_from_entry": "% of entered",
    "rate_month_earlier": "% a month earlier",
    "rate_from_previous": "% of previous step",
    "ci_low": "Lower 95% interval",
    "ci_high": "Upper 95% interval",
    "lower_95": "Lower 95% limit",
    "upper_95": "Upper 95% limit",
    "lower_998": "Lower 99.8% limit",
    "upper_998": "Upper 99.8% limit",
    "outside_998": "Outside the 99.8% limits",
    "position": "Against the 95% limits",
    "rate": "Rate",
    "overall_rate": "Overall rate",
    "gap": "Gap to overall",
    "rag": "RAG",
    "percent_achieved": "% of target",
    "projected_percent": "Projected % of contract",
    "projected_at_end": "Projected at contract end",
    "contract_elapsed": "Share of the contract elapsed",
    "actual_to_date": "Actual to date",
    "target_to_date": "Target to date",
    "contract_target": "Contract target",
    "cumulative_target": "Target to date",
    "cumulative_actual": "Actual to date",
    "period_start": "Period from",
    "characteristic": "Characteristic",
    "group": "Group",
    "cohort": "Cohort",
    "cohort_size": "Cohort size",
    "months_since_entry": "Months since entry",
    "cumulative_rate": "Cumulative %",
    "days_since_entry": "Days since entry",
    "days_since_last": "Days since the last milestone (or entry)",
    "last_milestone": "Last milestone",
    "last_milestone_date": "Date of the last milestone",
    "at_risk": "At risk",
    "events": "Reached the outcome",
    "cumulative_incidence": "Cumulative %",
    "outcome": "Outcome",
    "entered": "Entered",
    "reached": "Reached",
    "median_days": "Median days",
    "q1_days": "Lower quartile (days)",
    "q3_days": "Upper quartile (days)",
    "partner": "Partner",
    "training_starts": "Training starts",
    "training_completed": "Completed training",
    "work_after_training": "Into work after training",
    "completion_rate": "% completed",
    "work_rate": "% into work",
    "median_days_to_work": "Median days to work",
    "job_starts": "Job starts",
    "job_sustained": "Jobs sustained",
    "sustained_rate": "% sustained",
    "check": "Check",
    "count": "Count",
    "month": "Month",
    "participant_id": "Participant ID",
    "caseworker": "Caseworker (pseudonym)",
    "observed": "Observed",
    "expected": "Expected",
    "ratio": "Observed / expected",
    "ratio_low": "Lower 95% limit of the ratio",
    "ratio_high": "Upper 95% limit of the ratio",
    "raw_rate": "Rate (unadjusted)",
    "adjusted_rate": "Rate (adjusted for case mix)",
    "forecast": "Forecast",
    "low_80": "Lower 80% limit",
    "high_80": "Upper 80% limit",
    "low_95": "Lower 95% limit",
    "high_95": "Upper 95% limit",
    "probability": "Chance of reaching the target",
    "previous_month": "Month before",
    "year_earlier": "Same month a year earlier",
    "change_on_month": "Change on the month before",
    "change_on_year": "Change on a year earlier",
    "quarter_start": "Quarter from",
    "quarter_to_date": "Quarter to date",
    "quarter_target": "Quarter's target",
    "quarter_percent": "% of the quarter's target",
}


# --------------------------------------------------------------------------- how stakeholders get a column


class Rule:
    """How stakeholders get one column of a view (the base of the rules below).

    Every column a view's metric returns has a rule, and a stakeholder sees a column only
    through it (:func:`ete_metrics.protect.audience.protect_view`): a count is protected
    by the policy; every other figure is worked out again from the *published* counts
    (never read off the true figures); a label or a date is shown as it is; a column with
    no rule, or the rule :data:`WITHHELD`, is not shown to stakeholders at all.
    """

    #: The columns the rule reads (published values of the same row, or of the table).
    def needs(self) -> tuple[str, ...]:
        return ()

    #: A number people read as a rate, interval, ratio or chance (not a count).
    figure: ClassVar[bool] = False


@dataclass(frozen=True)
class Count(Rule):
    """A count of people: 0 shown, 1-4 suppressed, others rounded to 5 (the policy).

    ``per`` names the groups the count is *of*, where the figure is of a larger group
    repeated on each row (``("region",)``: the partner's region's figure; ``()``: the
    whole programme's). ``None``: the row's own group, as usual.
    """

    per: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Share(Rule):
    """``numerator / denominator`` of two published counts of the same row (``denominator``
    may be :data:`FIRST_STEP` or :data:`PREVIOUS_STEP` in a long funnel), at the precision
    shown; withheld where either is suppressed or the published denominator is below ten."""

    numerator: str
    denominator: str
    figure: ClassVar[bool] = True

    def needs(self) -> tuple[str, ...]:
        return (self.numerator,) if self.denominator in (FIRST_STEP, PREVIOUS_STEP) else (
            self.numerator, self.denominator)


@dataclass(frozen=True)
class Interval(Share):
    """A bound (``"low"`` or ``"high"``) of the 95% Wilson interval of a :class:`Share`."""

    bound: str = "low"


@dataclass(frozen=True)
class Pooled(Rule):
    """The rate of all the table's rows together (within each value of ``within``):
    the rows' total numerator over their total denominator, each total rounded and
    suppressed as a count."""

    numerator: str
    denominator: str
    within: tuple[str, ...] = ()
    figure: ClassVar[bool] = True

    def needs(self) -> tuple[str, ...]:
        return (self.numerator, self.denominator)


@dataclass(frozen=True)
class Limit(Rule):
    """A funnel-plot control limit (exact binomial, Spiegelhalter 2005) around the published
    rate ``around`` for a group of the published size ``size``, at ``probability``."""

    around: str
    size: str
    probability: float
    figure: ClassVar[bool] = True

    def needs(self) -> tuple[str, ...]:
        return (self.around, self.size)


@dataclass(frozen=True)
class Ratio(Rule):
    """``numerator / denominator`` of two published figures (minus one for a change), at
    ``decimals``; withheld where either is suppressed, missing where the denominator is 0."""

    numerator: str
    denominator: str
    decimals: int = 3
    minus_one: bool = False
    figure: ClassVar[bool] = True

    def needs(self) -> tuple[str, ...]:
        return (self.numerator, self.denominator)


@dataclass(frozen=True)
class Gap(Rule):
    """``rate - reference`` of two published rates, in percentage points."""

    rate: str
    reference: str
    figure: ClassVar[bool] = True

    def needs(self) -> tuple[str, ...]:
        return (self.rate, self.reference)


@dataclass(frozen=True)
class Difference(Rule):
    """``now - before`` of two published counts (a change in people)."""

    now: str
    before: str
    figure: ClassVar[bool] = True

    def needs(self) -> tuple[str, ...]:
        return (self.now, self.before)


@dataclass(frozen=True)
class RunRate(Rule):
    """A run-rate projection of a published count to the contract's end: the count over
    the share of the contract elapsed (a column of dates alone), rounded to 5."""

    count: str
    elapsed: str

    def needs(self) -> tuple[str, ...]:
        return (self.count, self.elapsed)


@dataclass(frozen=True)
class Position(Rule):
    """Where a published rate (or ratio) falls against published limits: ``"above"``,
    ``"within"`` or ``"below"``; as a yes/no ``outside`` them when ``flag``."""

    rate: str
    lower: str
    upper: str
    flag: bool = False

    def needs(self) -> tuple[str, ...]:
        return (self.rate, self.lower, self.upper)


@dataclass(frozen=True)
class Rating(Rule):
    """The RAG rating of a published actual against a published target (the contract's
    thresholds, :func:`ete_metrics.steps.rag_rating`)."""

    actual: str
    target: str

    def needs(self) -> tuple[str, ...]:
        return (self.actual, self.target)


@dataclass(frozen=True)
class Label(Rule):
    """A key or category shown as it is (a step, a region, a measure, a month). ``additive``:
    mutually exclusive groups whose counts add up to a published total. ``identifies``
    False: a description of the row's group (a partner's main region), neither a group
    nor a key of its cells."""

    additive: bool = False
    identifies: bool = True


@dataclass(frozen=True)
class Calendar(Rule):
    """A figure of dates alone, the same whatever the data (the share of the contract
    elapsed on the as-at date): shown as it is."""

    figure: ClassVar[bool] = True


@dataclass(frozen=True)
class Republished(Rule):
    """A figure as published in another view (a table laid out from published tables,
    such as the cohort heatmap from the protected curves)."""

    view: str
    column: str


@dataclass(frozen=True)
class Withheld(Rule):
    """Not published to stakeholders (worked out from each person's records, not from the
    published counts: a Kaplan-Meier median, a forecast's spread)."""


#: A count of the row's own group.
COUNT = Count()
#: A key (a step, a measure, a date): not a group of people.
KEY = Label()
#: A category of people whose counts add up (a region, a partner, a cohort).
GROUP = Label(additive=True)
#: A description of the row's group, not one of its keys (a partner's main region).
DESCRIPTION = Label(identifies=False)
#: Not published to stakeholders.
WITHHELD = Withheld()

#: The rule of a grouping key of the vocabulary (``by=``), in every view.
BREAKDOWN = GROUP


@dataclass(frozen=True)
class View:
    """One published view: how stakeholders get each column, and how it is shown.

    Attributes
    ----------
    name : str
        Short name (``"funnel"``), unique in :data:`VIEWS`.
    columns : mapping of str to Rule
        Every column the view's metric returns, with how stakeholders get it
        (:class:`Rule`); a name may be a pattern (``"month_*"``). The grouping keys of the
        vocabulary (:data:`ete_metrics.config.GROUPING_COLUMNS` and the cohort keys) are
        groups in every view (:data:`BREAKDOWN`). A column with no rule is not shown to
        stakeholders (and the suite fails: ``tests/test_views.py``).
    total_label : str or None
        Label of total rows in the group columns (e.g. ``"All regions"``).
    percents, dates, points, days : tuple of str
        Columns shown as percentages (fractions), UK dates, changes in percentage
        points and numbers of days; counts and estimates are shown as counts.
        A name may be a pattern (``"month_*"``) for a family of columns.
    numbers : tuple of str
        Other whole numbers shown like counts (months since entry, a line number, a
        change in people).
    headings : mapping of str to str
        This view's own headings, where :data:`HEADINGS` says too little.
    words : mapping of str to mapping of str to str
        Columns whose values are codes, with their words for people (the data-quality
        checks' labels); a code missing there reads as the vocabulary says
        (:func:`ete_metrics.steps.label`).
    internal_only : bool
        Never shown to stakeholders (participant-level lists, import checks, figures
        worked out from each person's records):
        :func:`ete_metrics.protect.audience.protect_view` refuses it and the dashboard
        does not show it in the stakeholder view.
    composite : bool
        Laid out from tables already published (the headline from the two protected
        funnels): never protected again, and its rules say where each figure comes from.
    totals_published : bool, default True
        Whether the sums of the view's additive groups are published (in the view
        or elsewhere), so secondary suppression must protect them. False where no
        such total exists (cohorts at a month since entry are never summed).
    """

    name: str
    columns: Mapping[str, Rule]
    total_label: str | None = None
    percents: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()
    points: tuple[str, ...] = ()
    days: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()
    headings: Mapping[str, str] = field(default_factory=dict)
    words: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    internal_only: bool = False
    composite: bool = False
    totals_published: bool = True

    def heading(self, column: str) -> str:
        """The heading people read for ``column`` in this view (see :func:`heading`)."""
        return heading(column, self.headings)

    def rule(self, column: str) -> Rule | None:
        """How stakeholders get ``column``: its rule, a group for a grouping key, else None.

        Examples
        --------
        >>> v = View("v", {"n": COUNT, "month_*": Share("n", "m")})
        >>> v.rule("n") == COUNT, v.rule("month_3"), v.rule("region") == GROUP, v.rule("x")
        (True, Share(numerator='n', denominator='m'), True, None)
        """
        found = self.columns.get(column)
        if found is not None:
            return found
        for name, rule in self.columns.items():
            if any(c in name for c in "*?[") and fnmatchcase(str(column), name):
                return rule
        if column in _BREAKDOWNS:
            return BREAKDOWN
        return None

    def published(self, columns: Iterable[str]) -> list[str]:
        """The columns of ``columns`` stakeholders may see, in order (a rule, not withheld)."""
        return [c for c in columns if (r := self.rule(c)) is not None and not isinstance(r, Withheld)]

    def _named(self, kind: type[Rule] | tuple[type[Rule], ...]) -> tuple[str, ...]:
        return tuple(c for c, r in self.columns.items() if isinstance(r, kind))

    @property
    def counts(self) -> tuple[str, ...]:
        """Counts of people of the row's own group (protected by the policy)."""
        return tuple(c for c, r in self.columns.items() if isinstance(r, Count) and r.per is None)

    @property
    def scoped(self) -> dict[str, tuple[str, ...]]:
        """Counts of a larger group repeated on each row, by column: the groups they are of."""
        return {c: r.per for c, r in self.columns.items() if isinstance(r, Count) and r.per is not None}

    @property
    def groups(self) -> tuple[str, ...]:
        """Additive group columns (their totals are published); grouping keys are added."""
        return tuple(c for c, r in self.columns.items() if isinstance(r, Label) and r.additive)

    @property
    def keys(self) -> tuple[str, ...]:
        """Non-additive keys (a funnel step, a date, a characteristic)."""
        return tuple(c for c, r in self.columns.items()
                     if isinstance(r, Label) and not r.additive and r.identifies)

    @property
    def rates(self) -> dict[str, tuple[str | None, str]]:
        """Every figure that is not a count (rate, interval, limit, gap, ratio, chance, days),
        with the count it is of and its group size where it has them."""
        out: dict[str, tuple[str | None, str]] = {}
        for column, rule in self.columns.items():
            if isinstance(rule, Share | Pooled | Ratio):
                out[column] = (rule.numerator, rule.denominator)
            elif rule.figure:
                out[column] = (None, "")
        return out

    @property
    def derived(self) -> dict[str, str]:
        """Categories worked out from a published figure (a position, a RAG rating)."""
        out: dict[str, str] = {}
        for column, rule in self.columns.items():
            if isinstance(rule, Position):
                out[column] = rule.rate
            elif isinstance(rule, Rating):
                out[column] = rule.actual
        return out

    @property
    def shown_counts(self) -> tuple[str, ...]:
        """Columns shown as counts: counts of people, estimates, days and other numbers."""
        return (*self.counts, *self.scoped,
                *self._named(RunRate), *self.days, *self.numbers)

    def formats(self, columns: Iterable[str]) -> dict[str, str]:
        """How each of ``columns`` is shown: ``"count"``, ``"percent"``, ``"date"`` or ``"points"``.

        Columns with no role are left out; a role's patterns (``"month_*"``) match
        whole column names.

        Examples
        --------
        >>> View("v", {"n": COUNT}, percents=("month_*",)).formats(["n", "month_3", "name"])
        {'n': 'count', 'month_3': 'percent'}
        """
        roles = (("count", self.shown_counts), ("percent", self.percents),
                 ("date", self.dates), ("points", self.points))
        out: dict[str, str] = {}
        for column in columns:
            for role, names in roles:
                if any(fnmatchcase(str(column), name) for name in names):
                    out[str(column)] = role
                    break
        return out


def heading(column: str, own: Mapping[str, str] | None = None) -> str:
    """The heading people read for a column.

    Parameters
    ----------
    column : str
        The column's name in the frame (``"ci_low"``).
    own : mapping of str to str, optional
        A view's or a table's own headings, which win.

    Returns
    -------
    str
        ``own[column]``, else :data:`HEADINGS`, else the name in words
        (:func:`ete_metrics.steps.humanise`: ``"import_id"`` -> ``"Import ID"``).

    Examples
    --------
    >>> heading("upper_998"), heading("gender"), heading("participants", {"participants": "In work"})
    ('Upper 99.8% limit', 'Gender', 'In work')
    """
    if own and column in own:
        return own[column]
    words = HEADINGS.get(str(column))
    if words is not None:
        return words
    return humanise(str(column))


def _limits(around: str, size: str) -> dict[str, Rule]:
    """The funnel plot's 95% and 99.8% limits around a published rate for a published size."""
    return {name: Limit(around, size, p) for name, p in _LIMIT_PROBABILITIES.items()}


#: The funnel plot's limits by cumulative probability.
_LIMIT_PROBABILITIES = {"lower_95": 0.025, "upper_95": 0.975, "lower_998": 0.001, "upper_998": 0.999}

#: funnel(), referral_funnel(), delivery_partners(), prisons(): long form, one row per step.
FUNNEL = View(
    "funnel",
    {"step": KEY, "participants": COUNT, "delivery_partner": GROUP, "prison": GROUP,
     "rate_from_entry": Share("participants", FIRST_STEP),
     "rate_from_previous": Share("participants", PREVIOUS_STEP),
     "ci_low": Interval("participants", FIRST_STEP, "low"),
     "ci_high": Interval("participants", FIRST_STEP, "high")},
    percents=("rate_from_entry", "rate_from_previous", "ci_low", "ci_high"),
)
#: headline() of two protected funnels: now, a month earlier and the change between them
HEADLINE = View(
    "headline",
    {"step": KEY, "participants": Republished("funnel", "participants"),
     "participants_month_earlier": Republished("funnel", "participants"),
     "change": Difference("participants", "participants_month_earlier"),
     "rate_from_entry": Republished("funnel", "rate_from_entry"),
     "rate_month_earlier": Republished("funnel", "rate_from_entry"),
     "rate_change": Gap("rate_from_entry", "rate_month_earlier"),
     "rate_from_previous": Republished("funnel", "rate_from_previous"),
     "ci_low": Republished("funnel", "ci_low"), "ci_high": Republished("funnel", "ci_high")},
    numbers=("participants", "participants_month_earlier", "change"),
    percents=("rate_from_entry", "rate_month_earlier", "rate_from_previous", "ci_low", "ci_high"),
    points=("rate_change",), composite=True,
)
#: The steps of the report's delivery partners table, a column each (and a rate of each outcome).
_PARTNER_STEPS = (ENTERED.name, TRAINING.name, WORK.name)
_PARTNER_RATES = tuple(f"{step}_rate" for step in _PARTNER_STEPS[1:])
#: the report's delivery partners: one row per partner, a column per step, from protected funnels
PARTNER_STEPS = View(
    "partner_steps",
    {"delivery_partner": GROUP, **{c: Republished("funnel", "participants") for c in _PARTNER_STEPS},
     **{c: Republished("funnel", "rate_from_entry") for c in _PARTNER_RATES}},
    numbers=_PARTNER_STEPS, percents=_PARTNER_RATES, composite=True,
    # each step's column in the step's words ("Into training"), its rate of the partner's entrants
    headings={**{step: _step_label(step) for step in _PARTNER_STEPS},
              **{f"{step}_rate": f"% {_step_label(step).lower()}" for step in _PARTNER_STEPS[1:]}},
)
#: referral_funnel(): the funnel's roles; its rates are of people referred
REFERRAL_FUNNEL = replace(FUNNEL, name="referral_funnel",
                          headings={"rate_from_entry": "Rate from referral"})
ACTIVITY = View("activity", {"measure": KEY, "month": GROUP, "participants": COUNT}, dates=("month",))
TARGETS = View(
    "targets",
    {"region": GROUP, "period_start": KEY, "measure": KEY,
     "target": COUNT, "actual": COUNT, "cumulative_target": COUNT, "cumulative_actual": COUNT,
     # the percent of target and its rating from the published actual and target to date
     "percent_achieved": Ratio("cumulative_actual", "cumulative_target"),
     "rag": Rating("cumulative_actual", "cumulative_target")},
    total_label="All regions", percents=("percent_achieved",), dates=("period_start",),
)
TARGET_SUMMARY = View(
    "target_summary",
    {"region": GROUP, "measure": KEY,
     "actual_to_date": COUNT, "target_to_date": COUNT, "contract_target": COUNT,
     "percent_achieved": Ratio("actual_to_date", "target_to_date"),
     "rag": Rating("actual_to_date", "target_to_date"),
     "contract_elapsed": Calendar(),
     # the run-rate projection from the published actual, and its percent of the contract target
     "projected_at_end": RunRate("actual_to_date", "contract_elapsed"),
     "projected_percent": Ratio("projected_at_end", "contract_target")},
    total_label="All regions", percents=("percent_achieved", "projected_percent", "contract_elapsed"),
)
#: review.rag_table(): the director's RAG table, protected as the target summary is
RAG_TABLE = replace(TARGET_SUMMARY, name="rag_table")
#: review.month_comparison(): counts; review.comparison_changes() adds changes of the shown figures
MONTH_COMPARISON = View(
    "month_comparison",
    {"measure": KEY, "month": KEY, "quarter_start": KEY,
     **{c: COUNT for c in ("participants", "previous_month", "year_earlier", "quarter_to_date",
                           "quarter_target")},
     "change_on_month": Ratio("participants", "previous_month", minus_one=True),
     "change_on_year": Ratio("participants", "year_earlier", minus_one=True),
     "quarter_percent": Ratio("quarter_to_date", "quarter_target")},
    dates=("month", "quarter_start"),
    percents=("change_on_month", "change_on_year", "quarter_percent"),
    headings={"participants": "In the month"},
)
_COMPARISON: dict[str, Rule] = {
    "entered": COUNT, "participants": COUNT,
    "rate": Share("participants", "entered"),
    "ci_low": Interval("participants", "entered", "low"),
    "ci_high": Interval("participants", "entered", "high"),
    "overall_rate": Pooled("participants", "entered"),
    **_limits("overall_rate", "entered"),
    "gap": Gap("rate", "overall_rate"),
    "position": Position("rate", "lower_95", "upper_95"),
    "outside_998": Position("rate", "lower_998", "upper_998", flag=True),
}
#: Observed against expected for the case mix: the expected count is a model of each person's
#: records (a logistic regression), not a published count, so it and its ratio are withheld
_ADJUSTMENT: dict[str, Rule] = {
    "observed": COUNT, **{c: WITHHELD for c in ("expected", "ratio", "ratio_low", "ratio_high")},
}
_COMPARE_PERCENTS = ("rate", "overall_rate", "lower_95", "upper_95", "lower_998", "upper_998",
                     "ci_low", "ci_high")
#: compare_groups(); with --adjust-for (compare_adjusted()) also observed and expected
COMPARE = View("compare", {**_COMPARISON, **_ADJUSTMENT}, percents=_COMPARE_PERCENTS, points=("gap",),
               numbers=("expected",))
#: compare_within_regions(): each partner against all the partners shown and against its own
#: region (everyone in it), and for part of the programme against the programme's rate
PARTNER_REGIONS = View(
    "partner_regions",
    {**_COMPARISON, "region": DESCRIPTION,
     "region_entered": Count(per=("region",)), "region_participants": Count(per=("region",)),
     "region_rate": Share("region_participants", "region_entered"),
     "region_position": Position("rate", "region_lower_95", "region_upper_95"),
     "region_lower_95": Limit("region_rate", "entered", 0.025),
     "region_upper_95": Limit("region_rate", "entered", 0.975),
     "programme_entered": Count(per=()), "programme_participants": Count(per=()),
     "programme_rate": Share("programme_participants", "programme_entered"),
     "programme_lower_95": Limit("programme_rate", "entered", 0.025),
     "programme_upper_95": Limit("programme_rate", "entered", 0.975),
     "programme_position": Position("rate", "programme_lower_95", "programme_upper_95")},
    percents=(*_COMPARE_PERCENTS, "region_rate", "programme_rate", "region_lower_95",
              "region_upper_95", "programme_lower_95", "programme_upper_95"),
    points=("gap",),
    headings={"overall_rate": "Rate of all partners shown", "region": "Its region",
              "region_entered": "Its region's entered", "region_participants": "Its region's reached",
              "region_rate": "Its region's rate", "position": "Against all partners' 95% limits",
              "region_position": "Against its region's 95% limits",
              "region_lower_95": "Its region's lower 95% limit",
              "region_upper_95": "Its region's upper 95% limit",
              "programme_entered": "Programme (all regions) entered",
              "programme_participants": "Programme (all regions) reached",
              "programme_rate": "Programme (all regions) rate",
              "programme_lower_95": "Programme's lower 95% limit",
              "programme_upper_95": "Programme's upper 95% limit",
              "programme_position": "Against the programme's 95% limits"},
    words={"region_position": POSITION_LABELS, "programme_position": POSITION_LABELS},
)
#: programme_benchmark(): a scope's rates beside the programme's (an aggregate: no other region's rows)
BENCHMARK = View(
    "benchmark",
    {"step": KEY, "entered": COUNT, "participants": COUNT,
     "rate": Share("participants", "entered"),
     "ci_low": Interval("participants", "entered", "low"),
     "ci_high": Interval("participants", "entered", "high"),
     "programme_entered": Count(per=()), "programme_participants": Count(per=("step",)),
     "programme_rate": Share("programme_participants", "programme_entered"),
     "gap": Gap("rate", "programme_rate"),
     "programme_lower_95": Limit("programme_rate", "entered", 0.025),
     "programme_upper_95": Limit("programme_rate", "entered", 0.975),
     "position": Position("rate", "programme_lower_95", "programme_upper_95")},
    percents=("rate", "ci_low", "ci_high", "programme_rate", "programme_lower_95", "programme_upper_95"),
    points=("gap",),
    headings={"programme_entered": "Programme (all regions) entered",
              "programme_participants": "Programme (all regions) reached",
              "programme_rate": "Programme (all regions) rate", "gap": "Gap to the programme",
              "programme_lower_95": "Programme's lower 95% limit",
              "programme_upper_95": "Programme's upper 95% limit",
              "position": "Against the programme's 95% limits"},
)
#: Model-based figures are for the programme team only: each is worked out from every person's
#: records (a case-mix model, a forecast), so no rule derives it from published counts, and a
#: change of one person no published count shows could move it.
#: standardised_ratios(): observed against expected for the case mix, with the ratio's limits
STANDARDISED = View(
    "standardised", {"*": WITHHELD},
    percents=("raw_rate", "adjusted_rate", "overall_rate"), numbers=("entered", "observed", "expected"),
    internal_only=True,
)
#: forecast_to_end(): the projected counts to the contract's end, with their intervals
FORECAST = View(
    "forecast", {"*": WITHHELD},
    total_label="All regions", dates=("month",),
    numbers=("actual_to_date", "forecast", "low_80", "high_80", "low_95", "high_95"),
    internal_only=True,
)
#: probability_of_reaching(): the chance of reaching each contract target by the end
TARGET_PROBABILITY = View(
    "target_probability", {"*": WITHHELD},
    total_label="All regions", percents=("probability",),
    numbers=("contract_target", "forecast", "low_95", "high_95"),
    internal_only=True,
)
EQUALITY = View(
    "equality",
    {**_COMPARISON, "characteristic": KEY, "group": GROUP,
     "overall_rate": Pooled("participants", "entered", within=("characteristic",))},
    percents=_COMPARE_PERCENTS, points=("gap",),
)
COHORT_CURVES = View("cohort_curves",
                     {"cohort": GROUP, "months_since_entry": KEY, "cohort_size": COUNT,
                      "participants": COUNT, "cumulative_rate": Share("participants", "cohort_size")},
                     percents=("cumulative_rate",), numbers=("months_since_entry",),
                     # nothing publishes the sum over cohorts at a month since entry, so a
                     # small cohort's count needs no partner cell in a large cohort
                     totals_published=False)
#: cohort_heatmap_table(): the curves as cohort x month since entry (``month_0``, ``month_1``...);
#: laid out from the protected curves (``protected_heatmap``)
COHORT_HEATMAP = View("cohort_heatmap",
                      {"cohort": GROUP, "cohort_size": Republished("cohort_curves", "cohort_size"),
                       "month_*": Republished("cohort_curves", "cumulative_rate")},
                      numbers=("cohort_size",), percents=("month_*",), composite=True)
#: the report's cohort table: the curves at a few months since entry (``work_by_12_months``)
COHORT_SUMMARY = View("cohort_summary",
                      {"cohort": GROUP, "cohort_size": Republished("cohort_curves", "cohort_size"),
                       "*_by_*_months": Republished("cohort_curves", "cumulative_rate")},
                      numbers=("cohort_size",), percents=("*_by_*_months",), composite=True)
#: cumulative_incidence(): a Kaplan-Meier curve, worked out from each person's days to the
#: outcome; the cohort curves publish the same progress from counts
INCIDENCE = View(
    "incidence",
    {"days_since_entry": KEY, "at_risk": COUNT, "events": COUNT,
     **{c: WITHHELD for c in ("cumulative_incidence", "ci_low", "ci_high")}},
    percents=("cumulative_incidence", "ci_low", "ci_high"), days=("days_since_entry",),
    internal_only=True,
)
#: Horizons of the time to outcome's counts: 3, 6 and 12 months.
_HORIZONS = (3, 6, 12)
TIME_TO_OUTCOME = View(
    "time_to_outcome",
    {"outcome": KEY, "entered": COUNT, "reached": COUNT,
     # Kaplan-Meier quartiles and shares: from each person's days, not published counts
     **{c: WITHHELD for c in ("median_days", "q1_days", "q3_days",
                              *(f"reached_{m}_months" for m in _HORIZONS))},
     # people followed that long, those of them who reached it by then, and its share
     **{f"followed_{m}_months": COUNT for m in _HORIZONS},
     **{f"within_{m}_months": COUNT for m in _HORIZONS},
     **{f"share_within_{m}_months": Share(f"within_{m}_months", f"followed_{m}_months")
        for m in _HORIZONS}},
    days=("median_days", "q1_days", "q3_days"),
    percents=(*(f"reached_{m}_months" for m in _HORIZONS),
              *(f"share_within_{m}_months" for m in _HORIZONS)),
    headings={**{f"reached_{m}_months": f"% reached by {m} months" for m in _HORIZONS},
              **{f"followed_{m}_months": f"Entered {m} months or more before" for m in _HORIZONS},
              **{f"within_{m}_months": f"Of them, reached it within {m} months" for m in _HORIZONS},
              **{f"share_within_{m}_months": f"% within {m} months" for m in _HORIZONS}},
)
TRAINING_PROVIDERS = View(
    "training_providers",
    {"partner": GROUP,
     **{c: COUNT for c in ("training_starts", "training_completed", "work_after_training")},
     "completion_rate": Share("training_completed", "training_starts"),
     "work_rate": Share("work_after_training", "training_starts"),
     # a Kaplan-Meier median: from each person's days, not published counts
     "median_days_to_work": WITHHELD},
    percents=("completion_rate", "work_rate"), days=("median_days_to_work",),
)
EMPLOYERS = View("employers",
                 {"partner": GROUP, "job_starts": COUNT, "job_sustained": COUNT,
                  "sustained_rate": Share("job_sustained", "job_starts")},
                 percents=("sustained_rate",))
#: The data-quality checks' labels for people, by machine name and by the import's older name.
CHECK_LABELS: Mapping[str, str] = {
    **{rule.import_name: rule.label for rule in RULES if rule.import_name},
    **{rule.name: rule.label for rule in RULES},
}
#: data_quality(): one row per check, named in words ("Milestone before entry")
DATA_QUALITY = View("data_quality",
                    {"check": KEY, "description": KEY, "count": COUNT, "example_ids": WITHHELD},
                    words={"check": CHECK_LABELS})
IMPORT_HISTORY = View(
    "import_history",
    {"id": KEY, "extract_date": KEY, "imported_at": KEY, "replace_all": KEY, "origin": KEY,
     **{f"{kind}_{what}": KEY for kind in ("participants", "milestones", "targets")
        for what in ("file", "sha256")},
     **{c: COUNT for c in ("participants_rows", "milestones_rows", "targets_rows", "warnings_count")}},
    dates=("extract_date",),
)
#: the problems and warnings of an import, line by line (they name participants)
IMPORT_CHECKS = View("import_checks", {"*": WITHHELD}, numbers=("line",), words={"check": CHECK_LABELS},
                     internal_only=True)
#: The pathways in words ("community" -> "Community").
PATHWAY_LABELS: Mapping[str, str] = {pathway: _step_label(pathway) for pathway in config.PATHWAYS}
#: follow_up_list(): people to follow up, by pseudonymous id
FOLLOW_UP = View("follow_up", {"*": WITHHELD}, days=("days_since_entry", "days_since_last"),
                 dates=("entry_date", "last_milestone_date"),
                 words={"last_milestone": MILESTONE_LABELS, "pathway": PATHWAY_LABELS},
                 internal_only=True)

#: Every view the dashboard, the reports and the CLI show, by name.
VIEWS: Mapping[str, View] = {
    view.name: view
    for view in (
        FUNNEL, REFERRAL_FUNNEL, HEADLINE, PARTNER_STEPS, ACTIVITY, TARGETS, TARGET_SUMMARY, RAG_TABLE, MONTH_COMPARISON,
        COMPARE, PARTNER_REGIONS, BENCHMARK, STANDARDISED,
        FORECAST, TARGET_PROBABILITY, EQUALITY, COHORT_CURVES, COHORT_HEATMAP, COHORT_SUMMARY,
        INCIDENCE, TIME_TO_OUTCOME, TRAINING_PROVIDERS, EMPLOYERS, DATA_QUALITY, IMPORT_HISTORY,
        IMPORT_CHECKS, FOLLOW_UP,
    )
}


def view_named(view: View | str) -> View:
    """The :class:`View` itself, or the registered view of that name.

    Raises
    ------
    KeyError
        No view has that name (a programming error).
    """
    return view if isinstance(view, View) else VIEWS[view]


# --------------------------------------------------------------------------- publication sets

#: The moment of a table published "as at" the publication's date.
NOW = "now"
#: In a publication's ``measures``: the step the page or pack compares (chosen on the page).
CHOSEN_STEP = "<chosen step>"


@dataclass(frozen=True)
class Published:
    """One table of a publication set, as declared: its view and what ties it to the others.

    Two cells of a set with the same moment, measure (funnel step) and groups are the
    same people, so they are protected together
    (:func:`ete_metrics.protect.publication.publish`).

    Attributes
    ----------
    view : View
    moment : str, default :data:`NOW`
        Tables of the same moment count the same people at the same date (``"a month
        earlier"``; ``"from referral"`` for a funnel that counts from referral).
    measures : mapping of str to str
        The funnel step each count column counts where the view does not say it in a
        ``step`` column; :data:`CHOSEN_STEP` is the step chosen on the page.
    within : tuple of str
        Filters the table is drawn under (``("region",)`` for the areas of the region
        drilled into): its cells are parts of that filter's cells, e.g. the areas of a
        region sum to the region.
    """

    view: View
    moment: str = NOW
    measures: Mapping[str, str] = field(default_factory=dict)
    within: tuple[str, ...] = ()


_COMPARED = {"entered": ENTERED.name, "participants": CHOSEN_STEP, "observed": CHOSEN_STEP}
_AT_WORK = {"entered": ENTERED.name, "participants": WORK.name, "observed": WORK.name}
#: The programme's figures beside a part of it (a lead's regions): not cells of the part.
_PROGRAMME = {"programme_entered": "programme entered", "programme_participants": "programme reached"}

#: Every publication set: what each page and the report pack show of the same people at
#: once, by table. A cell suppressed in one table is suppressed wherever the set shows the
#: same people, and the set is audited as a whole (secondary cells chosen for it).
PUBLICATIONS: Mapping[str, Mapping[str, Published]] = {
    # the tiles and the funnel now, and the tiles' changes from a month earlier
    "overview": {"now": Published(FUNNEL), "month_earlier": Published(FUNNEL, moment="a month earlier")},
    # the funnel (and its drop-off, the same table) and the funnel from referral
    "funnels": {"funnel": Published(FUNNEL), "referrals": Published(REFERRAL_FUNNEL, moment="from referral")},
    # regions side by side, compared, and the areas of one region (the case-mix adjusted
    # comparison is for the programme team only: views.STANDARDISED)
    "regions": {
        "by_region": Published(FUNNEL),
        "comparison": Published(COMPARE, measures=_COMPARED),
        "areas": Published(FUNNEL, within=("region",)),
        "benchmark": Published(BENCHMARK, measures=_PROGRAMME),
    },
    # the cohort curves (the heatmap is drawn from them), the time to each outcome (its
    # Kaplan-Meier curve is for the programme team only: views.INCIDENCE)
    "cohorts": {
        "curves": Published(COHORT_CURVES, measures={"participants": CHOSEN_STEP}),
        "time_to_outcome": Published(TIME_TO_OUTCOME),
    },
    # delivery partners compared, their funnels; the prisons (custody pathway)
    "partners": {
        "comparison": Published(COMPARE, measures=_COMPARED),
        "funnel": Published(FUNNEL),
        "prisons": Published(FUNNEL, within=("pathway",)),
        "against_region": Published(PARTNER_REGIONS, measures={
            **_COMPARED, "region_entered": ENTERED.name, "region_participants": CHOSEN_STEP,
            **_PROGRAMME}),
    },
    "equality": {"equality": Published(EQUALITY, measures=_COMPARED)},
    # the report pack (deck, PDF and workbook): targets and cohorts count other things
    "pack": {
        "now": Published(FUNNEL),
        "month_earlier": Published(FUNNEL, moment="a month earlier"),
        "comparison": Published(COMPARE, measures=_AT_WORK),
        "partners": Published(FUNNEL),
        "equality": Published(EQUALITY, measures=_AT_WORK),
        # part of the programme (a lead's region) beside the programme's aggregate
        "benchmark": Published(BENCHMARK, measures=_PROGRAMME),
    },
}
