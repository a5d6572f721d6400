"""Which packs are due, building them, sending them and recording them (``deliver``).

:func:`plan_deliveries` decides, from the subscriptions, the access file and the
deliveries recorded, what is to be sent on a date: for each subscription, the latest
period whose pack is due (:func:`~ete_metrics.delivery.periods.due_period`) and every
period whose pack failed (tried again), unless the pack of that period or of a later one
was sent; with ``now``, the latest period that ended, whatever was sent. A subscription
whose recipient the access file does not list, or whose ``regions`` are wider than the
recipient's access, is refused: nothing is built or sent for it.

:func:`deliver` builds each pack with :func:`~ete_metrics.delivery.packs.user_pack` (the
file ``report --as-user`` writes for that recipient), emails them
(:func:`~ete_metrics.delivery.mail.send_messages`) and records each attempt; a pack sent
is recorded with its audit event, one per email, in one transaction.

Nothing here reads the clock: the day and the time are passed in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from email.message import EmailMessage
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from ete_metrics.delivery.mail import Attachment, SmtpSettings, compose, send_messages
from ete_metrics.delivery.packs import UserPack, user_pack
from ete_metrics.delivery.periods import Period, due_period, latest_ended, period_containing
from ete_metrics.delivery.subscriptions import (
    Subscription,
    SubscriptionFile,
    recipient_access,
    recipient_regions,
)
from ete_metrics.errors import EteError
from ete_metrics.present.formatting import uk_date
from ete_metrics.protect.access import Access, AccessList
from ete_metrics.protect.audience import AUDIENCE_LABELS, INTERNAL

__all__ = [
    "MEDIA_TYPES",
    "Outcome",
    "Plan",
    "Planned",
    "Refused",
    "deliver",
    "file_name",
    "pack_message",
    "plan_deliveries",
]

#: The MIME type of each format's attachment.
MEDIA_TYPES: dict[str, str] = {
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
#: The programme's name in a subject line.
PROGRAMME = "ETE Outcomes"


@dataclass(frozen=True)
class Planned:
    """A pack to send: whose, which period, for which subscription.

    Attributes
    ----------
    subscription : Subscription
    access : Access
        The recipient's access (exactly theirs).
    regions : tuple of str or None
        The pack's regions (within the access; None: all the recipient may see).
    period : Period
    retry : bool
        True when an earlier attempt for this period failed.
    """

    subscription: Subscription
    access: Access
    regions: tuple[str, ...] | None
    period: Period
    retry: bool = False

    @property
    def audience(self) -> str:
        """The recipient's audience: ``stakeholder`` for a stakeholder, else internal."""
        return self.access.audience(INTERNAL)

    @property
    def as_of(self) -> date:
        """The date the pack's figures are as at: the period's last day."""
        return self.period.end

    def describe(self) -> str:
        """``"subscription 2 (regional lead · Wales): April 2023, pdf and xlsx"``."""
        scope = ", ".join(self.regions) if self.regions else None
        who = (
            self.access.describe()
            if scope is None
            else f"{self.access.role.replace('_', ' ')} · {scope}"
        )
        formats = self.subscription.formats
        listed = formats[0] if len(formats) == 1 else f"{', '.join(formats[:-1])} and {formats[-1]}"
        return f"{self.subscription.name} ({who}): {self.period.label}, {listed}"


@dataclass(frozen=True)
class Refused:
    """A subscription nothing is sent for, and why (the message names the entry, not the address)."""

    subscription: Subscription
    reason: str


@dataclass(frozen=True)
class Plan:
    """What a run will do.

    Attributes
    ----------
    as_of : date
        The day of the run.
    planned : tuple of Planned
        The packs to send.
    refused : tuple of Refused
        The subscriptions refused.
    up_to_date : tuple of (Subscription, Period)
        Subscriptions whose latest pack due, or a later one, was sent (the newest sent named).
    """

    as_of: date
    planned: tuple[Planned, ...] = ()
    refused: tuple[Refused, ...] = ()
    up_to_date: tuple[tuple[Subscription, Period], ...] = ()


def _periods(recorded: pd.DataFrame, subscription: Subscription, status: str) -> set[date]:
    if recorded.empty:
        return set()
    rows = recorded.loc[
        (recorded["recipient"] == subscription.to)
        & (recorded["subscription"] == subscription.key)
        & (recorded["status"] == status)
    ]
    return {pd.Timestamp(value).date() for value in rows["period_start"]}


