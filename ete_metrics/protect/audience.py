"""Audiences: what each metric view may show to stakeholders, protected in one place.

The dashboard and the command line have two audiences:

- ``internal`` — the programme team: every figure as computed.
- ``stakeholder`` — the Ministry of Justice, probation and partners: only what each
  view declares how to publish (:mod:`ete_metrics.views`: a rule per column), every
  count protected with :mod:`ete_metrics.protect.disclosure` (counts 1 to 4 suppressed
  as ``[c]`` with secondary suppression, other counts rounded to the nearest 5) and
  every other figure worked out again from the published counts
  (:mod:`ete_metrics.protect.policy`), no participant-level columns.

Fail closed: a column with no rule is dropped (and warns, :class:`UndeclaredColumn`,
which the suite turns into an error), a withheld column is dropped, a view for internal
use only is refused. :func:`protect_view` is the only function the dashboard and the
CLI call; charts are drawn from ``disclosure.numeric_view`` of its output.

Method: ONS / GSS *Disclosure control guidance for tables produced from
administrative sources* (2014), as implemented in :mod:`ete_metrics.protect.disclosure`.
A rate is blank where its published group size is below ``MIN_GROUP_FOR_RATE`` or its
numerator or group size is suppressed. Limits: see the disclosure module (single-table
secondary suppression; several tables published together:
:mod:`ete_metrics.protect.publication`); a cumulative series (targets to date) is
protected period by period, so differences between consecutive rounded totals are
bounded only by the rounding.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Iterable, Mapping

import numpy as np
import pandas as pd

from ete_metrics import config
from ete_metrics.errors import InputError
from ete_metrics.protect.disclosure import STAKEHOLDER_NOTE, protect_table
from ete_metrics.protect.policy import derive
from ete_metrics.views import FIRST_STEP, PREVIOUS_STEP, VIEWS, Label, View

__all__ = [
    "AUDIENCES",
    "AUDIENCE_LABELS",
    "INTERNAL",
    "STAKEHOLDER",
    "STAKEHOLDER_NOTE",
    "FIRST_STEP",
    "PREVIOUS_STEP",
    "View",
    "VIEWS",
    "check_audience",
    "check_stakeholder_scope",
    "limit_sizes",
    "protect_view",
    "present_view",
    "stakeholder_columns",
    "UndeclaredColumn",
]

INTERNAL = "internal"
STAKEHOLDER = "stakeholder"
#: The audiences, default first.
AUDIENCES: tuple[str, ...] = (INTERNAL, STAKEHOLDER)
#: Each audience in words (the sidebar's control, a workbook's cover).
AUDIENCE_LABELS: Mapping[str, str] = {
    INTERNAL: "Internal (all figures)", STAKEHOLDER: "Stakeholder (protected)",
}


#: Columns that identify groups whenever they are present (a ``by=`` breakdown).
BREAKDOWN_COLUMNS: tuple[str, ...] = (*config.GROUPING_COLUMNS, *config.COHORT_COLUMNS)

#: Columns never shown to stakeholders.
PARTICIPANT_LEVEL: tuple[str, ...] = ("participant_id", "example_ids")


def check_audience(audience: str) -> str:
    """Return ``audience`` if it is known, else raise :class:`InputError`.

    Parameters
    ----------
    audience : str
        ``"internal"`` or ``"stakeholder"``.

    Returns
    -------
    str
    """
    if audience not in AUDIENCES:
        raise InputError(
            f"Unknown audience {audience!r}: use one of {', '.join(AUDIENCES)}."
        )
    return audience


def check_stakeholder_scope(regions: Iterable[str] | None) -> tuple[str, ...] | None:
    """Return the regions of a stakeholder publication if it may be published, else refuse.

    Stakeholder figures are published for the whole programme or for one region. Each is
    rounded on its own, so a total of some regions (a pair), set beside the same regions'
    own figures and the programme's, narrows the true counts until some are exact: an
    intruder with integer programming pinned 106 counts on a crafted programme from the
    pairs' publications, and none without them (``tests/test_intruder_crafted.py``).

    Parameters
    ----------
    regions : iterable of str or None
        The regions the figures cover (None or empty: the whole programme).

    Returns
    -------
    tuple of str or None
        The regions, as a tuple (None for the whole programme).

    Raises
    ------
    InputError
        Several regions but not all of them.

    Examples
    --------
    >>> check_stakeholder_scope(["Wales"]), check_stakeholder_scope(None)
    (('Wales',), None)
    """
    chosen = tuple(dict.fromkeys(str(r) for r in regions or ()))
    if len(chosen) > 1 and not set(config.regions()) <= set(chosen):
        raise InputError(
            f"Stakeholder figures are published for the whole programme or for one region, not "
            f"for {', '.join(chosen)} together: a total of several regions, set beside each "
            "region's own published figures, would give exact counts back. Choose one region, "
            "or all of them."
        )
    return chosen or None


class UndeclaredColumn(UserWarning):
    """A view's frame has a column its view gives no rule: it is not shown to stakeholders.

    The suite turns this warning into an error (``pyproject.toml``), so a new column
    without a declaration fails a test before it can reach a stakeholder; at run time the
    column is dropped and this warning is logged.
    """


def stakeholder_columns(frame: pd.DataFrame, spec: View) -> list[str]:
    """The columns of ``frame`` a stakeholder may see, by the view's rules (warns of any
    column the view does not declare: it is dropped)."""
    undeclared = [str(c) for c in frame.columns if spec.rule(str(c)) is None]
    if undeclared:
        warnings.warn(UndeclaredColumn(
            f"The {spec.name!r} view declares no rule for {undeclared}: not shown to stakeholders. "
            "Declare how stakeholders get each column in ete_metrics/views.py."), stacklevel=3)
    return spec.published([str(c) for c in frame.columns])


def _publishable_view(kind: View | str) -> View:
    """The view ``kind`` names, if it may be shown to stakeholders (:func:`protect_view`):
    InputError for an unknown view, one for internal use only, or one laid out from
    published tables (those are protected instead)."""
    if isinstance(kind, View):
        spec = kind
    elif kind in VIEWS:
        spec = VIEWS[kind]
    else:
        raise InputError(f"No disclosure rules for the view {kind!r}; known: {sorted(VIEWS)}.")
    if spec.internal_only:
        raise InputError(
            f"The {spec.name!r} view is for internal use only: it is never shown to stakeholders."
        )
    if spec.composite:
        raise InputError(
            f"The {spec.name!r} view is laid out from published tables: protect those instead."
        )
    return spec


def protect_view(
    frame: pd.DataFrame,
    kind: View | str,
    *,
    min_group: int = config.MIN_GROUP_FOR_RATE,
    also_suppress: Mapping[Hashable, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Protect one metric view for stakeholders: fail closed, column by column.

    Method: only the columns the view declares a rule for are kept
    (:meth:`ete_metrics.views.View.rule`; a column with none, or withheld, is dropped).
    The counts are protected by :func:`ete_metrics.protect.disclosure.protect_table`
    (primary suppression of 1 to 4, secondary suppression along the view's additive
    groups, rounding to base 5; a count of a larger group repeated on each row, such as a
    partner's region, is protected once per group); modelled counts are rounded to whole
    numbers and protected as counts; then every other figure is worked out again from
    the published counts by its rule (:func:`ete_metrics.protect.policy.derive`):
    nothing but labels and figures of dates alone is read off the true frame.
    Participant-level columns (``participant_id``, ``example_ids``) are never kept.

    Parameters
    ----------
    frame : pandas.DataFrame
        The view as computed by :mod:`ete_metrics` (true counts). Not modified.
    kind : View or str
        The view (:mod:`ete_metrics.views`), or its name.
    min_group : int, default ``config.MIN_GROUP_FOR_RATE``
    also_suppress : mapping of count column to boolean array, optional
        Cells suppressed because the publication set suppresses them elsewhere
        (:func:`ete_metrics.protect.publication.publish`); row-aligned with ``frame``.

    Returns
    -------
    pandas.DataFrame
        A new frame of the published columns, in the frame's order: counts are object
        columns of rounded ``int`` or ``"[c]"``; rates are floats or ``"[c]"``.

    Raises
    ------
    InputError
        Unknown ``kind``, a view for internal use only or laid out from published
        tables, or the frame does not fit the view.
    """
    spec = _publishable_view(kind)
    keep = [c for c in stakeholder_columns(frame, spec) if c not in PARTICIPANT_LEVEL]
    source = frame[keep].copy()
    counts = [c for c in spec.counts if c in source.columns]
    groups = [c for c in source.columns if isinstance(rule := spec.rule(c), Label) and rule.additive]
    keys = [c for c in spec.keys if c in source.columns and c not in groups]
    if not counts:
        # no count of people to protect (a regional user's import history, whose whole-extract
        # row counts are never loaded): only its labels and dates, as they are
        labels = [c for c in source.columns if isinstance(spec.rule(c), Label)]
        return source[labels].reset_index(drop=True)
    count_input = source.copy()
    for column in counts:
        count_input[column] = count_input[column].astype(object).where(
            count_input[column].notna(), np.nan
        )
    total_label = spec.total_label
    if total_label is not None and not any((source[g] == total_label).any() for g in groups):
        total_label = None
    out = protect_table(
        count_input,
        count_columns=counts,
        group_columns=groups,
        key_columns=keys,
        total_row_label=total_label,
        totals_published=spec.totals_published,
        also_suppress={c: m for c, m in (also_suppress or {}).items() if c in counts} or None,
    )
    for column, per in spec.scoped.items():
        if column in source.columns:
            out[column] = _protect_scoped(source, column, per, (also_suppress or {}).get(column))
    step_by = [c for c in [*groups, *keys] if c != "step"]
    return derive(out, source, spec, step_by=step_by, min_group=min_group)


