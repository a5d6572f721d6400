"""Funnel-plot limits (Spiegelhalter 2005, exact binomial with interpolation) and compare_groups.

The limit for target theta, size n and cumulative probability p:
  r_p = smallest r with P(R <= r) >= p, R ~ Binomial(n, theta)
  alpha = (P(R <= r_p) - p) / (P(R <= r_p) - P(R <= r_p - 1))
  limit = (r_p - alpha) / n, clipped to 0..1
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ete_metrics.counting.scope import Scope
from ete_metrics.data.frames import conform_milestones, conform_participants
from ete_metrics.errors import InputError
from ete_metrics.metrics.comparison import (
    BENCHMARK_COLUMNS,
    binomial_limit,
    compare_funnel,
    compare_groups,
    compare_within_regions,
    funnel_limits,
    programme_benchmark,
)
from ete_metrics.metrics.funnel import funnel
from ete_metrics.steps import ENTERED, REFERRED, SUSTAINED, TRAINING, WORK


def test_limits_n4_half() -> None:
    # Binomial(4, 0.5): P(R<=r) = 1/16, 5/16, 11/16, 15/16, 1 for r = 0..4
    # p = 0.975: r_p = 4 (15/16 = 0.9375 < 0.975); alpha = (1 - 0.975)/(1 - 0.9375) = 0.4
    #            limit = (4 - 0.4)/4 = 0.9
    # p = 0.999: r_p = 4; alpha = 0.001/0.0625 = 0.016; limit = (4 - 0.016)/4 = 0.996
    # p = 0.025: r_p = 0 (1/16 = 0.0625 >= 0.025); alpha = (0.0625 - 0.025)/0.0625 = 0.6
    #            limit = (0 - 0.6)/4 < 0 -> clipped to 0
    # p = 0.001: r_p = 0; alpha = 0.984 -> negative -> 0
    limits = funnel_limits(0.5, [4])
    assert limits["entered"].tolist() == [4]
    assert limits["upper_95"].iloc[0] == pytest.approx(0.9, abs=1e-9)
    assert limits["upper_998"].iloc[0] == pytest.approx(0.996, abs=1e-9)
    assert limits["lower_95"].iloc[0] == 0.0
    assert limits["lower_998"].iloc[0] == 0.0


def test_lower_limit_n20_half() -> None:
    # Binomial(20, 0.5): sum_{k<=5} C(20,k) = 1+20+190+1140+4845+15504 = 21,700;
    # C(20,6) = 38,760, so P(R<=5) = 21700/2^20 = 0.0206947, P(R<=6) = 60460/2^20 = 0.0576591.
    # p = 0.025 -> r_p = 6; alpha = (60460 - 0.025*1048576)/38760 = (60460 - 26214.4)/38760
    #           = 34245.6/38760 = 0.883530; limit = (6 - 0.883530)/20 = 0.2558235
    # p = 0.975 -> r_p = 14: P(R<=13) = 1 - 60460/2^20, P(R<=14) = 1 - 21700/2^20;
    #   alpha = (1048576 - 21700 - 0.975*1048576)/38760 = 4514.4/38760 = 0.116470
    #   limit = (14 - 0.116470)/20 = 0.6941765
    assert binomial_limit(0.5, [20], 0.025)[0] == pytest.approx(0.2558235, abs=1e-6)
    assert binomial_limit(0.5, [20], 0.975)[0] == pytest.approx(0.6941765, abs=1e-6)


def test_upper_limit_n10_three_tenths() -> None:
    # Binomial(10, 0.3): P(R<=5) = 0.9526510126, P(R=6) = 210*0.3^6*0.7^4 = 0.0367569090,
    # P(R<=6) = 0.9894079216. p = 0.975 -> r_p = 6;
    # alpha = (0.9894079216 - 0.975)/0.0367569090 = 0.0144079216/0.0367569090 = 0.391979
    # limit = (6 - 0.391979)/10 = 0.5608021
    assert funnel_limits(0.3, [10])["upper_95"].iloc[0] == pytest.approx(0.5608021, abs=1e-6)


def test_limits_narrow_with_size_and_nest() -> None:
    limits = funnel_limits(0.3, [10, 100, 1000, 10000])
    width = (limits["upper_95"] - limits["lower_95"]).to_numpy()
    assert (np.diff(width) < 0).all()
    assert (limits["lower_998"] <= limits["lower_95"]).all()
    assert (limits["upper_95"] <= limits["upper_998"]).all()
    assert (limits["lower_95"] < 0.3).all() and (limits["upper_95"] > 0.3).all()


def test_degenerate_rates_and_zero_size() -> None:
    ones = funnel_limits(1.0, [5])
    assert ones[["lower_95", "upper_95", "lower_998", "upper_998"]].iloc[0].tolist() == [1.0] * 4
    zeros = funnel_limits(0.0, [5])
    assert zeros[["lower_95", "upper_95", "lower_998", "upper_998"]].iloc[0].tolist() == [0.0] * 4
    assert funnel_limits(0.3, [0])[["lower_95", "upper_95"]].isna().all(axis=None)


@pytest.mark.parametrize("rate", [-0.1, 1.1])
def test_bad_rate_rejected(rate: float) -> None:
    with pytest.raises(InputError):
        funnel_limits(rate, [10])


def _groups() -> tuple[pd.DataFrame, pd.DataFrame]:
    # London: 20 entered, 20 into work; Wales: 20 entered, 0 into work; North West: 4 entered, 2 work.
    rows, events = [], []
    for region, size, workers in (("London", 20, 20), ("Wales", 20, 0), ("North West", 4, 2)):
        for i in range(size):
            pid = f"{region[:2]}{i:03d}"
            rows.append({"participant_id": pid, "region": region,
                         "referral_date": "2023-01-01", "entry_date": "2023-01-02"})
            if i < workers:
                events.append({"participant_id": pid, "milestone": "job_start", "date": "2023-02-01"})
    return conform_participants(pd.DataFrame(rows)), conform_milestones(pd.DataFrame(events))


def test_compare_groups_positions() -> None:
    participants, milestones = _groups()
    out = compare_groups(Scope(participants, milestones, as_of="2023-08-16"))
    assert list(out.columns) == ["region", "entered", "participants", "rate", "overall_rate",
                                 "lower_95", "upper_95", "lower_998", "upper_998", "position",
                                 "outside_998"]
    out = out.set_index("region")
    # overall = (20 + 0 + 2) / (20 + 20 + 4) = 22/44 = 0.5
    assert (out["overall_rate"] == 0.5).all()
    # North West n = 4, theta = 0.5: limits 0 .. 0.9 (worked in test_limits_n4_half); 2/4 within
    assert out.loc["North West", "upper_95"] == pytest.approx(0.9)
    assert out.loc["North West", "position"] == "within"
    # n = 20: 95% limits 0.2558 .. 0.6942 (test_lower_limit_n20_half); 1.0 above, 0.0 below
    assert out.loc["London", "position"] == "above"
    assert out.loc["Wales", "position"] == "below"
    assert bool(out.loc["London", "outside_998"]) and bool(out.loc["Wales", "outside_998"])
    assert not bool(out.loc["North West", "outside_998"])
    assert out["entered"].tolist() == [20, 4, 20]


def test_compare_groups_empty_and_bad_step() -> None:
    participants, milestones = _groups()
    empty = compare_groups(Scope(participants, milestones, as_of="2022-01-01"))
    assert empty.empty and "outside_998" in empty.columns and "region" in empty.columns
    with pytest.raises(InputError):
        compare_groups(Scope(participants, milestones, as_of="2023-08-16"), step=REFERRED.name)
    with pytest.raises(InputError):
        compare_groups(Scope(participants, milestones, as_of="2023-08-16"), by="shoe_size")


def test_outside_95_but_inside_998_limits() -> None:
    # Two groups of 20, 15 and 5 into work: overall 20/40 = 0.5.
    # 95% limits at n = 20 (test_lower_limit_n20_half): 0.2558235 .. 0.6941765.
    # 99.8% at n = 20, Binomial(20, 0.5), counts over 2^20 = 1,048,576:
    #   upper, p = 0.999: P(R<=16) = 1 - 1351/2^20 = 0.998712 < p, P(R<=17) = 1 - 211/2^20 = 0.999799
    #     -> r_p = 17, P(R=17) = C(20,17)/2^20 = 1140/2^20;
    #     alpha = (1048365 - 0.999*1048576)/1140 = 837.576/1140 = 0.734716
    #     limit = (17 - 0.734716)/20 = 0.8132642
    #   lower, p = 0.001: P(R<=2) = 211/2^20 = 0.000201 < p, P(R<=3) = 1351/2^20 = 0.001288
    #     -> r_p = 3, P(R=3) = 1140/2^20; alpha = (1351 - 1048.576)/1140 = 0.265284
    #     limit = (3 - 0.265284)/20 = 0.1367358
    # 0.75 is above the 95% limit but inside the 99.8% one; 0.25 likewise below.
    rows, events = [], []
    for region, workers in (("London", 15), ("Wales", 5)):
        for i in range(20):
            pid = f"{region[:2]}{i:03d}"
            rows.append({"participant_id": pid, "region": region,
                         "referral_date": "2023-01-01", "entry_date": "2023-01-02"})
            if i < workers:
                events.append({"participant_id": pid, "milestone": "job_start", "date": "2023-02-01"})
    out = compare_groups(
        Scope(
            conform_participants(pd.DataFrame(rows)),
            conform_milestones(pd.DataFrame(events)),
            as_of="2023-08-16",
        ),
    ).set_index("region")
    assert out.loc["London", "upper_998"] == pytest.approx(0.8132642, abs=1e-6)
    assert out.loc["London", "lower_998"] == pytest.approx(0.1367358, abs=1e-6)
    assert out.loc["London", "upper_95"] == pytest.approx(0.6941765, abs=1e-6)
    assert out["position"].to_dict() == {"London": "above", "Wales": "below"}
    assert out["outside_998"].tolist() == [False, False]


def _funnel_table() -> pd.DataFrame:
    """A funnel by partner written out by hand (the shape of ``funnel(by=["delivery_partner"])``):
    Acme 20 entered, 20 in work; Beta 20 entered, 0 in work; Core 4 entered, 2 in work."""
    rows = []
    for partner, entered, training, work in (("Acme", 20, 20, 20), ("Beta", 20, 5, 0), ("Core", 4, 3, 2)):
        for step, count in (("entered", entered), ("training", training), ("work", work)):
            rows.append({"delivery_partner": partner, "step": step, "participants": count})
    return pd.DataFrame(rows)


def test_compare_funnel_from_a_funnel_table() -> None:
    out = compare_funnel(_funnel_table(), by="delivery_partner", step=WORK.name).set_index("delivery_partner")
    # overall = (20 + 0 + 2) / (20 + 20 + 4) = 0.5, as in test_compare_groups_positions
    assert (out["overall_rate"] == 0.5).all()
    assert out["rate"].to_dict() == {"Acme": 1.0, "Beta": 0.0, "Core": 0.5}
    assert out.loc["Core", "upper_95"] == pytest.approx(0.9)  # n = 4, theta = 0.5
    assert out["position"].to_dict() == {"Acme": "above", "Beta": "below", "Core": "within"}
    # training: (20 + 5 + 3) / 44 = 28/44
    training = compare_funnel(_funnel_table(), by="delivery_partner", step=TRAINING.name)
    assert training["overall_rate"].iloc[0] == pytest.approx(28 / 44)
    assert training["participants"].tolist() == [20, 5, 3]


def test_compare_funnel_matches_compare_groups() -> None:
    participants, milestones = _groups()
    table = funnel(Scope(participants, milestones, as_of="2023-08-16"), by=["region"])
    pd.testing.assert_frame_equal(
        compare_funnel(table, by="region", step=WORK.name),
        compare_groups(
            Scope(participants, milestones, as_of="2023-08-16"),
            by="region",
            step=WORK.name,
        ),
    )


def test_compare_funnel_refuses_what_the_funnel_lacks() -> None:
    with pytest.raises(InputError, match="include_sustained=True"):
        compare_funnel(_funnel_table(), by="delivery_partner", step=SUSTAINED.name)
    with pytest.raises(InputError, match="by=\\['region'\\]"):
        compare_funnel(_funnel_table(), by="region", step=WORK.name)
    with pytest.raises(InputError, match="Unknown step"):
        compare_funnel(_funnel_table(), by="delivery_partner", step=REFERRED.name)
    empty = compare_funnel(_funnel_table().iloc[0:0], by="delivery_partner")
    assert empty.empty and list(empty.columns)[0] == "delivery_partner"


# ------------------------------------------------------------ benchmark and own region
def _flat_funnel(counts: dict[str, int]) -> pd.DataFrame:
    return pd.DataFrame({
        "step": list(counts), "participants": list(counts.values()),
        "ci_low": [0.0, 0.35, 0.1][: len(counts)], "ci_high": [1.0, 0.55, 0.3][: len(counts)],
    })


def test_programme_benchmark_sets_the_scope_beside_the_programme() -> None:
    wales = _flat_funnel({"entered": 100, "training": 45, "work": 20})
    programme = _flat_funnel({"entered": 1000, "training": 300, "work": 200})
    out = programme_benchmark(wales, programme)
    assert list(out.columns) == list(BENCHMARK_COLUMNS)
    assert list(out["step"]) == ["training", "work"]
    assert list(out["entered"]) == [100, 100] and list(out["participants"]) == [45, 20]
    assert out["rate"].tolist() == pytest.approx([0.45, 0.20])
    assert out["programme_rate"].tolist() == pytest.approx([0.30, 0.20])  # 300 / 1000, 200 / 1000
    assert out["gap"].tolist() == pytest.approx([0.15, 0.0])
    # 45 of 100 against 30%: the 95% limits for 100 people are about 30% +/- 9 points
    assert list(out["position"]) == ["above", "within"]
    assert out["ci_low"].tolist() == [0.35, 0.1]  # the scope's own interval, from its funnel
    nobody = programme_benchmark(_flat_funnel({"entered": 0, "training": 0, "work": 0}), programme)
    assert nobody.empty and list(nobody.columns) == list(BENCHMARK_COLUMNS)


def _partner_funnel(rows: list[tuple[str, str, int, int]]) -> pd.DataFrame:
    out = []
    for partner, region, entered, work in rows:
        for step, people in (("entered", entered), ("training", entered // 2), ("work", work)):
            out.append({"delivery_partner": partner, "region": region, "step": step, "participants": people})
    return pd.DataFrame(out)


def test_partner_is_compared_with_its_own_region_as_well_as_the_programme() -> None:
    table = _partner_funnel([
        ("A", "London", 90, 18), ("A", "Wales", 10, 5),   # A: 23 of 100, mostly in London
        ("B", "London", 100, 24),
        ("C", "Wales", 100, 60),
    ])
    out = compare_within_regions(table, by="delivery_partner", step=WORK.name).set_index("delivery_partner")
    assert out.loc["A", "entered"] == 100 and out.loc["A", "participants"] == 23
    assert out.loc["A", "overall_rate"] == pytest.approx(107 / 300)   # (23 + 24 + 60) / 300
    assert out.loc["A", "region"] == "London"
    assert out.loc["A", "region_rate"] == pytest.approx(42 / 190)     # (18 + 24) / (90 + 100)
    assert out.loc["C", "region_rate"] == pytest.approx(65 / 110)     # (5 + 60) / (10 + 100)
    # 23% is below the programme's 35.7% for 100 people (limits about +/- 9.4 points)...
    assert out.loc["A", "position"] == "below"
    # ...but within what London's 22.1% would give by chance
    assert out.loc["A", "region_position"] == "within"


def test_partner_region_tie_goes_to_the_first_region_by_name() -> None:
    table = _partner_funnel([("A", "Wales", 50, 10), ("A", "London", 50, 10), ("B", "Wales", 10, 1)])
    out = compare_within_regions(table).set_index("delivery_partner")
    assert out.loc["A", "region"] == "London"


def test_partners_of_part_of_the_programme_are_also_set_against_the_programmes_rate() -> None:
    # A Wales lead sees Wales's partners only; the programme (every region) had 300 of 1,000
    # entrants in work (30%). Only the programme's totals per step are read.
    table = _partner_funnel([("P1", "Wales", 10, 2), ("P2", "Wales", 20, 8), ("P3", "Wales", 40, 2)])
    programme = pd.DataFrame({"step": [ENTERED.name, TRAINING.name, WORK.name], "participants": [1000, 500, 300]})
    out = compare_within_regions(table, step=WORK.name, programme=programme).set_index("delivery_partner")
    assert out["programme_rate"].tolist() == pytest.approx([0.3, 0.3, 0.3])
    # The rate of the partners shown is Wales's: 12 of 70.
    assert out.loc["P1", "overall_rate"] == pytest.approx(12 / 70)
    # 95% limits around 30% (normal approximation, a guide to the exact ones): n=10 about
    # 1.6%-58%, n=20 about 10%-50%: P1's 20% and P2's 40% are within; n=40 about 16%-44%:
    # P3's 5% is below.
    assert out["programme_position"].tolist() == ["within", "within", "below"]
    # Without the programme's funnel the columns are not there (the whole programme is in view).
    assert "programme_rate" not in compare_within_regions(table, step=WORK.name).columns