def plan_deliveries(
    subscriptions: SubscriptionFile,
    access_list: AccessList,
    recorded: pd.DataFrame,
    *,
    as_of: date,
    now: bool = False,
) -> Plan:
    """Decide what to send on ``as_of``.

    Parameters
    ----------
    subscriptions : SubscriptionFile
    access_list : AccessList
        Who may see what: a recipient it does not list is refused.
    recorded : pandas.DataFrame
        The deliveries recorded (:func:`ete_metrics.data.db.load_deliveries`). Not modified.
    as_of : date
        The day of the run.
    now : bool
        Send every subscription's latest ended period now, whether it was sent or not.

    Returns
    -------
    Plan
    """
    planned: list[Planned] = []
    refused: list[Refused] = []
    up_to_date: list[tuple[Subscription, Period]] = []
    source = subscriptions.source
    for subscription in subscriptions.subscriptions:
        where: dict[str, Any] = {
            "source": source,
            "kind": "subscription",
            "number": subscription.number,
        }
        try:
            access = recipient_access(access_list, subscription.to, **where)
            regions = recipient_regions(access, subscription.regions, **where)
        except EteError as exc:
            refused.append(Refused(subscription, str(exc)))
            continue
        if now:
            period = latest_ended(subscription.every, as_of)
            planned.append(Planned(subscription, access, regions, period))
            continue
        sent = _periods(recorded, subscription, "sent")
        failed = _periods(recorded, subscription, "failed")
        latest = due_period(subscription.every, as_of, subscription.working_day)
        # a pack sent covers its period and every earlier one (a later pack went out: an
        # older one is not sent, nor a failed older one tried again)
        newest_sent = max(sent, default=None)
        starts = sorted(
            start for start in failed | {latest.start} if newest_sent is None or start > newest_sent
        )
        for start in starts:
            period = period_containing(subscription.every, start)
            planned.append(Planned(subscription, access, regions, period, retry=start in failed))
        if not starts and newest_sent is not None:  # the newest pack sent
            up_to_date.append((subscription, period_containing(subscription.every, newest_sent)))
    return Plan(
        as_of=as_of, planned=tuple(planned), refused=tuple(refused), up_to_date=tuple(up_to_date)
    )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-") or "pack"


def file_name(planned: Planned, fmt: str) -> str:
    """The attachment's name: ``ete-outcomes-2023-04-30-wales.pdf`` (``-stakeholder`` for theirs)."""
    scope = _slug(", ".join(planned.regions)) if planned.regions else "all-regions"
    audience = "-stakeholder" if planned.audience != INTERNAL else ""
    return f"ete-outcomes-{planned.as_of.isoformat()}-{scope}{audience}.{fmt}"


def pack_message(
    settings: SmtpSettings,
    planned: Planned,
    pack: UserPack,
    *,
    data_to: date | None = None,
    when: datetime | None = None,
) -> EmailMessage:
    """The email of a pack: the scope, the as-at date, the filters, what changed, the files.

    What changed is the Overview's sentences (the pack's ``content.summary``, from the
    figures the pack shows: protected ones for a stakeholder).

    Parameters
    ----------
    settings : SmtpSettings
    planned : Planned
    pack : UserPack
        Built for ``planned`` (:func:`~ete_metrics.delivery.packs.user_pack`).
    data_to : date, optional
        The data's cut-off; said when it is before the pack's as-at date.
    when : datetime.datetime, optional
        The message's ``Date``.

    Returns
    -------
    email.message.EmailMessage
    """
    content = pack.content
    scope = content.scope
    subject = f"{PROGRAMME}: {planned.period.label} pack, {scope}, as at {uk_date(pack.as_of)}"
    changes = list(content.summary) or ["Nothing to compare with a month earlier."]
    lines = [
        f"The {PROGRAMME} pack for {planned.period.label} "
        f"({uk_date(planned.period.start)} to {uk_date(planned.period.end)}).",
        "",
        f"Scope: {scope} ({planned.access.describe()})",
        f"Audience: {AUDIENCE_LABELS.get(pack.audience, pack.audience)}",
        f"Figures as at: {uk_date(pack.as_of)}",
        f"Filters: {content.filters_text()}",
    ]
    if data_to is not None and data_to < pack.as_of:
        lines.append(
            f"Note: the data imported run to {uk_date(data_to)}, before the period's end; "
            "later records are not counted yet."
        )
    lines += ["", f"What changed since {uk_date(content.previous_as_of)}:"]
    lines += [f"- {sentence}" for sentence in changes]
    if content.note:
        lines += ["", content.note]
    attachments = [
        Attachment(file_name(planned, fmt), pack.files[fmt], MEDIA_TYPES[fmt])
        for fmt in planned.subscription.formats
    ]
    lines += ["", "Attached:"]
    lines += [f"- {a.filename} ({len(a.content):,} bytes)" for a in attachments]
    lines += [
        "",
        f"You receive this pack because {planned.subscription.name} of the {PROGRAMME} "
        "subscriptions file names you; ask the programme's data manager to change or stop it.",
    ]
    return compose(
        settings,
        to=planned.subscription.to,
        subject=subject,
        body="\n".join(lines) + "\n",
        attachments=attachments,
        when=when,
    )


