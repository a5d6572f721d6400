"""Reading an extract's files: CSV, ``.xlsx`` or any table, into raw text with line numbers.

A file becomes a :class:`Table`: a frame of stripped strings (``""`` is blank) under
normalised column names (:func:`normalise_column`: ``Entry Date`` is ``entry_date``),
the file line of each row, and what was read (:class:`FileInfo`). Nothing here knows
what the columns mean; :mod:`ete_metrics.data.columns` says that, and
:mod:`ete_metrics.data.validation` checks the values.

Line numbers count the header as line 1, so the first data row is line 2 (a row whose
quoted value spans lines is named by its first line; blank lines count as lines but
are not rows). Hostile input is expected: a file above the size or row limit
(:func:`ete_metrics.config.max_upload_mb`, :func:`ete_metrics.config.max_rows`) or an
``.xlsx`` that unpacks to far more than its size is refused with :class:`InputError`
before anything costly; any other unreadable file (random bytes, UTF-16, latin-1, NUL
bytes, a quote never closed, a damaged workbook) becomes a :class:`Problem` naming
the file.

:func:`errors_at` and :func:`warnings_at` turn a mask over a table's rows into
problems naming the file, line and column: every check uses them.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd

from ete_metrics import config
from ete_metrics.errors import InputError, Problem

__all__ = [
    "MAX_ERRORS_PER_CHECK",
    "FileInfo",
    "Table",
    "errors_at",
    "normalise_column",
    "read_table",
    "warnings_at",
]


@dataclass(frozen=True)
class FileInfo:
    """What was read from one file.

    Attributes
    ----------
    name : str
        The file's base name, as used in messages.
    path : str
        The path given.
    sha256 : str
        SHA-256 of the file's bytes (hex).
    rows : int
        Data rows read (blank lines not counted).
    """

    name: str
    path: str
    sha256: str
    rows: int


@dataclass
class Table:
    """One file as read: raw text values, with the file line of each row.

    Attributes
    ----------
    name : str
        The file's base name, as used in messages.
    frame : pandas.DataFrame
        Normalised column names (:func:`normalise_column`), every value a stripped
        ``str`` (``""`` is blank). ``frame.attrs["original_columns"]`` holds the
        header as the file spells it.
    lines : numpy.ndarray
        The file line of each row (int64).
    info : FileInfo
        What was read.
    """

    name: str
    frame: pd.DataFrame
    lines: np.ndarray
    info: FileInfo


def normalise_column(name: object) -> str:
    text = str(name).replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s\-]+", "_", text)


def _excel_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if np.isnan(value):
            return ""
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):  # includes pandas.Timestamp
        if pd.isna(value):
            return ""
        return value.date().isoformat()  # four-digit years (strftime gives "1-01-01")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


_MB = 1024 * 1024
#: Rows listed per check and file in a rejection; the rest are counted in one more line
#: (a million-row file of bad data is then rejected in seconds, not minutes).
MAX_ERRORS_PER_CHECK = 1_000
#: Header names and cell values quoted in messages are cut to this many characters.
_QUOTE_CHARS = 60


def _mb(size: int) -> str:
    return f"{size / _MB:,.1f} MB"


def _shorten(text: str, limit: int = _QUOTE_CHARS) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"


def _too_many_rows(label: str, name: str, limit: int) -> InputError:
    return InputError(
        f"The {label} file {name} has more than {limit:,} data rows (blank lines are not "
        f"counted); at most {limit:,} are accepted in one file. Split the extract into "
        "smaller files, or ask the administrator to raise ETE_MAX_ROWS."
    )


_LEADING_BLANK_LINES = re.compile(rb"(?:[ \t]*(?:\r\n|\r|\n))*")
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")


def _with_header(raw: pd.DataFrame) -> pd.DataFrame:
    """The first row of a frame read with ``header=None`` as its column names.

    Reading the header as data means a row with more values than the header is a
    parse error (with ``header=0`` pandas would silently take the first column as
    an index and shift every value), and a repeated column name stays repeated
    (reported) instead of being renamed ``name.1``.
    """
    if raw.empty:
        return pd.DataFrame()
    header = ["" if pd.isna(v) else str(v) for v in raw.iloc[0].tolist()]
    frame = raw.iloc[1:].reset_index(drop=True)
    frame.columns = pd.Index(
        [h if h.strip() else f"Unnamed: {i}" for i, h in enumerate(header)], dtype=object
    )
    return frame


def _read_csv_fast(body: bytes) -> pd.DataFrame | None:
    """Parse with the multi-threaded pyarrow engine when line numbers stay exact.

    pyarrow skips blank lines, so its row ``i`` is file line ``i + 2`` only when
    the file has one line per row; otherwise (or on any parse problem) return
    ``None`` and let the C engine (which reports blank lines and precise
    errors) handle the file.
    """
    text = body.rstrip(b"\r\n")
    physical_lines = text.count(b"\n") + text.count(b"\r") - text.count(b"\r\n") + 1
    try:
        raw = pd.read_csv(
            io.BytesIO(body), engine="pyarrow", header=None, dtype=str, keep_default_na=False
        )
    except Exception:  # noqa: BLE001 - any trouble: the careful C engine reports it
        return None
    if len(raw) != physical_lines:
        return None
    return _with_header(raw)


def _record_lines(data: bytes, rows: int) -> np.ndarray | None:
    """The file line on which each of ``rows`` data rows starts, when quotes span lines.

    A quoted value may hold line breaks, so a row can cover several lines. A line
    break ends a record only when an even number of double quotes comes before it
    (``""`` inside a quoted value counts twice). Returns ``None`` when the records
    found this way do not match the parser's rows (then rows are taken as lines).
    """
    buffer = np.frombuffer(data, dtype=np.uint8)
    # Line breaks: LF, and CR not followed by LF (CRLF is one break, a lone CR is one too).
    breaks = np.flatnonzero(buffer == 10)
    returns = np.flatnonzero(buffer == 13)
    if len(returns):
        following = buffer[np.minimum(returns + 1, len(buffer) - 1)]
        lone = returns[(returns == len(buffer) - 1) | (following != 10)]
        breaks = np.sort(np.concatenate([breaks, lone]))
    quotes = np.flatnonzero(buffer == ord('"'))
    ends = np.flatnonzero(np.searchsorted(quotes, breaks) % 2 == 0)  # indexes into breaks
    last_end = int(breaks[ends[-1]]) if len(ends) else -1
    records = len(ends) + (1 if last_end < len(data) - 1 else 0)
    if records != rows + 1:
        return None
    # Data row j starts after the end of record j (the header is record 0).
    return (ends[:rows] + 2).astype(np.int64)


_Read = tuple[pd.DataFrame | None, np.ndarray | None, Problem | None]


def _unreadable(name: str, message: str) -> tuple[None, None, Problem]:
    """Why the file cannot be read, as a reader returns it."""
    return None, None, Problem(name, None, None, message, "unreadable_file")


def _not_csv_text(data: bytes) -> str | None:
    """Why ``data`` is not CSV text in UTF-8 (a workbook, UTF-16, binary, a NUL byte,
    an invalid byte), or ``None`` when it is."""
    if data[:4] == b"PK\x03\x04":
        return "is an Excel workbook, not a CSV file; give it the .xlsx extension"
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "is UTF-16 text, not UTF-8; save it as 'CSV UTF-8'"
    nul = data.find(b"\x00")
    if 0 <= nul < 65536:
        return "is a binary file, not CSV text; export the data as CSV (UTF-8)"
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        return (
            f"has a NUL byte on line {line:,}, so it is damaged or not plain text; "
            "export the data as CSV (UTF-8) again"
        )
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return (
            f"is not UTF-8 text (invalid byte at position {exc.start}, on line {line:,}); "
            "save it as 'CSV UTF-8'"
        )
    return None


def _parse_error_message(exc: Exception, real_line: Callable[[re.Match[str]], str]) -> str:
    """What a parser error means for a person, its line numbers those of the file."""
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    detail = _shorten(re.sub(r"line (\d+)", real_line, detail), 200)
    if "EOF inside string" in detail:
        return (
            'is not a readable CSV file: a double quote (") opens a value that is never '
            f"closed ({detail}); check the quotes in that row"
        )
    if "Expected" in detail and "fields" in detail:
        return (
            f"is not a readable CSV file ({detail}): a row has more values than the header "
            "has columns; check for commas inside values that are not quoted"
        )
    return f"is not a readable CSV file ({detail})"


def _read_csv_careful(content: bytes, name: str, skipped: int, line_of: np.ndarray | None) -> _Read:
    """Parse with pandas' C engine, which reports blank lines and precise errors.

    ``skipped`` blank lines came before the header; ``line_of`` (when the blank lines
    were dropped) gives the file line of each line of ``content``.
    """

    def real_line(match: re.Match[str]) -> str:
        number = int(match.group(1))
        if line_of is not None and 1 <= number <= len(line_of):
            return f"line {int(line_of[number - 1])}"
        return f"line {number + skipped}"

    try:
        raw = pd.read_csv(
            io.BytesIO(content),
            encoding="utf-8",
            header=None,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
        )
    except UnicodeDecodeError as exc:  # pragma: no cover - the file was checked as UTF-8 above
        return _unreadable(
            name,
            f"is not UTF-8 text (invalid byte at position {exc.start}); save it as 'CSV UTF-8'",
        )
    except pd.errors.EmptyDataError:
        empty = "is empty; it needs a header row and data rows"
        return None, None, Problem(name, None, None, empty, "empty_file")
    except (pd.errors.ParserError, ValueError, OverflowError, MemoryError) as exc:
        return _unreadable(name, _parse_error_message(exc, real_line))
    frame = _with_header(raw)
    if line_of is not None:
        return frame, line_of[1 : len(frame) + 1], None
    found = _record_lines(content, len(frame))
    lines = found if found is not None else np.arange(len(frame), dtype=np.int64) + 2
    return frame, lines + skipped, None


def _read_csv(data: bytes, name: str) -> _Read:
    """Read CSV text: the frame, the file line of each row, or why it cannot be read.

    The fast multi-threaded parser is tried first; a file it cannot number line by
    line (blank lines, quoted line breaks) or parse goes to the careful one.
    """
    refused = _not_csv_text(data)
    if refused is not None:
        return _unreadable(name, refused)
    body = data.removeprefix(b"\xef\xbb\xbf")
    # Blank lines before the header: skipped, and counted so line numbers stay right.
    blank = _LEADING_BLANK_LINES.match(body)
    leading = blank.group(0) if blank else b""
    content = body[len(leading) :]
    skipped = len(_LINE_BREAK.findall(leading))
    end = content.find(b"\n")
    header_fields = (content if end < 0 else content[:end]).count(b",") + 1
    if header_fields > config.MAX_COLUMNS:
        return _unreadable(
            name,
            f"has {header_fields:,} columns in its header line; an extract file has at most "
            f"{config.MAX_COLUMNS:,}. Check it is the right file, saved as CSV with commas",
        )
    fast = _read_csv_fast(content)
    if fast is not None:
        lines = np.arange(len(fast), dtype=np.int64) + 2 + skipped
        return fast, lines, None

    # Without quotes every line is one row: drop the blank ones (millions of them cost
    # nothing then) and keep the line number of each line that is left.
    line_of: np.ndarray | None = None
    if b'"' not in content:
        physical = content.splitlines()  # LF, CRLF or a lone CR: one line break each
        kept = [i for i, line in enumerate(physical) if line.strip(b" \t,")]
        content = b"\n".join([physical[i] for i in kept]) + b"\n"
        del physical
        line_of = np.asarray(kept, dtype=np.int64) + 1 + skipped
        fast = _read_csv_fast(content)
        if fast is not None:
            return fast, line_of[1:], None
    return _read_csv_careful(content, name, skipped, line_of)


def _used_width(values: list[str]) -> int:
    """One past the last non-blank value."""
    return max((i + 1 for i, value in enumerate(values) if value), default=0)


def _not_a_workbook(data: bytes, name: str, label: str, max_rows: int) -> str | None:
    """Why ``data`` cannot be read as a workbook (not a zip archive, a damaged one), or None.

    Raises :class:`InputError` for an archive that unpacks to far more than its size
    suggests (a zip bomb) or a sheet with more than ``max_rows`` data rows: both are
    found in the raw archive, before openpyxl parses anything.
    """
    if not zipfile.is_zipfile(io.BytesIO(data)):
        return (
            "is not a valid .xlsx workbook (the file is not a zip archive); re-save it from Excel "
            "as .xlsx or export CSV"
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except Exception as exc:  # noqa: BLE001 - zipfile raises several types for a damaged archive
        return f"could not be read as an Excel workbook (damaged archive: {exc})"
    allowed_mb = min(
        config.XLSX_MAX_EXPANSION * config.max_upload_mb(), config.XLSX_MAX_UNPACKED_MB
    )
    if unpacked > allowed_mb * _MB:
        raise InputError(
            f"The {label} file {name} unpacks to {_mb(unpacked)}, more than the {allowed_mb:,} MB "
            "accepted for an .xlsx workbook: it is damaged or not an extract. Export the data as "
            "CSV (UTF-8) instead."
        )
    try:
        rows_found = _rows_with_values(data, max_rows + 2)
    except Exception as exc:  # noqa: BLE001 - zipfile and zlib raise several types for a damaged part
        return f"could not be read as an Excel workbook (damaged archive: {exc})"
    if rows_found > max_rows + 1:  # the header and max_rows rows
        raise _too_many_rows(label, name, max_rows)
    return None


@dataclass
class _Sheet:
    """What was read of the worksheet, row by row."""

    where: str = "first sheet"  # the sheet, in the words of a message
    header: list[str] | None = None
    rows: list[list[str]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # the sheet row of each row
    formula_cells: list[tuple[int, int]] = field(default_factory=list)  # no saved value
    reached: int = 0  # the last sheet row read


def _visible_sheet(book: Any) -> tuple[int, str] | str:
    """The index of the first visible worksheet and how a message names it, or why none."""
    if not book.worksheets:
        return "has no worksheet (only charts); put the table on the first sheet of the workbook"
    visible = [i for i, ws in enumerate(book.worksheets) if ws.sheet_state == "visible"]
    if not visible:
        hidden = ", ".join(f"'{_shorten(ws.title, 40)}'" for ws in book.worksheets)
        return (
            f"has no visible worksheet (hidden: {hidden}); show the sheet that holds the "
            "extract (Excel: Home, Format, Hide & Unhide) and save it as the first sheet"
        )
    index = visible[0]
    if index:  # the sheets before it are hidden: say which sheet was read
        return index, f"first visible sheet, '{_shorten(book.worksheets[index].title, 40)}',"
    return index, "first sheet"


def _collect_rows(
    sheet: _Sheet,
    rows: Iterable[tuple[Any, ...]],
    formula_rows: Iterable[tuple[Any, ...] | None],
    too_many: InputError,
    max_rows: int,
) -> None:
    """Read the sheet's rows into ``sheet``: the first non-blank row is the header, blank
    rows are skipped, a formula with no saved value is noted; raise ``too_many`` past
    ``max_rows`` data rows."""
    for number, (raw, formulas) in enumerate(zip(rows, formula_rows, strict=False), start=1):
        sheet.reached = number
        if formulas is not None:
            sheet.formula_cells += [
                (number, j)
                for j, (value, formula) in enumerate(zip(raw, formulas, strict=False))
                if value is None and isinstance(formula, str) and formula.startswith("=")
            ]
        values = [_excel_cell(value) for value in raw]
        if not any(values):
            continue
        if sheet.header is None:
            sheet.header = values
        elif len(sheet.rows) >= max_rows:
            raise too_many
        else:
            sheet.rows.append(values)
            sheet.lines.append(number)


def _read_sheet(book: Any, data: bytes, label: str, name: str, max_rows: int) -> _Sheet | str:
    """The first visible worksheet's rows, or why it cannot be read (a damaged cell)."""
    sheet = _Sheet()
    formulas_book = None
    try:
        found = _visible_sheet(book)
        if isinstance(found, str):
            return found
        index, sheet.where = found
        worksheet = book.worksheets[index]
        worksheet.reset_dimensions()  # the stored size of the sheet may be wrong: read every row
        formula_rows: Iterable[tuple[Any, ...] | None] = iter(lambda: None, 0)  # None forever
        if _has_formulas(data):
            # The formulas themselves, read alongside, tell a formula Excel never
            # calculated (no saved value) from a blank cell.
            formulas_book = openpyxl.load_workbook(
                io.BytesIO(data), read_only=True, data_only=False, keep_links=False
            )
            formula_sheet = formulas_book.worksheets[index]
            formula_sheet.reset_dimensions()
            formula_rows = formula_sheet.iter_rows(values_only=True)
        too_many = _too_many_rows(label, name, max_rows)
        rows = worksheet.iter_rows(values_only=True)
        _collect_rows(sheet, rows, formula_rows, too_many, max_rows)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged sheet fails in many ways
        # Not the error's own text: it may quote the cell (a case reference, a name).
        return (
            f"could not be read as an Excel workbook: row {sheet.reached + 1:,} of its "
            f"{sheet.where} has a damaged cell ({type(exc).__name__}); open the workbook in "
            "Excel and save it again, or export CSV"
        )
    finally:
        if formulas_book is not None:
            formulas_book.close()
    return sheet


