"""match.match_rows: the fast id lookup must equal pandas' exact get_indexer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ete_metrics.counting.match import match_rows
from ete_metrics.errors import InputError


def expected(population: list, events: list) -> list[int]:
    return pd.Index(population, dtype=object).get_indexer(pd.Index(events, dtype=object)).tolist()


@pytest.mark.parametrize(
    "population, events",
    [
        (["a", "bb", "ccc"], ["ccc", "zz", "a", "a", ""]),
        (["a", "a\x00"], ["a\x00", "a"]),  # trailing NUL byte is a different id
        (["P0000001", "P0000002"], ["P0000002", "P00000021", "P000000"]),
        (["x" * 70 + "1", "x" * 70 + "2"], ["x" * 70 + "2", "x" * 71]),  # wider than 64 bytes
        (["Åsa-1", "Zoë-2", "李-3"], ["李-3", "Zoë-2", "Zoe-2"]),  # multi-byte UTF-8
        (["a", "b"], []),
        ([], ["a"]),
    ],
)
def test_known_cases(population: list, events: list) -> None:
    for dtype in (object, "string"):
        got = match_rows(pd.Series(population, dtype=dtype), pd.Series(events, dtype=dtype))
        assert got.tolist() == expected(population, events)


def test_missing_ids_never_match() -> None:
    got = match_rows(pd.Series(["a", None], dtype=object), pd.Series(["a", "b"], dtype=object))
    assert got.tolist() == [0, -1]


def test_repeated_population_ids_rejected() -> None:
    with pytest.raises(InputError, match="repeat"):
        match_rows(pd.Series(["a", "b", "a"]), pd.Series(["a"]))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(max_size=12), unique=True, max_size=30),
    st.lists(st.text(max_size=12), max_size=40),
)
def test_random_text(population: list[str], extra: list[str]) -> None:
    rng = np.random.default_rng(len(population) + len(extra))
    events = extra + [population[i] for i in rng.integers(0, len(population), 10)] if population else extra
    got = match_rows(pd.Series(population, dtype=object), pd.Series(events, dtype=object))
    assert got.tolist() == expected(population, events)


def test_counted_milestones_of_an_empty_population() -> None:
    from ete_metrics.counting.population import counted_milestones
    from ete_metrics.data.frames import conform_milestones, empty_participants

    milestones = conform_milestones(pd.DataFrame(
        [("A", "job_start", "2023-01-01")], columns=["participant_id", "milestone", "date"]))
    out = counted_milestones(empty_participants(), milestones, as_of="2023-08-16")
    assert out.empty and list(out.columns) == ["participant_id", "milestone", "date", "partner", "row"]


@pytest.mark.parametrize("dtype", [object, "string", "str"])
def test_positions_select_like_subsetting(dtype: object) -> None:
    population = pd.Series(["a", "bbbbbbbbbb", "P0000003", "Zoë", "ccc"], dtype=dtype)
    events = pd.Series(["ccc", "a", "bbbbbbbbbb", "Zoë", "nope", "P0000003"], dtype=dtype)
    p_pos, e_pos = np.array([4, 1, 3]), np.array([5, 0, 2, 3, 4])
    got = match_rows(population, events, population_positions=p_pos, event_positions=e_pos)
    # population subset: ccc, bbbbbbbbbb, Zoë; events subset: P0000003, ccc, bbbbbbbbbb, Zoë, nope
    assert got.tolist() == [-1, 0, 1, 2, -1]


@pytest.mark.parametrize("dtype", [object, "str", "int64"])
def test_no_positions_select_nothing(dtype: object) -> None:
    ids = pd.Series([1, 2, 3] if dtype == "int64" else ["a", "b", "c"], dtype=dtype)
    none = np.array([], dtype=np.int64)
    assert match_rows(ids, ids, event_positions=none).tolist() == []
    assert match_rows(ids, ids, population_positions=none).tolist() == [-1, -1, -1]


@pytest.mark.parametrize("missing", [None, float("nan")])
def test_missing_ids_outside_or_at_the_positions(missing: object) -> None:
    population = pd.Series(["a", missing, "b", "c"], dtype=object)
    events = pd.Series(["c", missing, "a", "b"], dtype=object)
    # the missing ids are not at the positions asked for: the others match as usual
    got = match_rows(population, events, population_positions=np.array([0, 2, 3]),
                     event_positions=np.array([0, 2, 3]))
    assert got.tolist() == [2, 0, 1]  # c is 3rd, a 1st, b 2nd of a, b, c
    # a missing id at the positions matches nothing (as pandas' lookup of a missing value)
    got = match_rows(population, events, population_positions=np.array([0, 2]),
                     event_positions=np.array([1, 2]))
    assert got.tolist() == [-1, 0]


@pytest.mark.parametrize("dtype", ["int64", "Int64", "uint32"])
def test_integer_ids_match_like_pandas(dtype: str) -> None:
    population = pd.Series([501, 3, 77, 12], dtype=dtype)
    events = pd.Series([12, 4, 501, 501, 77], dtype=dtype)
    # 12 is 4th (3), 4 is absent, 501 1st (0), 77 3rd (2)
    assert match_rows(population, events).tolist() == [3, -1, 0, 0, 2]
    got = match_rows(population, events, population_positions=np.array([1, 3]),
                     event_positions=np.array([0, 2]))
    assert got.tolist() == [1, -1]  # among 3, 12: 12 is 2nd; 501 absent
    with pytest.raises(InputError, match="repeat"):
        match_rows(pd.Series([1, 1], dtype=dtype), events)


@pytest.mark.parametrize("where", [0, 4_321, 9_999])
def test_a_repeated_id_among_many_is_rejected(where: int) -> None:
    # 10,000 ids share the hash table's slots with many neighbours; the repeat of the id
    # at `where` must be found however the two copies are placed
    ids = [f"P{n:07d}" for n in range(10_000)]
    ids.append(ids[where])
    with pytest.raises(InputError, match="repeat"):
        match_rows(pd.Series(ids, dtype=object), pd.Series(["P0000001"], dtype=object))


@pytest.mark.parametrize("dtype", [object, "string"])
def test_many_ids_present_and_absent(dtype: object) -> None:
    # a population of 20,000 ids (every third number) and events of every number below
    # 60,000: an event's row is its number // 3 when the number is a multiple of 3, else -1
    population = pd.Series([f"ID-{n}" for n in range(0, 60_000, 3)], dtype=dtype)
    numbers = np.random.default_rng(7).permutation(60_000)
    events = pd.Series([f"ID-{n}" for n in numbers], dtype=dtype)
    want = np.where(numbers % 3 == 0, numbers // 3, -1)
    assert match_rows(population, events).tolist() == want.tolist()


@pytest.mark.parametrize("dtype", [object, "str"])
def test_population_ids_built_once_serve_several_lookups(dtype: object) -> None:
    from ete_metrics.counting.match import PopulationIds

    ids = pd.Series(["P01", "P02", "P03", "P04"], dtype=dtype)
    population = PopulationIds(ids, np.array([1, 3]))  # P02 is row 0, P04 row 1
    events = pd.Series(["P04", "P01", "P02", "P9"], dtype=dtype)
    assert population.rows_of(events).tolist() == [1, -1, 0, -1]
    assert population.rows_of(events, np.array([2, 3])).tolist() == [0, -1]


@pytest.mark.parametrize("dtype", [object, "str", "int64"])
def test_a_repeated_population_id_is_reported_when_the_population_is_built(dtype: object) -> None:
    from ete_metrics.counting.match import PopulationIds

    ids = ["1", "2", "1", "3", "3"] if dtype != "int64" else [1, 2, 1, 3, 3]
    with pytest.raises(InputError, match="Participant ids repeat \\(1, 3\\)"):
        PopulationIds(pd.Series(ids, dtype=dtype))
    # ids Arrow cannot hold (a missing one) are checked by pandas, with the same message
    with pytest.raises(InputError, match="Participant ids repeat \\(1, 3\\)"):
        PopulationIds(pd.Series([*ids, None], dtype=object))
