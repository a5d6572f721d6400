"""Validated import of an extract (participants, milestones, optional targets).

The extract is read from CSV (UTF-8, with or without a byte-order mark) or
Excel ``.xlsx`` files, checked in full with vectorised pandas operations, and
either rejected with *every* problem listed (:class:`ImportValidationError`,
nothing written) or written in one transaction by
:func:`ete_metrics.data.db.save_extract` with its warnings stored alongside.

Line numbers in messages count the header as line 1, so the first data row is
line 2 (a row whose quoted value spans lines is named by its first line; blank
lines count as lines but are not rows). The format is documented in
``data/README.md``.

Hostile input is expected (uploads come from the dashboard): a file above the
size or row limit (:func:`ete_metrics.config.max_upload_mb`,
:func:`ete_metrics.config.max_rows`) or an ``.xlsx`` that unpacks to far more
than its size is refused with :class:`InputError` before anything costly; any
other unreadable file (random bytes, UTF-16, latin-1, NUL bytes, a quote never
closed, a damaged workbook) becomes a problem naming the file. No other
exception escapes, and nothing is written unless the whole extract is valid.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
from sqlalchemy import Engine

from ete_metrics import config
from ete_metrics.steps import MILESTONE_TYPES, TARGET_MEASURES

from ete_metrics.data import checks, db, frames
from ete_metrics.errors import ImportValidationError, InputError, Problem
from ete_metrics.progress import Progress, share, tell

#: Shares of an import's progress: reading and checking the files, then writing them.
READ_SHARE: tuple[float, float] = (0.02, 0.6)

__all__ = [
    "MAX_ERRORS_PER_CHECK",
    "Extract",
    "FileInfo",
    "ImportResult",
    "import_extract",
    "write_extract",
    "read_extract",
]

_DATE_FORMATS_TEXT = "YYYY-MM-DD or DD/MM/YYYY"


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
class Extract:
    """A validated extract, ready for :func:`ete_metrics.data.db.save_extract`.

    Attributes
    ----------
    participants, milestones : pandas.DataFrame
        In the :mod:`ete_metrics.data.frames` formats, with canonical spellings.
    targets : pandas.DataFrame or None
        In the frames format; ``None`` when no targets file was given.
    warnings : list of Problem
        Data-quality warnings (the import may proceed).
    files : dict of str to FileInfo
        Keyed ``participants``, ``milestones`` and (when given) ``targets``.
    extract_date : datetime.date or None
        The date the extract was taken, used for the future-date check.
    """

    participants: pd.DataFrame
    milestones: pd.DataFrame
    targets: pd.DataFrame | None
    warnings: list[Problem] = field(default_factory=list)
    files: dict[str, FileInfo] = field(default_factory=dict)
    extract_date: date | None = None


@dataclass(frozen=True)
class ImportResult:
    """The outcome of :func:`import_extract`.

    Attributes
    ----------
    import_id : int
        The id of the ``imports`` row.
    participants, milestones, targets : int
        Rows imported from each file.
    warnings : tuple of Problem
        The warnings stored with the import.
    extract_date : datetime.date
        The extract date used for the future-date check.
    """

    import_id: int
    participants: int
    milestones: int
    targets: int
    warnings: tuple[Problem, ...]
    extract_date: date

    def warnings_by_check(self) -> dict[str, int]:
        """Return the number of warnings per check, most frequent first."""
        return dict(Counter(w.check for w in self.warnings).most_common())


# ---------------------------------------------------------------------------
# Reading one file
# ---------------------------------------------------------------------------


@dataclass
class _Table:
    name: str
    frame: pd.DataFrame  # normalised column names, all values stripped str ("" = blank)
    lines: np.ndarray  # file line of each row
    info: FileInfo


def _normalise_column(name: object) -> str:
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


def _read_csv(
    data: bytes, name: str
) -> tuple[pd.DataFrame | None, np.ndarray | None, Problem | None]:
    def unreadable(message: str) -> tuple[None, None, Problem]:
        return None, None, Problem(name, None, None, message, "unreadable_file")

    if data[:4] == b"PK\x03\x04":
        return unreadable("is an Excel workbook, not a CSV file; give it the .xlsx extension")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return unreadable("is UTF-16 text, not UTF-8; save it as 'CSV UTF-8'")
    nul = data.find(b"\x00")
    if 0 <= nul < 65536:
        return unreadable("is a binary file, not CSV text; export the data as CSV (UTF-8)")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        return unreadable(
            f"has a NUL byte on line {line:,}, so it is damaged or not plain text; "
            "export the data as CSV (UTF-8) again"
        )
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return unreadable(
            f"is not UTF-8 text (invalid byte at position {exc.start}, on line {line:,}); "
            "save it as 'CSV UTF-8'"
        )
    body = data.removeprefix(b"\xef\xbb\xbf")
    # Blank lines before the header: skipped, and counted so line numbers stay right.
    blank = _LEADING_BLANK_LINES.match(body)
    leading = blank.group(0) if blank else b""
    content = body[len(leading) :]
    skipped = len(_LINE_BREAK.findall(leading))
    end = content.find(b"\n")
    header_fields = (content if end < 0 else content[:end]).count(b",") + 1
    if header_fields > config.MAX_COLUMNS:
        return unreadable(
            f"has {header_fields:,} columns in its header line; an extract file has at most "
            f"{config.MAX_COLUMNS:,}. Check it is the right file, saved as CSV with commas"
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
        return unreadable(
            f"is not UTF-8 text (invalid byte at position {exc.start}); save it as 'CSV UTF-8'"
        )
    except pd.errors.EmptyDataError:
        return None, None, Problem(
            name, None, None, "is empty; it needs a header row and data rows", "empty_file"
        )
    except (pd.errors.ParserError, ValueError, OverflowError, MemoryError) as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        detail = _shorten(re.sub(r"line (\d+)", real_line, detail), 200)
        if "EOF inside string" in detail:
            return unreadable(
                "is not a readable CSV file: a double quote (\") opens a value that is never "
                f"closed ({detail}); check the quotes in that row"
            )
        if "Expected" in detail and "fields" in detail:
            return unreadable(
                f"is not a readable CSV file ({detail}): a row has more values than the header "
                "has columns; check for commas inside values that are not quoted"
            )
        return unreadable(f"is not a readable CSV file ({detail})")
    frame = _with_header(raw)
    if line_of is not None:
        return frame, line_of[1 : len(frame) + 1], None
    found = _record_lines(content, len(frame))
    lines = found if found is not None else np.arange(len(frame), dtype=np.int64) + 2
    return frame, lines + skipped, None


def _used_width(values: list[str]) -> int:
    """One past the last non-blank value."""
    return max((i + 1 for i, value in enumerate(values) if value), default=0)


def _read_xlsx(
    data: bytes, name: str, label: str, max_rows: int
) -> tuple[pd.DataFrame | None, np.ndarray | None, Problem | None]:
    """Read the first visible worksheet: the first non-blank row is the header; blank rows skipped.

    A hidden sheet (often an old copy of the data) is never read: the sheet read is the
    first one a person sees on opening the workbook, and messages name it.

    Returns the frame, the sheet row of each frame row, or why the workbook cannot be read.
    Raises :class:`InputError` for a workbook that unpacks to far more than its size
    suggests (a zip bomb) or has more than ``max_rows`` data rows; reading stops there.
    """

    def unreadable(message: str) -> tuple[None, None, Problem]:
        return None, None, Problem(name, None, None, message, "unreadable_file")

    if not zipfile.is_zipfile(io.BytesIO(data)):
        return unreadable(
            "is not a valid .xlsx workbook (the file is not a zip archive); re-save it from Excel "
            "as .xlsx or export CSV"
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except Exception as exc:  # noqa: BLE001 - zipfile raises several types for a damaged archive
        return unreadable(f"could not be read as an Excel workbook (damaged archive: {exc})")
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
        return unreadable(f"could not be read as an Excel workbook (damaged archive: {exc})")
    if rows_found > max_rows + 1:  # the header and max_rows rows
        raise _too_many_rows(label, name, max_rows)
    try:
        book = openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=True, keep_links=False
        )
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a damaged workbook
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return unreadable(f"could not be read as an Excel workbook ({_shorten(detail, 200)})")
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    where = "first sheet"
    formula_cells: list[tuple[int, int]] = []  # (sheet row, column) of a formula with no value
    formulas_book = None
    try:
        if not book.worksheets:
            return unreadable(
                "has no worksheet (only charts); put the table on the first sheet of the workbook"
            )
        visible = [i for i, ws in enumerate(book.worksheets) if ws.sheet_state == "visible"]
        if not visible:
            hidden = ", ".join(f"'{_shorten(ws.title, 40)}'" for ws in book.worksheets)
            return unreadable(
                f"has no visible worksheet (hidden: {hidden}); show the sheet that holds the "
                "extract (Excel: Home, Format, Hide & Unhide) and save it as the first sheet"
            )
        index = visible[0]
        sheet = book.worksheets[index]
        if index:  # the sheets before it are hidden: say which sheet was read
            where = f"first visible sheet, '{_shorten(sheet.title, 40)}',"
        sheet.reset_dimensions()  # the stored size of the sheet may be wrong: read every row
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
        both = zip(sheet.iter_rows(values_only=True), formula_rows, strict=False)
        number = 0
        for number, (raw, formulas) in enumerate(both, start=1):
            if formulas is not None:
                formula_cells += [
                    (number, j)
                    for j, (value, formula) in enumerate(zip(raw, formulas, strict=False))
                    if value is None and isinstance(formula, str) and formula.startswith("=")
                ]
            values = [_excel_cell(value) for value in raw]
            if not any(values):
                continue
            if header is None:
                header = values
            elif len(rows) >= max_rows:
                raise _too_many_rows(label, name, max_rows)
            else:
                rows.append(values)
                lines.append(number)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged sheet fails in many ways
        # Not the error's own text: it may quote the cell (a case reference, a name).
        return unreadable(
            f"could not be read as an Excel workbook: row {number + 1:,} of its {where} has "
            f"a damaged cell ({type(exc).__name__}); open the workbook in Excel and save it "
            "again, or export CSV"
        )
    finally:
        book.close()
        if formulas_book is not None:
            formulas_book.close()
    if header is None:
        return pd.DataFrame(), np.zeros(0, dtype=np.int64), None
    width = max([_used_width(header), *(_used_width(row) for row in rows)])
    if width > config.MAX_COLUMNS:
        return unreadable(
            f"has {width:,} columns on its {where.rstrip(',')}; an extract file has at most "
            f"{config.MAX_COLUMNS:,}. Check it is the right file"
        )
    columns = [
        header[i] if i < len(header) and header[i] else f"Unnamed: {i}" for i in range(width)
    ]
    padded = [row[:width] + [""] * (width - len(row)) for row in rows]
    frame = pd.DataFrame(padded, columns=columns, dtype=object)
    frame.attrs["formula_cells"] = [(line, j) for line, j in formula_cells if j < width]
    return frame, np.asarray(lines, dtype=np.int64), None


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
        targets[attributes.get(b"Id", b"")] = attributes.get(b"Target", b"").decode(errors="replace")
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


def _read_table(
    path: str | Path, label: str, known: Sequence[str] = ()
) -> tuple[_Table | None, list[Problem]]:
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
        return None, [
            Problem(name, None, None, "is empty; it needs a header row and data rows", "empty_file")
        ]

    max_rows = config.max_rows()
    suffix = path.suffix.lower()
    given_lines: np.ndarray | None = None
    if suffix in (".xlsx", ".xlsm"):
        frame, given_lines, problem = _read_xlsx(data, name, label, max_rows)
    elif suffix == ".xls":
        frame, problem = (
            None,
            Problem(
                name,
                None,
                None,
                "is an old .xls workbook, which is not supported; save it as .xlsx or CSV",
                "unreadable_file",
            ),
        )
    else:
        frame, given_lines, problem = _read_csv(data, name)
    del data
    if frame is None:
        return None, [problem] if problem else []
    if len(frame.columns) > config.MAX_COLUMNS:
        return None, [
            Problem(
                name,
                None,
                None,
                f"has {len(frame.columns):,} columns; an extract file has at most "
                f"{config.MAX_COLUMNS:,}. Check it is the right file",
                "unreadable_file",
            )
        ]

    formula_cells = frame.attrs.pop("formula_cells", [])
    frame = frame.fillna("")
    original = [_shorten(str(c)) for c in frame.columns]
    frame.columns = pd.Index([_normalise_column(c) for c in frame.columns])
    # Problems found here name a column as the file spells it (``Location Name``, not
    # ``location_name``): the file may be another system's export read through a mapping.
    spelling = {c: o for c, o in zip(frame.columns, original, strict=True)}
    if formula_cells:
        formula_problems = _formula_problems(
            name, list(frame.columns), formula_cells, known, spelling
        )
        if formula_problems:  # nothing else of the file is checked until they are fixed
            return None, formula_problems
    for column in frame.columns.unique():
        values = frame[column]
        if isinstance(values, pd.Series):
            # Strip with the (arrow) string kernels; plain Python strings come later.
            frame[column] = values.astype(str).str.strip()
    lines = given_lines if given_lines is not None else np.arange(len(frame), dtype=np.int64) + 2
    if len(frame.columns):
        keep = (frame != "").any(axis=1).to_numpy()
        if int(keep.sum()) > max_rows:  # counted before any per-row work
            raise _too_many_rows(label, name, max_rows)
        frame = frame.loc[keep].reset_index(drop=True)
        lines = lines[keep]
    info = FileInfo(name=name, path=str(path), sha256=sha256, rows=len(frame))
    table = _Table(name=name, frame=frame, lines=lines, info=info)

    problems = []
    for column in frame.columns.unique():
        values = frame[column]
        if not isinstance(values, pd.Series):
            continue
        if column in known:
            too_long = (values.str.len() > config.MAX_CELL_CHARS).to_numpy()
            if too_long.any():
                problems += _problems(
                    table, too_long, spelling.get(column, column), "value_too_long",
                    _too_long_message(values),
                )
                values = values.where(~too_long, values.str.slice(0, _QUOTE_CHARS) + "…")
        # Comparisons, isin and map are much faster on plain Python strings (object arrays).
        frame[column] = values.astype(object)
    frame.attrs["original_columns"] = original
    table.frame = frame
    return table, problems


def _check_columns(
    table: _Table, required: Sequence[str], known: Sequence[str]
) -> tuple[list[Problem], list[Problem]]:
    """Return (errors, warnings) about the header: missing, duplicated and unknown columns."""
    errors: list[Problem] = []
    warnings: list[Problem] = []
    columns = list(table.frame.columns)
    original = table.frame.attrs.get("original_columns", columns)
    seen: dict[str, str] = {}
    for raw, column in zip(original, columns, strict=True):
        if column in seen:
            errors.append(
                Problem(
                    table.name,
                    1,
                    column,
                    f"the column {raw!r} appears twice (also as {seen[column]!r}); keep one",
                    "duplicate_column",
                )
            )
        else:
            seen[column] = raw
        if column not in known:
            warnings.append(
                Problem(
                    table.name,
                    1,
                    raw,
                    f"unknown column {raw!r} was ignored (expected columns: {', '.join(known)})",
                    "unknown_column",
                )
            )
    for column in required:
        if column not in seen:
            errors.append(
                Problem(
                    table.name,
                    1,
                    column,
                    f"the required column {column} is missing (columns found: {', '.join(original) or 'none'})",
                    "missing_column",
                )
            )
    if errors:
        return errors, warnings
    table.frame = table.frame.loc[:, ~table.frame.columns.duplicated()]
    return errors, warnings


# ---------------------------------------------------------------------------
# Vectorised checks
# ---------------------------------------------------------------------------


def _problems(
    table: _Table,
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


def _every_problem(
    table: _Table,
    mask: np.ndarray | pd.Series,
    column: str,
    check: str,
    message: Callable[[int], str],
    ids: pd.Series | None = None,
) -> list[Problem]:
    """:func:`_problems` without a limit, for warnings (each one is stored with the import)."""
    return _problems(table, mask, column, check, message, ids, limit=None)


#: The dates an extract may hold: those pandas can count with (it stores nanoseconds
#: since 1970, so 1677-09-21 to 2262-04-11), to whole years. A year typed as 2999 or
#: 0001 is an error naming the cell, not a failure later on.
_EARLIEST_DATE = np.datetime64("1678-01-01")
_LATEST_DATE = np.datetime64("2261-12-31")


def _parse_dates(values: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Parse ISO or UK dates.

    Each distinct text is parsed once (an extract has a few thousand distinct dates
    however many rows; a file of one bad value repeated a million times stays quick).

    Returns
    -------
    tuple of (pandas.Series, numpy.ndarray, numpy.ndarray)
        The ``datetime64[ns]`` dates (``NaT`` when blank or not accepted), the mask of
        non-blank values that are not a date, and the mask of real dates outside
        ``_EARLIEST_DATE`` to ``_LATEST_DATE``.
    """
    codes, uniques = pd.factorize(values.to_numpy(dtype=object))
    texts = pd.Series(uniques, dtype=object)
    present = (texts != "").to_numpy()
    as_object = texts.where(present, None)
    parsed = pd.to_datetime(as_object, format="%Y-%m-%d", errors="coerce")
    need = present & parsed.isna().to_numpy()
    if need.any():
        uk = pd.to_datetime(as_object[need], format="%d/%m/%Y", errors="coerce")
        parsed = parsed.copy()
        parsed[need] = uk
    # Parsed at the precision that holds every year (microseconds); only then to nanoseconds.
    wide = parsed.to_numpy(dtype="datetime64[us]", copy=True)
    outside = ~np.isnat(wide) & ((wide < _EARLIEST_DATE) | (wide > _LATEST_DATE))
    wide[outside] = np.datetime64("NaT")
    parsed_values = wide.astype("datetime64[ns]")
    bad = present & np.isnat(parsed_values) & ~outside
    return pd.Series(parsed_values[codes], index=values.index), bad[codes], outside[codes]


