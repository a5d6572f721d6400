"""User-supplied text in Streamlit's Markdown, shown as literal text.

The body of ``st.error``, ``st.caption``, ``st.markdown`` and friends is Markdown:
links and images, emphasis, headings and lists, bare URLs made into links, LaTeX
between ``$``, and Streamlit's own ``:red[...]`` and ``:material/icon:``
directives. (HTML is shown as text unless ``unsafe_allow_html``, which this app
never uses.) File names, partner names and cell values come from users, so
before they reach Markdown :func:`markdown_literal` backslash-escapes every
ASCII punctuation character: CommonMark renders an escaped character as itself
and no Markdown construct can start from it.

One construct works on the text *after* escapes are resolved: GitHub-flavoured
Markdown turns bare ``https://…``, ``www.…`` and ``name@host`` into links (seen in
Chromium). An invisible WORD JOINER (U+2060) is put after ``http``/``https``/``www``
and before ``@``, which breaks those patterns without changing what is shown.

Tables of user data go through ``st.dataframe``, which shows every cell as text.
"""

from __future__ import annotations

import re
import string

__all__ = ["markdown_literal", "unescape_markdown"]

_PUNCTUATION = frozenset(string.punctuation)
#: Where GFM's autolink literals start: ``http(s):``, ``www.`` and the ``@`` of an address.
_AUTOLINK = re.compile(r"(?i)(?:https?(?=:)|www(?=\.)|(?<=[-.+\w])(?=@))")
_JOINER = "\u2060"


def markdown_literal(text: object) -> str:
    r"""Return ``text`` as Markdown that renders exactly as the text itself.

    Parameters
    ----------
    text : object
        Any value; ``str(text)`` is escaped.

    Returns
    -------
    str
        Every ASCII punctuation character preceded by a backslash, a word joiner
        where a bare link would start; line breaks kept as Markdown hard breaks.

    Examples
    --------
    >>> markdown_literal("[x](javascript:alert(1))")
    '\\[x\\]\\(javascript\\:alert\\(1\\)\\)'
    """
    unlinked = _AUTOLINK.sub(lambda match: match.group(0) + _JOINER, str(text))
    escaped = "".join("\\" + ch if ch in _PUNCTUATION else ch for ch in unlinked)
    return escaped.replace("\r\n", "\n").replace("\n", "  \n")


def unescape_markdown(markdown: str) -> str:
    r"""Invert :func:`markdown_literal` (the text CommonMark shows for it).

    Parameters
    ----------
    markdown : str
        Output of :func:`markdown_literal`.

    Returns
    -------
    str
        Backslash escapes of ASCII punctuation and word joiners removed, hard breaks
        back to ``\n``: the text as it is shown.
    """
    out: list[str] = []
    i = 0
    text = markdown.replace("  \n", "\n").replace(_JOINER, "")
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in _PUNCTUATION:
            out.append(text[i + 1])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)
