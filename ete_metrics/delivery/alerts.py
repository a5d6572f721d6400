"""Alerts: ``[[alert]]`` rules of the subscriptions file, evaluated after each import.

A rule names a measure people know, a scope and a condition, and who is told::

    [[alert]]
    measure = "work"          # a step: its code or its words ("Into work")
    condition = "red"         # its RAG against the contract target turns Red
    regions = ["Wales"]       # optional: the whole programme by default
    to = ["lead.wales@example.org"]

    [[alert]]
    measure = "training"
    condition = "below"       # its rate from entry falls below a percentage
    percent = 35
    to = ["director@example.org"]

    [[alert]]
    condition = "no_import"   # no import for N days (the whole programme)
    days = 10
    to = ["director@example.org"]

The conditions, worked out by :func:`evaluate_alerts` from frames and explicit dates:

- ``red``: the scope's RAG for a contract measure (:data:`ete_metrics.steps.TARGET_MEASURES`)
  is Red, the rule of :mod:`ete_metrics.metrics.targets`: the cumulative actual to date is
  below :data:`~ete_metrics.config.RAG_AMBER_FROM` of the cumulative target to date (the
  scope's regions summed, the ``"All regions"`` row of
  :func:`~ete_metrics.metrics.targets.target_summary`). No target to date: no reading.
- ``below``: the scope's rate from entry of an outcome step (participants entered by the
  as-at date who reached it, divided by those entered, as the funnel counts them,
  :func:`ete_metrics.metrics.funnel.funnel`) is below ``percent`` (compared exactly).
  Nobody entered: no reading.
- ``no_import``: the latest import was made ``days`` or more days before the day of the run
  (``today``), or none is recorded. The whole programme only (imports are).

An alert *fires* (one email to each of its recipients) when its state changes into firing; it does
not fire again until its state has changed back and then into firing again. The state is
stored in the database (:func:`ete_metrics.data.db.claim_alert`); a rule never evaluated
before counts as not firing, so a new rule whose condition already holds fires once. A
reading that cannot be made (no target yet) keeps the stored state.

Recipients are users of the access file (read by :func:`ete_metrics.protect.access.parse_email`);
one it does not list is refused and gets nothing, and so is one whose access is narrower than
the alert's scope (a regional lead on a whole-programme alert) and any stakeholder, who gets
the stakeholder pack and nothing else: the run says so for each, by the alert's number and the
recipient's position in ``to`` (never their address).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from email.message import EmailMessage
from fractions import Fraction
from pathlib import Path
from typing import Any

import pandas as pd

from ete_metrics import steps
from ete_metrics.delivery.mail import SmtpSettings, compose, send_messages
from ete_metrics.delivery.subscriptions import (
    DEFAULT_FILE_NAME,
    SUBSCRIPTIONS_FILE_SETTING,
    entry_error,
    parse_recipient,
    parse_regions,
    parse_subscriptions,
    read_subscriptions,
    subscriptions_file_path,
)
from ete_metrics.errors import ConfigError, DeliveryError, EteError, InputError
from ete_metrics.protect.access import STAKEHOLDER_ROLE, Access, AccessList

__all__ = [
    "BELOW",
    "CONDITIONS",
    "NO_IMPORT",
    "RED",
    "AlertRule",
    "AlertRun",
    "Reading",
    "alert_message",
    "evaluate_after_change",
    "evaluate_alerts",
    "parse_alerts",
    "read_alerts",
    "recipients",
    "run_alerts",
]

#: The conditions of a rule (``condition = "..."``).
RED = "red"
BELOW = "below"
NO_IMPORT = "no_import"
CONDITIONS: tuple[str, ...] = (RED, BELOW, NO_IMPORT)

#: Keys each condition takes (besides ``condition`` and ``to``).
_KEYS: Mapping[str, frozenset[str]] = {
    RED: frozenset({"measure", "regions"}),
    BELOW: frozenset({"measure", "regions", "percent"}),
    NO_IMPORT: frozenset({"days"}),
}
_KIND = "alert"
#: The participants' columns the readings use.
_PARTICIPANT_COLUMNS = ("participant_id", "region", "referral_date", "entry_date")
_EXAMPLE = (
    f'e.g. measure = "{steps.WORK.name}", condition = "{RED}", regions = ["Wales"], '
    'to = ["lead.wales@example.org"]'
)


@dataclass(frozen=True)
class AlertRule:
    """One ``[[alert]]`` rule.

    Attributes
    ----------
    number : int
        Its position among the file's alerts (1 for the first), for messages.
    condition : str
        :data:`RED`, :data:`BELOW` or :data:`NO_IMPORT`.
    measure : str or None
        The step's code (:mod:`ete_metrics.steps`); None for :data:`NO_IMPORT`.
    regions : tuple of str or None
        The scope (canonical spelling); None: the whole programme.
    percent : fractions.Fraction or None
        For :data:`BELOW`: the threshold, a percentage.
    days : int or None
        For :data:`NO_IMPORT`: days without an import.
    to : tuple of str
        The recipients' emails as :func:`~ete_metrics.protect.access.parse_email` reads them.
    """

    number: int
    condition: str
    measure: str | None = None
    regions: tuple[str, ...] | None = None
    percent: Fraction | None = None
    days: int | None = None
    to: tuple[str, ...] = ()

    @property
    def rule(self) -> str:
        """The rule in words: ``"Into work RAG turns Red"``."""
        if self.condition == RED:
            return f"{steps.label(self.measure)} RAG turns Red"
        if self.condition == BELOW:
            return (
                f"{steps.label(self.measure)} rate from entry falls below {_percent(self.percent)}"
            )
        return f"No import for {self.days} day{'s' if self.days != 1 else ''}"

    @property
    def scope(self) -> str:
        """The scope in words: the regions, or ``"All regions"``."""
        return "All regions" if self.regions is None else ", ".join(self.regions)

    @property
    def key(self) -> str:
        """The rule's identity across runs (SHA-256 of its condition, measure, threshold and
        scope; not of its recipients, nor of its position in the file)."""
        text = "|".join(
            (
                self.condition,
                self.measure or "",
                ",".join(self.regions or ("*",)),
                str(self.percent or ""),
                str(self.days or ""),
            )
        )
        return hashlib.sha256(text.encode()).hexdigest()


def _percent(value: Fraction | float | None) -> str:
    if value is None:
        return ""
    number = float(value)
    return f"{number:g}%"


def _error(source: str, number: int, key: str | None, problem: str) -> DeliveryError:
    return entry_error(source, _KIND, number, key, problem)


def _measure(value: Any, *, allowed: Sequence[str], source: str, number: int, what: str) -> str:
    """A step's code from its code or its words (any case)."""
    names = {name: name for name in allowed}
    names.update({steps.label(name).casefold(): name for name in allowed})
    choices = ", ".join(f'"{name}" ({steps.label(name)})' for name in allowed)
    if not isinstance(value, str) or value.strip().casefold() not in names:
        shown = "missing" if value is None else repr(value)
        raise _error(source, number, "measure", f"is {shown}; {what}: use one of {choices}.")
    return names[value.strip().casefold()]


