"""Audiences: what each metric view may show to stakeholders, protected in one place.

The dashboard and the command line have two audiences:

- ``internal`` — the programme team: every figure as computed.
- ``stakeholder`` — the Ministry of Justice, probation and partners: every count
  protected with :mod:`ete_metrics.protect.disclosure` (counts 1 to 4 suppressed as
  ``[c]`` with secondary suppression, other counts rounded to the nearest 5,
  rates blank for groups of fewer than 10), no participant-level columns.

Each metric's output is a *view*: :data:`VIEWS` records, per view, which
columns are counts of people, which are additive groups (so secondary
suppression knows the totals), which are non-additive keys (funnel step, date)
and which rates (and intervals, medians, gaps) go with which numerator and
group size. :func:`protect_view` is the only function the dashboard and the CLI
call; charts are drawn from ``disclosure.numeric_view`` of its output.

Method: ONS / GSS *Disclosure control guidance for tables produced from
administrative sources* (2014), as implemented in :mod:`ete_metrics.protect.disclosure`.
Group sizes for the rate rule are the *true* counts; a rate is also blank when
its numerator or group size is suppressed. Limits: see the disclosure module
(single-table secondary suppression); in addition a cumulative series (targets
to date) is protected period by period, so differences between consecutive
rounded totals are bounded only by the rounding. A cumulative-incidence curve
is first coarsened (:func:`coarsen_incidence`) so that each step it shows stands
for at least ``MIN_GROUP_FOR_RATE`` people.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping

import numpy as np
import pandas as pd

from ete_metrics import config
from ete_metrics.errors import InputError
from ete_metrics.protect.disclosure import STAKEHOLDER_NOTE, SUPPRESSED, protect_table
from ete_metrics.protect.policy import published_rates, step_relative
from ete_metrics.views import FIRST_STEP, PREVIOUS_STEP, VIEWS, View

__all__ = [
    "AUDIENCES",
    "INTERNAL",
    "STAKEHOLDER",
    "STAKEHOLDER_NOTE",
    "FIRST_STEP",
    "PREVIOUS_STEP",
    "View",
    "VIEWS",
    "check_audience",
    "coarsen_incidence",
    "limit_sizes",
    "protect_view",
    "present_view",
]

INTERNAL = "internal"
STAKEHOLDER = "stakeholder"
#: The audiences, default first.
AUDIENCES: tuple[str, ...] = (INTERNAL, STAKEHOLDER)


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


def _group_keys(frame: pd.DataFrame, groups: list[str], keys: list[str]) -> list[str]:
    """Columns identifying a funnel's group (everything but the step)."""
    return [c for c in [*groups, *keys] if c != "step"]


