"""The intruder (tests/intruder_support.py) against every page a stakeholder opens.

Each page of the dashboard is opened with ``?audience=stakeholder`` (AppTest, the small
demo programme). Every table the page protects is recorded as it is published: the true
frame with its view and ties (a :class:`Part`) and the frame the stakeholder sees. The
intruder then gets all of a page's tables at once, as a reader of the page has them, and
must pin no suppressed count to 1-4 and recover no rounded count exactly.

The recording is checked against what the page shows: every count in every table on the
screen is one the intruder was given (so no table escapes the attack), and the intruder is
shown to find the page's small counts when it is handed the true figures instead.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence

import pandas as pd
import pytest
from apptest_support import *  # noqa: F403
from apptest_support import PAGES, PRESENTATION, each_screen, new_app, open_page, tables_shown
from streamlit.testing.v1 import AppTest

import dashboard.render as render
import ete_metrics.present.report.content.published as report_content
from ete_metrics.protect.publication import Part, publish
from ete_metrics.views import VIEWS
from tests.intruder_support import FRACTIONS, attack

#: Headings of count columns in any view (what a table on screen shows as a count of people).
COUNT_HEADINGS = frozenset(spec.heading(c) for spec in VIEWS.values() for c in spec.counts)


class Recorder:
    """Every table protected during a page's runs: (part, what the stakeholder sees)."""

    def __init__(self) -> None:
        self.published: list[tuple[Part, pd.DataFrame]] = []

    def add(self, parts: Sequence[Part], tables: Sequence[pd.DataFrame]) -> None:
        for part, table in zip(parts, tables, strict=True):
            if not any(part.frame.equals(p.frame) and part.spec == p.spec and part.moment == p.moment
                       and dict(part.within) == dict(p.within) for p, _ in self.published):
                self.published.append((part, table))

    def parts(self) -> list[Part]:
        return [part for part, _ in self.published]

    def tables(self) -> list[pd.DataFrame]:
        return [table for _, table in self.published]


def record_published(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    """Record render.shown, render.shown_together and the report's publish (the pack) and
    its views protected one by one (present_view: the targets and cohort tables), for as long
    as ``monkeypatch`` holds (the crafted intruder records the pages with it too)."""
    seen = Recorder()
    shown, together, pack = render.shown, render.shown_together, report_content.publish
    alone = report_content.present_view

    def recording_shown(frame: pd.DataFrame, view):  # type: ignore[no-untyped-def]
        out = shown(frame, view)
        if out.protected:
            seen.add([Part(frame, view)], [out.table])
        return out

    def recording_together(parts):  # type: ignore[no-untyped-def]
        out = together(parts)
        if out and out[0].protected:
            seen.add(parts, [s.table for s in out])
        return out

    def recording_publish(parts, audience):  # type: ignore[no-untyped-def]
        out = pack(parts, audience)
        if audience == "stakeholder":
            seen.add(parts, out)
        return out

    def recording_alone(frame, view, audience):  # type: ignore[no-untyped-def]
        out = alone(frame, view, audience)
        if audience == "stakeholder":
            seen.add([Part(frame, view)], [out])
        return out

    monkeypatch.setattr(render, "shown", recording_shown)
    monkeypatch.setattr(report_content, "present_view", recording_alone)
    monkeypatch.setattr(render, "shown_together", recording_together)
    monkeypatch.setattr(report_content, "publish", recording_publish)
    return seen


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    """:func:`record_published` for one test."""
    yield record_published(monkeypatch)


def _counts_on_screen(at: AppTest) -> Counter[int]:
    """Every whole count shown in a count column of a table on the screen."""
    found: Counter[int] = Counter()
    for element in tables_shown(at):
        frame = element.value
        for column in frame.columns:
            if str(column) not in COUNT_HEADINGS:
                continue
            for value in frame[column]:
                text = str(value).replace(",", "").strip()
                if re.fullmatch(r"\d+", text):
                    found[int(text)] += 1
    return found


def _counts_published(tables: Sequence[pd.DataFrame], parts: Sequence[Part]) -> set[int]:
    out: set[int] = set()
    for part, table in zip(parts, tables, strict=True):
        for column in part.spec.counts:
            if column in table.columns:
                out |= {int(v) for v in table[column] if not isinstance(v, str) and not pd.isna(v)}
    return out


@pytest.mark.parametrize("page", PAGES)
def test_the_intruder_finds_nothing_on_the_page(demo_db_url: str, recorder: Recorder, page: str) -> None:
    at = open_page(new_app({"audience": "stakeholder"}), page)
    on_screen: Counter[int] = Counter()
    for screen in each_screen(at, page):
        on_screen += _counts_on_screen(screen)
    parts, tables = recorder.parts(), recorder.tables()
    # every count a table on the screen shows was given to the intruder
    assert set(on_screen) <= _counts_published(tables, parts), set(on_screen) - _counts_published(tables, parts)
    assert attack(parts, tables) == []


@pytest.mark.parametrize("page", ["app_pages/3_regions.py", "app_pages/5_partners.py"])
def test_the_page_intruder_is_not_toothless(demo_db_url: str, recorder: Recorder, page: str) -> None:
    """Beside the page's protected counts, the true rates at full precision (as files once
    carried them) give rounded counts back exactly, and the intruder finds them."""
    open_page(new_app({"audience": "stakeholder"}), page)
    parts = recorder.parts()
    assert len(parts) >= 3  # the page's publication set, recorded
    leaky = [table.assign(**{rate: part.frame[rate].astype(float).to_numpy()
                             for rate in FRACTIONS & set(table.columns)})
             for part, table in recorder.published]
    found = attack(parts, leaky)
    assert any(not isinstance(f.shown, str) for f in found)  # a rounded count recovered
    assert attack(parts, recorder.tables()) == []  # as published: nothing


def test_the_pack_is_recorded_on_the_presentation(demo_db_url: str, recorder: Recorder) -> None:
    """The presentation's slides come from the pack, published together (and attacked above)."""
    open_page(new_app({"audience": "stakeholder"}), PRESENTATION)
    names = [part.spec.name for part in recorder.parts()]
    assert names.count("funnel") >= 3 and {"compare", "equality"} <= set(names)
    assert "standardised" not in names  # a model's figures: for the programme team only
    assert attack(recorder.parts(), publish(recorder.parts(), "stakeholder")) == []
