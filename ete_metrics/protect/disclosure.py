"""Statistical disclosure control for stakeholder outputs.

Every figure shown to the Ministry of Justice, probation or partners passes
through this module first. The method follows the ONS / Government Statistical
Service guidance *Disclosure control guidance for tables produced from
administrative sources* (GSS, October 2014):

- **Primary suppression.** A count from 1 to ``SUPPRESS_BELOW - 1`` (1 to 4) is
  replaced by the marker :data:`SUPPRESSED` (``"[c]"``, the GSS marker for
  "confidential").
- **Zeros.** A true zero is shown as 0 by default (``suppress_zero=False``). The
  guidance treats zeros as disclosive only where they reveal an attribute of a
  whole group (a "group disclosure", e.g. *everybody* in a prison went into
  work). Our counts are programme outcomes, not sensitive attributes, and a zero
  reveals nothing about any identifiable person, so zeros are shown; pass
  ``suppress_zero=True`` for outputs where that does not hold.
- **Secondary suppression.** A suppressed cell must not be recoverable by
  subtraction from a published total. In every additive *line* (a set of
  mutually exclusive groups whose total is published, either as a total row in
  the same table or elsewhere) the number of suppressed cells is 0 or at least
  2: when it is exactly 1 the smallest remaining non-zero cell of the line is
  suppressed too (a zero only when nothing else is left). Tables with several
  additive dimensions (cross-tabs) are swept line by line, rows first, and any
  line touched by a new suppression is checked again, until nothing changes.
  There, group cells are preferred to subtotals and totals, and a cell that
  also makes a crossing line safe is preferred to a smaller one that does not,
  which keeps the number of suppressions down. This is the "hypercube lite"
  heuristic; its limits are listed below.
- **Rounding.** Every count that is shown is rounded to the nearest multiple of
  ``ROUND_TO`` (5), halves up. Suppression decisions are made on the *true*
  counts; rounding is applied afterwards, to what is shown.
- **Rates.** A rate (or its interval) is not shown where the group has fewer
  than ``MIN_GROUP_FOR_RATE`` (10) people, or where its numerator or
  denominator is suppressed (either could be worked back from the rate and the
  other count).
- **No participant-level data.** A frame with a ``participant_id`` column is
  refused.

Limits of the secondary suppression heuristic
---------------------------------------------
- Each line is made safe on its own (0 or >= 2 suppressed cells). In tables
  with two or more additive dimensions this prevents recovery by one
  subtraction, but it is not a full linear-programming audit: in rare patterns
  a cell can still be bounded tightly, or recovered by combining several
  lines. The GSS guidance accepts this for routine administrative tables.
- A line made of a single cell whose total is published *elsewhere* cannot be
  protected inside this table; the heuristic avoids choosing such cells for
  secondary suppression when it has a choice.
- Cells that are missing (NaN) are neither shown nor suppressed and are left
  out of the lines.
- Funnel steps (entered, training, work) are nested, not additive: they are
  separate count columns and are never summed into each other. Describe other
  non-additive identifiers (a funnel step in long form, a date) with
  ``key_columns``.
- :func:`protect_table` computes nothing from counts; the views' rates are
  recomputed from the published (rounded) counts by
  :func:`ete_metrics.protect.policy.published_rates`, because a rate from the
  exact counts gives them back. Secondary suppression across several tables
  published together is :func:`ete_metrics.protect.publication.publish`.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np
import pandas as pd

from ete_metrics.config import MIN_GROUP_FOR_RATE, ROUND_TO, SUPPRESS_BELOW
from ete_metrics.errors import InputError
from ete_metrics.steps import SUPPRESSED

__all__ = [
    "SUPPRESSED",
    "STAKEHOLDER_NOTE",
    "DEFAULT_MARGIN_LABELS",
    "DisclosiveCell",
    "round_to_base",
    "protect_table",
    "protect_rates",
    "protect_crosstab",
    "find_disclosive_counts",
    "is_protected_frame",
    "numeric_view",
]

# SUPPRESSED, the marker shown in place of a suppressed figure, is a word of the
# vocabulary (ete_metrics.steps), so the metrics that carry it need not import protection.

#: The note every stakeholder page and export carries.
STAKEHOLDER_NOTE: str = (
    "Figures are rounded to the nearest 5 and counts below 5 are suppressed ([c]) "
    "to protect the people in them; rates are computed from the rounded figures and not shown "
    "for groups of fewer than 10."
)

#: Labels recognised as the margin (total) row or column of a cross-tab.
DEFAULT_MARGIN_LABELS: tuple[str, ...] = ("All", "Total")

#: Columns that would make a frame participant-level.
_PARTICIPANT_LEVEL_COLUMNS: tuple[str, ...] = ("participant_id",)


# --------------------------------------------------------------------------- rounding


@overload
def round_to_base(values: int, base: int = ...) -> int: ...
@overload
def round_to_base(values: pd.Series, base: int = ...) -> pd.Series: ...
@overload
def round_to_base(values: np.ndarray | Sequence[int], base: int = ...) -> np.ndarray: ...


def round_to_base(
    values: int | pd.Series | np.ndarray | Sequence[int], base: int = ROUND_TO
) -> int | pd.Series | np.ndarray:
    """Round counts to the nearest multiple of ``base``, halves rounded up.

    Method: rounding to base 5 as in the ONS / GSS *Disclosure control guidance
    for tables produced from administrative sources* (2014). In this module
    rounding is applied *after* the suppression decisions, which use the true
    counts.

    Parameters
    ----------
    values : int, sequence of int, numpy.ndarray or pandas.Series
        Non-negative whole counts. NaN is passed through (arrays and Series).
    base : int, default ``config.ROUND_TO`` (5)
        The rounding base; 1 leaves counts unchanged.

    Returns
    -------
    int, numpy.ndarray or pandas.Series
        The same shape as ``values``: an ``int`` for a scalar, an array for a
        sequence, a Series (same index and name) for a Series. Integer dtype
        unless NaN is present, then float.

    Raises
    ------
    InputError
        If ``base`` is not a positive whole number, or a value is negative or
        not a whole number.

    Examples
    --------
    7 -> 5, 8 -> 10, 12 -> 10, 13 -> 15, 1237 -> 1235; with base 10, 15 -> 20.
    """
    if isinstance(base, bool) or not isinstance(base, (int, np.integer)) or base < 1:
        raise InputError(f"The rounding base must be a whole number of at least 1, not {base!r}.")
    base = int(base)
    if isinstance(values, (bool, np.bool_)):
        raise InputError("round_to_base takes counts, not True/False.")
    if isinstance(values, (int, np.integer)):
        if values < 0:
            raise InputError(f"Counts cannot be negative; got {values}.")
        return int((int(values) + base // 2) // base * base)
    if isinstance(values, (float, np.floating)):
        raise InputError(
            f"round_to_base takes whole counts; got the decimal {values!r}. Round or count first."
        )
    if isinstance(values, pd.Series):
        rounded = _round_array(values.to_numpy(dtype=float, na_value=np.nan), base)
        return pd.Series(rounded, index=values.index, name=values.name)
    return _round_array(np.asarray(values, dtype=float), base)


def _round_array(arr: np.ndarray, base: int) -> np.ndarray:
    """Round a float array of whole counts (NaN allowed) to ``base``."""
    missing = np.isnan(arr)
    present = arr[~missing]
    if np.any(present < 0):
        raise InputError(f"Counts cannot be negative; got {present[present < 0][0]:g}.")
    if np.any(present != np.floor(present)):
        bad = present[present != np.floor(present)][0]
        raise InputError(f"round_to_base takes whole counts; got the decimal {bad!r}.")
    if not missing.any():
        whole = arr.astype(np.int64)
        return np.asarray((whole + base // 2) // base * base, dtype=np.int64)
    out = np.full(arr.shape, np.nan)
    out[~missing] = np.floor((present + base // 2) / base) * base
    return out


# --------------------------------------------------------------------------- core


@dataclass
class _Line:
    """An additive line: cells whose sum is published (``margin`` is the total cell, if shown)."""

    cells: list[int]
    margin: int | None
    constrained: bool


def _primary_mask(values: np.ndarray, suppress_below: int, suppress_zero: bool) -> np.ndarray:
    """Cells to suppress on their own: 1..suppress_below-1, and 0 when asked."""
    present = ~np.isnan(values)
    mask = present & (values >= 1) & (values < suppress_below)
    if suppress_zero:
        mask |= present & (values == 0)
    return mask


def _secondary_suppress(
    values: np.ndarray, suppressed: np.ndarray, lines: list[_Line]
) -> np.ndarray:
    """Add secondary suppressions until no constrained line has exactly one suppressed cell.

    A worklist of lines is processed; whenever a cell is newly suppressed, every
    line through it is checked again. Suppressions only ever increase, so this
    terminates. The cell chosen in a line is a remaining non-zero one (a zero only
    as a last resort), preferring in turn: cells that are not the only cell of
    a line whose total is published elsewhere (that total would reveal them);
    group cells over subtotals over the grand total (totals are the most used
    figures); cells that also make another unsafe line safe (fewer suppressions
    overall); the smallest; the first.
    """
    mask = suppressed.copy()
    present = ~np.isnan(values)
    lines_of: dict[int, list[int]] = {}
    pinned = np.zeros(values.shape, dtype=bool)
    margin_rank = np.zeros(values.shape, dtype=np.int64)
    for number, line in enumerate(lines):
        members = [c for c in line.cells if present[c]]
        line.cells = members
        if line.margin is not None and not present[line.margin]:
            line.margin = None
        if line.margin is not None:
            margin_rank[line.margin] += 1
        for cell in _line_members(line):
            lines_of.setdefault(cell, []).append(number)
        if line.constrained and line.margin is None and len(members) == 1:
            pinned[members[0]] = True

    pending = deque(range(len(lines)))
    queued = set(pending)
    while pending:
        number = pending.popleft()
        queued.discard(number)
        line = lines[number]
        if not line.constrained:
            continue
        members = _line_members(line)
        if sum(1 for c in members if mask[c]) != 1:
            continue
        candidates = [c for c in members if not mask[c]]
        if not candidates:
            continue  # a one-cell line with its total elsewhere: see module limits
        chosen = min(
            candidates,
            key=lambda c: (
                values[c] == 0,
                bool(pinned[c]),
                int(margin_rank[c]),
                -_lines_fixed(c, number, lines_of, lines, mask),
                values[c],
                c,
            ),
        )
        mask[chosen] = True
        for other in lines_of.get(chosen, []):
            if other not in queued:
                queued.add(other)
                pending.append(other)
    return mask


def _lines_fixed(
    cell: int, current: int, lines_of: Mapping[int, list[int]], lines: list[_Line], mask: np.ndarray
) -> int:
    """How many other constrained lines through ``cell`` suppressing it would also make safe."""
    fixed = 0
    for number in lines_of.get(cell, []):
        line = lines[number]
        if number == current or not line.constrained:
            continue
        if sum(1 for c in _line_members(line) if mask[c]) == 1:
            fixed += 1
    return fixed


def _line_members(line: _Line) -> list[int]:
    """The cells of a line including its margin cell."""
    if line.margin is None:
        return list(line.cells)
    return [*line.cells, line.margin]


def _count_values(frame: pd.DataFrame, column: Hashable) -> np.ndarray:
    """A count column as a float array (NaN for missing), validated."""
    series = frame[column]
    if isinstance(series, pd.DataFrame):
        raise InputError(
            f"The column {column!r} appears more than once; give columns unique names."
        )
    # one pass over the values for both checks (the marker is reported first)
    marked = flags = False
    for v in series.to_numpy(dtype=object):
        if isinstance(v, str):
            marked = marked or v.strip() == SUPPRESSED
        elif isinstance(v, (bool, np.bool_)):
            flags = True
    if marked:
        raise InputError(
            f"The column {column!r} is already protected (it holds {SUPPRESSED!r}); "
            "pass the true counts, not a protected table."
        )
    if flags:
        raise InputError(
            f"The column {column!r} holds True/False values; counts must be whole numbers."
        )
    numbers = pd.to_numeric(series, errors="coerce")
    bad = numbers.isna() & series.notna()
    if bad.any():
        raise InputError(
            f"The column {column!r} must hold whole-number counts; it holds {series[bad].iloc[0]!r}."
        )
    arr = numbers.to_numpy(dtype=float, na_value=np.nan)
    present = arr[~np.isnan(arr)]
    if np.any(present < 0) or np.any(present != np.floor(present)):
        raise InputError(
            f"The column {column!r} must hold non-negative whole-number counts "
            "(rates go in rate_columns)."
        )
    return arr


def _shown_counts(
    values: np.ndarray, mask: np.ndarray, round_to: int, index: pd.Index, name: Hashable
) -> pd.Series:
    """An object Series of rounded ints, ``SUPPRESSED`` for masked cells, NaN for missing."""
    shown: list[object] = []
    for value, hidden in zip(values, mask, strict=True):
        if hidden:
            shown.append(SUPPRESSED)
        elif np.isnan(value):
            shown.append(np.nan)
        else:
            shown.append(round_to_base(int(value), round_to))
    return pd.Series(shown, index=index, name=name, dtype=object)


def _check_thresholds(suppress_below: int, round_to: int, min_group: int) -> None:
    """Reject thresholds that are not non-negative whole numbers."""
    for name, value in (("suppress_below", suppress_below), ("min_group", min_group)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise InputError(f"{name} must be a whole number of 0 or more, not {value!r}.")
    if isinstance(round_to, bool) or not isinstance(round_to, (int, np.integer)) or round_to < 1:
        raise InputError(f"round_to must be a whole number of at least 1, not {round_to!r}.")


def _refuse_participant_level(frame: pd.DataFrame) -> None:
    """Refuse frames that carry one row per participant."""
    for column in _PARTICIPANT_LEVEL_COLUMNS:
        if column in frame.columns:
            raise InputError(
                f"Stakeholder outputs must not contain participant-level data; drop the {column!r} "
                "column and aggregate first."
            )


def _require_columns(frame: pd.DataFrame, columns: Iterable[Hashable], what: str) -> None:
    """Raise InputError naming any missing column."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"The {what} {missing} are not in the table; its columns are {list(frame.columns)}."
        )


