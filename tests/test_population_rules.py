"""The counting rules on arrays (counting.population), each on a hand-built case."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ete_metrics.counting.population import (
    NAT,
    counted_events,
    first_per_row,
    population_rows,
)
from ete_metrics.data.frames import conform_milestones, conform_participants
from ete_metrics.metrics.funnel import group_codes

AS_OF = "2023-08-16"


def ns(day: str) -> int:
    return int(pd.Timestamp(day).value)


PEOPLE = conform_participants(
    pd.DataFrame(
        [
            ("A", "Wales", "2023-01-01", "2023-01-10"),
            ("B", "Wales", "2023-01-01", None),  # referred, never entered
            ("C", "Wales", "2023-07-01", "2023-08-01"),  # entered 15 days before as_of
            ("D", "Wales", "2023-08-01", "2023-08-17"),  # entered after as_of
        ],
        columns=["participant_id", "region", "referral_date", "entry_date"],
    )
)


def test_population_rows_entry_and_window() -> None:
    # Entered on or before 16 Aug: A (row 0) and C (row 2); B has no entry, D is after as_of.
    positions, anchors = population_rows(PEOPLE, as_of=AS_OF)
    assert positions.tolist() == [0, 2]
    assert anchors.tolist() == [ns("2023-01-10"), ns("2023-08-01")]
    # A 30-day window needs entry + 30 <= 16 Aug, i.e. entry on or before 17 Jul: A only.
    positions, _ = population_rows(PEOPLE, as_of=AS_OF, window_days=30)
    assert positions.tolist() == [0]
    # Anchored on referral: A, B (1 Jan), C (1 Jul), D (1 Aug) are all referred by 16 Aug.
    positions, _ = population_rows(PEOPLE, as_of=AS_OF, anchor="referral_date")
    assert positions.tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize(
    "stretches",
    [None, [slice(0, 2), slice(2, 4), slice(4, 6)], [slice(0, 1), slice(1, 6)], [slice(0, 5), slice(5, 6)]],
    ids=["as chosen", "three stretches", "first row alone", "last row alone"],
)
def test_counted_events_from_start_to_as_of_and_window_from_its_own_anchor(
    stretches: list[slice] | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the milestones may be read in stretches of rows, each in its own thread: the
    # answer is the same however they are cut (and in milestone order)
    if stretches is not None:
        monkeypatch.setattr("ete_metrics.counting.parallel.stretches", lambda rows: stretches)
    milestones = conform_milestones(
        pd.DataFrame(
            [
                ("A", "training_start", "2023-01-09"),  # 0: before A's start (10 Jan): no
                ("A", "training_start", "2023-01-10"),  # 1: on the start day: counts
                ("B", "job_start", "2023-02-01"),  # 2: B's start is NaT: never counts
                ("C", "job_start", "2023-08-17"),  # 3: after as_of: no
                ("C", "job_start", "2023-08-05"),  # 4: counts; inside the window from 1 Jul?
                ("A", "job_sustained", "2023-03-01"),  # 5: not a wanted kind
            ],
            columns=["participant_id", "milestone", "date"],
        )
    )
    positions = np.array([0, 1, 2])  # A, B, C as population rows 0, 1, 2
    starts = np.array([ns("2023-01-10"), NAT, ns("2023-08-01")])

    def count(**window: object) -> tuple[np.ndarray, ...]:
        return counted_events(
            PEOPLE["participant_id"],
            positions,
            starts,
            milestones,
            as_of=AS_OF,
            kinds=["training_start", "job_start"],
            **window,  # type: ignore[arg-type]
        )

    selected, rows, kinds, dates = count()
    assert selected.tolist() == [1, 4]
    assert rows.tolist() == [0, 2]
    assert kinds.tolist() == [0, 1]
    assert dates.tolist() == [ns("2023-01-10"), ns("2023-08-05")]
    # A 30-day window counted from 1 Jul for C ends 31 Jul, so C's 5 Aug job no longer counts;
    # from 1 Jan for A it ends 31 Jan, so A's 10 Jan training still does.
    window_from = np.array([ns("2023-01-01"), ns("2023-01-01"), ns("2023-07-01")])
    selected, *_ = count(window_days=30, window_from=window_from)
    assert selected.tolist() == [1]


def test_stretches_cover_the_rows_once_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    from ete_metrics.counting import parallel

    monkeypatch.setattr(parallel, "STRETCH_ROWS", 4)
    monkeypatch.setattr(parallel.os, "sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    # 3 processors, stretches of at least 4 rows: 10 rows make 2 stretches, 13 make 3
    assert parallel.stretches(10) == [slice(0, 5), slice(5, 10)]
    assert parallel.stretches(13) == [slice(0, 4), slice(4, 8), slice(8, 13)]
    assert parallel.stretches(3) == [slice(0, 3)]  # fewer rows than a stretch: one
    assert parallel.stretches(0) == [slice(0, 0)]


def test_an_error_in_a_stretch_or_in_the_population_reaches_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    from ete_metrics.errors import InputError

    milestones = conform_milestones(pd.DataFrame(
        [("A", "job_start", "2023-02-01"), ("C", "job_start", "2023-08-05")],
        columns=["participant_id", "milestone", "date"],
    ))
    monkeypatch.setattr(
        "ete_metrics.counting.parallel.stretches", lambda rows: [slice(0, 1), slice(1, 2)]
    )
    repeated = pd.Series(["A", "C", "A"], dtype="str")
    with pytest.raises(InputError, match="Participant ids repeat \\(A\\)"):
        counted_events(repeated, np.array([0, 1, 2]), np.zeros(3, dtype=np.int64), milestones,
                       as_of=AS_OF, kinds=["job_start"])
    broken = milestones.drop(columns="milestone")  # the stretches cannot code the types
    with pytest.raises(KeyError, match="milestone"):
        counted_events(PEOPLE["participant_id"], np.array([0, 2]), np.zeros(2, dtype=np.int64),
                       broken, as_of=AS_OF, kinds=["job_start"])


def test_first_per_row() -> None:
    # row 0 has 5 and 3 -> 3; row 1 none -> NAT; row 2 has 7 -> 7
    out = first_per_row(np.array([0, 2, 0]), np.array([5, 7, 3], dtype=np.int64), 3)
    assert out.tolist() == [3, NAT, 7]


def test_group_codes_with_a_wide_range_of_combinations_sort_by_labels() -> None:
    # 45 people, each with their own label L00..L44 under three keys: 45 labels per key span
    # 45**3 = 91,125 combinations, more than the counting path takes (max(4 * 45, 65,536)),
    # so the codes are compacted by sorting. Rows are listed L44 first down to L00, so by the
    # labels' order the codes are 44, 43, ..., 0 and the groups are L00..L44 in order.
    labels = [f"L{i:02d}" for i in range(45)]
    backwards = labels[::-1]
    frame = pd.DataFrame({"a": backwards, "b": backwards, "c": backwards})
    positions = np.arange(45)
    codes, groups = group_codes(frame, positions, np.zeros(45, dtype=np.int64), ["a", "b", "c"])
    assert codes.tolist() == list(range(44, -1, -1))
    assert groups["a"].tolist() == labels
    assert groups["c"].tolist() == labels
    # a narrow range (one key) takes the counting path and gives the same order
    codes, groups = group_codes(frame, positions, np.zeros(45, dtype=np.int64), ["a"])
    assert codes.tolist() == list(range(44, -1, -1))
    assert groups["a"].tolist() == labels


@pytest.mark.parametrize("dtype", [object, "str", "string[pyarrow]", "category"])
def test_milestone_types_are_coded_alike_in_every_text_dtype(dtype: object) -> None:
    from ete_metrics.counting.population import kind_codes

    milestones = pd.DataFrame({"milestone": pd.Series(
        ["job_start", None, "training_start", "job_sustained", "job_start", "training_start"],
        dtype=dtype,
    )})
    # job_start is kind 1, training_start kind 0; a missing or other type is -1
    assert kind_codes(milestones, ["training_start", "job_start"]).tolist() == [1, -1, 0, -1, 1, 0]
    # rows outside ``where`` are -1 whatever their type
    where = np.array([True, True, False, True, True, True])
    assert kind_codes(milestones, ["training_start", "job_start"], where=where).tolist() == [
        1, -1, -1, -1, 1, 0,
    ]
    # three or more types (one hash pass for Python strings)
    kinds = ["job_sustained", "training_start", "job_start"]
    assert kind_codes(milestones, kinds).tolist() == [2, -1, 1, 0, 2, 1]
    # a type named twice keeps its first number: job_start is 0, training_start 1
    kinds = ["job_start", "training_start", "job_start"]
    assert kind_codes(milestones, kinds).tolist() == [0, -1, 1, -1, 0, 1]
    assert kind_codes(milestones, ["job_start", "job_start"]).tolist() == [0, -1, -1, -1, 0, -1]


def test_kind_codes_of_python_strings_with_missing_values() -> None:
    from ete_metrics.counting.population import kind_codes

    values = ["job_start", pd.NA, None, "training_start", float("nan"), "job_start"]
    milestones = pd.DataFrame({"milestone": pd.Series(values, dtype=object)})
    where = np.array([True, False, True, True, True, False])
    # index in [training_start, job_start]; missing values and rows not asked for are -1
    got = kind_codes(milestones, ["training_start", "job_start"], where=where)
    assert got.tolist() == [1, -1, -1, 0, -1, -1]
    # pd.NA among the rows asked for is a missing type too
    got = kind_codes(milestones, ["training_start", "job_start"])
    assert got.tolist() == [1, -1, -1, 0, -1, 1]
