"""The presentation page (``app_pages/9_present.py``): the stakeholder deck's views, a slide each.

Every slide shows the figures of :func:`ete_metrics.present.report.content.report_content`
for the stakeholder audience and the sidebar's filters (the deck's protected figures),
whatever audience the sidebar is on; no banner or heading of the app's frame; the
buttons (and their arrow-key shortcuts) move one slide and stop at the ends.
"""

from __future__ import annotations

import pandas as pd
from apptest_support import *  # noqa: F403
from apptest_support import DemoData, new_app, tables_shown
from streamlit.testing.v1 import AppTest

from dashboard.auth import SIGN_IN_OFF_BANNER
from dashboard.escape import unescape_markdown
from ete_metrics.present.formatting import uk_date
from ete_metrics.present.report.content import HEADLINE_COLUMNS, ReportContent, report_content
from ete_metrics.protect.disclosure import find_disclosive_counts

#: Columns of the slides that are not counts: ratios of observed to expected (1.00 is not one person).
NOT_COUNTS = ("Observed / expected", "Ratio 95% low", "Ratio 95% high")

PAGE = "app_pages/9_present.py"


def _present(query: dict[str, str | list[str]] | None = None) -> AppTest:
    at = new_app(query)
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _next(at: AppTest) -> AppTest:
    at.button(key="present_next").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _deck(demo: DemoData, **filters: object) -> ReportContent:
    return report_content(
        demo.participants, demo.milestones, demo.targets, as_of=demo.cutoff,
        audience="stakeholder", **filters,  # type: ignore[arg-type]
    )


def _table(at: AppTest) -> pd.DataFrame:
    """The slide's one table as text (what is read on screen)."""
    assert len(tables_shown(at)) == 1, "a slide shows one table"
    return _text(tables_shown(at)[0].value)


def _text(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(str).reset_index(drop=True)


def test_every_slide_shows_the_stakeholder_decks_figures(demo_data: DemoData) -> None:
    deck = _deck(demo_data)
    at = _present()  # the sidebar's audience is "internal": the slides are still the stakeholder's
    slides = 1 + 1 + len(deck.views) + 1  # title, headline, a slide a view, definitions
    assert at.caption[0].value.startswith(f"Slide 1 of {slides} ")
    assert at.title[0].value == deck.programme
    # the headings go down one level at a time (WCAG 1.3.1): the title (h1), then the subtitle (h2), never h3
    assert [h.value for h in at.main.header] == [f"Stakeholder presentation · Figures as at {uk_date(deck.as_of)}"]
    assert len(at.main.subheader) == 0

    _next(at)
    expected = deck.headline.display()[[deck.headline.heading(c) for c in HEADLINE_COLUMNS]]
    pd.testing.assert_frame_equal(_table(at), _text(expected))
    shown = unescape_markdown(" ".join(m.value for m in at.markdown))
    assert deck.changes and all(sentence in shown for sentence in deck.changes)

    for number, view in enumerate(deck.views, start=3):
        _next(at)
        assert at.caption[0].value.startswith(f"Slide {number} of {slides} ")
        assert at.header[0].value == view.title
        pd.testing.assert_frame_equal(_table(at), _text(view.table.display()))
        assert len(at.get("plotly_chart")) == (view.figure is not None)
        # Protected: no count from 1 to 4 anywhere on a slide (the deck's rule); a ratio of
        # observed to expected of 1.00 is not a count.
        assert find_disclosive_counts(_table(at), ignore_columns=NOT_COUNTS) == []

    _next(at)
    assert at.header[0].value == "Definitions"
    assert list(_table(at)["Term"]) == [term for term, _ in deck.definitions]
    assert at.button(key="present_next").disabled


def test_no_banner_no_frame_and_the_sidebar_hidden(demo_data: DemoData) -> None:
    at = _present()
    assert [w.value for w in at.warning if w.value == SIGN_IN_OFF_BANNER] == []
    assert "ETE Outcomes" not in [t.value for t in at.title]
    # The frame hides the sidebar with a style (its widgets still run, so the filters live on).
    assert any("stSidebar" in str(h.proto.body) and "display: none" in str(h.proto.body)
               for h in at.get("html"))
    # On any other page the banner and the frame are there.
    at.switch_page("app_pages/8_about.py")
    at.run()
    assert SIGN_IN_OFF_BANNER in [w.value for w in at.warning]
    assert "ETE Outcomes" in [t.value for t in at.title]
    assert not any("stSidebar" in str(h.proto.body) for h in at.get("html"))


def test_previous_and_next_stop_at_the_ends(demo_data: DemoData) -> None:
    at = _present()
    assert at.button(key="present_previous").disabled
    _next(at)
    _next(at)
    assert at.caption[0].value.startswith("Slide 3 of ")
    at.button(key="present_previous").click().run()
    assert at.caption[0].value.startswith("Slide 2 of ")
    assert not at.button(key="present_previous").disabled
    assert at.button(key="present_next").proto.shortcut.lower() == "right"
    assert at.button(key="present_previous").proto.shortcut.lower() == "left"


def test_the_slides_follow_the_sidebar_filters(demo_data: DemoData) -> None:
    deck = _deck(demo_data, regions=["Wales"])
    at = _present({"region": "Wales"})
    assert "Regions: Wales" in unescape_markdown(" ".join(m.value for m in at.markdown))
    _next(at)
    _next(at)  # the funnel view
    pd.testing.assert_frame_equal(_table(at), _text(deck.views[0].table.display()))
    assert deck.views[0].table.display().equals(_deck(demo_data).views[0].table.display()) is False


def test_a_wales_leads_slides_set_wales_against_the_programme(demo_data: DemoData) -> None:
    """Issue 26 item 1: a lead's slide 5 set Wales against itself ("Wales %" beside Wales's rate).
    As on the Regions page, Wales alone is set against the programme's aggregate instead."""
    from dashboard.auth import PREVIEW_KEY

    at = new_app()
    at.run()
    at.selectbox(key=PREVIEW_KEY).select("A regional lead (Wales)")
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    deck = _deck(demo_data, regions=["Wales"])  # every region's data, Wales chosen
    against = next(v for v in deck.views if v.key == "benchmark")
    titles = []
    for _ in range(len(deck.views) + 2):
        titles += [h.value for h in at.main.header]
        if against.title in titles[-1:]:
            break
        _next(at)
    assert titles[-1] == "Wales against the programme"
    # the programme's figures: every region's people (an aggregate), as the Wales pack shows them
    pd.testing.assert_frame_equal(_table(at), _text(against.table.display()))
    shown = _table(at)
    assert (shown["Programme entered"] != shown["Wales entered"]).all()
    assert "Regions compared with control limits" not in titles
