"""Tests for ete_metrics.protect.disclosure: suppression, rounding, rates and the scanner.

Every expected answer is worked out by hand in the comments from the rules:
counts 1..4 suppressed ("[c]"), 0 shown, every additive line (groups + their
total) ends with 0 or >= 2 suppressed cells, shown counts rounded to the
nearest 5 (halves up), rates blanked when the group is under 10 or a count
behind them is suppressed.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ete_metrics.config import MIN_GROUP_FOR_RATE, ROUND_TO, SUPPRESS_BELOW
from ete_metrics.errors import EteError, InputError
from ete_metrics.protect.disclosure import (
    STAKEHOLDER_NOTE,
    SUPPRESSED,
    DisclosiveCell,
    find_disclosive_counts,
    is_protected_frame,
    numeric_view,
    protect_crosstab,
    protect_rates,
    protect_table,
    round_to_base,
)
from ete_metrics.steps import ENTERED, WORK

C = SUPPRESSED


def test_thresholds_come_from_config() -> None:
    assert (SUPPRESS_BELOW, ROUND_TO, MIN_GROUP_FOR_RATE) == (5, 5, 10)
    assert SUPPRESSED == "[c]"
    assert "nearest 5" in STAKEHOLDER_NOTE and "[c]" in STAKEHOLDER_NOTE
    assert "fewer than 10" in STAKEHOLDER_NOTE


# --------------------------------------------------------------------------- rounding


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        # nearest multiple of 5; x mod 5 of 0,1,2 goes down, 3,4 goes up
        (0, 0),
        (5, 5),
        (7, 5),  # 7 = 5 + 2 -> 5
        (8, 10),  # 8 = 5 + 3 -> 10
        (12, 10),  # 12 = 10 + 2 -> 10
        (13, 15),  # 13 = 10 + 3 -> 15
        (1237, 1235),  # 1237 = 1235 + 2 -> 1235
        (1238, 1240),
    ],
)
def test_round_to_base_5(count: int, expected: int) -> None:
    assert round_to_base(count) == expected
    assert isinstance(round_to_base(count), int)


def test_round_to_base_halves_go_up_with_an_even_base() -> None:
    # base 10: 15 is exactly half way between 10 and 20 -> up to 20; 14 -> 10
    assert round_to_base(15, 10) == 20
    assert round_to_base(14, 10) == 10
    assert round_to_base(25, 10) == 30


def test_round_to_base_keeps_the_shape_of_series_and_arrays() -> None:
    series = pd.Series([7, 8, 12, 13, 1237], index=list("abcde"), name="entered")
    rounded = round_to_base(series)
    assert isinstance(rounded, pd.Series)
    assert rounded.name == "entered"
    assert list(rounded.index) == list("abcde")
    assert rounded.tolist() == [5, 10, 10, 15, 1235]
    assert np.array_equal(round_to_base([7, 8]), np.array([5, 10]))
    with_missing = round_to_base(pd.Series([7.0, np.nan]))
    assert with_missing.iloc[0] == 5 and np.isnan(with_missing.iloc[1])


@pytest.mark.parametrize("bad", [12.5, -3, [1, -2], [2.5]])
def test_round_to_base_refuses_decimals_and_negatives(bad: object) -> None:
    with pytest.raises(InputError):
        round_to_base(bad)  # type: ignore[call-overload]


def test_round_to_base_refuses_a_bad_base() -> None:
    with pytest.raises(InputError):
        round_to_base(12, 0)


# --------------------------------------------------------------------------- primary suppression


def test_primary_suppression_hides_1_to_4_but_not_0_or_5() -> None:
    frame = pd.DataFrame({"partner": list("abcdefg"), "entered": [0, 1, 2, 3, 4, 5, 6]})
    # No group columns: no additive lines, so only primary suppression applies.
    out = protect_table(frame, count_columns=["entered"])
    # 0 shown as 0; 1..4 -> [c]; 5 -> 5; 6 -> 5 (rounded)
    assert out["entered"].tolist() == [0, C, C, C, C, 5, 5]
    assert out["entered"].dtype == object
    assert out["partner"].tolist() == list("abcdefg")


def test_suppress_zero_option_hides_zeros_too() -> None:
    frame = pd.DataFrame({"entered": [0, 3, 9]})
    out = protect_table(frame, count_columns=["entered"], suppress_zero=True)
    assert out["entered"].tolist() == [C, C, 10]


def test_thresholds_can_be_overridden() -> None:
    frame = pd.DataFrame({"entered": [3, 7, 12]})
    # suppress below 10, round to 10: 3 and 7 hidden; 12 -> 10
    out = protect_table(frame, count_columns=["entered"], suppress_below=10, round_to=10)
    assert out["entered"].tolist() == [C, C, 10]
    # no rounding (base 1), default suppression
    out = protect_table(frame, count_columns=["entered"], round_to=1)
    assert out["entered"].tolist() == [C, 7, 12]


def test_input_frame_is_not_modified() -> None:
    frame = pd.DataFrame({"region": ["London", "Wales", "All"], "entered": [10, 3, 13]})
    before = frame.copy()
    protect_table(frame, count_columns=["entered"], group_columns=["region"], total_row_label="All")
    pd.testing.assert_frame_equal(frame, before)


# --------------------------------------------------------------------------- secondary suppression


def test_one_small_group_forces_the_next_smallest_to_be_suppressed() -> None:
    frame = pd.DataFrame(
        {
            "region": ["London", "North West", "West Midlands", "Wales", "All"],
            "entered": [120, 3, 47, 30, 200],
            "work": [22, 0, 8, 2, 32],
        }
    )
    out = protect_table(
        frame, count_columns=["entered", "work"], group_columns=["region"], total_row_label="All"
    )
    # entered: North West 3 is primary. Otherwise 200 - 120 - 47 - 30 = 3 gives it away,
    #   so the smallest other non-zero cell, Wales 30, is suppressed too.
    #   Shown: 120 -> 120, 47 -> 45, 200 -> 200.
    assert out["entered"].tolist() == [120, C, 45, C, 200]
    # work: Wales 2 is primary. Remaining non-zero cells: London 22, West Midlands 8,
    #   All 32 -> West Midlands 8 suppressed. North West 0 is shown as 0 (a zero is
    #   not a candidate while non-zero cells remain). 22 -> 20, 32 -> 30.
    assert out["work"].tolist() == [20, 0, C, C, 30]
    assert find_disclosive_counts(out) == []


def test_secondary_suppression_applies_when_the_total_is_published_elsewhere() -> None:
    frame = pd.DataFrame({"region": ["London", "Wales", "North West"], "entered": [40, 2, 25]})
    # No total row, but totals_published=True (the headline 67 is on another page):
    # 67 - 40 - 25 = 2, so the next smallest, North West 25, goes too.
    out = protect_table(frame, count_columns=["entered"], group_columns=["region"])
    assert out["entered"].tolist() == [40, C, C]
    # Told the total is not published anywhere: only the primary suppression.
    out = protect_table(
        frame, count_columns=["entered"], group_columns=["region"], totals_published=False
    )
    assert out["entered"].tolist() == [40, C, 25]


def test_a_one_row_group_has_its_total_suppressed_too() -> None:
    # Wales has a single partner, so partner value == Wales total.
    frame = pd.DataFrame({"partner": ["Cymru Works", "All"], "entered": [3, 3]})
    out = protect_table(
        frame, count_columns=["entered"], group_columns=["partner"], total_row_label="All"
    )
    # 3 is primary; the total 3 would show it, and it is 1..4 itself -> both [c].
    assert out["entered"].tolist() == [C, C]


def test_a_one_row_group_secondary_suppression_reaches_its_total() -> None:
    # region x pathway with totals ("All"). Wales has only community.
    frame = pd.DataFrame(
        {
            "region": ["London", "London", "London", "Wales", "Wales", "All", "All", "All"],
            "pathway": [
                "community",
                "custody",
                "All",
                "community",
                "All",
                "community",
                "custody",
                "All",
            ],
            "entered": [3, 50, 53, 20, 20, 23, 50, 73],
        }
    )
    out = protect_table(
        frame,
        count_columns=["entered"],
        group_columns=["region", "pathway"],
        total_row_label="All",
    )
    keys = zip(frame["region"], frame["pathway"], strict=True)
    shown = dict(zip(keys, out["entered"], strict=True))
    # London/community 3 is primary. In the community column (3, 20 | 23) the
    # smallest other cell is Wales/community 20 -> suppressed. Wales's only row is
    # community, so Wales/All (= 20) would give it away -> suppressed too.
    assert shown[("London", "community")] == C
    assert shown[("Wales", "community")] == C
    assert shown[("Wales", "All")] == C
    # London's own line (3, 50 | 53) needs a second suppression as well.
    assert shown[("London", "custody")] == C or shown[("London", "All")] == C
    _assert_lines_safe(out, frame, ["entered"], ["region", "pathway"])
    assert find_disclosive_counts(out) == []


def test_a_cell_whose_total_is_published_elsewhere_is_not_chosen_when_avoidable() -> None:
    # region x pathway, no total rows; totals are published elsewhere.
    # Wales has only community, so "Wales, all pathways" (published) = Wales/community.
    frame = pd.DataFrame(
        {
            "region": ["London", "London", "North West", "North West", "Wales"],
            "pathway": ["community", "custody", "community", "custody", "community"],
            "entered": [3, 50, 30, 40, 20],
        }
    )
    out = protect_table(frame, count_columns=["entered"], group_columns=["region", "pathway"])
    # community line (3, 30, 20): London 3 primary. The smallest other cell is Wales 20,
    #   but the Wales total would give it away -> North West/community 30 instead.
    # London line (3, 50): one -> London/custody 50. North West line (30, 40): one ->
    #   North West/custody 40. custody line (50, 40) then has two. Wales 20 shown.
    assert out["entered"].tolist() == [C, C, C, C, 20]
    _assert_lines_safe(out, frame, ["entered"], ["region", "pathway"])


def test_missing_counts_stay_missing_and_are_left_out_of_lines() -> None:
    frame = pd.DataFrame({"region": ["London", "Wales", "North West"], "entered": [10, 3, None]})
    out = protect_table(frame, count_columns=["entered"], group_columns=["region"])
    # line (10, 3); North West is not shown at all -> Wales 3 primary, London 10 secondary.
    assert out["entered"].iloc[0] == C and out["entered"].iloc[1] == C
    assert pd.isna(out["entered"].iloc[2])


def test_rates_without_named_numerators_are_blanked_when_any_count_is_hidden() -> None:
    frame = pd.DataFrame({"entered": [40, 40], "work": [3, 12], "rate": [0.075, 0.3]})
    out = protect_table(
        frame,
        count_columns=["entered", "work"],
        rate_columns=["rate"],
        denominator_column="entered",
    )
    # row 0: work 3 suppressed -> rate [c]; row 1: nothing hidden, 40 >= 10 -> shown.
    assert out["rate"].tolist() == [C, 0.3]


def test_funnel_steps_are_not_summed_into_each_other() -> None:
    # One row, nested steps: entered >= training >= work. Training 3 is primary;
    # entered and work are not a total of training, so nothing else is hidden.
    frame = pd.DataFrame({"entered": [40], "training": [3], "work": [2]})
    out = protect_table(frame, count_columns=["entered", "training", "work"])
    assert out.iloc[0].tolist() == [40, C, C]


def test_key_columns_keep_lines_within_a_funnel_step() -> None:
    # Long form: step x region; regions add up within a step, steps do not add.
    frame = pd.DataFrame(
        {
            "step": [ENTERED.name, ENTERED.name, ENTERED.name, WORK.name, WORK.name, WORK.name],
            "region": ["London", "Wales", "All", "London", "Wales", "All"],
            "count": [60, 12, 72, 9, 3, 12],
        }
    )
    out = protect_table(
        frame,
        count_columns=["count"],
        group_columns=["region"],
        key_columns=["step"],
        total_row_label="All",
    )
    # entered line (60, 12 | 72): nothing small -> 60, 10, 70.
    # work line (9, 3 | 12): Wales 3 primary; next smallest London 9 -> [c]; total 12 -> 10.
    assert out["count"].tolist() == [60, 10, 70, C, C, 10]


def test_duplicate_groups_without_key_columns_are_refused() -> None:
    frame = pd.DataFrame(
        {"step": [ENTERED.name, WORK.name], "region": ["Wales", "Wales"], "count": [9, 3]}
    )
    with pytest.raises(InputError, match="key_columns"):
        protect_table(frame, count_columns=["count"], group_columns=["region"])


def test_a_frame_with_nothing_to_suppress_is_only_rounded() -> None:
    frame = pd.DataFrame(
        {
            "region": ["London", "North West", "Wales", "All"],
            "entered": [1237, 508, 96, 1841],
            "work": [212, 77, 15, 304],
        }
    )
    out = protect_table(
        frame, count_columns=["entered", "work"], group_columns=["region"], total_row_label="All"
    )
    # 1237->1235, 508->510, 96->95, 1841->1840; 212->210, 77->75, 15->15, 304->305
    expected = pd.DataFrame(
        {
            "region": ["London", "North West", "Wales", "All"],
            "entered": pd.Series([1235, 510, 95, 1840], dtype=object),
            "work": pd.Series([210, 75, 15, 305], dtype=object),
        }
    )
    pd.testing.assert_frame_equal(out, expected)


# --------------------------------------------------------------------------- cross-tabs


def test_crosstab_row_and_column_each_need_a_second_suppression() -> None:
    #           M    F   All
    #   a      10    8    18
    #   b       2   30    32
    #   c      20    3    23
    #   All    32   41    73
    table = pd.DataFrame(
        {"M": [10, 2, 20, 32], "F": [8, 30, 3, 41], "All": [18, 32, 23, 73]},
        index=["a", "b", "c", "All"],
    )
    out = protect_crosstab(table)
    # Primary: b/M = 2, c/F = 3.
    # Row b (2, 30 | 32): one suppressed; b/F = 30 is the smallest other non-zero cell
    #   and also fixes column F, which has only c/F -> suppress b/F.
    # Row c (20, 3 | 23): c/M = 20 likewise fixes column M -> suppress c/M.
    # Now column M has b, c and column F has b, c: two each. Row a and the
    # margins have none. Shown: a 10, 8->10, 18->20; b/All 32->30; c/All 23->25;
    # All 32->30, 41->40, 73->75.
    expected = pd.DataFrame(
        {"M": [10, C, C, 30], "F": [10, C, C, 40], "All": [20, 30, 25, 75]},
        index=["a", "b", "c", "All"],
        dtype=object,
    )
    pd.testing.assert_frame_equal(out, expected)


def test_crosstab_small_row_total_is_suppressed_and_covered() -> None:
    #          x    y   Total
    #   p      3    0     3
    #   q     10   12    22
    #   Total 13   12    25
    table = pd.DataFrame(
        {"x": [3, 10, 13], "y": [0, 12, 12], "Total": [3, 22, 25]}, index=["p", "q", "Total"]
    )
    out = protect_crosstab(table)
    # Primary: p/x 3 and the row total p/Total 3 -> row p has two, safe.
    # Rows q and Total have none. Column x (3, 10 | 13) has one: q/x 10 is a
    #   group cell, Total/x a margin -> q/x [c].
    # Column y (0, 12 | 12): none. Column Total (3, 22 | 25) has one (p/Total):
    #   q/Total 22 (a row margin) is preferred to the grand total 25 -> [c].
    # Row q now has q/x and q/Total: two. Everything has 0 or 2. Stable.
    # Shown: p/y 0; q/y 12 -> 10; Total row 13 -> 15, 12 -> 10, 25 -> 25.
    expected = pd.DataFrame(
        {"x": [C, C, 15], "y": [0, 10, 10], "Total": [C, C, 25]},
        index=["p", "q", "Total"],
        dtype=object,
    )
    pd.testing.assert_frame_equal(out, expected)


def test_pandas_crosstab_output_is_accepted() -> None:
    people = pd.DataFrame(
        {
            "region": ["London"] * 12 + ["Wales"] * 7,
            "gender": ["F"] * 6 + ["M"] * 6 + ["F"] * 1 + ["M"] * 6,
        }
    )
    table = pd.crosstab(people["region"], people["gender"], margins=True)
    #          F   M  All
    # London   6   6   12
    # Wales    1   6    7
    # All      7  12   19
    out = protect_crosstab(table)
    # Wales/F 1 is primary. Rows first: row Wales (1, 6 | 7) has one; Wales/M 6 is a
    #   group cell, Wales/All a margin -> Wales/M [c].
    # Column F (6, 1 | 7) has one: London/F 6 (group cell) -> [c].
    # Column M (6, 6 | 12) has one (Wales/M): London/M 6 -> [c] (it also makes row
    #   London, which now holds London/F alone, safe).
    # Rows London and Wales, columns F and M: two each. Margins untouched.
    assert out.loc["Wales", "F"] == C
    assert out.loc["Wales", "M"] == C
    assert out.loc["London", "F"] == C
    assert out.loc["London", "M"] == C
    # margins: 12 -> 10, 7 -> 5, 7 -> 5, 12 -> 10, 19 -> 20
    assert out.loc["London", "All"] == 10
    assert out.loc["Wales", "All"] == 5
    assert list(out.loc["All", :]) == [5, 10, 20]


def test_crosstab_refuses_multiindex() -> None:
    table = pd.DataFrame({"x": [5, 6]}, index=pd.MultiIndex.from_tuples([("a", "b"), ("a", "c")]))
    with pytest.raises(InputError, match="protect_table"):
        protect_crosstab(table)


# --------------------------------------------------------------------------- rates


def test_rates_blanked_for_small_groups_and_suppressed_counts() -> None:
    frame = pd.DataFrame(
        {
            "partner": ["A", "B", "C", "D", "All"],
            "entered": [9, 10, 40, 60, 119],
            "work": [5, 5, 3, 12, 25],
            "work_rate": [5 / 9, 0.5, 3 / 40, 0.2, 25 / 119],
        }
    )
    out = protect_table(
        frame,
        count_columns=["entered", "work"],
        group_columns=["partner"],
        total_row_label="All",
        rate_columns=["work_rate"],
        denominator_column="entered",
        rate_numerators="work",
    )
    # entered: nothing 1..4 -> 9->10, 10, 40, 60, 119->120.
    assert out["entered"].tolist() == [10, 10, 40, 60, 120]
    # work: C 3 primary; next smallest non-zero: A 5 / B 5 tie -> first (A) -> [c].
    assert out["work"].tolist() == [C, 5, C, 10, 25]
    # rates: A has 9 people (< 10) -> [c] (and its work is suppressed);
    #        B 10 people, work shown -> 0.5 shown; C work suppressed -> [c];
    #        D 0.2 shown; All shown.
    assert out["work_rate"].tolist() == [C, 0.5, C, 0.2, 25 / 119]


def test_rate_blanked_when_its_denominator_is_suppressed() -> None:
    frame = pd.DataFrame(
        {
            "region": ["London", "Wales", "All"],
            "entered": [2, 30, 32],
            "work": [0, 6, 6],
            "work_rate": [0.0, 0.2, 6 / 32],
        }
    )
    out = protect_table(
        frame,
        count_columns=["work"],
        group_columns=["region"],
        total_row_label="All",
        rate_columns=["work_rate"],
        denominator_column="entered",
        rate_numerators="work",
    )
    # entered (2, 30 | 32): London 2 primary, Wales 30 secondary (smaller than 32).
    assert out["entered"].tolist() == [C, C, 30]
    # Wales's rate 0.2 with work 6 (shown as 5) would give 6 / 0.2 = 30 -> [c].
    # London: 2 people -> [c]. All: 32 people, shown.
    assert out["work_rate"].tolist() == [C, C, 6 / 32]
    assert out["work"].tolist() == [0, 5, 5]


def test_protect_rates_on_its_own() -> None:
    frame = pd.DataFrame(
        {
            "group": ["a", "b", "c", "d"],
            "entered": [9, 12, 15, C],
            "work": [6, 3, 8, 1],
            "rate": [0.33, 0.25, 0.53, 1.0],
            "lower": [0.1, 0.05, 0.3, 0.2],
        }
    )
    out = protect_rates(frame, ["rate", "lower"], "entered", numerator_columns="work")
    # a: 9 < 10 -> [c]; b: work 3 is a count 1..4 -> [c]; c: shown; d: entered [c] -> [c].
    assert out["rate"].tolist() == [C, C, 0.53, C]
    assert out["lower"].tolist() == [C, C, 0.3, C]
    # counts are left alone by protect_rates
    assert out["work"].tolist() == [6, 3, 8, 1]
    # a smaller minimum group shows a's rate (9 >= 5 and its work, 6, is not small)
    out = protect_rates(frame, ["rate"], "entered", min_group=5, numerator_columns="work")
    assert out["rate"].tolist() == [0.33, C, 0.53, C]


def test_rates_need_a_denominator() -> None:
    frame = pd.DataFrame({"work": [5], "rate": [0.5]})
    with pytest.raises(InputError, match="denominator"):
        protect_table(frame, count_columns=["work"], rate_columns=["rate"])


# --------------------------------------------------------------------------- refusals


def test_participant_level_frames_are_refused() -> None:
    frame = pd.DataFrame({"participant_id": ["P1"], "entered": [1]})
    with pytest.raises(InputError, match="participant-level"):
        protect_table(frame, count_columns=["entered"])


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([3, -1], "non-negative"),
        ([2.5, 6.0], "non-negative whole"),
        ([C, 6], "already protected"),
        ([6, f" {C} "], "already protected"),
        ([True, 6], "True/False"),
        ([True, C], "already protected"),  # the marker is reported, wherever the flag is
        (["many", 6], "whole-number"),
    ],
)
def test_bad_counts_are_refused(values: list[object], message: str) -> None:
    frame = pd.DataFrame({"entered": pd.Series(values, dtype=object)})
    with pytest.raises(InputError, match=message) as caught:
        protect_table(frame, count_columns=["entered"])
    assert isinstance(caught.value, EteError)


def test_missing_columns_are_named() -> None:
    frame = pd.DataFrame({"entered": [6]})
    with pytest.raises(InputError, match="work"):
        protect_table(frame, count_columns=["work"])


# --------------------------------------------------------------------------- scanner


def test_scanner_finds_small_counts_as_numbers_and_text() -> None:
    frame = pd.DataFrame(
        {
            "label": ["London", "3", "1,234", "Q3", "2.0"],
            "count": pd.Series([3, 0, 5, C, 4.0], index=[10, 11, 12, 13, 14], dtype=object),
            "rate": [0.03, 3.5, 0.25, 0.4, 0.1],
            "pct": ["3.0%", "4%", "10%", "2.5", " 2 "],
        },
        index=[10, 11, 12, 13, 14],
    )
    found = find_disclosive_counts(frame)
    # label: "3" (row 11) and "2.0" (row 14); "1,234" is 1234, fine; "Q3" is a label.
    # count: 3 (row 10) and 4.0 (row 14); 0, 5 and "[c]" are fine.
    # rate: no whole numbers. pct: percentages and "2.5" are not counts; " 2 " is.
    assert found == [
        DisclosiveCell(11, "label", "3"),
        DisclosiveCell(14, "label", "2.0"),
        DisclosiveCell(10, "count", 3),
        DisclosiveCell(14, "count", 4.0),
        DisclosiveCell(14, "pct", " 2 "),
    ]
    assert not is_protected_frame(frame)
    assert find_disclosive_counts(frame, ignore_columns=["label", "count", "pct"]) == []


def test_scanner_passes_zero_five_and_large_thousands() -> None:
    frame = pd.DataFrame(
        {"a": ["1,234", "0", "5", C, "12,345,678"], "b": [0, 5, 10, 1234, 1_000_000]}
    )
    assert find_disclosive_counts(frame) == []
    assert is_protected_frame(frame)


def test_scanner_ignores_booleans_and_dates() -> None:
    frame = pd.DataFrame(
        {"flag": [True, False], "when": pd.to_datetime(["2023-08-16", "2023-01-03"])}
    )
    assert find_disclosive_counts(frame) == []


# --------------------------------------------------------------------------- numeric view


def test_numeric_view_turns_markers_into_nan() -> None:
    protected = pd.DataFrame(
        {
            "region": ["London", "Wales"],
            "entered": pd.Series([120, C], dtype=object),
            "rate": pd.Series([0.25, C], dtype=object),
        }
    )
    view = numeric_view(protected)
    assert view["region"].tolist() == ["London", "Wales"]
    assert view["entered"].dtype == np.float64
    assert view["entered"].iloc[0] == 120.0 and np.isnan(view["entered"].iloc[1])
    assert view["rate"].iloc[0] == 0.25 and np.isnan(view["rate"].iloc[1])
    # the protected frame itself is untouched
    assert protected["entered"].tolist() == [120, C]


# --------------------------------------------------------------------------- properties


def _line_sets(frame: pd.DataFrame, group_columns: Sequence[Hashable]) -> list[list[int]]:
    """Row positions of each additive line, found independently of the module.

    For each group column g, rows agreeing on every other group column form a
    line (including the "All" row of g, the line's total).
    """
    positions = pd.Series(range(len(frame)), index=frame.index)
    lines: list[list[int]] = []
    for g in group_columns:
        others = [c for c in group_columns if c != g]
        if others:
            for _, rows in positions.groupby([frame[c] for c in others]):
                lines.append(rows.tolist())
        else:
            lines.append(positions.tolist())
    return lines


def _assert_lines_safe(
    out: pd.DataFrame,
    frame: pd.DataFrame,
    count_columns: Sequence[Hashable],
    group_columns: Sequence[Hashable],
) -> None:
    for line in _line_sets(frame, group_columns):
        if len(line) < 2:
            continue
        for column in count_columns:
            hidden = sum(out[column].iloc[r] == C for r in line)
            assert hidden != 1, f"{column} line {line} has exactly one suppressed cell"


def _with_margins(
    grid: pd.DataFrame, group_columns: list[str], count_columns: list[str]
) -> pd.DataFrame:
    """Add "All" rows for every subset of group columns (a full hypercube of totals)."""
    parts = [grid]
    n = len(group_columns)
    for mask in range(1, 2**n):
        collapsed = [g for i, g in enumerate(group_columns) if mask >> i & 1]
        kept = [g for g in group_columns if g not in collapsed]
        if kept:
            summed = grid.groupby(kept, as_index=False)[count_columns].sum()
        else:
            summed = grid[count_columns].sum().to_frame().T
        for g in collapsed:
            summed[g] = "All"
        parts.append(summed[[*group_columns, *count_columns]])
    return pd.concat(parts, ignore_index=True)


small_counts = st.integers(min_value=0, max_value=40) | st.integers(min_value=0, max_value=4)


@st.composite
def tidy_tables(draw: st.DrawFn) -> tuple[pd.DataFrame, list[str], list[str], bool]:
    n_groups = draw(st.integers(min_value=1, max_value=2))
    sizes = [draw(st.integers(min_value=2, max_value=4)) for _ in range(n_groups)]
    group_columns = [f"g{i}" for i in range(n_groups)]
    n_counts = draw(st.integers(min_value=1, max_value=2))
    count_columns = [f"n{j}" for j in range(n_counts)]
    index = pd.MultiIndex.from_product(
        [[f"{g}_{k}" for k in range(size)] for g, size in zip(group_columns, sizes, strict=True)],
        names=group_columns,
    )
    grid = index.to_frame(index=False)
    for column in count_columns:
        grid[column] = draw(st.lists(small_counts, min_size=len(grid), max_size=len(grid)))
    with_totals = draw(st.booleans())
    frame = _with_margins(grid, group_columns, count_columns) if with_totals else grid
    frame = frame.sample(frac=1, random_state=draw(st.integers(0, 1000))).reset_index(drop=True)
    return frame, group_columns, count_columns, with_totals


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tidy_tables())
def test_protect_table_properties(case: tuple[pd.DataFrame, list[str], list[str], bool]) -> None:
    frame, group_columns, count_columns, with_totals = case
    out = protect_table(
        frame,
        count_columns=count_columns,
        group_columns=group_columns,
        total_row_label="All" if with_totals else None,
    )
    # 1. nothing from 1 to 4 is shown anywhere
    assert find_disclosive_counts(out) == []
    # 2. every true count of 1..4 is suppressed; every shown count is the rounded truth
    for column in count_columns:
        for truth, shown in zip(frame[column], out[column], strict=True):
            if 1 <= truth <= 4:
                assert shown == C
            elif shown != C:
                assert shown == round_to_base(int(truth))
    # 3. no additive line has exactly one suppressed cell
    _assert_lines_safe(out, frame, count_columns, group_columns)
    # 4. labels untouched
    pd.testing.assert_frame_equal(out[group_columns], frame[group_columns])


@settings(max_examples=150, deadline=None)
@given(
    st.integers(min_value=2, max_value=5),
    st.integers(min_value=2, max_value=5),
    st.data(),
)
def test_protect_crosstab_properties(n_rows: int, n_cols: int, data: st.DataObject) -> None:
    cells = data.draw(
        st.lists(
            st.lists(small_counts, min_size=n_cols, max_size=n_cols),
            min_size=n_rows,
            max_size=n_rows,
        )
    )
    table = pd.DataFrame(
        cells, index=[f"r{i}" for i in range(n_rows)], columns=[f"c{j}" for j in range(n_cols)]
    )
    table["All"] = table.sum(axis=1)
    table.loc["All"] = table.sum(axis=0)
    out = protect_crosstab(table)
    assert find_disclosive_counts(out) == []
    for i in range(out.shape[0]):
        assert (out.iloc[i] == C).sum() != 1, f"row {i} has one suppressed cell"
    for j in range(out.shape[1]):
        assert (out.iloc[:, j] == C).sum() != 1, f"column {j} has one suppressed cell"
    truth = table.to_numpy()
    shown = out.to_numpy()
    for t, s in zip(truth.ravel(), shown.ravel(), strict=True):
        if 1 <= t <= 4:
            assert s == C
        elif s != C:
            assert s == round_to_base(int(t))