def _recipients(value: Any, *, source: str, number: int) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise _error(
            source,
            number,
            "to",
            'must list who is told, e.g. to = ["lead.wales@example.org"] '
            "(emails of the access file).",
        )
    out: list[str] = []
    for position, item in enumerate(items, start=1):
        key = "to" if isinstance(value, str) else f"to entry {position}"
        email = parse_recipient(item, source=source, kind=_KIND, number=number, key=key)
        if email not in out:
            out.append(email)
    return tuple(out)


def _rule(entry: Any, number: int, source: str) -> AlertRule:
    if not isinstance(entry, dict):
        raise _error(source, number, None, f"must be a table of keys under [[alert]] ({_EXAMPLE}).")
    condition = entry.get("condition")
    text = condition.strip().casefold().replace(" ", "_") if isinstance(condition, str) else None
    if text not in CONDITIONS:
        shown = "missing" if condition is None else repr(condition)
        raise _error(
            source,
            number,
            "condition",
            f'is {shown}: use "red" (the RAG turns Red), "below" (a rate falls below percent) or '
            '"no_import" (no import for days).',
        )
    assert text is not None
    allowed = _KEYS[text] | {"condition", "to"}
    extra = sorted(set(entry) - allowed)
    if extra:
        raise _error(
            source,
            number,
            extra[0],
            f"is not a key of a {text!r} alert; use {', '.join(sorted(allowed))}.",
        )
    to = _recipients(entry.get("to"), source=source, number=number)
    regions = None
    if "regions" in entry:
        regions = parse_regions(entry["regions"], source=source, kind=_KIND, number=number)
    if text == RED:
        measure = _measure(
            entry.get("measure"),
            allowed=steps.TARGET_MEASURES,
            source=source,
            number=number,
            what="a RAG is worked out for the measures with contract targets",
        )
        return AlertRule(number, RED, measure=measure, regions=regions, to=to)
    if text == BELOW:
        measure = _measure(
            entry.get("measure"),
            allowed=steps.outcome_steps(),
            source=source,
            number=number,
            what="a rate from entry is worked out for the steps after entry",
        )
        percent = entry.get("percent")
        if (
            isinstance(percent, bool)
            or not isinstance(percent, int | float)
            or not 0 < percent <= 100
        ):
            raise _error(
                source,
                number,
                "percent",
                f"is {'missing' if percent is None else repr(percent)}: give the rate it must not "
                "fall below as a percentage above 0 and at most 100, e.g. percent = 35.",
            )
        return AlertRule(
            number, BELOW, measure=measure, regions=regions, percent=Fraction(str(percent)), to=to
        )
    days = entry.get("days")
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise _error(
            source,
            number,
            "days",
            f"is {'missing' if days is None else repr(days)}: give a whole number of days of at "
            "least 1, e.g. days = 10.",
        )
    return AlertRule(number, NO_IMPORT, days=days, to=to)


