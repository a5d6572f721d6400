"""Source files and hostile mappings for "identifiers never leave the mapping stage".

Shared by ``test_mapping_identifiers.py`` (library and command line) and
``test_page_data_identifiers.py`` (the Data page).

Files are built from a mapping alone, so every profile shipped in
``ete_metrics/data/profiles/`` (and any added later) gets files in its own
layout: each source column the mapping names, and a few columns it does not,
holding identifier-like values. A column's values are **secret** unless every
role the mapping gives it is a non-identifying output (a note, or one of our
columns other than ``participant_id`` and ``caseworker``): the values of
identifier columns, of the caseworker column, of dropped columns and of columns
the mapping does not use (``detect`` columns included) must be found nowhere.

The hostile mappings are the profile with its identifier column given one more
role (a note, dropped, area, a grouping column, a milestone's partner, the
caseworker, named twice or in another spelling), or with its identifiers left
unlisted or its dropped columns kept. :func:`expected_conflict` says, from the
rules in ``data/README.md`` ("Mappings"), which of them must be refused.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import openpyxl
import sqlalchemy as sa

from ete_metrics import config
from ete_metrics.data import mapping as mapping_module
from ete_metrics.data.mapping import SourceMapping, mapping_to_toml
from ete_metrics.data.schema import metadata
from ete_metrics.errors import Problem
from ete_metrics.steps import MILESTONE_TYPES

KEY = "a-test-key-of-enough-length"
EXTRACT_DATE = "2024-01-10"

#: The shipped profiles, found in the profiles folder itself (not the library's list).
PROFILE_FILES: dict[str, Path] = {
    path.stem: path
    for path in sorted((Path(mapping_module.__file__).parent / "profiles").glob("*.toml"))
}

# Secret values: case reference numbers (one typed in fullwidth digits, which NFKC makes
# plain), caseworkers' emails and names, people's names, PNC numbers, birth dates, addresses.
IDS = ("X123456", "Y654321", "Ｚ２４６８１０", "W135790")
CASEWORKERS = ("jo.bloggs@provider.example", "Pat Worker", "sam.smith@provider.example", "Kim Caseworker")
FAMILIES = (
    ("Alex Example", "Bo Sample", "Chris Person", "Dee Person"),
    ("2001/0123456X", "1999/0654321Q", "2010/0246810K", "2015/0135790M"),
    ("14/02/1987", "03/11/1979", "29/07/1992", "08/08/1968"),
    ("12 Acacia Avenue", "7 Jubilee Close", "44 Mill Lane", "3 Quay Street"),
)
#: Columns no mapping uses, with identifier-like values.
EXTRA_COLUMNS = ("PNC Number", "Full Name", "Date Of Birth", "Home Address")
#: An id the file holds in a damaged numeric cell (an .xlsx whose cell cannot be read).
DAMAGED_ID = "X999111"
#: Too long for a cell (the longest accepted is 1,000 characters).
LONG_ID = "Q7" + "X" * 1_200
#: A case reference with a Cyrillic 'Х' (a plain id only looks like it).
CYRILLIC_ID = "\u0425555444"

# Values of non-identifying outputs (a note, an area...): nothing secret in them.
SAFE_TEXT = {
    "area": "Area North", "prison": "HMP Northfield", "delivery_partner": "Partner Org",
    "partner": "Partner Org", "gender": "Female", "age_band": "25-34", "ethnicity": "White",
    "disability": "No", "exit_reason": "completed", "pathway": config.PATHWAYS[-1],
}
NOTE_TEXT = "Approved outside the contract period"
CONTRACT = "CONTRACT-NORTH"


def key_of(name: str) -> str:
    """A column name as mappings match it: case, spaces and hyphens ignored (data/README.md)."""
    return re.sub(r"[\s\-]+", "_", name.replace("\ufeff", "").strip().lower())


# ---------------------------------------------------------------------------
# Roles (the rules of data/README.md, "Mappings")
# ---------------------------------------------------------------------------

#: Roles that keep a column's values out of every output.
IDENTIFYING = frozenset({"identifier", "caseworker", "dropped"})


def roles(mapping: SourceMapping) -> dict[str, set[str]]:
    """Each source column (by :func:`key_of`) -> the kinds of role the mapping gives it.

    ``identifier`` (listed in ``identifiers`` or the source of ``participant_id``),
    ``caseworker``, ``dropped``, ``note``, or ``our <column>`` for another of our columns.
    """
    out: dict[str, set[str]] = {}
    for name in mapping.identifiers:
        out.setdefault(key_of(name), set()).add("identifier")
    for name in mapping.drop:
        out.setdefault(key_of(name), set()).add("dropped")
    for name in mapping.notes:
        out.setdefault(key_of(name), set()).add("note")
    for section in (mapping.participants, *mapping.milestones):
        for ours, source in section.columns.items():
            kind = {"participant_id": "identifier", "caseworker": "caseworker"}.get(ours, f"our {ours}")
            out.setdefault(key_of(source), set()).add(kind)
    return out


def expected_conflict(mapping: SourceMapping) -> str | None:
    """The first source column (key) given an identifying role and another role, or None."""
    for column, kinds in roles(mapping).items():
        if kinds & IDENTIFYING and len(kinds) > 1:
            return column
    return None


def secret_column(mapping: SourceMapping, column: str) -> bool:
    """Whether a file column's values are secret: not every role of it is an output."""
    kinds = roles(mapping).get(key_of(column), set())
    return not kinds or bool(kinds & IDENTIFYING)


