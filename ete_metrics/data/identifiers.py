"""Participant ids: read as the same id however they were typed, or refused.

Ids that only look the same would count one person twice, so every id is put in
Unicode NFKC form with invisible characters removed (a warning names the line); an id
with a letter that only looks Latin (Cyrillic, Greek, ...) or holding a line break,
tab, control character or byte-order mark is an error, whose message never shows the
id. Used by the import (:mod:`ete_metrics.data.validation`) and by mappings
(:mod:`ete_metrics.data.mapping`, before an identifier becomes a pseudonym).
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd

from ete_metrics import config
from ete_metrics.data.reading import Table, errors_at, warnings_at
from ete_metrics.errors import Problem

__all__ = ["ID_BREAK_PATTERN", "id_break", "normalise_ids", "too_long_ids"]


def too_long_ids(table: Table, ids: pd.Series) -> list[Problem]:
    """Ids longer than the database column (``String(64)``) are errors, not a failed save."""
    return errors_at(
        table,
        (ids.str.len() > config.MAX_ID_CHARS).to_numpy(dtype=bool),
        "participant_id",
        "participant_id_too_long",
        lambda i: (
            f"participant_id is {len(str(ids.iat[i])):,} characters long; pseudonymous ids may be at "
            f"most {config.MAX_ID_CHARS} characters"
        ),
    )


def _id_character(char: str) -> str:
    name = unicodedata.name(char, f"U+{ord(char):04X}")
    return f"{char!r} ({name.lower()})"


#: Scripts whose letters are drawn like Latin ones (Cyrillic Р, Greek Ρ and Latin P).
_LOOK_ALIKE_SCRIPTS = ("CYRILLIC ", "GREEK ", "ARMENIAN ", "CHEROKEE ", "COPTIC ")


def _looks_latin(char: str) -> bool:
    return not char.isascii() and unicodedata.name(char, "").startswith(_LOOK_ALIKE_SCRIPTS)


def _visible(text: str) -> str:
    """``text`` without invisible (format) characters; a joiner inside an emoji or a
    script that needs it (both neighbours not ASCII) stays."""
    kept = []
    for i, char in enumerate(text):
        if unicodedata.category(char) == "Cf":
            inside = (
                0 < i < len(text) - 1 and not text[i - 1].isascii() and not text[i + 1].isascii()
            )
            if not (char in "\u200c\u200d" and inside):
                continue
        kept.append(char)
    return "".join(kept)


#: Characters no id holds, named in words: line and page breaks, tabs, other control
#: characters and the byte-order mark. An id holding one is refused, never repaired.
_ID_BREAKS = {
    "\n": "a line break",
    "\r": "a carriage return",
    "\t": "a tab",
    "\u2028": "a line separator",
    "\u2029": "a paragraph separator",
    "\ufeff": "a byte-order mark",
}
#: Any character :func:`id_break` names (the control characters are Unicode's Cc).
ID_BREAK_PATTERN = "[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]"


def id_break(text: str) -> tuple[int, str] | None:
    """The first character of ``text`` no id may hold, as (1-based position, its name), or None."""
    for position, char in enumerate(text, start=1):
        if char in _ID_BREAKS:
            return position, _ID_BREAKS[char]
        if unicodedata.category(char) == "Cc":
            return position, f"a control character, U+{ord(char):04X}"
    return None


def _read_ids(
    uniques: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, dict[int, str], dict[int, tuple[int, str]]]:
    """Each distinct id as read: (the ids normalised, which changed, the look-alike letter of
    each id holding one, the character no id holds and its place, of each id holding one).

    Only the non-ASCII ids and those holding a control character are looked at one by one.
    """
    fixed = np.array(uniques, dtype=object)
    changed = np.zeros(len(uniques), dtype=bool)
    foreign: dict[int, str] = {}
    broken: dict[int, tuple[int, str]] = {}
    controlled = pd.Series(uniques, dtype=object).astype(str).str.contains(ID_BREAK_PATTERN)
    for k, value in enumerate(uniques):
        text = str(value)
        if text.isascii() and not controlled.iat[k]:
            continue
        found = id_break(text)
        if found is not None:
            broken[k] = found
            continue
        clean = _visible(unicodedata.normalize("NFKC", text)).strip()
        if clean != text:
            fixed[k], changed[k] = clean, True
        odd = next((c for c in clean if _looks_latin(c)), None)
        if odd is not None:
            foreign[k] = odd
    return fixed, changed, foreign, broken


def normalise_ids(table: Table) -> tuple[list[Problem], list[Problem]]:
    """Read ``participant_id`` as the same id however it was typed; return (errors, warnings).

    Ids that only look the same would count one person twice, so each id is put in
    Unicode NFKC form (fullwidth ``Ｐ１`` is ``P1``, a non-breaking space is a space)
    with invisible characters (zero-width spaces, direction marks, soft hyphens: the
    Unicode "format" characters) removed, and a warning names the line. An id with a
    letter of a script drawn like Latin (a Cyrillic ``Р`` that looks like a Latin ``P``;
    Greek, Armenian, Cherokee, Coptic) is an error: NFKC leaves such letters as they are,
    and they are not in the ids of an English case system. Other scripts are kept.
    An id holding a line break, carriage return, tab, other control character or a
    byte-order mark is an error too (the message names the character and where it is,
    never the id). Only the distinct non-ASCII ids, and those such a character was found
    in, are looked at one by one, so plain ids cost two passes.
    """
    if "participant_id" not in table.frame.columns:
        return [], []
    ids = table.frame["participant_id"]
    codes, uniques = pd.factorize(ids.to_numpy(dtype=object))
    fixed, changed, foreign, broken = _read_ids(uniques)
    if not changed.any() and not foreign and not broken:
        return [], []
    original = ids.copy()
    errors = errors_at(
        table,
        np.isin(codes, list(broken)),
        "participant_id",
        "participant_id_not_plain",
        lambda i: (
            f"participant_id holds {broken[int(codes[i])][1]} (character "
            f"{broken[int(codes[i])][0]:,} of the id, which is not shown here); an id is one line "
            "of letters, digits and punctuation: correct it in the case system and export again"
        ),
    )
    errors += errors_at(
        table,
        np.isin(codes, list(foreign)),
        "participant_id",
        "participant_id_not_plain",
        lambda i: (
            f"participant_id {original.iat[i]!r} has the character "
            f"{_id_character(foreign[int(codes[i])])}, which only looks like a plain letter or "
            "digit; type the id again with A-Z, 0-9 and punctuation"
        ),
    )
    table.frame["participant_id"] = pd.Series(fixed[codes], index=ids.index, dtype=object)
    shown = table.frame["participant_id"]
    warnings = warnings_at(
        table,
        changed[codes] & ~np.isin(codes, [*foreign, *broken]),
        "participant_id",
        "participant_id_normalised",
        lambda i: (
            f"participant_id {original.iat[i]!r} was read as {shown.iat[i]!r} (fullwidth "
            "letters, non-breaking or invisible characters made plain)"
        ),
        shown,
    )
    if broken:  # the rows are refused: no later check may quote their id
        keep = ~np.isin(codes, list(broken))
        table.frame = table.frame.loc[keep].reset_index(drop=True)
        table.lines = table.lines[keep]
    return errors, warnings
