"""ete_metrics.protect.audience.protect_view: each view protected with the disclosure rules.

Thresholds (config): counts 1-4 suppressed, others rounded to 5, rates blank for groups
under 10. Every expected value below is worked out by hand in the comments.
"""

from __future__ import annotations

import pandas as pd
import pytest

from ete_metrics.errors import InputError
from ete_metrics.protect.audience import VIEWS, present_view, protect_view
from ete_metrics.protect.disclosure import SUPPRESSED, find_disclosive_counts, protect_table
from ete_metrics.steps import ENTERED, TRAINING, WORK

C = SUPPRESSED


def _funnel() -> pd.DataFrame:
    # Two regions, long form. London: 40 entered, 12 training, 3 work.
    # Wales: 8 entered, 6 training, 5 work. Rates are participants / entered.
    return pd.DataFrame(
        {
            "region": ["London"] * 3 + ["Wales"] * 3,
            "step": [ENTERED.name, TRAINING.name, WORK.name] * 2,
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
    # Wales: 8 entered, published 10 (not below ten: a rate's group size is the published
    # one, else blanking would tell 8 or 9 from 10-12): entered 10 / 10 = 1.0, training
    # 6 -> 5, 5 / 10 = 0.5, work suppressed -> blank. From previous: training over entered
    # 5 / 10 = 0.5; work's previous (training published 5) < 10 -> blank.
    assert out["rate_from_entry"].tolist()[3:] == [1.0, 0.5, C]
    assert out["rate_from_previous"].tolist()[4:] == [0.5, C]
    assert not find_disclosive_counts(out, ignore_columns=VIEWS["funnel"].rates)


def test_funnel_matches_protect_table_for_the_counts() -> None:
    frame = _funnel()
    expected = protect_table(frame, count_columns=["participants"], group_columns=["region"],
                             key_columns=["step"])
    pd.testing.assert_series_equal(protect_view(frame, "funnel")["participants"],
                                   expected["participants"])


def test_overall_funnel_primary_only_and_rate_from_previous_uses_previous_step() -> None:
    # No breakdown: 100 entered, 9 training, 9 work (rounded 100, 10, 10).
    # Work's rate from previous is over training's published 10 (not below ten): 10 / 10 = 1.0;
    # from entry over 100, from the published counts: 10 / 100 = 0.1.
    frame = pd.DataFrame({"step": [ENTERED.name, TRAINING.name, WORK.name], "participants": [100, 9, 9],
                          "rate_from_entry": [1.0, 0.09, 0.09],
                          "rate_from_previous": [float("nan"), 0.09, 1.0],
                          "ci_low": [0.96, 0.04, 0.04], "ci_high": [1.0, 0.16, 0.16]})
    out = protect_view(frame, "funnel")
    assert out["participants"].tolist() == [100, 10, 10]
    assert out["rate_from_entry"].tolist() == [1.0, 0.1, 0.1]
    assert out["rate_from_previous"].tolist()[1:] == [0.1, 1.0]


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
    # A: 8 entered -> published 10 (a group size is the published one), 5 -> 5: rate 0.5.
    # Its upper 95% limit around the published overall 0.375 for 10 people: Binomial(10,
    # 0.375) has P(R <= 6) = 0.96160, P(R <= 7) = 0.99216, so r = 7, alpha = (0.99216 -
    # 0.975) / (0.99216 - 0.96160) = 0.5615 and the limit (7 - 0.5615) / 10 = 0.644: within.
    assert out["entered"].tolist() == [10, 30]
    assert out.loc[0, "rate"] == 0.5 and out.loc[0, "upper_95"] == 0.644
    assert out.loc[0, "position"] == "within"
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


def test_the_incidence_curve_is_not_published_to_stakeholders() -> None:
    # A Kaplan-Meier curve is worked out from each person's days, not from published counts
    # (the cohort curves publish the same progress from counts): refused, never protected.
    frame = pd.DataFrame({"days_since_entry": [0, 3], "at_risk": [100, 93], "events": [0, 12],
                          "cumulative_incidence": [0.0, 0.12], "ci_low": [0.0, 0.05],
                          "ci_high": [0.0, 0.2]})
    with pytest.raises(InputError, match="internal use only"):
        protect_view(frame, "incidence")


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
        "contract_elapsed": [0.5, 0.5, 0.5],
        "percent_achieved": [1.2, 1.4, 0.075],
        "projected_at_end": [120.0, 140.0, 6.0],
        "projected_percent": [1.2, 1.4, 0.075],
        "rag": ["green", "green", "red"],
    })
    protected = protect_view(summary, "target_summary").set_index("region")
    assert protected.loc["Wales", ["actual_to_date", "percent_achieved", "rag"]].tolist() == ["[c]"] * 3
    assert protected.loc["London", ["actual_to_date", "percent_achieved", "rag"]].tolist() == ["[c]"] * 3
    assert protected.loc["North West", ["actual_to_date", "rag"]].tolist() == [70, "green"]
    # North West's percent and projection from its published actual: 70 / 50 = 1.4; the
    # run rate 70 / 0.5 = 140 (rounded to 5: 140) and 140 / 100 = 1.4 of the contract.
    assert protected.loc["North West", ["percent_achieved", "projected_at_end",
                                        "projected_percent"]].tolist() == [1.4, 140, 1.4]


def test_a_view_for_internal_use_only_is_never_protected_for_stakeholders() -> None:
    from ete_metrics.views import FOLLOW_UP

    follow_up = pd.DataFrame({"participant_id": ["P0000001"], "days_since_entry": [120]})
    with pytest.raises(InputError, match="internal use only"):
        protect_view(follow_up, FOLLOW_UP)
    with pytest.raises(InputError, match="internal use only"):
        present_view(follow_up, "follow_up", "stakeholder")
    assert present_view(follow_up, FOLLOW_UP, "internal") is follow_up
