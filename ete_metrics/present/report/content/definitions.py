"""The words every report carries: the programme's name and the definitions of its terms."""

from __future__ import annotations

from ete_metrics import config, steps
from ete_metrics.protect import disclosure
from ete_metrics.protect.policy import POLICY

#: The programme named on every cover.
PROGRAMME = "Education, Training and Employment (ETE) programme for people on probation"

SUPPRESSED = disclosure.SUPPRESSED

#: Small numbers in words, so text never shows a bare 1-4 that could be read as a count.
_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 8: "eight"}


def definitions(*, stakeholder: bool = False) -> tuple[tuple[str, str], ...]:
    """The definitions every report carries (slide, page, sheet, speaker notes).

    Parameters
    ----------
    stakeholder : bool, default False
        Add the disclosure-control terms (``[c]``, rounding) of stakeholder reports.

    Returns
    -------
    tuple of (str, str)
        Term and definition, in reading order.
    """
    protected: tuple[tuple[str, str], ...] = (
        (SUPPRESSED, "Suppressed to protect the people in it: a count below "
         f"{_WORDS.get(config.SUPPRESS_BELOW, config.SUPPRESS_BELOW)}, or a figure from which one "
         "could be worked out (from a total, or a rate of a group of fewer than "
         f"{config.MIN_GROUP_FOR_RATE} people)."),
        *POLICY,
    ) if stakeholder else ()
    return (*steps.definitions(), *protected)

