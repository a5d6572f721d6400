"""What a stakeholder reads, turned into named counts for the intruder (tests/intruder_support.py).

Each source (a stakeholder workbook, a CLI command's output, a page's tables) is read
cell by cell. A count is named by what it counts, so the same people at the same date
are one variable wherever they are shown::

    ("people", as_at, step, regions, group)     # the funnel, headline, regions, partners, equality
    ("to_date", as_at, measure, regions)        # the target summary's actual to date
    ("period", as_at, measure, quarter, regions)      # targets against actuals: in the quarter
    ("cumulative", as_at, measure, quarter, regions)  # ... and cumulative to the quarter
    ("cohort", as_at, cohort, regions)               # a cohort's size
    ("cohort_reached", as_at, cohort, month, regions)  # of them, in work by that month

``regions`` is a frozenset of regions; ``group`` is ``()`` or ``((column, value),)`` (a
delivery partner, an equality group). The true value of each name is read from the
internal version of the same source, so every tie the intruder is given is checked.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from datetime import date

import pandas as pd

from ete_metrics.metrics.headline import month_earlier
from ete_metrics.metrics.review import scope_label
from ete_metrics.present.report import ReportContent
from ete_metrics.present.report.xlsx import build_xlsx
from ete_metrics.present.workbook import read_tables
from ete_metrics.protect.publication import Part
from ete_metrics.steps import find_step, funnel_steps
from ete_metrics.views import (
    FIRST_STEP,
    PREVIOUS_STEP,
    Interval,
    Label,
    Position,
    Rating,
    Ratio,
    Share,
    View,
)
from tests.intruder_support import Intruder

Regions = frozenset[str]


def _date(value: object) -> date:
    return pd.Timestamp(value).date()  # type: ignore[arg-type]


def previous(as_at: date) -> date:
    """The date a month earlier (the headline's comparison)."""
    return _date(month_earlier(pd.Timestamp(as_at)))


def workbook_sheets(content: ReportContent) -> dict[str, pd.DataFrame]:
    """Every table of the stakeholder workbook as its cells read back from the file.

    The file is read through its Contents sheet (:func:`read_tables`); a table's columns are
    in the order of its frame. Its figures are the file's; its labels, ratings and positions
    (written in words: "Into work", "Green") are the frame's codes, the same public words.
    """
    tables = read_tables(build_xlsx(content))
    out = {}
    for table in content.tables():
        read = tables[table.key]
        columns = list(table.data.columns)
        assert len(read.columns) == len(columns), (table.key, list(read.columns), columns)
        frame = pd.DataFrame(read.to_numpy(dtype=object), columns=columns, dtype=object)
        assert table.view is not None and len(frame) == len(table.data), table.key
        for column in columns:
            if isinstance(table.view.rule(column), Label | Rating | Position):
                frame[column] = table.data[column].to_numpy(dtype=object)
        out[table.key] = frame
    return out


def _target_measure(step: str) -> str:
    measure = find_step(step).target_measure
    assert measure is not None
    return measure


class WorkbookReader:
    """Reads one workbook (a scope at an as-at date) into the intruder's programme."""

    def __init__(self, intruder: Intruder, scope: Sequence[str], every: Sequence[str], as_at: date,
                 label: str) -> None:
        self.intruder = intruder
        self.scope: Regions = frozenset(scope or every)
        self.everyone: Regions = frozenset(every)
        self.total = scope_label(list(scope), every=every)
        self.at = as_at
        self.before = previous(as_at)
        self.label = label

    def regions_of(self, value: object) -> Regions:
        return self.scope if str(value) == self.total else frozenset({str(value)})

    def read(self, shown: Mapping[str, pd.DataFrame], true: Mapping[str, pd.DataFrame]) -> list[str]:
        """Read every table; return the keys of tables it does not know (none, or a test fails)."""
        unknown = []
        for key, frame in shown.items():
            handler = getattr(self, "_" + key, None)
            if handler is None:
                unknown.append(key)
                continue
            truth = true[key]
            assert len(truth) == len(frame), (self.label, key)
            handler(frame, truth.reset_index(drop=True), f"{self.label}:{key}")
        return unknown

    # -- helpers
    def count(self, name: Hashable, frame: pd.DataFrame, truth: pd.DataFrame, row: int, column: str,
              where: str) -> None:
        if column in frame.columns:
            self.intruder.published(name, frame.at[row, column], truth.at[row, column],
                                    f"{where} row {row} {column}")
        else:
            self.intruder.var(name, truth.at[row, column])

    def target(self, name: Hashable, frame: pd.DataFrame, truth: pd.DataFrame, row: int, column: str,
               where: str) -> None:
        """A contract target: published as a count, and known exactly (the contract is public)."""
        self.count(name, frame, truth, row, column, where)
        self.intruder.known(name, int(truth.at[row, column]))

    def rate(self, frame: pd.DataFrame, row: int, column: str, numerator: Hashable,
             denominator: Hashable | int, where: str) -> None:
        if column in frame.columns:
            self.intruder.fraction(numerator, denominator, frame.at[row, column],
                                   f"{where} row {row} {column}")

    def people(self, when: date, step: str, regions: Regions, group: tuple = ()) -> tuple:
        return ("people", when, step, regions, group)

    # -- the funnel and headline
    def _funnel_like(self, frame: pd.DataFrame, truth: pd.DataFrame, where: str) -> None:
        steps = [str(s) for s in truth["step"]]
        for row, step in enumerate(steps):
            now = self.people(self.at, step, self.scope)
            self.count(now, frame, truth, row, "participants", where)
            if "participants_month_earlier" in truth.columns:
                self.count(self.people(self.before, step, self.scope), frame, truth, row,
                           "participants_month_earlier", where)
        for row, step in enumerate(steps):
            if row == 0:
                continue
            self.rate(frame, row, "rate_from_entry", self.people(self.at, step, self.scope),
                      self.people(self.at, steps[0], self.scope), where)
            self.rate(frame, row, "rate_month_earlier", self.people(self.before, step, self.scope),
                      self.people(self.before, steps[0], self.scope), where)
            self.rate(frame, row, "rate_from_previous", self.people(self.at, step, self.scope),
                      self.people(self.at, steps[row - 1], self.scope), where)

    _headline = _funnel_like
    _funnel = _funnel_like

    # -- targets
    def _targets(self, frame: pd.DataFrame, truth: pd.DataFrame, where: str) -> None:
        for row in range(len(truth)):
            regions = self.regions_of(truth.at[row, "region"])
            measure = str(truth.at[row, "measure"])
            actual = ("to_date", self.at, measure, regions)
            self.count(actual, frame, truth, row, "actual_to_date", where)
            # the contract's targets: published rounded, and known exactly to a well-read intruder
            target = ("target_to_date", self.at, measure, regions)
            self.target(target, frame, truth, row, "target_to_date", where)
            self.target(("contract_target", measure, regions), frame, truth, row, "contract_target", where)
            self.rate(frame, row, "percent_achieved", actual, target, where)

    def _targets_vs_actual(self, frame: pd.DataFrame, truth: pd.DataFrame, where: str) -> None:
        for row in range(len(truth)):
            regions = self.regions_of(truth.at[row, "region"])
            measure = str(truth.at[row, "measure"]) if "measure" in truth.columns else "work"
            quarter = _date(truth.at[row, "period_start"])
            cumulative = ("cumulative", self.at, measure, quarter, regions)
            if "actual" in truth.columns:
                self.count(("period", self.at, measure, quarter, regions), frame, truth, row, "actual", where)
            self.count(cumulative, frame, truth, row, "cumulative_actual", where)
            target = ("cumulative_target", measure, quarter, regions)
            self.target(target, frame, truth, row, "cumulative_target", where)
            if "target" in truth.columns:
                self.target(("target", measure, quarter, regions), frame, truth, row, "target", where)
            self.rate(frame, row, "percent_achieved", cumulative, target, where)

    _targets_vs_actual_work = _targets_vs_actual

    # -- a region alone against the programme (every region's people, totals only)
    def _benchmark(self, frame: pd.DataFrame, truth: pd.DataFrame, where: str) -> None:
        for row in range(len(truth)):
            step = str(truth.at[row, "step"])
            for regions, prefix in ((self.scope, ""), (self.everyone, "programme_")):
                entered = self.people(self.at, "entered", regions)
                reached = self.people(self.at, step, regions)
                self.count(entered, frame, truth, row, f"{prefix}entered", where)
                self.count(reached, frame, truth, row, f"{prefix}participants", where)
                self.rate(frame, row, f"{prefix}rate", reached, entered, where)

    # -- regions compared
    def _regions(self, frame: pd.DataFrame, truth: pd.DataFrame, where: str, observed: str = "participants") -> None:
        for row in range(len(truth)):
            regions = self.regions_of(truth.at[row, "region"])
            entered = self.people(self.at, "entered", regions)
            work = self.people(self.at, "work", regions)
            self.count(entered, frame, truth, row, "entered", where)
            self.count(work, frame, truth, row, observed, where)
            self.rate(frame, row, "rate", work, entered, where)
            self.rate(frame, row, "raw_rate", work, entered, where)
            self.rate(frame, row, "overall_rate", self.people(self.at, "work", self.scope),
                      self.people(self.at, "entered", self.scope), where)

    def _regions_adjusted(self, frame: pd.DataFrame, truth: pd.DataFrame, where: str) -> None:
        self._regions(frame, truth, where, observed="observed")

    # -- cohorts
    def _cohort_curves(self, frame: pd.DataFrame, truth: pd.DataFrame, where: str) -> None:
        for row in range(len(truth)):
            cohort = str(truth.at[row, "cohort"])
            month = int(truth.at[row, "months_since_entry"])
            size = ("cohort", self.at, cohort, self.scope)
            reached = ("cohort_reached", self.at, cohort, month, self.scope)
            self.count(size, frame, truth, row, "cohort_size", where)
            self.count(reached, frame, truth, row, "participants", where)
            self.rate(frame, row, "cumulative_rate", reached, size, where)

    def _cohorts(self, frame: pd.DataFrame, truth: pd.DataFrame, where: str) -> None:
        for row in range(len(truth)):
            cohort = str(truth.at[row, "cohort"])
            size = ("cohort", self.at, cohort, self.scope)
            for column in truth.columns:
                if column.startswith("work_by_") and column.endswith("_months"):
                    month = int(column.removeprefix("work_by_").removesuffix("_months"))
                    self.rate(frame, row, column, ("cohort_reached", self.at, cohort, month, self.scope),
                              size, where)

    # -- partners and equality
    def _partners(self, frame: pd.DataFrame, truth: pd.DataFrame, where: str) -> None:
        for row in range(len(truth)):
            group = (("delivery_partner", str(truth.at[row, "delivery_partner"])),)
            entered = self.people(self.at, "entered", self.scope, group)
            self.count(entered, frame, truth, row, "entered", where)
            for step in ("training", "work"):
                name = self.people(self.at, step, self.scope, group)
                self.count(name, frame, truth, row, step, where)
                self.rate(frame, row, f"{step}_rate", name, entered, where)

    def _equality(self, frame: pd.DataFrame, truth: pd.DataFrame, where: str) -> None:
        for row in range(len(truth)):
            group = ((str(truth.at[row, "characteristic"]), str(truth.at[row, "group"])),)
            entered = self.people(self.at, "entered", self.scope, group)
            work = self.people(self.at, "work", self.scope, group)
            self.count(entered, frame, truth, row, "entered", where)
            self.count(work, frame, truth, row, "participants", where)
            self.rate(frame, row, "rate", work, entered, where)
            self.rate(frame, row, "overall_rate", self.people(self.at, "work", self.scope),
                      self.people(self.at, "entered", self.scope), where)


def tie_everything(intruder: Intruder, every: Sequence[str],
                   only: Sequence[str] = ("regions", "groups", "quarters", "dates")) -> dict[str, int]:
    """Add every tie between the named counts the definitions justify; how many of each kind.

    - a count over several regions is the sum of the same count for each of them (a partner
      absent from a region's tables has none there);
    - the groups of a characteristic, and the delivery partners, sum to the scope's count;
    - a quarter's cumulative actual is the previous quarter's plus the quarter's own, and the
      latest is the actual to date (the same contract measure counted the same way);
    - a count as at a later date is at least the count as at an earlier one (people and
      milestones only accumulate), and a quarter over by the earlier date does not change.
    """
    names = list(intruder.index)
    kinds: dict[str, int] = {"regions": 0, "groups": 0, "quarters": 0, "dates": 0}
    people_groups: dict[tuple, list[tuple]] = {}
    for name in names:
        kind, *rest = name  # type: ignore[misc]
        regions = next((r for r in rest if isinstance(r, frozenset)), None)
        if "regions" in only and regions is not None and len(regions) > 1:
            parts = [tuple(frozenset({r}) if x is regions else x for x in name) for r in sorted(regions)]
            for part in parts:
                if part not in intruder.index and kind == "people" and rest[3]:
                    intruder.known(part, 0)  # a partner with no rows in a region's tables
            kinds["regions"] += intruder.tie_sum(name, parts)
        if kind == "people" and rest[3]:
            (column, _), = rest[3]
            people_groups.setdefault((rest[0], rest[1], rest[2], column), []).append(name)
    for (when, step, regions, _column), members in people_groups.items() if "groups" in only else ():
        kinds["groups"] += intruder.tie_sum(("people", when, step, regions, ()), members)
    for name in names if "quarters" in only else ():
        if name[0] == "period":
            _, when, measure, quarter, regions = name
            earlier = [n for n in names if n[0] == "cumulative" and n[1] == when and n[2] == measure
                       and n[4] == regions and n[3] < quarter]
            cumulative = ("cumulative", when, measure, quarter, regions)
            if cumulative in intruder.index:
                parts = [name, max(earlier, key=lambda n: n[3])] if earlier else [name]
                kinds["quarters"] += intruder.tie_sum(cumulative, parts)
    for name in names if "quarters" in only else ():
        if name[0] == "to_date":
            _, when, measure, regions = name
            quarters = [n for n in names if n[0] == "cumulative" and n[1] == when and n[2] == measure
                        and n[4] == regions]
            if quarters:
                kinds["quarters"] += intruder.tie_sum(name, [max(quarters, key=lambda n: n[3])])
    by_rest: dict[tuple, list[tuple]] = {}
    for name in list(intruder.index):
        if isinstance(name, tuple) and len(name) > 1 and isinstance(name[1], date):
            by_rest.setdefault((name[0], *name[2:]), []).append(name)
    for key, members in by_rest.items() if "dates" in only else ():
        members.sort(key=lambda n: n[1])
        for a, b in zip(members, members[1:], strict=False):
            kinds["dates"] += intruder.tie_le(a, b)
            if key[0] == "period" and _quarter_over(key[2], a[1]):
                kinds["dates"] += intruder.tie_le(b, a)
    return kinds


def _quarter_over(quarter: date, at: date) -> bool:
    end = (pd.Timestamp(quarter) + pd.DateOffset(months=3)).date()
    return end <= at


__all__ = ["WorkbookReader", "previous", "tie_everything", "workbook_sheets", "funnel_steps"]


# --------------------------------------------------------------------------- any view's frame

#: The kind of a cumulative count in a targets table, by its period.
_PERIOD_NAMES = {"quarter": ("period", "cumulative"), "month": ("month_period", "month_cumulative")}


class FrameReader:
    """Reads one protected frame of a view (a CLI command's output) into the intruder's programme.

    Counts are named as the workbook names them (``("people", as_at, step, regions, group)``...)
    so the same people are one variable whatever shows them; ``kind`` says what the view's
    counts are of: ``"funnel"`` (a step per row), ``("compare", step)``, ``("targets", period)``,
    ``"target_summary"``, ``("cohorts", outcome)``, or any other tag (counts named by column).
    """

    def __init__(self, intruder: Intruder, view: View, kind: object, as_at: date,
                 scope: Sequence[str], every: Sequence[str], where: str) -> None:
        self.intruder = intruder
        self.view = view
        self.kind = kind
        self.at = as_at
        self.scope: Regions = frozenset(scope or every)
        self.every = every
        self.where = where

    def _regions_group(self, truth: pd.DataFrame, row: int) -> tuple[Regions, tuple]:
        regions = self.scope
        group: list[tuple[str, str]] = []
        for column in truth.columns:
            rule = self.view.rule(str(column))
            if not isinstance(rule, Label) or not rule.additive:
                continue
            value = truth.at[row, column]
            if pd.isna(value) or (self.view.total_label is not None and value == self.view.total_label):
                continue
            if column == "region":
                regions = frozenset({str(value)})
            elif column == "group" and "characteristic" in truth.columns:
                group.append((str(truth.at[row, "characteristic"]), str(value)))
            elif column not in ("cohort",):
                group.append((str(column), str(value)))
        return regions, tuple(group)

    def name(self, truth: pd.DataFrame, row: int, column: str) -> Hashable:
        regions, group = self._regions_group(truth, row)
        kind = self.kind
        if kind == "funnel" and column == "participants":
            return ("people", self.at, str(truth.at[row, "step"]), regions, group)
        if isinstance(kind, tuple) and kind[0] == "compare" and column in ("entered", "participants", "observed"):
            return ("people", self.at, "entered" if column == "entered" else kind[1], regions, group)
        if isinstance(kind, tuple) and kind[0] == "targets":
            measure = str(truth.at[row, "measure"])
            period = _date(truth.at[row, "period_start"])
            own, cumulative = _PERIOD_NAMES[kind[1]]
            if column == "actual":
                return (own, self.at, measure, period, regions)
            if column == "cumulative_actual":
                return (cumulative, self.at, measure, period, regions)
            return ("target" if column == "target" else "cumulative_target", measure, period, regions) \
                if kind[1] == "quarter" else (f"month_{column}", measure, period, regions)
        if kind == "target_summary":
            measure = str(truth.at[row, "measure"])
            if column == "actual_to_date":
                return ("to_date", self.at, measure, regions)
            if column == "target_to_date":
                return ("target_to_date", self.at, measure, regions)
            return ("contract_target", measure, regions)
        if isinstance(kind, tuple) and kind[0] == "cohorts":
            cohort = str(truth.at[row, "cohort"])
            if column == "cohort_size":
                return ("cohort", self.at, cohort, regions)
            reached = "cohort_reached" if kind[1] == "work" else f"cohort_reached_{kind[1]}"
            return (reached, self.at, cohort, int(truth.at[row, "months_since_entry"]), regions)
        keys = tuple((k, str(truth.at[row, k])) for k in self.view.keys if k in truth.columns)
        return (str(kind), self.at, column, keys, regions, group)

    def read(self, shown: pd.DataFrame, truth: pd.DataFrame) -> None:
        shown, truth = shown.reset_index(drop=True), truth.reset_index(drop=True)
        assert len(shown) == len(truth), self.where
        targets = {"target", "cumulative_target", "target_to_date", "contract_target"}
        for column in self.view.counts:
            if column not in truth.columns:
                continue
            for row in range(len(truth)):
                name = self.name(truth, row, column)
                where = f"{self.where} row {row} {column}"
                if column in shown.columns:
                    self.intruder.published(name, shown.at[row, column], truth.at[row, column], where)
                else:
                    self.intruder.var(name, truth.at[row, column])
                if column in targets:
                    self.intruder.known(name, int(truth.at[row, column]))
        for column, rule in self.view.columns.items():
            if column not in shown.columns or not isinstance(rule, Share | Ratio) or isinstance(rule, Interval):
                continue
            if isinstance(rule, Ratio) and rule.minus_one:
                continue
            for row in range(len(truth)):
                numerator = self.name(truth, row, rule.numerator)
                if rule.denominator in (FIRST_STEP, PREVIOUS_STEP):
                    regions, group = self._regions_group(truth, row)
                    same = [r for r in range(len(truth)) if self._regions_group(truth, r) == (regions, group)]
                    place = same.index(row)
                    if place == 0:
                        continue
                    other = same[0] if rule.denominator == FIRST_STEP else same[place - 1]
                    denominator = self.name(truth, other, rule.numerator)
                else:
                    denominator = self.name(truth, row, rule.denominator)
                self.intruder.fraction(numerator, denominator, shown.at[row, column],
                                       f"{self.where} row {row} {column}")


def tie_months(intruder: Intruder) -> int:
    """A month's actuals sum, month by month, to the cumulative actual; the cumulative actual at
    a quarter's last month (or the as-at date's month) is the quarter's; monthly cohorts sum to
    their quarter's cohort."""
    names = list(intruder.index)
    added = 0
    by_series: dict[tuple, list[tuple]] = {}
    for name in names:
        if name[0] == "month_period":
            by_series.setdefault((name[1], name[2], name[4]), []).append(name)
    for (when, measure, regions), months in by_series.items():
        months.sort(key=lambda n: n[3])
        for i, month in enumerate(months):
            cumulative = ("month_cumulative", when, measure, month[3], regions)
            parts = [month] + ([("month_cumulative", when, measure, months[i - 1][3], regions)] if i else [])
            added += intruder.tie_sum(cumulative, parts)
            start = month[3]
            quarter = date(start.year, 3 * ((start.month - 1) // 3) + 1, 1)
            last = start.month % 3 == 0 or (start.year, start.month) == (when.year, when.month)
            if last and ("cumulative", when, measure, quarter, regions) in intruder.index:
                added += intruder.tie_sum(("cumulative", when, measure, quarter, regions), [cumulative])
    cohorts: dict[tuple, list[tuple]] = {}
    for name in names:
        if name[0] == "cohort" and len(str(name[2])) == 7 and "-Q" not in str(name[2]):  # 2023-01
            year, month = str(name[2]).split("-")
            quarter = f"{year}-Q{(int(month) - 1) // 3 + 1}"
            cohorts.setdefault(("cohort", name[1], quarter, name[3]), []).append(name)
    for whole, parts in cohorts.items():
        if whole in intruder.index:
            added += intruder.tie_sum(whole, parts)
    return added


def read_part(intruder: Intruder, part: Part, shown: pd.DataFrame, as_at: date,
              every: Sequence[str], where: str) -> None:
    """One table a page published (:class:`Part`: the true frame, its view and ties) as the
    stakeholder saw it, named as the workbooks and the command line name the same counts."""
    view = part.spec
    at = previous(as_at) if part.moment == "a month earlier" else as_at
    within = dict(part.within)
    scope = (str(within.pop("region")),) if "region" in within else ()
    step = str(part.measures.get("participants", part.measures.get("observed", "work")))
    kind: object
    if within:  # drawn under another filter (the prisons: the custody pathway)
        kind = (view.name, tuple(sorted((k, str(v)) for k, v in within.items())))
    elif view.name in ("funnel", "referral_funnel"):
        kind = "referral_funnel" if part.moment == "from referral" or view.name != "funnel" else "funnel"
    elif view.name in ("compare", "standardised", "equality", "partner_regions"):
        kind = ("compare", step)
    elif view.name == "cohort_curves":
        kind = ("cohorts", step)
    elif view.name == "targets":
        months = {pd.Timestamp(d).month for d in part.frame["period_start"].dropna()}
        kind = ("targets", "quarter" if months <= {1, 4, 7, 10} else "month")
    elif view.name in ("target_summary", "rag_table"):
        kind = "target_summary"
    else:
        kind = view.name
    FrameReader(intruder, view, kind, at, scope, every, where).read(shown, part.frame)
