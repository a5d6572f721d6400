"""Links are input: every query parameter the app reads, declared once, each read by its kind's rule.

A link (``?as_of=2023-08-16&region=Wales``) is bookmarked, pasted, edited by hand and
written by anyone, so it is read like a file from outside: by one rule per kind of
parameter, and nothing in it may break a page. :data:`PARAMS` declares every query
parameter the app reads: its name in the URL, the label of the control it sets, its
kind, its allowed values (or the data's column they come from), its default, and the
page that reads it (``None``: the shared sidebar's, read on every page). Three kinds,
one rule each:

- :class:`DateParam`: a calendar date written ``YYYY-MM-DD``. A date outside the data's
  range moves to the nearer end of it.
- :class:`ChoiceParam`: one value from a list: a page's option, the open tab (its
  label's slug), a flag (``1`` or ``0``), the audience.
- :class:`ChoicesParam`: any of the values the data holds (regions, pathways,
  delivery partners), the parameter repeated for each.

A malformed, negative, out-of-range, repeated or unknown value is never an error: it is
ignored (a date outside the data moved, a repeated value counted once) and
:attr:`Parsed.notes` says so, naming the parameter and the value. The notes are plain
text holding what the link said, so a page shows them only through
:func:`dashboard.escape.markdown_literal`. Parameters not declared here are left alone.

Nothing here imports Streamlit: the rules are plain functions of the link's texts.
:mod:`dashboard.state` (the sidebar's filters) and :mod:`dashboard.page_state` (the
pages' options) read the URL, apply them and show the notes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from ete_metrics import config
from ete_metrics.present.formatting import uk_date
from ete_metrics.protect.audience import AUDIENCE_LABELS, AUDIENCES, INTERNAL, STAKEHOLDER
from ete_metrics.steps import TRAINING, WORK, label, outcome_steps

__all__ = [
    "PARAMS", "ChoiceParam", "ChoicesParam", "DateParam", "Param", "Parsed", "option_text", "params_for",
    "parse_iso_date", "shown_value", "slug",
]

#: The most characters of a link's value a note repeats (a link can hold kilobytes).
SHOWN_CHARACTERS = 40
#: The most ignored values one note names.
NAMED_VALUES = 5
#: A calendar date as the app writes it in a link (ASCII digits only).
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


# --- What a note shows of a link ------------------------------------------------


def shown_value(text: str) -> str:
    """A link's value as a note names it: invisible characters as escapes, cut at 40 characters.

    Parameters
    ----------
    text : str
        The value as the URL gives it.

    Returns
    -------
    str
        Printable characters as they are; the others (controls, zero-width and direction
        marks, spaces other than the space) as Python escapes (``\\x00``, ``\\u202e``); at
        most :data:`SHOWN_CHARACTERS` characters, a cut one ending in ``…``. Still plain
        text: a page escapes it for Markdown.
    """
    visible = "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text
    )
    if len(visible) <= SHOWN_CHARACTERS:
        return visible
    return visible[: SHOWN_CHARACTERS - 1] + "…"


def _named(name: str, text: str) -> str:
    """``‘region=Nowhere’``: a parameter with one of the link's values."""
    return f"‘{name}={shown_value(text)}’"


def _listed(name: str, texts: Sequence[str]) -> str:
    """Several values of one parameter, the first :data:`NAMED_VALUES` named."""
    named = ", ".join(_named(name, t) for t in texts[:NAMED_VALUES])
    more = len(texts) - NAMED_VALUES
    return named + (f" and {more} more" if more > 0 else "")


def _times(n: int) -> str:
    return "twice" if n == 2 else f"{n} times"


@dataclass(frozen=True)
class Parsed:
    """What a rule made of a parameter's values in a link.

    Attributes
    ----------
    value : Any
        The value to use (the default where the link gives nothing usable).
    notes : tuple of str
        What was ignored, moved or counted once, each naming the parameter and the value.
        Plain text: escape it before Markdown.
    """

    value: Any
    notes: tuple[str, ...] = ()


def _single(name: str, texts: Sequence[str]) -> tuple[str | None, list[str], bool]:
    """The one text of a single-valued parameter: ``(text or None, notes, whether ignored)``.

    The same value repeated counts once; different values cannot all apply, so all are
    ignored.
    """
    distinct = list(dict.fromkeys(texts))
    if not distinct:
        return None, [], False
    if len(distinct) == 1:
        said = [] if len(texts) == 1 else [f"The link gives {_named(name, distinct[0])} {_times(len(texts))}: it counts once."]
        return distinct[0], said, False
    return None, [
        f"The link gives {name} {len(distinct)} different values ({_listed(name, distinct)}); it takes "
        "one, so they are ignored."
    ], True