def _sheet_frame(sheet: _Sheet, name: str) -> _Read:
    """The sheet's rows as a frame under its header (blank headings named ``Unnamed: i``)."""
    if sheet.header is None:
        return pd.DataFrame(), np.zeros(0, dtype=np.int64), None
    header, rows = sheet.header, sheet.rows
    width = max([_used_width(header), *(_used_width(row) for row in rows)])
    if width > config.MAX_COLUMNS:
        return _unreadable(
            name,
            f"has {width:,} columns on its {sheet.where.rstrip(',')}; an extract file has at "
            f"most {config.MAX_COLUMNS:,}. Check it is the right file",
        )
    columns = [
        header[i] if i < len(header) and header[i] else f"Unnamed: {i}" for i in range(width)
    ]
    padded = [row[:width] + [""] * (width - len(row)) for row in rows]
    frame = pd.DataFrame(padded, columns=columns, dtype=object)
    frame.attrs["formula_cells"] = [(line, j) for line, j in sheet.formula_cells if j < width]
    return frame, np.asarray(sheet.lines, dtype=np.int64), None


def _read_xlsx(data: bytes, name: str, label: str, max_rows: int) -> _Read:
    """Read the first visible worksheet: the first non-blank row is the header; blank rows skipped.

    A hidden sheet (often an old copy of the data) is never read: the sheet read is the
    first one a person sees on opening the workbook, and messages name it.

    Returns the frame, the sheet row of each frame row, or why the workbook cannot be read.
    Raises :class:`InputError` for a workbook that unpacks to far more than its size
    suggests (a zip bomb) or has more than ``max_rows`` data rows; reading stops there.
    """
    refused = _not_a_workbook(data, name, label, max_rows)
    if refused is not None:
        return _unreadable(name, refused)
    try:
        book = openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=True, keep_links=False
        )
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a damaged workbook
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return _unreadable(
            name, f"could not be read as an Excel workbook ({_shorten(detail, 200)})"
        )
    try:
        sheet = _read_sheet(book, data, label, name, max_rows)
    finally:
        book.close()
    if isinstance(sheet, str):
        return _unreadable(name, sheet)
    return _sheet_frame(sheet, name)


