"""Publication sets: every view published together, protected together.

A page, a report pack or a command-line call publishes several views of the
same people at once (the headline, by region, the areas of one region, now and
a month earlier...). A reader holds all of them, so disclosure control has to
hold across all of them. A :class:`Part` is one published table: the true
frame, its :class:`ete_metrics.views.View`, and what ties its cells to the
cells of the other parts (its moment, the filters it was drawn under, which
funnel step each count column is). :func:`publish` protects a list of parts
for an audience.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ete_metrics import config
from ete_metrics.protect.audience import INTERNAL, check_audience, protect_view
from ete_metrics.protect.disclosure import SUPPRESSED
from ete_metrics.views import CHOSEN_STEP, NOW, PUBLICATIONS, Label, View, view_named

__all__ = ["NOW", "Part", "parts_of", "publish"]

#: Rounds of "suppress where pinned, protect again" before giving up adding cells.
MAX_ROUNDS = 20
_UNBOUNDED = 10.0**7

#: A cell's identity: (moment, measure, the groups it is in). Equal identities are the same people.
Identity = tuple[str, tuple[Hashable, ...], frozenset[tuple[str, Hashable]]]


@dataclass(frozen=True)
class Part:
    """One table of a publication.

    Attributes
    ----------
    frame : pandas.DataFrame
        The view as computed (true counts). Not modified.
    view : View or str
        How it is protected (:mod:`ete_metrics.views`).
    moment : str, default :data:`NOW`
        Parts with the same moment count the same people at the same date
        (``"a month earlier"`` for the comparison figures).
    within : mapping of str to str
        The filters the frame was computed under, e.g. ``{"region": "Wales"}`` for
        the areas of Wales: its cells are parts of that region's cells.
    measures : mapping of str to str
        The funnel step each count column counts, where the view does not name it
        in a ``step`` column, e.g. ``{"entered": "entered", "participants": "work"}``
        for a comparison of work. Columns not named here are the view's own.
    """

    frame: pd.DataFrame
    view: View | str
    moment: str = NOW
    within: Mapping[str, str] = field(default_factory=dict)
    measures: Mapping[str, str] = field(default_factory=dict)

    @property
    def spec(self) -> View:
        """The :class:`View` itself."""
        return view_named(self.view)


def parts_of(
    publication: str,
    frames: Mapping[str, pd.DataFrame | None],
    *,
    step: str | None = None,
    within: Mapping[str, str] | None = None,
) -> dict[str, Part]:
    """The parts of a declared publication set (:data:`ete_metrics.views.PUBLICATIONS`).

    Parameters
    ----------
    publication : str
        The set's name (``"regions"``, ``"pack"``...).
    frames : mapping of str to DataFrame or None
        Its tables (true counts) by the names the set gives them; a table not shown
        this time (None, or left out) is not part of it.
    step : str, optional
        The step chosen on the page, for the set's :data:`~ete_metrics.views.CHOSEN_STEP`.
    within : mapping of str to str, optional
        The values of the filters the set's tables are drawn under (``{"region": "Wales"}``).

    Returns
    -------
    dict of str to Part
        In the order of ``frames``.

    Raises
    ------
    KeyError
        A table the set does not declare, or a filter of a table's ``within`` not given
        (programming errors).
    """
    declared = PUBLICATIONS[publication]
    out: dict[str, Part] = {}
    for name, frame in frames.items():
        if frame is None:
            continue
        table = declared[name]
        measures = {column: (step if measure == CHOSEN_STEP else measure)
                    for column, measure in table.measures.items()}
        if any(m is None for m in measures.values()):
            raise KeyError(f"{publication}/{name}: the step compared is needed")
        out[name] = Part(frame, table.view, moment=table.moment,
                         within={f: (within or {})[f] for f in table.within},
                         measures={c: str(m) for c, m in measures.items()})
    return out


def publish(parts: Sequence[Part], audience: str) -> list[pd.DataFrame]:
    """Every part as ``audience`` sees it, in order, protected together.

    Method. Each part is protected as a view (:func:`protect_view`: primary
    suppression of 1-4, secondary suppression within the view, rounding to 5,
    rates from the published counts). Then, over the whole set:

    1. a cell suppressed in one part is suppressed in every part that shows the same
       people (same moment, measure and groups: a region in the comparison and in the
       funnel by region, the areas of a region drilled into with the region itself);
    2. an audit plays the intruder: with every published count (a rounded ``c`` is
       ``c - 2`` to ``c + 2``, at least 5; a ``[c]`` any whole number) and every sum a
       breakdown implies (a region is the sum of its areas; the regions sum to the
       total), an integer programme (``scipy.optimize.milp``) finds the smallest and
       largest value of each primary cell. Where one is pinned, the smallest unsuppressed
       cell sharing a sum with it is suppressed too (in every part), so no large group
       is hidden for a small neighbour; and the set is protected again.

    Only sums that hold for the true counts are used, so the audit never reasons from
    a false total (a breakdown that leaves some people out adds no constraint).

    Parameters
    ----------
    parts : sequence of Part
        Everything published together (one page, one pack, one command).
    audience : {"internal", "stakeholder"}

    Returns
    -------
    list of pandas.DataFrame
        The internal audience gets each frame unchanged.
    """
    if check_audience(audience) == INTERNAL:
        return [part.frame for part in parts]
    forced: list[dict[Hashable, np.ndarray]] = [{} for _ in parts]
    cells = [cell for number, part in enumerate(parts) for cell in _cells(number, part)]
    shown: list[pd.DataFrame] = []
    for _ in range(MAX_ROUNDS):
        shown = [protect_view(part.frame, part.spec, also_suppress=forced[i] or None)
                 for i, part in enumerate(parts)]
        values = _Values(shown)
        hidden = {c.identity for c in cells if _is_hidden(values, c)}
        spread = [c for c in cells if c.identity in hidden and not _is_hidden(values, c)]
        if not spread:
            neighbours = _pinned_neighbours(cells, values)
            spread = [c for c in cells if c.identity in neighbours]
        if not spread:
            return shown
        for c in spread:
            mask = forced[c.part].setdefault(c.column, np.zeros(len(parts[c.part].frame), dtype=bool))
            mask[c.row] = True
    return shown


@dataclass(frozen=True)
class _Cell:
    part: int
    row: int
    column: str
    identity: Identity
    own: tuple[str, ...]  # the group dimensions this part breaks the cell down by
    true: float


def _cells(number: int, part: Part) -> list[_Cell]:
    """Every count cell of a part with its identity.

    A count of a larger group repeated on each row (:attr:`ete_metrics.views.View.scoped`,
    a partner's region's figure) is a cell of that group: the same identity on every row.
    """
    view, frame = part.spec, part.frame
    keys = [k for k in view.keys if k in frame.columns]
    groups = [c for c in frame.columns
              if isinstance(rule := view.rule(str(c)), Label) and rule.additive
              and c not in keys and not (c == "group" and "characteristic" in keys)]
    out: list[_Cell] = []
    records = frame.to_dict("records")
    scoped = view.scoped
    for column in (c for c in (*view.counts, *scoped) if c in frame.columns):
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
        per = scoped.get(column)
        row_keys = keys if per is None else [k for k in keys if k in per]
        row_groups = groups if per is None else [g for g in per if g in frame.columns and g not in keys]
        for row, data in enumerate(records):
            measure: list[Hashable] = [part.measures.get(column, f"{view.name}:{column}")]
            where: dict[str, Hashable] = dict(part.within)
            own: list[str] = []
            for key in row_keys:
                if key == "step" and per is not None:  # a larger group's figure at each step
                    measure.append(("step", str(data["step"])))
                elif key == "step":
                    measure[0] = str(data["step"])
                elif key == "characteristic":
                    where[str(data["characteristic"])] = data["group"]
                    own.append(str(data["characteristic"]))
                else:
                    measure.append((key, data[key]))
            for g in row_groups:
                if view.total_label is None or data[g] != view.total_label:
                    where[str(g)] = data[g]
                    own.append(str(g))
            out.append(_Cell(number, row, str(column),
                             (part.moment, tuple(measure), frozenset(where.items())),
                             tuple(own), float(values[row])))
    return out


class _Values:
    """The published values of the parts' columns, read once as lists (not cell by cell)."""

    def __init__(self, shown: Sequence[pd.DataFrame]) -> None:
        self._shown = shown
        self._columns: dict[tuple[int, str], list[object]] = {}

    def of(self, cell: _Cell) -> object:
        key = (cell.part, cell.column)
        if key not in self._columns:
            self._columns[key] = self._shown[cell.part][cell.column].tolist()
        return self._columns[key][cell.row]


