"""The programme funnel: entered -> into training -> into work (-> sustained work).

Definitions (the same as :mod:`ete_metrics.counting.population`):

- **Population**: participants with ``entry_date <= as_of`` (and
  ``date_from <= entry_date <= date_to`` when given).
- A **milestone counts** when ``entry_date <= date <= as_of``. *training* = at least one
  counted ``training_start``; *work* = at least one counted ``job_start``; *sustained* =
  at least one counted ``job_sustained``. Each participant is counted once per step,
  however many milestones they have.
- **Window** of N days: only participants with ``entry_date + N days <= as_of``, and a
  milestone counts only when ``date <= entry_date + N days`` (both inclusive).
- **Ordered**: work counts only for a participant with training and a counted
  ``job_start`` on or after their first counted ``training_start`` (the same day counts);
  sustained work only with that work. The order is the vocabulary's
  (:attr:`ete_metrics.steps.Step.after`), and so are the steps: a step added to
  :data:`ete_metrics.steps.STEPS` is counted here from its milestone.

The population and the counted milestones come from the shared rules
(:func:`ete_metrics.counting.population.population_rows` and
:func:`~ete_metrics.counting.population.counted_events`); the steps are then counted on
integer row positions and group codes with numpy, so a million participants take a
fraction of a second.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ete_metrics import steps as vocabulary
from ete_metrics.counting.intervals import wilson_interval
from ete_metrics.counting.parallel import beside
from ete_metrics.counting.population import (
    NAT,
    counted_events,
    date_values,
    first_per_row,
    validate_by,
    window_ns,
)
from ete_metrics.counting.scope import Scope
from ete_metrics.errors import InputError

#: Label for a missing grouping value.
NOT_RECORDED = "Not recorded"

#: Columns of :func:`funnel` and :func:`referral_funnel` after the grouping keys.
FUNNEL_COLUMNS: tuple[str, ...] = (
    "step",
    "participants",
    "rate_from_entry",
    "rate_from_previous",
    "ci_low",
    "ci_high",
)

@dataclass(frozen=True)
class StepCounts:
    """Per-participant outcome flags of a population (internal building block).

    Attributes
    ----------
    positions : numpy.ndarray
        Row positions (in the participants frame) of the population.
    codes : numpy.ndarray
        Group code of each population member, ``0 .. len(groups) - 1``.
    groups : pandas.DataFrame
        One row per code with the grouping keys' labels (no index meaning).
    flags : dict of str to numpy.ndarray of bool
        For each step, whether each population member reached it.
    """

    positions: np.ndarray
    codes: np.ndarray
    groups: pd.DataFrame
    flags: dict[str, np.ndarray]


def _cohort_codes(entry: np.ndarray, key: str) -> tuple[np.ndarray, np.ndarray]:
    """Integer cohort codes and their labels for int64-ns entry dates (none missing)."""
    months = entry.astype("datetime64[ns]").astype("datetime64[M]").astype(np.int64)
    year, month = months // 12 + 1970, months % 12 + 1
    if key == "entry_month":
        number = months
    elif key == "entry_quarter":
        number = year * 4 + (month - 1) // 3
    else:  # entry_fy: the financial year starting in April
        number = year - (month < 4)
    uniques, codes = np.unique(number, return_inverse=True)
    if key == "entry_month":
        labels = [f"{u // 12 + 1970:04d}-{u % 12 + 1:02d}" for u in uniques]
    elif key == "entry_quarter":
        labels = [f"{u // 4:04d}-Q{u % 4 + 1}" for u in uniques]
    else:
        labels = [f"{u:04d}-{(u + 1) % 100:02d}" for u in uniques]
    return codes.astype(np.int64), np.array(labels, dtype=object)


def _column_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (labels sorted) for a column; missing values are "Not recorded"."""
    codes, uniques = pd.factorize(values, sort=False, use_na_sentinel=True)
    labels = np.asarray(uniques, dtype=object).astype(str)
    if (codes < 0).any():
        labels = np.append(labels, NOT_RECORDED)
        codes = np.where(codes < 0, len(labels) - 1, codes)
    # merge a literal "Not recorded" with the missing values, then sort the labels
    ordered, inverse = np.unique(labels.astype(str), return_inverse=True)
    return inverse[codes].astype(np.int64), ordered.astype(object)