def _date_column(
    table: _Table, column: str, errors: list[Problem], ids: pd.Series | None
) -> pd.Series:
    values = (
        table.frame[column]
        if column in table.frame.columns
        else pd.Series("", index=table.frame.index)
    )
    parsed, bad, outside = _parse_dates(values)
    errors.extend(
        _problems(
            table,
            bad,
            column,
            "invalid_date",
            lambda i: f"{values.iat[i]!r} is not a real date (use {_DATE_FORMATS_TEXT})",
            ids,
        )
    )
    errors.extend(
        _problems(
            table,
            outside,
            column,
            "date_out_of_range",
            lambda i: (
                f"{values.iat[i]!r} is outside the dates accepted ({_EARLIEST_DATE.item():%Y} "
                f"to {_LATEST_DATE.item():%Y}); check the year"
            ),
            ids,
        )
    )
    return parsed


def _canonical(
    values: pd.Series, mapping: Mapping[str, str], key: Callable[[str], str]
) -> pd.Series:
    """Map each distinct value through ``key`` then ``mapping`` (NaN when unknown)."""
    codes, uniques = pd.factorize(values)
    mapped = np.array([mapping.get(key(str(value))) for value in uniques] + [None], dtype=object)
    return pd.Series(mapped[codes], index=values.index, dtype=object)


