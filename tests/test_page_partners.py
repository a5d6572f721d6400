"""AppTest of the Partners page: the numbers shown equal ete_metrics' output, formatted."""

from __future__ import annotations

import pandas as pd
from apptest_support import *  # noqa: F403
from apptest_support import DemoData, new_app, open_page, tables_shown

from ete_metrics import views
from ete_metrics.counting.filters import filter_participants, milestones_for
from ete_metrics.counting.scope import Scope
from ete_metrics.metrics.comparison import compare_groups, compare_within_regions
from ete_metrics.metrics.funnel import funnel
from ete_metrics.metrics.partners import delivery_partners, employers, prisons, training_providers
from ete_metrics.metrics.standardised import standardised_ratios
from ete_metrics.present.tables import display_table

PAGE = "app_pages/5_partners.py"
FUNNEL = {"counts": ("participants",),
          "rates": ("rate_from_entry", "rate_from_previous", "ci_low", "ci_high")}


def _tables(at) -> list[pd.DataFrame]:  # type: ignore[no-untyped-def]
    return [d.value.reset_index(drop=True).astype(object) for d in tables_shown(at)]


def _same(shown: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(shown, expected.astype(object), check_dtype=False)


def _expected(participants: pd.DataFrame, milestones: pd.DataFrame, as_of, step: str,  # type: ignore[no-untyped-def]
              programme: pd.DataFrame | None = None):
    # the adjusted comparison: by default for pathway and time since entry
    ratios = standardised_ratios(
        Scope(participants, milestones, as_of=as_of),
        by="delivery_partner",
        step=step,
    )
    providers = training_providers(
        Scope(participants, milestones, as_of=as_of),
    ).dropna(axis=1, how="all")
    return [
        display_table(
            compare_groups(
                Scope(participants, milestones, as_of=as_of),
                by="delivery_partner",
                step=step,
            ),
            counts=("entered", "participants"),
            rates=("rate", "overall_rate", "lower_95", "upper_95", "lower_998", "upper_998"),
        ),
        # each partner against its own region (hand-checked in tests/test_comparison.py)
        display_table(
            compare_within_regions(
                funnel(
                    Scope(participants, milestones, as_of=as_of),
                    by=["delivery_partner", "region"],
                ),
                by="delivery_partner", step=step, programme=programme,
            )[["delivery_partner", "region", "entered", "participants", "rate", "region_rate", "region_position",
               *(("overall_rate", "position") if programme is None else ("programme_rate", "programme_position"))]],
            views.PARTNER_REGIONS,
        ),
        display_table(
            ratios[["delivery_partner", "entered", "observed", "expected", "raw_rate", "adjusted_rate",
                    "overall_rate"]],
            counts=("entered", "observed", "expected"), rates=("raw_rate", "adjusted_rate", "overall_rate"),
        ),
        display_table(
            ratios[["delivery_partner", "observed", "expected", "ratio", "ratio_low", "ratio_high", "position"]],
            counts=("observed", "expected"),
        ),
        display_table(delivery_partners(Scope(participants, milestones, as_of=as_of)), **FUNNEL),
        display_table(
            # a column blank in every row is left off the screen (a sentence says why)
            providers,
            counts=tuple(c for c in ("training_starts", "training_completed", "work_after_training",
                                     "median_days_to_work") if c in providers.columns),
            rates=("completion_rate", "work_rate"),
        ),
        display_table(
            employers(Scope(participants, milestones, as_of=as_of)),
            counts=("job_starts", "job_sustained"), rates=("sustained_rate",),
        ),
        display_table(prisons(Scope(participants, milestones, as_of=as_of)), **FUNNEL),
    ]


def test_partners_page_shows_ete_metrics_figures(demo_data: DemoData) -> None:
    at = open_page(new_app(), PAGE)
    shown = _tables(at)
    expected = _expected(demo_data.participants, demo_data.milestones, demo_data.cutoff, "work")
    assert len(shown) == len(expected)
    for table, want in zip(shown, expected, strict=True):
        _same(table, want)
    assert at.get("plotly_chart") and len(at.get("plotly_chart")) == 7


def test_partners_page_step_and_region_filter_change_the_figures(demo_data: DemoData) -> None:
    at = open_page(new_app(), PAGE)
    before = _tables(at)[0]
    at.radio(key="partners_step").set_value("Training").run()
    assert not at.exception
    after = _tables(at)[0]
    assert not after.equals(before)
    _same(after, _expected(demo_data.participants, demo_data.milestones, demo_data.cutoff,
                           "training")[0])
    # The shared sidebar filter: London only.
    at.multiselect(key="filter_regions").set_value(["London"]).run()
    assert not at.exception
    london = filter_participants(demo_data.participants, regions=["London"])
    # London is part of the programme: its partners are set against the programme's rate too
    programme = funnel(Scope(demo_data.participants, demo_data.milestones, as_of=demo_data.cutoff))
    expected = _expected(london, milestones_for(london, demo_data.milestones), demo_data.cutoff,
                         "training", programme)
    for table, want in zip(_tables(at), expected, strict=True):
        _same(table, want)


def test_partners_page_empty_filters_show_a_friendly_message(demo_data: DemoData) -> None:
    # The demo's first entry is after 10 Jun 2021, so nobody entered in 1-10 Jun 2021.
    at = open_page(new_app({"from": "2021-06-01", "to": "2021-06-10"}), PAGE)
    assert any("No one entered" in i.value for i in at.info)
    assert len(tables_shown(at)) == 0


def test_a_regions_partners_are_also_set_against_the_programme(demo_db_url: str, demo_data: DemoData) -> None:
    """Filtered to Wales (as a Wales lead is), the partner table carries the programme's rate
    over every region (an aggregate), not the rate of Wales's own partners twice."""
    at = open_page(new_app({"region": "Wales"}), "app_pages/5_partners.py")
    table = next(d.value for d in tables_shown(at) if "Its region's rate" in d.value.columns)
    assert "Programme (all regions) rate" in table.columns
    assert "Rate of all partners shown" not in table.columns
    p, m = demo_data.participants, demo_data.milestones
    everyone = funnel(Scope(p, m, as_of=demo_data.cutoff))
    totals = everyone.set_index("step")["participants"]
    programme = f"{totals['work'] / totals['entered']:.1%}"
    assert set(table["Programme (all regions) rate"]) == {programme}
    assert set(table["Its region"]) == {"Wales"}


def test_no_column_of_the_providers_table_is_blank_in_every_row(demo_db_url: str) -> None:
    """The median days to work is blank for every provider in the demo: the table leaves it out and says why."""
    at = open_page(new_app(), PAGE)
    table = next(t.value for t in tables_shown(at) if "Training starts" in t.value.columns)
    assert [c for c in table.columns if (table[c].astype(str).str.strip() == "").all()] == []
    assert any("Median days to work" in c.value and "not reached" in c.value for c in at.caption)
