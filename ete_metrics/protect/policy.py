"""The publication policy for stakeholders, written once, and the rates it publishes.

Counts follow the ONS / GSS *Disclosure control guidance for tables produced from
administrative sources* (2014), as :mod:`ete_metrics.protect.disclosure` applies
it. Rates are this project's rule: a rate computed from the exact counts undoes
the rounding (with the rounded counts beside it, the exact pair is unique for most
groups of 10-300 people), so every rate, interval, limit and gap a stakeholder
sees is computed from the *published* (rounded) counts, at the precision shown on
screen. :data:`POLICY` is the text the About page and the reports' definitions
show; :func:`published_rates` applies the rate rule to a protected view.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ete_metrics import config
from ete_metrics.counting.intervals import wilson_interval
from ete_metrics.metrics.comparison import binomial_limit
from ete_metrics.protect.disclosure import SUPPRESSED, round_to_base
from ete_metrics.steps import rag_rating
from ete_metrics.views import (
    FIRST_STEP,
    PREVIOUS_STEP,
    Calendar,
    Difference,
    Gap,
    Interval,
    Limit,
    Pooled,
    Position,
    Rating,
    Ratio,
    Rule,
    RunRate,
    Share,
    View,
)

__all__ = ["DECIMALS", "DERIVED", "NOT_PUBLISHED", "POLICY", "derive", "pooled_totals", "step_relative"]

#: Decimals of a fraction as published: a percentage with one decimal (38.1% = 0.381).
DECIMALS = 3


_WORDS = {5: "five", 10: "ten"}


def _words(number: int) -> str:
    """A threshold in words where it is small, so text never shows a bare count of 1-4."""
    return _WORDS.get(number, str(number))


#: The policy and its reasons, as people read it (About page, deck and workbook definitions).
POLICY: tuple[tuple[str, str], ...] = (
    ("Counts", f"Counts below {_words(config.SUPPRESS_BELOW)} (other than zero) are suppressed "
     f"({SUPPRESSED}) and every other count is rounded to the nearest {config.ROUND_TO}, so "
     "totals may not equal "
     "the sum of their parts (GSS guidance on tables from administrative sources, 2014). "
     "A zero is shown as 0: it says nothing about any one person."),
    ("Suppression across a page or pack", "Where a suppressed count could be worked out from "
     "the other figures published with it (by subtraction from a total, from a region's areas, "
     "or from the figures a month earlier), the smallest other counts that would give it away "
     f"are suppressed too ({SUPPRESSED}), on every table of the page, pack or download where "
     "they appear."),
    ("Rates", "Rates, intervals, limits and gaps are computed from the published (rounded) "
     "counts and shown as a percentage with one decimal, in files as on screen; a rate is not "
     f"shown where its published group size is below {_words(config.MIN_GROUP_FOR_RATE)} or one of "
     "its counts is suppressed. A rate from the exact counts would give the exact counts "
     "back; a rate from the published counts adds nothing to them, and matches them. "
     "A percent of target, its RAG rating and the run-rate projection are worked out from the "
     "published actual and target in the same way."),
    ("What is not published", "A figure that cannot be worked out from the published counts is "
     "not shown to stakeholders: the Kaplan–Meier days to training and to work and their curve "
     "(worked out from each person's dates; the shares of people followed 3, 6 and 12 months "
     "are published instead), and the figures of a model of each person's records: the "
     "forecast to the contract's end and the chance of reaching each target, and the "
     "comparison adjusted for case mix (its expected counts and ratios). The programme team "
     "sees them on the dashboard."),
)


#: What stakeholders read in place of a model's figures, by view name (the programme team
#: sees the figures themselves).
NOT_PUBLISHED: dict[str, str] = {
    "standardised": (
        "The comparison adjusted for case mix is for the programme team only: its expected numbers "
        "come from a model of each person's records, not from the published counts, so it is not "
        "published. The comparison above is worked out from the published counts."),
    "forecast": (
        "The forecast to the contract's end and the chance of reaching each target are for the "
        "programme team only: they come from a model of each person's records, not from the "
        "published counts, so they are not published. The targets tab shows the run-rate "
        "projection, worked out from the published figures."),
}


def step_relative(frame: pd.DataFrame, values: pd.Series, by: list[str], where: str) -> pd.Series:
    """The value of the first / previous step of each row's group (rows in step order)."""
    if by:
        grouped = values.groupby([frame[c].astype(object).fillna("\x00") for c in by], sort=False)
        return grouped.transform("first") if where == FIRST_STEP else grouped.shift(1)
    return (
        pd.Series(values.iloc[0], index=values.index) if where == FIRST_STEP and len(values)
        else values.shift(1)
    )