@dataclass(frozen=True)
class Outcome:
    """What became of a planned pack.

    Attributes
    ----------
    planned : Planned
    sent : bool
    problem : str
        Why it was not sent (one line); empty when sent.
    recorded : bool
        False when the attempt could not be recorded (``record_problem`` says why).
    files : dict of str to bytes
        The files attached (empty when the pack could not be built).
    """

    planned: Planned
    sent: bool
    problem: str = ""
    recorded: bool = True
    record_problem: str = ""
    files: dict[str, bytes] = field(default_factory=dict)


#: Builds a recipient's pack (:func:`~ete_metrics.delivery.packs.user_pack`'s signature).
PackBuilder = Callable[..., UserPack]


def _build(engine: Engine, planned: Planned, build: PackBuilder) -> UserPack:
    return build(
        engine,
        planned.access,
        formats=planned.subscription.formats,
        audience=planned.audience,
        regions=planned.regions,
        as_of=planned.as_of,
    )


def deliver(
    engine: Engine,
    plan: Plan,
    settings: SmtpSettings,
    *,
    attempted_at: datetime,
    data_to: date | None = None,
    build: PackBuilder = user_pack,
) -> list[Outcome]:
    """Build, send and record every planned pack.

    A pack that cannot be built, and an email the server refuses or cannot take, is
    recorded as failed (tried again at the next run); an email sent is recorded with its
    audit event (who, what, scope, each file's SHA-256), both in one transaction.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    plan : Plan
    settings : SmtpSettings
    attempted_at : datetime.datetime
        The run's time (UTC), recorded with each attempt.
    data_to : date, optional
        The data's cut-off, said in an email whose pack is as at a later date.
    build : callable
        The pack builder (default :func:`~ete_metrics.delivery.packs.user_pack`).

    Returns
    -------
    list of Outcome
        One per planned pack, in the plan's order.
    """
    from ete_metrics.data.audit import delivery_entry, export_filters
    from ete_metrics.data.db import record_delivery

    problems: dict[int, str] = {}
    packs: dict[int, UserPack] = {}
    messages: list[EmailMessage] = []
    sending: list[int] = []
    for number, planned in enumerate(plan.planned):
        try:
            pack = _build(engine, planned, build)
        except EteError as exc:
            problems[number] = f"the pack could not be built: {exc}"
            continue
        except Exception as exc:  # noqa: BLE001 - one pack's fault must not stop the others
            problems[number] = f"the pack could not be built ({type(exc).__name__})"
            continue
        packs[number] = pack
        messages.append(pack_message(settings, planned, pack, data_to=data_to, when=attempted_at))
        sending.append(number)
    for number, result in zip(sending, send_messages(settings, messages), strict=True):
        if not result.sent:
            problems[number] = result.problem
    outcomes: list[Outcome] = []
    for number, planned in enumerate(plan.planned):
        pack_built = packs.get(number)
        files = (
            {file_name(planned, fmt): pack_built.files[fmt] for fmt in planned.subscription.formats}
            if pack_built is not None
            else {}
        )
        problem = problems.get(number, "")
        sent = not problem
        audit = None
        if sent:
            audit = delivery_entry(
                occurred_at=attempted_at,
                access=planned.access,
                what=f"emailed the {planned.period.label} pack ({planned.subscription.name})",
                files=files,
                filters=export_filters(
                    planned.access,
                    as_of=planned.as_of,
                    regions=planned.regions,
                    audience=planned.audience,
                    format=list(planned.subscription.formats),
                    every=planned.subscription.every,
                    period=[planned.period.start, planned.period.end],
                ),
            )
        recorded, record_problem = True, ""
        try:
            record_delivery(
                engine,
                attempted_at=attempted_at,
                recipient=planned.subscription.to,
                subscription=planned.subscription.key,
                period_start=planned.period.start,
                period_end=planned.period.end,
                as_of=planned.as_of,
                status="sent" if sent else "failed",
                files=_listed(files),
                problem=problem or None,
                audit=audit,
            )
        except EteError as exc:
            recorded, record_problem = False, str(exc)
        outcomes.append(Outcome(planned, sent, problem, recorded, record_problem, files))
    return outcomes


def _listed(files: dict[str, bytes]) -> str | None:
    from ete_metrics.data.audit import sha256_of

    if not files:
        return None
    return "; ".join(f"{name} sha256 {sha256_of(content)}" for name, content in files.items())


def describe_plan(plan: Plan, *, dry_run: bool = False) -> Sequence[str]:
    """Lines saying what the run will send, what is up to date and what is refused."""
    lines = [
        f"{'Would send' if dry_run else 'To send'} {planned.describe()}"
        + (" (tried again: the last attempt failed)" if planned.retry else "")
        for planned in plan.planned
    ]
    lines += [
        f"Up to date: {subscription.name}: the {period.label} pack was sent."
        for subscription, period in plan.up_to_date
    ]
    lines += [f"Refused: {refused.reason}" for refused in plan.refused]
    return lines
