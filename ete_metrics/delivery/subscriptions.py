"""The subscriptions file: who is sent which pack, how often (issue 29).

A TOML file (``ETE_SUBSCRIPTIONS_FILE``, by default ``subscriptions.toml`` beside the
access file) of ``[[subscription]]`` entries, and the ``[[alert]]`` rules, which
:mod:`ete_metrics.delivery` leaves to the alerts' own parser (``alerts`` here, as read)::

    [[subscription]]
    to = "director@example.org"     # a user of the access file: their scope and audience
    format = ["pdf", "xlsx"]        # pdf, pptx, xlsx, or a list of them
    every = "month"                 # month, quarter or week
    working_day = 5                 # month, quarter: the Nth working day after it ends
    regions = ["Wales"]             # optional: narrower than their access, never wider

Each kind of value is read by one rule; every error names the file, the entry
(``subscription 3``, counted from 1 in the file's order) and the key, and says what to
fix (:class:`~ete_metrics.errors.DeliveryError`). A recipient is a user: ``to`` is read
by :func:`ete_metrics.protect.access.parse_email` and resolved by the access file
(:func:`recipient_access`), so an address the file does not list gets nothing, and a
recipient gets their own scope and audience, never more (:func:`recipient_regions`).

Reading the file is the only I/O; nothing here reads the clock.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ete_metrics import config
from ete_metrics.errors import DeliveryError, EteError, InputError
from ete_metrics.protect.access import Access, AccessList, access_file_path, parse_email
from ete_metrics.protect.audience import INTERNAL, check_stakeholder_scope

__all__ = [
    "DEFAULT_WORKING_DAY",
    "EVERY",
    "FORMATS",
    "MAX_WORKING_DAY",
    "SUBSCRIPTIONS_FILE_SETTING",
    "TOP_LEVEL_KEYS",
    "Subscription",
    "SubscriptionFile",
    "entry_error",
    "parse_formats",
    "parse_recipient",
    "parse_regions",
    "parse_subscriptions",
    "read_subscriptions",
    "recipient_access",
    "recipient_regions",
    "subscriptions_file_path",
]

#: The setting naming the subscriptions file.
SUBSCRIPTIONS_FILE_SETTING = "ETE_SUBSCRIPTIONS_FILE"
#: The file's name beside the access file when the setting is not given.
DEFAULT_FILE_NAME = "subscriptions.toml"
#: The tables the file may hold: ``[[subscription]]`` and ``[[alert]]``.
TOP_LEVEL_KEYS: tuple[str, ...] = ("subscription", "alert")
#: The formats of a pack, as ``python -m ete_metrics report --format`` takes them.
FORMATS: tuple[str, ...] = ("pdf", "pptx", "xlsx")
#: How often a pack is sent.
EVERY: tuple[str, ...] = ("month", "quarter", "week")
#: The keys of a ``[[subscription]]`` entry.
SUBSCRIPTION_KEYS: tuple[str, ...] = ("to", "format", "every", "working_day", "regions")
#: ``working_day`` when a month's or a quarter's entry leaves it out.
DEFAULT_WORKING_DAY = 1
#: The latest working day a pack may wait for (a month has at least 19).
MAX_WORKING_DAY = 19


def entry_error(
    source: str, kind: str, number: int, key: str | None, problem: str
) -> DeliveryError:
    """The error of one entry: ``"subscriptions.toml: subscription 3: every is ...; use ..."``.

    Parameters
    ----------
    source : str
        The file.
    kind : str
        The entry's table (``"subscription"``, ``"alert"``).
    number : int
        Its place among the file's entries of that kind, from 1.
    key : str or None
        The key at fault (None: the entry as a whole).
    problem : str
        What is wrong and what to do, starting with the key's subject (``"is 'daily'; use ..."``).

    Returns
    -------
    DeliveryError
    """
    where = f"{source}: {kind} {number}"
    return DeliveryError(f"{where}: {key} {problem}" if key else f"{where}: {problem}")


@dataclass(frozen=True)
class Subscription:
    """One ``[[subscription]]`` entry, checked.

    Attributes
    ----------
    number : int
        Its place among the file's subscriptions, from 1 (``"subscription 3"`` in messages).
    to : str
        The recipient's email (:func:`~ete_metrics.protect.access.parse_email`: lower case).
    formats : tuple of str
        Each of :data:`FORMATS` once, in the order given.
    every : str
        One of :data:`EVERY`.
    working_day : int
        For a month or a quarter, the working day after it ends on which its pack is due;
        a week's pack is due on the first working day after the week (1).
    regions : tuple of str or None
        The regions asked for (canonical spelling), or None for all the recipient may see.
    """

    number: int
    to: str
    formats: tuple[str, ...]
    every: str
    working_day: int = DEFAULT_WORKING_DAY
    regions: tuple[str, ...] | None = None

    @property
    def name(self) -> str:
        """``"subscription 3"``: how messages name the entry (never by its address)."""
        return f"subscription {self.number}"

    @property
    def key(self) -> str:
        """What makes a period's pack the same pack: the address, the period's length, the
        formats in any order and the regions (``"month|pdf,xlsx|Wales"``). The delivery record is kept
        by it, so changing the working day does not send a period again, while asking for
        another format or other regions does."""
        regions = ",".join(self.regions) if self.regions else "*"
        return f"{self.every}|{','.join(sorted(self.formats))}|{regions}"


@dataclass(frozen=True)
class SubscriptionFile:
    """The parsed subscriptions file.

    Attributes
    ----------
    source : str
        The file read (for messages).
    subscriptions : tuple of Subscription
        In the file's order.
    alerts : tuple of mapping
        The ``[[alert]]`` tables as read (checked by the alerts' own parser).
    """

    source: str
    subscriptions: tuple[Subscription, ...] = ()
    alerts: tuple[Mapping[str, Any], ...] = ()


def subscriptions_file_path(
    explicit: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None
) -> Path:
    """Resolve the subscriptions file's path.

    Parameters
    ----------
    explicit : str or path, optional
        A path given by the caller; wins when set.
    environ : mapping, optional
        The settings (default ``os.environ``).

    Returns
    -------
    pathlib.Path
        ``explicit``, else ``ETE_SUBSCRIPTIONS_FILE``, else ``subscriptions.toml`` in the
        access file's folder (:func:`ete_metrics.protect.access.access_file_path`).
    """
    if explicit:
        return Path(explicit)
    settings = os.environ if environ is None else environ
    named = settings.get(SUBSCRIPTIONS_FILE_SETTING, "").strip()
    if named:
        return Path(named)
    access = settings.get("ETE_ACCESS_FILE", "").strip()
    return (Path(access) if access else access_file_path()).parent / DEFAULT_FILE_NAME


# --------------------------------------------------------------------------- one rule per kind


def parse_recipient(value: object, *, source: str, kind: str, number: int, key: str = "to") -> str:
    """An entry's recipient: one email address (:func:`~ete_metrics.protect.access.parse_email`)."""
    try:
        return parse_email(value, what=key)
    except InputError:
        raise entry_error(
            source,
            kind,
            number,
            key,
            "is not an email address: give the email the person signs in with, as the access "
            'file lists it, e.g. to = "lead.wales@example.org".',
        ) from None


def parse_formats(
    value: object, *, source: str, kind: str, number: int, key: str = "format"
) -> tuple[str, ...]:
    """``"pdf"`` or ``["pdf", "xlsx"]``: each of :data:`FORMATS` at most once, at least one."""
    advice = f'use {", ".join(FORMATS[:-1])} or {FORMATS[-1]}, or a list of them, e.g. {key} = ["pdf", "xlsx"].'
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values:
        raise entry_error(source, kind, number, key, f"is {value!r}; {advice}")
    out: list[str] = []
    for item in values:
        fmt = item.strip().lower() if isinstance(item, str) else item
        if fmt not in FORMATS:
            raise entry_error(
                source, kind, number, key, f"names an unknown format {item!r}; {advice}"
            )
        if fmt in out:
            raise entry_error(
                source, kind, number, key, f"names {fmt} twice; give each format once."
            )
        out.append(str(fmt))
    return tuple(out)


def parse_every(value: object, *, source: str, kind: str, number: int, key: str = "every") -> str:
    """``"month"``, ``"quarter"`` or ``"week"``."""
    every = value.strip().lower() if isinstance(value, str) else value
    if every not in EVERY:
        raise entry_error(
            source,
            kind,
            number,
            key,
            f'is {value!r}; use "month", "quarter" or "week", e.g. {key} = "month".',
        )
    return str(every)


def parse_working_day(
    value: object, *, source: str, kind: str, number: int, key: str = "working_day"
) -> int:
    """A whole number from 1 to :data:`MAX_WORKING_DAY`."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_WORKING_DAY:
        raise entry_error(
            source,
            kind,
            number,
            key,
            f"is {value!r}; give the working day after the period ends on which the pack is due, "
            f"a whole number from 1 to {MAX_WORKING_DAY} (e.g. {key} = 5 for the fifth).",
        )
    return value


def parse_regions(
    value: object, *, source: str, kind: str, number: int, key: str = "regions"
) -> tuple[str, ...]:
    """A list of the contract's regions (:func:`ete_metrics.config.regions`), any case, at least one."""
    known = config.regions()
    example = f'{key} = ["{known[-1]}"]' if known else f'{key} = ["Wales"]'
    if isinstance(value, str) or not isinstance(value, list) or not value:
        raise entry_error(
            source,
            kind,
            number,
            key,
            f"is {value!r}; give a list of one or more region names, e.g. {example}.",
        )
    by_lower = {region.casefold(): region for region in known}
    out: list[str] = []
    for item in value:
        region = by_lower.get(item.strip().casefold()) if isinstance(item, str) else None
        if region is None:
            raise entry_error(
                source,
                kind,
                number,
                key,
                f"names an unknown region {item!r}; use one of {', '.join(known)}.",
            )
        if region not in out:
            out.append(region)
    return tuple(out)


def _subscription(entry: object, *, source: str, number: int) -> Subscription:
    kind = "subscription"
    if not isinstance(entry, dict):
        raise entry_error(source, kind, number, None, "must be a [[subscription]] table of keys.")
    unknown = [key for key in entry if key not in SUBSCRIPTION_KEYS]
    if unknown:
        raise entry_error(
            source,
            kind,
            number,
            unknown[0],
            f"is not a key of a subscription; use {', '.join(SUBSCRIPTION_KEYS)}.",
        )
    for key in ("to", "format", "every"):
        if key not in entry:
            raise entry_error(
                source,
                kind,
                number,
                key,
                "is missing; every subscription names to, format and every.",
            )
    where: dict[str, Any] = {"source": source, "kind": kind, "number": number}
    to = parse_recipient(entry["to"], **where)
    formats = parse_formats(entry["format"], **where)
    every = parse_every(entry["every"], **where)
    working_day = DEFAULT_WORKING_DAY
    if "working_day" in entry:
        if every == "week":
            raise entry_error(
                source,
                kind,
                number,
                "working_day",
                "applies to a month or a quarter; a week's pack is sent on the first working day "
                "after the week. Remove working_day, or send it every month or quarter.",
            )
        working_day = parse_working_day(entry["working_day"], **where)
    regions = parse_regions(entry["regions"], **where) if "regions" in entry else None
    return Subscription(
        number=number, to=to, formats=formats, every=every, working_day=working_day, regions=regions
    )


def parse_subscriptions(text: str, *, source: str = DEFAULT_FILE_NAME) -> SubscriptionFile:
    """Parse and check the subscriptions file's TOML text.

    Parameters
    ----------
    text : str
        The file's contents.
    source : str
        The file's name, for messages.

    Returns
    -------
    SubscriptionFile
        The subscriptions, and the alert tables as read.

    Raises
    ------
    DeliveryError
        The TOML is malformed; the file holds a table other than ``subscription`` and
        ``alert``, or one of them is not a list of tables; an entry has an unknown key, a
        missing ``to``, ``format`` or ``every``, or a value that is not what its key takes.
        The message names the file, the entry and the key.
    """
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DeliveryError(
            f"{source} is not valid TOML: {exc}. Fix the file and try again."
        ) from None
    unknown = [key for key in document if key not in TOP_LEVEL_KEYS]
    if unknown:
        raise DeliveryError(
            f"{source}: {unknown[0]} is not a table of the subscriptions file; it holds "
            "[[subscription]] and [[alert]] entries only (check the spelling and the double brackets)."
        )
    tables: dict[str, list[Any]] = {}
    for kind in TOP_LEVEL_KEYS:
        entries = document.get(kind, [])
        if not isinstance(entries, list):
            raise DeliveryError(
                f"{source}: {kind} must be written [[{kind}]] (double brackets), one per entry."
            )
        tables[kind] = entries
    subscriptions = tuple(
        _subscription(entry, source=source, number=number)
        for number, entry in enumerate(tables["subscription"], start=1)
    )
    return SubscriptionFile(
        source=source, subscriptions=subscriptions, alerts=tuple(tables["alert"])
    )


def read_subscriptions(path: str | os.PathLike[str] | None = None) -> SubscriptionFile:
    """Read and check the subscriptions file (:func:`parse_subscriptions`).

    Parameters
    ----------
    path : str or path, optional
        Default :func:`subscriptions_file_path`.

    Raises
    ------
    DeliveryError
        The file is missing, unreadable or invalid.
    """
    resolved = subscriptions_file_path(path)
    try:
        text = resolved.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DeliveryError(
            f"The subscriptions file {resolved} does not exist. Copy subscriptions.example.toml to "
            f"it and list who is sent what (or set {SUBSCRIPTIONS_FILE_SETTING} to its path)."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DeliveryError(f"Cannot read the subscriptions file {resolved}: {exc}.") from None
    return parse_subscriptions(text, source=str(resolved))


# --------------------------------------------------------------------------- who gets what


def recipient_access(
    access_list: AccessList, email: str, *, source: str, kind: str, number: int, key: str = "to"
) -> Access:
    """The access of an entry's recipient: exactly theirs, refused when the access file does not list them.

    Raises
    ------
    DeliveryError
        The access file does not list the address (the message names the entry, not the address).
    """
    access = access_list.lookup(email)
    if access is None:
        raise entry_error(
            source,
            kind,
            number,
            key,
            f"is not in the access file {access_list.source}, so nothing is sent to them: add them "
            "there with their role, or remove the entry.",
        )
    return access


def recipient_regions(
    access: Access,
    requested: Sequence[str] | None,
    *,
    source: str,
    kind: str,
    number: int,
    key: str = "regions",
) -> tuple[str, ...] | None:
    """The regions of a recipient's pack: ``requested`` within their access, never wider.

    Returns
    -------
    tuple of str or None
        ``requested``, or the recipient's own regions when nothing was requested (None: all).

    Raises
    ------
    DeliveryError
        A requested region is outside the recipient's access; or a stakeholder's pack would
        cover some regions but not all (a stakeholder publication covers the whole programme
        or one region).
    """
    if requested and access.regions is not None:
        outside = [region for region in requested if region not in access.regions]
        if outside:
            raise entry_error(
                source,
                kind,
                number,
                key,
                f"names {', '.join(outside)}, outside what the recipient may see "
                f"({', '.join(access.regions)}); a pack is never wider than its recipient's "
                "access. Narrow regions, or widen their access in the access file.",
            )
    regions = access.check_regions(requested)
    if access.audience(INTERNAL) != INTERNAL:
        try:
            check_stakeholder_scope(regions)
        except EteError as exc:
            raise entry_error(
                source, kind, number, key, f"does not suit a stakeholder: {exc}"
            ) from None
    return regions