# --------------------------------------------------------------------------- rates


def _rate_blank_mask(
    frame: pd.DataFrame,
    rate_columns: Sequence[Hashable],
    denominators: np.ndarray,
    denominator_hidden: np.ndarray,
    hidden: Mapping[Hashable, np.ndarray],
    numerator_columns: str | Mapping[Hashable, Hashable] | None,
    min_group: int,
) -> dict[Hashable, np.ndarray]:
    """For each rate column, the rows where it must not be shown."""
    small = np.isnan(denominators) | (denominators < min_group) | denominator_hidden
    any_hidden = np.zeros(len(frame), dtype=bool)
    for mask in hidden.values():
        any_hidden |= mask
    result: dict[Hashable, np.ndarray] = {}
    for rate in rate_columns:
        if numerator_columns is None:
            numerator_hidden = any_hidden
        else:
            numerator = (
                numerator_columns
                if isinstance(numerator_columns, str)
                else numerator_columns.get(rate)
            )
            if numerator is None:
                numerator_hidden = any_hidden
            elif numerator not in hidden:
                raise InputError(
                    f"The numerator {numerator!r} of the rate {rate!r} is not a count column of the table."
                )
            else:
                numerator_hidden = hidden[numerator]
        result[rate] = small | numerator_hidden
    return result


