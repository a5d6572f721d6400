"""Issue 25 item 2, the slow surfaces: every page, the deck and the PDF, value for value.

The same programmes as ``test_invariance.py`` (the base and the perturbations its search
kept: every published count the same). Every page of ``app_pages/`` (each tab and slide:
``apptest_support.each_screen``) as a stakeholder sees it (``?audience=stakeholder``) —
its tables, tiles, texts, the data of its charts and every CSV and Excel download — and
the text of the stakeholder deck and PDF (their tables and words) must be the same for the
perturbed programme as for the base. A value that moves tells something the published
counts do not: the test names the page or file, the element and both values.

Marked ``browser``: AppTest runs of every page for several programmes, and the deck's and
PDF's charts need Chromium; ``make test`` runs them, ``make test-fast`` does not.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from apptest_support import *  # noqa: F403
from apptest_support import PAGES, each_screen, new_app, open_page
from invariance_support import (
    AS_OF,
    Programme,
    Surfaces,
    moved,
    save,
    searched,
    summary,
    unique,
    workbook_cells,
)
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore::RuntimeWarning")]

#: How many of the kept perturbations the pages are compared on (each is a run of every page).
PAGE_PERTURBATIONS = 2


def _frame_text(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.reset_index(drop=True).copy()
    out.columns = unique([str(c) for c in out.columns])
    return out.astype(object).map(lambda v: "" if v is None or (isinstance(v, float) and v != v) else str(v))


def _lines(texts: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"text": texts})


def _chart(spec: dict[str, Any]) -> pd.DataFrame:
    """A chart's data: every trace's values, labels and hover data, one row per point."""
    from test_stakeholder_scan import _decode

    rows = []
    for k, trace in enumerate(spec.get("data", [])):
        for field in ("x", "y", "z", "text", "customdata", "hovertext", "values", "labels"):
            values = _decode(trace.get(field))
            if values is None:
                continue
            items = values if isinstance(values, list) else [values]
            rows += [{"trace": f"{k} {trace.get('name')}", "field": field, "point": str(i),
                      "value": json.dumps(v, default=str)} for i, v in enumerate(items)]
    rows += [{"trace": "layout", "field": "annotation", "point": str(i), "value": str(a.get("text"))}
             for i, a in enumerate(spec.get("layout", {}).get("annotations", []) or [])]
    return pd.DataFrame(rows, columns=["trace", "field", "point", "value"])


def _downloads(at: AppTest, managers: list[MediaFileManager]) -> Iterator[tuple[str, bytes]]:
    from test_stakeholder_scan import downloads

    yield from downloads(at, managers)


def screen_surfaces(at: AppTest, where: str, managers: list[MediaFileManager]) -> Surfaces:
    """Everything a screen shows a stakeholder, as surfaces."""
    out: Surfaces = {}
    for i, element in enumerate(at.dataframe):
        out[f"{where} table {i}"] = _frame_text(element.value)
    out[f"{where} tiles"] = _frame_text(pd.DataFrame(
        [{"tile": t.label, "value": str(t.value), "change": str(t.delta or ""), "help": str(t.proto.help or "")}
         for t in at.metric], columns=["tile", "value", "change", "help"]))
    texts = [f"{kind}: {element.value}" for kind in
             ("title", "header", "subheader", "markdown", "caption", "info", "warning", "success", "error")
             for element in at.get(kind)]
    out[f"{where} texts"] = _lines(texts)
    for i, element in enumerate(at.get("plotly_chart")):
        out[f"{where} chart {i}"] = _chart(json.loads(element.proto.spec))
    for name, data in _downloads(at, managers):
        if name.endswith(".csv"):
            out[f"{where} download {name}"] = _frame_text(
                pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False))
        elif name.endswith(".xlsx"):
            out.update(workbook_cells(data, f"{where} download {name}"))
    return out


def page_surfaces(url: str, managers: list[MediaFileManager]) -> Surfaces:
    """Every screen of every page of the app, as a stakeholder sees it, for the database."""
    previous = os.environ.get("ETE_DATABASE_URL")
    os.environ["ETE_DATABASE_URL"] = url
    out: Surfaces = {}
    try:
        for page in PAGES:
            at = open_page(new_app({"audience": "stakeholder", "as_of": AS_OF}), page)
            if any(b.key == "overview_report_prepare_xlsx" for b in at.button):
                at.button(key="overview_report_prepare_xlsx").click().run()
                assert not at.exception, [e.value for e in at.exception]
            for k, screen in enumerate(each_screen(at, page)):
                out.update(screen_surfaces(screen, f"{Path(page).stem} screen {k}", managers))
    finally:
        if previous is None:
            os.environ.pop("ETE_DATABASE_URL", None)
        else:
            os.environ["ETE_DATABASE_URL"] = previous
    return out


def _compared() -> list[tuple[str, Programme]]:
    base, _, search = searched()
    return [("base", base), *((str(p), p.programme) for p in search.kept[:PAGE_PERTURBATIONS])]


def _failures(base: Surfaces, others: list[tuple[str, Surfaces]]) -> list[str]:
    failures = []
    for words, surfaces in others:
        moves = moved(base, surfaces)
        if moves:
            shown = "\n".join(str(m) for m in moves[:25])
            failures.append(f"[{words}] {len(moves)} values moved, by surface and column:\n"
                            f"{summary(moves)}\nthe first of them:\n{shown}")
    return failures


def test_every_page_is_the_same_value_for_value(tmp_path: Path, media: list[MediaFileManager]) -> None:
    programmes = _compared()
    assert len(programmes) > 1
    shown = [(words, page_surfaces(save(prog, tmp_path / f"db{i}"), media))
             for i, (words, prog) in enumerate(programmes)]
    print(f"{len(shown[0][1])} page surfaces, {len(shown) - 1} perturbations")
    assert shown[0][1]
    failures = _failures(shown[0][1], shown[1:])
    assert not failures, "\n\n".join(failures)


def report_text(data: bytes, fmt: str) -> pd.DataFrame:
    """The words of a deck (shapes, table cells, notes) or a PDF (its lines)."""
    if fmt == "pdf":
        from pypdf import PdfReader

        lines = [line for page in PdfReader(io.BytesIO(data)).pages
                 for line in (page.extract_text() or "").splitlines()]
        return _lines(lines)
    from pptx import Presentation

    texts: list[str] = []
    for n, slide in enumerate(Presentation(io.BytesIO(data)).slides, start=1):
        for shape in slide.shapes:
            if shape.has_text_frame:
                texts += [f"slide {n}: {t}" for t in shape.text_frame.text.splitlines()]
            if shape.has_table:
                table = shape.table
                texts += [f"slide {n} cell {i},{j}: {table.cell(i, j).text}"
                          for i in range(len(table.rows)) for j in range(len(table.columns))]
        texts.append(f"slide {n} notes: {slide.notes_slide.notes_text_frame.text}")
    return _lines(texts)


@pytest.mark.parametrize("fmt", ["pptx", "pdf"])
def test_the_deck_and_the_pdf_are_the_same_word_for_word(fmt: str) -> None:
    from ete_metrics.present.report import build_report

    shown = []
    for words, prog in _compared():
        data = build_report(*prog, as_of=AS_OF, audience="stakeholder", fmt=fmt)
        shown.append((words, {f"{fmt} text": report_text(data, fmt)}))
    print(f"{len(shown[0][1][f'{fmt} text'])} lines of {fmt}, {len(shown) - 1} perturbations")
    failures = _failures(shown[0][1], shown[1:])
    assert not failures, "\n\n".join(failures)