def _rounded(values: np.ndarray, decimals: int = DECIMALS) -> np.ndarray:
    """Python's rounding of each value (NaN kept), the precision a reader sees."""
    return np.array([v if np.isnan(v) else round(float(v), decimals) for v in values], dtype=float)


class _Published:
    """The published values of a protected view: numbers, and where each is withheld.

    Columns are read from the protected frame only (and, for a :class:`Pooled` rate, the
    totals of the true counts rounded and suppressed as counts): nothing here reads a true
    figure of a row.
    """

    def __init__(self, out: pd.DataFrame, source: pd.DataFrame, spec: View, step_by: list[str],
                 min_group: int) -> None:
        self.out, self.source, self.spec = out, source, spec
        self.step_by, self.min_group = step_by, min_group
        self.values: dict[str, np.ndarray] = {}
        self.hidden: dict[str, np.ndarray] = {}
        self.rows = len(out)
        self.current = ""

    def column_of(self, rule: Rule) -> str:
        """The column being worked out (for a rule that reads its own column)."""
        del rule
        return self.current

    def read(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """(numbers with NaN where blank or withheld, withheld) of a published column."""
        if column not in self.values:
            if column not in self.out.columns:
                raise KeyError(column)
            shown = self.out[column].astype(object)
            hidden = np.fromiter((isinstance(v, str) and v == SUPPRESSED for v in shown),
                                 dtype=bool, count=self.rows)
            numbers = pd.to_numeric(shown.where(~hidden), errors="coerce").to_numpy(dtype=float)
            self.values[column], self.hidden[column] = numbers, hidden
        return self.values[column], self.hidden[column]

    def size(self, name: str, numerator: str) -> tuple[np.ndarray, np.ndarray]:
        """A group size: a column, or the first / previous step of a long funnel's group."""
        if name not in (FIRST_STEP, PREVIOUS_STEP):
            return self.read(name)
        values, hidden = self.read(numerator)
        frame = self.out
        size = step_relative(frame, pd.Series(values, index=frame.index), self.step_by, name)
        withheld = step_relative(frame, pd.Series(hidden.astype(float), index=frame.index),
                                 self.step_by, name)
        return size.to_numpy(dtype=float), withheld.fillna(0).to_numpy(dtype=float) > 0

    def put(self, column: str, values: Any, withheld: np.ndarray, missing: np.ndarray) -> None:
        """Store a derived column: ``"[c]"`` where withheld, NaN where missing."""
        out = pd.Series(values, index=self.out.index, dtype=object)
        out[missing] = np.nan
        out[withheld & ~missing] = SUPPRESSED
        self.out[column] = out
        self.values.pop(column, None)
        self.hidden.pop(column, None)


def _share(p: _Published, rule: Share) -> tuple[Any, np.ndarray, np.ndarray]:
    x, x_hidden = p.read(rule.numerator)
    n, n_hidden = p.size(rule.denominator, rule.numerator)
    missing = (np.isnan(n) & ~n_hidden) | (n <= 0) | (np.isnan(x) & ~x_hidden)
    withheld = x_hidden | n_hidden | (n < p.min_group)
    ok = ~missing & ~withheld
    if isinstance(rule, Interval):
        values = np.full(p.rows, np.nan)
        if ok.any():
            low, high = wilson_interval(x[ok].astype(int), n[ok].astype(int))
            values[ok] = low if rule.bound == "low" else high
        return _rounded(values), withheld, missing
    with np.errstate(divide="ignore", invalid="ignore"):
        return _rounded(np.where(ok, x / np.where(n > 0, n, 1), np.nan)), withheld, missing


def pooled_totals(source: pd.DataFrame, rule: Pooled) -> tuple[np.ndarray, np.ndarray]:
    """The totals a pooled rate is published from: the true totals of its numerator and
    denominator over the table's rows (within each value of ``rule.within``), as published
    counts (rounded to 5; ``NaN`` where suppressed, a total of 1-4). Row-aligned.

    They are published counts of the table's whole (the programme, or everyone in the
    comparison): a figure the page or pack also shows, protected as a count.
    """
    x = pd.to_numeric(source[rule.numerator], errors="coerce").fillna(0)
    n = pd.to_numeric(source[rule.denominator], errors="coerce").fillna(0)
    within = [c for c in rule.within if c in source.columns]
    if within:
        grouping = [source[c].astype(object) for c in within]
        total_x = x.groupby(grouping, sort=False).transform("sum")
        total_n = n.groupby(grouping, sort=False).transform("sum")
    else:
        total_x = pd.Series(x.sum(), index=source.index)
        total_n = pd.Series(n.sum(), index=source.index)
    out = []
    for total in (total_x, total_n):
        true = total.round().astype("int64").to_numpy()
        shown = round_to_base(true).astype(float)
        shown[(true >= 1) & (true < config.SUPPRESS_BELOW)] = np.nan
        out.append(shown)
    return out[0], out[1]


def _pooled(p: _Published, rule: Pooled) -> tuple[Any, np.ndarray, np.ndarray]:
    """The rows' totals, each rounded and suppressed as a count, one over the other."""
    shown_x, shown_n = pooled_totals(p.source, rule)
    withheld = np.isnan(shown_x) | np.isnan(shown_n) | (shown_n < p.min_group)
    missing = shown_n == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.where(shown_n > 0, shown_x / np.where(shown_n > 0, shown_n, 1), np.nan)
    return _rounded(values), withheld & ~missing, missing


def _limit(p: _Published, rule: Limit) -> tuple[Any, np.ndarray, np.ndarray]:
    theta, theta_hidden = p.read(rule.around)
    n, n_hidden = p.read(rule.size)
    missing = np.isnan(theta) & ~theta_hidden | np.isnan(n) & ~n_hidden | (n <= 0)
    withheld = theta_hidden | n_hidden | (n < p.min_group)
    values = np.full(p.rows, np.nan)
    for i in np.flatnonzero(~missing & ~withheld):
        values[i] = float(binomial_limit(float(theta[i]), [int(n[i])], rule.probability)[0])
    return _rounded(values), withheld, missing


def _two(p: _Published, left: str, right: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    a, a_hidden = p.read(left)
    b, b_hidden = p.read(right)
    missing = (np.isnan(a) & ~a_hidden) | (np.isnan(b) & ~b_hidden)
    return a, b, a_hidden | b_hidden, missing


def _ratio(p: _Published, rule: Ratio) -> tuple[Any, np.ndarray, np.ndarray]:
    a, b, withheld, missing = _two(p, rule.numerator, rule.denominator)
    missing = missing | (b == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.where(~missing & ~withheld, a / np.where(b != 0, b, 1) - (1 if rule.minus_one else 0), np.nan)
    return _rounded(values, rule.decimals), withheld, missing


def _gap(p: _Published, rule: Gap) -> tuple[Any, np.ndarray, np.ndarray]:
    a, b, withheld, missing = _two(p, rule.rate, rule.reference)
    return _rounded(a - b), withheld, missing


def _difference(p: _Published, rule: Difference) -> tuple[Any, np.ndarray, np.ndarray]:
    a, b, withheld, missing = _two(p, rule.now, rule.before)
    values = np.array([None if np.isnan(d) else int(d) for d in (a - b).tolist()], dtype=object)
    return values, withheld, missing


def _run_rate(p: _Published, rule: RunRate) -> tuple[Any, np.ndarray, np.ndarray]:
    count, elapsed, withheld, missing = _two(p, rule.count, rule.elapsed)
    missing = missing | (elapsed <= 0)
    values = np.array([None if m or w else int(round_to_base(int(round(c / e))))
                       for c, e, m, w in zip(count, elapsed, missing, withheld, strict=True)], dtype=object)
    return values, withheld, missing


def _position(p: _Published, rule: Position) -> tuple[Any, np.ndarray, np.ndarray]:
    rate, r_hidden = p.read(rule.rate)
    lower, l_hidden = p.read(rule.lower)
    upper, u_hidden = p.read(rule.upper)
    withheld = r_hidden | l_hidden | u_hidden
    missing = ((np.isnan(rate) & ~r_hidden) | (np.isnan(lower) & ~l_hidden)
               | (np.isnan(upper) & ~u_hidden))
    if rule.flag:
        values: Any = ((rate > upper) | (rate < lower)).astype(object)
    else:
        values = np.where(rate > upper, "above", np.where(rate < lower, "below", "within")).astype(object)
    return values, withheld, missing


def _rating(p: _Published, rule: Rating) -> tuple[Any, np.ndarray, np.ndarray]:
    actual, target, withheld, missing = _two(p, rule.actual, rule.target)
    missing = missing | (~withheld & ~(target > 0))  # no target: no rating
    ok = ~missing & ~withheld
    values = np.full(p.rows, None, dtype=object)
    if ok.any():
        values[ok] = rag_rating(actual[ok], target[ok])
    return values, withheld, missing


def _calendar(p: _Published, rule: Calendar) -> tuple[Any, np.ndarray, np.ndarray]:
    """A figure of dates alone (the same whatever the data), at the precision shown."""
    values = pd.to_numeric(p.source[p.column_of(rule)], errors="coerce").to_numpy(dtype=float)
    return _rounded(values), np.zeros(p.rows, dtype=bool), np.isnan(values)


#: How each kind of derived figure is worked out from the published values.
DERIVED: dict[type[Rule], Callable[[_Published, Any], tuple[Any, np.ndarray, np.ndarray]]] = {
    Interval: _share, Share: _share, Pooled: _pooled, Limit: _limit, Ratio: _ratio, Gap: _gap,
    Difference: _difference, RunRate: _run_rate, Position: _position, Rating: _rating,
    Calendar: _calendar,
}


def derive(
    protected: pd.DataFrame,
    source: pd.DataFrame,
    spec: View,
    *,
    step_by: list[str],
    min_group: int = config.MIN_GROUP_FOR_RATE,
) -> pd.DataFrame:
    """Every figure of a protected view that is not a count, from its published counts.

    Method (this project's rule, see :data:`POLICY`): each column is worked out by its
    rule (:mod:`ete_metrics.views`) from the published values of the view, never read off
    the true figures: a share is the published numerator over the published group size
    (withheld where either is suppressed or the size is below ``min_group``); its 95%
    interval is Wilson's (1927) on those; funnel-plot limits are exact binomial limits
    (Spiegelhalter 2005) around a published rate; a pooled rate is the rows' totals,
    rounded and suppressed as counts; a gap, ratio or product combines published figures;
    a position or RAG rating compares published figures. Every value is rounded to the
    precision the screen shows (:data:`DECIMALS`; ratios of observed to expected two
    decimals). A figure another rule needs but the view does not show (a partner's limits
    around its region's rate) is worked out for it and not shown. Labels and figures of
    dates alone are shown as they are; no other column is.

    Parameters
    ----------
    protected : pandas.DataFrame
        The view's published columns with its counts protected (not modified).
    source : pandas.DataFrame
        The view's true frame, same rows (read only for a pooled rate's totals).
    spec : View
    step_by : list of str
        Columns identifying a long-form funnel's group (for the first / previous step).
    min_group : int, default ``config.MIN_GROUP_FOR_RATE``

    Returns
    -------
    pandas.DataFrame
        The published columns of ``protected`` in its order, derived ones filled in.
    """
    shown = list(protected.columns)
    published = _Published(protected.copy(), source, spec, step_by, min_group)
    pending: dict[str, Rule] = {}
    for column in shown:
        rule = spec.rule(column)
        if rule is not None and type(rule) in DERIVED:
            pending[column] = rule
    _fill(published, pending)
    return published.out[shown]


def _fill(published: _Published, pending: dict[str, Rule]) -> None:
    """Work out the pending columns, each after the columns it needs (adding hidden helpers)."""
    done = {c for c in published.out.columns if c not in pending}

    def work_out(column: str, rule: Rule, path: tuple[str, ...]) -> None:
        for need in rule.needs():
            if need in done or need in (FIRST_STEP, PREVIOUS_STEP):
                continue
            inner = pending.get(need) or published.spec.rule(need)
            if inner is None or type(inner) not in DERIVED or need in path:
                raise KeyError(f"The {published.spec.name!r} view's {column!r} needs {need!r}, "
                               "which is neither published here nor worked out from published figures.")
            work_out(need, inner, (*path, need))
        published.current = column
        values, withheld, missing = DERIVED[type(rule)](published, rule)
        published.put(column, values, np.asarray(withheld, dtype=bool), np.asarray(missing, dtype=bool))
        done.add(column)

    for column, rule in pending.items():
        if column not in done:
            work_out(column, rule, (column,))


