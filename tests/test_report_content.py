"""Tests for ete_metrics.present.report.content (the tables every format shows)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ete_metrics.counting.scope import Scope
from ete_metrics.errors import InputError
from ete_metrics.metrics.funnel import funnel
from ete_metrics.present.formatting import humanise
from ete_metrics.present.report import report_content
from ete_metrics.present.tables import display_table
from ete_metrics.protect.disclosure import STAKEHOLDER_NOTE, find_disclosive_counts, round_to_base
from ete_metrics.steps import ENTERED, WORK, funnel_steps
from tests.report_support import AS_OF, content, demo

# Columns holding small whole numbers that are not counts of people.
#: Headings of columns that are not counts: months, and observed / expected ratios (a ratio of
#: 20 to 20 published counts reads 1.00).
NOT_COUNTS = ("Months since entry", "Observed / expected", "Ratio 95% low", "Ratio 95% high")


def test_display_table_worked_by_hand() -> None:
    frame = pd.DataFrame(
        {
            "step": [ENTERED.name, WORK.name],
            "participants": [10234, "[c]"],
            "rate_from_entry": [1.0, 0.38149],
            "gap": [np.nan, -0.0123],
            "period_start": pd.to_datetime(["2023-08-16", None]),
        }
    )
    shown = display_table(
        frame, counts=["participants"], rates=["rate_from_entry"], points=["gap"],
        dates=["period_start"], labels={"period_start": "Quarter from"},
    )
    # 10234 -> "10,234"; 0.38149 -> 38.149% -> "38.1%"; gap -0.0123 -> -1.23 pp -> "-1.2 pp".
    assert list(shown.columns) == ["Step", "People", "% of entered", "Gap to overall", "Quarter from"]
    assert shown.iloc[0].tolist() == ["Entered", "10,234", "100.0%", "", "16 Aug 2023"]
    assert shown.iloc[1].tolist() == ["Into work", "[c]", "38.1%", "-1.2 pp", ""]


def test_internal_headline_equals_library_funnel() -> None:
    participants, milestones, _ = demo()
    expected = funnel(Scope(participants, milestones, as_of=AS_OF), include_sustained=True)
    headline = content("internal").headline.data
    assert headline["step"].tolist() == list(funnel_steps(sustained=True))
    assert headline["participants"].tolist() == expected["participants"].tolist()
    np.testing.assert_allclose(
        headline["rate_from_entry"].astype(float), expected["rate_from_entry"].astype(float)
    )
    earlier = funnel(Scope(participants, milestones, as_of="2023-07-16"), include_sustained=True)
    change = (expected["participants"] - earlier["participants"]).tolist()
    assert headline["change"].tolist() == change


def test_stakeholder_headline_is_rounded_library_funnel() -> None:
    participants, milestones, _ = demo()
    expected = funnel(Scope(participants, milestones, as_of=AS_OF), include_sustained=True)
    shown = content("stakeholder").headline.data["participants"].tolist()
    # Every headline count of the 3,000-referral demo is far above 4, so each is just rounded.
    assert shown == [round_to_base(int(n)) for n in expected["participants"]]


def test_stakeholder_tables_show_no_small_counts_and_carry_note() -> None:
    report = content("stakeholder")
    assert report.note == STAKEHOLDER_NOTE
    for table in report.tables():
        rates = [c for c, role in table.formats().items() if role == "percent"]
        # rates of 1.0 are 100%, and an observed / expected ratio of 1.0 is a ratio: not counts
        ignore = ("months_since_entry", *rates, "ratio", "ratio_low", "ratio_high")
        assert not find_disclosive_counts(table.data, ignore_columns=ignore), table.key
        assert not find_disclosive_counts(table.display(), ignore_columns=NOT_COUNTS), table.key
        assert "participant_id" not in table.data.columns


def test_internal_has_small_counts_somewhere() -> None:
    # Guards the test above: the demo does have small groups (e.g. equality), so the
    # stakeholder check is not passing only because there was nothing to protect.
    found = [
        t.key for t in content("internal").tables()
        if find_disclosive_counts(t.data, ignore_columns=("months_since_entry",))
    ]
    assert found


def test_views_and_definitions() -> None:
    report = content("internal")
    assert [v.key for v in report.views] == [
        "funnel", "targets", "regions", "regions_adjusted", "cohorts", "partners", "equality",
        "targets_vs_actual",
    ]
    assert all(v.figure is not None for v in report.views)
    terms = [term for term, _ in report.definitions]
    assert {"Entered", "Sustained work", "RAG", "Control limits", "Cohort"} <= set(terms)
    assert len({t.key for t in report.tables()}) == len(report.tables())
    assert all(len(t.key) <= 31 for t in report.tables())


def test_regions_filter_keeps_only_those_regions() -> None:
    participants, milestones, targets = demo()
    report = report_content(
        participants, milestones, targets, as_of=AS_OF, regions=["Wales"]
    )
    # Wales alone is set against the programme (not compared with itself): its entered there
    assert "regions" not in [v.key for v in report.views]
    against = next(v.table for v in report.views if v.key == "benchmark").data
    assert set(against["entered"]) == {report.headline.data["participants"].iloc[0]}
    entered = int((participants["region"] == "Wales").sum())
    assert report.headline.data["participants"].iloc[0] <= entered
    assert report.filters_text() == "Regions: Wales"


def test_inputs_not_mutated_and_bad_audience() -> None:
    participants, milestones, targets = demo()
    before = participants.copy()
    content("stakeholder")
    pd.testing.assert_frame_equal(participants, before)
    with pytest.raises(InputError, match="audience"):
        report_content(participants, milestones, targets, as_of=AS_OF, audience="public")


def test_all_dashboard_filters_apply_and_are_described() -> None:
    participants, milestones, targets = demo()
    report = report_content(
        participants, milestones, targets, as_of=AS_OF, regions=["wales", "London"],
        pathways=["custody"], date_from="2022-01-01", date_to="2022-12-31",
    )
    # Entered, by definition: in the regions and pathway, entry date in 2022 (on or before as_of).
    entry = pd.to_datetime(participants["entry_date"])
    expected = int((participants["region"].isin(["Wales", "London"])
                    & (participants["pathway"] == "custody")
                    & (entry >= "2022-01-01") & (entry <= "2022-12-31")).sum())
    assert int(report.headline.data["participants"].iloc[0]) == expected
    assert report.regions == ("Wales", "London")  # stored spelling
    assert report.filters_text() == (
        "Regions: Wales, London · Pathways: custody · Entered from 1 Jan 2022 to 31 Dec 2022")
    items = dict(report.filter_items())
    assert items["Delivery partners"] == "All delivery partners"
    cohorts = next(v for v in report.views if v.key == "cohorts").table.data["cohort"].tolist()
    assert cohorts == ["2022-Q1", "2022-Q2", "2022-Q3", "2022-Q4"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"regions": ["Narnia"]}, "Unknown region 'Narnia'"),
        ({"pathways": ["prison"]}, "Unknown pathway 'prison'"),
        ({"delivery_partners": ["Nobody Ltd"]}, "Unknown delivery partner"),
        ({"date_from": "2023-01-01", "date_to": "2022-01-01"}, "starts after it ends"),
    ],
)
def test_bad_filters_are_refused_with_a_message(kwargs: dict[str, object], message: str) -> None:
    participants, milestones, targets = demo()
    with pytest.raises(InputError, match=message):
        report_content(participants, milestones, targets, as_of=AS_OF, **kwargs)  # type: ignore[arg-type]


def test_no_participants_is_a_clear_error() -> None:
    participants, milestones, targets = demo()
    with pytest.raises(InputError, match="no participants"):
        report_content(participants.iloc[:0], milestones.iloc[:0], targets, as_of=AS_OF)


def test_stakeholder_definitions_explain_the_marker_and_rounding() -> None:
    terms = dict(content("stakeholder").definitions)
    assert "[c]" in terms and "Counts" in terms and "Rates" in terms
    assert "published (rounded) counts" in terms["Rates"]
    assert "[c]" not in dict(content("internal").definitions)


def test_regions_chart_limits_come_from_the_shown_sizes() -> None:
    # Stakeholder: every limit-line size is a multiple of 5 and the range ends at or just
    # past 1.2 x the largest *rounded* region size (never derived from a raw count).
    report = content("stakeholder")
    view = next(v for v in report.views if v.key == "regions")
    shown = view.table.data["entered"]
    largest = max(v for v in shown if not isinstance(v, str))
    assert view.figure is not None
    lines = [t for t in view.figure.data if t.mode == "lines"]
    sizes = [int(x) for x in lines[0].x]
    smallest = min(v for v in shown if not isinstance(v, str))
    start = max(5, int(min(0.8 * smallest, largest / 50) // 5) * 5)  # by the definition
    assert all(s % 5 == 0 for s in sizes) and sizes[0] == start
    assert 1.2 * largest <= sizes[-1] < 1.2 * largest + 5
    names = [a.text for a in view.figure.layout.annotations if a.xref == "x"]
    assert sorted(names) == sorted(view.table.data["region"])  # named


def test_limit_sizes_worked_by_hand() -> None:
    from ete_metrics.protect.audience import limit_sizes

    # Largest shown 100 -> limits to 120; multiples of 5 from 5; NaN ("[c]") ignored.
    sizes = limit_sizes(pd.Series([100.0, np.nan, 35.0]), points=10)
    assert sizes[0] == 5 and sizes[-1] == 120
    assert all(s % 5 == 0 for s in sizes) and list(sizes) == sorted(set(sizes))
    assert limit_sizes([]).tolist() == [5, 10]


def test_stakeholder_charts_say_where_a_figure_is_suppressed() -> None:
    report = content("stakeholder")
    partners = next(v for v in report.views if v.key == "partners")
    hidden = [i for i, v in enumerate(partners.table.data["work"]) if v == "[c]"]
    assert hidden  # the 3,000 demo has partners with fewer than 5 in work
    assert partners.figure is not None
    work = next(t for t in partners.figure.data if t.name == "Into work")
    assert [work.text[i] for i in hidden] == ["[c]"] * len(hidden)
    assert [work.x[i] for i in hidden] == [0] * len(hidden)  # a zero-length bar, labelled
    equality = next(v for v in report.views if v.key == "equality")
    table = equality.table.data
    suppressed = {f"{humanise(str(c))}: {g}" for c, g, r in zip(table["characteristic"], table["group"],
                                                               table["rate"], strict=True) if r == "[c]"}
    assert equality.figure is not None
    marked = {a.y for a in equality.figure.layout.annotations if a.text == "[c]"}
    assert suppressed and marked == suppressed


def test_a_regional_leads_pack_is_labelled_with_their_region() -> None:
    # A Wales lead's data holds Wales only (their scope): nothing in the pack may call
    # Wales's figures "All regions".
    participants, milestones, targets = demo()
    wales = participants.loc[participants["region"] == "Wales"]
    pack = report_content(wales, milestones.loc[milestones["participant_id"].isin(wales["participant_id"])],
                          targets.loc[targets["region"] == "Wales"], as_of=AS_OF)
    assert pack.regions == ("Wales",) and pack.scope == "Wales"
    assert pack.filters_text() == "Regions: Wales"
    assert set(pack.targets.data["region"]) == {"Wales"}  # no "All regions" total of Wales alone
    headline = pack.headline_targets().data.set_index("measure")
    wales_targets = pack.targets.data.set_index("measure")
    assert headline.loc["work", "actual_to_date"] == wales_targets.loc["work", "actual_to_date"]
    # Wales alone is not compared with itself (no "Wales %" beside Wales's own rate)
    assert not {"regions", "regions_adjusted"} & {v.key for v in pack.views}
    every_label = [t.heading(c) for t in pack.tables() for c in t.data.columns]
    every_label += [str(v) for t in pack.tables() for v in t.data.get("region", [])]
    assert "All regions" not in every_label and "All regions %" not in every_label


def test_the_programme_pack_keeps_all_regions() -> None:
    pack = content("internal")
    assert pack.scope == "All regions"
    assert "All regions" in set(pack.targets.data["region"])


def test_the_summary_is_the_overviews_narrative_from_the_shown_figures() -> None:
    from ete_metrics.metrics.review import comparison_changes, month_comparison
    from ete_metrics.metrics.targets import targets_vs_actual
    from ete_metrics.present.narrative import narrative
    from ete_metrics.protect.audience import present_view

    participants, milestones, targets = demo()
    for audience in ("internal", "stakeholder"):
        pack = content(audience)
        monthly = targets_vs_actual(Scope(participants, milestones, as_of=AS_OF), targets)
        comparison = comparison_changes(present_view(month_comparison(monthly, targets, as_of=AS_OF),
                                                     "month_comparison", audience))
        expected = narrative(pack.headline.data, comparison, pack.targets.data, as_of=AS_OF,
                             previous=pack.previous_as_of, scope="All regions", audience=audience)
        assert pack.summary == expected and len(expected) >= 3
    # July 2023 is the latest full month on 16 Aug 2023
    assert any(s.startswith("Job starts in July 2023: ") for s in content("internal").summary)


def test_without_charts_the_tables_are_the_same_and_there_are_no_figures() -> None:
    participants, milestones, targets = demo()
    charted = content("stakeholder")
    plain = report_content(participants, milestones, targets, as_of=AS_OF, audience="stakeholder", charts=False)
    assert [v.figure for v in plain.views] == [None] * len(plain.views)
    assert any(v.figure is not None for v in charted.views)
    assert [t.key for t in plain.tables()] == [t.key for t in charted.tables()]
    for shown, drawn in zip(plain.tables(), charted.tables(), strict=True):
        pd.testing.assert_frame_equal(shown.data, drawn.data)
    assert (plain.headline.data.equals(charted.headline.data) and plain.changes == charted.changes
            and plain.summary == charted.summary)


def _two_regions() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Wales: 10 entered, 3 in work; London: 10 entered, 7 in work (entered 20 Jun 2021)."""
    from ete_metrics.data.frames import conform_milestones, conform_participants, conform_targets
    from ete_metrics.steps import outcome_milestones

    regions = ["Wales"] * 10 + ["London"] * 10
    participants = conform_participants(pd.DataFrame({
        "participant_id": [f"P{i:02d}" for i in range(20)],
        "region": regions,
        "referral_date": pd.Timestamp("2021-06-10"),
        "entry_date": pd.Timestamp("2021-06-20"),
        "pathway": "community", "delivery_partner": "Acme", "area": "Area",
        "gender": "Female", "age_band": "25-34",
    }))
    in_work = [f"P{i:02d}" for i in (0, 1, 2)] + [f"P{i:02d}" for i in range(10, 17)]
    milestones = conform_milestones(pd.DataFrame({
        "participant_id": in_work, "milestone": outcome_milestones()["work"],
        "date": pd.Timestamp("2021-07-01"),
    }))
    targets = conform_targets(pd.DataFrame({
        "region": ["Wales", "London"], "period_start": pd.Timestamp("2021-06-01"),
        "measure": "entered", "target": 10,
    }))
    return participants, milestones, targets


