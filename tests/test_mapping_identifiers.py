"""Identifiers never leave the mapping stage (issue 25, item 4).

Whatever a mapping says, the values of identifier columns (and of the caseworker
column, dropped columns and columns the mapping does not use) are found nowhere:
not in any table of the database (every row and column of every table it holds,
and the bytes of its files), a warning or error (every field), a message of the
command line (standard output and error), a log line, a Python warning, the
progress text, nor the audit trail. Every profile shipped in the profiles folder
is imported, as shipped and through hostile versions of it
(:func:`identifier_support.hostile_mappings`), with valid files and with files
that make errors fire. A mapping that gives an identifying column a second role
is refused with a message naming the column.
"""

from __future__ import annotations

import hashlib
import hmac
import tempfile
import warnings
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from identifier_support import (
    DAMAGED_ID,
    EXTRACT_DATE,
    FILE_KINDS,
    IDS,
    KEY,
    PROFILE_FILES,
    Source,
    database_tables,
    database_texts,
    expected_conflict,
    file_leaks,
    hostile_mappings,
    identifier_column,
    leaks,
    problem_texts,
    recorded_logs,
    respelt,
    schema_tables,
    spellings,
    write_source,
)

from ete_metrics import cli
from ete_metrics.data import db, frames
from ete_metrics.data.mapping import (
    PROFILES,
    SourceMapping,
    import_mapped,
    load_mapping,
    mapping_to_toml,
    parse_mapping,
    read_mapped,
    read_region_map,
)
from ete_metrics.errors import ImportValidationError, InputError

WHEN = datetime(2024, 1, 10, 12, 0)


def _profile(name: str) -> SourceMapping:
    return parse_mapping(PROFILE_FILES[name].read_text(encoding="utf-8"), PROFILE_FILES[name].name)


def _cases() -> list[tuple[str, str, str, str]]:
    """(profile, mapping, suffix, file kind): every hostile mapping with valid files, and
    every kind of file through the profile as shipped and with its identifier unlisted."""
    out = []
    for name in PROFILE_FILES:
        for variant in hostile_mappings(_profile(name)):
            for suffix in (".csv", ".xlsx"):
                out.append((name, variant, suffix, "valid"))
                if variant in ("as shipped", "identifier not listed"):
                    out += [(name, variant, suffix, kind) for kind in FILE_KINDS[1:]]
    return out


def test_the_cases_cover_every_profile_in_the_folder() -> None:
    assert set(PROFILE_FILES) == set(PROFILES) and len(PROFILE_FILES) >= 2
    assert {case[0] for case in _cases()} == set(PROFILE_FILES)