def alert_rules(tables: Sequence[Any], *, source: str) -> tuple[AlertRule, ...]:
    """Check the ``[[alert]]`` tables of the subscriptions file, one rule per kind.

    Parameters
    ----------
    tables : sequence
        The tables as read (:attr:`~ete_metrics.delivery.subscriptions.SubscriptionFile.alerts`).
    source : str
        The file, for messages.

    Returns
    -------
    tuple of AlertRule

    Raises
    ------
    DeliveryError
        A rule is invalid (an unknown condition or key, a measure without the figure its
        condition needs, an unknown region, a recipient that is not an email, a rule
        repeating another): the message names the file, the alert and the key, and says
        what to fix.
    """
    rules = [_rule(entry, number, source) for number, entry in enumerate(tables, start=1)]
    first: dict[str, int] = {}
    for rule in rules:
        if rule.key in first:
            raise _error(
                source,
                rule.number,
                None,
                f"repeats alert {first[rule.key]} (the same measure, condition and scope): list all "
                "its recipients in one to, and remove the other.",
            )
        first[rule.key] = rule.number
    return tuple(rules)


def parse_alerts(text: str, *, source: str = DEFAULT_FILE_NAME) -> tuple[AlertRule, ...]:
    """Parse the ``[[alert]]`` rules of the subscriptions file's TOML text.

    The file as a whole is read by :func:`~ete_metrics.delivery.subscriptions.parse_subscriptions`
    (its TOML, its top-level tables, its ``[[subscription]]`` entries); the alerts by
    :func:`alert_rules`.

    Raises
    ------
    DeliveryError
        As :func:`~ete_metrics.delivery.subscriptions.parse_subscriptions` and :func:`alert_rules`.
    """
    return alert_rules(parse_subscriptions(text, source=source).alerts, source=source)


