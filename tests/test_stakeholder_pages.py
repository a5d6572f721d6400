"""The stakeholder audience on every page (AppTest): nothing disclosive is shown.

In the stakeholder view (``?audience=stakeholder`` or the sidebar's Audience control)
every table, tile, text and chart of every page is scanned for

- a count from 1 to 4 (``find_disclosive_counts`` on each table; tiles; texts such as
  "3 people"), and, in charts, any whole number above 1 that is not a multiple of 5
  (a raw, unrounded count: every count a chart draws must come from the protected frame);
- a participant id (``P`` and seven digits);

and the stakeholder note must be shown. A protected table is compared with
``protect_view`` (i.e. ``disclosure.protect_table``) of the library's output for the
same filters, computed here directly from the demo data.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pandas as pd
import pytest
from apptest_support import *  # noqa: F403
from apptest_support import (
    PAGES,
    DemoData,
    each_screen,
    new_app,
    open_page,
    open_section,
    tables_shown,
)
from streamlit.testing.v1 import AppTest

from dashboard.escape import unescape_markdown
from ete_metrics.counting.scope import Scope
from ete_metrics.protect.audience import protect_view
from ete_metrics.protect.disclosure import STAKEHOLDER_NOTE, SUPPRESSED, find_disclosive_counts
from ete_metrics.steps import ENTERED, WORK

#: Displayed columns that hold small whole numbers that are not counts of people.
NOT_COUNTS = (
    "Months since entry", "Days since entry", "Id", "Median days", "Q1 days", "Q3 days",
    "Median days to work", "ID",
    # observed / expected ratios: a ratio of published counts can read 1.00
    "Observed / expected", "Lower 95% limit of the ratio", "Upper 95% limit of the ratio",
    "Ratio 95% low", "Ratio 95% high",
)
PARTICIPANT_ID = re.compile(r"P\d{7}")
SMALL_COUNT_TEXT = re.compile(
    r"(?<![\d.,])[1-4] (?:people|person|referrals?|milestones?|participants?|warnings?)\b"
)


def _texts(at: AppTest) -> list[str]:
    out: list[str] = []
    for kind in ("markdown", "caption", "info", "warning", "success", "error", "subheader",
                 "header", "title"):
        out.extend(str(el.value) for el in at.get(kind))
    return out


def _figures(at: AppTest) -> list[dict[str, Any]]:
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def _numbers(values: Any) -> list[float]:
    """Every number in a (nested) list of chart values."""
    if values is None:
        return []
    if isinstance(values, dict):  # plotly's typed arrays {"dtype", "bdata"}
        import base64

        import numpy as np

        if "bdata" in values:
            return [float(v) for v in np.frombuffer(base64.b64decode(values["bdata"]),
                                                     dtype=values["dtype"]).ravel()]
        return []
    if isinstance(values, (list, tuple)):
        return [n for v in values for n in _numbers(v)]
    if isinstance(values, bool):
        return []
    if isinstance(values, (int, float)):
        return [float(values)]
    return []


def _chart_problems(figure: dict[str, Any]) -> list[str]:
    problems = []
    for trace in figure.get("data", []):
        fields = ["y", "customdata"]
        if trace.get("orientation") == "h":
            fields = ["x", "customdata"]
        for name in fields:
            for value in _numbers(trace.get(name)):
                if value == value and value.is_integer() and value > 1 and value % 5:
                    problems.append(f"{trace.get('name')} {name}={value:g}")
        text = json.dumps({k: trace.get(k) for k in ("text", "hovertemplate", "hovertext", "name")})
        if PARTICIPANT_ID.search(text):
            problems.append(f"participant id in {trace.get('name')}")
        for value in trace.get("text") or []:
            if isinstance(value, str) and re.fullmatch(r"[1-4](\.0)?", value.strip()):
                problems.append(f"text {value}")
    return problems


def assert_nothing_disclosive(at: AppTest) -> None:
    """Scan every table, tile, text and chart on the page."""
    problems: list[str] = []
    for element in tables_shown(at):
        frame = element.value
        bad = find_disclosive_counts(frame, ignore_columns=[c for c in NOT_COUNTS if c in frame])
        problems.extend(f"table {b.column}={b.value!r}" for b in bad)
        if frame.astype(str).apply(lambda col: col.str.contains(PARTICIPANT_ID)).any().any():
            problems.append(f"participant id in a table {list(frame.columns)}")
    for metric in at.metric:
        if re.fullmatch(r"[1-4]", str(metric.value).strip()):
            problems.append(f"tile {metric.label}={metric.value}")
        if PARTICIPANT_ID.search(str(metric.value)):
            problems.append(f"participant id in tile {metric.label}")
    for text in _texts(at):
        if PARTICIPANT_ID.search(text):
            problems.append(f"participant id in text {text[:80]!r}")
        if SMALL_COUNT_TEXT.search(text):
            problems.append(f"small count in text {text[:80]!r}")
    for figure in _figures(at):
        problems.extend(_chart_problems(figure))
    assert not problems, problems[:20]


def _note_shown(at: AppTest) -> bool:
    """The stakeholder note: above every page, and in the presentation's footer."""
    return any(STAKEHOLDER_NOTE in unescape_markdown(str(el.value)) for el in [*at.info, *at.caption])


