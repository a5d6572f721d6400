"""ete_metrics.protect.audience.protect_view: each view protected with the disclosure rules.

Thresholds (config): counts 1-4 suppressed, others rounded to 5, rates blank for groups
under 10. Every expected value below is worked out by hand in the comments.
"""

from __future__ import annotations

import pandas as pd
import pytest

from ete_metrics.errors import InputError
from ete_metrics.protect.audience import VIEWS, coarsen_incidence, present_view, protect_view
from ete_metrics.protect.disclosure import SUPPRESSED, find_disclosive_counts, protect_table

C = SUPPRESSED


def _funnel() -> pd.DataFrame:
    # Two regions, long form. London: 40 entered, 12 training, 3 work.
    # Wales: 8 entered, 6 training, 5 work. Rates are participants / entered.
    return pd.DataFrame(
        {
            "region": ["London"] * 3 + ["Wales"] * 3,
            "step": ["entered", "training", "work"] * 2,
            "participants": [40, 12, 3, 8, 6, 5],
            "rate_from_entry": [1.0, 0.3, 0.075, 1.0, 0.75, 0.625],
            "rate_from_previous": [float("nan"), 0.3, 0.25, float("nan"), 0.75, 5 / 6],
            "ci_low": [0.9, 0.2, 0.02, 0.7, 0.4, 0.3],
            "ci_high": [1.0, 0.4, 0.2, 1.0, 0.9, 0.9],
        }
    )


def test_funnel_counts_suppressed_secondary_and_rounded() -> None:
    out = protect_view(_funnel(), "funnel")
    # Lines are per step across regions (totals published): entered 40 | 8 -> no primary;
    # training 12 | 6 -> none; work 3 | 5 -> 3 is primary, the line then has one
    # suppressed cell so the other (5) is suppressed too. Rounded: 40, 12->10, 8->10, 6->5.
    assert out["participants"].tolist() == [40, 10, C, 10, 5, C]


def test_funnel_rates_blank_for_small_groups_and_suppressed_counts() -> None:
    out = protect_view(_funnel(), "funnel")
    # London (40 entered >= 10): entered and training rates shown; work's numerator is
    # suppressed -> blank. Its rate from previous: numerator suppressed -> blank.
    # Rates are from the published counts (policy): training 12 -> 10, so 10 / 40 = 0.25;
    # Wilson 95% lower limits (z = 1.96): 40 of 40 -> 0.912, 10 of 40 -> 0.142.
    assert out["rate_from_entry"].tolist()[:3] == [1.0, 0.25, C]
    assert out["ci_low"].tolist()[:3] == [0.912, 0.142, C]
    assert out["rate_from_previous"].tolist()[1:3] == [0.25, C]
    assert pd.isna(out["rate_from_previous"].iloc[0])  # no previous step: stays missing
    # Wales: 8 entered < 10 -> every rate from entry blank; from previous: training's
    # previous (entered 8) < 10 -> blank; work's previous (training 6) < 10 -> blank.
    assert out["rate_from_entry"].tolist()[3:] == [C, C, C]
    assert out["rate_from_previous"].tolist()[4:] == [C, C]
    assert not find_disclosive_counts(out, ignore_columns=VIEWS["funnel"].rates)


def test_funnel_matches_protect_table_for_the_counts() -> None:
    frame = _funnel()
    expected = protect_table(frame, count_columns=["participants"], group_columns=["region"],
                             key_columns=["step"])
    pd.testing.assert_series_equal(protect_view(frame, "funnel")["participants"],
                                   expected["participants"])


def test_overall_funnel_primary_only_and_rate_from_previous_uses_previous_step() -> None:
    # No breakdown: 100 entered, 9 training, 9 work (rounded 100, 10, 10).
    # Work's rate from previous is over training (9 < 10) -> blank; from entry over 100 -> shown,
    # from the published counts: 10 / 100 = 0.1.
    frame = pd.DataFrame({"step": ["entered", "training", "work"], "participants": [100, 9, 9],
                          "rate_from_entry": [1.0, 0.09, 0.09],
                          "rate_from_previous": [float("nan"), 0.09, 1.0],
                          "ci_low": [0.96, 0.04, 0.04], "ci_high": [1.0, 0.16, 0.16]})
    out = protect_view(frame, "funnel")
    assert out["participants"].tolist() == [100, 10, 10]
    assert out["rate_from_entry"].tolist() == [1.0, 0.1, 0.1]
    assert out["rate_from_previous"].tolist()[1:] == [0.1, C]


def test_equality_and_compare_blank_derived_columns() -> None:
    # Gender: Female 12 entered, 2 into work; Male 50, 10. Lines within the characteristic:
    # participants 2 | 10 -> 2 primary, 10 secondary. entered 12 | 50: nothing.
    frame = pd.DataFrame({"characteristic": ["gender", "gender"], "group": ["Female", "Male"],
                          "entered": [12, 50], "participants": [2, 10],
                          "rate": [2 / 12, 0.2], "ci_low": [0.05, 0.1], "ci_high": [0.4, 0.3],
                          "overall_rate": [0.19, 0.19], "gap": [-0.02, 0.01]})
    out = protect_view(frame, "equality")
    assert out["entered"].tolist() == [10, 50]
    assert out["participants"].tolist() == [C, C]
    assert out["rate"].tolist() == [C, C] and out["gap"].tolist() == [C, C]
    # the whole population's, from its published totals: 12 in work -> 10, 62 entered -> 60
    assert out["overall_rate"].tolist() == [0.167, 0.167]

    compare = pd.DataFrame({"region": ["A", "B"], "entered": [8, 30], "participants": [5, 10],
                            "rate": [0.625, 1 / 3], "overall_rate": [0.39, 0.39],
                            "lower_95": [0.1, 0.2], "upper_95": [0.7, 0.6],
                            "lower_998": [0.05, 0.15], "upper_998": [0.8, 0.65],
                            "position": ["above", "within"], "outside_998": [False, False]})
    out = protect_view(compare, "compare")
    # A: 8 entered < 10 -> its rate, limits and position are blank; 8 -> 10. B shown.
    assert out["entered"].tolist() == [10, 30]
    assert out.loc[0, "rate"] == C and out.loc[0, "position"] == C and out.loc[0, "upper_998"] == C
    # B: 10 of 30 published -> 0.333; overall 15 of 38 -> published 15 of 40 = 0.375.
    assert out.loc[1, "rate"] == 0.333 and out.loc[1, "position"] == "within"
    assert out.loc[1, "overall_rate"] == 0.375