_SHEET_TAG = re.compile(rb"<(?:\w+:)?sheet\b[^>]*>")
_SHEET_ID = re.compile(rb"\br:id=\"([^\"]+)\"")
_SHEET_STATE = re.compile(rb"\bstate=\"([^\"]*)\"")
_RELATIONSHIP = re.compile(rb"<Relationship\b[^>]*>")
_ATTRIBUTE = re.compile(rb"(\w+)=\"([^\"]*)\"")
_VALUE_TAG = re.compile(rb"<(?:\w+:)?(?:v|is)[ >]")


def _first_worksheet_part(archive: zipfile.ZipFile) -> str | None:
    """The archive path of the workbook's first visible worksheet (the one read), or None."""
    try:
        book = archive.read("xl/workbook.xml")
        rels = archive.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return None
    targets = {}
    for tag in _RELATIONSHIP.findall(rels):
        attributes = dict(_ATTRIBUTE.findall(tag))
        targets[attributes.get(b"Id", b"")] = attributes.get(b"Target", b"").decode(
            errors="replace"
        )
    for tag in _SHEET_TAG.findall(book):
        state = _SHEET_STATE.search(tag)
        rel_id = _SHEET_ID.search(tag)
        if rel_id is None or (state is not None and state.group(1) != b"visible"):
            continue
        target = targets.get(rel_id.group(1), "")
        if "worksheets/" in target:
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return None


