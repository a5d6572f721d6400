"""The intruder: what a stakeholder can work out from everything published together.

It reads only what is published (the protected frames) and the public policy:

- a count shown as 0 is 0; a count ``c`` shown rounded to 5 is between ``c - 2`` and
  ``c + 2``, and at least 5 (counts 1-4 are suppressed);
- a suppressed count (``"[c]"``) is some whole number from 0 up;
- a cell broken down by a group (regions, the areas of one region, steps by delivery
  partner) is the sum of its parts, where the metric's definitions make it so (a breakdown
  that leaves out people with no value recorded does not: the intruder is given only the
  sums that hold for the true counts);
- a fraction (a rate ``x / n``) published at ``d`` decimals puts ``x / n`` within half
  a unit of its last digit, unless it is the published counts' own fraction at the
  policy's precision (then it says nothing the counts did not).

It builds one integer programme (``scipy.optimize.milp``) over the true counts and
finds the smallest and largest value each published count can take.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from ete_metrics.protect.audience import BREAKDOWN_COLUMNS
from ete_metrics.protect.publication import Part
from ete_metrics.views import FIRST_STEP

#: Columns that are a plain fraction numerator / group size.
FRACTIONS = frozenset({
    "rate", "rate_from_entry", "cumulative_rate", "completion_rate", "work_rate",
    "sustained_rate", "raw_rate",
})
#: Decimals of a fraction under the policy (a percentage with one decimal).
POLICY_DECIMALS = 3
_BIG = 10**7

Cell = tuple[str, Hashable, frozenset[tuple[str, Hashable]]]


@dataclass(frozen=True)
class Finding:
    """A published figure the intruder pins down."""

    part: int
    row: int
    column: str
    shown: object
    value: int


def _decimals(value: float) -> int:
    for d in range(18):
        if round(value, d) == value:
            return d
    return 17


def _cells_of(part: Part, shown: pd.DataFrame) -> list[tuple[int, str, Cell]]:
    """(row, column, cell) for every count the part shows."""
    view = part.spec
    keys = [k for k in view.keys if k in shown.columns]
    groups = [c for c in shown.columns if (c in view.groups or c in BREAKDOWN_COLUMNS)
              and c not in keys]
    out = []
    for column in view.counts:
        if column not in shown.columns:
            continue
        for row in range(len(shown)):
            record = shown.iloc[row]
            measure: list[Hashable] = [part.measures.get(column, f"{view.name}:{column}")]
            where = dict(part.within)
            for key in keys:
                if key == "step":
                    measure[0] = str(record["step"])
                elif key == "characteristic":
                    where[str(record["characteristic"])] = record["group"]
                else:
                    measure.append((key, record[key]))
            for g in groups:
                if g == "group" and "characteristic" in keys:
                    continue
                if view.total_label is None or record[g] != view.total_label:
                    where[g] = record[g]
            out.append((row, column, (part.moment, tuple(measure),
                                      frozenset((k, v) for k, v in where.items()))))
    return out


def attack(parts: Sequence[Part], published: Sequence[pd.DataFrame]) -> list[Finding]:
    """Every suppressed count pinned to 1-4 and every rounded count recovered exactly."""
    index: dict[Cell, int] = {}

    def var(cell: Cell) -> int:
        return index.setdefault(cell, len(index))

    lower: dict[int, float] = {}
    upper: dict[int, float] = {}
    rows_eq: list[dict[int, float]] = []
    rows_le: list[dict[int, float]] = []  # sum <= 0
    targets: list[tuple[int, int, str, object, int]] = []
    truth: dict[int, float] = {}
    sums: list[tuple[int, set[int]]] = []
    for p, (part, shown) in enumerate(zip(parts, published, strict=True)):
        cells = _cells_of(part, shown)
        at = {(row, column): var(cell) for row, column, cell in cells}
        cell_at = {(row, column): cell for row, column, cell in cells}
        children: dict[Cell, set[int]] = {}
        for row, column, cell in cells:
            v = at[(row, column)]
            truth[v] = float(pd.to_numeric(part.frame[column], errors="coerce").iloc[row])
            value = shown.iloc[row][column]
            if isinstance(value, str):
                lo, hi = 0.0, float(_BIG)
            elif pd.isna(value):
                continue
            else:
                c = int(value)
                lo, hi = (0.0, 0.0) if c == 0 else (float(max(c - 2, 5)), float(c + 2))
            lower[v] = max(lower.get(v, 0.0), lo)
            upper[v] = min(upper.get(v, float(_BIG)), hi)
            targets.append((v, p, column, value, row))
            moment, measure, where = cell
            own = {k for k, _ in where} - set(part.within)
            for g in own:
                parent = (moment, measure, frozenset((k, x) for k, x in where if k != g))
                children.setdefault(parent, set()).add(v)
        sums.extend((var(parent), members) for parent, members in children.items())
        for rate in FRACTIONS & set(shown.columns):
            numerator, size = part.spec.rates.get(rate, (None, ""))
            if numerator is None:
                continue
            for row in range(len(shown)):
                value = shown.iloc[row][rate]
                if isinstance(value, str) or pd.isna(value) or (row, numerator) not in at:
                    continue
                x = at[(row, numerator)]
                n_row, n_col = row, size
                if size == FIRST_STEP:  # the group's first step (entered; referred from referral)
                    first = [r for r, c, cell in cells if c == numerator
                             and cell[2] == cell_at[(row, numerator)][2]]
                    if not first:
                        continue
                    n_row, n_col = first[0], numerator
                if (n_row, n_col) not in at:
                    continue
                n = at[(n_row, n_col)]
                xs, ns = shown.iloc[row][numerator], shown.iloc[n_row][n_col]
                if (not isinstance(xs, str) and not isinstance(ns, str) and ns
                        and float(value) == round(int(xs) / int(ns), POLICY_DECIMALS)):
                    continue  # the published counts' own fraction: nothing new
                half = 0.5 * 10.0 ** -_decimals(float(value)) + 1e-12
                rows_le.append({x: 1.0, n: -(float(value) + half)})
                rows_le.append({x: -1.0, n: float(value) - half})
    shown_vars = {v for v, *_ in targets}
    uses = Counter(v for total, members in sums for v in (total, *members))
    for total, members in sums:
        if truth.setdefault(total, sum(truth[m] for m in members)) != sum(truth[m] for m in members):
            continue  # not a sum the metric defines
        if total not in shown_vars and uses[total] == 1:
            continue  # a total published nowhere and in no other sum says nothing
        row_eq = {m: 1.0 for m in members}
        row_eq[total] = row_eq.get(total, 0.0) - 1.0
        rows_eq.append(row_eq)
    size = len(index)
    constraints = []
    for rows, lo_b, hi_b in ((rows_eq, 0.0, 0.0), (rows_le, -np.inf, 0.0)):
        if rows:
            matrix = np.zeros((len(rows), size))
            for i, row_map in enumerate(rows):
                for j, coef in row_map.items():
                    matrix[i, j] += coef
            constraints.append(LinearConstraint(matrix, lo_b, hi_b))
    bounds = Bounds(np.array([lower.get(i, 0.0) for i in range(size)]),
                    np.array([upper.get(i, float(_BIG)) for i in range(size)]))
    integrality = np.ones(size)
    found: list[Finding] = []
    solved: dict[int, tuple[int, int]] = {}
    constrained = {j for rows in (rows_eq, rows_le) for row_map in rows for j in row_map}
    for v, p, column, value, row in targets:
        if v not in solved and v not in constrained:  # its bounds alone
            solved[v] = (int(bounds.lb[v]), int(bounds.ub[v]))
        if v not in solved:
            ends = []
            for sign in (1.0, -1.0):
                objective = np.zeros(size)
                objective[v] = sign
                result = milp(objective, constraints=constraints, bounds=bounds,
                              integrality=integrality)
                assert result.success, f"the intruder's programme has no solution: {result.message}"
                ends.append(int(round(result.x[v])))
            solved[v] = (ends[0], ends[1])
        lo_v, hi_v = solved[v]
        if lo_v != hi_v:
            continue
        pinned_small = isinstance(value, str) and 1 <= lo_v <= 4
        recovered = not isinstance(value, str) and int(value) > 0
        if pinned_small or recovered:
            found.append(Finding(p, row, column, value, lo_v))
    return found


# --------------------------------------------------------------------------- named counts

#: A true count the intruder reasons about, named by what it counts (any hashable).
Name = Hashable


@dataclass(frozen=True)
class Pin:
    """A published count whose true value the intruder's programme allows only one value of."""

    name: Name
    where: str
    shown: object
    value: int


