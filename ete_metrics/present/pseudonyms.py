"""A stored pseudonym as a short name a person can say aloud ("Heron 27").

A caseworker is stored only as a keyed pseudonym (64 hexadecimal characters, or any
text the extract gives that is not an address): right for joining, unreadable on a
screen or over the phone. :func:`spoken_names` gives each pseudonym of a list a short
name made from it alone: a word and a two-digit number chosen by the SHA-256 of the
stored pseudonym. So the name is stable (the same pseudonym, the same name, on every
page and day), still keyed (it is a function of the keyed pseudonym, never of an
identifier), and says nothing about the person. Two pseudonyms of one list that would
share a name get longer names (a four-digit number, then more), so a name in a list
always means one caseworker.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable

__all__ = ["WORDS", "spoken_name", "spoken_names"]

#: Short, distinct words, easy to say and to hear (64: six bits of the hash each).
WORDS: tuple[str, ...] = (
    "Alder", "Aspen", "Badger", "Beech", "Birch", "Bittern", "Bramble", "Brook",
    "Cedar", "Clover", "Comet", "Coral", "Crane", "Cricket", "Cypress", "Dove",
    "Eagle", "Elm", "Falcon", "Fern", "Finch", "Fox", "Garnet", "Gull",
    "Hare", "Hazel", "Heron", "Holly", "Ivy", "Jasper", "Juniper", "Kestrel",
    "Lark", "Laurel", "Linnet", "Lynx", "Maple", "Marten", "Meadow", "Merlin",
    "Moss", "Nettle", "Oak", "Osprey", "Otter", "Owl", "Pebble", "Pine",
    "Plover", "Poplar", "Quail", "Raven", "Reed", "Robin", "Rowan", "Sage",
    "Sparrow", "Swift", "Thistle", "Thrush", "Tern", "Willow", "Wren", "Yew",
)


def _number(pseudonym: str) -> int:
    return int.from_bytes(hashlib.sha256(pseudonym.encode("utf-8")).digest(), "big")


def spoken_name(pseudonym: str, *, digits: int = 2) -> str:
    """The short name of one stored pseudonym: a word of :data:`WORDS` and ``digits`` digits.

    Examples
    --------
    >>> spoken_name("a" * 64) == spoken_name("a" * 64)
    True
    >>> len(spoken_name("a" * 64).split()[1])
    2
    """
    n = _number(pseudonym)
    word = WORDS[n % len(WORDS)]
    low = 10 ** (digits - 1)
    return f"{word} {low + (n // len(WORDS)) % (10 ** digits - low)}"


def spoken_names(pseudonyms: Iterable[object]) -> dict[str, str]:
    """Each distinct pseudonym of a list with its short name, no two pseudonyms sharing one.

    Parameters
    ----------
    pseudonyms : iterable
        Stored pseudonyms (missing values and empty texts are left out).

    Returns
    -------
    dict of str to str
        Pseudonym -> its name (:func:`spoken_name`); pseudonyms whose two-digit names
        clash get more digits until no two of the list share a name.
    """
    distinct = sorted({str(p) for p in pseudonyms if isinstance(p, str) and p != ""})
    names: dict[str, str] = {}
    pending = distinct
    digits = 2
    while pending:
        tried = {p: spoken_name(p, digits=digits) for p in pending}
        uses = Counter(tried.values())
        taken = set(names.values())
        clashing = {name for name, n in uses.items() if n > 1 or name in taken}
        for pseudonym, name in tried.items():
            if name not in clashing:
                names[pseudonym] = name
        pending = [p for p in pending if p not in names]
        digits += 2
        if digits > 40:  # more than any list holds: the pseudonym itself
            names.update({p: p for p in pending})
            break
    return names
