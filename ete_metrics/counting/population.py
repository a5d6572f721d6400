"""Shared definitions behind every metric: the population, counted milestones, cohorts.

These implement the programme's counting rules once, so the funnel, the cohort
curves, the partner tables and the targets all agree:

- **Population** (entry-anchored): participants with an ``entry_date`` on or before
  ``as_of`` and, when given, between ``date_from`` and ``date_to`` inclusive.
- A **milestone counts** when ``anchor <= date <= as_of`` where the anchor is the
  participant's ``entry_date`` (or ``referral_date`` for the referral funnel).
- **Conversion window** of N days: only participants with ``anchor + N days <= as_of``
  (mature) are in the population, and a milestone counts only when
  ``date <= anchor + N days``. Both boundaries inclusive.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa

from ete_metrics.config import COHORT_COLUMNS, GROUPING_COLUMNS
from ete_metrics.errors import InputError

Anchor = Literal["entry_date", "referral_date"]

AsOf = date | datetime | pd.Timestamp | str


def to_timestamp(value: AsOf, *, name: str = "as_of") -> pd.Timestamp:
    """Normalise a date-like value to a midnight ``pandas.Timestamp``.

    Parameters
    ----------
    value : date, datetime, pandas.Timestamp or str
        The date. Strings must be ISO ``YYYY-MM-DD``. A time of day is dropped.
    name : str
        The argument's name, used in the error message.

    Returns
    -------
    pandas.Timestamp
        The date at midnight, timezone-naive.

    Raises
    ------
    InputError
        When the value is missing or not a date.
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        raise InputError(f"{name} is required: give a date such as 2023-08-16.")
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{name} must be a date such as 2023-08-16, not {value!r}.") from exc
    if stamp is pd.NaT:
        raise InputError(f"{name} must be a date such as 2023-08-16, not {value!r}.")
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    return stamp.normalize()


def optional_timestamp(value: AsOf | None, *, name: str) -> pd.Timestamp | None:
    """Like :func:`to_timestamp`, but ``None`` passes through as ``None``.

    Parameters
    ----------
    value : date, datetime, pandas.Timestamp, str or None
        The date, or ``None`` for "not given".
    name : str
        The argument's name, used in the error message.

    Returns
    -------
    pandas.Timestamp or None
        The date at midnight, or ``None``.

    Raises
    ------
    InputError
        When the value is given but is not a date.
    """
    if value is None:
        return None
    return to_timestamp(value, name=name)


def validate_by(by: str | Iterable[str] | None) -> list[str]:
    """Check grouping keys and return them as a list.

    Parameters
    ----------
    by : str or iterable of str or None
        Participant columns (:data:`config.GROUPING_COLUMNS`) or cohort keys
        (:data:`config.COHORT_COLUMNS`).

    Returns
    -------
    list of str

    Raises
    ------
    InputError
        When a key is not a known grouping column.
    """
    if by is None:
        return []
    keys = [by] if isinstance(by, str) else list(by)
    allowed = set(GROUPING_COLUMNS) | set(COHORT_COLUMNS)
    for key in keys:
        if key not in allowed:
            known = ", ".join([*GROUPING_COLUMNS, *COHORT_COLUMNS])
            raise InputError(f"Cannot group by {key!r}: choose from {known}.")
    if len(set(keys)) != len(keys):
        raise InputError(f"Grouping keys repeat: {keys}.")
    return keys


