"""Engagement subcommands of ``python -m ete_metrics`` (issue 28): ``engagement`` and ``exits``.

``engagement`` prints :func:`ete_metrics.metrics.engagement.engagement_summary` per group
(``--by region delivery_partner pathway``): referrals received by the as-at date, the first
appointment attended and the working days to it, the share attended within
``--threshold-days`` working days (default 10), sessions and attendance, desired outcomes and
achievement, end states. ``exits`` prints :func:`ete_metrics.metrics.exits.exits`: referrals
ended or cancelled by the stage reached, reason group and reason, positive exits flagged.

Both work as the other metric commands (:mod:`ete_metrics.cli_metrics`): ``--db``,
``--as-of`` (default: the latest date in the data), ``--format table|csv|json``,
``--audience``, ``--as-user`` (a stakeholder gets the protected view, ``views.ENGAGEMENT_SUMMARY``
and ``views.EXITS``, through the same formatter), and what they print is recorded in the
audit trail first.
"""

from __future__ import annotations

import argparse

import pandas as pd

from ete_metrics import views
from ete_metrics.cli_metrics import _common, _Data, _emit, _uk, _whole_number, user_access
from ete_metrics.errors import InputError
from ete_metrics.metrics.engagement import ATTENDED_THRESHOLD_DAYS, ENGAGEMENT_GROUPING


def _threshold_days(value: str) -> int:
    number = _whole_number(value, "a whole number of working days")
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} must be 1 working day or more")
    return number


def _load_engagement(args: argparse.Namespace, *, milestones: bool) -> tuple[_Data, pd.DataFrame]:
    """The referrals' engagement of what ``--as-user`` may see, the milestones when asked,
    and ``--as-of`` (default: the latest date in the data or, failing that, the engagement)."""
    from ete_metrics.data import frames
    from ete_metrics.data.db import data_cutoff, load_milestones, make_engine, read_engagement

    access = user_access(args)
    regions = access.regions
    engine = make_engine(args.db)
    try:
        engagement = read_engagement(engine, regions=regions)
        stones = (
            load_milestones(engine, regions=regions) if milestones else frames.empty_milestones()
        )
        as_of = args.as_of
        if as_of is None:
            as_of = data_cutoff(engine)
            latest = engagement[list(frames.ENGAGEMENT_DATE_COLUMNS)].max().max()
            if as_of is None and not engagement.empty and latest == latest:
                as_of = latest.date()
            if as_of is None:
                raise InputError(
                    "The database holds no data yet, so there is no date to report as at: "
                    "import an extract first (python -m ete_metrics import ...) or give --as-of."
                )
    finally:
        engine.dispose()
    data = _Data(frames.empty_participants(), stones, None, as_of, access)
    return data, engagement


def _cmd_engagement(args: argparse.Namespace) -> int:
    from ete_metrics.metrics.engagement import engagement_summary

    data, engagement = _load_engagement(args, milestones=False)
    frame = engagement_summary(
        engagement,
        data.as_of,
        by=args.by or None,
        threshold_days=args.threshold_days,
    )
    _emit(args, data, frame, views.ENGAGEMENT_SUMMARY, title=f"Engagement as at {_uk(data.as_of)}")
    return 0


def _cmd_exits(args: argparse.Namespace) -> int:
    from ete_metrics.metrics.exits import exits

    data, engagement = _load_engagement(args, milestones=True)
    frame = exits(engagement, data.as_of, milestones=data.milestones, by=args.by or None)
    _emit(
        args,
        data,
        frame,
        views.EXITS,
        title=f"Exits by stage reached and reason as at {_uk(data.as_of)}",
    )
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``engagement`` and ``exits`` to the CLI's subparsers (each sets ``func``)."""
    p = subparsers.add_parser(
        "engagement",
        help="referrals, timeliness in working days, attendance, achievement and end states",
        description="Per group: referrals received by the as-at date, first appointments "
        "attended and the working days to them, the share attended within the threshold, "
        "sessions attended of those expected, outcomes achieved and end states.",
    )
    _common(p, dates=False)
    p.add_argument(
        "--by",
        nargs="+",
        default=None,
        metavar="COL",
        choices=ENGAGEMENT_GROUPING,
        help=f"group by these columns ({', '.join(ENGAGEMENT_GROUPING)})",
    )
    p.add_argument(
        "--threshold-days",
        type=_threshold_days,
        default=ATTENDED_THRESHOLD_DAYS,
        metavar="N",
        help="working days from referral to the first appointment "
        f"attended (default {ATTENDED_THRESHOLD_DAYS})",
    )
    p.set_defaults(func=_cmd_engagement)

    p = subparsers.add_parser(
        "exits",
        help="referrals ended or cancelled by stage reached and reason",
        description="Referrals ended or cancelled by the as-at date, by the stage they had "
        "reached, the reason's group and the reason; positive exits flagged.",
    )
    _common(p, dates=False)
    p.add_argument(
        "--by",
        nargs="+",
        default=None,
        metavar="COL",
        choices=ENGAGEMENT_GROUPING,
        help=f"group by these columns ({', '.join(ENGAGEMENT_GROUPING)})",
    )
    p.set_defaults(func=_cmd_exits)
