"""What a run sends (ete_metrics.delivery.deliver.plan_deliveries), from the subscriptions, the
access file and the deliveries recorded; and the email of a pack."""

from __future__ import annotations

from datetime import date

import pandas as pd

from ete_metrics.data.db import DELIVERY_COLUMNS
from ete_metrics.delivery.deliver import plan_deliveries
from ete_metrics.delivery.periods import Period
from ete_metrics.delivery.subscriptions import parse_subscriptions
from ete_metrics.protect.access import parse_access

ACCESS = parse_access(
    '[users."director@example.org"]\nrole = "director"\n'
    '[users."partner@example.org"]\nrole = "stakeholder"\n'
)
FILE = parse_subscriptions(
    '[[subscription]]\nto = "director@example.org"\nformat = ["xlsx", "pdf"]\nevery = "month"\nworking_day = 5\n'
    '[[subscription]]\nto = "partner@example.org"\nformat = "pptx"\nevery = "week"\n'
    '[[subscription]]\nto = "gone@example.org"\nformat = "pdf"\nevery = "month"\n',
    source="subs.toml",
)
APRIL = Period(date(2023, 4, 1), date(2023, 4, 30), "month")
MARCH = Period(date(2023, 3, 1), date(2023, 3, 31), "month")
WEEK = Period(date(2023, 5, 1), date(2023, 5, 7), "week")


def _recorded(*rows: tuple[str, str, Period, str]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "id": n,
                "attempted_at": pd.Timestamp("2023-05-09"),
                "recipient": to,
                "subscription": key,
                "period_start": period.start,
                "period_end": period.end,
                "as_of": period.end,
                "status": status,
                "files": None,
                "problem": None,
            }
            for n, (to, key, period, status) in enumerate(rows, start=1)
        ],
        columns=list(DELIVERY_COLUMNS),
    )


NOTHING = _recorded()
DIRECTOR_KEY = FILE.subscriptions[0].key


def test_the_key_of_a_subscription_ignores_the_order_of_its_formats() -> None:
    assert DIRECTOR_KEY == "month|pdf,xlsx|*"


def test_what_is_due_on_a_day_and_who_is_refused() -> None:
    plan = plan_deliveries(FILE, ACCESS, NOTHING, as_of=date(2023, 5, 9))
    assert [(p.subscription.number, p.period, p.retry) for p in plan.planned] == [
        (1, APRIL, False),
        (2, WEEK, False),
    ]
    assert plan.planned[1].audience == "stakeholder" and plan.planned[0].audience == "internal"
    assert [r.subscription.number for r in plan.refused] == [3]
    assert "gone" not in plan.refused[0].reason
    # Friday 5 May: April's pack is not due yet; March's is the latest due
    plan = plan_deliveries(FILE, ACCESS, NOTHING, as_of=date(2023, 5, 5))
    assert plan.planned[0].period == MARCH


def test_a_period_sent_is_not_sent_again_and_a_failed_one_is_tried_again() -> None:
    recorded = _recorded(
        ("director@example.org", DIRECTOR_KEY, APRIL, "failed"),
        ("director@example.org", DIRECTOR_KEY, APRIL, "failed"),
        ("partner@example.org", "week|pptx|*", WEEK, "failed"),
        ("partner@example.org", "week|pptx|*", WEEK, "sent"),
    )
    plan = plan_deliveries(FILE, ACCESS, recorded, as_of=date(2023, 5, 9))
    assert [(p.subscription.number, p.period, p.retry) for p in plan.planned] == [(1, APRIL, True)]
    assert [(s.number, period) for s, period in plan.up_to_date] == [(2, WEEK)]
    # 7 June: May's pack is due (Thu 1, Fri 2, Mon 5, Tue 6, Wed 7 June); April's still failed
    may = Period(date(2023, 5, 1), date(2023, 5, 31), "month")
    plan = plan_deliveries(FILE, ACCESS, recorded, as_of=date(2023, 6, 7))
    assert [(p.period, p.retry) for p in plan.planned if p.subscription.number == 1] == [
        (APRIL, True),
        (may, False),
    ]
    # another subscription of the same person (other formats) is another pack
    other = _recorded(("director@example.org", "month|pdf|*", APRIL, "sent"))
    assert plan_deliveries(FILE, ACCESS, other, as_of=date(2023, 5, 9)).planned[0].period == APRIL


def test_now_sends_the_latest_period_whatever_was_sent() -> None:
    recorded = _recorded(("director@example.org", DIRECTOR_KEY, APRIL, "sent"))
    plan = plan_deliveries(FILE, ACCESS, recorded, as_of=date(2023, 5, 3), now=True)
    # on 3 May April's pack is not due by the working day, but it is the latest period ended
    assert [(p.subscription.number, p.period) for p in plan.planned] == [
        (1, APRIL),
        (2, Period(date(2023, 4, 24), date(2023, 4, 30), "week")),
    ]


def test_a_later_pack_sent_covers_the_earlier_periods() -> None:
    # --now on 3 May sent April's pack; --due that day (March's is the latest due) sends nothing,
    # and March's failed attempt is not tried again after April's went out
    recorded = _recorded(
        ("director@example.org", DIRECTOR_KEY, MARCH, "failed"),
        ("director@example.org", DIRECTOR_KEY, APRIL, "sent"),
    )
    plan = plan_deliveries(FILE, ACCESS, recorded, as_of=date(2023, 5, 3))
    assert [p.subscription.number for p in plan.planned] == [2]
    assert [(s.number, period) for s, period in plan.up_to_date] == [(1, APRIL)]
