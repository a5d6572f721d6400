"""About these statistics: definitions, methods, caveats and status of the figures."""

from __future__ import annotations

import streamlit as st

from dashboard.data import load_data
from dashboard.filters import current_filters
from ete_metrics import config
from ete_metrics.present.formatting import count, uk_date
from ete_metrics.protect.disclosure import STAKEHOLDER_NOTE, round_to_base
from ete_metrics.protect.policy import POLICY
from ete_metrics.steps import definitions

data = load_data()
filters = current_filters()

st.header("About these statistics")
st.info(
    "**Status: management information, not official statistics.** These figures are "
    "produced from the provider's case management extract to manage the contract. They "
    "have not been through the quality assurance of official statistics and may be revised "
    "when caseworkers update records.",
    icon=":material/verified:",
)

cutoff = uk_date(data.cutoff) if data.cutoff else "not known"


def _size(n: int) -> str:
    """A table size as the audience may see it (rounded to 5 for stakeholders)."""
    return count(round_to_base(n) if filters.stakeholder else n)


st.markdown(
    f"""
**The data** runs to **{cutoff}** (the extract's cut-off).
It holds {_size(len(data.participants))} referrals and {_size(len(data.milestones))} milestones.
The figures on screen are *as at* **{uk_date(filters.as_of)}**, chosen in the sidebar.
The contract runs from {uk_date(config.CONTRACT_START)} for three years, in
{", ".join(config.regions())}.
People are identified only by pseudonymous ids.
"""
)

st.subheader("Measures")
# The same definitions as every report's (ete_metrics.steps.definitions).
st.markdown(
    "| Measure | Definition |\n|---|---|\n"
    + "\n".join(f"| **{term}** | {text} |" for term, text in definitions())
)
st.markdown(
    "Against targets, training and work count people in the period of their **first** training "
    "or job start; entries count in the period of entry; referrals in the period of referral."
)