@pytest.mark.parametrize("page", PAGES)
def test_every_page_protected_via_query_param(demo_db_url: str, page: str) -> None:
    at = open_page(new_app({"audience": "stakeholder"}), page)
    assert _note_shown(at)
    assert at.session_state["ete_filters"].audience == "stakeholder"
    for screen in each_screen(at, page):  # every slide of the presentation
        assert_nothing_disclosive(screen)


CHART_PAGES = PAGES[:6]


@pytest.mark.parametrize("page", CHART_PAGES)
def test_charts_are_drawn_in_stakeholder_view(demo_db_url: str, page: str) -> None:
    """The protection must not work by dropping the charts: each chart page still has charts."""
    at = open_page(new_app({"audience": "stakeholder"}), page)
    assert _figures(at), page
    assert not any("not available in the stakeholder view" in str(c.value) for c in at.caption)


def test_scanner_finds_small_counts_in_internal_view(demo_db_url: str) -> None:
    """The same scan fails on the internal view (so the checks above can fail)."""
    at = open_page(new_app(), "app_pages/5_partners.py")
    with pytest.raises(AssertionError):
        assert_nothing_disclosive(at)
    assert not _note_shown(at)


def test_switch_with_the_sidebar_widget(demo_db_url: str) -> None:
    at = open_page(new_app(), "app_pages/2_funnels.py")
    assert "Follow-up list" in [t.label for t in at.tabs]
    at.sidebar.radio(key="filter_audience").set_value("stakeholder").run()
    assert not at.exception
    assert at.query_params.get("audience") in ("stakeholder", ["stakeholder"])
    assert _note_shown(at)
    assert [t.label for t in at.tabs] == ["Entry to training and work", "Drop-off between steps", "From referral"]
    assert_nothing_disclosive(at)
    # and back: the internal view is as before
    at.sidebar.radio(key="filter_audience").set_value("internal").run()
    assert "Follow-up list" in [t.label for t in at.tabs]
    assert "audience" not in at.query_params


def test_equality_table_is_the_protected_library_output(demo_db_url: str, demo_data: DemoData) -> None:
    from ete_metrics.metrics.equality import equality
    from ete_metrics.present.tables import display_table
    from ete_metrics.protect.disclosure import protect_table

    at = open_page(new_app({"audience": "stakeholder"}), "app_pages/6_equality.py")
    raw = equality(
        Scope(
            demo_data.participants,
            demo_data.milestones,
            as_of=demo_data.cutoff,
            window_days=None,
        ),
        characteristics=("gender", "age_band", "ethnicity", "disability"),
        step=WORK.name,
    )
    expected = protect_table(raw, count_columns=["entered", "participants"],
                             group_columns=["group"], key_columns=["characteristic"])
    assert protect_view(raw, "equality")[["entered", "participants"]].equals(
        expected[["entered", "participants"]])
    protected = protect_view(raw, "equality")
    protected["characteristic"] = protected["characteristic"].map(
        {"gender": "Gender", "age_band": "Age band", "ethnicity": "Ethnicity", "disability": "Disability"}
    )
    shown_frame = display_table(protected, counts=("entered", "participants"),
                                rates=("rate", "ci_low", "ci_high", "overall_rate"), points=("gap",))
    pd.testing.assert_frame_equal(tables_shown(at)[0].value.reset_index(drop=True), shown_frame,
                                  check_dtype=False)
    assert (tables_shown(at)[0].value == SUPPRESSED).any().any()  # the demo has small groups