def cohort_labels(dates: pd.Series, cohort: str) -> pd.Series:
    """Label dates with an entry cohort.

    Parameters
    ----------
    dates : pandas.Series
        ``datetime64`` values (``NaT`` gives a missing label).
    cohort : {"entry_month", "entry_quarter", "entry_fy"}
        ``entry_month`` gives ``2023-01``; ``entry_quarter`` gives ``2023-Q1``
        (calendar quarters); ``entry_fy`` gives the UK financial year April–March,
        ``2022-23`` for 1 Apr 2022 to 31 Mar 2023.

    Returns
    -------
    pandas.Series of str (object), same index as ``dates``.
    """
    dates = pd.to_datetime(dates)
    if cohort == "entry_month":
        labels = dates.dt.strftime("%Y-%m")
    elif cohort == "entry_quarter":
        labels = dates.dt.year.astype("Int64").astype(str) + "-Q" + dates.dt.quarter.astype("Int64").astype(str)
    elif cohort == "entry_fy":
        start = dates.dt.year - (dates.dt.month < 4).astype("int64")
        start = start.astype("Int64")
        labels = start.astype(str) + "-" + ((start + 1) % 100).astype(str).str.zfill(2)
    else:
        raise InputError(f"Unknown cohort {cohort!r}: choose from {', '.join(COHORT_COLUMNS)}.")
    return labels.where(dates.notna(), None).astype(object)


def add_cohorts(participants: pd.DataFrame, keys: Sequence[str] = COHORT_COLUMNS) -> pd.DataFrame:
    """Return a copy of ``participants`` with cohort columns derived from ``entry_date``.

    Parameters
    ----------
    participants : pandas.DataFrame
        Participants in the import format.
    keys : sequence of str
        Which of ``entry_month``, ``entry_quarter``, ``entry_fy`` to add.

    Returns
    -------
    pandas.DataFrame
    """
    out = participants.copy()
    for key in keys:
        out[key] = cohort_labels(out["entry_date"], key)
    return out


def entered_population(
    participants: pd.DataFrame,
    *,
    as_of: AsOf,
    date_from: AsOf | None = None,
    date_to: AsOf | None = None,
    window_days: int | None = None,
    anchor: Anchor = "entry_date",
    by: Sequence[str] = (),
) -> pd.DataFrame:
    """Select the population a metric counts over.

    Parameters
    ----------
    participants : pandas.DataFrame
        Participants in the import format.
    as_of : date-like
        The date the figures are as at.
    date_from, date_to : date-like, optional
        Inclusive bounds on the anchor date.
    window_days : int, optional
        Conversion window: keep only participants with ``anchor + window_days <= as_of``.
    anchor : {"entry_date", "referral_date"}
        Which date anchors the population.
    by : sequence of str
        Grouping keys; cohort keys among them are derived from ``entry_date``.

    Returns
    -------
    pandas.DataFrame
        A new frame, a subset of ``participants`` (index reset) with any cohort
        columns in ``by`` added.
    """
    stamp = to_timestamp(as_of)
    start = optional_timestamp(date_from, name="date_from")
    end = optional_timestamp(date_to, name="date_to")
    if start is not None and end is not None and start > end:
        raise InputError("date_from is after date_to: choose a start on or before the end.")
    if window_days is not None and window_days < 0:
        raise InputError("window_days must be zero or more.")
    anchors = participants[anchor]
    mask = anchors.notna() & (anchors <= stamp)
    if start is not None:
        mask &= anchors >= start
    if end is not None:
        mask &= anchors <= end
    if window_days is not None:
        mask &= anchors + pd.Timedelta(days=int(window_days)) <= stamp
    population = participants.loc[mask.to_numpy()].reset_index(drop=True)
    cohorts = [key for key in by if key in COHORT_COLUMNS]
    if cohorts:
        population = add_cohorts(population, cohorts)
    return population


