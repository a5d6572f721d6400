"""Hostile extract files through the same validation as the command line and the dashboard.

Every file here goes through :func:`ete_metrics.data.importer.import_extract` (what
``python -m ete_metrics import`` and the Data page's confirm step call), the
hand-made ones also through the command line itself and through the Data page's
:func:`dashboard.uploads.validate_upload`. The contract, whatever the bytes:

- the only exception is an :class:`~ete_metrics.errors.EteError` whose message
  names the file at fault (no traceback reaches a user);
- a rejected extract leaves the database exactly as it was (row counts, the
  data version, and the rows themselves): never a partial write;
- an accepted extract is stored whole, its text exactly as written.

Hypothesis generates random bytes, damaged workbooks and CSV files of
hostile text; the examples are few (``max_examples``) so the module stays well
under a minute on a small machine. The resource limits (size, rows, unpacked
size) are lowered through their environment variables to keep the files small.
"""

from __future__ import annotations

import contextlib
import csv
import io
import random
import re
import shutil
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from dashboard.uploads import save_uploads, validate_upload
from ete_metrics import cli, config
from ete_metrics.data import db
from ete_metrics.data.importer import MAX_ERRORS_PER_CHECK, import_extract, read_extract
from ete_metrics.errors import ConfigError, EteError, ImportValidationError, InputError

WHEN = datetime(2023, 8, 17, 9, 30)
#: What counts as a line break (as in text editors): CRLF, LF, or a CR on its own.
LINE_BREAK = re.compile("\r\n|\r|\n")
EXTRACT_DATE = date(2023, 8, 16)
HEADER = "participant_id,region,referral_date,entry_date,area,delivery_partner"
BASELINE_PARTICIPANTS = (
    f"{HEADER}\n"
    "B1,London,2023-01-02,2023-01-10,Camden,Alpha\n"
    "B2,Wales,2023-02-01,2023-02-15,Cardiff,Beta\n"
)
BASELINE_MILESTONES = "participant_id,milestone,date\nB1,training_start,2023-02-01\n"
#: A milestones file with no rows: valid, so every problem is the participants file's.
NO_MILESTONES = "participant_id,milestone,date\n"
GOOD_ROW = "P1,London,2023-01-02,2023-01-10,Camden,Alpha"

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)


# ---------------------------------------------------------------------------
# The database before and after
# ---------------------------------------------------------------------------


def snapshot(engine: sa.Engine) -> dict[str, Any]:
    """Row counts of every table, the data version and the rows of the data tables."""
    with engine.connect() as connection:
        counts = {
            table: int(connection.exec_driver_sql(f"SELECT COUNT(*) FROM {table}").scalar_one())
            for table in ("participants", "milestones", "targets", "imports", "import_warnings")
        }
    participants = db.load_participants(engine)
    milestones = db.load_milestones(engine)
    return {
        **counts,
        "version": tuple(db.data_version(engine)),
        "participants_rows": participants.astype(object).where(participants.notna(), None)
        .to_dict("records"),
        "milestones_rows": milestones.astype(object).where(milestones.notna(), None)
        .to_dict("records"),
    }


def baseline(engine: sa.Engine, folder: Path) -> dict[str, Any]:
    """Import a small first extract (so a partial write would show) and snapshot it."""
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / "baseline_participants.csv"
    m = folder / "baseline_milestones.csv"
    p.write_text(BASELINE_PARTICIPANTS, encoding="utf-8")
    m.write_text(BASELINE_MILESTONES, encoding="utf-8")
    import_extract(engine, p, m, imported_at=datetime(2023, 8, 1, 9, 0), extract_date=EXTRACT_DATE)
    return snapshot(engine)