def _is_hidden(values: _Values, cell: _Cell) -> bool:
    value = values.of(cell)
    return isinstance(value, str) and value == SUPPRESSED


def _pinned_neighbours(cells: Sequence[_Cell], shown: _Values) -> set[Identity]:
    """Identities to suppress next: for each pinned primary, its smallest open neighbour."""
    index: dict[Identity, int] = {}
    truth: dict[int, float] = {}
    low: dict[int, float] = {}
    high: dict[int, float] = {}
    for c in cells:
        v = index.setdefault(c.identity, len(index))
        truth[v] = c.true
        value = shown.of(c)
        if not isinstance(value, (int, float, np.integer, np.floating)) or np.isnan(value):
            lo, hi = 0.0, _UNBOUNDED
        else:
            shown_count = float(value)
            lo, hi = (0.0, 0.0) if shown_count == 0 else (max(shown_count - 2, 5.0), shown_count + 2)
        low[v], high[v] = max(low.get(v, 0.0), lo), min(high.get(v, _UNBOUNDED), hi)
    sums: dict[Identity, set[int]] = {}
    for c in cells:
        moment, measure, where = c.identity
        for g in c.own:
            parent = (moment, measure, frozenset((k, x) for k, x in where if k != g))
            sums.setdefault(parent, set()).add(index[c.identity])
    lines: list[tuple[int, list[int]]] = []
    for parent, members in sums.items():
        total = sum(truth[m] for m in members)
        p = index.setdefault(parent, len(index))
        if truth.setdefault(p, total) == total:
            lines.append((p, sorted(members)))
    published = {index[c.identity] for c in cells}
    lines = _informative(lines, published)
    size = len(index)
    for v in range(size):
        low.setdefault(v, 0.0)
        high.setdefault(v, _UNBOUNDED)
    hidden = {index[c.identity] for c in cells if _is_hidden(shown, c)}
    primaries = sorted({index[c.identity] for c in cells
                        if 1 <= c.true < config.SUPPRESS_BELOW and index[c.identity] in hidden})
    chosen: set[Identity] = set()
    names = {v: identity for identity, v in index.items()}
    for v in primaries:
        component, own_lines = _component(v, lines)
        if not own_lines or not _pinned(v, component, own_lines, low, high):
            continue
        open_cells = [m for p, members in own_lines if v in (p, *members)
                      for m in (p, *members)
                      if m in published and m not in hidden and m != v and truth[m] > 0]
        if open_cells:
            best = min(open_cells, key=lambda m: (truth[m], m))
            chosen.add(names[best])
    return chosen