class Intruder:
    """One integer programme over named true counts, with ties an intruder can justify.

    Every count is a named variable (the same people at the same date are the same name, in
    whatever table or file they are shown). What is published bounds them under the policy
    (:meth:`published`); ties add what the definitions make true: a whole is the sum of
    its parts, a cumulative count does not fall, a rate is its numerator over its group
    size at the precision shown. Each tie is checked against the true counts and dropped
    (and recorded in ``dropped``) when they do not satisfy it: the intruder is given only
    ties that hold, which makes it stronger, never weaker, than one who must guess them.
    """

    def __init__(self) -> None:
        self.index: dict[Name, int] = {}
        self.truth: dict[int, int] = {}
        self.lower: dict[int, float] = {}
        self.upper: dict[int, float] = {}
        self.rows_eq: list[dict[int, float]] = []
        self.rows_le: list[dict[int, float]] = []
        self.shown: dict[int, list[tuple[object, str]]] = {}
        self.dropped: list[str] = []
        self.conflicts: list[str] = []
        self.fractions = 0
        self.exact: set[int] = set()

    # -- variables
    def var(self, name: Name, truth: float | None = None) -> int:
        v = self.index.setdefault(name, len(self.index))
        if truth is not None and not pd.isna(truth):
            t = int(round(float(truth)))
            if self.truth.setdefault(v, t) != t:
                self.conflicts.append(f"{name}: true {self.truth[v]} and {t}")
        return v

    def true(self, name: Name) -> int | None:
        v = self.index.get(name)
        return None if v is None else self.truth.get(v)

    def _bound(self, v: int, lo: float, hi: float) -> None:
        self.lower[v] = max(self.lower.get(v, 0.0), lo)
        self.upper[v] = min(self.upper.get(v, float(_BIG)), hi)

    def published(self, name: Name, shown: object, truth: float | None, where: str) -> None:
        """A count as the policy publishes it: 0 exact, ``"[c]"`` any whole number, else rounded to 5."""
        v = self.var(name, truth)
        if shown is None or (not isinstance(shown, str) and pd.isna(shown)):
            return
        if isinstance(shown, str):
            lo, hi = 0.0, float(_BIG)
        else:
            c = int(shown)
            lo, hi = (0.0, 0.0) if c == 0 else (float(max(c - 2, 5)), float(c + 2))
        self._bound(v, lo, hi)
        self.shown.setdefault(v, []).append((shown, where))

    def known(self, name: Name, value: float) -> None:
        """A count the intruder knows exactly (a contract target, a partner absent from a region)."""
        v = self.var(name, value)
        self._bound(v, float(value), float(value))
        self.exact.add(v)

    def shown_value(self, name: Name) -> object:
        """A figure shown for ``name`` (a number if any shows one), else None."""
        values = [s for s, _ in self.shown.get(self.index.get(name, -1), [])]
        numbers = [s for s in values if not isinstance(s, str)]
        return numbers[0] if numbers else (values[0] if values else None)

    # -- ties
    def _holds(self, row: dict[int, float], kind: str, what: str) -> bool:
        if any(j not in self.truth for j in row):
            self.dropped.append(f"{what}: a true count unknown")
            return False
        total = sum(c * self.truth[j] for j, c in row.items())
        ok = abs(total) < 1e-9 if kind == "eq" else total <= 1e-9
        if not ok:
            self.dropped.append(f"{what}: not true")
        return ok

    def tie_sum(self, whole: Name, parts: Sequence[Name]) -> bool:
        """``whole`` is the sum of ``parts``."""
        if whole not in self.index or not parts or whole in parts:
            return False
        row: dict[int, float] = {}
        for p in parts:
            j = self.var(p)
            row[j] = row.get(j, 0.0) + 1.0
        w = self.var(whole)
        row[w] = row.get(w, 0.0) - 1.0
        if self._holds(row, "eq", f"{whole} = sum of {len(parts)}"):
            self.rows_eq.append(row)
            return True
        return False

    def tie_le(self, small: Name, large: Name) -> bool:
        """``small <= large`` (a cumulative count a month earlier)."""
        if small == large:
            return False
        row = {self.var(small): 1.0, self.var(large): -1.0}
        if self._holds(row, "le", f"{small} <= {large}"):
            self.rows_le.append(row)
            return True
        return False

    def fraction(self, numerator: Name, denominator: Name | int, value: object, where: str) -> None:
        """A published ``numerator / denominator`` (``denominator`` a name or a known number).

        The published counts' own fraction at the policy's precision says nothing the counts
        do not; any other value puts the true fraction within half a unit of its last digit.
        """
        if value is None or isinstance(value, str) or pd.isna(value):
            return
        value = float(value)
        xs = self.shown_value(numerator)
        ns = denominator if isinstance(denominator, int) else self.shown_value(denominator)
        if (xs is not None and ns is not None and not isinstance(xs, str) and not isinstance(ns, str)
                and ns and value == round(float(xs) / float(ns), POLICY_DECIMALS)):
            return
        half = 0.5 * 10.0 ** -_decimals(value) + 1e-12
        x = self.var(numerator)
        if isinstance(denominator, int):
            up: dict[int, float] = {x: 1.0}
            down: dict[int, float] = {x: -1.0}
            constant = float(denominator)
            ok = x in self.truth and abs(self.truth[x] / constant - value) <= half if constant else False
            if not ok:
                self.dropped.append(f"{where}: {value} is not {numerator} / {denominator}")
                return
            lo, hi = (value - half) * constant, (value + half) * constant
            self._bound(x, np.ceil(lo - 1e-9), np.floor(hi + 1e-9))
            self.fractions += 1
            return
        n = self.var(denominator)
        up = {x: 1.0, n: -(value + half)}
        down = {x: -1.0, n: value - half}
        if self._holds(up, "le", where) and self._holds(down, "le", where):
            self.rows_le.extend([up, down])
            self.fractions += 1

    # -- the programme
    def constraints(self) -> int:
        return len(self.rows_eq) + len(self.rows_le)

    def solve(self, seed: int = 0, rounds: int = 12) -> tuple[list[Pin], int]:
        """Published counts shown ``[c]`` or rounded that only one true value fits, and how
        many were tested (a count shown as 0 is published exactly and not tested)."""
        size = len(self.index)
        constraints = []
        for rows, lo_b in ((self.rows_eq, 0.0), (self.rows_le, -np.inf)):
            if rows:
                entries = [(i, j, coef) for i, row_map in enumerate(rows) for j, coef in row_map.items()]
                matrix = sparse.csr_array(([c for _, _, c in entries],
                                           ([i for i, _, _ in entries], [j for _, j, _ in entries])),
                                          shape=(len(rows), size))
                constraints.append(LinearConstraint(matrix, lo_b, 0.0))
        lb = np.array([self.lower.get(i, 0.0) for i in range(size)])
        ub = np.array([self.upper.get(i, float(_BIG)) for i in range(size)])
        bounds = Bounds(lb, ub)
        integrality = np.ones(size)
        # a count shown as 0 anywhere, or known exactly (a contract target), is not hidden
        tested = [v for v, shows in self.shown.items() if v not in self.exact
                  and all(isinstance(s, str) or int(s) != 0 for s, _ in shows)]
        seen: dict[int, set[int]] = {v: set() for v in tested}

        def run(objective: np.ndarray) -> np.ndarray:
            result = milp(objective, constraints=constraints, bounds=bounds, integrality=integrality)
            assert result.success, f"the intruder's programme has no solution: {result.message}"
            return np.round(result.x).astype(int)

        rng = np.random.default_rng(seed)
        for _ in range(rounds):  # one solve rules many counts out
            objective = np.zeros(size)
            objective[tested] = rng.normal(size=len(tested))
            x = run(objective)
            for v in tested:
                seen[v].add(int(x[v]))
        for v in tested:
            if len(seen[v]) > 1:
                continue
            for sign in (1.0, -1.0):
                objective = np.zeros(size)
                objective[v] = sign
                seen[v].add(int(run(objective)[v]))
        names = {v: name for name, v in self.index.items()}
        pins = []
        for v in tested:
            if len(seen[v]) == 1:
                shown, where = next((s, w) for s, w in self.shown[v])
                pins.append(Pin(names[v], where, shown, next(iter(seen[v]))))
        return pins, len(tested)

    def truth_fits(self) -> bool:
        """The true counts satisfy every bound and tie (the intruder's programme is sound)."""
        for v, lo in self.lower.items():
            if v in self.truth and not lo - 1e-9 <= self.truth[v] <= self.upper.get(v, _BIG) + 1e-9:
                return False
        return True