def _protect_scoped(source: pd.DataFrame, column: str, per: tuple[str, ...],
                    forced: np.ndarray | None) -> pd.Series:
    """A count of a larger group repeated on each row, protected once per group.

    The groups' values (the same on every row of a group) are protected as a table of
    their own, its groups adding up to a published total; a group suppressed anywhere in
    the publication (``forced`` on any of its rows) is suppressed on every row.
    """
    present = [c for c in per if c in source.columns]
    keys = (source[present].astype(object).apply(tuple, axis=1) if present
            else pd.Series([()] * len(source), index=source.index))
    values = pd.to_numeric(source[column], errors="coerce")
    first = ~keys.duplicated()
    table = source.loc[first, present].copy() if present else pd.DataFrame(index=source.index[first])
    table[column] = values[first].astype(object).where(values[first].notna(), np.nan)
    hide: dict[Hashable, np.ndarray] | None = None
    if forced is not None:
        forced_keys = set(keys[np.asarray(forced, dtype=bool)])
        hide = {column: np.array([k in forced_keys for k in keys[first]], dtype=bool)}
    shown = protect_table(table.reset_index(drop=True), count_columns=[column], group_columns=present,
                          also_suppress=hide)
    by_key = dict(zip(keys[first], shown[column], strict=True))
    return pd.Series([by_key[k] for k in keys], index=source.index, dtype=object)