def _informative(lines: list[tuple[int, list[int]]], published: set[int]) -> list[tuple[int, list[int]]]:
    """The sums that say something: a sum whose total is published nowhere and used in no
    other sum leaves its parts free (an unknown total can be anything), so it is dropped
    (e.g. cohorts at a month since entry, whose sum over cohorts is never published)."""
    uses = Counter(v for p, members in lines for v in (p, *members))
    return [(p, members) for p, members in lines if p in published or uses[p] > 1]


def _component(v: int, lines: list[tuple[int, list[int]]]) -> tuple[list[int], list[tuple[int, list[int]]]]:
    """The variables and sums connected to ``v``."""
    seen, todo = {v}, [v]
    while todo:
        current = todo.pop()
        for p, members in lines:
            group = (p, *members)
            if current in group:
                for m in group:
                    if m not in seen:
                        seen.add(m)
                        todo.append(m)
    own = [(p, members) for p, members in lines if p in seen]
    return sorted(seen), own


def _pinned(v: int, component: list[int], lines: list[tuple[int, list[int]]],
            low: Mapping[int, float], high: Mapping[int, float]) -> bool:
    """True when the integer programme leaves ``v`` a single possible value."""
    # SciPy only here: a stakeholder publication with a suppressed cell to audit needs it
    from scipy.optimize import Bounds, LinearConstraint, milp

    at = {u: i for i, u in enumerate(component)}
    matrix = np.zeros((len(lines), len(component)))
    for row, (p, members) in enumerate(lines):
        matrix[row, at[p]] -= 1.0
        for m in members:
            matrix[row, at[m]] += 1.0
    bounds = Bounds(np.array([low[u] for u in component]), np.array([high[u] for u in component]))
    ends = []
    for sign in (1.0, -1.0):
        objective = np.zeros(len(component))
        objective[at[v]] = sign
        result = milp(objective, constraints=[LinearConstraint(matrix, 0.0, 0.0)], bounds=bounds,
                      integrality=np.ones(len(component)))
        if not result.success:
            return False
        ends.append(round(float(result.x[at[v]])))
    return ends[0] == ends[1]
