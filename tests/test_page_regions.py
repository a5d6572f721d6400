"""The Regions page: regions side by side, the funnel plot table and the area drill-down."""

from __future__ import annotations

import pandas as pd
from apptest_support import *  # noqa: F403
from apptest_support import DemoData, new_app, open_page, tables_shown
from streamlit.testing.v1 import AppTest

from ete_metrics.counting.filters import filter_participants, milestones_for
from ete_metrics.counting.scope import Scope
from ete_metrics.metrics.comparison import compare_groups
from ete_metrics.metrics.funnel import funnel
from ete_metrics.metrics.standardised import standardised_ratios
from ete_metrics.present.tables import display_table
from ete_metrics.steps import TRAINING, WORK

PAGE = "app_pages/3_regions.py"
RATES = ("rate_from_entry", "rate_from_previous", "ci_low", "ci_high")
LIMITS = ("rate", "overall_rate", "lower_95", "upper_95", "lower_998", "upper_998")


def _shown(at: AppTest, i: int) -> pd.DataFrame:
    return tables_shown(at)[i].value.reset_index(drop=True)


def test_regions_match_the_library(app: AppTest, demo_data: DemoData) -> None:
    open_page(app, PAGE)
    assert not app.error, [e.value for e in app.error]
    p, m, as_of = demo_data.participants, demo_data.milestones, demo_data.cutoff
    by_region = funnel(Scope(p, m, as_of=as_of), by=["region"])
    assert by_region["region"].nunique() == 4
    pd.testing.assert_frame_equal(
        _shown(app, 0), display_table(by_region, counts=("participants",), rates=RATES), check_dtype=False
    )
    comparison = compare_groups(Scope(p, m, as_of=as_of), by="region", step=WORK.name)
    pd.testing.assert_frame_equal(
        _shown(app, 1),
        display_table(comparison, counts=("entered", "participants"), rates=LIMITS),
        check_dtype=False,
    )
    # the drill-down defaults to the first region: its areas
    first = by_region["region"].iloc[0]
    in_region = filter_participants(p, regions=[first])
    by_area = funnel(Scope(in_region, milestones_for(in_region, m), as_of=as_of), by=["area"])
    pd.testing.assert_frame_equal(
        _shown(app, 4), display_table(by_area, counts=("participants",), rates=RATES), check_dtype=False
    )


def test_step_window_and_drill_down_change_the_view(app: AppTest, demo_data: DemoData) -> None:
    open_page(app, PAGE)
    app.selectbox(key="regions_window").set_value(182)
    app.button_group(key="regions_step").set_value("training")
    app.selectbox(key="regions_drill").set_value("Wales").run()
    assert not app.error, [e.value for e in app.error]
    p, m, as_of = demo_data.participants, demo_data.milestones, demo_data.cutoff
    comparison = compare_groups(
        Scope(p, m, as_of=as_of, window_days=182),
        by="region",
        step=TRAINING.name,
    )
    pd.testing.assert_frame_equal(
        _shown(app, 1),
        display_table(comparison, counts=("entered", "participants"), rates=LIMITS),
        check_dtype=False,
    )
    wales = filter_participants(p, regions=["Wales"])
    by_area = funnel(
        Scope(wales, milestones_for(wales, m), as_of=as_of, window_days=182),
        by=["area"],
    )
    pd.testing.assert_frame_equal(
        _shown(app, 4), display_table(by_area, counts=("participants",), rates=RATES), check_dtype=False
    )


def test_a_pathway_in_the_url_applies(demo_db_url: str, demo_data: DemoData) -> None:
    at = new_app({"pathway": "custody"})
    open_page(at, PAGE)
    custody = filter_participants(demo_data.participants, pathways=["custody"])
    expected = funnel(
        Scope(custody, milestones_for(custody, demo_data.milestones), as_of=demo_data.cutoff),
        by=["region"],
    )
    pd.testing.assert_frame_equal(
        _shown(at, 0), display_table(expected, counts=("participants",), rates=RATES), check_dtype=False
    )


def test_adjusted_comparison_matches_the_library(app: AppTest, demo_data: DemoData) -> None:
    open_page(app, PAGE)
    p, m, as_of = demo_data.participants, demo_data.milestones, demo_data.cutoff
    # the default adjustment: pathway and time since entry, for the step chosen (work)
    assert app.multiselect(key="regions_adjust").value == ["pathway", "time_since_entry"]
    ratios = standardised_ratios(Scope(p, m, as_of=as_of), by="region", step=WORK.name)
    columns = ["region", "observed", "expected", "ratio", "ratio_low", "ratio_high", "position"]
    pd.testing.assert_frame_equal(
        _shown(app, 3), display_table(ratios[columns], counts=("observed", "expected")), check_dtype=False
    )
    # another choice of characteristics gives its own expected counts
    app.multiselect(key="regions_adjust").set_value(["gender"]).run()
    assert not app.error, [e.value for e in app.error]
    ratios = standardised_ratios(
        Scope(p, m, as_of=as_of),
        by="region",
        step=WORK.name,
        adjust_for=["gender"],
    )
    pd.testing.assert_frame_equal(
        _shown(app, 3), display_table(ratios[columns], counts=("observed", "expected")), check_dtype=False
    )


def test_one_region_in_view_is_not_compared_with_itself(demo_db_url: str) -> None:
    """Filtered to Wales (as a Wales lead is), there is no funnel plot or adjusted comparison of
    Wales against Wales: a note says why, and Wales is set against the programme instead."""
    at = open_page(new_app({"region": "Wales"}), PAGE)
    subheaders = [s.value for s in at.subheader]
    assert "Wales against the programme" in subheaders
    assert not any(s.startswith("Compared with") or s.startswith("Adjusted for") for s in subheaders)
    assert any(i.value.startswith("Only Wales is in view, so it is not compared with itself") for i in at.info)
    assert not [s for s in at.get("segmented_control") if s.key == "regions_step"]
    # Two regions are compared with each other as before.
    two = open_page(new_app({"region": ["Wales", "London"]}), PAGE)
    assert "Compared with the London and Wales rate" in [s.value for s in two.subheader]


def test_a_partner_in_one_region_is_not_set_against_itself(demo_db_url: str) -> None:
    """A director's partner filter leaves one region's people (Cymru Ymlaen works in Wales
    only), but the whole programme is in view: its aggregate over every region with the
    same filters is the same people, so there is no "Wales against the programme" (as the
    Partners page decides: only a region filter or a lead's regions are part of the
    programme), and Wales alone is still not compared with itself."""
    at = open_page(new_app({"partner": "Cymru Ymlaen Partnership"}), PAGE)
    assert not at.error, [e.value for e in at.error]
    subheaders = [s.value for s in at.subheader]
    assert not [s for s in subheaders if s.endswith("against the programme")]
    assert not any(s.startswith("Compared with") for s in subheaders)
    notes = [i.value for i in at.info]
    assert any(n.startswith("Only Wales has people with these filters") for n in notes), notes
    assert not any("against the programme" in n for n in notes)