def _rows_with_values(data: bytes, stop: int) -> int:
    """Rows of the worksheet read holding a value, counted up to ``stop`` in its raw XML.

    Counting ``<row>`` elements with a ``<v>`` or ``<is>`` inside takes seconds for a
    full sheet, while openpyxl takes minutes and hundreds of MB to parse one: a
    workbook over the row limit is refused before it is parsed. Returns 0 when the
    sheet cannot be found (openpyxl then reads it, and the limit applies as it goes).
    """
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        part = _first_worksheet_part(archive)
        if part is None or part not in archive.namelist():
            return 0
        count = 0
        with archive.open(part) as sheet:
            rest = b""
            while chunk := sheet.read(1 << 22):
                pieces = (rest + chunk).split(b"</row>")
                rest = pieces.pop()
                count += sum(1 for piece in pieces if _VALUE_TAG.search(piece))
                if count >= stop:
                    return count
        return count


_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[ >/]")


def _has_formulas(data: bytes) -> bool:
    """Whether any worksheet of the workbook holds a formula (its XML has an ``<f>`` element).

    Read in pieces, so a large sheet is never unpacked into memory at once.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            if not info.filename.startswith("xl/worksheets/"):
                continue
            with archive.open(info) as part:
                tail = b""
                while chunk := part.read(1 << 20):
                    if _FORMULA_TAG.search(tail + chunk):
                        return True
                    tail = chunk[-8:]
    return False


def _formula_problems(
    name: str,
    columns: Sequence[str],
    cells: Sequence[tuple[int, int]],
    known: Sequence[str],
    spelling: Mapping[str, str],
) -> list[Problem]:
    """A problem for each formula with no saved value in a known column (the first 1,000),
    naming the column as the file spells it (``spelling``: normalised name -> header)."""
    found = [
        (line, spelling.get(columns[j], columns[j])) for line, j in cells if columns[j] in known
    ]
    problems = [
        Problem(
            name,
            line,
            column,
            "the cell holds a formula with no saved value (the workbook was not saved by "
            "Excel after the formula was entered, so it reads as blank); open the workbook in "
            "Excel and save it, or copy the column and paste it back as values",
            "formula_without_value",
        )
        for line, column in found[:MAX_ERRORS_PER_CHECK]
    ]
    if len(found) > MAX_ERRORS_PER_CHECK:
        problems.append(
            Problem(
                name,
                found[MAX_ERRORS_PER_CHECK][0],
                found[MAX_ERRORS_PER_CHECK][1],
                f"{len(found) - MAX_ERRORS_PER_CHECK:,} more cells hold a formula with no saved "
                "value; only the first 1,000 are listed",
                "formula_without_value",
            )
        )
    return problems


def _too_long_message(values: pd.Series) -> Callable[[int], str]:
    return lambda i: (
        f"the value is {len(str(values.iat[i])):,} characters long; the longest accepted is "
        f"{config.MAX_CELL_CHARS:,} (is the right data in this column?)"
    )


def _read_bytes(path: Path, name: str, label: str) -> tuple[bytes | None, list[Problem]]:
    """The file's bytes, refusing (with :class:`InputError`) a file above the size limit."""
    limit_mb = config.max_upload_mb()
    try:
        size = path.stat().st_size if path.is_file() else None
        if size is not None and size > limit_mb * _MB:
            raise InputError(
                f"The {label} file {name} is {_mb(size)}; the largest file accepted is "
                f"{limit_mb:,} MB. Split the extract into smaller files, or ask the administrator "
                "to raise ETE_MAX_UPLOAD_MB."
            )
        with path.open("rb") as handle:
            data = handle.read(limit_mb * _MB + 1)
    except FileNotFoundError:
        return None, [
            Problem(name, None, None, f"the {label} file {path} does not exist", "unreadable_file")
        ]
    except IsADirectoryError:
        return None, [
            Problem(name, None, None, f"{path} is a folder, not a {label} file", "unreadable_file")
        ]
    except OSError as exc:
        return None, [
            Problem(name, None, None, f"cannot be read ({exc.strerror})", "unreadable_file")
        ]
    if len(data) > limit_mb * _MB:
        raise InputError(
            f"The {label} file {name} is larger than {limit_mb:,} MB, the largest file accepted. "
            "Split the extract into smaller files, or ask the administrator to raise "
            "ETE_MAX_UPLOAD_MB."
        )
    return data, []