def spellings(mapping: SourceMapping, column: str) -> set[str]:
    """The ways the mapping writes a source column (a message naming it uses one)."""
    names = [*mapping.identifiers, *mapping.drop, *mapping.notes]
    names += [s for section in (mapping.participants, *mapping.milestones) for s in section.columns.values()]
    return {name for name in names if key_of(name) == column}


# ---------------------------------------------------------------------------
# Hostile mappings
# ---------------------------------------------------------------------------


def identifier_column(mapping: SourceMapping) -> str:
    """The source column of ``participant_id`` in the participants file."""
    return mapping.participants.columns["participant_id"]


def respelt(name: str) -> str:
    """The same column written otherwise (upper case, spaces and hyphens swapped)."""
    return name.upper().replace("_", " ").replace("-", "_").replace(" ", "-")


def _with_column(section: Any, ours: str, source: str) -> Any:
    return replace(section, columns={**section.columns, ours: source})


def hostile_mappings(mapping: SourceMapping) -> dict[str, SourceMapping]:
    """The profile as shipped and hostile versions of it, by a short name."""
    crn = identifier_column(mapping)
    caseworker = mapping.participants.columns.get("caseworker")
    out = {
        "as shipped": mapping,
        "identifier also a note": replace(mapping, notes=(*mapping.notes, crn)),
        "identifier also a note, spelt otherwise": replace(mapping, notes=(*mapping.notes, respelt(crn))),
        "identifier not listed": replace(mapping, identifiers=()),
        "identifier named twice": replace(mapping, identifiers=(*mapping.identifiers, crn, respelt(crn))),
        "identifier also dropped": replace(mapping, drop=(*mapping.drop, crn)),
        "identifier also the area": replace(
            mapping, participants=_with_column(mapping.participants, "area", crn)
        ),
        "identifier also a grouping column": replace(
            mapping, participants=_with_column(mapping.participants, "ethnicity", crn)
        ),
        "identifier also the caseworker": replace(
            mapping, participants=_with_column(mapping.participants, "caseworker", crn)
        ),
        "dropped columns kept": replace(mapping, drop=()),
        "dropped columns also notes": replace(mapping, notes=(*mapping.notes, *mapping.drop)),
    }
    if mapping.milestones:
        out["identifier also a milestone's partner"] = replace(
            mapping,
            milestones=tuple(_with_column(s, "partner", crn) for s in mapping.milestones),
        )
    if caseworker:
        out["caseworker also a note"] = replace(mapping, notes=(*mapping.notes, caseworker))
        out["caseworker also listed as an identifier"] = replace(
            mapping, identifiers=(*mapping.identifiers, caseworker)
        )
    if not mapping.drop:
        del out["dropped columns kept"], out["dropped columns also notes"]
    return out


# ---------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------


@dataclass
class Source:
    """Files in a mapping's layout, and the values that must be found nowhere."""

    participants: Path
    milestones: list[Path]
    region_map: Path | None
    secrets: set[str]


#: Kinds of file: valid (with re-enrolments, notes and warnings), invalid values, the
#: identifier column renamed or given twice, a damaged cell (.xlsx) or an extra field (CSV).
FILE_KINDS = ("valid", "invalid values", "identifier renamed", "identifier twice", "damaged")


def _date(mapping: SourceMapping, iso: str, stamp: bool) -> str:
    if mapping.date_format:
        from datetime import date

        return date.fromisoformat(iso).strftime(mapping.date_format)
    return f"{iso}T10:00:00Z" if stamp else iso


def _region(mapping: SourceMapping, section: Any) -> str:
    region = config.regions()[0]
    if mapping.region_map_required:
        return CONTRACT
    for source, ours in section.values.get("region", {}).items():
        if ours == region:
            return str(source)
    return region