def present_view(frame: pd.DataFrame, kind: View | str, audience: str) -> pd.DataFrame:
    """Return the view for ``audience``: unchanged for internal, :func:`protect_view` otherwise.

    Parameters
    ----------
    frame : pandas.DataFrame
        The view as computed (true counts). Not modified.
    kind : View or str
        The view (:mod:`ete_metrics.views`), or its name.
    audience : {"internal", "stakeholder"}

    Returns
    -------
    pandas.DataFrame
    """
    if check_audience(audience) == INTERNAL:
        return frame
    return protect_view(frame, kind)


def limit_sizes(
    shown_sizes: Iterable[float] | pd.Series,
    *,
    points: int = 120,
    base: int = config.ROUND_TO,
) -> np.ndarray:
    """Group sizes at which to draw funnel-plot control limits, from the sizes *shown*.

    The limit lines of a funnel plot are drawn over a range of group sizes, and
    their hover text names each size. Built from the raw largest group (as
    ``largest * 1.2``) the range would let a reader work back an unrounded
    count; built from the sizes as shown (rounded for stakeholders) and kept to
    multiples of ``base`` it reveals nothing more than the table does.

    Parameters
    ----------
    shown_sizes : iterable of float
        The group sizes as shown (``"[c]"`` already turned into NaN by
        :func:`ete_metrics.protect.disclosure.numeric_view`). NaN is ignored.
    points : int, default 120
        About how many sizes (geometrically spaced, so the curve is smooth where
        the limits are widest).
    base : int, default ``config.ROUND_TO`` (5)
        Every size is a multiple of ``base``, at least ``base``.

    Returns
    -------
    numpy.ndarray
        Increasing whole sizes from the smaller of 80% of the smallest shown size
        and 2% of the largest (so the limits do not flare over the whole chart),
        but at least ``base``, to at least 1.2 times the largest shown size.

    Examples
    --------
    >>> limit_sizes([4650, 2455], points=5).tolist()
    [90, 255, 710, 1990, 5580]
    """
    values = pd.to_numeric(pd.Series(list(shown_sizes), dtype=object), errors="coerce").dropna()
    values = values[values > 0]
    largest = float(values.max()) if len(values) else 0.0
    smallest = float(values.min()) if len(values) else 0.0
    top = max(float(base) * 2, largest * 1.2)
    start = max(float(base), min(smallest * 0.8, largest / 50))
    start = max(float(base), np.floor(start / base) * base)
    grid = np.geomspace(start, top, max(int(points), 2))
    sizes = np.unique(np.maximum(np.round(grid / base) * base, base).astype(np.int64))
    if sizes[-1] < top:
        sizes = np.append(sizes, int(np.ceil(top / base) * base))
    return sizes
