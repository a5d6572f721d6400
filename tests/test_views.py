"""ete_metrics.views: every column of every view says how stakeholders get it (fail closed).

- Every rule reads columns its view declares (a rule that names a missing column would
  fail at run time, or worse, read a true figure).
- Every column a view's metric returns has a rule: the metrics are run on a small demo
  programme, every view of :data:`VIEWS` has a producer here (a new view fails until it
  has one), and ``protect_view`` turns an undeclared column into an error in the suite
  (``pyproject.toml``: ``UndeclaredColumn``) and drops it at run time.
- A stakeholder's table depends on the published counts alone: every column that is not
  a count or a label can be scrambled in the input, and counts moved within their rounding
  band, without changing one value of the output (hypothesis).
- The three leaks of issue 25, each with a hand-worked frame: "% of target" from the exact
  actual, time to outcome's shares from each person's days, the Partners page's region and
  programme rates from the exact counts (and its comparison column meaning something else).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from functools import cache

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ete_metrics import views
from ete_metrics.counting.scope import Scope
from ete_metrics.data.demo import generate_demo, generate_engagement
from ete_metrics.data.quality import data_quality
from ete_metrics.errors import InputError
from ete_metrics.metrics.activity import follow_up_list, monthly_activity
from ete_metrics.metrics.cohorts import cohort_curves, cumulative_incidence
from ete_metrics.metrics.comparison import (
    compare_within_regions,
    programme_benchmark,
)
from ete_metrics.metrics.engagement import engagement_summary
from ete_metrics.metrics.equality import equality
from ete_metrics.metrics.exits import exits
from ete_metrics.metrics.forecast import forecast_to_end, probability_of_reaching
from ete_metrics.metrics.funnel import funnel, referral_funnel
from ete_metrics.metrics.partners import employers, training_providers
from ete_metrics.metrics.review import month_comparison, rag_table
from ete_metrics.metrics.standardised import compare_adjusted, standardised_ratios
from ete_metrics.metrics.targets import target_summary, targets_vs_actual
from ete_metrics.metrics.time_to_outcome import time_to_outcome
from ete_metrics.protect.audience import UndeclaredColumn, protect_view
from ete_metrics.protect.disclosure import SUPPRESSED
from ete_metrics.protect.policy import pooled_totals
from ete_metrics.steps import ENTERED
from ete_metrics.views import (
    FIRST_STEP,
    PREVIOUS_STEP,
    PUBLICATIONS,
    VIEWS,
    Count,
    Label,
    Pooled,
    View,
    Withheld,
)

C = SUPPRESSED
AS_OF = "2023-08-16"


# --------------------------------------------------------------------------- the rules


def test_every_rule_reads_columns_its_view_declares() -> None:
    for view in VIEWS.values():
        for column, rule in view.columns.items():
            for need in rule.needs():
                if need in (FIRST_STEP, PREVIOUS_STEP):
                    continue
                assert view.rule(need) is not None, f"{view.name}.{column} reads undeclared {need!r}"
                assert not isinstance(view.rule(need), Withheld), (
                    f"{view.name}.{column} is worked out from {need!r}, which is withheld")


def test_a_views_own_columns_win_over_the_grouping_keys() -> None:
    # a partner's region describes its row: not a group of the comparison's cells
    assert views.PARTNER_REGIONS.rule("region") == views.DESCRIPTION
    assert views.FUNNEL.rule("region") == views.GROUP
    assert views.FUNNEL.rule("no_such_column") is None


# --------------------------------------------------------------------------- every column has a rule


@cache
def _programme() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    demo = generate_demo(n_participants=3000)
    return demo.participants, demo.milestones, demo.targets


@cache
def _engagement() -> pd.DataFrame:
    return generate_engagement(generate_demo(n_participants=3000))


def _scope() -> Scope:
    p, m, _ = _programme()
    return Scope(p, m, as_of=AS_OF)


def _funnels() -> tuple[pd.DataFrame, pd.DataFrame]:
    p, m, _ = _programme()
    return funnel(Scope(p, m, as_of=AS_OF)), funnel(Scope(p, m, as_of="2023-07-16"))


def _by_partner_region() -> pd.DataFrame:
    p, m, _ = _programme()
    wales = p.loc[p["region"] == "Wales"]
    return compare_within_regions(funnel(Scope(wales, m, as_of=AS_OF), by=["delivery_partner", "region"]),
                                  programme=funnel(Scope(p, m, as_of=AS_OF)))


def _monthly() -> pd.DataFrame:
    p, m, t = _programme()
    return targets_vs_actual(Scope(p, m, as_of=AS_OF), t, period="month")


def _forecast() -> pd.DataFrame:
    p, m, _ = _programme()
    return forecast_to_end(Scope(p, m, as_of=AS_OF))


#: How each view's frame is made from a programme (a composite is laid out by the reports:
#: its columns are checked against the report content below).
PRODUCERS: dict[str, Callable[[], pd.DataFrame] | None] = {
    "funnel": lambda: funnel(_scope(), by=["region", "delivery_partner"]),
    "referral_funnel": lambda: referral_funnel(_scope(), by="region"),
    "activity": lambda: monthly_activity(_scope()),
    "targets": _monthly,
    "target_summary": lambda: target_summary(_scope(), _programme()[2]),
    "rag_table": lambda: rag_table(target_summary(_scope(), _programme()[2])),
    "month_comparison": lambda: month_comparison(_monthly(), _programme()[2], as_of=AS_OF),
    "compare": lambda: compare_adjusted(_scope(), by="region"),
    "partner_regions": _by_partner_region,
    "benchmark": lambda: programme_benchmark(
        funnel(
            Scope(
                _programme()[0].loc[_programme()[0]["region"] == "Wales"],
                _programme()[1],
                as_of=AS_OF,
            ),
        ),
        _funnels()[0]),
    "standardised": lambda: standardised_ratios(_scope(), by="region"),
    "forecast": _forecast,
    "target_probability": lambda: probability_of_reaching(_forecast(), _programme()[2]),
    "equality": lambda: equality(_scope()),
    "cohort_curves": lambda: cohort_curves(_scope(), cohort="entry_quarter"),
    "incidence": lambda: cumulative_incidence(_scope()),
    "time_to_outcome": lambda: time_to_outcome(_scope(), by="region"),
    "training_providers": lambda: training_providers(_scope()),
    "employers": lambda: employers(_scope()),
    "data_quality": lambda: data_quality(*_programme()[:2], as_of=AS_OF),
    "follow_up": lambda: follow_up_list(_scope(), days=90),
    "engagement_summary": lambda: engagement_summary(_engagement(), AS_OF, by="region"),
    "exits": lambda: exits(_engagement(), AS_OF, milestones=_programme()[1], by="region"),
    # laid out from published tables, or rows of the import (checked where they are made)
    "headline": None, "partner_steps": None, "cohort_heatmap": None, "cohort_summary": None,
    "import_history": None, "import_checks": None,
}


def test_every_view_has_a_producer_here() -> None:
    assert set(PRODUCERS) == set(VIEWS), "add the new view's producer to PRODUCERS"


@pytest.mark.parametrize("name", [n for n, make in PRODUCERS.items() if make is not None])
def test_every_column_a_metric_returns_has_a_rule(name: str) -> None:
    make = PRODUCERS[name]
    assert make is not None
    frame = make()
    view = VIEWS[name]
    undeclared = [c for c in frame.columns if view.rule(str(c)) is None]
    assert undeclared == [], f"{name}: no rule for {undeclared}"
    if not view.internal_only:
        out = protect_view(frame, view)  # an undeclared column would warn: an error here
        shown = view.published([str(c) for c in frame.columns])
        assert list(out.columns) == [c for c in shown if c not in ("participant_id", "example_ids")]


def test_the_reports_tables_declare_every_column() -> None:
    from ete_metrics.present.report.content import report_content

    p, m, t = _programme()
    content = report_content(p, m, t, as_of=AS_OF, audience="stakeholder", charts=False)
    for table in content.tables():
        if table.view is None:
            continue
        undeclared = [c for c in table.data.columns if table.view.rule(str(c)) is None]
        assert undeclared == [], f"{table.key} ({table.view.name}): no rule for {undeclared}"


def test_an_undeclared_column_is_dropped_and_named() -> None:
    frame = pd.DataFrame({"region": ["A", "B"], "step": [ENTERED.name, ENTERED.name],
                          "participants": [20, 30], "exact_share": [0.4, 0.6]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = protect_view(frame, views.FUNNEL)
    assert "exact_share" not in out.columns
    assert [type(w.message) for w in caught] == [UndeclaredColumn]
    assert "exact_share" in str(caught[0].message)


def test_a_withheld_column_never_reaches_a_stakeholder() -> None:
    frame = time_to_outcome(_scope())
    out = protect_view(frame, views.TIME_TO_OUTCOME)
    for column in ("median_days", "q1_days", "q3_days", "reached_3_months", "reached_12_months"):
        assert column in frame.columns and column not in out.columns


@pytest.mark.parametrize("name", ["standardised", "forecast", "target_probability"])
def test_a_models_figures_are_for_the_programme_team_only(name: str) -> None:
    # a forecast, its chance of reaching a target and a case-mix expected count are worked out
    # from every person's records: one person moved, no published count changed, and they move
    view = VIEWS[name]
    make = PRODUCERS[name]
    assert make is not None and view.internal_only
    frame = make()
    assert view.published(frame.columns) == []
    with pytest.raises(InputError, match="internal use only"):
        protect_view(frame, view)
    assert all(p.view is not view for tables in PUBLICATIONS.values() for p in tables.values())


def test_a_comparison_adjusted_for_case_mix_gives_stakeholders_the_observed_counts_only() -> None:
    frame = compare_adjusted(_scope(), by="region")
    out = protect_view(frame, views.COMPARE)
    assert {"expected", "ratio", "ratio_low", "ratio_high"} <= set(frame.columns)
    assert not {"expected", "ratio", "ratio_low", "ratio_high"} & set(out.columns)
    assert "observed" in out.columns and "rate" in out.columns


# --------------------------------------------------------------------------- the three leaks


def test_percent_of_target_is_of_the_published_actual_and_target() -> None:
    # London work: 60 of a target of 81. Exactly 74.1%; published 60 of 80, so 75.0%. The
    # rating from the published figures: 60 / 80 = 0.75 < 0.86 -> red. Wales: 3 (suppressed)
    # -> its percent and rating too; North West 70 of 70 -> 1.0, green; secondary suppression
    # of the region line (3 is alone) takes the smallest other actual, 60 -> London [c] too?
    # No: the line is the regions at one period and measure, totals published, so London's
    # 60 (the smallest other) is suppressed with Wales's 3; North West stays.
    monthly = pd.DataFrame({
        "region": ["London", "North West", "Wales"],
        "period_start": pd.to_datetime(["2023-07-01"] * 3),
        "measure": ["work"] * 3,
        "target": [81, 70, 40], "actual": [60, 70, 3],
        "cumulative_target": [81, 70, 40], "cumulative_actual": [60, 70, 3],
        "percent_achieved": [60 / 81, 1.0, 3 / 40], "rag": ["red", "green", "red"],
    })
    out = protect_view(monthly, views.TARGETS).set_index("region")
    assert out.loc["North West", ["cumulative_actual", "percent_achieved", "rag"]].tolist() == [70, 1.0, "green"]
    assert out.loc["Wales", ["cumulative_actual", "percent_achieved", "rag"]].tolist() == [C, C, C]
    alone = protect_view(monthly.iloc[[0]], views.TARGETS)
    assert alone[["cumulative_actual", "cumulative_target", "percent_achieved", "rag"]].iloc[0].tolist() == [
        60, 80, 0.75, "red"]


def test_a_rating_against_a_withheld_target_is_withheld_and_no_target_has_none() -> None:
    # A target of 3 is suppressed: its rating would tell how 0 compares with it, so [c].
    # (North West's 40, the smallest other target, is suppressed with it.) A target of 0 is
    # no target: no rating (blank), as for the programme team.
    monthly = pd.DataFrame({
        "region": ["London", "North West", "Wales"], "period_start": pd.to_datetime(["2021-06-01"] * 3),
        "measure": ["training"] * 3, "target": [3, 40, 0], "actual": [0, 0, 0],
        "cumulative_target": [3, 40, 0], "cumulative_actual": [0, 0, 0],
        "percent_achieved": [0.0, 0.0, np.nan], "rag": ["red", "red", None],
    })
    out = protect_view(monthly, views.TARGETS).set_index("region")
    assert out.loc["London", ["cumulative_target", "percent_achieved", "rag"]].tolist() == [C, C, C]
    assert pd.isna(out.loc["Wales", "rag"]) and pd.isna(out.loc["Wales", "percent_achieved"])


def test_time_to_outcome_for_stakeholders_follows_from_published_counts() -> None:
    # 152 people followed 3 months (published 150), 3 of them reached work within it
    # (suppressed): the share is withheld. 60 followed 6 months, 31 within (60, 30): 0.5.
    frame = pd.DataFrame({
        "outcome": ["work"], "entered": [200], "reached": [40],
        "median_days": [np.nan], "q1_days": [210.0], "q3_days": [np.nan],
        "reached_3_months": [0.02], "reached_6_months": [0.52], "reached_12_months": [np.nan],
        "followed_3_months": [152], "within_3_months": [3], "share_within_3_months": [3 / 152],
        "followed_6_months": [60], "within_6_months": [31], "share_within_6_months": [31 / 60],
        "followed_12_months": [0], "within_12_months": [0], "share_within_12_months": [np.nan],
    })
    out = protect_view(frame, views.TIME_TO_OUTCOME)
    row = out.iloc[0]
    assert [row["followed_3_months"], row["within_3_months"], row["share_within_3_months"]] == [150, C, C]
    assert [row["followed_6_months"], row["within_6_months"], row["share_within_6_months"]] == [60, 30, 0.5]
    assert row["followed_12_months"] == 0 and pd.isna(row["share_within_12_months"])


def test_a_partners_region_and_programme_rates_are_from_published_counts() -> None:
    # Partner P works in Wales: the region has 47 entered and 3 in work (6.4% exactly). Its
    # counts are published 45 and [c], so the region's rate is withheld. The regions' counts
    # add up to a published total, so one more region's is suppressed with Wales's: the
    # smallest other, North West's 40. London: 170 of 300, both published as they are:
    # 0.567. The programme: 1,003 entered and 212 in work, published 1,005 and 210: 0.209.
    frame = pd.DataFrame({
        "delivery_partner": ["P", "Q", "R"], "entered": [40, 60, 50], "participants": [3, 14, 9],
        "rate": [0.075, 14 / 60, 0.18], "overall_rate": [0.17] * 3,
        "lower_95": [0.1] * 3, "upper_95": [0.3] * 3, "lower_998": [0.05] * 3, "upper_998": [0.4] * 3,
        "position": ["below", "within", "within"], "outside_998": [False] * 3,
        "region": ["Wales", "London", "North West"], "region_entered": [47, 300, 200],
        "region_participants": [3, 170, 40], "region_rate": [3 / 47, 170 / 300, 0.2],
        "region_position": ["within"] * 3,
        "programme_entered": [1003] * 3, "programme_participants": [212] * 3,
        "programme_rate": [212 / 1003] * 3, "programme_position": ["below", "within", "within"],
    })
    out = protect_view(frame, views.PARTNER_REGIONS).set_index("delivery_partner")
    assert out["region_participants"].tolist() == [C, 170, C]
    assert out.loc["P", "region_rate"] == C and out.loc["P", "region_position"] == C
    assert out.loc["R", "region_rate"] == C
    assert out.loc["Q", "region_rate"] == 0.567
    assert out["programme_rate"].tolist() == [0.209] * 3


def test_all_partners_shown_means_the_same_for_both_audiences() -> None:
    # Two regions with two partners each. The rate "of all partners shown" pools every row
    # (20 + 10 + 20 + 30 = 80 in work of 100 + 100 + 100 + 100 = 400 -> 0.2), never each
    # region's partners alone (region A would give 30 / 200 = 0.15).
    frame = pd.DataFrame({
        "delivery_partner": ["A1", "A2", "B1", "B2"], "entered": [100] * 4,
        "participants": [20, 10, 20, 30], "rate": [0.2, 0.1, 0.2, 0.3], "overall_rate": [0.2] * 4,
        "region": ["A", "A", "B", "B"],
    })
    out = protect_view(frame, views.PARTNER_REGIONS)
    assert out["overall_rate"].tolist() == [0.2] * 4


# --------------------------------------------------------------------------- depends on published counts only


def _scramble(frame: pd.DataFrame, view: View, seed: int) -> pd.DataFrame:
    """Every column that is neither a count nor a label replaced by noise."""
    rng = np.random.default_rng(seed)
    out = frame.copy()
    for column in frame.columns:
        rule = view.rule(str(column))
        if rule is None or isinstance(rule, Count | Label | views.Calendar):
            continue
        if pd.api.types.is_numeric_dtype(frame[column]) and not pd.api.types.is_bool_dtype(frame[column]):
            out[column] = rng.random(len(frame)) * 3 - 1
        else:
            out[column] = rng.choice(np.array(["above", "below", "within", "green", True], dtype=object),
                                     len(frame))
    return out


@pytest.mark.parametrize("name", [n for n, make in PRODUCERS.items()
                                  if make is not None and not VIEWS[n].internal_only])
def test_only_counts_and_labels_are_read(name: str) -> None:
    make = PRODUCERS[name]
    assert make is not None
    frame = make()
    view = VIEWS[name]
    expected = protect_view(frame, view)
    pd.testing.assert_frame_equal(protect_view(_scramble(frame, view, 1), view), expected)


def _published_counts(frame: pd.DataFrame, view: View) -> list[str]:
    """Every count stakeholders are given: the table's counts, and the totals of its pooled rates."""
    out = protect_view(frame, view)
    counts = out[[c for c in out.columns if isinstance(view.rule(c), Count)]]
    totals = [pooled_totals(frame, rule) for rule in view.columns.values() if isinstance(rule, Pooled)]
    return [*counts.astype(str).to_numpy().ravel().tolist(), *(str(t) for pair in totals for t in pair)]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.filter_too_much])
@given(st.data())
def test_counts_moved_within_their_published_values_change_nothing(data: st.DataObject) -> None:
    # The comparison of partners against their regions: move one true count by a little
    # (a region's on each of its rows); when every published count is unchanged, every
    # published figure must be unchanged.
    base = _by_partner_region()
    view = views.PARTNER_REGIONS
    moved = base.copy()
    column = data.draw(st.sampled_from(["entered", "participants", "region_entered",
                                        "region_participants", "programme_participants"]))
    delta = data.draw(st.sampled_from([-2, -1, 1, 2]))
    if column.startswith(("region", "programme")):
        rows = moved["region"] == moved["region"].iloc[data.draw(st.integers(0, len(base) - 1))]
        if column.startswith("programme"):
            rows[:] = True
    else:
        rows = pd.Series(False, index=moved.index)
        rows.iloc[data.draw(st.integers(0, len(base) - 1))] = True
    moved.loc[rows, column] = moved.loc[rows, column] + delta
    assume((moved["participants"] <= moved["entered"]).all() and (moved[column] >= 0).all())
    assume(_published_counts(base, view) == _published_counts(moved, view))
    pd.testing.assert_frame_equal(protect_view(base, view), protect_view(moved, view))