def _parse(data: bytes, path: Path, name: str, label: str, max_rows: int) -> _Read:
    """The file parsed by its type (``.xlsx``/``.xlsm`` a workbook, otherwise CSV)."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(data, name, label, max_rows)
    if suffix == ".xls":
        return _unreadable(
            name, "is an old .xls workbook, which is not supported; save it as .xlsx or CSV"
        )
    return _read_csv(data, name)


def _stripped(frame: pd.DataFrame) -> pd.DataFrame:
    """Every value as text without surrounding spaces (a missing cell is ``""``)."""
    frame = frame.fillna("")
    for column in frame.columns.unique():
        values = frame[column]
        if isinstance(values, pd.Series):
            # Strip with the (arrow) string kernels; plain Python strings come later.
            frame[column] = values.astype(str).str.strip()
    return frame


def _without_blank_rows(
    frame: pd.DataFrame, lines: np.ndarray, too_many: Callable[[], InputError], max_rows: int
) -> tuple[pd.DataFrame, np.ndarray]:
    """The rows holding a value, and their lines; raise ``too_many()`` past ``max_rows``."""
    if not len(frame.columns):
        return frame, lines
    keep = (frame != "").any(axis=1).to_numpy()
    if int(keep.sum()) > max_rows:  # counted before any per-row work
        raise too_many()
    return frame.loc[keep].reset_index(drop=True), lines[keep]


def _shorten_long_values(
    table: Table, known: Sequence[str], spelling: Mapping[str, str]
) -> list[Problem]:
    """A ``value_too_long`` error for each value of a known column longer than
    :data:`ete_metrics.config.MAX_CELL_CHARS`, the value shortened (so other messages
    stay short); every column made plain Python strings."""
    frame = table.frame
    problems: list[Problem] = []
    for column in frame.columns.unique():
        values = frame[column]
        if not isinstance(values, pd.Series):
            continue
        if column in known:
            too_long = (values.str.len() > config.MAX_CELL_CHARS).to_numpy()
            if too_long.any():
                problems += errors_at(
                    table,
                    too_long,
                    spelling.get(column, column),
                    "value_too_long",
                    _too_long_message(values),
                )
                values = values.where(~too_long, values.str.slice(0, _QUOTE_CHARS) + "…")
        # Comparisons, isin and map are much faster on plain Python strings (object arrays).
        frame[column] = values.astype(object)
    return problems


def read_table(
    path: str | Path, label: str, known: Sequence[str] = ()
) -> tuple[Table | None, list[Problem]]:
    """Read one file into a frame of stripped strings, or return why it cannot be read.

    Raises :class:`InputError` when the file is above the size or row limit
    (:func:`ete_metrics.config.max_upload_mb`, :func:`ete_metrics.config.max_rows`).
    Values of the ``known`` columns longer than :data:`ete_metrics.config.MAX_CELL_CHARS`
    are returned as problems (and shortened, so other messages stay short).
    """
    path = Path(path)
    name = path.name or str(path)
    data, problems = _read_bytes(path, name, label)
    if data is None:
        return None, problems
    sha256 = hashlib.sha256(data).hexdigest()
    if not data.strip().removeprefix(b"\xef\xbb\xbf").strip():
        empty = "is empty; it needs a header row and data rows"
        return None, [Problem(name, None, None, empty, "empty_file")]
    max_rows = config.max_rows()
    frame, given_lines, problem = _parse(data, path, name, label, max_rows)
    del data
    if frame is None:
        return None, [problem] if problem else []
    if len(frame.columns) > config.MAX_COLUMNS:
        message = (
            f"has {len(frame.columns):,} columns; an extract file has at most "
            f"{config.MAX_COLUMNS:,}. Check it is the right file"
        )
        return None, [Problem(name, None, None, message, "unreadable_file")]

    formula_cells = frame.attrs.pop("formula_cells", [])
    original = [_shorten(str(c)) for c in frame.columns]
    frame.columns = pd.Index([normalise_column(c) for c in frame.columns])
    # Problems found here name a column as the file spells it (``Location Name``, not
    # ``location_name``): the file may be another system's export read through a mapping.
    spelling = {c: o for c, o in zip(frame.columns, original, strict=True)}
    if formula_cells:
        formula_problems = _formula_problems(
            name, list(frame.columns), formula_cells, known, spelling
        )
        if formula_problems:  # nothing else of the file is checked until they are fixed
            return None, formula_problems
    lines = given_lines if given_lines is not None else np.arange(len(frame), dtype=np.int64) + 2
    frame, lines = _without_blank_rows(
        _stripped(frame), lines, lambda: _too_many_rows(label, name, max_rows), max_rows
    )
    info = FileInfo(name=name, path=str(path), sha256=sha256, rows=len(frame))
    table = Table(name=name, frame=frame, lines=lines, info=info)
    problems = _shorten_long_values(table, known, spelling)
    frame.attrs["original_columns"] = original
    return table, problems


def errors_at(
    table: Table,
    mask: np.ndarray | pd.Series,
    column: str,
    check: str,
    message: Callable[[int], str],
    ids: pd.Series | None = None,
    *,
    limit: int | None = MAX_ERRORS_PER_CHECK,
) -> list[Problem]:
    """One Problem per row where ``mask`` holds; ``message(i)`` builds the text for row i.

    With a ``limit`` (errors), only the first ``limit`` rows get their own Problem and
    one more Problem, on the first row left out, counts the rest. Warnings pass
    ``limit=None``: every one is stored with the import.
    """
    positions = np.flatnonzero(np.asarray(mask, dtype=bool))
    if not len(positions):
        return []
    rest = positions[limit:] if limit is not None else positions[:0]
    positions = positions[:limit] if limit is not None else positions
    id_values = ids.iloc[positions].tolist() if ids is not None else [None] * len(positions)
    out = []
    for i, pid in zip(positions, id_values, strict=True):
        out.append(
            Problem(
                table.name,
                int(table.lines[i]),
                column,
                message(int(i)),
                check,
                pid if pid else None,
            )
        )
    if len(rest):
        out.append(
            Problem(
                table.name,
                int(table.lines[rest[0]]),
                column,
                f"this row and {len(rest) - 1:,} more up to line {int(table.lines[rest[-1]]):,} "
                f"have the same problem ({check}); only the first {limit:,} rows with it are "
                "listed one by one",
                check,
            )
        )
    return out


def warnings_at(
    table: Table,
    mask: np.ndarray | pd.Series,
    column: str,
    check: str,
    message: Callable[[int], str],
    ids: pd.Series | None = None,
) -> list[Problem]:
    """:func:`errors_at` without a limit, for warnings (each one is stored with the import)."""
    return errors_at(table, mask, column, check, message, ids, limit=None)