def _region_key(value: str) -> str:
    return " ".join(value.lower().split())


def _code_key(value: str) -> str:
    return re.sub(r"[\s\-]+", "_", value.strip().lower())


def _blank_to_none(values: pd.Series) -> pd.Series:
    return values.astype(object).where(values != "", None)


def _fmt(value: Any) -> str:
    stamp = pd.Timestamp(value)
    return stamp.strftime("%Y-%m-%d")


def _id_too_long(table: _Table, ids: pd.Series) -> list[Problem]:
    """Ids longer than the database column (``String(64)``) are errors, not a failed save."""
    return _problems(
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
            inside = 0 < i < len(text) - 1 and not text[i - 1].isascii() and not text[i + 1].isascii()
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
#: Any character :func:`_id_break` names (the control characters are Unicode's Cc).
ID_BREAK_PATTERN = "[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]"


def _id_break(text: str) -> tuple[int, str] | None:
    """The first character of ``text`` no id may hold, as (1-based position, its name), or None."""
    for position, char in enumerate(text, start=1):
        if char in _ID_BREAKS:
            return position, _ID_BREAKS[char]
        if unicodedata.category(char) == "Cc":
            return position, f"a control character, U+{ord(char):04X}"
    return None


def _normalise_ids(table: _Table) -> tuple[list[Problem], list[Problem]]:
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
    fixed = np.array(uniques, dtype=object)
    changed = np.zeros(len(uniques), dtype=bool)
    foreign: dict[int, str] = {}
    broken: dict[int, tuple[int, str]] = {}
    controlled = pd.Series(uniques, dtype=object).astype(str).str.contains(ID_BREAK_PATTERN)
    for k, value in enumerate(uniques):
        text = str(value)
        if text.isascii() and not controlled.iat[k]:
            continue
        found = _id_break(text)
        if found is not None:
            broken[k] = found
            continue
        clean = _visible(unicodedata.normalize("NFKC", text)).strip()
        if clean != text:
            fixed[k], changed[k] = clean, True
        odd = next((c for c in clean if _looks_latin(c)), None)
        if odd is not None:
            foreign[k] = odd
    if not changed.any() and not foreign and not broken:
        return [], []
    original = ids.copy()
    errors = _problems(
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
    errors += _problems(
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
    warnings = _every_problem(
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


def _validate_participants(
    table: _Table, regions: Sequence[str]
) -> tuple[pd.DataFrame, list[Problem]]:
    frame = table.frame
    errors: list[Problem] = []
    ids = frame["participant_id"]

    missing_id = (ids == "").to_numpy()
    errors += _problems(
        table,
        missing_id,
        "participant_id",
        "missing_participant_id",
        lambda i: "participant_id is blank; every row needs one",
    )
    errors += _id_too_long(table, ids)

    duplicated = (ids.duplicated(keep="first") & ~missing_id).to_numpy()
    if duplicated.any():
        first_line = pd.Series(table.lines, index=frame.index)[~ids.duplicated(keep="first")]
        first_by_id = dict(zip(ids[first_line.index], first_line, strict=True))
        errors += _problems(
            table,
            duplicated,
            "participant_id",
            "duplicate_participant_id",
            lambda i: (
                f"participant_id {ids.iat[i]} appears twice (lines {first_by_id[ids.iat[i]]} "
                f"and {table.lines[i]}); keep one row per participant"
            ),
            ids,
        )

    region_raw = frame["region"]
    canonical = {_region_key(r): r for r in regions}
    region = _canonical(region_raw, canonical, _region_key)
    blank_region = (region_raw == "").to_numpy()
    errors += _problems(
        table,
        blank_region,
        "region",
        "missing_region",
        lambda i: "region is blank; every participant needs a region",
        ids,
    )
    errors += _problems(
        table,
        region.isna().to_numpy() & ~blank_region,
        "region",
        "unknown_region",
        lambda i: f"unknown region {region_raw.iat[i]!r} (expected one of: {', '.join(regions)})",
        ids,
    )

    dates = {c: _date_column(table, c, errors, ids) for c in frames.PARTICIPANT_DATE_COLUMNS}
    no_dates = ((frame["entry_date"] == "") & (frame["referral_date"] == "")).to_numpy()
    errors += _problems(
        table,
        no_dates,
        "entry_date",
        "missing_dates",
        lambda i: "a participant needs an entry_date or a referral_date",
        ids,
    )

    pathway = pd.Series(None, index=frame.index, dtype=object)
    if "pathway" in frame.columns:
        pathway_raw = frame["pathway"]
        pathway = _canonical(pathway_raw, {p: p for p in config.PATHWAYS}, _code_key)
        errors += _problems(
            table,
            pathway.isna().to_numpy() & (pathway_raw != "").to_numpy(),
            "pathway",
            "unknown_pathway",
            lambda i: (
                f"unknown pathway {pathway_raw.iat[i]!r} (expected {' or '.join(config.PATHWAYS)}, or blank)"
            ),
            ids,
        )

    if "caseworker" in frame.columns:
        # A caseworker is stored only as a pseudonym: an email (or any '@') is refused,
        # and the message does not repeat it.
        errors += _problems(
            table,
            frame["caseworker"].str.contains("@", regex=False).to_numpy(dtype=bool),
            "caseworker",
            "caseworker_not_pseudonym",
            lambda i: (
                "caseworker looks like an email address; give the caseworker's pseudonym, "
                "never a name or an email (a mapping with caseworker pseudonymises it)"
            ),
            ids,
        )

    data: dict[str, Any] = {}
    for column in frames.PARTICIPANT_COLUMNS:
        if column in dates:
            data[column] = dates[column]
        elif column == "region":
            data[column] = region.astype(object)
        elif column == "pathway":
            data[column] = pathway.astype(object).where(pathway.notna(), None)
        elif column in frame.columns:
            data[column] = _blank_to_none(frame[column])
    return frames.conform_participants(pd.DataFrame(data, index=frame.index)), errors


def _validate_milestones(
    table: _Table, participant_ids: pd.Series | None, known_ids: frozenset[str]
) -> tuple[pd.DataFrame, list[Problem]]:
    frame = table.frame
    errors: list[Problem] = []
    ids = frame["participant_id"]
    missing_id = (ids == "").to_numpy()
    errors += _problems(
        table,
        missing_id,
        "participant_id",
        "missing_participant_id",
        lambda i: "participant_id is blank; every milestone needs one",
    )
    errors += _id_too_long(table, ids)

    milestone_raw = frame["milestone"]
    milestone = _canonical(milestone_raw, {m: m for m in MILESTONE_TYPES}, _code_key)
    blank = (milestone_raw == "").to_numpy()
    errors += _problems(
        table, blank, "milestone", "missing_milestone", lambda i: "milestone is blank", ids
    )
    errors += _problems(
        table,
        milestone.isna().to_numpy() & ~blank,
        "milestone",
        "unknown_milestone",
        lambda i: (
            f"unknown milestone {milestone_raw.iat[i]!r} (expected one of: {', '.join(MILESTONE_TYPES)})"
        ),
        ids,
    )

    when = _date_column(table, "date", errors, ids)
    errors += _problems(
        table,
        (frame["date"] == "").to_numpy(),
        "date",
        "missing_date",
        lambda i: "a milestone needs a date",
        ids,
    )

    if participant_ids is not None:
        codes, uniques = pd.factorize(ids)
        candidates = pd.Index(uniques)
        known_unique = candidates.isin(participant_ids.to_numpy(dtype=object))
        if known_ids:
            known_unique |= candidates.isin(list(known_ids))
        unknown = ~known_unique[codes] & ~missing_id
        errors += _problems(
            table,
            unknown,
            "participant_id",
            "unknown_participant",
            lambda i: (
                f"participant {ids.iat[i]} is in neither the participants file nor the database; "
                "add them to the participants file"
            ),
            ids,
        )

    data = {
        "participant_id": ids.astype(object),
        "milestone": milestone.astype(object),
        "date": when,
        "partner": _blank_to_none(frame["partner"]) if "partner" in frame.columns else None,
    }
    return frames.conform_milestones(pd.DataFrame(data, index=frame.index)), errors


def _validate_targets(table: _Table, regions: Sequence[str]) -> tuple[pd.DataFrame, list[Problem]]:
    frame = table.frame
    errors: list[Problem] = []
    region_raw = frame["region"]
    region = _canonical(region_raw, {_region_key(r): r for r in regions}, _region_key)
    errors += _problems(
        table,
        region.isna().to_numpy(),
        "region",
        "unknown_region",
        lambda i: f"unknown region {region_raw.iat[i]!r} (expected one of: {', '.join(regions)})",
    )
    measure_raw = frame["measure"]
    measure = _canonical(measure_raw, {m: m for m in TARGET_MEASURES}, _code_key)
    errors += _problems(
        table,
        measure.isna().to_numpy(),
        "measure",
        "unknown_measure",
        lambda i: (
            f"unknown measure {measure_raw.iat[i]!r} (expected one of: {', '.join(TARGET_MEASURES)})"
        ),
    )
    period = _date_column(table, "period_start", errors, None)
    errors += _problems(
        table,
        (frame["period_start"] == "").to_numpy(),
        "period_start",
        "missing_date",
        lambda i: "period_start is blank; give the first day of the month",
    )
    not_first = (period.notna() & (period.dt.day != 1)).to_numpy()
    errors += _problems(
        table,
        not_first,
        "period_start",
        "period_not_month_start",
        lambda i: f"period_start {_fmt(period.iat[i])} is not the first day of a month",
    )
    target_raw = frame["target"]
    target = pd.to_numeric(target_raw.str.replace(",", "", regex=False), errors="coerce")
    bad_target = (target.isna() | (target < 0) | (target % 1 != 0)).to_numpy()
    errors += _problems(
        table,
        bad_target,
        "target",
        "invalid_target",
        lambda i: f"target {target_raw.iat[i]!r} is not a whole number of 0 or more",
    )
    keys = pd.DataFrame({"r": region, "p": period, "m": measure})
    dup = (keys.duplicated(keep=False) & keys.notna().all(axis=1)).to_numpy()
    errors += _problems(
        table,
        dup & keys.duplicated(keep="first").to_numpy(),
        "period_start",
        "duplicate_target",
        lambda i: (
            f"a target for {region.iat[i]}, {_fmt(period.iat[i])}, {measure.iat[i]} is given more than once; "
            "keep one row per region, month and measure"
        ),
    )
    data = {
        "region": region.astype(object),
        "period_start": period,
        "measure": measure.astype(object),
        "target": target.fillna(0).astype("int64"),
    }
    return frames.conform_targets(pd.DataFrame(data, index=frame.index)), errors


# ---------------------------------------------------------------------------
# Warnings (valid data only)
# ---------------------------------------------------------------------------


def _constant(message: str) -> Callable[[int], str]:
    return lambda _i: message


def _after_extract_message(
    column: str, values: pd.Series, limit: pd.Timestamp
) -> Callable[[int], str]:
    return lambda i: f"{column} {_fmt(values.iat[i])} is after the extract date {limit:%Y-%m-%d}"


def _before_contract_message(
    label: str, values: pd.Series, start: pd.Timestamp, kind: pd.Series | None = None
) -> Callable[[int], str]:
    def message(i: int) -> str:
        name = label.format(kind=kind.iat[i]) if kind is not None else label
        return (
            f"{name} {_fmt(values.iat[i])} is before the contract started ({start:%Y-%m-%d}); "
            "check the year"
        )

    return message


def _warnings(
    p_table: _Table,
    participants: pd.DataFrame,
    m_table: _Table,
    milestones: pd.DataFrame,
    extract_date: date | None,
    known_entry_dates: pd.Series | None = None,
) -> list[Problem]:
    """The import's warnings: the rules of :mod:`ete_metrics.data.checks` on the extract."""
    out: list[Problem] = []
    pids = participants["participant_id"]
    entry = participants["entry_date"]
    referral = participants["referral_date"]
    exit_ = participants["exit_date"]
    entry_values = entry.to_numpy(dtype="datetime64[ns]")

    def name(rule: str) -> str:
        return checks.RULES_BY_NAME[rule].import_name or rule

    out += _every_problem(
        p_table,
        checks.referral_after_entry(referral.to_numpy(dtype="datetime64[ns]"), entry_values),
        "referral_date",
        name("referral_after_entry"),
        lambda i: f"referral_date {_fmt(referral.iat[i])} is after entry_date {_fmt(entry.iat[i])}",
        pids,
    )
    out += _every_problem(
        p_table,
        checks.exit_before_entry(exit_.to_numpy(dtype="datetime64[ns]"), entry_values),
        "exit_date",
        name("exit_before_entry"),
        lambda i: f"exit_date {_fmt(exit_.iat[i])} is before entry_date {_fmt(entry.iat[i])}",
        pids,
    )

    mids = milestones["participant_id"]
    when = milestones["date"]
    when_values = when.to_numpy(dtype="datetime64[ns]")
    kind = milestones["milestone"]
    # One hash pass: each milestone's participant as a code, then its row in the participants.
    codes, uniques = pd.factorize(mids)
    position = pd.Index(pids.to_numpy(dtype=object)).get_indexer(pd.Index(uniques, dtype=object))[
        codes
    ]
    in_file = position >= 0
    m_entry_values = np.full(len(mids), np.datetime64("NaT"), dtype="datetime64[ns]")
    m_entry_values[in_file] = entry_values[position[in_file]]
    # A milestone of a stored participant who is not in this extract is checked
    # against the entry date on record (the extract's own rows win for the others).
    has_entry_record = in_file.copy()
    if known_entry_dates is not None and len(known_entry_dates) and not in_file.all():
        stored_ids = known_entry_dates.index
        if stored_ids.dtype != object:  # e.g. Arrow strings: match on plain str objects
            stored_ids = pd.Index(stored_ids.to_numpy(dtype=object))
        stored = stored_ids.get_indexer(pd.Index(uniques, dtype=object))[codes]
        on_record = ~in_file & (stored >= 0)
        stored_values = known_entry_dates.to_numpy(dtype="datetime64[ns]")
        m_entry_values[on_record] = stored_values[stored[on_record]]
        has_entry_record |= on_record
    m_entry = pd.Series(m_entry_values, index=mids.index)
    out += _every_problem(
        m_table,
        checks.milestone_before_entry(when_values, m_entry_values),
        "date",
        name("milestone_before_entry"),
        lambda i: (
            f"{kind.iat[i]} on {_fmt(when.iat[i])} is before the participant's entry_date "
            f"{_fmt(m_entry.iat[i])}"
        ),
        mids,
    )
    out += _every_problem(
        m_table,
        checks.milestone_without_entry(m_entry_values, has_entry_record),
        "date",
        name("milestone_without_entry"),
        lambda i: (
            f"{kind.iat[i]} for a participant with no entry_date (a referral that never started)"
        ),
        mids,
    )
    for rule, (later, earlier) in checks.NEEDS_EARLIER.items():
        out += _every_problem(
            m_table,
            checks.without_earlier(milestones, rule),
            "milestone",
            name(rule),
            _constant(f"{later} without a {earlier} for this participant"),
            mids,
        )

    start = pd.Timestamp(config.CONTRACT_START)
    for column in frames.PARTICIPANT_DATE_COLUMNS:
        values = participants[column]
        out += _every_problem(
            p_table,
            (values < start).to_numpy(),
            column,
            "date_before_contract",
            _before_contract_message(column, values, start),
            pids,
        )
    out += _every_problem(
        m_table,
        (when < start).to_numpy(),
        "date",
        "date_before_contract",
        _before_contract_message("{kind} date", when, start, kind),
        mids,
    )

    if extract_date is not None:
        limit = pd.Timestamp(extract_date)
        for column in frames.PARTICIPANT_DATE_COLUMNS:
            values = participants[column]
            out += _every_problem(
                p_table,
                checks.date_after(values.to_numpy(dtype="datetime64[ns]"), limit),
                column,
                name("date_after_as_of"),
                _after_extract_message(column, values, limit),
                pids,
            )
        out += _every_problem(
            m_table,
            checks.date_after(when_values, limit),
            "date",
            name("date_after_as_of"),
            lambda i: (
                f"{kind.iat[i]} date {_fmt(when.iat[i])} is after the extract date {limit:%Y-%m-%d}"
            ),
            mids,
        )
    return out


def _repeated_milestones(
    m_table: _Table, milestones: pd.DataFrame
) -> tuple[list[Problem], pd.DataFrame]:
    """Keep one of identical milestone rows (same participant, milestone and date), with a
    ``duplicate_milestone`` warning for each repeat; return (warnings, milestones kept).

    The first row is kept; the milestones' table loses the repeats too, so the later
    warnings' lines stay those of the rows kept.
    """
    repeat = checks.repeated_milestones(milestones)
    if not repeat.any():
        return [], milestones
    key = list(checks.MILESTONE_KEY)
    first = ~repeat
    kept_rows = milestones.loc[first, key].assign(_line=m_table.lines[first])
    kept_rows["_partner"] = milestones.loc[first, "partner"]
    found = milestones.loc[:, key].merge(kept_rows, on=key, how="left")  # keeps the row order
    first_line = found["_line"].to_numpy()
    first_partner = found["_partner"]
    kind = milestones["milestone"]
    when = milestones["date"]
    partner = milestones["partner"]

    def plain(value: object) -> str:
        return "" if value is None or value != value else str(value)  # blank, None or NaN

    def message(i: int) -> str:
        differs = plain(partner.iat[i]) != plain(first_partner.iat[i])
        note = "; its partner differs, and the first row's is kept" if differs else ""
        return (
            f"{kind.iat[i]} on {_fmt(when.iat[i])} repeats line {int(first_line[i]):,} (the same "
            f"participant, milestone and date): stored once{note}"
        )

    warnings = _every_problem(
        m_table, repeat, "milestone", "duplicate_milestone", message, milestones["participant_id"]
    )
    m_table.frame = m_table.frame.loc[first].reset_index(drop=True)
    m_table.lines = m_table.lines[first]
    return warnings, milestones.loc[first].reset_index(drop=True)


def _in_file_order(problems: list[Problem], specs: Sequence[tuple[Any, ...]]) -> list[Problem]:
    """Sort problems by file (participants, milestones, targets) then line; stable otherwise."""
    order = {Path(spec[1]).name or str(spec[1]): position for position, spec in enumerate(specs)}
    return sorted(problems, key=lambda p: (order.get(p.file, len(order)), p.line or 0))


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def read_extract(
    participants_path: str | Path,
    milestones_path: str | Path,
    targets_path: str | Path | None = None,
    *,
    known_participant_ids: Iterable[str] = frozenset(),
    extract_date: date | None = None,
    known_entry_dates: pd.Series | None = None,
    progress: Progress | None = None,
) -> Extract:
    """Read and validate an extract without touching any database.

    Parameters
    ----------
    participants_path, milestones_path : str or Path
        CSV (UTF-8, BOM optional) or ``.xlsx`` files; see ``data/README.md``.
    targets_path : str or Path, optional
        A targets file; ``None`` leaves targets out.
    known_participant_ids : iterable of str
        Participants already in the database: milestones may refer to them.
    extract_date : datetime.date, optional
        When the extract was taken; dates after it are warned about. ``None``
        skips that check (:func:`import_extract` defaults it to the import day).
    known_entry_dates : pandas.Series, optional
        Stored participants' entry dates indexed by ``participant_id``
        (:func:`ete_metrics.data.db.participant_entry_dates`; ``NaT`` for a referral
        that never started). Its ids count as known, and milestones of stored
        participants who are not in the extract are checked against these dates
        (``milestone_before_entry``, ``milestone_without_entry`` warnings), as the
        extract's own participants are against theirs.
    progress : Progress, optional
        Told each step (reading each file, checking each table, the warnings):
        :mod:`ete_metrics.progress`.

    Returns
    -------
    Extract
        Frames in the :mod:`ete_metrics.data.frames` formats, warnings and file info.

    Raises
    ------
    ImportValidationError
        With every problem found (file, line, column and what to fix).
    """
    regions = config.regions()
    known_ids = frozenset(known_participant_ids)
    if known_entry_dates is not None:
        known_ids |= frozenset(known_entry_dates.index)
    errors: list[Problem] = []
    warnings: list[Problem] = []
    files: dict[str, FileInfo] = {}

    specs: list[tuple[str, str | Path, Sequence[str], Sequence[str]]] = [
        (
            "participants",
            participants_path,
            frames.PARTICIPANT_REQUIRED,
            frames.PARTICIPANT_COLUMNS,
        ),
        ("milestones", milestones_path, frames.MILESTONE_REQUIRED, frames.MILESTONE_COLUMNS),
    ]
    if targets_path is not None:
        specs.append(("targets", targets_path, frames.TARGET_REQUIRED, frames.TARGET_COLUMNS))

    tables: dict[str, _Table] = {}
    for number, (label, path, required, known) in enumerate(specs):
        tell(progress, f"Reading the {label} file", 0.5 * number / len(specs))
        table, problems = _read_table(path, label, known)
        errors += problems
        if table is None:
            continue
        files[label] = table.info
        column_errors, column_warnings = _check_columns(table, required, known)
        errors += column_errors
        warnings += column_warnings
        if not column_errors:
            id_errors, id_warnings = _normalise_ids(table)
            errors += id_errors
            warnings += id_warnings
            tables[label] = table

    participants = frames.empty_participants()
    milestones = frames.empty_milestones()
    targets: pd.DataFrame | None = None
    participants_ok = "participants" in tables
    if participants_ok:
        tell(progress, "Checking the participants", 0.5)
        participants, problems = _validate_participants(tables["participants"], regions)
        errors += problems
    if "milestones" in tables:
        tell(progress, "Checking the milestones", 0.65)
        ids = participants["participant_id"] if participants_ok else None
        milestones, problems = _validate_milestones(tables["milestones"], ids, known_ids)
        errors += problems
    if "targets" in tables:
        tell(progress, "Checking the targets", 0.8)
        targets, problems = _validate_targets(tables["targets"], regions)
        errors += problems

    if errors:
        raise ImportValidationError(_in_file_order(errors, specs))

    tell(progress, "Looking for data-quality warnings", 0.9)
    repeated, milestones = _repeated_milestones(tables["milestones"], milestones)
    warnings += repeated
    warnings += _warnings(
        tables["participants"],
        participants,
        tables["milestones"],
        milestones,
        extract_date,
        known_entry_dates,
    )
    extract = Extract(
        participants=participants,
        milestones=milestones,
        targets=targets,
        warnings=_in_file_order(warnings, specs),
        files=files,
        extract_date=extract_date,
    )
    tell(progress, "Checked the extract", 1.0)
    return extract


def import_extract(
    engine: Engine,
    participants_path: str | Path,
    milestones_path: str | Path,
    targets_path: str | Path | None = None,
    *,
    replace_all: bool = False,
    extract_date: date | None = None,
    imported_at: datetime,
    progress: Progress | None = None,
    audit: db.AuditEntry | None = None,
) -> ImportResult:
    """Validate an extract and write it to the database in one transaction.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The ETE database; the schema is created when missing.
    participants_path, milestones_path, targets_path : str or Path
        The files (``targets_path`` optional); see :func:`read_extract`.
    replace_all : bool
        Make the extract the whole database (participants and milestones not
        in it are deleted; targets too when a targets file is given).
        Otherwise participants in the extract are updated, their milestones
        replaced, and everyone else kept.
    extract_date : datetime.date, optional
        When the extract was taken; defaults to ``imported_at.date()``.
    imported_at : datetime.datetime
        The time of the import, recorded in ``imports`` (the caller reads the clock).
    progress : Progress, optional
        Told each step, reading and checking then writing (:mod:`ete_metrics.progress`).
    audit : AuditEntry, optional
        The import's audit event (:func:`ete_metrics.data.audit.import_entry`), written in
        the import's transaction.

    Returns
    -------
    ImportResult
        The import id, rows imported and the stored warnings.

    Raises
    ------
    ImportValidationError
        The extract has errors, or ``replace_all`` with a participants file that
        has no data rows (it would empty the database); the database is unchanged.
    DatabaseError
        The write failed; the database is unchanged.
    """
    effective_date = extract_date if extract_date is not None else imported_at.date()
    # Nothing is written (not even the schema) until the extract has passed validation.
    tell(progress, "Reading what is already stored", 0.0)
    stored = None if replace_all else db.participant_entry_dates(engine)
    extract = read_extract(
        participants_path,
        milestones_path,
        targets_path,
        extract_date=effective_date,
        known_entry_dates=stored,
        progress=share(progress, READ_SHARE[0], READ_SHARE[1]),
    )
    return write_extract(
        engine, extract, replace_all=replace_all, extract_date=effective_date,
        imported_at=imported_at, progress=share(progress, READ_SHARE[1], 1.0), audit=audit,
    )


def write_extract(
    engine: Engine,
    extract: Extract,
    *,
    replace_all: bool,
    extract_date: date,
    imported_at: datetime,
    progress: Progress | None = None,
    audit: db.AuditEntry | None = None,
) -> ImportResult:
    """Write a validated extract and its import record in one transaction.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The ETE database.
    extract : Extract
        From :func:`read_extract` (its ``files`` name what is recorded).
    replace_all : bool
        As for :func:`import_extract`.
    extract_date : datetime.date
        The extract date recorded with the import.
    imported_at : datetime.datetime
        The time of the import (the caller reads the clock).
    progress : Progress, optional
        Told as the rows are written (:func:`ete_metrics.data.db.save_extract`).
    audit : AuditEntry, optional
        The import's audit event, written in the same transaction.

    Returns
    -------
    ImportResult
        The import id, rows imported and the stored warnings.

    Raises
    ------
    ImportValidationError
        ``replace_all`` with no participant rows; nothing is written.
    DatabaseError
        The write failed; the database is unchanged.
    """
    effective_date = extract_date
    files = extract.files
    if replace_all and extract.participants.empty:
        raise ImportValidationError(
            [
                Problem(
                    files["participants"].name,
                    None,
                    None,
                    "has a header but no data rows; replacing the whole database with it would "
                    "delete every participant. Check that it is the right file, or import without "
                    "--replace-all",
                    "empty_file",
                )
            ]
        )
    record: dict[str, Any] = {
        "imported_at": imported_at,
        "extract_date": effective_date,
        "participants_file": files["participants"].name,
        "participants_sha256": files["participants"].sha256,
        "milestones_file": files["milestones"].name,
        "milestones_sha256": files["milestones"].sha256,
    }
    if "targets" in files:
        record["targets_file"] = files["targets"].name
        record["targets_sha256"] = files["targets"].sha256
    import_id = db.save_extract(
        engine,
        extract.participants,
        extract.milestones,
        extract.targets,
        replace_all=replace_all,
        record=record,
        warnings=extract.warnings,
        progress=progress,
        audit=audit,
    )
    return ImportResult(
        import_id=import_id,
        participants=len(extract.participants),
        milestones=len(extract.milestones),
        targets=0 if extract.targets is None else len(extract.targets),
        warnings=tuple(extract.warnings),
        extract_date=effective_date,
    )