def group_codes(
    participants: pd.DataFrame, positions: np.ndarray, entry: np.ndarray, keys: Sequence[str]
) -> tuple[np.ndarray, pd.DataFrame]:
    """Combined group code of each population member and the label table.

    Parameters
    ----------
    participants : pandas.DataFrame
        All participants.
    positions : numpy.ndarray
        Row positions of the population in ``participants``.
    entry : numpy.ndarray
        ``entry_date`` of the population as int64 nanoseconds (cohort keys use it).
    keys : sequence of str
        Validated grouping keys.

    Returns
    -------
    (numpy.ndarray, pandas.DataFrame)
        Codes ``0 .. G-1`` (sorted by the labels of the keys in order) and a frame with one
        row per code, columns ``keys``.
    """
    if not keys:
        return np.zeros(len(positions), dtype=np.int64), pd.DataFrame(index=range(1))
    combined = np.zeros(len(positions), dtype=np.int64)
    label_sets: list[np.ndarray] = []
    for key in keys:
        if key in ("entry_month", "entry_quarter", "entry_fy"):
            known = entry != NAT
            codes = np.zeros(len(positions), dtype=np.int64)
            labels = np.array([], dtype=object)
            if known.any():
                codes[known], labels = _cohort_codes(entry[known], key)
            if not known.all():
                labels = np.append(labels, NOT_RECORDED)
                codes[~known] = len(labels) - 1
        else:
            if key not in participants.columns:
                raise InputError(f"Cannot group by {key!r}: the participants have no such column.")
            codes, labels = _column_codes(participants[key].iloc[positions])
        combined = combined * max(len(labels), 1) + codes
        label_sets.append(labels)
    # compact the combined codes to 0 .. G-1 in order: by counting when their range is
    # small against the population (quicker than sorting), else by sorting
    span = int(np.prod([max(len(labels), 1) for labels in label_sets], dtype=np.float64))
    if len(combined) and span <= max(4 * len(combined), 65_536):
        uniques = np.flatnonzero(np.bincount(combined, minlength=span))
        number = np.zeros(span, dtype=np.int64)
        number[uniques] = np.arange(len(uniques))
        compact = number[combined]
    else:
        uniques, compact = np.unique(combined, return_inverse=True)
    groups = {}
    remainder = uniques.copy()
    for key, labels in zip(reversed(keys), reversed(label_sets), strict=True):
        size = max(len(labels), 1)
        groups[key] = labels[remainder % size] if len(labels) else np.array([], dtype=object)
        remainder = remainder // size
    frame = pd.DataFrame({key: pd.Series(groups[key], dtype=object) for key in keys})
    return compact.astype(np.int64), frame


def _entered(
    scope: Scope, positions: np.ndarray, anchor_at: np.ndarray, anchor: str
) -> tuple[np.ndarray, np.ndarray]:
    """Entry dates of the population (int64 ns) and whether each member is entered.

    Entry-anchored, everyone is entered; referral-anchored, a referral is entered when
    ``referral_date <= entry_date <= as_of`` (and within the window of referral).
    """
    if anchor == "entry_date":
        return anchor_at, np.ones(len(positions), dtype=bool)
    entry = date_values(scope.participants["entry_date"])[positions]
    entered = (entry != NAT) & (entry >= anchor_at) & (entry <= scope.as_of.value)
    window = window_ns(scope.window_days)
    if window is not None:
        entered &= entry <= anchor_at + window
    return entry, entered


def _ordered(
    flags: dict[str, np.ndarray], steps: Sequence[str], rows: np.ndarray, kind_of: np.ndarray,
    dates: np.ndarray,
) -> None:
    """Make each step count only after the one the vocabulary puts first (``Step.after``).

    A step marked ``on_or_after`` (work) needs a counted milestone on or after the first
    counted milestone of the step before (training); every step then also needs the step
    before, so the ordered funnel nests. ``flags`` is changed in place.
    """
    size = len(flags[vocabulary.ENTERED.name])
    for number, step in enumerate(steps):
        before = vocabulary.find_step(step).after
        if before is None or before not in flags:
            continue
        if vocabulary.find_step(step).on_or_after:  # work: a job start on or after training
            is_before = kind_of == steps.index(before)
            first = first_per_row(rows[is_before], dates[is_before], size)
            is_step = kind_of == number
            step_rows = rows[is_step]
            after = first[step_rows]
            flag = np.zeros(size, dtype=bool)
            flag[step_rows[(after != NAT) & (dates[is_step] >= after)]] = True
            flags[step] = flag
        # an ordered funnel nests: sustained work counts only after (ordered) work
        flags[step] = flags[step] & flags[before]