def protect_view(
    frame: pd.DataFrame,
    kind: View | str,
    *,
    min_group: int = config.MIN_GROUP_FOR_RATE,
    also_suppress: Mapping[Hashable, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Protect one metric view for stakeholders.

    Method: :func:`ete_metrics.protect.disclosure.protect_table` on the view's counts
    (primary suppression of 1 to 4, secondary suppression along the view's
    additive groups, rounding to base 5), then every rate-like column blanked
    (``"[c]"``) where its group has fewer than ``min_group`` people (true
    count) or its numerator or group size is suppressed (ONS / GSS 2014).
    Participant-level columns (``participant_id``, ``example_ids``) are dropped.

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
        A new frame: counts are object columns of rounded ``int`` or ``"[c]"``;
        rates are floats or ``"[c]"``; other columns unchanged.

    Raises
    ------
    InputError
        Unknown ``kind``, a view for internal use only, or the frame does not fit the view.
    """
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
    kind = spec.name
    source = frame.drop(columns=[c for c in PARTICIPANT_LEVEL if c in frame.columns])
    if kind == "incidence":
        source = coarsen_incidence(source, min_events=min_group)
    for column in spec.whole:
        if column in source.columns:
            source[column] = pd.to_numeric(source[column], errors="coerce").round().astype("Int64")
    counts = [c for c in (*spec.counts, *spec.whole) if c in source.columns]
    extra_groups = [c for c in BREAKDOWN_COLUMNS if c in source.columns and c not in spec.keys]
    groups = list(dict.fromkeys([*[c for c in spec.groups if c in source.columns], *extra_groups]))
    keys = [c for c in spec.keys if c in source.columns and c not in groups]
    if not counts:
        raise InputError(f"The {kind!r} view has none of its count columns {list(spec.counts)}.")
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
        also_suppress=also_suppress,
    )
    hidden = {
        c: np.fromiter((isinstance(v, str) and v == SUPPRESSED for v in out[c].to_numpy(dtype=object)),
                       dtype=bool, count=len(out))
        for c in counts
    }
    any_hidden = np.zeros(len(out), dtype=bool)
    for mask in hidden.values():
        any_hidden |= mask
    blanked: dict[str, np.ndarray] = {}
    step_by = _group_keys(source, groups, keys)
    # the first / previous step's size and whether it is hidden, once per kind of step
    # (a funnel's three rates from entry share them)
    relative: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for rate, (numerator, size) in spec.rates.items():
        if rate not in source.columns:
            continue
        if size in (FIRST_STEP, PREVIOUS_STEP):
            if size not in relative:
                base = pd.to_numeric(source["participants"], errors="coerce").astype(float)
                relative[size] = (
                    step_relative(source, base, step_by, size).to_numpy(dtype=float),
                    step_relative(source, pd.Series(hidden["participants"], index=source.index)
                                   .astype(float), step_by, size)
                    .fillna(0).to_numpy(dtype=float) > 0,
                )
            true_size, size_hidden = relative[size]
        elif size in source.columns:
            true_size = pd.to_numeric(source[size], errors="coerce").to_numpy(dtype=float)
            size_hidden = hidden.get(size, np.zeros(len(out), dtype=bool))
        else:
            raise InputError(f"The {kind!r} view needs the group size column {size!r} for {rate!r}.")
        numerator_hidden = hidden.get(numerator, any_hidden) if numerator else any_hidden
        blank = (np.isnan(true_size) | (true_size < min_group) | size_hidden | numerator_hidden)
        present = source[rate].notna().to_numpy(dtype=bool)
        blank &= present
        blanked[rate] = blank
        rate_values = out[rate].astype(object)
        rate_values[blank] = SUPPRESSED
        out[rate] = rate_values
    for name, rate in spec.derived.items():
        if name in out.columns and rate in blanked:
            values = out[name].astype(object)
            values[blanked[rate]] = SUPPRESSED
            out[name] = values
    return published_rates(out, source, spec, step_by=step_by, min_group=min_group)


def coarsen_incidence(frame: pd.DataFrame, *, min_events: int = config.MIN_GROUP_FOR_RATE) -> pd.DataFrame:
    """Keep only the steps of a cumulative-incidence curve that hold enough events.

    An exact curve reveals each day's events: the rise between two consecutive
    points times the number at risk is the count of people reaching the outcome
    in between, which may be 1 to 4 even when ``events`` itself is suppressed.
    This keeps, per group, the first row when nobody has reached the outcome
    yet, and then only rows where at least ``min_events`` people have reached it
    since the previous kept row; ``events`` on a kept row becomes that sum.
    Rows after the last such step are dropped, so the curve ends there. The
    rise between any two points shown then stands for ``min_events`` or more
    people.

    Parameters
    ----------
    frame : pandas.DataFrame
        Output of :func:`ete_metrics.metrics.cohorts.cumulative_incidence` (rows sorted by
        group then ``days_since_entry``). Not modified.
    min_events : int, default ``config.MIN_GROUP_FOR_RATE``
        Fewest people a step of the curve may stand for.

    Returns
    -------
    pandas.DataFrame
        A new frame with the same columns and a subset of the rows.
    """
    groups = [c for c in BREAKDOWN_COLUMNS if c in frame.columns]
    events = pd.to_numeric(frame["events"], errors="coerce").fillna(0).to_numpy(dtype="int64")
    if groups:
        codes = frame.groupby(groups, sort=False, dropna=False).ngroup().to_numpy()
    else:
        codes = np.zeros(len(frame), dtype="int64")
    keep = np.zeros(len(frame), dtype=bool)
    block = np.zeros(len(frame), dtype="int64")
    previous_code: int | None = None
    pending = 0
    started = False
    for position, code in enumerate(codes):
        if code != previous_code:
            previous_code, pending, started = int(code), 0, False
        pending += int(events[position])
        if not started and pending == 0:
            keep[position], block[position], started = True, 0, True
            continue
        started = True
        if pending >= min_events:
            keep[position], block[position] = True, pending
            pending = 0
    out = frame.loc[keep].copy()
    out["events"] = block[keep].astype("int64")
    return out.reset_index(drop=True)


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
