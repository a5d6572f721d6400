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


def vocabulary_codes() -> frozenset[str]:
    """Every code of the vocabulary (steps, measures, milestones, ratings, positions, groupings,
    audiences): none may stand in a cell people read."""
    from ete_metrics import steps
    from ete_metrics.protect.audience import AUDIENCES

    return frozenset({
        *(step.name for step in steps.STEPS), *steps.TARGET_MEASURES, *steps.MILESTONE_LABELS,
        *steps.RAG_LABELS, *steps.POSITION_LABELS, *steps.GROUP_LABELS, *AUDIENCES,
    })


#: A name as in code (``targets_vs_actual_work``).
SNAKE_CASE = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)+")


def code_cells(data: bytes) -> list[tuple[str, str, str]]:
    """(sheet, cell, text) of every cell of a workbook holding a code or a snake_case name."""
    import io

    from openpyxl import load_workbook

    codes = vocabulary_codes()
    book = load_workbook(io.BytesIO(data))
    return [(sheet.title, cell.coordinate, cell.value) for sheet in book.worksheets
            for row in sheet.iter_rows() for cell in row
            if isinstance(cell.value, str) and (cell.value.strip() in codes
                                                or SNAKE_CASE.fullmatch(cell.value.strip()))]


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
