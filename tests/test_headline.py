"""The headline shared by the Overview tiles and the deck: now against a month earlier."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd

from ete_metrics.metrics.headline import HEADLINE_COLUMNS, headline, month_earlier


def _funnel(rows: list[tuple[str, object, object]]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"step": s, "participants": p, "rate_from_entry": r, "rate_from_previous": r,
          "ci_low": 0.1, "ci_high": 0.9} for s, p, r in rows]
    ).astype({"participants": object, "rate_from_entry": object})


def test_month_earlier_is_one_calendar_month_back() -> None:
    assert month_earlier(date(2023, 8, 16)) == date(2023, 7, 16)
    assert month_earlier(date(2023, 3, 31)) == date(2023, 2, 28)  # no 31 Feb: the month's last day
    assert month_earlier(pd.Timestamp("2024-01-15")) == date(2023, 12, 15)


def test_changes_are_differences_of_the_figures_shown() -> None:
    now = _funnel([("entered", 200, 1.0), ("training", 80, 0.4), ("work", 30, 0.15)])
    before = _funnel([("entered", 150, 1.0), ("training", 60, 0.4)])  # nobody in work yet
    out = headline(now, before)
    assert list(out.columns) == list(HEADLINE_COLUMNS)
    # 200 - 150 = 50; 80 - 60 = 20; work: 30 - 0 (no row a month earlier) = 30
    assert out["change"].tolist() == [50, 20, 30]
    assert out["participants_month_earlier"].tolist() == [150, 60, 0]
    # rates: 0.4 - 0.4 = 0 points; work had no earlier rate, so no change
    assert out.loc[1, "rate_change"] == 0.0
    assert math.isnan(out.loc[2, "rate_change"])


def test_a_suppressed_figure_withholds_its_change() -> None:
    now = _funnel([("entered", 25, 1.0), ("training", "[c]", "[c]"), ("work", 10, 0.4)])
    before = _funnel([("entered", 20, 1.0), ("training", 5, 0.25), ("work", "[c]", "[c]")])
    out = headline(now, before)
    assert out["change"].tolist() == [5, "[c]", "[c]"]
    assert out["rate_change"].tolist()[1:] == ["[c]", "[c]"]
    # the inputs are left as they were
    assert now.loc[1, "participants"] == "[c]" and before.loc[2, "participants"] == "[c]"