def _value_for(mapping: SourceMapping, section: Any, ours: str, row: int) -> str:
    """A valid, non-secret value of one of our output columns for data row ``row``."""
    participants = {
        "referral_date": ("2023-03-01", "2023-04-01", "2023-05-01", "2023-01-20"),
        # The third was referred after entering (a warning); the second never started.
        "entry_date": ("2023-03-15", "", "2023-04-20", "2023-02-01"),
        # The fourth left after the extract date (a warning).
        "exit_date": ("2023-11-30", "", "", "2024-03-01"),
    }
    if ours in participants:
        iso = participants[ours][row % 4]
        return _date(mapping, iso, stamp=row % 2 == 0) if iso else ""
    if ours == "date":
        return _date(mapping, ("2023-07-01", "2023-06-01")[row % 2], stamp=False)
    if ours == "region":
        return _region(mapping, section)
    if ours == "milestone":
        return MILESTONE_TYPES[row % len(MILESTONE_TYPES)]
    return SAFE_TEXT[ours]


def _columns(mapping: SourceMapping, section: Any) -> list[str]:
    """The file's header: every column the mapping names for it, then the extras."""
    names = [
        *section.columns.values(),
        *([section.detect] if section.detect else []),
        *mapping.identifiers, *mapping.drop, *mapping.notes, *EXTRA_COLUMNS,
    ]
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(key_of(name), name)
    return list(seen.values())


def _rows(mapping: SourceMapping, section: Any, header: Sequence[str], people: Sequence[int]) -> list[list[str]]:
    by_source: dict[str, str] = {}
    for ours, source in section.columns.items():
        by_source.setdefault(key_of(source), ours)
    secret_index = {c: j for j, c in enumerate(c for c in header if secret_column(mapping, c))}
    rows = []
    for row, person in enumerate(people):
        values = []
        for column in header:
            ours = by_source.get(key_of(column))
            if ours == "participant_id" or key_of(column) == key_of(identifier_column(mapping)):
                values.append(IDS[person])
            elif ours == "caseworker":
                values.append(CASEWORKERS[person])
            elif secret_column(mapping, column):
                family = FAMILIES[secret_index[column] % len(FAMILIES)]
                values.append(family[(person + secret_index[column]) % len(family)])
            elif ours is not None:
                values.append(_value_for(mapping, section, ours, row))
            else:  # a note
                values.append(NOTE_TEXT if row % 2 else "")
        rows.append(values)
    return rows


def _write(path: Path, header: Sequence[str], rows: Sequence[Sequence[str]]) -> Path:
    if path.suffix == ".xlsx":
        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(list(header))
        for row in rows:
            sheet.append(list(row))
        book.save(path)
    else:
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
    return path


def _damage_cell(path: Path, placeholder: str, value: str) -> None:
    """Make the numeric cell holding ``placeholder`` hold ``value`` (which is no number)."""
    data = path.read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            part = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                part = part.replace(f"<v>{placeholder}</v>".encode(), f"<v>{value}</v>".encode())
            target.writestr(info, part)
    path.write_bytes(out.getvalue())


def write_source(mapping: SourceMapping, folder: Path, suffix: str, kind: str = "valid") -> Source:
    """Files in ``mapping``'s layout (``.csv`` or ``.xlsx``) of one of :data:`FILE_KINDS`."""
    folder.mkdir(parents=True, exist_ok=True)
    crn = identifier_column(mapping)
    # Four people; the first enrolled twice (a re-enrolment) when the mapping keeps one.
    people = [0, 1, 2, 3, *([0] if mapping.dedupe else [])]
    header = _columns(mapping, mapping.participants)
    rows = _rows(mapping, mapping.participants, header, people)
    position = {key_of(c): i for i, c in enumerate(header)}
    if kind == "invalid values":
        bad = [list(r) for r in rows[:4]]
        sources = mapping.participants.columns
        bad[0][position[key_of(crn)]] = ""  # a blank id
        bad[1][position[key_of(crn)]] = LONG_ID
        bad[2][position[key_of(crn)]] = CYRILLIC_ID
        for ours, value in (("entry_date", "31/02/2023"), ("region", "Atlantis"), ("pathway", "probation")):
            if ours in sources and key_of(sources[ours]) != key_of(crn):
                bad[3][position[key_of(sources[ours])]] = value
        rows = bad
    elif kind == "identifier renamed":
        header = ["CRN Renamed" if key_of(c) == key_of(crn) else c for c in header]
    elif kind == "identifier twice":
        header = [*header, crn]
        rows = [[*r, IDS[(i + 1) % len(IDS)]] for i, r in enumerate(rows)]
    elif kind == "damaged" and suffix == ".csv":
        rows = [*rows, [*rows[0], FAMILIES[0][0]]]  # one value more than the header has columns
    elif kind == "damaged":
        rows = [list(r) for r in rows]
        rows[1][position[key_of(crn)]] = 999001  # type: ignore[call-overload]
    participants = _write(folder / f"participants{suffix}", header, rows)
    written: list[tuple[Sequence[str], Sequence[Sequence[object]]]] = [(header, rows)]
    milestone_files = []
    for number, section in enumerate(mapping.milestones):
        m_header = _columns(mapping, section)
        m_header = [c for c in m_header if not any(
            s.detect and key_of(s.detect) == key_of(c) for s in mapping.milestones if s is not section
        )]
        m_rows = _rows(mapping, section, m_header, [0, 2])
        if kind == "identifier renamed":
            m_header = ["CRN Renamed" if key_of(c) == key_of(crn) else c for c in m_header]
        milestone_files.append(_write(folder / f"milestones{number + 1}{suffix}", m_header, m_rows))
        written.append((m_header, m_rows))
    region_map = None
    if mapping.region_map_required:
        region_map = _write(folder / "regions.csv", ["source", "region"], [[CONTRACT, config.regions()[0]]])
    secrets = _secret_values(mapping, written)
    if kind == "damaged" and suffix == ".xlsx":
        _damage_cell(participants, "999001", DAMAGED_ID)
        secrets.add(DAMAGED_ID)
    return Source(participants, milestone_files, region_map, secrets)