@pytest.fixture(scope="module")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file holding the baseline extract; each example works on a copy."""
    folder = tmp_path_factory.mktemp("fuzz_template")
    path = folder / "template.db"
    engine = db.make_engine(f"sqlite:///{path}")
    try:
        baseline(engine, folder)
    finally:
        engine.dispose()
    return path


class FreshDatabase:
    """Copies of the template database, one per example."""

    def __init__(self, template: Path, folder: Path) -> None:
        self.template = template
        self.folder = folder
        self.count = 0

    def __call__(self) -> sa.Engine:
        self.count += 1
        path = self.folder / f"example_{self.count}.db"
        shutil.copyfile(self.template, path)
        return db.make_engine(f"sqlite:///{path}")


@pytest.fixture
def fresh_db(template_db: Path, tmp_path: Path) -> FreshDatabase:
    return FreshDatabase(template_db, tmp_path)


def check_import(
    engine: sa.Engine,
    participants: Path,
    milestones: Path,
    *,
    culprit: str,
    targets: Path | None = None,
) -> EteError | None:
    """Import through :func:`import_extract` and check the contract; return the error, if any.

    ``culprit`` is the file a rejection must name. An accepted extract must be stored
    whole: every participant of the file read back with the values read from the file.
    """
    before = snapshot(engine)
    try:
        import_extract(
            engine, participants, milestones, targets, imported_at=WHEN, extract_date=EXTRACT_DATE
        )
    except EteError as exc:
        assert culprit in str(exc), f"the message does not name {culprit}: {exc}"
        assert snapshot(engine) == before, "a rejected import changed the database"
        return exc
    # Accepted: what the same validation reads from the files is what was stored.
    before_ids = {r["participant_id"] for r in before["participants_rows"]}
    expected = read_extract(
        participants, milestones, targets, known_participant_ids=before_ids,
        extract_date=EXTRACT_DATE,
    )
    after = snapshot(engine)
    assert after["imports"] == before["imports"] + 1
    stored = db.load_participants(engine).set_index("participant_id")
    for row in expected.participants.to_dict("records"):
        kept = stored.loc[row["participant_id"]]
        for column in ("region", "area", "delivery_partner", "prison", "gender", "ethnicity"):
            want = row.get(column)
            got = kept[column]
            assert (pd.isna(want) and pd.isna(got)) or want == got, (column, want, got)
    stored_ids = set(stored.index)
    assert stored_ids == before_ids | set(expected.participants["participant_id"])
    return None


# ---------------------------------------------------------------------------
# Hand-made hostile files
# ---------------------------------------------------------------------------


def _xlsx(rows: list[list[Any]], *, sheets: Any = None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    if sheets is not None:
        sheets(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


GOOD_XLSX_ROWS: list[list[Any]] = [
    HEADER.split(","),
    ["P1", "London", "2023-01-02", "2023-01-10", "Camden", "Alpha"],
]


def _csv(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode("utf-8")


def _chart_sheet_first(book: openpyxl.Workbook) -> None:
    from openpyxl.chart import BarChart, Reference

    data = book.active
    chart_sheet = book.create_chartsheet("Chart", 0)
    chart = BarChart()
    chart.add_data(Reference(data, min_col=1, min_row=1, max_row=2))
    chart_sheet.add_chart(chart)


def _data_on_second_sheet(book: openpyxl.Workbook) -> None:
    second = book.create_sheet("Data")
    for row in book.active.iter_rows(values_only=True):
        second.append(list(row))
    first = book.active
    first.delete_rows(1, first.max_row)


def _formulas_as_text(book: openpyxl.Workbook) -> None:
    sheet = book.active
    for column, text in ((1, "=cmd|' /C calc'!A0"), (5, "=HYPERLINK(\"http://x\",\"y\")"), (6, "@SUM(1)")):
        cell = sheet.cell(row=3, column=column, value=text)
        cell.data_type = "s"  # a string that looks like a formula, not a formula
    sheet.cell(row=3, column=2, value="Wales")
    sheet.cell(row=3, column=3, value="2023-03-01")


def _zip_without_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    return buffer.getvalue()


def _zip_bomb() -> bytes:
    """A valid workbook plus 25 MB of zeros that deflate to a few kB."""
    good = _xlsx(GOOD_XLSX_ROWS)
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as source, zipfile.ZipFile(
        buffer, "w", zipfile.ZIP_DEFLATED
    ) as archive:
        for info in source.infolist():
            archive.writestr(info.filename, source.read(info.filename))
        archive.writestr("xl/media/padding.bin", b"\x00" * (25 * 1024 * 1024))
    return buffer.getvalue()


def _damaged(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + b"\x00" * 300 + data[middle + 300 :]


ARABIC = "مرحبا بالعالم "
CHINESE = "你好世界，参加者"
EMOJI = "👩🏽‍💻🚀🇬🇧"


def _long_text(unit: str, length: int) -> str:
    return (unit * (length // len(unit) + 1))[:length]


#: (id, file name, bytes, expected): "accepted", or a text the rejection message contains.
HOSTILE: list[tuple[str, str, bytes, str]] = [
    ("random_bytes", "participants.csv", random.Random(1).randbytes(64 * 1024), "is a binary file"),
    (
        "random_high_bytes",
        "participants.csv",
        bytes(random.Random(2).randrange(128, 256) for _ in range(4096)),
        "is not UTF-8 text",
    ),
    ("utf16_bom", "participants.csv", _csv(GOOD_ROW).decode().encode("utf-16"), "is UTF-16 text"),
    (
        "utf16_no_bom",
        "participants.csv",
        _csv(GOOD_ROW).decode().encode("utf-16-be"),
        "is a binary file",
    ),
    (
        "latin1",
        "participants.csv",
        _csv(GOOD_ROW).decode().replace("Camden", "Llanelli").encode() + "P2,Wales,2023-01-02,,Café,\n".encode("latin-1"),
        "on line 3",
    ),
    (
        "cp1252",
        "participants.csv",
        _csv(GOOD_ROW) + "P2,Wales,2023-01-02,,“Smart” – €5,\n".encode("cp1252"),
        "is not UTF-8 text",
    ),
    (
        "10mb_field",
        "participants.csv",
        _csv(GOOD_ROW, "P2,Wales,2023-01-02,," + "x" * (10 * 1024 * 1024) + ",Alpha"),
        "participants.csv line 3, column area: the value is 10,485,760 characters long",
    ),
    (
        "10mb_field_in_an_ignored_column",
        "participants.csv",
        (HEADER + ",notes\n" + GOOD_ROW + "," + "y" * (10 * 1024 * 1024) + "\n").encode(),
        "accepted",
    ),
    (
        "unbalanced_quote",
        "participants.csv",
        _csv(GOOD_ROW, 'P2,"Wales,2023-01-02,,Cardiff,Beta', "P3,Wales,2023-01-02,,,"),
        "never closed",
    ),
    (
        "formulas",
        "participants.csv",
        _csv(
            GOOD_ROW,
            "P2,Wales,2023-01-02,,=cmd|' /C calc'!A0,+SUM(1)",
            "P3,Wales,2023-01-02,,@SUM(A1),-2+3",
            "=1+1,Wales,2023-01-02,,\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",",
        ),
        "accepted",
    ),
    (
        "long_non_latin",
        "participants.csv",
        _csv(
            f"{CHINESE},Wales,2023-01-02,,{_long_text(ARABIC, 1000)},{_long_text(EMOJI, 300)}",
            f"{EMOJI},London,2023-01-02,,{_long_text(CHINESE, 1000)},{ARABIC}",
        ),
        "accepted",
    ),
    (
        "too_long_non_latin",
        "participants.csv",
        _csv(f"P1,Wales,2023-01-02,,{'😀' * 1001},"),
        "participants.csv line 2, column area: the value is 1,001 characters long",
    ),
    ("nul_early", "participants.csv", _csv("P1,Wa\x00les,2023-01-02,,,"), "is a binary file"),
    (
        "nul_late",
        "participants.csv",
        _csv(*[f"P{i},Wales,2023-01-02,,," for i in range(1, 5001)], "P9999,Wa\x00les,2023-01-02,,,"),
        "has a NUL byte on line 5,002",
    ),
    (
        "two_million_blank_lines",
        "participants.csv",
        _csv(GOOD_ROW) + b"\n" * 2_000_000 + b"P2,Atlantis,2023-01-02,,,\n",
        "participants.csv line 2000003, column region: unknown region 'Atlantis'",
    ),
    (
        "two_million_blank_lines_valid",
        "participants.csv",
        _csv(GOOD_ROW) + b"\r\n" * 1_000_000 + b" ,  ,,\t,,\n" * 1_000_000 + b"P2,Wales,2023-01-02,,,\n",
        "accepted",
    ),
    (
        "quoted_line_breaks",
        "participants.csv",
        _csv('P1,London,2023-01-02,,"Flat 1\n\nHigh St",Alpha', "P2,Atlantis,2023-01-02,,,"),
        "participants.csv line 5, column region: unknown region 'Atlantis'",
    ),
    ("wide_header", "participants.csv", b"a," * 100_000 + b"\n" + GOOD_ROW.encode(), "columns in its header"),
    ("wide_row", "participants.csv", _csv(GOOD_ROW, "x," * 100_000), "not a readable CSV"),
    ("empty", "participants.csv", b"", "is empty"),
    ("bom_and_blank_lines", "participants.csv", b"\xef\xbb\xbf\n\r\n  \n", "is empty"),
    ("workbook_named_csv", "participants.csv", _xlsx(GOOD_XLSX_ROWS), "give it the .xlsx extension"),
    ("old_xls", "participants.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 512, "old .xls workbook"),
    ("csv_named_xlsx", "participants.xlsx", _csv(GOOD_ROW), "not a zip archive"),
    ("truncated_xlsx", "participants.xlsx", _xlsx(GOOD_XLSX_ROWS)[:2000], "not a zip archive"),
    ("damaged_xlsx", "participants.xlsx", _damaged(_xlsx(GOOD_XLSX_ROWS)), "could not be read"),
    ("zip_without_workbook", "participants.xlsx", _zip_without_workbook(), "could not be read"),
    ("zip_bomb", "participants.xlsx", _zip_bomb(), "unpacks to 25.0 MB"),
    (
        "chart_sheet_first",
        "participants.xlsx",
        _xlsx(GOOD_XLSX_ROWS, sheets=_chart_sheet_first),
        "accepted",
    ),
    (
        "first_sheet_empty",
        "participants.xlsx",
        _xlsx(GOOD_XLSX_ROWS, sheets=_data_on_second_sheet),
        "the required column participant_id is missing (columns found: none)",
    ),
    (
        "title_above_the_table",
        "participants.xlsx",
        _xlsx([["ETE extract, June 2023"], [], *GOOD_XLSX_ROWS]),
        "participants.xlsx line 1, column participant_id: the required column",
    ),
    (
        "formula_text_in_cells",
        "participants.xlsx",
        _xlsx([*GOOD_XLSX_ROWS, ["P2"]], sheets=_formulas_as_text),
        "accepted",
    ),
    (
        "formula_without_value",
        "participants.xlsx",
        _xlsx([*GOOD_XLSX_ROWS, ["P2", "=A1&\"x\"", "2023-01-02"]]),
        "participants.xlsx line 3, column region: the cell holds a formula with no saved value",
    ),
    (
        "error_cell_as_date",
        "participants.xlsx",
        _xlsx([*GOOD_XLSX_ROWS, ["P2", "Wales", "#DIV/0!"]]),
        "participants.xlsx line 3, column referral_date: '#DIV/0!' is not a real date",
    ),
    (
        "long_cell_xlsx",
        "participants.xlsx",
        _xlsx([*GOOD_XLSX_ROWS, ["P2", "Wales", "2023-01-02", None, "z" * 5000]]),
        "participants.xlsx line 3, column area: the value is 5,000 characters long",
    ),
    (
        "blank_rows_and_far_row_xlsx",
        "participants.xlsx",
        _xlsx([*GOOD_XLSX_ROWS, *([[]] * 5000), ["P2", "Atlantis", "2023-01-02"]]),
        "participants.xlsx line 5003, column region: unknown region 'Atlantis'",
    ),
]


@pytest.fixture
def small_upload_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """1 MB files (unpacked .xlsx up to 20 MB), so the limits are reached with small files."""
    monkeypatch.setenv("ETE_MAX_UPLOAD_MB", "1")


def _hostile_import(
    engine: sa.Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    content: bytes,
    expected: str,
) -> None:
    if expected.startswith("unpacks to"):
        monkeypatch.setenv("ETE_MAX_UPLOAD_MB", "1")
    baseline(engine, tmp_path / "baseline")
    participants = tmp_path / name
    participants.write_bytes(content)
    milestones = tmp_path / "milestones.csv"
    milestones.write_text(NO_MILESTONES, encoding="utf-8")
    error = check_import(engine, participants, milestones, culprit=name)
    if expected == "accepted":
        assert error is None
    else:
        assert error is not None, "a hostile file was accepted"
        assert expected in str(error), str(error)


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'ete.db'}")
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("name", "content", "expected"), [pytest.param(n, c, e, id=i) for i, n, c, e in HOSTILE]
)
def test_hostile_file_through_the_import(
    sqlite_engine: sa.Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    content: bytes,
    expected: str,
) -> None:
    """Rejected naming the file with the database unchanged, or stored whole (SQLite)."""
    _hostile_import(sqlite_engine, tmp_path, monkeypatch, name, content, expected)


#: On PostgreSQL too: everything accepted (the text reaches the database) and some rejections.
ON_BOTH = (
    "formulas", "long_non_latin", "10mb_field_in_an_ignored_column", "chart_sheet_first",
    "formula_text_in_cells", "nul_late", "latin1", "zip_bomb", "unbalanced_quote",
)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [pytest.param(n, c, e, id=i) for i, n, c, e in HOSTILE if i in ON_BOTH],
)
def test_hostile_file_through_the_import_on_both_backends(
    engine: sa.Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    content: bytes,
    expected: str,
) -> None:
    """The same on SQLite and PostgreSQL (the ``engine`` fixture)."""
    _hostile_import(engine, tmp_path, monkeypatch, name, content, expected)


def test_formulas_and_non_latin_text_are_stored_as_written(engine: sa.Engine, tmp_path: Path) -> None:
    rows = {i: (n, c) for i, n, c, _ in HOSTILE}
    for case in ("formulas", "long_non_latin"):
        name, content = rows[case]
        (tmp_path / case).mkdir()
        participants = tmp_path / case / name
        participants.write_bytes(content)
        milestones = tmp_path / case / "milestones.csv"
        milestones.write_text(NO_MILESTONES, encoding="utf-8")
        import_extract(engine, participants, milestones, imported_at=WHEN, extract_date=EXTRACT_DATE)
    stored = db.load_participants(engine).set_index("participant_id")
    assert stored.loc["P2", "area"] == "=cmd|' /C calc'!A0"
    assert stored.loc["P2", "delivery_partner"] == "+SUM(1)"
    assert stored.loc["P3", "area"] == "@SUM(A1)"
    assert stored.loc["=1+1", "area"] == '=HYPERLINK("http://x","y")'
    # Ids are read in NFKC form (data/README.md): the fullwidth comma "，" of CHINESE is
    # stored as ",", its other characters as written; text columns are stored as written.
    chinese_id = CHINESE.replace("\uff0c", ",")
    assert stored.loc[chinese_id, "area"] == _long_text(ARABIC, 1000).strip()
    assert stored.loc[chinese_id, "delivery_partner"] == _long_text(EMOJI, 300)
    assert stored.loc[EMOJI, "area"] == _long_text(CHINESE, 1000)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        pytest.param(n, c, e, id=i)
        for i, n, c, e in HOSTILE
        if i in ("random_bytes", "latin1", "10mb_field", "unbalanced_quote", "damaged_xlsx",
                 "zip_bomb", "formulas")
    ],
)
def test_hostile_file_through_the_command_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    content: bytes,
    expected: str,
) -> None:
    """``python -m ete_metrics import``: exit 2 with a message naming the file; nothing written."""
    if expected.startswith("unpacks to"):
        monkeypatch.setenv("ETE_MAX_UPLOAD_MB", "1")
    url = f"sqlite:///{tmp_path / 'ete.db'}"
    engine = db.make_engine(url)
    try:
        before = baseline(engine, tmp_path / "baseline")
    finally:
        engine.dispose()
    participants = tmp_path / name
    participants.write_bytes(content)
    milestones = tmp_path / "milestones.csv"
    milestones.write_text(NO_MILESTONES, encoding="utf-8")
    code = cli.main(
        ["import", "--participants", str(participants), "--milestones", str(milestones),
         "--db", url, "--extract-date", "2023-08-16"]
    )
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    engine = db.make_engine(url)
    try:
        after = snapshot(engine)
    finally:
        engine.dispose()
    if expected == "accepted":
        assert code == 0, err
        assert after["imports"] == before["imports"] + 1
    else:
        assert code == 2, (code, err)
        assert name in err and expected in err, err
        assert after == before


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        pytest.param(n, c, e, id=i)
        for i, n, c, e in HOSTILE
        if i in ("random_bytes", "utf16_bom", "wide_row", "truncated_xlsx", "zip_bomb",
                 "long_non_latin")
    ],
)
def test_hostile_file_through_the_data_page_checks(
    engine: sa.Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    content: bytes,
    expected: str,
) -> None:
    """The Data page's save + validate step: a problems table naming the file, or an InputError."""
    if expected.startswith("unpacks to"):
        monkeypatch.setenv("ETE_MAX_UPLOAD_MB", "1")
    before = baseline(engine, tmp_path / "baseline")
    paths = save_uploads(
        {"participants": (name, content), "milestones": ("milestones.csv", NO_MILESTONES.encode())},
        tmp_path / "upload",
    )
    try:
        checked = validate_upload(paths, engine=engine, extract_date=EXTRACT_DATE)
    except InputError as exc:
        assert name in str(exc) and expected in str(exc)
    else:
        if expected == "accepted":
            assert checked.ok
        else:
            assert not checked.ok
            assert set(checked.problems["file"]) == {name}
            assert any(expected in m for m in checked.problems["message"]), checked.problems
    assert snapshot(engine) == before


