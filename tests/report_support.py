"""Shared fixtures data for the tests of ete_metrics.present.report (built once per session)."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

import pandas as pd

from ete_metrics.data.demo import generate_demo
from ete_metrics.present.report import ReportContent, report_content

AS_OF = date(2023, 8, 16)

#: A count from 1 to 4 standing alone in text ("3", " 4 ") but not "2023", "1.5%", "Q1", "[c]".
SMALL_COUNT = re.compile(r"(?<![\w.,%-])[1-4](?![\w.,%])")


_UK_DATE = re.compile(r"\b\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}\b")


def small_counts(text: str) -> list[str]:
    """Bare numbers 1-4 in text, after removing UK dates (``1 Jan 2023``) and the note."""
    from ete_metrics.protect.disclosure import STAKEHOLDER_NOTE

    flat = " ".join(text.split())
    flat = flat.replace(STAKEHOLDER_NOTE, "")
    flat = _UK_DATE.sub("", flat)
    return SMALL_COUNT.findall(flat)


@lru_cache(maxsize=1)
def demo() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    programme = generate_demo(n_participants=3000)
    return programme.participants, programme.milestones, programme.targets


@lru_cache(maxsize=2)
def content(audience: str) -> ReportContent:
    participants, milestones, targets = demo()
    return report_content(participants, milestones, targets, as_of=AS_OF, audience=audience)


@lru_cache(maxsize=2)
def images(audience: str) -> dict[str, bytes]:
    from ete_metrics.present.report import _chart_images

    return _chart_images(content(audience))