st.subheader("Methods")
st.markdown(
    """
**Date range.** The sidebar's *entered from / to* dates restrict the population to people who
entered in that range (inclusive). Regions, pathways and delivery partners restrict it to those
groups.

**Conversion windows.** A window of *N* days compares like with like: only participants who
entered at least *N* days before the *as at* date are counted (so everyone has had *N* days to
progress), and a milestone counts only when it falls within *N* days of entry. Both ends are
inclusive. Without a window, recent entrants are included and have had less time, so rates
are lower for recent periods.

**Any order or in order.** By default a participant counts as *into work* whatever the order
of their milestones. *In order* counts work only for people who started training first (a job
start on or after their first training start; the same day counts).

**Referral funnel.** The referral funnel starts from referrals (referral date on or before
the *as at* date); its rates are relative to referrals.

**Cohorts.** People are grouped by when they entered: month (2023-01), calendar quarter
(2023-Q1) or financial year April–March (2022-23). A cohort's curve at month *m* since entry
is shown only when every member has had *m* months of follow-up, so curves never fall
because of incomplete follow-up.

**Time to outcome and cumulative incidence** use the Kaplan–Meier estimator, treating people
who have not yet reached the outcome as censored at the *as at* date; confidence intervals use
Greenwood's variance with the log(−log) transformation.

**Confidence intervals** for rates are 95% Wilson score intervals.

**Funnel plots (control limits).** The Regions page compares each group's rate with the
overall rate using a funnel plot (Spiegelhalter, 2005, *Funnel plots for comparing
institutional performance*, Statistics in Medicine 24:1185–1202). The limits show where
95% and 99.8% of groups of that size would fall by chance alone if every group had the
overall rate. The limits are exact binomial limits with Spiegelhalter's interpolation
(appendix A.1.1 of the paper): exact, because areas and partners can be a few dozen people,
where approximate limits are misplaced; interpolated, so they are smooth curves. (Other
public health funnel plots use approximations, such as Wilson score limits or an arcsine
transformation; for large groups the results are close.) A point outside the 99.8% limits
is unlikely to be chance; a point outside only the 95% limits may be worth a look.
Differences within the limits should not be read as real differences in performance.

**Adjusted comparison (observed / expected).** A region or partner that works with people
less likely to reach an outcome, such as more prison leavers or more people who entered
only recently, looks worse on its raw rate for that alone. The Regions and Partners pages
therefore also show a case-mix-adjusted comparison by *indirect standardisation*: each
person is given the programme-wide rate of people like them (the same pathway, age band,
gender and time since entry, whichever you choose; by default pathway and time since
entry), the group's **expected** count is the sum of those rates, and the **ratio** is
observed ÷ expected (1 = as expected for its mix of people; 1.2 = 20% more). Its 95%
interval is the exact Poisson interval (Breslow and Day 1987), and its funnel plot uses
exact Poisson limits around 1 with Spiegelhalter's interpolation, the approach the
public health indicator methods use for standardised ratios.

*What adjustment can do*: remove the part of a difference explained by the recorded
characteristics chosen. *What it cannot do*: remove differences in need that is not
recorded (health, housing, offending history, motivation), or differences in how
characteristics are recorded. A ratio near 1 means "as expected for these characteristics",
not "as good as it could be". Raw and adjusted figures are shown side by side so you can
see what the adjustment changed.

**Forecast to the contract's end.** The Overview's target chart shows a forecast of
cumulative training and job starts from the cohort curves (how the chance of a first start
grows with months since entry, per region) applied to the people already in, plus future
entrants at the recent entry rate (the mean of the last six months). The 80% and 95%
prediction intervals are analytic (each person's start is a chance event; the number of
future entrants varies as in the last six months; the entry rate is itself an estimate),
and the probability of reaching each target follows from them. A back-test on the demo data
cut at each month from June 2022 found the outcome inside the 80% interval 77% of the time
and inside the 95% interval 95% of the time. A forecast made with less than a year of data
runs low, and no forecast foresees changes the data cannot show (a new partner, a change in
referrals).

**Small numbers.** Rates for small groups move a lot from one month to the next; read them
with their confidence intervals.
"""
)

#: The publication policy, the same words as the reports' definitions.
_POLICY = "\n".join(f"- **{term}.** {text}" for term, text in POLICY)

st.subheader("The stakeholder view")
st.markdown(
    f"""
Choose **Audience: Stakeholder** in the sidebar (or add `?audience=stakeholder` to the link, or
`--audience stakeholder` on the command line) for anything shared outside the programme team.
{STAKEHOLDER_NOTE}

The policy (for counts, the ONS / Government Statistical Service *Disclosure control guidance
for tables produced from administrative sources*, 2014; for rates, this project's rule):

{_POLICY}
- charts are drawn from the protected figures; changes since last month are differences of
  rounded figures;
- there is no participant-level data: no follow-up list, no uploads or previews, no example
  ids in the data-quality checks.

**Downloads in the stakeholder view** carry the protected figures. The Excel workbook is laid out
as the Government Statistical Service asks (a cover, a contents sheet, a notes sheet, then the
table on its own sheet): its cover and notes carry the note above and say what `[c]` means. The
CSV file stays a plain table that software can
read (no note lines); its file name ends in `_rounded_suppressed`. The thresholds are settings
in `ete_metrics/config.py`.
"""
)

st.subheader("Caveats")
st.markdown(
    """
- **Recent cohorts are immature.** People who entered recently have had little time to start
  training or work, so their rates will rise. Use a conversion window or the cohort curves to
  compare groups fairly.
- **Milestones are self-reported by caseworkers** in the case management system, and can be
  recorded late or corrected. Figures for the latest weeks are the most likely to be revised.
- **Work outcomes** record job starts reported to the provider; jobs found without the
  programme's knowledge are missing.
- **Equality monitoring** fields can be *Not recorded*; gaps between groups describe the
  programme's participants, not the cause of any difference.
"""
)
