"""The stakeholder pack (deck, PDF and workbook share its tables) holds against the intruder.

Policy (ete_metrics.protect.policy.POLICY): counts 1-4 suppressed, others rounded to 5; a
rate is the published numerator over the published group size as a percentage with one
decimal (a fraction with three decimals). The workbook's cells are the tables' values
(tests/test_report_xlsx.py) and the deck and PDF show them formatted, so checking the
tables checks every format.
"""

from __future__ import annotations

import pandas as pd

from ete_metrics.metrics.headline import month_earlier
from ete_metrics.present.report.content.published import _pack
from ete_metrics.protect.disclosure import SUPPRESSED
from ete_metrics.protect.publication import publish
from ete_metrics.steps import ENTERED
from tests.intruder_support import attack
from tests.report_support import AS_OF, content, demo

#: Fractions of a table with the counts they are made of, as the tables name them.
FRACTIONS = {
    "rate_from_entry": ("participants", None),
    "rate": ("participants", "entered"),
    "raw_rate": ("observed", "entered"),
    "training_rate": ("training", "entered"),
    "work_rate": ("work", "entered"),
}


def _whole(value: object) -> bool:
    return not isinstance(value, str) and not pd.isna(value)  # type: ignore[call-overload]


def test_every_rate_matches_its_rounded_counts() -> None:
    checked = 0
    for table in content("stakeholder").tables():
        data = table.data
        for rate, (numerator, size) in FRACTIONS.items():
            if rate not in data.columns or numerator not in data.columns:
                continue
            for _, row in data.iterrows():
                if size is None:  # a funnel's rate from entry: over the entered row
                    entered = data.loc[data["step"] == ENTERED.name, numerator]
                    n = entered.iloc[0] if len(entered) else SUPPRESSED
                else:
                    n = row[size] if size in data.columns else SUPPRESSED
                x, value = row[numerator], row[rate]
                if not (_whole(x) and _whole(n) and _whole(value)) or not n:
                    continue
                # the published fraction at one decimal of a percentage, e.g. 10 / 30 -> 0.333
                assert value == round(int(x) / int(n), 3), (table.key, rate, x, n, value)
                checked += 1
    assert checked > 20


def test_no_figure_more_precise_than_the_screen() -> None:
    for table in content("stakeholder").tables():
        for column, role in table.formats().items():
            if role != "percent" or column not in table.data.columns:
                continue
            for value in table.data[column]:
                if _whole(value):
                    assert round(float(value), 3) == float(value), (table.key, column, value)


def test_the_intruder_finds_nothing_in_the_pack() -> None:
    participants, milestones, _ = demo()
    as_of = pd.Timestamp(AS_OF)
    dates = {"date_from": None, "date_to": None}
    parts = list(_pack(participants, milestones, as_of, pd.Timestamp(month_earlier(as_of)), dates).values())
    assert attack(parts, publish(parts, "stakeholder")) == []

