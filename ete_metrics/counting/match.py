"""Fast participant-id matching: the position of each event's id among the population's.

Looking participant ids up with a string hash (``pd.Index.get_indexer``) costs about a
second per million ids. Instead the ids' UTF-8 bytes are packed into 64-bit words
(through Arrow's buffers, no Python loop), hashed to one int64 key per id, and looked
up in a vectorised open-addressing table (after a bit map of the population's hashes,
small enough to stay in the processor's cache, has turned away most absent ids without
a read of the table from main memory). Every match is then verified byte for
byte (an id of up to 8 bytes is its own key, so there its length is all left to
compare), so a hash collision can never produce a wrong match: on any doubt the exact
pandas lookup is used instead. Integer ids are looked up with ``get_indexer`` itself,
which is quick for numbers. Ids are read (:class:`PreparedIds`) apart from the lookup,
so that a caller can choose the thread.

Why written here: ``benchmarks/bench_match.py`` measures it in one run against Arrow's
``pyarrow.compute.index_in``, pandas' ``get_indexer`` and ids coded as integers once
at load (``pd.factorize``). At a page's 45,000 referrals they are all a few
milliseconds (no one would feel the difference); at the CLI's 1,000,000 ``index_in``
takes about 2.5 times as long (a second more per lookup on a loaded machine), the
funnel by region half a second more, which takes it past DuckDB on the same frames
(``bench_funnel.py``'s requirement), and coding the ids at load costs more than the
lookups it saves for a command that matches once. See ``docs/architecture.md``,
"Machinery: written here or from a library".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from ete_metrics.errors import InputError

_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)
_LENGTH_MIX = np.uint64(0xC2B2AE3D27D4EB4F)

#: About this many event ids are looked up first to judge whether most are absent (_find).
_SAMPLE = 4096


def _arrow_backed(values: object) -> bool:
    """True for pandas text columns stored as Arrow strings (zero-copy buffers)."""
    dtype = getattr(values, "dtype", None)
    if isinstance(dtype, pd.StringDtype):
        return dtype.storage == "pyarrow"
    if isinstance(dtype, pd.ArrowDtype):
        return bool(pa.types.is_string(dtype.pyarrow_dtype) or pa.types.is_large_string(dtype.pyarrow_dtype))
    return False


def _arrow_strings(values: pd.Series | pd.Index | np.ndarray) -> pa.Array | None:
    """The values as one Arrow (large_)string array, or None when that is not possible
    (e.g. a missing id, or one that is not text)."""
    try:
        if _arrow_backed(values):
            arrow = pa.array(values.array)  # type: ignore[union-attr]
        else:
            arrow = pa.array(np.asarray(values, dtype=object), type=pa.string())
    except (pa.ArrowException, TypeError, ValueError):
        return None
    if isinstance(arrow, pa.ChunkedArray):
        arrow = arrow.combine_chunks()
    if not (pa.types.is_string(arrow.type) or pa.types.is_large_string(arrow.type)):
        return None
    if arrow.null_count:
        return None
    return arrow


def _integers(values: object) -> bool:
    """True for ids held as integers (numpy or pandas' nullable integers without gaps)."""
    dtype = getattr(values, "dtype", None)
    if isinstance(dtype, np.dtype):
        return dtype.kind in "iu"
    return dtype is not None and pd.api.types.is_integer_dtype(dtype) and not (  # no gaps
        isinstance(values, pd.Series | pd.Index) and bool(values.hasnans)
    )


def _offsets_and_bytes(arrow: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The string array's offsets (int32 or int64, as stored) and its data bytes."""
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
    return offsets, data


def _string_parts(
    values: pd.Series | pd.Index | np.ndarray, positions: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Byte ``starts``, ``lengths`` and the ``data`` buffer of the (selected) strings.

    Arrow-backed columns are read in place (the positions select starts and lengths);
    other columns are converted to Arrow, only at the positions.
    """
    if positions is not None and not _arrow_backed(values):  # only these are converted
        values, positions = np.asarray(values, dtype=object)[positions], None
    arrow = _arrow_strings(values)
    if arrow is None:
        return None
    offsets, data = _offsets_and_bytes(arrow)
    if positions is None:
        offsets = offsets.astype(np.int64)
        return offsets[:-1], np.diff(offsets), data
    # only the positions' offsets are read, and only the stretch of bytes they use
    starts = offsets[positions].astype(np.int64)
    lengths = offsets[positions + 1] - starts
    if len(positions):
        low, high = int(starts.min()), int((starts + lengths).max())
        starts, data = starts - low, data[low:high]
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


@dataclass(frozen=True)
class _Table:
    """The population's ids ready for lookups.

    ``words``, ``lengths`` and ``keys`` per population row, ``table`` the hash table
    of the keys (:func:`_build_table`: ``table[slot]`` is a row, -1 for an empty slot)
    and ``sieve`` the bit map of the keys (:func:`_sieve`).
    """

    words: np.ndarray
    lengths: np.ndarray
    keys: np.ndarray
    table: np.ndarray
    bits: int
    sieve: tuple[np.ndarray, int]


def _build_table(keys: np.ndarray) -> tuple[np.ndarray, int] | None:
    """Open addressing with linear probing, filled a round at a time; None on repeated keys.

    A repeated key is found while filling: two equal keys start at the same slot and
    move on together until one of them takes a free slot, where the other then meets it
    (so no second pass over the keys is needed to check that each finds itself).
    """
    bits = max(4, int(np.ceil(np.log2(max(len(keys), 1)))) + 2)
    size = 1 << bits
    dtype = np.int32 if len(keys) < 2**31 - 1 else np.int64
    table = np.full(size, -1, dtype=dtype)
    pending = np.arange(len(keys), dtype=dtype)
    slot = _hash_slots(keys, bits)
    while len(pending):
        free = table[slot] < 0
        table[slot[free]] = pending[free]  # of several keys meeting at a free slot, one wins
        holder = table[slot]
        lost = holder != pending
        if bool((keys[holder[lost]] == keys[pending[lost]]).any()):
            return None
        pending = pending[lost]
        slot = (slot[lost] + 1) & (size - 1)
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


def _sieve(keys: np.ndarray) -> tuple[np.ndarray, int]:
    """A bit map of the keys' hashes: a query whose bit is not set is certainly absent.

    The hash table is several megabytes, so each probe of it is a read from main memory;
    at about 32 bits per key (at most 1 MiB, which stays in the processor's cache) the
    bit map answers most absent ids at a fraction of that, and only the rest probe the
    table.
    """
    bits = min(23, max(10, int(np.ceil(np.log2(max(len(keys), 1)))) + 5))
    marked = np.zeros(1 << bits, dtype=bool)
    marked[_hash_slots(keys, bits)] = True
    return np.packbits(marked, bitorder="little"), bits


def _find(population: _Table, queries: np.ndarray) -> np.ndarray:
    """Population row of each query key (-1 when absent).

    When most queries are absent (as in a funnel, where most milestones belong to
    participants outside the population) they are first sifted through :func:`_sieve`;
    whether they are is judged from a sample of about 4,000 queries, looked up directly.
    """
    step = max(len(queries) // _SAMPLE, 1)
    sample = _lookup(population.table, population.bits, population.keys, queries[::step])
    if len(queries) <= _SAMPLE or bool((sample >= 0).mean() >= 0.5):
        return _lookup(population.table, population.bits, population.keys, queries)
    sieve, bits = population.sieve
    slots = _hash_slots(queries, bits)
    maybe = np.flatnonzero((sieve[slots >> 3] >> (slots & 7).astype(np.uint8)) & 1)
    rows = np.full(len(queries), -1, dtype=np.int64)
    rows[maybe] = _lookup(population.table, population.bits, population.keys, queries[maybe])
    return rows


def _population_table(
    starts: np.ndarray, lengths: np.ndarray, data: np.ndarray, width: int
) -> _Table | None:
    """Pack and hash the population's ids; None when a key repeats (a repeated id or,
    very rarely, two ids with one hash: the exact lookup then decides)."""
    words = _packed_words(starts, lengths, data, width)
    keys = _keys(words, lengths)
    built = _build_table(keys)
    if built is None:
        return None
    return _Table(
        words=words, lengths=lengths, keys=keys, table=built[0], bits=built[1], sieve=_sieve(keys)
    )


def _match_events(
    population: _Table | None, events: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> np.ndarray | None:
    """Population row of each event id (-1 when absent); None when the check fails.

    Every match is checked byte for byte: ids of up to 8 bytes are their own key (one
    word, xor their length), so equal keys and lengths are equal bytes; longer ids are
    compared word by word. An id longer than every population id cannot match.
    """
    if population is None:
        return None
    starts, lengths, data = events
    width = population.words.shape[1] * 8
    words = _packed_words(starts, lengths, data, width)
    rows = _find(population, _keys(words, lengths))
    rows[lengths > width] = -1  # only their first `width` bytes were packed
    found = rows >= 0
    matched = rows[found]
    if not bool((population.lengths[matched] == lengths[found]).all()):
        return None
    if width > 8 and not bool((population.words[matched] == words[found]).all()):
        return None
    return rows


class PopulationIds:
    """The population's ids, ready for events to be looked up among them.

    Built apart from the lookup (:meth:`rows_of`) so that a caller can prepare the
    population while the events are being chosen, e.g. in another thread.

    Parameters
    ----------
    ids : PreparedIds or array-like of str or int
        Unique participant ids (already read as :class:`PreparedIds`, then without
        ``positions``).
    positions : numpy.ndarray of int, optional
        Use only these positions of ``ids`` (as if they had been subset first;
        Arrow-backed columns are then read without copying).

    Raises
    ------
    InputError
        When an id repeats.
    """

    def __init__(
        self, ids: PreparedIds | pd.Series | pd.Index | np.ndarray, positions: np.ndarray | None = None
    ) -> None:
        prepared = ids if isinstance(ids, PreparedIds) else PreparedIds(ids, positions)
        self._ids = prepared.ids
        self._positions = prepared.positions
        self._table: _Table | None = None
        # integer ids have no parts: pandas' integer hash (get_indexer) is quick for them
        if prepared.parts is not None and len(prepared.parts[0]):
            starts, lengths, data = prepared.parts
            width = -(-max(int(lengths.max()), 1) // 8) * 8
            if width <= 64:
                self._table = _population_table(starts, lengths, data, width)
        #: pandas' index of the ids, for the exact lookup (made here only without a table)
        self._index: pd.Index | None = None
        if self._table is None:  # (a repeated id leaves no table) checked as pandas checks
            self._index = _exact_index(self._ids, self._positions)
            if not self._index.is_unique:
                raise _repeat_error(self._index[self._index.duplicated()])

    def rows_of(
        self, event_ids: PreparedIds | pd.Series | pd.Index | np.ndarray, positions: np.ndarray | None = None
    ) -> np.ndarray:
        """Population row of each event id (-1 when absent); see :func:`match_rows`.

        ``event_ids`` may be already read as :class:`PreparedIds` (then without ``positions``).
        """
        events = event_ids if isinstance(event_ids, PreparedIds) else PreparedIds(event_ids, positions)
        if self._table is not None and events.parts is not None and len(events.parts[0]):
            rows = _match_events(self._table, events.parts)
            if rows is not None:
                return rows
        return _exact_rows(self._ids, events.ids, self._positions, events.positions, index=self._index)


class PreparedIds:
    """Ids with their text read, ready to hash (:class:`PopulationIds`) or look up.

    Reading is the part of matching that holds the GIL for Python strings (they are
    converted to Arrow); making this apart lets a caller choose the thread it happens
    in. Arrow-backed and integer ids cost next to nothing to read.

    Parameters
    ----------
    ids : array-like of str or int
        The ids.
    positions : numpy.ndarray of int, optional
        Use only these positions of ``ids``.
    """

    def __init__(self, ids: pd.Series | pd.Index | np.ndarray, positions: np.ndarray | None = None) -> None:
        self.ids = ids
        self.positions = positions
        #: Byte starts, lengths and buffer of the text ids (None for integer ids, or when
        #: they cannot be read so; the exact lookup then decides)
        self.parts = None if _integers(ids) else _string_parts(ids, positions)


def _exact_rows(
    population_ids: pd.Series | pd.Index | np.ndarray,
    event_ids: pd.Series | pd.Index | np.ndarray,
    population_positions: np.ndarray | None,
    event_positions: np.ndarray | None,
    *,
    index: pd.Index | None = None,
) -> np.ndarray:
    """:func:`match_rows` by pandas' exact lookup (``get_indexer``); ``index``: the
    population's, if already made by :func:`_exact_index` (used when it suits the events)."""
    numbers = _integers(population_ids) and _integers(event_ids)
    if index is None or numbers != _integers(population_ids):  # integers among other ids: objects
        index = _exact_index(population_ids, population_positions, numbers=numbers)
    events = np.asarray(event_ids, dtype=None if numbers else object)
    if event_positions is not None:
        events = events[event_positions]
    if len(index) == 0:
        return np.full(len(events), -1, dtype=np.int64)
    try:  # get_indexer checks the ids are unique as it hashes them
        return index.get_indexer(pd.Index(events, copy=False)).astype(np.int64, copy=False)
    except pd.errors.InvalidIndexError:
        raise _repeat_error(index[index.duplicated()]) from None


def _exact_index(
    ids: pd.Series | pd.Index | np.ndarray, positions: np.ndarray | None, *, numbers: bool | None = None
) -> pd.Index:
    """The ids (at the positions) as a pandas index: integers keep their dtype when
    ``numbers`` (by default: when they are integers), other ids are compared as objects."""
    values = np.asarray(ids, dtype=None if (_integers(ids) if numbers is None else numbers) else object)
    return pd.Index(values if positions is None else values[positions])


def _repeat_error(repeated: pd.Index) -> InputError:
    return InputError(
        "Participant ids repeat (" + ", ".join(map(str, repeated[:5])) + "): each participant "
        "must appear once; fix the participants extract."
    )


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
    return PopulationIds(population_ids, population_positions).rows_of(event_ids, event_positions)