def _apply_rate_blanks(out: pd.DataFrame, blanks: Mapping[Hashable, np.ndarray]) -> None:
    """Write ``SUPPRESSED`` into the blanked rate cells of ``out`` (object columns)."""
    for rate, blank in blanks.items():
        column = out[rate].astype(object)
        column[blank] = SUPPRESSED
        out[rate] = column


def _hidden_in_protected(series: pd.Series, suppress_below: int) -> np.ndarray:
    """Cells of a (possibly already protected) count column that are or would be suppressed."""
    marked = series.map(lambda v: isinstance(v, str) and v.strip() == SUPPRESSED).to_numpy(
        dtype=bool
    )
    numbers = pd.to_numeric(series.where(~marked), errors="coerce").to_numpy(
        dtype=float, na_value=np.nan
    )
    small = ~np.isnan(numbers) & (numbers >= 1) & (numbers < suppress_below)
    return marked | small


def protect_rates(
    frame: pd.DataFrame,
    rate_columns: Sequence[Hashable],
    denominator_column: Hashable,
    min_group: int = MIN_GROUP_FOR_RATE,
    *,
    numerator_columns: str | Mapping[Hashable, Hashable] | None = None,
    suppress_below: int = SUPPRESS_BELOW,
) -> pd.DataFrame:
    """Blank rates (and their intervals) for small groups or suppressed counts.

    Method: ONS / GSS *Disclosure control guidance for tables produced from
    administrative sources* (2014): a rate is not shown where its group is
    small, nor where it would let a suppressed count be worked back
    (numerator = rate x denominator; denominator = numerator / rate).

    A rate cell is replaced by :data:`SUPPRESSED` where

    - the denominator is missing or below ``min_group`` (true count), or
    - the denominator is suppressed (``"[c]"``, or a count 1..``suppress_below``-1), or
    - its numerator is suppressed (same test). With ``numerator_columns=None``
      the numerator is not known, so the rate is blanked when *any* other cell
      in the row holds ``"[c]"`` (conservative).

    For a whole table use :func:`protect_table`, which knows the true
    denominators and the secondary suppressions; this function is for a frame
    of rates on their own or one that has been protected already.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rates and the counts behind them. Not modified.
    rate_columns : sequence of column labels
        Rates and interval bounds to protect.
    denominator_column : column label
        The group size (true count, or a protected one holding ``"[c]"``).
    min_group : int, default ``config.MIN_GROUP_FOR_RATE`` (10)
        Smallest group for which a rate is shown.
    numerator_columns : str or mapping, optional
        The numerator count column for every rate (a str), or per rate column
        (a mapping ``rate -> count column``).
    suppress_below : int, default ``config.SUPPRESS_BELOW`` (5)
        Counts from 1 to ``suppress_below - 1`` count as suppressed.

    Returns
    -------
    pandas.DataFrame
        A copy with the rate columns as object dtype: floats or ``"[c]"``.

    Raises
    ------
    InputError
        If a named column is missing or a threshold is invalid.
    """
    _check_thresholds(suppress_below, ROUND_TO, min_group)
    rate_columns = list(rate_columns)
    _require_columns(frame, [*rate_columns, denominator_column], "rate and denominator columns")
    if isinstance(numerator_columns, str):
        numerators: list[Hashable] = [numerator_columns]
    elif numerator_columns is None:
        numerators = [c for c in frame.columns if c not in rate_columns and c != denominator_column]
    else:
        numerators = list(dict.fromkeys(numerator_columns.values()))
    _require_columns(frame, numerators, "numerator columns")

    denominator_series = frame[denominator_column]
    denominator_hidden = _hidden_in_protected(denominator_series, suppress_below)
    denominators = pd.to_numeric(
        denominator_series.where(~denominator_hidden), errors="coerce"
    ).to_numpy(dtype=float, na_value=np.nan)
    if numerator_columns is None:
        # Only the "[c]" markers say a count was suppressed; other columns may be labels.
        hidden = {
            c: frame[c]
            .map(lambda v: isinstance(v, str) and v.strip() == SUPPRESSED)
            .to_numpy(dtype=bool)
            for c in numerators
        }
    else:
        hidden = {c: _hidden_in_protected(frame[c], suppress_below) for c in numerators}
    blanks = _rate_blank_mask(
        frame, rate_columns, denominators, denominator_hidden, hidden, numerator_columns, min_group
    )
    out = frame.copy()
    _apply_rate_blanks(out, blanks)
    return out