def test_data_quality_drops_example_ids_and_participant_ids() -> None:
    frame = pd.DataFrame({"check": ["a", "b"], "description": ["x", "y"], "count": [3, 12],
                          "example_ids": ["P1234567, P7654321", ""]})
    out = protect_view(frame, "data_quality")
    assert "example_ids" not in out.columns
    assert out["count"].tolist() == [C, 10]  # no groups: primary only; 12 -> 10
    with pytest.raises(InputError):
        protect_view(frame, "no_such_view")


def test_internal_audience_is_unchanged_and_unknown_audience_refused() -> None:
    frame = _funnel()
    assert present_view(frame, "funnel", "internal") is frame
    with pytest.raises(InputError):
        present_view(frame, "funnel", "public")


def test_input_not_modified() -> None:
    frame = _funnel()
    before = frame.copy()
    protect_view(frame, "funnel")
    pd.testing.assert_frame_equal(frame, before)


def test_incidence_curve_shows_only_steps_of_ten_or_more_people() -> None:
    # Days 0..5 with 0, 3, 4, 5, 2, 1 events for one group: kept are day 0 (nobody
    # yet), day 3 (3 + 4 + 5 = 12 >= 10 since day 0); days 4 and 5 add only 3, so the
    # curve ends at day 3. The rise from day 0 to day 3 stands for 12 people, never
    # for the 3 or 4 of a single day.
    frame = pd.DataFrame({
        "region": ["Wales"] * 6 + ["London"] * 2,
        "days_since_entry": [0, 1, 2, 3, 4, 5, 0, 7],
        "at_risk": [100, 100, 97, 93, 88, 86, 50, 50],
        "events": [0, 3, 4, 5, 2, 1, 10, 4],
        "cumulative_incidence": [0.0, 0.03, 0.07, 0.12, 0.14, 0.15, 0.2, 0.28],
        "ci_low": [0.0] * 8,
        "ci_high": [0.5] * 8,
    })
    coarse = coarsen_incidence(frame)
    assert coarse["region"].tolist() == ["Wales", "Wales", "London"]
    assert coarse["days_since_entry"].tolist() == [0, 3, 0]
    assert coarse["events"].tolist() == [0, 12, 10]
    assert frame["events"].tolist() == [0, 3, 4, 5, 2, 1, 10, 4]  # input untouched
    protected = protect_view(frame, "incidence")
    assert protected["days_since_entry"].tolist() == [0, 3, 0]
    # Counts of the kept rows rounded to the nearest 5: events 0, 12 -> 10, 10;
    # at_risk 100, 93 -> 95, 50.
    assert protected["events"].tolist() == [0, 10, 10]
    assert protected["at_risk"].tolist() == [100, 95, 50]


def test_rag_rating_is_hidden_with_the_percent_of_target() -> None:
    from ete_metrics.protect.audience import protect_view

    # Wales: 3 entered against a target of 40 -> the count 3 is suppressed (1-4), so is its
    # percent of target, and so must be its RAG rating (red would tell that 3 is far below 40).
    # Regions add up to a published total, so one more region is suppressed (secondary
    # suppression picks the smallest other count: London's 60); North West's 70 stays.
    summary = pd.DataFrame({
        "region": ["London", "North West", "Wales"],
        "measure": ["entered", "entered", "entered"],
        "actual_to_date": [60, 70, 3],
        "target_to_date": [50, 50, 40],
        "contract_target": [100, 100, 80],
        "percent_achieved": [1.2, 1.4, 0.075],
        "projected_at_end": [120.0, 140.0, 6.0],
        "projected_percent": [1.2, 1.4, 0.075],
        "rag": ["green", "green", "red"],
    })
    protected = protect_view(summary, "target_summary").set_index("region")
    assert protected.loc["Wales", ["actual_to_date", "percent_achieved", "rag"]].tolist() == ["[c]"] * 3
    assert protected.loc["London", ["actual_to_date", "percent_achieved", "rag"]].tolist() == ["[c]"] * 3
    assert protected.loc["North West", ["actual_to_date", "rag"]].tolist() == [70, "green"]


def test_a_view_for_internal_use_only_is_never_protected_for_stakeholders() -> None:
    from ete_metrics.views import FOLLOW_UP

    follow_up = pd.DataFrame({"participant_id": ["P0000001"], "days_since_entry": [120]})
    with pytest.raises(InputError, match="internal use only"):
        protect_view(follow_up, FOLLOW_UP)
    with pytest.raises(InputError, match="internal use only"):
        present_view(follow_up, "follow_up", "stakeholder")
    assert present_view(follow_up, FOLLOW_UP, "internal") is follow_up
