"""Tests for ete_metrics.present.report.images and the charts' print copies (Chromium needed)."""

from __future__ import annotations

import asyncio
import io
import json

import plotly.graph_objects as go
import pytest
from PIL import Image
from plotly.utils import PlotlyJSONEncoder

from ete_metrics.errors import ConfigError
from ete_metrics.present.charts.style import FIXED_HEIGHT
from ete_metrics.present.report import PRINT_FONT_SIZE, PRINT_TITLE_SIZE, _for_print
from ete_metrics.present.report.images import render_pngs, start_browser
from tests.report_support import content


def _plotly_print_copy(figure: go.Figure) -> dict[str, object]:
    """The print copy as Plotly's own update_layout makes it (the definition)."""
    copy = go.Figure(figure)
    copy.update_layout(
        font={"size": PRINT_FONT_SIZE},
        title={"font": {"size": PRINT_TITLE_SIZE}},
        legend={"font": {"size": PRINT_FONT_SIZE - 2}},
    )
    # taller by 15%, but a funnel plot, whose point names are laid out for its own height
    if copy.layout.height and not (copy.layout.meta or {}).get(FIXED_HEIGHT):
        copy.update_layout(height=int(copy.layout.height * 1.15))
    return copy.to_dict()


def _json(spec: dict[str, object]) -> str:
    return json.dumps(spec, cls=PlotlyJSONEncoder, sort_keys=True)


def test_print_copies_are_plotlys_update_layout_and_leave_the_figure_alone() -> None:
    figures = [v.figure for aud in ("internal", "stakeholder") for v in content(aud).views
               if v.figure is not None]
    assert any(f.layout.height for f in figures)  # the taller charts are covered too
    for figure in figures:
        before = _json(figure.to_dict())
        assert _json(_for_print(figure)) == _json(_plotly_print_copy(figure))
        assert _json(figure.to_dict()) == before


def _bar(colour: str, title: str) -> go.Figure:
    return go.Figure(go.Bar(x=["a", "b", "c"], y=[3, 1, 2], marker_color=colour),
                     layout={"title": {"text": title}, "paper_bgcolor": "white"})


def test_charts_drawn_one_after_another_in_one_page_are_as_drawn_alone() -> None:
    first, second = _bar("#1d70b8", "First"), _bar("#d4351c", "Second")
    alone = render_pngs([second], width=400, height=300, scale=1)
    with start_browser() as browser:
        together = render_pngs([first, second, first], width=400, height=300, scale=1,
                               browser=browser)
        again = render_pngs([second], width=400, height=300, scale=1, browser=browser)
    assert together[1] == alone[0] and again[0] == alone[0]
    assert together[0] == together[2] and together[0] != together[1]
    with Image.open(io.BytesIO(together[0])) as image:
        assert image.mode == "RGB" and image.size == (400, 300)


class _FakeKaleido:
    """Stands in for Kaleido's browser: opens at once; draws a 2x2 PNG, or never returns
    when ``stalls`` (as Chromium sometimes does under load)."""

    made: list[_FakeKaleido] = []

    def __init__(self, stalls: bool) -> None:
        self.stalls = stalls
        self.closed = False
        _FakeKaleido.made.append(self)

    async def open(self) -> None:
        return None

    async def calc_fig(self, figure: object, opts: dict[str, object]) -> bytes:
        if self.stalls:
            await asyncio.Event().wait()  # never set
        buffer = io.BytesIO()
        Image.new("RGBA", (2, 2), (255, 0, 0, 255)).save(buffer, format="PNG")
        return buffer.getvalue()

    async def close(self) -> None:
        self.closed = True


def _fake_browsers(monkeypatch, stalling: int):  # type: ignore[no-untyped-def]
    """The first ``stalling`` browsers made stall; the ones after draw."""
    from ete_metrics.present.report import images

    _FakeKaleido.made = []
    monkeypatch.setattr(images, "browser_path", lambda: "/usr/bin/chromium")
    monkeypatch.setattr(images, "_kaleido", lambda path: _FakeKaleido(len(_FakeKaleido.made) < stalling))
    monkeypatch.setattr(images, "STALL_SECONDS", 0.5)


def test_a_stalled_browser_is_started_again_and_draws_every_chart(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _fake_browsers(monkeypatch, stalling=1)
    said: list[str] = []
    with start_browser() as browser:
        pngs = render_pngs([{"data": []}, {"data": []}], browser=browser,
                           progress=lambda text, fraction: said.append(text))
    assert len(pngs) == 2 and all(Image.open(io.BytesIO(p)).mode == "RGB" for p in pngs)
    assert [b.stalls for b in _FakeKaleido.made] == [True, False]
    assert _FakeKaleido.made[0].closed and _FakeKaleido.made[1].closed  # the stalled one too
    assert "Starting the chart browser again" in said


def test_a_browser_that_stalls_twice_is_reported_not_waited_for(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _fake_browsers(monkeypatch, stalling=2)
    with start_browser() as browser, pytest.raises(ConfigError, match=r"chart 1 of 3 was not drawn in 0.5 seconds, twice"):
        render_pngs([{"data": []}] * 3, browser=browser)
    assert len(_FakeKaleido.made) == 2