# --------------------------------------------------------------------------- tables


def protect_table(
    frame: pd.DataFrame,
    *,
    count_columns: Sequence[Hashable],
    group_columns: Sequence[Hashable] = (),
    rate_columns: Sequence[Hashable] = (),
    denominator_column: Hashable | None = None,
    total_row_label: Hashable | None = None,
    totals_published: bool = True,
    key_columns: Sequence[Hashable] = (),
    rate_numerators: str | Mapping[Hashable, Hashable] | None = None,
    suppress_below: int = SUPPRESS_BELOW,
    round_to: int = ROUND_TO,
    min_group: int = MIN_GROUP_FOR_RATE,
    suppress_zero: bool = False,
    also_suppress: Mapping[Hashable, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Protect a tidy table of counts (and rates) for stakeholders.

    Method: ONS / GSS *Disclosure control guidance for tables produced from
    administrative sources* (2014) — primary suppression of counts 1 to 4,
    secondary suppression so no suppressed cell can be worked back from a
    total, rounding to base 5 of every count shown (after the suppression
    decisions, which use true counts), and no rates for groups under 10.

    **Additive lines.** ``group_columns`` name mutually exclusive, exhaustive
    categories (region, partner, gender...). For each group column ``g`` and
    each count column, the rows that agree on every *other* group column (and on
    ``key_columns``) form a line whose sum is a total. A row whose ``g`` equals
    ``total_row_label`` is that line's total cell (also protected). A line is
    constrained — must end with 0 or >= 2 suppressed cells — when it has a total
    row in the table or when ``totals_published`` is true (its total is shown
    elsewhere, e.g. the headline figure). With several group columns the lines
    are swept until stable (see the module notes for the limits).

    Count columns are never added to each other: funnel steps (entered >=
    training >= work) are nested, and knowing two of them never gives a third.
    With no ``group_columns`` only primary suppression applies.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per group; true (unprotected) counts. Not modified.
    count_columns : sequence of column labels
        Count columns to protect. The ``denominator_column`` is protected too.
    group_columns : sequence of column labels, default ()
        Additive grouping columns (see above).
    rate_columns : sequence of column labels, default ()
        Rates and interval bounds; blanked as in :func:`protect_rates`.
    denominator_column : column label, optional
        Group size behind the rates; required when ``rate_columns`` is given.
    total_row_label : hashable, optional
        The label ("All", "Total"...) marking total rows in the group columns.
    totals_published : bool, default True
        Treat every line's total as published even without a total row.
    key_columns : sequence of column labels, default ()
        Non-additive identifiers (funnel step in long form, as_of date...);
        lines never cross them.
    rate_numerators : str or mapping, optional
        Numerator count column of every rate (str) or per rate. When omitted a
        rate is blanked if any count in its row is suppressed.
    suppress_below : int, default ``config.SUPPRESS_BELOW`` (5)
    round_to : int, default ``config.ROUND_TO`` (5)
    min_group : int, default ``config.MIN_GROUP_FOR_RATE`` (10)
    suppress_zero : bool, default False
        Also suppress true zeros (see the module notes for why they are shown).
    also_suppress : mapping of count column to boolean array, optional
        Cells to suppress as well as the primary ones (rows where the array is
        True), before the secondary suppression: the cells a publication set
        (:mod:`ete_metrics.protect.publication`) suppresses in another table.

    Returns
    -------
    pandas.DataFrame
        A new frame, same index and columns. Count columns are object dtype
        holding ``int`` (rounded) or ``"[c]"`` (NaN stays NaN); rate columns
        hold floats or ``"[c]"``; other columns are unchanged.

    Raises
    ------
    InputError
        If a column is missing, a count is not a non-negative whole number, the
        frame is participant-level or already protected, or rows are not unique
        by ``group_columns`` + ``key_columns``.
    """
    _check_thresholds(suppress_below, round_to, min_group)
    _refuse_participant_level(frame)
    count_columns = list(dict.fromkeys(count_columns))
    group_columns = list(group_columns)
    key_columns = list(key_columns)
    rate_columns = list(rate_columns)
    if denominator_column is not None and denominator_column not in count_columns:
        count_columns.append(denominator_column)
    if rate_columns and denominator_column is None:
        raise InputError("Rates need their group size: name the denominator_column.")
    if not count_columns:
        raise InputError("Name at least one count column to protect (count_columns).")
    _require_columns(frame, count_columns, "count columns")
    _require_columns(frame, group_columns, "group columns")
    _require_columns(frame, key_columns, "key columns")
    _require_columns(frame, rate_columns, "rate columns")
    overlap = set(count_columns) & (set(rate_columns) | set(group_columns) | set(key_columns))
    if overlap:
        raise InputError(
            f"The columns {sorted(map(str, overlap))} are named in two roles; name each once."
        )

    n_rows = len(frame)
    n_cols = len(count_columns)
    values = np.empty(n_rows * n_cols, dtype=float)
    for j, column in enumerate(count_columns):
        values[j * n_rows : (j + 1) * n_rows] = _count_values(frame, column)

    lines = _table_lines(
        frame, group_columns, key_columns, total_row_label, totals_published, n_cols
    )
    mask = _primary_mask(values, suppress_below, suppress_zero)
    for j, column in enumerate(count_columns):
        extra = (also_suppress or {}).get(column)
        if extra is not None:
            cells = slice(j * n_rows, (j + 1) * n_rows)
            mask[cells] |= np.asarray(extra, dtype=bool) & ~np.isnan(values[cells])
    mask = _secondary_suppress(values, mask, lines)

    out = frame.copy()
    hidden: dict[Hashable, np.ndarray] = {}
    for j, column in enumerate(count_columns):
        part = slice(j * n_rows, (j + 1) * n_rows)
        hidden[column] = mask[part]
        out[column] = _shown_counts(values[part], mask[part], round_to, frame.index, column)

    if rate_columns:
        assert denominator_column is not None
        j = count_columns.index(denominator_column)
        denominators = values[j * n_rows : (j + 1) * n_rows]
        numerators: dict[Hashable, np.ndarray] = {
            c: m for c, m in hidden.items() if c != denominator_column
        }
        blanks = _rate_blank_mask(
            frame,
            rate_columns,
            denominators,
            hidden[denominator_column],
            numerators,
            rate_numerators,
            min_group,
        )
        _apply_rate_blanks(out, blanks)
    return out


def _table_lines(
    frame: pd.DataFrame,
    group_columns: list[Hashable],
    key_columns: list[Hashable],
    total_row_label: Hashable | None,
    totals_published: bool,
    n_cols: int,
) -> list[_Line]:
    """The additive lines of a tidy table, as flat cell numbers ``column * n_rows + row``."""
    n_rows = len(frame)
    if not group_columns or n_rows == 0:
        return []
    identifiers = [*group_columns, *key_columns]
    duplicated = frame.duplicated(subset=identifiers, keep=False)
    if duplicated.any():
        example = frame.loc[duplicated, identifiers].iloc[0].to_dict()
        raise InputError(
            f"Rows are not unique by {identifiers} (e.g. {example}); name the other identifying "
            "columns in key_columns so additive groups can be told apart."
        )
    positions = np.arange(n_rows)
    row_sets: list[tuple[list[int], int | None]] = []
    for g in group_columns:
        others = [c for c in identifiers if c != g]
        is_margin = (
            (frame[g] == total_row_label).to_numpy(dtype=bool)
            if total_row_label is not None
            else np.zeros(n_rows, dtype=bool)
        )
        if others:
            keys = frame[others].astype(object).where(frame[others].notna(), "\x00missing")
            groups = keys.groupby(others, sort=False, dropna=False).indices.values()
            row_groups = [np.asarray(rows) for rows in groups]
        else:
            row_groups = [positions]
        for rows in row_groups:
            margins = [int(r) for r in rows if is_margin[r]]
            cells = [int(r) for r in rows if not is_margin[r]]
            margin = margins[0] if margins else None
            row_sets.append((cells, margin))
    lines: list[_Line] = []
    for j in range(n_cols):
        offset = j * n_rows
        for cells, margin in row_sets:
            constrained = totals_published or margin is not None
            if not cells or not constrained:
                continue
            lines.append(
                _Line(
                    cells=[offset + r for r in cells],
                    margin=None if margin is None else offset + margin,
                    constrained=True,
                )
            )
    return lines


def protect_crosstab(
    table: pd.DataFrame,
    *,
    margin_labels: Sequence[Hashable] = DEFAULT_MARGIN_LABELS,
    totals_published: bool = True,
    suppress_below: int = SUPPRESS_BELOW,
    round_to: int = ROUND_TO,
    suppress_zero: bool = False,
) -> pd.DataFrame:
    """Protect a two-way table of counts with margins (``pd.crosstab(..., margins=True)``).

    Method: ONS / GSS *Disclosure control guidance for tables produced from
    administrative sources* (2014): primary suppression of counts 1 to 4,
    secondary suppression so that every row and every column (each with its
    margin) has 0 or at least 2 suppressed cells — rows and columns are swept
    until nothing changes (the "hypercube lite" heuristic; see the module notes
    for its limits) — then every shown count is rounded to base 5.

    Parameters
    ----------
    table : pandas.DataFrame
        Rows x columns of true counts. The row and the column whose label is in
        ``margin_labels`` are the totals (either may be absent). Not modified.
    margin_labels : sequence of labels, default ("All", "Total")
        Labels of the margin row and column.
    totals_published : bool, default True
        Treat the sums of rows/columns that have no margin in the table as
        published elsewhere.
    suppress_below, round_to, suppress_zero
        As in :func:`protect_table`.

    Returns
    -------
    pandas.DataFrame
        Same labels; every cell object dtype holding ``int`` (rounded) or ``"[c]"``.

    Raises
    ------
    InputError
        If the table has MultiIndex labels (use :func:`protect_table` on the tidy
        form) or a cell is not a non-negative whole count.
    """
    _check_thresholds(suppress_below, round_to, 0)
    if isinstance(table.index, pd.MultiIndex) or isinstance(table.columns, pd.MultiIndex):
        raise InputError(
            "protect_crosstab takes a flat two-way table; for several grouping levels use "
            "protect_table on the tidy form with group_columns."
        )
    if table.columns.has_duplicates or table.index.has_duplicates:
        raise InputError("The cross-tab has repeated row or column labels; make them unique.")
    margins = set(margin_labels)
    n_rows, n_cols = table.shape
    values = np.empty(n_rows * n_cols, dtype=float)
    for j, column in enumerate(table.columns):
        values[j * n_rows : (j + 1) * n_rows] = _count_values(table, column)

    margin_row = next((i for i, label in enumerate(table.index) if label in margins), None)
    margin_col = next((j for j, label in enumerate(table.columns) if label in margins), None)

    def cell(i: int, j: int) -> int:
        return j * n_rows + i

    lines: list[_Line] = []
    for i in range(n_rows):  # each row, across the columns
        constrained = totals_published or margin_col is not None
        cells = [cell(i, j) for j in range(n_cols) if j != margin_col]
        if cells and constrained:
            lines.append(_Line(cells, None if margin_col is None else cell(i, margin_col), True))
    for j in range(n_cols):  # each column, down the rows
        constrained = totals_published or margin_row is not None
        cells = [cell(i, j) for i in range(n_rows) if i != margin_row]
        if cells and constrained:
            lines.append(_Line(cells, None if margin_row is None else cell(margin_row, j), True))

    mask = _primary_mask(values, suppress_below, suppress_zero)
    mask = _secondary_suppress(values, mask, lines)
    out = pd.DataFrame(index=table.index, columns=table.columns, dtype=object)
    for j, column in enumerate(table.columns):
        part = slice(j * n_rows, (j + 1) * n_rows)
        out.isetitem(
            j,
            _shown_counts(values[part], mask[part], round_to, table.index, column).to_numpy(
                dtype=object
            ),
        )
    return out


# --------------------------------------------------------------------------- scanning


@dataclass(frozen=True)
class DisclosiveCell:
    """A cell that shows a count small enough to need suppression.

    Attributes
    ----------
    row : hashable
        The row's index label.
    column : hashable
        The column label.
    value : object
        The value as found (e.g. ``3`` or ``"3"``).
    """

    row: Hashable
    column: Hashable
    value: Any


_COUNT_TEXT = re.compile(r"^\+?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.0+)?$")


def _as_count(value: object) -> int | None:
    """The whole number a cell shows, or None when it does not look like a count."""
    if value is None or isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        if np.isnan(value) or not float(value).is_integer():
            return None
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if _COUNT_TEXT.match(text):
            return int(float(text.lstrip("+").replace(",", "")))
    return None


def find_disclosive_counts(
    frame: pd.DataFrame,
    *,
    ignore_columns: Iterable[Hashable] = (),
    suppress_below: int = SUPPRESS_BELOW,
) -> list[DisclosiveCell]:
    """Find every cell that shows a count from 1 to ``suppress_below - 1``.

    The check behind every stakeholder output (ONS / GSS *Disclosure control
    guidance for tables produced from administrative sources*, 2014: no count
    of 1 to 4 may be shown). Every cell of every column is looked at: integers,
    whole-number floats, and text that reads as a whole number (``"3"``,
    ``" 4 "``, ``"1,234"``, ``"2.0"``). ``"[c]"``, zeros, rates with a decimal
    part, percentages (``"3.0%"``), dates and labels are not counts.

    Parameters
    ----------
    frame : pandas.DataFrame
        The output to check.
    ignore_columns : iterable of column labels, default ()
        Columns that hold small whole numbers that are not counts (a quarter
        number 1..4, a percentage stored as a float).
    suppress_below : int, default ``config.SUPPRESS_BELOW`` (5)

    Returns
    -------
    list of DisclosiveCell
        In column order then row order; empty when the frame is safe.
    """
    ignored = set(ignore_columns)
    found: list[DisclosiveCell] = []
    for j, column in enumerate(frame.columns):
        if column in ignored:
            continue
        series = frame.iloc[:, j]
        for row, value in zip(series.index, series.to_numpy(dtype=object), strict=True):
            count = _as_count(value)
            if count is not None and 1 <= count < suppress_below:
                found.append(DisclosiveCell(row=row, column=column, value=value))
    return found


def is_protected_frame(
    frame: pd.DataFrame,
    *,
    ignore_columns: Iterable[Hashable] = (),
    suppress_below: int = SUPPRESS_BELOW,
) -> bool:
    """Return True when no cell shows a count from 1 to ``suppress_below - 1``.

    See :func:`find_disclosive_counts`, which lists the offending cells.

    Parameters
    ----------
    frame : pandas.DataFrame
        The output to check.
    ignore_columns : iterable of column labels, default ()
        Columns that are not counts.
    suppress_below : int, default ``config.SUPPRESS_BELOW`` (5)

    Returns
    -------
    bool
    """
    return not find_disclosive_counts(
        frame, ignore_columns=ignore_columns, suppress_below=suppress_below
    )


def numeric_view(protected: pd.DataFrame) -> pd.DataFrame:
    """A numeric copy of a protected frame, for charts: ``"[c]"`` becomes NaN.

    Columns whose every value is a number, NaN or ``"[c]"`` become float64;
    other columns (labels, dates) are unchanged. Charts drawn from this view
    show only the protected (rounded) figures.

    Parameters
    ----------
    protected : pandas.DataFrame
        Output of :func:`protect_table`, :func:`protect_crosstab` or
        :func:`protect_rates`. Not modified.

    Returns
    -------
    pandas.DataFrame
        A new frame with the same index and columns.
    """
    out = protected.copy()
    for j in range(out.shape[1]):
        series = out.iloc[:, j]
        if pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
            continue
        values = series.to_numpy(dtype=object)
        convertible = all(
            _is_missing(v)
            or (isinstance(v, str) and v.strip() == SUPPRESSED)
            or (
                isinstance(v, (int, float, np.integer, np.floating))
                and not isinstance(v, (bool, np.bool_))
            )
            for v in values
        )
        has_marker = any(isinstance(v, str) and v.strip() == SUPPRESSED for v in values)
        has_number = any(
            isinstance(v, (int, float, np.integer, np.floating))
            and not isinstance(v, (bool, np.bool_))
            for v in values
        )
        if not convertible or not (has_marker or has_number):
            continue
        numbers = [np.nan if _is_missing(v) or isinstance(v, str) else float(v) for v in values]
        out.isetitem(j, np.asarray(numbers, dtype="float64"))
    return out


def _is_missing(value: object) -> bool:
    """True for None, NaN, NaT and pandas NA."""
    try:
        return bool(pd.isna(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False