def counted_milestones(
    population: pd.DataFrame,
    milestones: pd.DataFrame,
    *,
    as_of: AsOf,
    window_days: int | None = None,
    anchor: Anchor = "entry_date",
    kinds: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Milestones that count as programme outcomes for a population.

    A milestone counts when it belongs to a participant of ``population`` and
    ``anchor <= date <= as_of`` (and ``date <= anchor + window_days`` with a window).

    Parameters
    ----------
    population : pandas.DataFrame
        From :func:`entered_population`.
    milestones : pandas.DataFrame
        Milestones in the import format.
    as_of : date-like
    window_days : int, optional
    anchor : {"entry_date", "referral_date"}
    kinds : sequence of str, optional
        Keep only these milestone types.

    Returns
    -------
    pandas.DataFrame
        Columns ``participant_id``, ``milestone``, ``date``, ``partner`` and
        ``row`` (the participant's row position in ``population``).
    """
    stamp = to_timestamp(as_of)
    # Work on the positions of the wanted milestones and copy the kept rows once at the end.
    positions = (
        np.arange(len(milestones))
        if kinds is None
        else np.flatnonzero(milestones["milestone"].isin(list(kinds)).to_numpy(dtype=bool))
    )
    rows = match_rows(
        population["participant_id"], milestones["participant_id"], event_positions=positions
    )
    known = rows >= 0
    event_dates = milestones["date"].to_numpy()[positions]
    anchor_values = population[anchor].to_numpy(dtype="datetime64[ns]")
    if len(anchor_values) == 0:  # empty population: nothing can count
        anchor_values = np.array(["NaT"], dtype="datetime64[ns]")
    anchor_dates = anchor_values[np.where(known, rows, 0)]
    keep = known & (event_dates >= anchor_dates) & (event_dates <= stamp.to_datetime64())
    if window_days is not None:
        keep &= event_dates <= anchor_dates + np.timedelta64(int(window_days), "D")
    out = milestones[["participant_id", "milestone", "date", "partner"]].take(positions[keep])
    out["row"] = rows[keep]
    return out.reset_index(drop=True)


def first_milestone_dates(counted: pd.DataFrame, kind: str, size: int) -> np.ndarray:
    """First counted date of one milestone type per population row.

    Parameters
    ----------
    counted : pandas.DataFrame
        From :func:`counted_milestones` (needs ``row``, ``milestone``, ``date``).
    kind : str
        The milestone type, e.g. ``training_start``.
    size : int
        Number of rows in the population.

    Returns
    -------
    numpy.ndarray of datetime64[ns]
        ``NaT`` where the participant has no counted milestone of that type.
    """
    out = np.full(size, np.datetime64("NaT"), dtype="datetime64[ns]")
    kinds = counted["milestone"]
    if kinds.dtype == object:
        chosen = np.asarray(kinds.to_numpy() == kind, dtype=bool)
    else:  # categorical or Arrow text: compared without making a Python string per row
        chosen = (kinds == kind).to_numpy(dtype=bool, na_value=False)
    dates = counted["date"].to_numpy(dtype="datetime64[ns]")[chosen]
    rows = counted["row"].to_numpy(dtype=np.int64)[chosen]
    dated = ~np.isnat(dates)
    if dated.any():  # the earliest date per row, on the dates' int64 nanoseconds
        never = np.iinfo(np.int64).max
        firsts = np.full(size, never, dtype=np.int64)
        np.minimum.at(firsts, rows[dated], dates[dated].view(np.int64))
        reached = firsts != never
        out[reached] = firsts[reached].view("datetime64[ns]")
    return out


# --- Fast id matching ---------------------------------------------------------
# Looking participant ids up with a string hash (pd.Index.get_indexer) costs about a
# second per million ids. Instead the ids' UTF-8 bytes are packed into 64-bit words
# (through Arrow's buffers, no Python loop), hashed to one int64 key per id, and looked
# up in a vectorised open-addressing table. Every match is then verified byte for
# byte, so a hash collision can never produce a wrong match: on any doubt the exact
# pandas lookup is used instead.

_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)
_LENGTH_MIX = np.uint64(0xC2B2AE3D27D4EB4F)


def _arrow_backed(values: object) -> bool:
    """True for pandas text columns stored as Arrow strings (zero-copy buffers)."""
    dtype = getattr(values, "dtype", None)
    if isinstance(dtype, pd.StringDtype):
        return dtype.storage == "pyarrow"
    if isinstance(dtype, pd.ArrowDtype):
        return bool(pa.types.is_string(dtype.pyarrow_dtype) or pa.types.is_large_string(dtype.pyarrow_dtype))
    return False


def _arrow_strings(values: pd.Series | pd.Index | np.ndarray) -> pa.Array | None:
    """The values as one Arrow (large_)string array, or None when that is not possible."""
    try:
        if _arrow_backed(values):
            arrow = pa.array(values.array)  # type: ignore[union-attr]
        else:
            objects = np.asarray(values, dtype=object)
            try:  # the quicker conversion; NaN (a float) as a missing id needs from_pandas
                arrow = pa.array(objects, type=pa.string())
            except (pa.ArrowException, TypeError, ValueError):
                arrow = pa.array(objects, from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError):
        return None
    if isinstance(arrow, pa.ChunkedArray):
        arrow = arrow.combine_chunks()
    if not (pa.types.is_string(arrow.type) or pa.types.is_large_string(arrow.type)):
        return None
    if arrow.null_count:
        return None
    return arrow


def _offsets_and_bytes(arrow: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    n = len(arrow)
    buffers = arrow.buffers()
    offset_type = np.int64 if pa.types.is_large_string(arrow.type) else np.int32
    if n == 0 or buffers[1] is None:
        return np.zeros(n + 1, dtype=np.int64), np.zeros(0, dtype=np.uint8)
    offsets = np.frombuffer(buffers[1], dtype=offset_type)[arrow.offset : arrow.offset + n + 1]
    data = (
        np.frombuffer(buffers[2], dtype=np.uint8)
        if buffers[2] is not None and buffers[2].size
        else np.zeros(0, dtype=np.uint8)
    )
    return offsets.astype(np.int64), data


def _string_parts(
    values: pd.Series | pd.Index | np.ndarray, positions: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Byte ``starts``, ``lengths`` and the ``data`` buffer of the (selected) strings.

    Arrow-backed columns are read in place (the positions select starts and lengths);
    other columns are subset first, then converted to Arrow.
    """
    if positions is not None and not _arrow_backed(values):
        if isinstance(values, pd.Series | pd.Index):
            values = values.take(positions)
        else:
            values = np.asarray(values, dtype=object)[positions]
        positions = None
    arrow = _arrow_strings(values)
    if arrow is None:
        return None
    offsets, data = _offsets_and_bytes(arrow)
    starts, lengths = offsets[:-1], np.diff(offsets)
    if positions is not None:
        starts, lengths = starts[positions], lengths[positions]
    return starts, lengths, data


def _packed_words(starts: np.ndarray, lengths: np.ndarray, data: np.ndarray, width: int) -> np.ndarray:
    """Strings as rows of ``width // 8`` little-endian uint64 words, zero padded.

    Each word is one unaligned 8-byte read from the data buffer (a strided view with a
    1-byte stride), with the bytes past the string's end masked off.
    """
    padded = np.zeros(len(data) + width + 8, dtype=np.uint8)
    padded[: len(data)] = data
    readable = len(padded) - 7
    eight_bytes = np.ndarray(shape=(readable,), dtype="<u8", buffer=padded, strides=(1,))
    words = np.empty((len(starts), width // 8), dtype=np.uint64)
    for k in range(width // 8):
        word = eight_bytes[starts + 8 * k]
        valid = np.clip(lengths - 8 * k, 0, 8)
        if not bool((valid == 8).all()):
            mask = np.where(
                valid >= 8,
                np.uint64(0xFFFFFFFFFFFFFFFF),
                (np.left_shift(np.uint64(1), (8 * np.minimum(valid, 7)).astype(np.uint64)) - np.uint64(1)),
            )
            word = word & mask
        words[:, k] = word
    return words


def _keys(words: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    key = words[:, 0].copy()
    for j in range(1, words.shape[1]):
        key = key * _MULTIPLIER + words[:, j]
    key ^= lengths.astype(np.uint64) * _LENGTH_MIX
    return key


def _hash_slots(keys: np.ndarray, bits: int) -> np.ndarray:
    return ((keys * _MULTIPLIER) >> np.uint64(64 - bits)).astype(np.int64)


def _build_table(keys: np.ndarray) -> tuple[np.ndarray, int] | None:
    """Open addressing with linear probing, filled a round at a time; None on repeated keys."""
    bits = max(4, int(np.ceil(np.log2(max(len(keys), 1)))) + 2)
    size = 1 << bits
    dtype = np.int32 if len(keys) < 2**31 - 1 else np.int64
    table = np.full(size, -1, dtype=dtype)
    pending = np.arange(len(keys), dtype=dtype)
    slot = _hash_slots(keys, bits)
    while len(pending):
        free = table[slot] < 0
        table[slot[free]] = pending[free]
        placed = np.zeros(len(pending), dtype=bool)
        placed[free] = table[slot[free]] == pending[free]
        pending = pending[~placed]
        slot = (slot[~placed] + 1) & (size - 1)
    # every key must find itself; a repeated key finds its twin instead
    if not np.array_equal(_lookup(table, bits, keys, keys), np.arange(len(keys))):
        return None
    return table, bits


def _lookup(table: np.ndarray, bits: int, keys: np.ndarray, queries: np.ndarray) -> np.ndarray:
    mask = len(table) - 1
    # first probe for every query at once (most queries end here) ...
    slot = _hash_slots(queries, bits)
    row = table[slot]
    filled = row >= 0
    hit = filled.copy()
    hit[filled] = keys[row[filled]] == queries[filled]
    out = np.where(hit, row, -1).astype(np.int64)
    # ... then linear probing for the few that met another key
    pending = np.flatnonzero(filled & ~hit)
    slot = (slot[pending] + 1) & mask
    while len(pending):
        row = table[slot]
        filled = row >= 0
        hit = filled.copy()
        hit[filled] = keys[row[filled]] == queries[pending[filled]]
        out[pending[hit]] = row[hit]
        going = filled & ~hit
        pending = pending[going]
        slot = (slot[going] + 1) & mask
    return out


def match_rows(
    population_ids: pd.Series | pd.Index | np.ndarray,
    event_ids: pd.Series | pd.Index | np.ndarray,
    *,
    population_positions: np.ndarray | None = None,
    event_positions: np.ndarray | None = None,
) -> np.ndarray:
    """Position of each event's participant id among ``population_ids`` (-1 when absent).

    Exactly ``pd.Index(population_ids).get_indexer(event_ids)``, computed with a
    vectorised hash of the ids' bytes (every match verified byte for byte).

    Parameters
    ----------
    population_ids : array-like of str
        Unique participant ids.
    event_ids : array-like of str
        Ids to look up.
    population_positions, event_positions : numpy.ndarray of int, optional
        Use only these positions of ``population_ids`` / ``event_ids`` (as if they had
        been subset first; Arrow-backed columns are then read without copying).

    Returns
    -------
    numpy.ndarray of int64

    Raises
    ------
    InputError
        When ``population_ids`` repeat an id.
    """
    population = _string_parts(population_ids, population_positions)
    events = _string_parts(event_ids, event_positions)
    if population is not None and events is not None and len(population[0]) and len(events[0]):
        p_starts, p_lengths, p_data = population
        e_starts, e_lengths, e_data = events
        width = max(int(p_lengths.max()), int(e_lengths.max()), 1)
        width = -(-width // 8) * 8
        if width <= 64:
            p_words = _packed_words(p_starts, p_lengths, p_data, width)
            e_words = _packed_words(e_starts, e_lengths, e_data, width)
            p_keys, e_keys = _keys(p_words, p_lengths), _keys(e_words, e_lengths)
            built = _build_table(p_keys)
            if built is not None:
                rows = _lookup(built[0], built[1], p_keys, e_keys)
                found = rows >= 0
                matched = rows[found]
                if bool((p_lengths[matched] == e_lengths[found]).all()) and bool(
                    (p_words[matched] == e_words[found]).all()
                ):
                    return rows
    if population_positions is not None:
        population_ids = np.asarray(population_ids, dtype=object)[population_positions]
    if event_positions is not None:
        event_ids = np.asarray(event_ids, dtype=object)[event_positions]
    index = pd.Index(np.asarray(population_ids, dtype=object))
    if not index.is_unique:
        repeated = index[index.duplicated()][:5]
        raise InputError(
            "Participant ids repeat (" + ", ".join(map(str, repeated)) + "): each participant "
            "must appear once; fix the participants extract."
        )
    if len(index) == 0:
        return np.full(len(event_ids), -1, dtype=np.int64)
    return index.get_indexer(np.asarray(event_ids, dtype=object)).astype(np.int64)