def _pseudonym(value: str) -> str:
    """HMAC-SHA256 of the value under the key (data/README.md, "Mappings")."""
    return hmac.new(KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


def _library_import(
    mapping: SourceMapping, source: Source, url: str
) -> tuple[list[tuple[str, object]], str | None]:
    """Import through the library with the mapping as given (not parsed); what it told."""
    told: list[tuple[str, object]] = []
    progress: list[str] = []
    engine = db.make_engine(url)
    refusal = None
    try:
        import_mapped(
            engine, mapping, source.participants, source.milestones,
            region_map=read_region_map(source.region_map) if source.region_map else None,
            key=KEY, extract_date=date.fromisoformat(EXTRACT_DATE), imported_at=WHEN,
            progress=lambda step, _fraction: progress.append(step),
        )
    except ImportValidationError as exc:
        told += problem_texts(exc.problems, "error")
        told.append(("error message", str(exc)))
    except InputError as exc:
        refusal = str(exc)
        told.append(("refusal", refusal))
    finally:
        engine.dispose()
    told += [("progress", step) for step in progress]
    return told, refusal


def _cli_import(toml: Path, source: Source, url: str) -> int:
    args = ["import", "--mapping", str(toml), "--participants", str(source.participants)]
    for path in source.milestones:
        args += ["--milestones", str(path)]
    if source.region_map:
        args += ["--region-map", str(source.region_map)]
    return cli.main([*args, "--db", url, "--extract-date", EXTRACT_DATE])


def _stored(url: str) -> tuple[list[tuple[str, object]], set[str], list[str]]:
    """Every row of every table, the tables, and the stored participant ids."""
    engine = db.make_engine(url)
    try:
        rows: list[tuple[str, object]] = list(database_texts(engine))
        tables = database_tables(engine)
        ids = list(db.load_participants(engine)["participant_id"]) if tables else []
    finally:
        engine.dispose()
    return rows, tables, ids


@pytest.mark.parametrize(
    ("profile", "variant", "suffix", "kind"), _cases(), ids=lambda v: str(v).replace(" ", "-")
)
def test_identifiers_are_found_nowhere(
    profile: str, variant: str, suffix: str, kind: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("ETE_PSEUDONYM_KEY", KEY)
    caplog.set_level("DEBUG")
    mapping = hostile_mappings(_profile(profile))[variant]
    source = write_source(mapping, tmp_path / "files", suffix, kind)
    toml = tmp_path / "mapping.toml"
    toml.write_text(mapping_to_toml(mapping), encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'db' / 'ete.db'}"

    with recorded_logs() as logs, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        told, refusal = _library_import(mapping, source, url)
        code = _cli_import(toml, source, url)
    out, err = capfd.readouterr()
    rows, tables, ids = _stored(url)
    told += [("stdout", out), ("stderr", err), ("caplog", caplog.text), *rows]
    told += [("log", text) for text in logs.texts]
    told += [("python warning", str(w.message)) for w in caught]

    found = leaks(source.secrets, told) + file_leaks(source.secrets, tmp_path / "db")
    assert not found, found[:20]
    assert code in (0, 2), err  # refused or imported, never an unexpected failure

    conflict = expected_conflict(mapping)
    if conflict is not None:
        # Refused before any file is read, naming the column, through both paths.
        assert refusal is not None and any(s in refusal for s in spellings(mapping, conflict)), refusal
        assert code == 2 and any(s in err for s in spellings(mapping, conflict)), err
        assert not ids
    elif kind == "valid":
        assert (refusal, code) == (None, 0), (refusal, err)
        assert schema_tables() <= tables  # so every table of the schema was searched
        # Four people (the re-enrolment kept once), stored as their keyed pseudonyms.
        assert sorted(ids) == sorted({_pseudonym(v) for v in IDS})
        assert any(where == "table import_warnings" for where, _ in rows)
        assert any(where == "table audit_events" and "import #" in str(text) for where, text in rows)
    else:
        assert code == 2 and not ids, err  # the errors fired: nothing was written


def test_a_conflict_is_refused_naming_the_column_in_any_spelling() -> None:
    """Worked by hand: CATS's 'Participant Id' also a note, written 'PARTICIPANT-ID'."""
    text = PROFILE_FILES["cats"].read_text(encoding="utf-8").replace(
        'notes = ["Ineligibility Reason"]', 'notes = ["Ineligibility Reason", "PARTICIPANT-ID"]'
    )
    with pytest.raises(InputError) as caught:
        parse_mapping(text, "hostile.toml")
    message = str(caught.value)
    assert message.startswith("hostile.toml: ")
    assert "'Participant Id'" in message or "'PARTICIPANT-ID'" in message
    # Listed as an identifier, mapped to participant_id and named twice: one role, accepted.
    twice = PROFILE_FILES["cats"].read_text(encoding="utf-8").replace(
        'identifiers = ["Participant Id"]', 'identifiers = ["Participant Id", "participant id"]'
    )
    assert parse_mapping(twice).identifiers == ("Participant Id", "participant id")


# ---------------------------------------------------------------------------
# Any roles of the identifier column (hypothesis)
# ---------------------------------------------------------------------------

OTHER_PARTICIPANT_COLUMNS = tuple(c for c in frames.PARTICIPANT_COLUMNS if c != "participant_id")


@st.composite
def _assigned(draw: st.DrawFn) -> tuple[str, SourceMapping]:
    """A profile whose identifier column is also given any other roles, in any spelling."""
    name = draw(st.sampled_from(sorted(PROFILE_FILES)))
    mapping = _profile(name)
    crn = identifier_column(mapping)
    spelling = draw(st.sampled_from([crn, respelt(crn), crn.lower(), f" {crn} "]))
    listed = draw(st.sampled_from([(), (crn,), (spelling,), (crn, spelling)]))
    notes = (*mapping.notes, spelling) if draw(st.booleans()) else mapping.notes
    drop = (*mapping.drop, spelling) if draw(st.booleans()) else mapping.drop
    ours = draw(st.sets(st.sampled_from(OTHER_PARTICIPANT_COLUMNS), max_size=3))
    participants = replace(
        mapping.participants,
        columns={**mapping.participants.columns, **dict.fromkeys(sorted(ours), spelling)},
    )
    milestone_ours = draw(st.sets(st.sampled_from(("partner", "milestone", "date")), max_size=2))
    milestones = tuple(
        replace(s, columns={**s.columns, **dict.fromkeys(sorted(milestone_ours), spelling)})
        for s in mapping.milestones
    )
    return name, replace(
        mapping, identifiers=listed, notes=notes, drop=drop, participants=participants,
        milestones=milestones,
    )


@hypothesis_settings(max_examples=40)
@given(_assigned())
def test_any_roles_of_the_identifier_column_leak_nothing(assigned: tuple[str, SourceMapping]) -> None:
    _name, mapping = assigned
    with tempfile.TemporaryDirectory(prefix="ete-roles-") as folder:
        source = write_source(mapping, Path(folder) / "files", ".csv")
        url = f"sqlite:///{Path(folder) / 'db' / 'ete.db'}"
        with recorded_logs() as logs:
            told, refusal = _library_import(mapping, source, url)
            try:
                parse_mapping(mapping_to_toml(mapping), "assigned.toml")
                parsed_refusal = None
            except InputError as exc:
                parsed_refusal = str(exc)
                told.append(("parse refusal", parsed_refusal))
        rows, _tables, ids = _stored(url)
        told += [*rows, *(("log", text) for text in logs.texts)]
        found = leaks(source.secrets, told) + file_leaks(source.secrets, Path(folder) / "db")
    assert not found, found[:20]
    # The identifier column with any role besides identifying people is refused, naming it.
    conflict = expected_conflict(mapping)
    other_roles = (
        mapping.notes != _profile(_name).notes or mapping.drop != _profile(_name).drop
        or mapping.participants.columns != _profile(_name).participants.columns
        or any(a.columns != b.columns for a, b in zip(mapping.milestones, _profile(_name).milestones, strict=True))
    )
    assert (conflict is not None) == other_roles
    if conflict is not None:
        for message in (refusal, parsed_refusal):
            assert message is not None and any(s in message for s in spellings(mapping, conflict))
        assert not ids
    else:
        assert refusal is None and parsed_refusal is None
        assert sorted(ids) == sorted({_pseudonym(v) for v in IDS})


def test_loading_a_saved_mapping_refuses_a_conflict(tmp_path: Path) -> None:
    """A saved mapping edited by hand into a conflict: refused when loaded, naming the column."""
    mapping = hostile_mappings(_profile("refer-and-monitor"))["identifier also a note"]
    path = tmp_path / "edited.toml"
    path.write_text(mapping_to_toml(mapping), encoding="utf-8")
    with pytest.raises(InputError, match="'service_user_crn'"):
        load_mapping(path)


def test_a_damaged_cell_is_named_by_its_row_never_by_its_value(tmp_path: Path) -> None:
    mapping = _profile("cats")
    source = write_source(mapping, tmp_path, ".xlsx", "damaged")
    with pytest.raises(ImportValidationError) as caught:
        read_mapped(mapping, source.participants, source.milestones, key=KEY)
    # The second data row (the sheet's row 3) holds the id as a number cell that is no number.
    assert [(p.file, p.check) for p in caught.value.problems] == [("participants.xlsx", "unreadable_file")]
    assert "row 3 of its first sheet has a damaged cell (ValueError)" in str(caught.value)
    assert DAMAGED_ID not in str(caught.value)


def test_a_column_the_mapping_reads_given_twice_is_an_error_naming_it(tmp_path: Path) -> None:
    mapping = _profile("refer-and-monitor")
    source = write_source(mapping, tmp_path, ".csv", "identifier twice")
    assert source.region_map is not None
    with pytest.raises(ImportValidationError) as caught:
        read_mapped(mapping, source.participants, region_map=read_region_map(source.region_map), key=KEY)
    assert [(p.file, p.line, p.column, p.check) for p in caught.value.problems] == [
        ("participants.csv", 1, "service_user_crn", "duplicate_column")
    ]
