"""The Overview page: its numbers are ete_metrics' numbers for the same filters."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from apptest_support import *  # noqa: F403
from apptest_support import DemoData, new_app, open_page, open_section, tables_shown
from streamlit.testing.v1 import AppTest

from dashboard.escape import markdown_literal
from ete_metrics.counting.filters import filter_participants, milestones_for
from ete_metrics.counting.scope import Scope
from ete_metrics.metrics.forecast import forecast_to_end, probability_of_reaching
from ete_metrics.metrics.funnel import funnel
from ete_metrics.metrics.headline import headline, month_earlier
from ete_metrics.metrics.review import comparison_changes, month_comparison, rag_table
from ete_metrics.metrics.targets import target_summary, targets_vs_actual
from ete_metrics.present.formatting import count, percent, signed_count
from ete_metrics.present.narrative import narrative
from ete_metrics.present.tables import display_table, rag_grid
from ete_metrics.steps import ENTERED, STEPS, SUSTAINED, TRAINING, WORK

PAGE = "app_pages/1_overview.py"
RATES = ("rate_from_entry", "rate_from_previous", "ci_low", "ci_high")


def _tiles(at: AppTest) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


def _expected_funnel(demo: DemoData, as_of: date, regions: list[str] | None = None) -> pd.DataFrame:
    participants = demo.participants
    milestones = demo.milestones
    if regions:
        participants = filter_participants(participants, regions=regions)
        milestones = milestones_for(participants, milestones)
    return funnel(Scope(participants, milestones, as_of=as_of), include_sustained=True)


def test_tiles_and_funnel_table_match_the_library(app: AppTest, demo_data: DemoData) -> None:
    open_page(app, PAGE)
    assert not app.error, [e.value for e in app.error]
    expected = _expected_funnel(demo_data, demo_data.cutoff)
    month_earlier = (pd.Timestamp(demo_data.cutoff) - pd.DateOffset(months=1)).date()
    before = _expected_funnel(demo_data, month_earlier).set_index("step")
    tiles = _tiles(app)
    for label, step in ((s.label, s.name) for s in (ENTERED, TRAINING, WORK, SUSTAINED)):
        value = int(expected.loc[expected["step"] == step, "participants"].iloc[0])
        assert tiles[label][0] == count(value)
        change = value - int(before.loc[step, "participants"])
        assert tiles[label][1].startswith(signed_count(change) + " since ")
    work_rate = expected.loc[expected["step"] == WORK.name, "rate_from_entry"].iloc[0]
    assert tiles["Into work rate"][0] == percent(work_rate)
    want = display_table(expected, counts=("participants",), rates=RATES)
    matching = [d.value.reset_index(drop=True) for d in tables_shown(app) if list(d.value.columns) == list(want.columns)]
    assert len(matching) == 1
    pd.testing.assert_frame_equal(matching[0], want, check_dtype=False)


def test_target_tiles_match_target_summary(app: AppTest, demo_data: DemoData) -> None:
    open_page(app, PAGE)
    summary = target_summary(
        Scope(demo_data.participants, demo_data.milestones, as_of=demo_data.cutoff),
        demo_data.targets,
    )
    overall = summary.loc[summary["region"] == "All regions"]
    tiles = _tiles(app)
    assert len(overall)
    for row in overall.itertuples(index=False):
        label = {s.target_measure: s.label for s in STEPS if s.target_measure}[row.measure]
        value, delta = tiles[f"{label}: % of target"]
        assert value == percent(row.percent_achieved)
        assert delta == str(row.rag).capitalize()


def test_a_region_in_the_url_changes_the_figures(demo_db_url: str, demo_data: DemoData) -> None:
    at = new_app({"region": "Wales", "as_of": "2023-08-16"})
    open_page(at, PAGE)
    expected = _expected_funnel(demo_data, date(2023, 8, 16), ["Wales"])
    everyone = _expected_funnel(demo_data, date(2023, 8, 16))
    entered = int(expected.loc[expected["step"] == ENTERED.name, "participants"].iloc[0])
    assert entered < int(everyone.loc[everyone["step"] == ENTERED.name, "participants"].iloc[0])
    assert _tiles(at)["Entered"][0] == count(entered)
    # changing the filter in the sidebar changes the figures again
    at.multiselect(key="filter_regions").set_value(["London"]).run()
    london = _expected_funnel(demo_data, date(2023, 8, 16), ["London"])
    assert _tiles(at)["Entered"][0] == count(
        int(london.loc[london["step"] == ENTERED.name, "participants"].iloc[0])
    )


def test_nobody_entered_gives_a_friendly_message(demo_db_url: str) -> None:
    # the contract's first day: no one has entered yet
    at = new_app({"as_of": "2021-06-01", "to": "2021-06-01"})
    open_page(at, PAGE)
    assert not at.error
    assert any("No one had entered" in i.value for i in at.info)
    assert not at.metric


def test_forecast_from_an_earlier_date_matches_the_library(demo_data: DemoData) -> None:
    # a review in August 2023 asks where the contract will land in June 2024
    at = open_section(open_page(new_app({"as_of": "2023-08-16"}), PAGE), PAGE, "Forecast to the end")
    assert not at.error, [e.value for e in at.error]
    forecast = forecast_to_end(
        Scope(demo_data.participants, demo_data.milestones, as_of=date(2023, 8, 16)),
    )
    work = forecast.loc[(forecast["region"] == "All regions") & (forecast["measure"] == WORK.name)]
    columns = ["region", "measure", "month", "actual_to_date", "forecast", "low_80", "high_80", "low_95", "high_95"]
    tables = [d.value.reset_index(drop=True) for d in tables_shown(at)]
    want = display_table(work[columns].reset_index(drop=True),
                        counts=("actual_to_date", "forecast", "low_80", "high_80", "low_95", "high_95"),
                        dates=("month",))
    # Aug 2023 .. May 2024: ten months
    assert len(want) == 10
    matching = [t for t in tables if list(t.columns) == list(want.columns)]
    assert len(matching) == 1
    pd.testing.assert_frame_equal(matching[0], want, check_dtype=False)
    chances = probability_of_reaching(forecast, demo_data.targets)
    assert any(t.shape == chances.shape for t in tables)
    assert any("Chance of reaching the contract target" in c.value for c in at.caption)


def test_without_chromium_the_page_runs_and_the_deck_says_how_to_install_it(
    app: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A machine without Chromium (make run needs no root): the page runs, the workbook can
    # be prepared, and the deck and pack buttons are disabled with the way to install it.
    monkeypatch.setenv("ETE_CHROMIUM", "/nonexistent/chromium")
    open_page(app, PAGE)
    assert not app.error and not app.exception, [e.value for e in app.error]
    prepare = {b.key: b for b in app.button if b.key and b.key.startswith("overview_report_prepare_")}
    assert [b.label for b in prepare.values()] == [
        "Prepare the deck (PowerPoint)", "Prepare the review pack (PDF)", "Prepare the workbook (Excel)"]
    assert [key for key, b in prepare.items() if b.disabled] == [
        "overview_report_prepare_pptx", "overview_report_prepare_pdf"]
    assert any("apt-get install chromium" in c.value for c in app.caption)
    prepare["overview_report_prepare_xlsx"].click().run()
    assert not app.exception, [e.value for e in app.exception]
    downloads = [b.label for b in app.download_button if b.key and b.key.startswith("overview_report_")]
    assert downloads == ["Download workbook (Excel)"]


def _review(demo: DemoData, as_of: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    monthly = targets_vs_actual(
        Scope(demo.participants, demo.milestones, as_of=as_of),
        demo.targets,
    )
    rag = rag_table(target_summary(Scope(demo.participants, demo.milestones, as_of=as_of), demo.targets))
    return rag, month_comparison(monthly, demo.targets, as_of=as_of)


def test_rag_table_narrative_and_month_are_the_librarys(app: AppTest, demo_data: DemoData) -> None:
    open_page(app, PAGE)
    assert not app.error, [e.value for e in app.error]
    as_of = demo_data.cutoff
    rag, comparison = _review(demo_data, as_of)
    # the RAG table: regions down, measures across, "percent Rating" in each cell
    text, codes = rag_grid(rag)
    grids = [d.value for d in tables_shown(app) if "Projected at contract end (work)" in d.value.columns]
    assert len(grids) == 1
    pd.testing.assert_frame_equal(grids[0], text, check_dtype=False, check_names=False)
    west_midlands_work = rag.loc[(rag["region"] == "West Midlands") & (rag["measure"] == WORK.name)].iloc[0]
    assert grids[0].loc["West Midlands", "Into work"] == f"{percent(west_midlands_work['percent_achieved'])} Red"
    assert codes.loc["West Midlands", "Into work"] == "red"
    # the narrative at the top: the same sentences from the same numbers
    now = funnel(
        Scope(demo_data.participants, demo_data.milestones, as_of=as_of),
        include_sustained=True,
    )
    previous = month_earlier(as_of)
    before = funnel(
        Scope(demo_data.participants, demo_data.milestones, as_of=previous),
        include_sustained=True,
    )
    sentences = narrative(headline(now, before), comparison_changes(comparison), rag, as_of=as_of,
                          previous=previous, scope="All regions", audience="internal")
    assert sentences and any(s.startswith("Job starts in ") for s in sentences)
    said = " ".join(m.value for m in app.markdown)
    for sentence in sentences:
        assert markdown_literal(sentence) in said
    # this month against last: the job starts of the latest full month
    work = comparison.set_index("measure").loc[WORK.name]
    months = [d.value for d in tables_shown(app) if "Same month a year earlier" in d.value.columns]
    assert len(months) == 1
    row = months[0].set_index("Measure").loc["Into work"]
    assert row["In the month"] == count(work["participants"])
    assert row["Quarter's target"] == count(work["quarter_target"])


def test_two_regions_are_named_not_called_all_regions(demo_db_url: str) -> None:
    at = open_page(new_app({"region": ["London", "Wales"], "as_of": "2023-08-16"}), PAGE)
    assert not at.error, [e.value for e in at.error]
    grids = [d.value for d in tables_shown(at) if "Projected at contract end (work)" in d.value.columns]
    assert len(grids) == 1 and list(grids[0].index) == ["London", "Wales", "London and Wales"]
    captions = [c.value for c in open_section(at, PAGE, "Forecast to the end").caption]
    assert any("by the end (London and Wales)" in c for c in captions), captions
    assert not any("(All regions)" in c for c in captions)


def test_at_the_contracts_end_the_page_says_projections_equal_the_figures(demo_db_url: str) -> None:
    """The default 'Figures as at' is the data's cut-off, the contract's last day here: every
    projection equals the figures to date and each chance is 0% or 100%; the page says so beside the
    targets and the forecast, and not for an earlier date."""
    at = open_page(new_app(), PAGE)
    said = "each projection at the end equals the figures to date, and the chance of reaching a target is 0% or 100%"
    assert any(said in c.value for c in at.caption)
    open_section(at, PAGE, "Forecast to the end")
    assert any(said in i.value for i in at.info)
    earlier = open_page(new_app({"as_of": "2023-08-16"}), PAGE)
    assert not any(said in c.value for c in earlier.caption)
    open_section(earlier, PAGE, "Forecast to the end")
    assert not any(said in i.value for i in earlier.info)