def test_overview_tiles_are_protected(demo_db_url: str, demo_data: DemoData) -> None:
    from ete_metrics.metrics.funnel import funnel
    from ete_metrics.present.formatting import count
    from ete_metrics.protect.disclosure import round_to_base

    at = open_page(new_app({"audience": "stakeholder"}), "app_pages/1_overview.py")
    raw = funnel(
        Scope(demo_data.participants, demo_data.milestones, as_of=demo_data.cutoff),
        include_sustained=True,
    )
    entered = int(raw.loc[raw["step"] == ENTERED.name, "participants"].iloc[0])
    tiles = {m.label: m for m in at.metric}
    # 3,000 referrals, about a third entered: no suppression, rounded to the nearest 5.
    assert tiles["Entered"].value == count(round_to_base(entered))
    for label in ("Entered", "Into training", "Into work", "Sustained work"):
        value = tiles[label].value.replace(",", "")
        assert value == SUPPRESSED or int(value) % 5 == 0
        delta = str(tiles[label].delta or "")
        if delta:  # differences of rounded figures are multiples of 5
            assert int(delta.split()[0].replace(",", "").replace("+", "")) % 5 == 0


def test_data_page_hides_uploads_and_ids(demo_db_url: str) -> None:
    at = open_page(new_app({"audience": "stakeholder"}), "app_pages/7_data.py")
    assert not at.get("file_uploader")
    assert not any("Warnings stored" in str(m.value) for m in at.markdown)
    for element in tables_shown(at):
        assert "Example ids" not in element.value.columns
    internal = open_page(new_app(), "app_pages/7_data.py")
    assert internal.get("file_uploader")


def test_unknown_audience_in_url_falls_back_to_the_protected_view_and_says_so(demo_db_url: str) -> None:
    # a link that does not name one audience (a typo of "stakeholder", "public") fails closed
    at = open_page(new_app({"audience": "public"}), "app_pages/1_overview.py")
    assert at.session_state["ete_filters"].audience == "stakeholder"
    assert _note_shown(at)
    assert any("‘audience=public’ was ignored" in unescape_markdown(str(el.value)) for el in at.sidebar.info)
    assert at.query_params["audience"] == "stakeholder"  # the link now says what is shown


def test_bar_labels_show_protected_figures(demo_db_url: str) -> None:
    at = open_page(new_app({"audience": "stakeholder"}), "app_pages/1_overview.py")
    labels = [t for f in _figures(at) for trace in f["data"] for t in (trace.get("text") or [])
              if isinstance(trace.get("text"), list)]
    assert labels  # the funnel's bars are labelled
    for label in labels:
        assert label == SUPPRESSED or int(str(label).replace(",", "")) % 5 == 0


# the figures of a model of each person's records (forecast, chance of a target, case-mix
# adjusted comparison): for the programme team only, and said so in their place


def test_the_forecast_is_explained_not_shown_to_stakeholders(demo_db_url: str) -> None:
    from ete_metrics.protect.policy import NOT_PUBLISHED

    at = open_section(open_page(new_app({"audience": "stakeholder", "as_of": "2023-08-16"}),
                                "app_pages/1_overview.py"), "app_pages/1_overview.py", "Forecast to the end")
    assert any(NOT_PUBLISHED["forecast"] in str(i.value) for i in at.info)
    assert not any("Chance of reaching" in str(c.value) for c in at.caption)
    assert not any("forecast" in " ".join(map(str, t.value.columns)).lower() for t in tables_shown(at))


@pytest.mark.parametrize("page", ["app_pages/3_regions.py", "app_pages/5_partners.py"])
def test_the_adjusted_comparison_is_explained_not_shown_to_stakeholders(demo_db_url: str, page: str) -> None:
    from dashboard.adjusted import NOT_PUBLISHED

    stakeholder = open_page(new_app({"audience": "stakeholder"}), page)
    assert NOT_PUBLISHED in [str(c.value) for c in stakeholder.caption]
    shown = [str(c) for t in tables_shown(stakeholder) for c in t.value.columns]
    assert not {"Expected", "Observed / expected", "Rate (adjusted for case mix)"} & set(shown)
    # the programme team still sees it
    internal = open_page(new_app(), page)
    assert NOT_PUBLISHED not in [str(c.value) for c in internal.caption]
    assert "Rate (adjusted for case mix)" in [str(c) for t in tables_shown(internal) for c in t.value.columns]