# ---------------------------------------------------------------------------
# The limits
# ---------------------------------------------------------------------------


def test_file_above_the_size_limit_is_refused_before_reading(
    engine: sa.Engine, tmp_path: Path, small_upload_limit: None
) -> None:
    before = baseline(engine, tmp_path / "baseline")
    big = tmp_path / "big_participants.csv"
    row = "P{},Wales,2023-01-02,,Somewhere,Alpha\n"
    with big.open("w", encoding="utf-8") as out:
        out.write(HEADER + "\n")
        n = 0
        while out.tell() <= 1024 * 1024:
            n += 1
            out.write(row.format(n))
    milestones = tmp_path / "milestones.csv"
    milestones.write_text(NO_MILESTONES, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        import_extract(engine, big, milestones, imported_at=WHEN)
    message = str(caught.value)
    assert "big_participants.csv" in message
    assert "the largest file accepted is 1 MB" in message
    assert "ETE_MAX_UPLOAD_MB" in message
    assert snapshot(engine) == before


def test_row_limit_counts_data_rows_not_blank_lines(
    engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ETE_MAX_ROWS", "3")
    before = baseline(engine, tmp_path / "baseline")
    milestones = tmp_path / "milestones.csv"
    milestones.write_text(NO_MILESTONES, encoding="utf-8")
    rows = [f"P{i},Wales,2023-01-02,,," for i in range(1, 5)]
    # Three rows with 100,000 blank lines between them: within the limit.
    within = tmp_path / "within.csv"
    within.write_bytes(_csv(rows[0]) + b"\n" * 100_000 + _csv(*rows[1:3]).split(b"\n", 1)[1])
    extract = read_extract(within, milestones)
    assert extract.files["participants"].rows == 3
    # Four rows: refused, naming the file and the limit.
    over = tmp_path / "over.csv"
    over.write_bytes(_csv(*rows))
    with pytest.raises(InputError) as caught:
        import_extract(engine, over, milestones, imported_at=WHEN)
    assert "over.csv has more than 3 data rows" in str(caught.value)
    assert "ETE_MAX_ROWS" in str(caught.value)
    # The same for a workbook, where blank rows do not count either.
    book = tmp_path / "over.xlsx"
    book.write_bytes(_xlsx([HEADER.split(","), *[r.split(",") for r in rows[:3]], [], [], rows[3].split(",")]))
    with pytest.raises(InputError, match=r"over\.xlsx has more than 3 data rows"):
        import_extract(engine, book, milestones, imported_at=WHEN)
    fits = tmp_path / "fits.xlsx"
    fits.write_bytes(_xlsx([HEADER.split(","), *[[]] * 10, *[r.split(",") for r in rows[:3]], [None] * 6]))
    assert read_extract(fits, milestones).files["participants"].rows == 3
    assert snapshot(engine) == before


def test_limit_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ETE_MAX_UPLOAD_MB", raising=False)
    monkeypatch.delenv("ETE_MAX_ROWS", raising=False)
    assert (config.max_upload_mb(), config.max_rows()) == (50, 1_000_000)
    monkeypatch.setenv("ETE_MAX_UPLOAD_MB", "120")
    monkeypatch.setenv("ETE_MAX_ROWS", "2_000_000")
    assert (config.max_upload_mb(), config.max_rows()) == (120, 2_000_000)
    for bad in ("lots", "0", "-5", "1.5"):
        monkeypatch.setenv("ETE_MAX_ROWS", bad)
        with pytest.raises(ConfigError, match="ETE_MAX_ROWS"):
            config.max_rows()


def test_streamlit_upload_limit_matches_the_importer() -> None:
    import tomllib

    settings_file = Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml"
    server = tomllib.loads(settings_file.read_text(encoding="utf-8"))["server"]
    assert server["maxUploadSize"] == config.DEFAULT_MAX_UPLOAD_MB


def test_a_million_bad_rows_list_the_first_thousand_per_check(tmp_path: Path) -> None:
    rows = [f"Q{i},Atlantis,2023-01-02,,," for i in range(1, 2_501)]
    participants = tmp_path / "participants.csv"
    participants.write_bytes(_csv(*rows))
    milestones = tmp_path / "milestones.csv"
    milestones.write_text(NO_MILESTONES, encoding="utf-8")
    with pytest.raises(ImportValidationError) as caught:
        read_extract(participants, milestones)
    problems = caught.value.problems
    assert len(problems) == MAX_ERRORS_PER_CHECK + 1
    listed = [p.line for p in problems[:-1]]
    assert listed == list(range(2, 2 + MAX_ERRORS_PER_CHECK))
    summary = problems[-1]
    # Rows 1,001..2,500 are lines 1,002..2,501: 1,500 rows, the summary on the first of them.
    assert summary.line == MAX_ERRORS_PER_CHECK + 2
    assert "this row and 1,499 more up to line 2,501 have the same problem (unknown_region)" in summary.message


# ---------------------------------------------------------------------------
# Hypothesis
# ---------------------------------------------------------------------------


def _rejected_naming(name: str, call: Any) -> Any:
    try:
        return call()
    except EteError as exc:
        assert name in str(exc), str(exc)
        return exc


@pytest.fixture(scope="module")
def files_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz_files")
    (folder / "milestones.csv").write_text(NO_MILESTONES, encoding="utf-8")
    return folder


@settings(FUZZ, max_examples=100)
@given(content=st.binary(max_size=4096), suffix=st.sampled_from([".csv", ".xlsx", ".txt"]))
def test_random_bytes_never_escape_the_validation(files_dir: Path, content: bytes, suffix: str) -> None:
    name = f"participants{suffix}"
    path = files_dir / name
    path.write_bytes(content)
    _rejected_naming(name, lambda: read_extract(path, files_dir / "milestones.csv"))


@FUZZ
@given(
    edits=st.lists(
        st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=12
    ),
    cut=st.one_of(st.none(), st.floats(0.05, 1.0)),
)
def test_damaged_workbooks_never_escape_the_validation(
    files_dir: Path, edits: list[tuple[float, int]], cut: float | None
) -> None:
    data = bytearray(_xlsx(GOOD_XLSX_ROWS))
    for where, value in edits:
        data[int(where * len(data))] = value
    if cut is not None:
        data = data[: int(cut * len(data))]
    path = files_dir / "participants.xlsx"
    path.write_bytes(bytes(data))
    _rejected_naming("participants.xlsx", lambda: read_extract(path, files_dir / "milestones.csv"))


HOSTILE_TEXT = st.sampled_from(
    [
        "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))",
        "=cmd|' /C calc'!A0", "+1+1", "@SUM(A1)", '"', '""', "'", ",", "\n", "\r\n", "\r", "\t",
        ARABIC, CHINESE, EMOJI, "\u202e", "\ufeff", " ", "", "NA", "null", "London", "wales",
        "2023-01-02", "31/12/2022", "2023-02-30", "community", "custody",
    ]
)
CELL = st.one_of(HOSTILE_TEXT, st.text(st.characters(exclude_categories=("Cs",)), max_size=12))


@settings(FUZZ, max_examples=30)
@given(
    rows=st.lists(st.lists(CELL, min_size=6, max_size=7), max_size=8),
    blank_lines=st.lists(st.integers(0, 3), min_size=8, max_size=8),
    terminator=st.sampled_from(["\n", "\r\n"]),
    mangle=st.sampled_from(["none", "drop_a_quote", "cut", "bom"]),
)
def test_csv_of_hostile_text_is_stored_whole_or_rejected_cleanly(
    fresh_db: FreshDatabase,
    files_dir: Path,
    rows: list[list[str]],
    blank_lines: list[int],
    terminator: str,
    mangle: str,
) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=terminator)
    writer.writerow(HEADER.split(","))
    for row, blanks in zip(rows, blank_lines, strict=False):
        out.write(terminator * blanks)
        writer.writerow(row)
    data = out.getvalue().encode("utf-8")
    if mangle == "drop_a_quote" and b'"' in data:
        at = data.index(b'"')
        data = data[:at] + data[at + 1 :]
    elif mangle == "cut":
        data = data[: len(data) * 2 // 3]
    elif mangle == "bom":
        data = b"\xef\xbb\xbf" + data
    path = files_dir / "participants.csv"
    path.write_bytes(data)
    engine = fresh_db()
    try:
        check_import(engine, path, files_dir / "milestones.csv", culprit="participants.csv")
    finally:
        engine.dispose()


@settings(FUZZ, max_examples=12)
@given(
    rows=st.lists(
        st.lists(
            st.one_of(
                CELL.map(lambda s: ILLEGAL_CHARACTERS_RE.sub("", s)),
                st.none(),
                st.integers(-(10**12), 10**12),
                st.floats(allow_nan=False, allow_infinity=False),
                st.booleans(),
                st.dates(date(1900, 1, 1), date(2100, 1, 1)),
            ),
            min_size=4,
            max_size=6,
        ),
        max_size=6,
    )
)
def test_workbook_of_hostile_cells_is_stored_whole_or_rejected_cleanly(
    fresh_db: FreshDatabase, files_dir: Path, rows: list[list[Any]]
) -> None:
    path = files_dir / "participants.xlsx"
    path.write_bytes(_xlsx([HEADER.split(","), *rows]))
    engine = fresh_db()
    try:
        check_import(engine, path, files_dir / "milestones.csv", culprit="participants.xlsx")
    finally:
        engine.dispose()


@FUZZ
@given(
    cells=st.lists(
        st.text(st.sampled_from('ab ,"\n\r'), max_size=6), min_size=1, max_size=8
    ),
    blank_lines=st.lists(st.integers(0, 2), min_size=8, max_size=8),
    terminator=st.sampled_from(["\n", "\r\n"]),
)
def test_line_numbers_survive_quoted_line_breaks_and_blank_lines(
    files_dir: Path, cells: list[str], blank_lines: list[int], terminator: str
) -> None:
    """Every row has an unknown region; each problem names the line where its row starts."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=terminator, quoting=csv.QUOTE_ALL)
    writer.writerow(["participant_id", "region", "referral_date", "entry_date"])
    starts = []
    for i, (text, blanks) in enumerate(zip(cells, blank_lines, strict=False)):
        out.write(terminator * blanks)
        starts.append(len(LINE_BREAK.findall(out.getvalue())) + 1)  # the line this row starts on
        writer.writerow([f"R{i}", f"Nowhere {text}", "2023-01-02", ""])
    path = files_dir / "participants.csv"
    path.write_bytes(out.getvalue().encode("utf-8"))
    with pytest.raises(ImportValidationError) as caught:
        read_extract(path, files_dir / "milestones.csv")
    lines = [p.line for p in caught.value.problems if p.check == "unknown_region"]
    assert lines == starts


@pytest.fixture(scope="module")
def demo_rows(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[list[str]], list[list[str]]]:
    """A small demo extract as CSV rows of text (header first): participants, milestones."""
    from ete_metrics.data.demo import generate_demo

    programme = generate_demo(n_participants=60)

    def text_rows(frame: pd.DataFrame) -> list[list[str]]:
        shown = frame.astype(object).map(
            lambda v: "" if v is None or v is pd.NaT or v != v
            else (v.strftime("%Y-%m-%d") if hasattr(v, "strftime") else str(v))
        )
        return [list(map(str, frame.columns)), *shown.values.tolist()]

    return text_rows(programme.participants), text_rows(programme.milestones)


#: Values a slip of the hand or a hostile file puts in a cell (issue 12 among them).
MUTATION = st.one_of(
    HOSTILE_TEXT,
    st.sampled_from([
        "2999-01-01", "0001-01-01", "1900-01-01", "29/02/2023", "P\u200b1", "\uff30\uff11",
        "\u04201", "P\u00a01", "x" * 1_001, "A" * 1_000, "=1+1", "-1", "1e400",
    ]),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=20),
)


@settings(FUZZ, max_examples=25)
@given(
    edits=st.lists(
        st.tuples(
            st.booleans(), st.floats(0, 1, exclude_max=True), st.floats(0, 1, exclude_max=True),
            MUTATION,
        ),
        min_size=1,
        max_size=10,
    ),
    drop_row=st.one_of(st.none(), st.floats(0, 1, exclude_max=True)),
)
def test_mutated_demo_extracts_raise_only_the_projects_errors(
    files_dir: Path,
    demo_rows: tuple[list[list[str]], list[list[str]]],
    edits: list[tuple[bool, float, float, str]],
    drop_row: float | None,
) -> None:
    """The demo extract with cells replaced (a header too) is read or refused, never a crash."""
    tables = [[list(row) for row in table] for table in demo_rows]
    for in_milestones, row_at, column_at, value in edits:
        table = tables[int(in_milestones)]
        row = table[int(row_at * len(table))]
        row[int(column_at * len(row))] = value
    if drop_row is not None:
        del tables[0][1 + int(drop_row * (len(tables[0]) - 1))]
    paths = []
    for name, table in zip(("participants.csv", "milestones.csv"), tables, strict=True):
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(table)
        path = files_dir / f"demo_{name}"
        path.write_text(out.getvalue(), encoding="utf-8")
        paths.append(path)
    # The project's own errors (a rejection, a limit) are the only way out; anything
    # else (OutOfBoundsDatetime, KeyError...) fails the test.
    with contextlib.suppress(EteError):
        read_extract(*paths, extract_date=date(2023, 8, 16))
