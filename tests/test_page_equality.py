"""AppTest of the Equality page: the numbers shown equal ete_metrics' output, formatted."""

from __future__ import annotations

import pandas as pd
from apptest_support import *  # noqa: F403
from apptest_support import DemoData, new_app, open_page, tables_shown

from ete_metrics.counting.scope import Scope
from ete_metrics.metrics.equality import equality
from ete_metrics.present.tables import display_table
from ete_metrics.steps import TRAINING, WORK

PAGE = "app_pages/6_equality.py"
RATES = ("rate", "ci_low", "ci_high", "overall_rate")
#: The characteristics as the table names them.
NAMES = {"gender": "Gender", "age_band": "Age band", "ethnicity": "Ethnicity", "disability": "Disability"}


def _shown(at) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    return tables_shown(at)[0].value.reset_index(drop=True).astype(object)


def _expected(demo: DemoData, window_days: int | None = None, **kwargs) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    scope = Scope(demo.participants, demo.milestones, as_of=demo.cutoff, window_days=window_days)
    frame = equality(scope, **kwargs)
    frame["characteristic"] = frame["characteristic"].map(NAMES)
    return display_table(
        frame, counts=("entered", "participants"), rates=RATES, points=("gap",)
    ).astype(object)


def test_equality_page_shows_ete_metrics_figures(demo_data: DemoData) -> None:
    at = open_page(new_app(), PAGE)
    shown = _shown(at)
    pd.testing.assert_frame_equal(shown, _expected(demo_data, step=WORK.name), check_dtype=False)
    assert set(shown["Characteristic"]) == {"Gender", "Age band", "Ethnicity", "Disability"}
    assert shown["Rate"].astype(str).str.fullmatch(r"\d{1,3}\.\d%").all()
    # the gap to the overall rate in percentage points, one decimal, signed
    assert shown["Gap to overall"].astype(str).str.fullmatch(r"[+-]\d{1,3}\.\d pp|0\.0 pp").all()
    raw = equality(
        Scope(demo_data.participants, demo_data.milestones, as_of=demo_data.cutoff),
        step=WORK.name,
    )
    first = raw.iloc[0]
    points = round((first["rate"] - first["overall_rate"]) * 100, 1)
    assert shown["Gap to overall"].iloc[0] == ("0.0 pp" if points == 0 else f"{points:+.1f} pp")
    assert len(at.get("plotly_chart")) == 1


def test_equality_page_widgets_change_the_figures(demo_data: DemoData) -> None:
    at = open_page(new_app(), PAGE)
    before = _shown(at)
    at.radio(key="equality_step").set_value("training").run()
    assert not at.exception
    training = _shown(at)
    assert not training.equals(before)
    pd.testing.assert_frame_equal(training, _expected(demo_data, step=TRAINING.name), check_dtype=False)
    at.selectbox(key="equality_window").set_value("Within 180 days").run()
    assert not at.exception
    pd.testing.assert_frame_equal(
        _shown(at), _expected(demo_data, step=TRAINING.name, window_days=180), check_dtype=False
    )


def test_equality_page_empty_filters_show_a_friendly_message(demo_data: DemoData) -> None:
    at = open_page(new_app({"from": "2021-06-01", "to": "2021-06-10"}), PAGE)
    assert any("No one entered" in i.value for i in at.info)
    assert len(tables_shown(at)) == 0