def read_alerts(path: str | os.PathLike[str] | None = None) -> tuple[AlertRule, ...] | None:
    """Read the alert rules of the subscriptions file (``subscriptions_file_path``).

    Returns
    -------
    tuple of AlertRule or None
        None when the file does not exist and was not asked for (no ``path``, no
        ``ETE_SUBSCRIPTIONS_FILE``): nothing is configured.

    Raises
    ------
    DeliveryError
        A file asked for does not exist, or the file cannot be read or is invalid.
    """
    asked = bool(path) or bool(os.environ.get(SUBSCRIPTIONS_FILE_SETTING, "").strip())
    resolved = subscriptions_file_path(path)
    if not asked and not resolved.exists():
        return None
    read = read_subscriptions(resolved)
    return alert_rules(read.alerts, source=read.source)


# ---------------------------------------------------------------------------
# Recipients
# ---------------------------------------------------------------------------


def recipients(rule: AlertRule, listed: AccessList | None) -> tuple[list[Access], list[str]]:
    """Who of ``rule.to`` may be told, and why each other one is refused.

    Parameters
    ----------
    rule : AlertRule
    listed : AccessList or None
        The access file (None: none could be read, so everyone is refused).

    Returns
    -------
    (list of Access, list of str)
        The recipients' access, in ``to``'s order; a sentence per refused recipient naming
        the alert and the recipient's position in ``to`` (never the address).
    """
    allowed: list[Access] = []
    refused: list[str] = []
    source = listed.source if listed is not None else "access file"
    for position, email in enumerate(rule.to, start=1):
        who = f"alert {rule.number} ({rule.rule}, {rule.scope}): recipient {position} of to"
        access = listed.lookup(email) if listed is not None else None
        if access is None:
            refused.append(
                f"{who} is not in the access file {source}, so they get nothing: add them there, "
                "or remove them from the alert."
            )
        elif access.role == STAKEHOLDER_ROLE:
            refused.append(
                f"{who} is a stakeholder, who gets the stakeholder pack and nothing else (an alert "
                "is worked out from unprotected figures), so they get nothing: remove them from the alert."
            )
        elif rule.condition != NO_IMPORT and not _covers(access, rule.regions):
            refused.append(
                f"{who} may see only {', '.join(access.regions or ())}, narrower than the alert's scope "
                f"({rule.scope}), so they get nothing: give them an alert on their own regions."
            )
        else:
            allowed.append(access)
    return allowed, refused


def _covers(access: Access, regions: tuple[str, ...] | None) -> bool:
    if access.regions is None:
        return True
    if regions is None:
        return False
    return all(access.allows_region(region) for region in regions)