def step_flags(
    scope: Scope,
    *,
    by: str | Iterable[str] | None = (),
    ordered: bool = False,
    include_sustained: bool = False,
    anchor: str = "entry_date",
) -> StepCounts:
    """Which population members reached each step (the engine behind the funnels).

    With ``anchor="entry_date"`` this is the funnel population and steps ``entered``,
    ``training``, ``work`` (and ``sustained``). With ``anchor="referral_date"`` the
    population is the referrals (``referral_date <= as_of``, the scope's entry range and
    window on ``referral_date``) and the steps are ``referred``, ``entered``
    (``referral_date <= entry_date <= as_of``, within the window of referral),
    ``training``, ``work``, whose milestones count from ``entry_date`` to ``as_of`` (and
    to ``referral_date + N`` days with a window).

    Parameters
    ----------
    scope : Scope
        What is counted (:class:`~ete_metrics.counting.scope.Scope`).
    by, ordered, include_sustained
        As in :func:`funnel`.
    anchor : {"entry_date", "referral_date"}

    Returns
    -------
    StepCounts
    """
    keys = validate_by(by)
    positions, anchor_at = scope.population_rows(
        "referral_date" if anchor == "referral_date" else "entry_date"
    )
    entry, entered = _entered(scope, positions, anchor_at, anchor)
    steps = list(vocabulary.outcome_steps(sustained=include_sustained))
    milestone_of = vocabulary.outcome_milestones()
    flags: dict[str, np.ndarray] = {}
    if anchor != "entry_date":
        flags[vocabulary.REFERRED.name] = np.ones(len(positions), dtype=bool)
    flags[vocabulary.ENTERED.name] = entered
    # the groups are coded in a second thread while the milestones are counted (mostly
    # numpy and Arrow work that releases the GIL; benchmarks/bench_funnel.py)
    with beside(group_codes, scope.participants, positions, entry, keys) as grouped:
        # milestones count from entry (none for a referral not entered), the window from the anchor
        _, rows, kind_of, dates = counted_events(
            scope.participants["participant_id"],
            positions,
            np.where(entered, entry, NAT),
            scope.milestones,
            as_of=scope.as_of,
            kinds=[milestone_of[s] for s in steps],
            window_days=scope.window_days,
            window_from=anchor_at,
        )
        codes, groups = grouped.result()
    for number, step in enumerate(steps):
        flag = np.zeros(len(positions), dtype=bool)
        flag[rows[kind_of == number]] = True
        flags[step] = flag
    if ordered:
        _ordered(flags, steps, rows, kind_of, dates)
    return StepCounts(positions=positions, codes=codes, groups=groups, flags=flags)


def empty_funnel(keys: Sequence[str]) -> pd.DataFrame:
    """An empty funnel frame with the documented columns and types.

    Parameters
    ----------
    keys : sequence of str
        The grouping keys (first columns, ``object``).

    Returns
    -------
    pandas.DataFrame
        No rows; columns ``[*keys, *FUNNEL_COLUMNS]`` with ``participants`` int64 and
        the rates float64.
    """
    columns: dict[str, pd.Series] = {key: pd.Series([], dtype=object) for key in keys}
    columns["step"] = pd.Series([], dtype=object)
    columns["participants"] = pd.Series([], dtype="int64")
    for name in ("rate_from_entry", "rate_from_previous", "ci_low", "ci_high"):
        columns[name] = pd.Series([], dtype="float64")
    return pd.DataFrame(columns)


