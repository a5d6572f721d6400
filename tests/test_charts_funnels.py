"""Chart builders of the funnel view: titles, axes, palette, and trace values = input."""

from __future__ import annotations

import pandas as pd
import pytest
from chart_text_support import HOSTILE, assert_drawn_literally

from ete_metrics.config import PALETTE
from ete_metrics.present.charts.funnels import (
    activity_chart,
    conversion_chart,
    funnel_chart,
)
from ete_metrics.present.charts.style import step_colour
from ete_metrics.steps import REFERRED, WORK, label


def _funnel(by: str | None = None) -> pd.DataFrame:
    # A hand-made funnel: 200 entered, 80 training (40%), 30 work (15%; 37.5% of training).
    rows = [
        ("entered", 200, 1.0, float("nan")),
        ("training", 80, 0.4, 0.4),
        ("work", 30, 0.15, 0.375),
    ]
    frame = pd.DataFrame(rows, columns=["step", "participants", "rate_from_entry", "rate_from_previous"])
    frame["ci_low"] = frame["rate_from_entry"] - 0.05
    frame["ci_high"] = frame["rate_from_entry"] + 0.05
    if by is None:
        return frame
    # Two groups; Wales has half London's numbers.
    london = frame.assign(**{by: "London"})
    wales = frame.assign(**{by: "Wales"}, participants=frame["participants"] // 2)
    return pd.concat([london, wales], ignore_index=True)[[by, *frame.columns]]


def test_step_and_group_names() -> None:
    assert label(WORK.name) == "Into work"
    assert label(REFERRED.name) == "Referred"
    assert label("delivery_partner") == "Delivery partner"
    assert label("entry_fy") == "Financial year of entry"


def test_funnel_chart_without_groups() -> None:
    frame = _funnel()
    fig = funnel_chart(frame, title="People at each step")
    assert fig.layout.title.text == "People at each step"
    assert fig.layout.xaxis.title.text == "Step"
    assert fig.layout.yaxis.title.text == "People"
    assert len(fig.data) == 1
    bar = fig.data[0]
    assert list(bar.x) == ["Entered", "Into training", "Into work"]
    assert list(bar.y) == [200, 80, 30]
    # each step in its own colour, not the first region's (issue 26 item 11)
    assert list(bar.marker.color) == [step_colour(s) for s in ("entered", "training", "work")]
    assert "of entered" in bar.hovertemplate


def test_funnel_chart_by_region_uses_each_regions_own_colour() -> None:
    frame = _funnel("region")
    fig = funnel_chart(frame, by="region")
    assert [t.name for t in fig.data] == ["London", "Wales"]
    # the vocabulary's order (London, North West, West Midlands, Wales), not the traces'
    assert [t.marker.color for t in fig.data] == [PALETTE[0], PALETTE[3]]
    assert list(fig.data[1].y) == [100, 40, 15]
    assert fig.layout.legend.title.text == "Region"


def test_conversion_chart_leaves_out_the_first_step() -> None:
    fig = conversion_chart(_funnel())
    assert list(fig.data[0].x) == ["Entered → Into training", "Into training → Into work"]
    assert list(fig.data[0].y) == [0.4, 0.375]
    assert fig.layout.yaxis.tickformat == ".0%"
    assert fig.layout.yaxis.title.text == "Percent of the previous step"


def test_activity_chart_one_line_per_measure() -> None:
    months = pd.to_datetime(["2023-01-01", "2023-02-01"])
    frame = pd.DataFrame(
        {
            "month": list(months) * 3,
            "measure": ["entered"] * 2 + ["training"] * 2 + ["work"] * 2,
            "participants": [50, 60, 20, 25, 5, 8],
        }
    )
    fig = activity_chart(frame, title="Monthly")
    assert [t.name for t in fig.data] == ["Entered", "Into training", "Into work"]
    assert [t.line.color for t in fig.data] == [step_colour(s) for s in ("entered", "training", "work")]
    assert list(fig.data[1].y) == [20, 25]
    assert [pd.Timestamp(x) for x in fig.data[2].x] == list(months)
    assert fig.layout.xaxis.title.text == "Month"
    assert fig.layout.yaxis.title.text == "People"


@pytest.mark.parametrize("builder", [funnel_chart, conversion_chart])
def test_builders_do_not_modify_the_input(builder) -> None:  # type: ignore[no-untyped-def]
    frame = _funnel("region")
    before = frame.copy()
    builder(frame, by="region")
    pd.testing.assert_frame_equal(frame, before)


def test_count_axes_use_thousands_separators() -> None:
    assert funnel_chart(_funnel()).layout.yaxis.tickformat == ",d"


# --------------------------------------------------------------------------- names from the data


def _hostile_funnel() -> pd.DataFrame:
    return pd.concat([_funnel().assign(delivery_partner=n) for n in HOSTILE], ignore_index=True)


@pytest.mark.parametrize("builder", [funnel_chart, conversion_chart])
def test_groups_with_hostile_names_are_drawn_literally(builder) -> None:  # type: ignore[no-untyped-def]
    frame = _hostile_funnel()
    before = frame.copy()
    fig = builder(frame, by="delivery_partner")
    # One trace per group in the frame's order, each colour in turn.
    assert [t.name for t in fig.data] == list(HOSTILE.values())
    assert [t.marker.color for t in fig.data][:6] == list(PALETTE)
    # The hover names the group through the trace name, never by pasting it in.
    assert all(t.hovertemplate.startswith("Delivery partner: %{fullData.name}<br>") for t in fig.data)
    assert_drawn_literally(fig)
    pd.testing.assert_frame_equal(frame, before)