# ---------------------------------------------------------------------------
# Evaluation (pure: frames and dates in, readings out)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """What a rule's condition reads now.

    Attributes
    ----------
    rule : AlertRule
    firing : bool or None
        True when the condition holds; None when it cannot be read (no target to date,
        nobody entered, a date before the contract): the stored state is kept.
    words : str
        The figures behind it, in words (counts and dates only, no identifier).
    """

    rule: AlertRule
    firing: bool | None
    words: str


def _rag_reading(rule: AlertRule, summary: pd.DataFrame) -> Reading:
    from ete_metrics.metrics.targets import ALL_REGIONS

    row = summary.loc[(summary["region"] == ALL_REGIONS) & (summary["measure"] == rule.measure)]
    noun = steps.MEASURE_NOUNS.get(str(rule.measure), steps.label(rule.measure))
    if row.empty or row["rag"].iloc[0] is None:
        return Reading(rule, None, f"{noun} have no target to date in {rule.scope}.")
    actual, target = int(row["actual_to_date"].iloc[0]), int(row["target_to_date"].iloc[0])
    rag = str(row["rag"].iloc[0])
    return Reading(
        rule,
        rag == RED,  # the RAG rating's code (ete_metrics.steps.RAG_LABELS)
        f"{noun} to date: {actual:,} against a target to date of {target:,} "
        f"({actual / target:.1%} of target): {steps.label(rag)}.",
    )


def _rate_reading(rule: AlertRule, counts: pd.DataFrame) -> Reading:
    entered = counts.loc[counts["step"] == steps.funnel_steps()[0], "participants"]
    reached = counts.loc[counts["step"] == rule.measure, "participants"]
    if entered.empty or int(entered.iloc[0]) == 0 or reached.empty:
        return Reading(rule, None, f"Nobody had entered the programme in {rule.scope}.")
    n, k = int(entered.iloc[0]), int(reached.iloc[0])
    assert rule.percent is not None
    below = Fraction(k * 100) < rule.percent * n
    return Reading(
        rule,
        below,
        f"{steps.label(rule.measure)}: {k:,} of {n:,} entered ({k / n:.1%}); the alert's line is "
        f"{_percent(rule.percent)}.",
    )


def _import_reading(rule: AlertRule, imports: pd.DataFrame, today: date) -> Reading:
    from ete_metrics.present.formatting import uk_date

    assert rule.days is not None
    when = pd.Series(dtype="datetime64[ns]")
    if not imports.empty:
        made = pd.to_datetime(imports["imported_at"]).astype("datetime64[ns]")
        taken = pd.to_datetime(imports["extract_date"]).astype("datetime64[ns]")
        when = made.fillna(taken).dropna()  # an import recorded without a time: its extract date
    if when.empty:
        return Reading(rule, True, f"No import is recorded (as at {uk_date(today)}).")
    latest = when.max().date()
    days = (today - latest).days
    return Reading(
        rule,
        days >= rule.days,
        f"The latest import was on {uk_date(latest)}, {days:,} day{'s' if days != 1 else ''} "
        f"before {uk_date(today)}.",
    )


def evaluate_alerts(
    rules: Iterable[AlertRule],
    participants: pd.DataFrame,
    milestones: pd.DataFrame,
    targets: pd.DataFrame,
    imports: pd.DataFrame,
    *,
    as_of: date,
    today: date | None = None,
) -> list[Reading]:
    """Read each rule's condition: which alerts are in the firing state.

    Pure: frames and dates in, readings out; nothing is read from the clock, the files or
    the database, and the frames are not changed.

    Parameters
    ----------
    rules : iterable of AlertRule
    participants, milestones, targets : pandas.DataFrame
        In the import format, every region the rules name (the whole programme for a rule
        without regions).
    imports : pandas.DataFrame
        The import history (:func:`ete_metrics.data.db.load_imports`: ``imported_at`` and
        ``extract_date``), for :data:`NO_IMPORT` rules.
    as_of : datetime.date
        The date the figures are as at.
    today : datetime.date, optional
        The day of the run, for :data:`NO_IMPORT` rules (default ``as_of``).

    Returns
    -------
    list of Reading
        One per rule, in order.
    """
    from ete_metrics.counting.filters import filter_participants, milestones_for
    from ete_metrics.metrics.funnel import funnel
    from ete_metrics.metrics.targets import target_summary

    day = today if today is not None else as_of
    summaries: dict[tuple[str, ...] | None, pd.DataFrame | None] = {}
    funnels: dict[tuple[str, ...] | None, pd.DataFrame] = {}
    out: list[Reading] = []
    for rule in rules:
        if rule.condition == NO_IMPORT:
            out.append(_import_reading(rule, imports, day))
            continue
        if rule.condition == RED:
            if rule.regions not in summaries:
                try:
                    summaries[rule.regions] = target_summary(
                        participants, milestones, targets, as_of=as_of, regions=rule.regions
                    )
                except InputError:  # as at a date before the contract started
                    summaries[rule.regions] = None
            summary = summaries[rule.regions]
            if summary is None:
                out.append(Reading(rule, None, "The as-at date is before the contract started."))
            else:
                out.append(_rag_reading(rule, summary))
            continue
        if rule.regions not in funnels:
            people = participants
            if rule.regions is not None:
                people = filter_participants(participants, regions=rule.regions)
            funnels[rule.regions] = funnel(
                people, milestones_for(people, milestones), as_of=as_of, include_sustained=True
            )
        out.append(_rate_reading(rule, funnels[rule.regions]))
    return out


# ---------------------------------------------------------------------------
# The message, and a run: evaluate, fire what changed, store the states
# ---------------------------------------------------------------------------


def alert_message(
    reading: Reading,
    to: Access,
    settings: SmtpSettings,
    *,
    as_of: date,
    when: datetime | None = None,
    source: str = "",
) -> EmailMessage:
    """The email an alert sends each recipient when it fires: the rule, its scope, the as-at
    date and the figures behind it (counts and dates only, no identifier)."""
    from ete_metrics.present.formatting import uk_date

    rule = reading.rule
    body = [
        f'The alert "{rule.rule}" for {rule.scope} has fired.',
        "",
        f"As at {uk_date(as_of)}: {reading.words}",
        "",
        "It will not fire again until this has changed back and then happens again.",
        f"Alert {rule.number}{' of ' + Path(source).name if source else ''}, sent by the ETE "
        "Outcomes dashboard.",
    ]
    return compose(
        settings,
        to=to.email,
        subject=f"ETE alert: {rule.rule} ({rule.scope})",
        body="\n".join(body) + "\n",
        when=when,
    )


@dataclass
class AlertRun:
    """What a run of the alerts did, in sentences for the command line and the Data page.

    Attributes
    ----------
    fired : list of str
        One per alert that fired (sent to at least one recipient).
    changed_back : list of str
        One per alert whose state changed back to not firing.
    refused : list of str
        One per recipient refused (:func:`recipients`).
    problems : list of str
        What went wrong (an unreadable file, a failed send): the run's other alerts went on.
    would_fire : list of str
        With ``dry_run``: the alerts that would fire.
    """

    fired: list[str] = field(default_factory=list)
    changed_back: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    would_fire: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing went wrong (refused recipients are reported, not failures)."""
        return not self.problems

    def lines(self) -> list[str]:
        """Everything to report, one sentence each (empty when nothing happened)."""
        return [
            *(f"Alert fired: {line}" for line in self.fired),
            *(f"Alert would fire (dry run, nothing sent): {line}" for line in self.would_fire),
            *(f"Alert back to normal: {line}" for line in self.changed_back),
            *(f"Alert recipient refused: {line}" for line in self.refused),
            *(f"Alert problem: {line}" for line in self.problems),
        ]