def _assemble(counts: StepCounts, keys: list[str], steps: Sequence[str]) -> pd.DataFrame:
    """Long funnel frame from per-participant flags: rows by group then step order."""
    n_groups = len(counts.groups) if keys else 1
    if len(counts.positions) == 0:
        return empty_funnel(keys)
    table = np.stack(
        [np.bincount(counts.codes[counts.flags[s]], minlength=n_groups) for s in steps], axis=1
    ).astype(np.int64)
    present = table[:, 0] > 0
    table = table[present]
    n_kept, n_steps = table.shape
    base = np.repeat(table[:, :1], n_steps, axis=1)
    previous = np.concatenate([np.full((n_kept, 1), -1), table[:, :-1]], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = table / base
        rate_previous = np.where(previous > 0, table / np.maximum(previous, 1), np.nan)
    rate_previous[:, 0] = np.nan
    low, high = wilson_interval(table.ravel(), base.ravel())
    out: dict[str, object] = {}
    for key in keys:
        out[key] = np.repeat(counts.groups[key].to_numpy(dtype=object)[present], n_steps)
    out["step"] = np.tile(np.array(steps, dtype=object), n_kept)
    out["participants"] = table.ravel()
    out["rate_from_entry"] = rate.ravel()
    out["rate_from_previous"] = rate_previous.ravel()
    out["ci_low"] = low
    out["ci_high"] = high
    frame = pd.DataFrame(out)
    frame["participants"] = frame["participants"].astype("int64")
    return frame


def funnel(
    scope: Scope,
    *,
    by: str | Iterable[str] | None = (),
    ordered: bool = False,
    include_sustained: bool = False,
) -> pd.DataFrame:
    """Participants entered, into training and into work, optionally by group.

    Definitions: the population, which milestones count, the entry range and the window
    are the scope's (:class:`~ete_metrics.counting.scope.Scope`). *training* = at least
    one counted ``training_start``, *work* = at least one counted ``job_start``,
    *sustained* (with ``include_sustained``) = at least one counted ``job_sustained``;
    each person counts once. With ``ordered=True``, work needs training and a counted
    ``job_start`` on or after the first counted ``training_start`` (the same day counts),
    and *sustained* then also needs that ordered work, so the ordered funnel nests. In the
    default any-order funnel the steps are counted independently, so a step can exceed
    the one before (work without training; *sustained* does not require a recorded
    ``job_start``).

    Parameters
    ----------
    scope : Scope
        The frames, ``as_of``, the entry range and the window.
    by : str or iterable of str, optional
        Grouping keys: :data:`ete_metrics.config.GROUPING_COLUMNS`, ``entry_month``
        (``2023-01``), ``entry_quarter`` (``2023-Q1``) or ``entry_fy`` (``2022-23``).
        Missing values are shown as ``"Not recorded"``; groups with no one entered are
        left out.
    ordered : bool, default False
        Count work only after training (and sustained only with that work).
    include_sustained : bool, default False
        Add the steps of sustained work (``sustained``: every step the vocabulary marks
        ``sustained``, :func:`ete_metrics.steps.outcome_steps`); the ``rate_from_previous``
        of each is against the step before it.

    Returns
    -------
    pandas.DataFrame
        Columns ``[*by, step, participants, rate_from_entry, rate_from_previous, ci_low,
        ci_high]``, one row per group and step (``entered``, ``training``, ``work``, then
        ``sustained``), sorted by the grouping keys then step order. ``participants`` is
        int64; rates are fractions; ``rate_from_previous`` is NaN for ``entered`` (and
        when the previous step is 0); ``ci_low``/``ci_high`` are the 95% Wilson score
        interval (Wilson 1927) of ``rate_from_entry``
        (:func:`ete_metrics.counting.intervals.wilson_interval`).

    Raises
    ------
    InputError
        For an unknown grouping key.
    """
    keys = validate_by(by)
    counts = step_flags(scope, by=keys, ordered=ordered, include_sustained=include_sustained)
    return _assemble(counts, keys, vocabulary.funnel_steps(sustained=include_sustained))


def referral_funnel(
    scope: Scope,
    *,
    by: str | Iterable[str] | None = (),
    ordered: bool = False,
) -> pd.DataFrame:
    """The funnel from referral: referred -> entered -> training -> work.

    Definitions: the population is everyone with ``referral_date <= as_of``, and the
    scope's entry range and window apply to ``referral_date``. *entered* =
    ``referral_date <= entry_date <= as_of``. Training and work count only for those
    entered, from milestones with ``entry_date <= date <= as_of`` (rules as
    :func:`funnel`). With a window of N days entry and milestones must fall on or before
    ``referral_date + N``.

    Parameters
    ----------
    scope : Scope
        The frames, ``as_of``, the range of ``referral_date`` and the window.
    by : str or iterable of str, optional
        Grouping keys as in :func:`funnel` (cohort keys come from ``entry_date``, so
        referrals not entered are "Not recorded" there). Groups with no referrals are
        left out.
    ordered : bool, default False

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`funnel` with steps ``referred``, ``entered``,
        ``training``, ``work``. Here ``rate_from_entry`` (and its Wilson interval) is
        relative to the FIRST step, the referrals; ``rate_from_previous`` is against the
        step before.
    """
    keys = validate_by(by)
    counts = step_flags(scope, by=keys, ordered=ordered, anchor="referral_date")
    return _assemble(counts, keys, vocabulary.referral_steps())
