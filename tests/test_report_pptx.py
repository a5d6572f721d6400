"""Tests for the PowerPoint deck of ete_metrics.present.report (opened with python-pptx)."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE

from ete_metrics.counting.scope import Scope
from ete_metrics.errors import ConfigError
from ete_metrics.present.report import build_report, report_content
from ete_metrics.present.report.pptx import ROWS_PER_SLIDE, build_pptx, figures_title, table_chunks
from ete_metrics.protect.disclosure import STAKEHOLDER_NOTE, find_disclosive_counts
from ete_metrics.steps import WORK
from tests.report_support import AS_OF, content, demo, images, small_counts


def _deck(audience: str):  # type: ignore[no-untyped-def]
    return Presentation(io.BytesIO(build_pptx(content(audience), images(audience))))


def _tables(slide):  # type: ignore[no-untyped-def]
    out = []
    for shape in slide.shapes:
        if shape.has_table:
            t = shape.table
            out.append([[t.cell(i, j).text for j in range(len(t.columns))] for i in range(len(t.rows))])
    return out


def test_slide_titles_and_title_slide() -> None:
    deck = _deck("internal")
    titles = [s.shapes.title.text for s in deck.slides]
    assert titles[0].startswith("Education, Training and Employment")
    subtitle = deck.slides[0].placeholders[1].text_frame.text
    assert "Figures as at 16 Aug 2023" in subtitle
    for expected in ("Headline figures", "From entry to training and work", "Against contract targets",
                     "Regions compared with control limits", "Cohorts: time to work", "Delivery partners",
                     "Equality: work by protected characteristic", "Targets against actuals: work",
                     "Definitions"):
        assert expected in titles, expected


def test_images_and_native_tables_equal_library() -> None:
    deck = _deck("internal")
    report = content("internal")
    pictures = [sh for s in deck.slides for sh in s.shapes if sh.shape_type == MSO_SHAPE_TYPE.PICTURE]
    assert len(pictures) == len(report.views)
    assert all(p.image.content_type == "image/png" and p.image.size[0] >= 2000 for p in pictures)
    slides = list(deck.slides)
    titles = [s.shapes.title.text for s in slides]
    for view in report.views:
        expected = view.table.display()
        first = titles.index(figures_title(view.title))
        # The figures slides follow one another: the first, then every "continued" one.
        chunk_slides = [slides[first]]
        for slide, title in zip(slides[first + 1:], titles[first + 1:], strict=True):
            if title != figures_title(view.title, continued=True):
                break
            chunk_slides.append(slide)
        rows: list[list[str]] = []
        for slide in chunk_slides:
            (table,) = _tables(slide)
            assert table[0] == list(expected.columns)
            rows.extend(table[1:])
        assert rows == expected.values.tolist(), view.key
        assert len(chunk_slides) == len(table_chunks(expected))


def test_long_tables_split_evenly_and_fit() -> None:
    # 16 one-line rows: 13 would fit on one slide by count, but not with the heading
    # room; the split is even (8 + 8), never 13 + 3.
    frame = pd.DataFrame({"Region": [f"Region {i}" for i in range(16)], "People": ["1,000"] * 16})
    chunks = table_chunks(frame)
    assert [len(c) for c in chunks] in ([16], [8, 8])
    assert all(len(c) <= ROWS_PER_SLIDE for c in chunks)
    assert sum(len(c) for c in chunks) == 16
    many = pd.DataFrame({"Region": [f"Region {i}" for i in range(40)], "People": ["5"] * 40})
    sizes = [len(c) for c in table_chunks(many)]
    assert max(sizes) - min(sizes) <= 1 and sum(sizes) == 40


def test_speaker_notes_hold_definitions() -> None:
    deck = _deck("internal")
    for slide in deck.slides:
        notes = slide.notes_slide.notes_text_frame.text
        assert "Definitions:" in notes
        assert "Control limits:" in notes


def test_stakeholder_deck_shows_no_small_counts() -> None:
    deck = _deck("stakeholder")
    texts: list[str] = []
    for slide in deck.slides:
        assert any(STAKEHOLDER_NOTE in sh.text_frame.text for sh in slide.shapes if sh.has_text_frame), \
            slide.shapes.title.text
        for table in _tables(slide):
            frame = pd.DataFrame(table[1:], columns=table[0])
            # an observed / expected ratio of published counts can read 1.00: not a count
            ratios = [c for c in frame.columns if c.startswith(("Observed / expected", "Ratio 95%"))]
            assert not find_disclosive_counts(frame, ignore_columns=ratios), slide.shapes.title.text
            texts.extend(c for row in table[1:] for c in row[1:])
        for shape in slide.shapes:
            if shape.has_text_frame:
                texts.append(shape.text_frame.text)
    hits = [t for t in texts if small_counts(t)]
    assert hits == []
    assert any("[c]" in t for t in texts)


def test_build_report_end_to_end_and_missing_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    participants, milestones, targets = demo()
    monkeypatch.setenv("ETE_CHROMIUM", "/nonexistent/chromium")
    with pytest.raises(ConfigError, match="Chromium"):
        build_report(participants, milestones, targets, as_of=AS_OF, fmt="pptx", regions=["Wales"])
    monkeypatch.delenv("ETE_CHROMIUM")
    data = build_report(participants, milestones, targets, as_of=AS_OF, fmt="pptx", regions=["Wales"])
    deck = Presentation(io.BytesIO(data))
    assert "Regions: Wales" in deck.slides[0].placeholders[1].text_frame.text
    assert report_content(participants, milestones, targets, as_of=AS_OF).audience == "internal"


def test_stakeholder_deck_tables_are_the_protected_library_output() -> None:
    """The equality and regions figures in the stakeholder deck are protect_view of the library."""
    from ete_metrics.metrics.comparison import compare_groups
    from ete_metrics.metrics.equality import equality
    from ete_metrics.present.tables import display_table
    from ete_metrics.protect.audience import protect_view
    from ete_metrics.views import EQUALITY

    participants, milestones, _ = demo()
    deck = _deck("stakeholder")
    by_title = {s.shapes.title.text: s for s in deck.slides}

    protected = protect_view(equality(Scope(participants, milestones, as_of=AS_OF)), "equality")
    expected = display_table(
        protected, EQUALITY, labels={"participants": "In work", "rate": "% in work"},
    )
    rows = []
    for title in (figures_title("Equality: work by protected characteristic"),
                  figures_title("Equality: work by protected characteristic", continued=True)):
        if title in by_title:
            (table,) = _tables(by_title[title])
            assert table[0] == list(expected.columns)
            rows.extend(table[1:])
    assert rows == expected.values.tolist()
    assert any("[c]" in row for row in rows)  # the 3,000 demo has small groups

    regions = protect_view(compare_groups(Scope(participants, milestones, as_of=AS_OF), by="region", step=WORK.name), "compare")
    (table,) = _tables(by_title[figures_title("Regions compared with control limits")])
    shown_entered = [row[1] for row in table[1:]]
    assert shown_entered == [f"{v:,}" if not isinstance(v, str) else v for v in regions["entered"]]


def test_the_first_slide_carries_what_changed_in_words() -> None:
    from pptx import Presentation

    from ete_metrics.present.report.pptx import build_pptx

    pack = content("internal")
    deck = Presentation(io.BytesIO(build_pptx(pack, images("internal"))))
    text = " ".join(shape.text_frame.text for shape in deck.slides[0].shapes if shape.has_text_frame)
    assert pack.summary and all(sentence in text for sentence in pack.summary)
