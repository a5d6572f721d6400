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

from ete_metrics.data.checks import RULES
from ete_metrics.present.formatting import humanise
from ete_metrics.steps import GROUP_LABELS, MILESTONE_LABELS, POSITION_LABELS

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


@dataclass(frozen=True)
class View:
    """One published view: how it is protected and how it is shown.

    Attributes
    ----------
    name : str
        Short name (``"funnel"``), unique in :data:`VIEWS`.
    counts : tuple of str
        Counts of people (protected: suppressed 1-4, secondary suppression, rounded).
    groups : tuple of str
        Additive group columns (mutually exclusive categories whose totals are published).
        Any breakdown columns present in the frame are added.
    keys : tuple of str
        Non-additive identifiers (funnel step, date, characteristic).
    rates : mapping of str to (numerator, group size)
        Each rate-like column (rate, interval bound, median, gap) with the count column
        that is its numerator (``None``: any suppression in the row) and the column holding
        its group size, or :data:`FIRST_STEP` / :data:`PREVIOUS_STEP` for long-form funnels.
    derived : mapping of str to str
        Non-rate columns blanked wherever the named rate is blanked (e.g. the funnel-plot
        position of a group).
    total_label : str or None
        Label of total rows in the group columns (e.g. ``"All regions"``).
    whole : tuple of str
        Count-like projections (floats) rounded to whole numbers, then protected as counts.
    percents, dates, points, days : tuple of str
        Columns shown as percentages (fractions), UK dates, changes in percentage
        points and numbers of days; ``counts`` and ``whole`` are shown as counts.
        A name may be a pattern (``"month_*"``) for a family of columns.
    numbers : tuple of str
        Other whole numbers shown like counts but not protected as counts: keys
        (months since entry, a line number) and differences of protected counts.
    headings : mapping of str to str
        This view's own headings, where :data:`HEADINGS` says too little.
    words : mapping of str to mapping of str to str
        Columns whose values are codes, with their words for people (the data-quality
        checks' labels); a code missing there reads as the vocabulary says
        (:func:`ete_metrics.steps.label`).
    internal_only : bool
        Never shown to stakeholders (participant-level lists, import checks):
        :func:`ete_metrics.protect.audience.protect_view` refuses it and the dashboard
        does not show it in the stakeholder view.
    totals_published : bool, default True
        Whether the sums of the view's additive groups are published (in the view
        or elsewhere), so secondary suppression must protect them. False where no
        such total exists (cohorts at a month since entry are never summed).
    """

    name: str
    counts: tuple[str, ...]
    groups: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()
    rates: Mapping[str, tuple[str | None, str]] = field(default_factory=dict)
    derived: Mapping[str, str] = field(default_factory=dict)
    total_label: str | None = None
    whole: tuple[str, ...] = ()
    percents: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()
    points: tuple[str, ...] = ()
    days: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()
    headings: Mapping[str, str] = field(default_factory=dict)
    words: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    internal_only: bool = False
    totals_published: bool = True

    def heading(self, column: str) -> str:
        """The heading people read for ``column`` in this view (see :func:`heading`)."""
        return heading(column, self.headings)

    @property
    def shown_counts(self) -> tuple[str, ...]:
        """Columns shown as counts: counts of people, whole projections, days and other numbers."""
        return (*self.counts, *self.whole, *self.days, *self.numbers)

    def formats(self, columns: Iterable[str]) -> dict[str, str]:
        """How each of ``columns`` is shown: ``"count"``, ``"percent"``, ``"date"`` or ``"points"``.

        Columns with no role are left out; a role's patterns (``"month_*"``) match
        whole column names.

        Examples
        --------
        >>> View("v", counts=("n",), percents=("month_*",)).formats(["n", "month_3", "name"])
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
        (:func:`ete_metrics.present.formatting.humanise`: ``"import_id"`` -> ``"Import ID"``).

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


_FUNNEL_RATES: dict[str, tuple[str | None, str]] = {
    "rate_from_entry": ("participants", FIRST_STEP),
    "ci_low": ("participants", FIRST_STEP),
    "ci_high": ("participants", FIRST_STEP),
    "rate_from_previous": ("participants", PREVIOUS_STEP),
}
_COMPARE_RATES: dict[str, tuple[str | None, str]] = {
    c: ("participants", "entered")
    for c in ("rate", "lower_95", "upper_95", "lower_998", "upper_998", "ci_low", "ci_high", "gap")
}
_RATIO_RATES: dict[str, tuple[str | None, str]] = {
    c: ("observed", "entered") for c in ("ratio", "ratio_low", "ratio_high")
}
_COMPARE_PERCENTS = ("rate", "overall_rate", "lower_95", "upper_95", "lower_998", "upper_998",
                     "ci_low", "ci_high")

#: funnel(), referral_funnel(), delivery_partners(), prisons(): long form, one row per step.
FUNNEL = View("funnel", counts=("participants",), groups=("delivery_partner", "prison"),
              keys=("step",), rates=_FUNNEL_RATES,
              percents=("rate_from_entry", "rate_from_previous", "ci_low", "ci_high"))
#: headline() of two protected funnels: now, a month earlier and the change between them
HEADLINE = View("headline", counts=("participants", "participants_month_earlier"), keys=("step",),
                numbers=("change",),
                percents=("rate_from_entry", "rate_month_earlier", "rate_from_previous", "ci_low",
                          "ci_high"))
#: the report's delivery partners: one row per partner, a column per step, from protected funnels
PARTNER_STEPS = View("partner_steps", counts=("entered", "training", "work"),
                     groups=("delivery_partner",), percents=("training_rate", "work_rate"))
#: referral_funnel(): the funnel's roles; its rates are of people referred
REFERRAL_FUNNEL = replace(FUNNEL, name="referral_funnel",
                          headings={"rate_from_entry": "Rate from referral"})
ACTIVITY = View("activity", counts=("participants",), groups=("month",), keys=("measure",),
                dates=("month",))
TARGETS = View(
    "targets",
    counts=("target", "actual", "cumulative_target", "cumulative_actual"),
    groups=("region",), keys=("period_start", "measure"), total_label="All regions",
    rates={"percent_achieved": ("cumulative_actual", "cumulative_actual")},
    # the RAG rating tells how the actual compares with its target: hidden with the rate
    derived={"rag": "percent_achieved"},
    percents=("percent_achieved",), dates=("period_start",),
)
TARGET_SUMMARY = View(
    "target_summary",
    counts=("actual_to_date", "target_to_date", "contract_target"),
    groups=("region",), keys=("measure",), total_label="All regions",
    whole=("projected_at_end",),
    rates={"percent_achieved": ("actual_to_date", "actual_to_date"),
           "projected_percent": ("actual_to_date", "actual_to_date")},
    derived={"rag": "percent_achieved"},
    percents=("percent_achieved", "projected_percent"),
)
#: review.rag_table(): the director's RAG table, protected as the target summary is
RAG_TABLE = replace(TARGET_SUMMARY, name="rag_table")
#: review.month_comparison(): counts only; review.comparison_changes() adds changes of the shown figures
MONTH_COMPARISON = View(
    "month_comparison",
    counts=("participants", "previous_month", "year_earlier", "quarter_to_date", "quarter_target"),
    keys=("measure", "month", "quarter_start"), dates=("month", "quarter_start"),
    # rates of the shown figures (added after protection), withheld with their figures
    rates={"change_on_month": ("participants", "previous_month"),
           "change_on_year": ("participants", "year_earlier"),
           "quarter_percent": ("quarter_to_date", "quarter_target")},
    percents=("change_on_month", "change_on_year", "quarter_percent"),
    headings={"participants": "In the month"},
)
#: compare_groups(); with --adjust-for (compare_adjusted()) also observed and expected
COMPARE = View("compare", counts=("entered", "participants", "observed"), whole=("expected",),
               rates={**_COMPARE_RATES, **_RATIO_RATES},
               derived={"position": "rate", "outside_998": "rate"},
               percents=_COMPARE_PERCENTS, points=("gap",))
#: compare_within_regions(): each partner against the programme and against its own region
PARTNER_REGIONS = replace(
    COMPARE, name="partner_regions", keys=("region",),
    derived={**COMPARE.derived, "region_position": "rate", "programme_position": "rate"},
    percents=(*_COMPARE_PERCENTS, "region_rate", "programme_rate"),
    headings={"overall_rate": "Rate of all partners shown", "region": "Its region",
              "region_rate": "Its region's rate", "position": "Against all partners' 95% limits",
              "region_position": "Against its region's 95% limits",
              "programme_rate": "Programme (all regions) rate",
              "programme_position": "Against the programme's 95% limits"},
    words={"region_position": POSITION_LABELS, "programme_position": POSITION_LABELS},
)
#: programme_benchmark(): a scope's rates beside the programme's (an aggregate: no other region's rows)
BENCHMARK = View(
    "benchmark", counts=("entered", "participants"), keys=("step",),
    rates={c: ("participants", "entered") for c in ("rate", "ci_low", "ci_high", "gap")},
    derived={"position": "rate"},
    percents=("rate", "ci_low", "ci_high", "programme_rate"), points=("gap",),
    headings={"programme_rate": "Programme (all regions) rate", "gap": "Gap to the programme",
              "position": "Against the programme's 95% limits"},
)
#: standardised_ratios(): the ratio is blank wherever its observed count is suppressed
STANDARDISED = View(
    "standardised", counts=("entered", "observed"), whole=("expected",),
    rates={**_RATIO_RATES, **{c: ("observed", "entered") for c in (
        "raw_rate", "adjusted_rate", "lower_95", "upper_95", "lower_998", "upper_998")}},
    derived={"position": "ratio", "outside_998": "ratio"},
    percents=("raw_rate", "adjusted_rate", "overall_rate"),
)
#: forecast_to_end(): the projected counts are rounded and protected like counts
FORECAST = View("forecast", counts=("actual_to_date",), groups=("region",), keys=("measure", "month"),
                whole=("forecast", "low_80", "high_80", "low_95", "high_95"),
                total_label="All regions", dates=("month",))
#: probability_of_reaching(): targets are contractual; the forecast figures are rounded
TARGET_PROBABILITY = View(
    "target_probability", counts=("contract_target",), groups=("region",), keys=("measure",),
    whole=("forecast", "low_95", "high_95"), total_label="All regions",
    rates={"probability": ("contract_target", "contract_target")}, percents=("probability",),
)
EQUALITY = View("equality", counts=("entered", "participants"), groups=("group",),
                keys=("characteristic",), rates=_COMPARE_RATES,
                percents=_COMPARE_PERCENTS, points=("gap",))
COHORT_CURVES = View("cohort_curves", counts=("cohort_size", "participants"), groups=("cohort",),
                     keys=("months_since_entry",),
                     rates={"cumulative_rate": ("participants", "cohort_size")},
                     percents=("cumulative_rate",), numbers=("months_since_entry",),
                     # nothing publishes the sum over cohorts at a month since entry, so a
                     # small cohort's count needs no partner cell in a large cohort
                     totals_published=False)
#: cohort_heatmap_table(): the curves as cohort x month since entry (``month_0``, ``month_1``...);
#: protected from the protected curves (``protected_heatmap``), not by this view's rules
COHORT_HEATMAP = View("cohort_heatmap", counts=("cohort_size",), groups=("cohort",),
                      percents=("month_*",))
#: the report's cohort table: the curves at a few months since entry (``work_by_12_months``)
COHORT_SUMMARY = View("cohort_summary", counts=("cohort_size",), groups=("cohort",),
                      percents=("*_by_*_months",))
INCIDENCE = View(
    "incidence", counts=("at_risk", "events"), keys=("days_since_entry",),
    rates={c: ("at_risk", "at_risk") for c in ("cumulative_incidence", "ci_low", "ci_high")},
    percents=("cumulative_incidence", "ci_low", "ci_high"), days=("days_since_entry",),
)
_REACHED_BY = ("reached_3_months", "reached_6_months", "reached_12_months")
TIME_TO_OUTCOME = View(
    "time_to_outcome", counts=("entered", "reached"), keys=("outcome",),
    rates={c: ("reached", "entered") for c in ("median_days", "q1_days", "q3_days", *_REACHED_BY)},
    days=("median_days", "q1_days", "q3_days"), percents=_REACHED_BY,
    headings={"reached_3_months": "% reached by 3 months", "reached_6_months": "% reached by 6 months",
              "reached_12_months": "% reached by 12 months"},
)
TRAINING_PROVIDERS = View(
    "training_providers",
    counts=("training_starts", "training_completed", "work_after_training"),
    groups=("partner",),
    rates={"completion_rate": ("training_completed", "training_starts"),
           "work_rate": ("work_after_training", "training_starts"),
           "median_days_to_work": ("work_after_training", "training_starts")},
    percents=("completion_rate", "work_rate"), days=("median_days_to_work",),
)
EMPLOYERS = View("employers", counts=("job_starts", "job_sustained"), groups=("partner",),
                 rates={"sustained_rate": ("job_sustained", "job_starts")},
                 percents=("sustained_rate",))
#: The data-quality checks' labels for people, by machine name and by the import's older name.
CHECK_LABELS: Mapping[str, str] = {
    **{rule.import_name: rule.label for rule in RULES if rule.import_name},
    **{rule.name: rule.label for rule in RULES},
}
#: data_quality(): one row per check, named in words ("Milestone before entry")
DATA_QUALITY = View("data_quality", counts=("count",), keys=("check",), words={"check": CHECK_LABELS})
IMPORT_HISTORY = View(
    "import_history",
    counts=("participants_rows", "milestones_rows", "targets_rows", "warnings_count"),
    keys=("id",), dates=("extract_date",),
)
#: the problems and warnings of an import, line by line (they name participants)
IMPORT_CHECKS = View("import_checks", counts=(), numbers=("line",), words={"check": CHECK_LABELS},
                     internal_only=True)
#: follow_up_list(): people to follow up, by pseudonymous id
FOLLOW_UP = View("follow_up", counts=(), days=("days_since_entry", "days_since_last"),
                 dates=("entry_date", "last_milestone_date"),
                 words={"last_milestone": MILESTONE_LABELS},
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


_COMPARED = {"entered": "entered", "participants": CHOSEN_STEP, "observed": CHOSEN_STEP}
_AT_WORK = {"entered": "entered", "participants": "work", "observed": "work"}

#: Every publication set: what each page and the report pack show of the same people at
#: once, by table. A cell suppressed in one table is suppressed wherever the set shows the
#: same people, and the set is audited as a whole (secondary cells chosen for it).
PUBLICATIONS: Mapping[str, Mapping[str, Published]] = {
    # the tiles and the funnel now, and the tiles' changes from a month earlier
    "overview": {"now": Published(FUNNEL), "month_earlier": Published(FUNNEL, moment="a month earlier")},
    # the funnel (and its drop-off, the same table) and the funnel from referral
    "funnels": {"funnel": Published(FUNNEL), "referrals": Published(REFERRAL_FUNNEL, moment="from referral")},
    # regions side by side, compared, adjusted for case mix, and the areas of one region
    "regions": {
        "by_region": Published(FUNNEL),
        "comparison": Published(COMPARE, measures=_COMPARED),
        "adjusted": Published(STANDARDISED, measures=_COMPARED),
        "areas": Published(FUNNEL, within=("region",)),
    },
    # the cohort curves (the heatmap is drawn from them), the time to each outcome
    "cohorts": {
        "curves": Published(COHORT_CURVES, measures={"participants": CHOSEN_STEP}),
        "time_to_outcome": Published(TIME_TO_OUTCOME),
        "incidence": Published(INCIDENCE),
    },
    # delivery partners compared, adjusted, their funnels; the prisons (custody pathway)
    "partners": {
        "comparison": Published(COMPARE, measures=_COMPARED),
        "adjusted": Published(STANDARDISED, measures=_COMPARED),
        "funnel": Published(FUNNEL),
        "prisons": Published(FUNNEL, within=("pathway",)),
    },
    "equality": {"equality": Published(EQUALITY, measures=_COMPARED)},
    # the report pack (deck, PDF and workbook): targets and cohorts count other things
    "pack": {
        "now": Published(FUNNEL),
        "month_earlier": Published(FUNNEL, moment="a month earlier"),
        "comparison": Published(COMPARE, measures=_AT_WORK),
        "adjusted": Published(STANDARDISED, measures=_AT_WORK),
        "partners": Published(FUNNEL),
        "equality": Published(EQUALITY, measures=_AT_WORK),
    },
}
