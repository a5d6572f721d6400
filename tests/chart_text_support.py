"""Hostile names for the chart tests, and a check that a figure draws them literally.

Plotly draws a subset of HTML (``<b>``, ``<br>``, ``<a href=...>``...) in every text
it shows. A chart must hand names from the data to Plotly with ``&``, ``<`` and
``>`` escaped (Plotly decodes the entities when it draws, so the name is shown as
typed), and must never put them into a hover template.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import plotly.graph_objects as go

#: Name as imported -> the text the figure must hold, worked out by hand from the rule
#: "& -> &amp;, < -> &lt;, > -> &gt;, nothing else changes" (Plotly does not decode
#: &quot;, so quotes stay as they are).
HOSTILE: dict[str, str] = {
    "<b>Acme</b>": "&lt;b&gt;Acme&lt;/b&gt;",
    '<a href="https://e.example">y</a>': '&lt;a href="https://e.example"&gt;y&lt;/a&gt;',
    "Line<br>break": "Line&lt;br&gt;break",
    "&amp; Co": "&amp;amp; Co",
    "a < b > c": "a &lt; b &gt; c",
    '<span style="color:red">Red</span> <i>it</i>': '&lt;span style="color:red"&gt;Red&lt;/span&gt; &lt;i&gt;it&lt;/i&gt;',
    "Gwasanaeth Prawf – 北京 партнёр": "Gwasanaeth Prawf – 北京 партнёр",
    "Pay 100%{y} now": "Pay 100%{y} now",
}

#: The markup the chart builders write themselves (hover templates only).
HOUSE_MARKUP = re.compile(r"<br>|<extra>|</extra>")


def figure_strings(fig: go.Figure) -> list[tuple[str, str]]:
    """Every string in the figure's data and layout, with where it is (``data[0].y[1]``)."""
    out: list[tuple[str, str]] = []

    def walk(value: Any, path: str) -> None:
        if isinstance(value, str):
            out.append((path, value))
        elif isinstance(value, dict):
            if "bdata" in value:  # a typed array of numbers
                return
            for key, item in value.items():
                walk(item, f"{path}.{key}")
        elif isinstance(value, np.ndarray):
            walk(value.tolist(), path)
        elif isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                walk(item, f"{path}[{i}]")

    spec = fig.to_dict()
    walk(spec["data"], "data")
    walk(spec["layout"], "layout")
    return out


def _templates(strings: list[tuple[str, str]]) -> Iterator[tuple[str, str]]:
    return ((p, s) for p, s in strings if p.endswith(("hovertemplate", "texttemplate")))


def assert_drawn_literally(fig: go.Figure, names: Mapping[str, str] = HOSTILE) -> None:
    """Fail unless every name is in the figure escaped, nowhere raw, and in no template.

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
        Built from a frame whose names are the keys of ``names``.
    names : mapping of str to str
        Raw name -> the escaped text the figure must hold.
    """
    strings = figure_strings(fig)
    for path, text in strings:
        left = HOUSE_MARKUP.sub("", text)
        assert "<" not in left and ">" not in left, f"markup in {path}: {text!r}"
    for raw, escaped in names.items():
        assert any(escaped in text for _, text in strings), f"{escaped!r} is not in the figure"
        for path, text in strings:
            assert raw not in text.replace(escaped, ""), f"raw {raw!r} in {path}: {text!r}"
        for path, text in _templates(strings):
            assert escaped not in text and raw not in text, f"name in the template {path}: {text!r}"
