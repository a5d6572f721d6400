"""Display formatting: UK dates, counts, percentages, humanised headings, tables."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from ete_metrics.present.formatting import (
    count,
    counted,
    humanise,
    percent,
    signed_count,
    signed_points,
    uk_date,
)
from ete_metrics.present.tables import display_table


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2023, 8, 16), "16 Aug 2023"),
        (date(2023, 8, 1), "1 Aug 2023"),  # no leading zero on the day
        (datetime(2021, 6, 1, 13, 45), "1 Jun 2021"),  # the time is dropped
        (pd.Timestamp("2024-02-29"), "29 Feb 2024"),
        ("2022-12-31", "31 Dec 2022"),  # ISO string
        (None, ""),
        (pd.NaT, ""),
        (np.nan, ""),
        ("", ""),
    ],
)
def test_uk_date(value: object, expected: str) -> None:
    assert uk_date(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1234567, "1,234,567"),
        (10234, "10,234"),
        (999, "999"),
        (0, "0"),
        (np.int64(45000), "45,000"),
        (1234.6, "1,235"),  # rounded to the nearest person
        (np.nan, ""),
        (None, ""),
        (pd.NA, ""),
    ],
)
def test_count(value: object, expected: str) -> None:
    assert count(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.38149, "38.1%"),  # 38.149% -> one decimal
        (0.38151, "38.2%"),  # 38.151% rounds up
        (1.0, "100.0%"),
        (0.0, "0.0%"),
        (0.0004, "0.0%"),
        (12.3456, "1,234.6%"),  # above 100% keeps thousands separators
        (-0.0001, "0.0%"),  # never "-0.0%"
        (-0.052, "-5.2%"),
        (np.nan, ""),
        (None, ""),
    ],
)
def test_percent(value: object, expected: str) -> None:
    assert percent(value) == expected


def test_signed_changes() -> None:
    assert signed_count(1234) == "+1,234"
    assert signed_count(-56) == "-56"
    assert signed_count(0) == "0"
    # 0.012 as a fraction = 1.2 percentage points
    assert signed_points(0.012) == "+1.2 pp"
    assert signed_points(-0.0049) == "-0.5 pp"
    assert signed_points(np.nan) == ""


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("rate_from_entry", "Rate from entry"),
        ("participants", "Participants"),
        ("participant_id", "Participant ID"),
        ("ci_low", "CI low"),
        ("rag", "RAG"),
        ("entry_fy", "Entry FY"),
        ("region", "Region"),
    ],
)
def test_humanise(name: str, expected: str) -> None:
    assert humanise(name) == expected


def test_display_table_formats_named_columns_and_leaves_the_input_alone() -> None:
    frame = pd.DataFrame(
        {
            "region": ["London", None],
            "participants": [10234, 7],
            "rate_from_entry": [0.38149, np.nan],
            "period_start": pd.to_datetime(["2023-08-16", None]),
        }
    )
    before = frame.copy()
    out = display_table(
        frame, counts=["participants"], rates=["rate_from_entry"], dates=["period_start"]
    )
    # headings are the words of ete_metrics.views.HEADINGS
    assert list(out.columns) == ["Region", "People", "% of entered", "Period from"]
    assert out.iloc[0].to_list() == ["London", "10,234", "38.1%", "16 Aug 2023"]
    # missing values of every kind show as empty strings
    assert out.iloc[1].to_list() == ["", "7", "", ""]
    pd.testing.assert_frame_equal(frame, before)


def test_display_table_rejects_an_unknown_column() -> None:
    with pytest.raises(KeyError, match="no column 'rate'"):
        display_table(pd.DataFrame({"a": [1]}), rates=["rate"])


def test_display_table_agrees_with_the_scalar_formatters() -> None:
    # the table formatter is vectorised; it must give exactly the scalar functions' strings
    rates = [0.0, 0.00049, 0.0005, 0.38149, 0.38151, 0.125, 1 / 3, 2 / 3, -0.00001, 1.0, np.nan, 10.5]
    counts = [0, 1, 999, 1000, 1234567, 2.5, 3.5, np.nan, 45000, 7, 10, -1234]
    days = pd.to_datetime(
        ["2021-06-01", "2023-08-16", None, "2024-02-29", "2022-12-31", "2021-06-09"] * 2
    )
    frame = pd.DataFrame({"r": rates, "c": counts, "d": days})
    out = display_table(frame, counts=["c"], rates=["r"], dates=["d"])
    assert out["R"].to_list() == [percent(v) for v in rates]
    assert out["C"].to_list() == [count(v) for v in counts]
    assert out["D"].to_list() == [uk_date(v) for v in days]


def test_display_table_shows_differences_of_rates_in_points() -> None:
    frame = pd.DataFrame({"gap": [0.0123, -0.0456, 0.0004, -0.0004, np.nan, 0.25]})
    out = display_table(frame, points=["gap"])
    # 1.23 points -> +1.2 pp; -4.56 -> -4.6 pp; 0.04 and -0.04 round to 0.0 pp; missing blank
    assert out["Gap to overall"].tolist() == ["+1.2 pp", "-4.6 pp", "0.0 pp", "0.0 pp", "", "+25.0 pp"]


def test_display_table_keeps_the_column_order_and_the_types_of_columns_it_leaves() -> None:
    frame = pd.DataFrame(
        {
            "partner": pd.Series(["Acme", None], dtype="str"),
            "participants": [1200, 3],
            "recorded": [True, False],
            "pathway": pd.Categorical(["custody", "community"]),
            "rate": [0.5, 0.25],
            "months": np.array([3, 12], dtype="int64"),
        }
    )
    out = display_table(frame, counts=["participants"], rates=["rate"])
    assert list(out.columns) == ["Partner", "People", "Recorded", "Pathway", "Rate", "Months"]
    assert out.to_dict("list") == {
        "Partner": ["Acme", ""],
        "People": ["1,200", "3"],
        "Recorded": [True, False],
        "Pathway": ["custody", "community"],
        "Rate": ["50.0%", "25.0%"],
        "Months": [3, 12],
    }
    # text (categories of text too) and formatted columns are plain objects, not a string
    # dtype; the flags and the unformatted numbers keep theirs
    assert [str(t) for t in out.dtypes] == ["object", "object", "bool", "object", "object", "int64"]


@pytest.mark.parametrize(
    ("n", "noun", "plural", "expected"),
    [
        (1, "participant", None, "1 participant"),
        (0, "warning", None, "0 warnings"),
        (2, "milestone", None, "2 milestones"),
        (12345, "problem", None, "12,345 problems"),
        (3, "person", "people", "3 people"),
        (1, "person", "people", "1 person"),
    ],
)
def test_counted_is_singular_for_one_only(n: int, noun: str, plural: str | None, expected: str) -> None:
    assert counted(n, noun, plural) == expected


def test_display_table_shows_codes_in_words_and_keeps_withheld_figures_marked() -> None:
    from ete_metrics.views import COMPARE

    frame = pd.DataFrame({
        "region": ["Wales", "London"],
        "entered": ["[c]", 120],
        "participants": [3, 40],
        "rate": ["[c]", 1 / 3],
        "upper_998": [0.5, 0.45],
        "position": ["[c]", "above"],
        "rag": ["amber", "red"],
    })
    out = display_table(frame, COMPARE)
    assert list(out.columns) == [
        "Region", "Entered", "People", "Rate", "Upper 99.8% limit", "Against the 95% limits", "RAG",
    ]
    # 1/3 -> 33.3%; 0.45 -> 45.0%; codes in words; "[c]" stays "[c]"
    assert out.to_dict("list") == {
        "Region": ["Wales", "London"], "Entered": ["[c]", "120"], "People": ["3", "40"],
        "Rate": ["[c]", "33.3%"], "Upper 99.8% limit": ["50.0%", "45.0%"],
        "Against the 95% limits": ["[c]", "Above"], "RAG": ["Amber", "Red"],
    }


def test_display_table_shows_ratios_with_two_decimals() -> None:
    frame = pd.DataFrame({"ratio": [1.0911676, "[c]", np.nan], "ratio_low": [0.7759, 0.5, 0.4]})
    out = display_table(frame)
    # 1.0911676 -> 1.09; 0.7759 -> 0.78; withheld stays [c]; missing is blank
    assert out["Observed / expected"].tolist() == ["1.09", "[c]", ""]
    assert out["Lower 95% limit of the ratio"].tolist() == ["0.78", "0.50", "0.40"]


def test_a_views_column_family_is_formatted_by_its_pattern() -> None:
    from ete_metrics.views import COHORT_HEATMAP

    frame = pd.DataFrame({"cohort": ["2023 Q1"], "cohort_size": [1240], "month_0": [0.0],
                          "month_12": [0.375], "monthly_note": ["x"]})
    out = display_table(frame, COHORT_HEATMAP)
    # "month_*" are percentages (0.375 -> 37.5%); a column that only starts alike keeps its text
    assert out["Cohort size"].tolist() == ["1,240"]
    assert out["Month 0"].tolist() == ["0.0%"]
    assert out["Month 12"].tolist() == ["37.5%"]
    assert out["Monthly note"].tolist() == ["x"]
    assert COHORT_HEATMAP.formats(frame.columns) == {
        "cohort_size": "count", "month_0": "percent", "month_12": "percent"}


def test_data_quality_checks_are_named_in_words_on_screen_and_in_files() -> None:
    from ete_metrics.present.tables import file_table
    from ete_metrics.views import DATA_QUALITY, IMPORT_CHECKS

    quality = pd.DataFrame({"check": ["milestone_before_entry", "exit_before_entry"],
                            "description": ["A milestone is dated before entry.", "Exit before entry."],
                            "count": [1234, 0]})
    # the labels of ete_metrics.data.checks.RULES
    words = ["Milestone before entry", "Exit before entry"]
    assert display_table(quality, DATA_QUALITY)["Check"].tolist() == words
    in_file = file_table(quality, DATA_QUALITY)
    assert in_file["Check"].tolist() == words and in_file["Count"].tolist() == [1234, 0]
    # the import stores one rule under an older name; a check of its own reads in words too
    stored = pd.DataFrame({"line": [3, 12], "check": ["sustained_without_start", "unknown_column"]})
    assert display_table(stored, IMPORT_CHECKS)["Check"].tolist() == [
        "Sustained job without a job start", "Unknown column"]


def test_a_yes_no_column_with_withheld_values_is_shown_in_words() -> None:
    # For stakeholders "Outside the 99.8% limits" is blanked ([c]) beside a withheld rate: such
    # a column is neither flags nor text, so it reads Yes / No / [c] (a table can draw it).
    frame = pd.DataFrame({"region": ["A", "B", "C"], "outside_998": pd.Series([True, False, "[c]"], dtype=object)})
    out = display_table(frame)
    assert out["Outside the 99.8% limits"].tolist() == ["Yes", "No", "[c]"]
    # plain flags keep their dtype (a check box on screen)
    assert display_table(frame.iloc[:2].astype({"outside_998": bool}))["Outside the 99.8% limits"].dtype == bool
