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
