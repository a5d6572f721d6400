"""Issue 26 item 2: every name on a funnel plot readable, on the page at 1440 px and in the packs.

The names on the Partners page's two funnel plots overlapped until they could not be read
("Riverside SValleyseNew Start Trust"), "Cymru Ymlaen Partnership" sat on the Wales plot's
"Overall 20.7%", and the Regions plot's names sat on the limit lines.

Each test draws a funnel plot of points placed as the demo programme's (the sizes and rates
read off the screenshots), then works out where each text would be drawn, in the figure's
pixel space, at the page's size (960 px wide at 1440 px, the house font) and at a pack's
(1000 px wide, the figure as :func:`ete_metrics.present.report._for_print` makes it): the
plot area is the figure less its margins and a legend as wide as its longest entry; a
text's box is its characters times 0.55 of the font size wide and 1.2 font sizes high
(Arial's average). No two names may overlap, nor a name and a line's label, nor a name and
another point's marker; no name may sit on a limit line or the overall line.
"""

from __future__ import annotations

import base64
import html
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from ete_metrics.metrics.comparison import funnel_limits
from ete_metrics.metrics.standardised import ratio_limits
from ete_metrics.present.charts.partners import funnel_plot
from ete_metrics.present.charts.regions import regions_funnel_plot
from ete_metrics.present.charts.standardised import ratio_funnel_plot
from ete_metrics.present.report import _for_print
from ete_metrics.steps import WORK

Box = tuple[float, float, float, float]

#: The Partners page's delivery partners in the demo programme: (entered, rate).
PARTNERS = {
    "Tamworth Road Trust": (570, 0.125),
    "Riverside Skills Network": (790, 0.188),
    "Valleys New Start Trust": (1000, 0.188),
    "Cymru Ymlaen Partnership": (1200, 0.200),
    "Ironbridge Futures Partnership": (1200, 0.125),
    "Midlands Work Forward": (1350, 0.126),
    "Thames Futures Partnership": (1540, 0.200),
    "Second Chance Works CIC": (1620, 0.280),
    "Pennine Futures Group": (1660, 0.178),
    "Capital Pathways Trust": (1830, 0.178),
    "Mersey Bridge Employment": (1980, 0.270),
}
#: A Wales lead's partners (overall 20.7%), and the regions (overall 19.5%).
WALES = {"Second Chance Works CIC": (255, 0.325), "Valleys New Start Trust": (1000, 0.188),
         "Cymru Ymlaen Partnership": (1200, 0.200)}
REGIONS = {"Wales": (2450, 0.208), "North West": (4180, 0.239), "London": (4640, 0.199),
           "West Midlands": (3480, 0.128)}


def _sizes(largest: float) -> np.ndarray:
    return np.unique(np.geomspace(5, largest * 1.2, 120).round())


def _comparison(points: dict[str, tuple[int, float]], overall: float, by: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    entered = np.array([n for n, _ in points.values()])
    at = funnel_limits(overall, entered)
    frame = pd.DataFrame({by: list(points), "entered": entered, "rate": [r for _, r in points.values()]})
    frame["participants"] = (frame["entered"] * frame["rate"]).round().astype(int)
    frame["overall_rate"] = overall
    for column in ("lower_95", "upper_95", "lower_998", "upper_998"):
        frame[column] = at[column].to_numpy()
    frame["position"] = np.select([frame["rate"] > frame["upper_95"], frame["rate"] < frame["lower_95"]],
                                  ["above", "below"], "within")
    return frame, funnel_limits(overall, _sizes(entered.max()))


def _ratios(points: dict[str, tuple[int, float]], overall: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    expected = np.array([n * overall for n, _ in points.values()])
    at = ratio_limits(expected)
    frame = pd.DataFrame({"delivery_partner": list(points), "expected": expected,
                          "ratio": [r / overall for _, r in points.values()]})
    frame["observed"] = frame["expected"] * frame["ratio"]
    frame["ratio_low"], frame["ratio_high"] = frame["ratio"] * 0.8, frame["ratio"] * 1.2
    frame["lower_95"], frame["upper_95"] = at["lower_95"].to_numpy(), at["upper_95"].to_numpy()
    frame["position"] = np.select([frame["ratio"] > frame["upper_95"], frame["ratio"] < frame["lower_95"]],
                                  ["above", "below"], "within")
    return frame, ratio_limits(_sizes(expected.max()))


# --- where Plotly draws each text, in the figure's pixels (y down) ----------------------------


def _values(value: Any) -> list[Any]:
    """A trace's array as a list (a figure's dict holds NumPy arrays as base64 "bdata")."""
    if isinstance(value, dict) and "bdata" in value:
        return list(np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]))
    return list(value)


