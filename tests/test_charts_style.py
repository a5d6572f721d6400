"""Tests of ete_metrics.present.charts.style: text from the data is handed to Plotly escaped."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest
from chart_text_support import HOSTILE, assert_drawn_literally

from ete_metrics.present.charts.style import apply_style, plotly_text
from ete_metrics.steps import WORK


@pytest.mark.parametrize(("raw", "escaped"), list(HOSTILE.items()))
def test_plotly_text_escapes_ampersand_and_angle_brackets_only(raw: str, escaped: str) -> None:
    assert plotly_text(raw) == escaped


def test_plotly_text_leaves_plain_names_and_quotes_alone() -> None:
    assert plotly_text("HMP Cardiff") == "HMP Cardiff"
    # Plotly does not decode &quot; (it would draw it as typed): quotes must not be escaped.
    assert plotly_text('The "Hub" \'CIC\'') == 'The "Hub" \'CIC\''
    assert plotly_text("Smith & Sons") == "Smith &amp; Sons"


def test_plotly_text_converts_other_values_with_str() -> None:
    assert plotly_text(2023) == "2023"
    assert plotly_text(None) == "None"
    assert plotly_text(float("nan")) == "nan"


def test_plotly_text_keeps_distinct_names_distinct() -> None:
    # "<" and its entity spelled out are different names and must stay different labels.
    assert plotly_text("<") == "&lt;"
    assert plotly_text("&lt;") == "&amp;lt;"
    assert plotly_text("&amp;") == "&amp;amp;"
    assert plotly_text("&") == "&amp;"


def test_apply_style_titles_are_plain_text() -> None:
    region = "<b>Wales</b>"
    fig = apply_style(
        go.Figure(go.Bar(x=["a"], y=[1])),
        title=f"Percent by area of {region}",
        x_title="A & B",
        y_title="<i>People</i>",
        legend_title="<br>",
    )
    assert fig.layout.title.text == "Percent by area of &lt;b&gt;Wales&lt;/b&gt;"
    assert fig.layout.xaxis.title.text == "A &amp; B"
    assert fig.layout.yaxis.title.text == "&lt;i&gt;People&lt;/i&gt;"
    assert fig.layout.legend.title.text == "&lt;br&gt;"


def test_apply_style_titles_without_markup_are_unchanged() -> None:
    fig = apply_style(go.Figure(), title="People at each step", x_title="Step", y_title="People")
    assert fig.layout.title.text == "People at each step"
    assert fig.layout.legend.title.text == ""


def test_the_check_fails_on_a_figure_that_draws_names_raw() -> None:
    """The shared check itself: a raw name, a dropped name, a name in a template all fail."""
    raw = go.Figure(go.Bar(y=["<b>Acme</b>"], x=[1]))
    with pytest.raises(AssertionError, match="markup"):
        assert_drawn_literally(raw, {"<b>Acme</b>": "&lt;b&gt;Acme&lt;/b&gt;"})
    dropped = go.Figure(go.Bar(y=["Acme"], x=[1]))
    with pytest.raises(AssertionError, match="not in the figure"):
        assert_drawn_literally(dropped, {"<b>Acme</b>": "&lt;b&gt;Acme&lt;/b&gt;"})
    templated = go.Figure(go.Bar(y=["Pay %{y}"], x=[1], hovertemplate="Pay %{y}<br>%{x}<extra></extra>"))
    with pytest.raises(AssertionError, match="template"):
        assert_drawn_literally(templated, {"Pay %{y}": "Pay %{y}"})
    ampersand = go.Figure(go.Bar(y=["&amp; Co"], x=[1]))
    with pytest.raises(AssertionError):
        assert_drawn_literally(ampersand, {"&amp; Co": "&amp;amp; Co"})


def test_apply_style_merges_the_chart_layout_over_the_house_style() -> None:
    fig = apply_style(
        go.Figure(go.Bar(x=[1], y=["a"], orientation="h")),
        title="T", x_title="People", y_title="Group", percent_axis=True,
        layout={"barmode": "group", "height": 500,
                "yaxis": {"autorange": "reversed", "tickformat": ",d"}},
    )
    layout = fig.layout
    assert layout.barmode == "group" and layout.height == 500
    # nested: the chart's y axis keys are added to the house axis, not put in its place
    assert layout.yaxis.title.text == "Group" and layout.yaxis.autorange == "reversed"
    assert layout.yaxis.showline is True and layout.yaxis.rangemode == "tozero"
    # on the same key the chart's value wins over the house one (".0%" for a percent axis)
    assert layout.yaxis.tickformat == ",d"
    assert layout.xaxis.title.text == "People" and layout.title.text == "T"


def test_each_region_has_one_colour_and_positions_never_take_one() -> None:
    from ete_metrics.config import DEFAULT_REGIONS
    from ete_metrics.present.charts.style import POSITION_COLOURS, group_colour, region_colour

    colours = [region_colour(r) for r in DEFAULT_REGIONS]
    assert colours == ["#12436D", "#28A197", "#801650", "#F46A25"]  # the palette's first four, in order
    assert not set(POSITION_COLOURS.values()) & set(colours)
    # the same region keeps its colour whatever its place among a chart's traces
    assert group_colour("region", "Wales", 0) == group_colour("region", "Wales", 3) == "#F46A25"
    assert group_colour("delivery_partner", "Wales", 1) == "#28A197"  # not a region: palette order


def test_label_sides_keeps_names_off_the_lines() -> None:
    from ete_metrics.present.charts.style import label_sides

    # limits 0.2-0.4 around 0.3: above the upper limit -> above; below the lower -> below;
    # 0.38 (0.02 from the upper limit, 0.08 from the centre) -> below, toward the centre;
    # 0.22 (0.02 from the lower limit) -> above; a suppressed point -> above
    assert label_sides([0.5, 0.1, 0.38, 0.22, "[c]"], [0.2] * 5, [0.4] * 5, 0.3) == [
        "top center", "bottom center", "bottom center", "top center", "top center"]


def test_one_meaning_per_colour_steps_never_take_a_regions_colour() -> None:
    """Issue 26 item 11: the region colours were reused for steps (the Presentation's partners
    slide, the Partners page, the areas chart). Steps now have colours of their own, the same
    on every chart, distinct from every region's and every position's."""
    import pandas as pd

    from ete_metrics import config
    from ete_metrics.present.charts.partners import step_bars
    from ete_metrics.present.charts.regions import rates_by_group_chart
    from ete_metrics.present.charts.style import POSITION_COLOURS, region_colour, step_colour

    regions = {region_colour(r) for r in config.regions()}
    steps = ["entered", "training", "work"]
    by_partner = pd.DataFrame({
        "delivery_partner": ["A"] * 3, "step": steps, "participants": [10, 4, 2],
        "rate_from_entry": [1.0, 0.4, 0.2], "rate_from_previous": [1.0, 0.4, 0.5],
        "ci_low": [1.0, 0.2, 0.1], "ci_high": [1.0, 0.6, 0.4],
    })
    drawn = {t.name: t.marker.color for t in step_bars(by_partner, by="delivery_partner",
                                                        group_label="Delivery partner", title="t").data}
    by_area = by_partner.rename(columns={"delivery_partner": "area"})
    drawn_areas = {t.name: t.marker.color for t in rates_by_group_chart(by_area, by="area").data}
    for name, colour_ in {**drawn, **drawn_areas}.items():
        assert colour_ not in regions, name
        assert colour_ not in POSITION_COLOURS.values(), name
    assert drawn["Into work"] == drawn_areas["Into work"] == step_colour(WORK.name)
    assert len(set(drawn.values())) == 3


# --- Text contrast (WCAG 2.2 AA 1.4.3: 4.5:1) on every colour that carries text ---------------


def _plotly_hover_text(background: str) -> str:
    """The text colour Plotly draws on a hover label of ``background`` when none is set:
    its ``Color.contrast``, dark grey #444 on a light colour (tinycolor's perceived
    brightness above 128), else white."""
    red, green, blue = (int(background.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4))
    return "#444444" if (red * 299 + green * 587 + blue * 114) / 1000 >= 128 else "#FFFFFF"


def test_contrast_gives_wcags_ratios() -> None:
    from ete_metrics.present.charts.style import contrast, luminance

    assert contrast("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast("#FFFFFF", "#000000") == pytest.approx(21.0)  # either way round
    assert contrast("#12436D", "#12436D") == pytest.approx(1.0)
    # worked by hand: amber #F47738 -> linear 0.9047, 0.1845, 0.0396 -> luminance 0.3272;
    # white on it (1.05 / 0.3772) is the 2.78:1 the accessibility review measured
    assert luminance("#F47738") == pytest.approx(0.3272, abs=1e-4)
    assert contrast("#FFFFFF", "#F47738") == pytest.approx(2.78, abs=0.005)
    # GOV.UK's text colour on white: #0B0C0C -> linear 0.00335, 0.00368, 0.00368 -> 0.00361; 19.6:1
    assert contrast("#0B0C0C", "#FFFFFF") == pytest.approx(19.59, abs=0.01)


def test_every_rag_cell_on_screen_and_in_the_pdf_has_readable_text() -> None:
    from dashboard.render import rag_cell_style
    from ete_metrics.present.charts.style import RAG_COLOURS, TEXT_CONTRAST, contrast
    from ete_metrics.present.report import pdf

    assert set(RAG_COLOURS) == {"green", "amber", "red"}
    for code in RAG_COLOURS:
        css = dict(part.strip().split(": ") for part in rag_cell_style(code).split(";"))
        assert css["background-color"] == RAG_COLOURS[code]
        assert contrast(css["color"], css["background-color"]) >= TEXT_CONTRAST, (code, css)
    assert rag_cell_style("suppressed") == ""  # a cell not rated is not coloured
    assert set(pdf._RAG) == set(pdf._RAG_TEXT) == {"Green", "Amber", "Red"}
    for name, background in pdf._RAG.items():
        text = pdf._RAG_TEXT[name]
        assert contrast(f"#{text.hexval()[2:]}", f"#{background.hexval()[2:]}") >= TEXT_CONTRAST, name


def test_every_hover_label_is_readable_on_every_region_position_and_palette_colour() -> None:
    from ete_metrics.config import PALETTE, regions
    from ete_metrics.present.charts.style import (
        MORE_REGION_COLOURS,
        POSITION_COLOURS,
        TEXT_CONTRAST,
        contrast,
        region_colour,
    )

    colours = {
        **{f"region {r}": region_colour(r) for r in regions()},
        **{f"extra region {i}": c for i, c in enumerate(MORE_REGION_COLOURS)},
        **{f"position {p}": c for p, c in POSITION_COLOURS.items()},
        **{f"palette {i}": c for i, c in enumerate(PALETTE)},
    }
    fig = go.Figure([go.Scatter(x=[1], y=[1], name=n, marker={"color": c}) for n, c in colours.items()])
    label = apply_style(fig, title="T", x_title="X", y_title="Y").layout.hoverlabel
    too_faint = {}
    for name, trace_colour in colours.items():
        # as Plotly draws it: the label's colour, else the trace's; its text colour, else Plotly's pick
        background = label.bgcolor or trace_colour
        text = label.font.color or _plotly_hover_text(background)
        ratio = contrast(text, background)
        if ratio < TEXT_CONTRAST:
            too_faint[name] = round(ratio, 2)
    assert too_faint == {}


def test_every_chart_text_colour_is_set_and_reads_on_white() -> None:
    from ete_metrics.present.charts.style import TEXT_CONTRAST, contrast

    layout = apply_style(go.Figure(), title="T", x_title="X", y_title="Y", legend_title="L").layout
    background = layout.paper_bgcolor
    assert background == layout.plot_bgcolor == "white"
    # each colour set on the figure, so Streamlit's chart theme (axis titles in #808495,
    # 3.7:1 on white) cannot choose it
    colours = {
        "font": layout.font.color,
        "title": layout.title.font.color,
        "legend": layout.legend.font.color,
        "legend title": layout.legend.title.font.color,
        "x title": layout.xaxis.title.font.color,
        "y title": layout.yaxis.title.font.color,
        "x ticks": layout.xaxis.tickfont.color,
        "y ticks": layout.yaxis.tickfont.color,
    }
    assert None not in colours.values(), colours
    assert {name: c for name, c in colours.items() if contrast(c, "#FFFFFF") < TEXT_CONTRAST} == {}
    assert contrast("#808495", "#FFFFFF") == pytest.approx(3.71, abs=0.01)  # the theme's grey fails