# --- The kinds ------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    """A query parameter the app reads.

    Attributes
    ----------
    name : str
        Its name in the URL.
    label : str
        The control it sets, as the page labels it (what a note calls it).
    page : str or None
        The page that reads it (``"app_pages/2_funnels.py"``); ``None`` for the shared
        sidebar's, read on every page.
    """

    name: str
    label: str
    page: str | None = None


def parse_iso_date(text: str) -> date | None:
    """The calendar date ``text`` writes as ``YYYY-MM-DD`` (ASCII digits), else ``None``.

    Examples
    --------
    >>> parse_iso_date("2023-08-16")
    datetime.date(2023, 8, 16)
    >>> parse_iso_date("2023-02-30") is None, parse_iso_date("-1") is None
    (True, True)
    """
    if not _ISO_DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:  # 2023-02-30, 0000-01-01
        return None


@dataclass(frozen=True)
class DateParam(Param):
    """A date written ``YYYY-MM-DD`` within the data's range (its kind's rule: :meth:`parse`).

    Attributes
    ----------
    to_cutoff : bool
        The default: ``True``, the data's cut-off (``as_of``); ``False``, not set (an open
        end of the range of entry dates).
    """

    to_cutoff: bool = False

    def default(self, latest: date) -> date | None:
        """The date used when the link gives none (``latest``: the data's cut-off)."""
        return latest if self.to_cutoff else None

    def _instead(self, latest: date) -> str:
        if self.to_cutoff:
            return f"'{self.label}' is the data's cut-off, {uk_date(latest)}."
        return f"'{self.label}' is not set."

    def clamp(self, value: date, earliest: date, latest: date) -> tuple[date, str | None]:
        """``value`` moved into ``earliest``..``latest``, and the note saying so (``None``: inside)."""
        if earliest <= value <= latest:
            return value, None
        kept = min(max(value, earliest), latest)
        return kept, (
            f"'{self.label}' was {uk_date(value)}, outside the data ({uk_date(earliest)} to "
            f"{uk_date(latest)}); {uk_date(kept)} is used instead."
        )

    def parse(self, texts: Sequence[str], *, earliest: date, latest: date) -> Parsed:
        """The date a link's values give.

        Parameters
        ----------
        texts : sequence of str
            Every value the URL gives this parameter, in order.
        earliest, latest : date
            The data's range (its first possible entry and its cut-off).

        Returns
        -------
        Parsed
            The date in the range, or the default (:meth:`default`) for no value, a value
            that is not a date, or several different values.
        """
        text, notes, ignored = _single(self.name, texts)
        if ignored:
            return Parsed(self.default(latest), (f"{notes[0]} {self._instead(latest)}",))
        if text is None:
            return Parsed(self.default(latest))
        value = parse_iso_date(text)
        if value is None:
            notes.append(
                f"The link's {_named(self.name, text)} was ignored: a date is written YYYY-MM-DD, "
                f"such as 2023-08-16. {self._instead(latest)}"
            )
            return Parsed(self.default(latest), tuple(notes))
        kept, moved = self.clamp(value, earliest, latest)
        return Parsed(kept, tuple(notes + ([moved] if moved else [])))


def option_text(value: Any) -> str:
    """An option's text in a link: ``None`` -> ``"none"``, ``True`` -> ``"1"``, ``False`` -> ``"0"``, else ``str``."""
    if value is None:
        return "none"
    if value is True:
        return "1"
    if value is False:
        return "0"
    return str(value)


def slug(text: str) -> str:
    """A tab's label in a link: ``"Month by month"`` -> ``"month-by-month"``."""
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


_AS_DEFAULT = object()


@dataclass(frozen=True)
class ChoiceParam(Param):
    """One value from a list (its kind's rule: :meth:`parse`).

    Attributes
    ----------
    listed : tuple, or a function giving one
        The values, as the control returns them; a function where they come from the
        vocabulary (read when the page runs, so a step added there is offered).
    default : Any
        The value without a link (one of :attr:`options`).
    text : callable
        An option's text in the link (:func:`option_text`, :func:`slug`...).
    describe : callable
        An option's words on screen (the control's ``format_func``).
    instead : Any
        The value an ignored value gives, where it is not the default: an audience the
        link does not name clearly gets the protected view.
    why_instead : str
        Why, in a note (after the option it gives).
    """

    listed: tuple[Any, ...] | Callable[[], tuple[Any, ...]] = ()
    default: Any = None
    text: Callable[[Any], str] = option_text
    describe: Callable[[Any], str] = str
    instead: Any = _AS_DEFAULT
    why_instead: str = ""

    @property
    def options(self) -> tuple[Any, ...]:
        """The values, as the control returns them."""
        return tuple(self.listed()) if callable(self.listed) else self.listed

    def to_text(self, value: Any) -> str:
        """``value``'s text in a link."""
        return self.text(value)

    def _fallback(self) -> Any:
        return self.default if self.instead is _AS_DEFAULT else self.instead

    def _instead(self) -> str:
        return f"'{self.label}' is {self.describe(self._fallback())}{self.why_instead}."

    def parse(self, texts: Sequence[str], *, offered: Sequence[Any] | None = None) -> Parsed:
        """The option a link's values give.

        Parameters
        ----------
        texts : sequence of str
            Every value the URL gives this parameter, in order.
        offered : sequence, optional
            The options the page offers now, where fewer than :attr:`options` (a tab
            shown to some audiences only).

        Returns
        -------
        Parsed
            The option whose text the link gives; the default for none; :attr:`instead`
            for one not offered, or for several different values.
        """
        choices = tuple(self.options if offered is None else offered)
        text, notes, ignored = _single(self.name, texts)
        if ignored:
            return Parsed(self._fallback(), (f"{notes[0]} {self._instead()}",))
        if text is None:
            return Parsed(self.default)
        for option in choices:
            if self.text(option) == text:
                return Parsed(option, tuple(notes))
        allowed = ", ".join(self.text(option) for option in choices)
        notes.append(
            f"The link's {_named(self.name, text)} was ignored: {self.name} is one of {allowed}. {self._instead()}"
        )
        return Parsed(self._fallback(), tuple(notes))


@dataclass(frozen=True)
class ChoicesParam(Param):
    """Any of the values in one of the data's columns, the parameter repeated for each (rule: :meth:`parse`).

    Attributes
    ----------
    column : str
        The participants' column whose values are allowed (those of the data loaded,
        which holds only the regions the user may see).
    noun : str
        One value's kind, in a note (``"region"``).
    """

    column: str = ""
    noun: str = ""

    def parse(self, texts: Sequence[str], *, allowed: Sequence[str], everyone: str) -> Parsed:
        """The values a link gives that the data holds, each once, in the link's order.

        Parameters
        ----------
        texts : sequence of str
            Every value the URL gives this parameter, in order.
        allowed : sequence of str
            The values the data holds.
        everyone : str
            What no value chosen means, for a note (``"all regions, the whole programme"``).

        Returns
        -------
        Parsed
            A tuple of the values the data holds (empty: no restriction). A repeated value
            counts once; a value the data does not hold is ignored, and the note says when
            that leaves no value, so a link meant for one region is never silently read as
            one for all of them.
        """
        known = set(allowed)
        times: dict[str, int] = {}
        unknown: list[str] = []
        for text in texts:
            if text in known:
                times[text] = times.get(text, 0) + 1
            elif text not in unknown:
                unknown.append(text)
        notes = [
            f"The link gives {_named(self.name, text)} {_times(n)}: it counts once."
            for text, n in times.items() if n > 1
        ]
        if unknown:
            notes.append(
                f"The link's {_listed(self.name, unknown)} {'was' if len(unknown) == 1 else 'were'} ignored: "
                f"no {self.noun} of {'that name' if len(unknown) == 1 else 'those names'} is in the data you can see."
                + ("" if times else f" No other {self.noun} is chosen, so the figures are for {everyone}.")
            )
        return Parsed(tuple(times), tuple(notes))


def flag(name: str, label: str, *, page: str) -> ChoiceParam:
    """A check box's parameter: ``1`` on, ``0`` off (the default)."""
    return ChoiceParam(name, label, page, listed=(False, True), default=False,
                       describe=lambda on: "on" if on else "off")


def tab(name: str, labels: Sequence[str], *, page: str) -> ChoiceParam:
    """The open tab of a page drawn a tab at a time: its label's :func:`slug`, the first by default."""
    return ChoiceParam(name, "Open tab", page, listed=tuple(labels), default=labels[0], text=slug,
                       describe=lambda shown: f"‘{shown}’")


# --- Every parameter the app reads ------------------------------------------------

OVERVIEW = "app_pages/1_overview.py"
FUNNELS = "app_pages/2_funnels.py"
COHORTS = "app_pages/4_cohorts.py"
EQUALITY = "app_pages/6_equality.py"


AS_OF = DateParam("as_of", "Figures as at", to_cutoff=True)
DATE_FROM = DateParam("from", "Entered from")
DATE_TO = DateParam("to", "Entered to")
REGION = ChoicesParam("region", "Regions", column="region", noun="region")
PATHWAY = ChoicesParam("pathway", "Pathways", column="pathway", noun="pathway")
PARTNER = ChoicesParam("partner", "Delivery partners", column="delivery_partner", noun="delivery partner")
AUDIENCE = ChoiceParam(
    "audience", "Audience", listed=AUDIENCES, default=INTERNAL, describe=AUDIENCE_LABELS.__getitem__,
    instead=STAKEHOLDER, why_instead=": a link that does not name one audience gets the protected figures",
)

#: The Overview's tabs, the first open by default.
OVERVIEW_TABS = ("Entry to training and work", "Month by month", "Targets by region", "Forecast to the end")
OVERVIEW_TAB = tab("overview_tab", OVERVIEW_TABS, page=OVERVIEW)

#: The conversion windows a page offers, in days (``None``: all follow-up to date).
WINDOWS: tuple[int | None, ...] = (None, 30, 90, 182, 365)


def window_words(days: int | None) -> str:
    """A conversion window on screen."""
    return "None (all follow-up to date)" if days is None else f"{days} days"


#: The Funnels page's orders of milestones: value -> words.
ORDERS = {"any": "Any order", "ordered": "Training before work"}
#: The Funnels page's breakdowns; None = no breakdown.
BREAKDOWNS: tuple[str | None, ...] = (None, *config.GROUPING_COLUMNS, *config.COHORT_COLUMNS)
#: The Funnels page's tabs (the follow-up list for the internal audience only).
FUNNELS_TABS = ("Entry to training and work", "Drop-off between steps", "From referral", "Follow-up list")
FUNNELS_ORDER = ChoiceParam("order", "Order of milestones", FUNNELS, listed=tuple(ORDERS), default="any",
                            describe=ORDERS.__getitem__)
FUNNELS_WINDOW = ChoiceParam("window", "Conversion window", FUNNELS, listed=WINDOWS, default=None,
                             describe=window_words)
FUNNELS_BY = ChoiceParam("by", "Break down by", FUNNELS, listed=BREAKDOWNS, default=None,
                         describe=lambda key: "No breakdown" if key is None else label(key))
FUNNELS_SUSTAINED = flag("sustained", "Show sustained work", page=FUNNELS)
FUNNELS_TAB = tab("funnels_tab", FUNNELS_TABS, page=FUNNELS)

#: The Cohorts page's cohorts: words -> value.
COHORT_CHOICES = {"Quarter of entry": "entry_quarter", "Month of entry": "entry_month"}
#: The Cohorts page's outcomes: words -> value.
OUTCOME_CHOICES = {"Training": TRAINING.name, "Work": WORK.name}
COHORTS_COHORT = ChoiceParam("cohort", "Cohorts by", COHORTS, listed=tuple(COHORT_CHOICES),
                             default="Quarter of entry", text=COHORT_CHOICES.__getitem__)
COHORTS_OUTCOME = ChoiceParam("outcome", "Outcome", COHORTS, listed=tuple(OUTCOME_CHOICES), default="Training",
                              text=OUTCOME_CHOICES.__getitem__)

def equality_steps() -> tuple[str, ...]:
    """The Equality page's outcomes: every step after entry in the vocabulary, work first (the default)."""
    return (WORK.name, *(step for step in outcome_steps() if step != WORK.name))


#: The Equality page's windows (the first: none).
EQUALITY_WINDOWS = ("Any time", "Within 90 days", "Within 180 days", "Within 365 days")


def _equality_window_text(words: str) -> str:
    """An Equality window in a link: ``"90"`` for "Within 90 days", ``"none"`` for any time."""
    return "none" if words == EQUALITY_WINDOWS[0] else words.split()[1]


EQUALITY_OUTCOME = ChoiceParam("outcome", "Outcome", EQUALITY, listed=equality_steps, default=WORK.name,
                               describe=label)
EQUALITY_WINDOW = ChoiceParam("window", "Time allowed since entry", EQUALITY, listed=EQUALITY_WINDOWS,
                              default=EQUALITY_WINDOWS[0], text=_equality_window_text)

#: Every query parameter the app reads.
PARAMS: tuple[Param, ...] = (
    AS_OF, DATE_FROM, DATE_TO, REGION, PATHWAY, PARTNER, AUDIENCE,
    OVERVIEW_TAB,
    FUNNELS_ORDER, FUNNELS_WINDOW, FUNNELS_BY, FUNNELS_SUSTAINED, FUNNELS_TAB,
    COHORTS_COHORT, COHORTS_OUTCOME,
    EQUALITY_OUTCOME, EQUALITY_WINDOW,
)


def params_for(page: str) -> tuple[Param, ...]:
    """The parameters a page reads: the sidebar's and its own.

    Parameters
    ----------
    page : str
        The page's file, relative to the app (``"app_pages/2_funnels.py"``).
    """
    return tuple(p for p in PARAMS if p.page in (None, page))