def _width(text: str, size: float) -> float:
    return 0.55 * size * len(html.unescape(text))


class _Drawn:
    """The plot area of ``spec`` drawn ``width`` px wide, and the boxes of its texts."""

    def __init__(self, spec: dict[str, Any], width: int) -> None:
        layout = spec["layout"]
        self.spec = spec
        self.font = float(layout.get("font", {}).get("size", 12))
        legend_font = float(layout.get("legend", {}).get("font", {}).get("size", self.font))
        legend = max((len(t.get("name", "")) for t in spec["data"] if t.get("showlegend", True)), default=0)
        margin = {"l": 80, "r": 80, "t": 100, "b": 80, **layout.get("margin", {})}
        height = float(layout.get("height") or 450)
        self.left = margin["l"]
        self.right = width - margin["r"] - (_width("x" * legend, legend_font) + 40)
        self.top, self.bottom = margin["t"], height - margin["b"]
        self.x_range = self._range("x", layout.get("xaxis", {}))
        self.y_range = self._range("y", layout.get("yaxis", {}))

    def _range(self, axis: str, spec: dict[str, Any]) -> tuple[float, float]:
        if spec.get("range"):
            return float(spec["range"][0]), float(spec["range"][1])
        values = np.concatenate([np.asarray(_values(t[axis]), dtype=float) for t in self.spec["data"]])
        low, high = float(np.nanmin(values)), float(np.nanmax(values))
        return (min(low, 0.0), high) if axis == "y" and spec.get("rangemode") == "tozero" else (low, high)

    def px(self, x: float) -> float:
        return self.left + (x - self.x_range[0]) / (self.x_range[1] - self.x_range[0]) * (self.right - self.left)

    def py(self, y: float) -> float:
        return self.bottom - (y - self.y_range[0]) / (self.y_range[1] - self.y_range[0]) * (self.bottom - self.top)

    def markers(self) -> list[Box]:
        return [(self.px(x) - 5.5, self.py(y) - 5.5, self.px(x) + 5.5, self.py(y) + 5.5)
                for t in self.spec["data"] if "markers" in t.get("mode", "")
                for x, y in zip(_values(t["x"]), _values(t["y"]), strict=True)]

    def names(self) -> list[tuple[str, Box]]:
        """Each point's name: a trace's text beside its marker, or an annotation at a point."""
        out = []
        for t in self.spec["data"]:
            if "text" not in t.get("mode", ""):
                continue
            size = float(t.get("textfont", {}).get("size", self.font))
            sides = t.get("textposition", "middle center")
            for i, (x, y, text) in enumerate(zip(_values(t["x"]), _values(t["y"]), t["text"], strict=True)):
                side = sides if isinstance(sides, str) else sides[i]
                w, h = _width(text, size), 1.2 * size
                cx, cy = self.px(x), self.py(y)
                top = cy - 5.5 - 2 - h if side.startswith("top") else cy + 5.5 + 2
                out.append((text, (cx - w / 2, top, cx + w / 2, top + h)))
        for a in self.spec["layout"].get("annotations", []):
            if a.get("xref") != "x" or a.get("yref") != "y":
                continue
            size = float(a.get("font", {}).get("size", self.font))
            w, h = _width(a["text"], size), 1.2 * size
            cx = self.px(a["x"]) + (a.get("ax", 0) if a.get("showarrow", True) else 0) + a.get("xshift", 0)
            cy = self.py(a["y"]) + (a.get("ay", -30) if a.get("showarrow", True) else 0) - a.get("yshift", 0)
            out.append((a["text"], (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)))
        return out

    def line_labels(self) -> list[tuple[str, Box]]:
        """The labels of lines across the plot (the overall rate): right-aligned, above the line."""
        out = []
        for a in self.spec["layout"].get("annotations", []):
            if a.get("xref") == "x domain":
                size = float(a.get("font", {}).get("size", self.font))
                w, h = _width(a["text"], size), 1.2 * size
                out.append((a["text"], (self.right - w, self.py(a["y"]) - h, self.right, self.py(a["y"]))))
        return out

    def lines(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """The limit lines and the lines across the plot, in px."""
        out = [(np.array([self.px(x) for x in _values(t["x"])]), np.array([self.py(y) for y in _values(t["y"])]))
               for t in self.spec["data"] if t.get("mode") == "lines"]
        for shape in self.spec["layout"].get("shapes", []):
            if shape.get("yref") == "y" and shape.get("y0") == shape.get("y1"):
                out.append((np.array([self.left, self.right]), np.array([self.py(shape["y0"])] * 2)))
        return out


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _on_line(box: Box, line: tuple[np.ndarray, np.ndarray]) -> bool:
    xs = np.linspace(box[0], box[2], 40)
    xs = xs[(xs >= line[0].min()) & (xs <= line[0].max())]
    if not xs.size:
        return False
    order = np.argsort(line[0])
    ys = np.interp(xs, line[0][order], line[1][order])
    return bool(((ys > box[1]) & (ys < box[3])).any() or (ys.min() <= box[1] and ys.max() >= box[3]))


def _problems(fig: go.Figure) -> list[str]:
    """What is unreadable on the page at 1440 px and in a pack."""
    page = fig.to_dict()
    page["layout"].setdefault("font", {}).setdefault("size", 14)
    found = []
    for where, drawn in (("page", _Drawn(page, 960)), ("pack", _Drawn(_for_print(fig), 1000))):
        names = drawn.names()
        found += [f"{where}: {a!r} over {b!r}" for (a, box_a), (b, box_b) in combinations(names, 2)
                  if _overlap(box_a, box_b)]
        found += [f"{where}: {a!r} over the line's label {b!r}" for a, box_a in names
                  for b, box_b in drawn.line_labels() if _overlap(box_a, box_b)]
        found += [f"{where}: {a!r} over a point" for a, box_a in names
                  if sum(_overlap(box_a, m) for m in drawn.markers()) > 0]
        found += [f"{where}: {a!r} on a line" for a, box_a in names if any(_on_line(box_a, ln) for ln in drawn.lines())]
        found += [f"{where}: {a!r} off the plot" for a, box_a in names
                  if box_a[0] < drawn.left - 40 or box_a[2] > drawn.right + 5 or box_a[1] < drawn.top - 40]
    return found


@pytest.mark.parametrize(("points", "overall"), [(PARTNERS, 0.195), (WALES, 0.207)], ids=["director", "wales_lead"])
def test_partners_funnel_plot_names_never_overlap(points: dict[str, tuple[int, float]], overall: float) -> None:
    comparison, limits = _comparison(points, overall, "delivery_partner")
    fig = funnel_plot(comparison, limits, by="delivery_partner", step=WORK.name)
    assert len([a for a in fig.layout.annotations if a.xref == "x"] or
               [n for t in fig.data if t.text is not None and "text" in (t.mode or "") for n in t.text]) == len(points)
    assert _problems(fig) == []


@pytest.mark.parametrize(("points", "overall"), [(PARTNERS, 0.195), (WALES, 0.207)], ids=["director", "wales_lead"])
def test_partners_ratio_funnel_plot_names_never_overlap(points: dict[str, tuple[int, float]], overall: float) -> None:
    ratios, limits = _ratios(points, overall)
    fig = ratio_funnel_plot(ratios, limits, by="delivery_partner", step=WORK.name, group_label="Delivery partner")
    assert _problems(fig) == []


def test_regions_funnel_plot_names_keep_off_the_limit_lines() -> None:
    comparison, limits = _comparison(REGIONS, 0.195, "region")
    fig = regions_funnel_plot(comparison, limits, step=WORK.name, by="region")
    assert _problems(fig) == []


def test_a_suppressed_point_is_neither_drawn_nor_named() -> None:
    """A stakeholder's numbers: a suppressed rate is NaN (no point, so no name), the rest named."""
    comparison, limits = _comparison(REGIONS, 0.195, "region")
    comparison.loc[comparison["region"] == "Wales", ["rate", "participants"]] = np.nan
    fig = regions_funnel_plot(comparison, limits, step=WORK.name, by="region")
    assert sorted(a.text for a in fig.layout.annotations if a.xref == "x") == ["London", "North West", "West Midlands"]
    assert _problems(fig) == []