def _secret_values(
    mapping: SourceMapping, tables: Iterable[tuple[Sequence[str], Sequence[Sequence[object]]]]
) -> set[str]:
    """The values of the secret columns of the files written, and any value beyond the header."""
    secrets: set[str] = set()
    for header, body in tables:
        for row in body:
            for j, value in enumerate(row):
                text = str(value).strip()
                if text and (j >= len(header) or secret_column(mapping, header[j])):
                    secrets.add(text)
    return secrets - {"999001"}


# ---------------------------------------------------------------------------
# Scanning
# ---------------------------------------------------------------------------


def searched_forms(secrets: Iterable[str]) -> set[str]:
    """What to search for: each value, its NFKC form (as ids are read), and the start of a
    long one (messages quote 60 characters of a value)."""
    forms: set[str] = set()
    for value in secrets:
        for form in (value.strip(), unicodedata.normalize("NFKC", value).strip()):
            forms.add(form[:24] if len(form) > 24 else form)
    return {f for f in forms if f}


def leaks(secrets: Iterable[str], texts: Iterable[tuple[str, object]]) -> list[str]:
    """Where any secret value occurs (ignoring case) in the texts, as ``where: value``."""
    forms = sorted(searched_forms(secrets))
    found = []
    for where, text in texts:
        folded = str(text).casefold()
        found += [f"{where}: {form!r}" for form in forms if form.casefold() in folded]
    return found


def problem_texts(problems: Iterable[Problem], where: str) -> Iterator[tuple[str, str]]:
    """Every field of every problem or warning."""
    for problem in problems:
        yield where, " | ".join(str(v) for v in vars(problem).values())


def database_texts(engine: sa.Engine) -> Iterator[tuple[str, str]]:
    """Every row of every table the database holds (found by inspecting it, not by a list)."""
    names = sa.inspect(engine).get_table_names()
    with engine.connect() as connection:
        for name in names:
            for row in connection.execute(sa.select(sa.table(name, *[
                sa.column(c["name"]) for c in sa.inspect(engine).get_columns(name)
            ]))):
                yield f"table {name}", " | ".join(str(v) for v in row)


def database_tables(engine: sa.Engine) -> set[str]:
    """The tables in the database (all of the schema's, once anything was imported)."""
    return set(sa.inspect(engine).get_table_names())


def schema_tables() -> set[str]:
    return set(metadata.tables)


def file_leaks(secrets: Iterable[str], folder: Path, pattern: str = "*.db*") -> list[str]:
    """Secret values in the bytes of the database files (UTF-8 and UTF-16, any case)."""
    found = []
    for path in sorted(folder.glob(pattern)):
        content = path.read_bytes().lower()
        for form in sorted(searched_forms(secrets)):
            for encoded in (form.casefold().encode(), form.casefold().encode("utf-16-le")):
                if encoded in content:
                    found.append(f"{path.name}: {form!r}")
    return found


class Recorder(logging.Handler):
    """Keeps every log record's text, with its traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(self.format(record))


@contextmanager
def recorded_logs() -> Iterator[Recorder]:
    """Every log line written at any level while inside (the root logger at DEBUG)."""
    root = logging.getLogger()
    recorder = Recorder()
    level = root.level
    root.addHandler(recorder)
    root.setLevel(logging.DEBUG)
    try:
        yield recorder
    finally:
        root.removeHandler(recorder)
        root.setLevel(level)


def toml_of(mapping: SourceMapping) -> str:
    return mapping_to_toml(mapping)

