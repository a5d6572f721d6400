"""Tests for ete_metrics.protect.safe_export (spreadsheet formula injection)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from apptest_support import *  # noqa: F403

from ete_metrics.protect.safe_export import neutralise, neutralise_frame


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Capital Pathways Trust", "Capital Pathways Trust"),
        ("a=b", "a=b"),  # only the first character matters
        ("", ""),
        ("[c]", "[c]"),
    ],
)
def test_neutralise_text(value: str, expected: str) -> None:
    assert neutralise(value) == expected


def test_neutralise_leaves_numbers_and_missing_alone() -> None:
    assert neutralise(-5) == -5
    assert neutralise(-0.25) == -0.25
    assert neutralise(None) is None


def test_neutralise_frame_prefixes_text_cells_and_headers_only() -> None:
    frame = pd.DataFrame(
        {
            "delivery_partner": ["=HYPERLINK(\"http://x\")", "+44 1234", "Good Partner", None],
            "change": [-5, 10, 0, 5],  # numbers stay numbers, even negative
            "gap": [-0.1, 0.2, np.nan, 0.0],
            "=evil": ["a", "b", "c", "d"],
        }
    )
    before = frame.copy()
    out = neutralise_frame(frame)
    # Worked by hand: the first two partner names start with = and +, so they get a quote.
    assert out["delivery_partner"].tolist()[:3] == ["'=HYPERLINK(\"http://x\")", "'+44 1234", "Good Partner"]
    assert pd.isna(out["delivery_partner"].iloc[3])
    assert out["change"].tolist() == [-5, 10, 0, 5]
    assert out["change"].dtype == frame["change"].dtype
    assert list(out.columns) == ["delivery_partner", "change", "gap", "'=evil"]
    pd.testing.assert_frame_equal(frame, before)  # input not mutated


def test_neutralise_frame_string_dtype() -> None:
    frame = pd.DataFrame({"name": pd.Series(["-x", "y"], dtype="string")})
    assert neutralise_frame(frame)["name"].tolist() == ["'-x", "y"]


# --------------------------------------------------------------------------- across the app

EVIL = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture
def evil_db_url(demo_db_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch) -> str:  # type: ignore[no-untyped-def]
    """A copy of the demo database in which a partner, an employer and a provider are formulas."""
    import shutil

    import sqlalchemy as sa

    from ete_metrics.data.db import make_engine

    path = tmp_path / "evil.db"
    shutil.copy(demo_db_url.removeprefix("sqlite:///"), path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    with engine.begin() as connection:
        partner = connection.execute(
            sa.text("SELECT delivery_partner FROM participants ORDER BY delivery_partner LIMIT 1")
        ).scalar_one()
        connection.execute(sa.text("UPDATE participants SET delivery_partner = :evil WHERE delivery_partner = :p"),
                           {"evil": EVIL, "p": partner})
        connection.execute(sa.text("UPDATE milestones SET partner = '+44 20 7946 0000' WHERE partner = "
                                   "(SELECT partner FROM milestones WHERE partner IS NOT NULL "
                                   "ORDER BY partner LIMIT 1)"))
    engine.dispose()
    monkeypatch.setenv("ETE_DATABASE_URL", url)
    return url


def _unsafe_cells(name: str, data: bytes) -> list[str]:
    """Text cells a spreadsheet would run as a formula (numbers like -0.5 are numbers)."""
    import csv
    import io

    from openpyxl import load_workbook

    def unsafe(value: object) -> bool:
        if not isinstance(value, str) or not value.startswith(("=", "+", "-", "@", "\t", "\r")):
            return False
        try:
            float(value)
        except ValueError:
            return True
        return False

    if name.endswith(".csv"):
        return [v for row in csv.reader(io.StringIO(data.decode("utf-8"))) for v in row if unsafe(v)]
    book = load_workbook(io.BytesIO(data))
    return [str(c.value) for s in book.worksheets for row in s.iter_rows() for c in row
            if c.data_type == "f" or unsafe(c.value)]


@pytest.mark.parametrize("page", ["app_pages/2_funnels.py", "app_pages/5_partners.py"])
def test_every_download_in_the_app_neutralises_formulas(evil_db_url: str, page: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import streamlit.testing.v1.app_test as app_test_module
    from apptest_support import new_app, open_page
    from streamlit.runtime.media_file_manager import MediaFileManager
    from test_stakeholder_scan import downloads

    managers: list[MediaFileManager] = []

    class Recording(MediaFileManager):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            managers.append(self)

    monkeypatch.setattr(app_test_module, "MediaFileManager", Recording)
    at = open_page(new_app(), page)
    files = [(n, d) for n, d in downloads(at, managers) if n.endswith((".csv", ".xlsx"))]
    assert files
    for name, data in files:
        assert _unsafe_cells(name, data) == [], name
    if page.endswith("5_partners.py"):  # the names did reach the files, neutralised
        text = b"".join(d for n, d in files if n.endswith(".csv")).decode("utf-8")
        assert "'=HYPERLINK" in text and "'+44 20 7946 0000" in text
        from openpyxl import load_workbook

        cells = [c.value for n, d in files if n.endswith(".xlsx")
                 for sheet in load_workbook(io.BytesIO(d)).worksheets for row in sheet.iter_rows()
                 for c in row]
        assert "'" + EVIL in cells