def test_one_region_is_set_against_the_programme_not_compared_with_itself() -> None:
    """Issue 26 item 1: the pages' rule in the packs. Wales alone: no regions comparison nor
    adjusted ratios (Wales against Wales: "Overall" = Wales, observed = expected), but Wales
    beside the programme: work 3 / 10 = 30.0% against 10 / 20 = 50.0%, a gap of -20 pp."""
    participants, milestones, targets = _two_regions()
    for given in ({}, {"programme": None}):
        report = report_content(participants, milestones, targets, as_of="2021-07-31", regions=["Wales"],
                                charts=False, **given)
        keys = [v.key for v in report.views]
        assert "regions" not in keys and "regions_adjusted" not in keys
        against = next(v for v in report.views if v.key == "benchmark")
        assert against.title == "Wales against the programme"
        work = against.table.data.set_index("step").loc["work"]
        assert (work["entered"], work["participants"]) == (10, 3)
        assert (work["programme_entered"], work["programme_participants"]) == (20, 10)
        assert work["rate"] == pytest.approx(0.3) and work["programme_rate"] == pytest.approx(0.5)
        assert work["gap"] == pytest.approx(-0.2)
        shown = against.table.display()
        assert "Wales %" not in shown.columns and "Programme rate" in shown.columns


def test_a_leads_data_alone_is_set_against_the_programme_given() -> None:
    """A lead's data hold Wales only: the programme's funnel is given (every region's people)."""
    from ete_metrics.present.report.content import programme_funnel

    participants, milestones, targets = _two_regions()
    programme = programme_funnel(participants, milestones, as_of="2021-07-31")
    wales = participants.loc[participants["region"] == "Wales"]
    report = report_content(wales, milestones.loc[milestones["participant_id"].isin(wales["participant_id"])],
                            targets.loc[targets["region"] == "Wales"], as_of="2021-07-31",
                            charts=False, programme=programme)
    assert report.regions == ("Wales",)
    keys = [v.key for v in report.views]
    assert "regions" not in keys and "regions_adjusted" not in keys
    work = next(v for v in report.views if v.key == "benchmark").table.data.set_index("step").loc["work"]
    assert (work["participants"], work["programme_participants"], work["programme_entered"]) == (3, 10, 20)


def test_two_regions_of_part_of_the_programme_are_compared_and_set_against_it() -> None:
    participants, milestones, targets = _two_regions()
    north_west = participants.iloc[:5].assign(region="North West",
                                              participant_id=[f"N{i}" for i in range(5)])
    participants = pd.concat([participants, north_west], ignore_index=True)  # 5 more, none in work
    report = report_content(participants, milestones, targets, as_of="2021-07-31",
                            regions=["Wales", "London"], charts=False)
    keys = [v.key for v in report.views]
    assert {"benchmark", "regions", "regions_adjusted"} <= set(keys)
    regions = next(v for v in report.views if v.key == "regions").table.data.set_index("region")
    # the two regions' own rate: 10 in work of 20 entered; the programme's 10 of 25
    assert regions["overall_rate"].iloc[0] == pytest.approx(0.5)
    work = next(v for v in report.views if v.key == "benchmark").table.data.set_index("step").loc["work"]
    assert work["programme_rate"] == pytest.approx(0.4) and work["rate"] == pytest.approx(0.5)