def _counted(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def run_alerts(
    engine: Any,
    rules: Sequence[AlertRule],
    listed: AccessList | None,
    *,
    as_of: date,
    today: date,
    now: datetime,
    trigger: str,
    environ: Mapping[str, str],
    source: str = "",
    dry_run: bool = False,
    frames: Mapping[str, pd.DataFrame] | None = None,
) -> AlertRun:
    """Evaluate the rules on the database's data, fire the alerts that changed into firing.

    For each rule with a recipient allowed (:func:`recipients`): its reading
    (:func:`evaluate_alerts`). When it fires and its stored state was not firing, the state
    is claimed (:func:`ete_metrics.data.db.claim_alert`), an email sent to each recipient
    (:func:`ete_metrics.delivery.mail.send_messages`), and the alert recorded with an audit
    row per recipient told (:func:`ete_metrics.data.db.record_alert_fired`). When no email
    could be sent, the claim is released, so the next run tries again. A reading that no
    longer fires stores the state back to not firing; one that cannot be made changes nothing.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    rules : sequence of AlertRule
    listed : AccessList or None
        The access file (None: it could not be read; every recipient is refused).
    as_of : datetime.date
        The date the figures are as at.
    today : datetime.date
        The day of the run (for :data:`NO_IMPORT`).
    now : datetime.datetime
        The time of the run (UTC), recorded.
    trigger : str
        What ran it: ``"import #12"``, ``"deliver"``, ``"alerts"``.
    environ : mapping
        The mail server's settings (``ETE_SMTP_*``, :meth:`SmtpSettings.from_env`), read
        only when an alert fires.
    source : str
        The subscriptions file (named in the email).
    dry_run : bool
        Evaluate and say what would fire; send and store nothing.
    frames : mapping, optional
        ``participants``, ``milestones``, ``targets``, ``imports`` already loaded (else loaded
        here, only those the rules need).

    Returns
    -------
    AlertRun
    """
    from ete_metrics.data import audit, db
    from ete_metrics.data import frames as formats

    run = AlertRun()
    checked: list[tuple[AlertRule, list[Access]]] = []
    for rule in rules:
        allowed, refused = recipients(rule, listed)
        run.refused.extend(refused)
        if allowed:
            checked.append((rule, allowed))
    if not checked:
        return run
    loaded = dict(frames or {})
    if any(rule.condition != NO_IMPORT for rule, _ in checked) and "participants" not in loaded:
        # only the columns the RAG and the funnel's rates read (a third less to load)
        loaded["participants"] = db.load_participants(engine, columns=_PARTICIPANT_COLUMNS)
        loaded["milestones"] = db.load_milestones(engine)
        loaded["targets"] = db.load_targets(engine)
    if any(rule.condition == NO_IMPORT for rule, _ in checked) and "imports" not in loaded:
        loaded["imports"] = db.load_imports(engine)
    readings = evaluate_alerts(
        [rule for rule, _ in checked],
        loaded.get("participants", formats.empty_participants()),
        loaded.get("milestones", formats.empty_milestones()),
        loaded.get("targets", formats.empty_targets()),
        loaded.get("imports", pd.DataFrame({"imported_at": [], "extract_date": []})),
        as_of=as_of,
        today=today,
    )
    states = db.alert_states(engine)
    settings: SmtpSettings | DeliveryError | None = None
    for (rule, allowed), reading in zip(checked, readings, strict=True):
        was = states.get(rule.key, False)
        said = f"alert {rule.number}, {rule.rule} ({rule.scope}): {reading.words}"
        if reading.firing is None or reading.firing == was:
            continue
        if not reading.firing:
            if dry_run:
                said += " (dry run: not stored)"
            else:
                db.release_alert(engine, key=rule.key, rule=rule.rule, as_of=as_of, at=now)
            run.changed_back.append(said)
            continue
        if dry_run:
            run.would_fire.append(f"{said} To {_counted(len(allowed), 'recipient')}.")
            continue
        if settings is None:
            try:
                settings = SmtpSettings.from_env(environ)
            except DeliveryError as exc:
                settings = exc
        if isinstance(settings, DeliveryError):
            run.problems.append(
                f"{said} It was not sent: {settings} It will be tried at the next run."
            )
            continue
        if not db.claim_alert(engine, key=rule.key, rule=rule.rule, as_of=as_of, at=now):
            continue  # another run fired it a moment ago
        messages = [
            alert_message(reading, access, settings, as_of=as_of, when=now, source=source)
            for access in allowed
        ]
        results = send_messages(settings, messages)
        told = [access for access, result in zip(allowed, results, strict=True) if result.sent]
        for position, result in enumerate(results, start=1):
            if not result.sent:
                run.problems.append(
                    f"alert {rule.number}: the email to its allowed recipient {position} was not "
                    f"sent: {result.problem}."
                    + ("" if told else " It will be tried again at the next run.")
                )
        if not told:
            db.release_alert(engine, key=rule.key, rule=rule.rule, as_of=as_of, at=now)
            continue
        rows = [
            db.audit_values(
                occurred_at=now,
                actor=access.email,
                role=access.role,
                action="alert",
                detail=f"alert {rule.number} fired ({trigger}): {rule.rule}, {rule.scope}; {reading.words}",
                filters=audit.export_filters(access, alert_scope=rule.scope, as_of=as_of),
            )
            for access in told
        ]
        db.record_alert_fired(
            engine,
            fired_at=now,
            key=rule.key,
            rule=rule.rule,
            scope=rule.scope,
            as_of=as_of,
            reading=reading.words,
            recipients=len(told),
            trigger=trigger,
            audit=rows,
        )
        run.fired.append(f"{said} Sent to {_counted(len(told), 'recipient')}.")
    return run


def london_day(now: datetime) -> date:
    """The day it is in London at ``now`` (a naive time is taken to be UTC)."""
    stamp = pd.Timestamp(now)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return stamp.tz_convert("Europe/London").date()


def evaluate_after_change(
    engine: Any,
    *,
    now: datetime,
    trigger: str,
    environ: Mapping[str, str] | None = None,
    as_of: date | None = None,
    today: date | None = None,
    dry_run: bool = False,
    path: str | os.PathLike[str] | None = None,
) -> AlertRun:
    """Run the alerts of the subscriptions file after an import (or from ``deliver``).

    Never raises for a problem a user can fix (or a bug in it): an import that called it
    has succeeded whatever happens here, so every problem is returned in
    :attr:`AlertRun.problems` for the caller to report.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    now : datetime.datetime
        The time of the run (UTC; the caller reads the clock). Its day in London is the day
        of the run for :data:`NO_IMPORT` rules.
    trigger : str
        What ran it (``"import #12"``).
    environ : mapping, optional
        The mail server's settings (default ``os.environ``).
    dry_run : bool
        As for :func:`run_alerts`.
    as_of : datetime.date, optional
        The date the figures are as at; default the data's cut-off
        (:func:`ete_metrics.data.db.data_cutoff`, the dashboard's default), or the day of the
        run when that is earlier.
    today : datetime.date, optional
        The day of the run (for :data:`NO_IMPORT`); default ``now``'s day in London.
    path : str or path, optional
        The subscriptions file (default :func:`subscriptions_file_path`).

    Returns
    -------
    AlertRun
        Empty when no subscriptions file exists (no alerts are configured).
    """
    from ete_metrics.data import db
    from ete_metrics.protect.access import read_access_file

    run = AlertRun()
    try:
        rules = read_alerts(path)
        if not rules:
            return run
        try:
            listed: AccessList | None = read_access_file()
        except ConfigError as exc:
            run.problems.append(f"{exc} Every alert's recipients are refused until it can be read.")
            listed = None
        day = today if today is not None else london_day(now)
        figures_as_of = as_of
        if figures_as_of is None:
            cutoff = db.data_cutoff(engine)
            figures_as_of = min(cutoff, day) if cutoff is not None else day
        done = run_alerts(
            engine,
            rules,
            listed,
            as_of=figures_as_of,
            today=day,
            now=now,
            trigger=trigger,
            environ=os.environ if environ is None else environ,
            source=str(subscriptions_file_path(path)),
            dry_run=dry_run,
        )
    except (EteError, OSError) as exc:
        run.problems.append(f"the alerts could not be evaluated: {exc}")
        return run
    except Exception as exc:  # noqa: BLE001 - an alert never breaks the import that ran it
        run.problems.append(
            f"the alerts could not be evaluated (unexpected {type(exc).__name__}); please report it."
        )
        return run
    done.problems[:0] = run.problems
    return done
