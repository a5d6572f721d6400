"""The Data page's upload shows and stores no identifier (AppTest; issue 25, item 4).

Through every shipped profile, and saved mappings made hostile from it, files
are uploaded (valid, with invalid values, a damaged one), checked and, when they
pass, imported. Everything the page sends to the browser (every element and
block of the tree, serialised: tables, messages, status text, widget labels and
options), the session state (uploaded files aside), the log and, after the
import, every table of the database and its files hold none of the secret values
(:mod:`identifier_support`).
"""

from __future__ import annotations

import pickle
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import identifier_support as support
import pytest
from apptest_support import *  # noqa: F403
from apptest_support import new_app, open_page
from streamlit.testing.v1 import AppTest

from dashboard.escape import unescape_markdown
from ete_metrics.data import db
from ete_metrics.data.demo import build_demo_database
from ete_metrics.data.mapping import mapping_to_toml, parse_mapping, pseudonym

PAGE = "app_pages/7_data.py"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Saved mappings made from each profile: one hostile but valid, one refused.
SAVED = {"not-listed": "identifier not listed", "also-a-note": "identifier also a note"}


@pytest.fixture(scope="module")
def programme(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small programme in a SQLite file, copied for each test (an import changes it)."""
    path = tmp_path_factory.mktemp("identifiers") / "ete.db"
    engine = db.make_engine(f"sqlite:///{path}")
    try:
        build_demo_database(engine, n_participants=300)
    finally:
        engine.dispose()
    return path


def _tree_texts(node: Any) -> Iterator[str]:
    """Every element and block of the page as the browser gets it (protobuf bytes as text)."""
    proto = getattr(node, "proto", None)
    if proto is not None:
        text = proto.SerializeToString().decode("utf-8", "replace")
        yield text
        yield unescape_markdown(text)  # a message shown as literal text has its punctuation escaped
    children = getattr(node, "children", {})
    for child in children.values() if isinstance(children, dict) else children:
        yield from _tree_texts(child)


def _state_texts(at: AppTest) -> Iterator[tuple[str, str]]:
    """The session state's values and keyed widgets (pickled, so frames are searched whole);
    the uploaded files themselves left out."""
    for key, value in list(at.session_state.items()):
        if hasattr(value, "getvalue") or (
            isinstance(value, list) and any(hasattr(v, "getvalue") for v in value)
        ):
            continue  # the uploaded file itself
        try:
            yield f"state {key}", pickle.dumps(value).decode("utf-8", "replace")
        except Exception:  # noqa: BLE001 - an object that cannot be pickled: its text
            yield f"state {key}", repr(value)


def _shown(at: AppTest) -> list[tuple[str, object]]:
    shown: list[tuple[str, object]] = [("page", text) for text in _tree_texts(at._tree)]  # noqa: SLF001
    return shown + list(_state_texts(at))


def _run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _upload(at: AppTest, source: support.Source) -> AppTest:
    round_ = at.session_state["data_upload_round"]
    files = {"participants": source.participants, "region_map": source.region_map}
    files.update(zip(("milestones", "milestones 2"), source.milestones, strict=False))
    for role, path in files.items():
        if path is not None:
            kind = XLSX if path.suffix == ".xlsx" else "text/csv"
            at.file_uploader(key=f"upload_{role}_{round_}").set_value((path.name, path.read_bytes(), kind))
    return _run(at)


def _cases() -> list[tuple[str, str, str]]:
    out = []
    for name in support.PROFILE_FILES:
        out += [(name, "shipped", kind) for kind in ("valid", "invalid values", "damaged")]
        out += [(name, saved, "valid") for saved in SAVED]
    return out


@pytest.mark.parametrize(("profile", "layout", "kind"), _cases(), ids=lambda v: str(v).replace(" ", "-"))
def test_the_upload_shows_and_stores_no_identifier(
    profile: str, layout: str, kind: str, programme: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"sqlite:///{tmp_path / 'db' / 'ete.db'}"
    (tmp_path / "db").mkdir()
    shutil.copy(programme, tmp_path / "db" / "ete.db")
    monkeypatch.setenv("ETE_DATABASE_URL", url)
    monkeypatch.setenv("ETE_PSEUDONYM_KEY", support.KEY)
    monkeypatch.setenv("ETE_MAPPINGS_DIR", str(tmp_path / "mappings"))
    caplog.set_level("DEBUG")
    shipped = parse_mapping(support.PROFILE_FILES[profile].read_text(encoding="utf-8"))
    (tmp_path / "mappings").mkdir()
    for stem, variant in SAVED.items():
        (tmp_path / "mappings" / f"{stem}.toml").write_text(
            mapping_to_toml(support.hostile_mappings(shipped)[variant]), encoding="utf-8"
        )
    mapping = shipped if layout == "shipped" else support.hostile_mappings(shipped)[SAVED[layout]]
    source = support.write_source(mapping, tmp_path / "files", ".xlsx" if kind == "damaged" else ".csv", kind)

    at = open_page(new_app(), PAGE)
    at.selectbox(key="upload_layout").set_value(
        f"{profile} (shipped profile)" if layout == "shipped" else layout
    )
    _run(at)
    told = _shown(at)
    errors = [unescape_markdown(str(e.value)) for e in at.error]
    conflict = support.expected_conflict(mapping)
    named = conflict is not None and any(s in e for e in errors for s in support.spellings(mapping, conflict))
    uploaders = [f.key for f in at.get("file_uploader") if f.key and f.key.startswith("upload_")]
    passed = False
    if uploaders:  # a mapping let through: its files are checked and, when they pass, imported
        _upload(at, source)
        told += _shown(at)
        passed = any("passed the checks" in str(s.value) for s in at.success)
        if passed:
            at.button(key="upload_confirm").click()
            _run(at)
            assert any("Import" in str(s.value) and "done" in str(s.value) for s in at.success)
            told += _shown(at)
    engine = db.make_engine(url)
    try:
        told += list(support.database_texts(engine))
        tables = support.database_tables(engine)
    finally:
        engine.dispose()
    told.append(("log", caplog.text))
    found = support.leaks(source.secrets, told) + support.file_leaks(source.secrets, tmp_path / "db")
    assert not found, found[:20]
    assert support.schema_tables() <= tables  # every table was searched
    if passed:  # the scan read the tables as sent: the preview's pseudonyms are in it
        assert any(pseudonym(support.IDS[0], support.KEY) in str(text) for where, text in told if where == "page")
    if conflict is not None:
        # The saved mapping is refused as it is chosen, naming the column; nothing is uploaded.
        assert named and not uploaders, errors
    else:
        assert not errors or kind != "valid", errors
        assert passed == (kind == "valid"), errors


# A CRM's sample: its case reference would be the id, and is chosen for the area too.
SAMPLE = "Client Ref,Client Name,Region,Referred,Started\nX123456,Alex Example,London,2023-08-16,2023-08-20\n"


def test_the_builder_refuses_an_identifier_in_a_second_role(
    programme: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(programme, tmp_path / "ete.db")
    monkeypatch.setenv("ETE_DATABASE_URL", f"sqlite:///{tmp_path / 'ete.db'}")
    monkeypatch.setenv("ETE_MAPPINGS_DIR", str(tmp_path / "mappings"))
    at = open_page(new_app(), PAGE)
    at.file_uploader(key="mapping_sample_participants").set_value(("crm.csv", SAMPLE.encode(), "text/csv"))
    _run(at)
    for ours, theirs in {
        "participant_id": "Client Ref", "referral_date": "Referred", "entry_date": "Started",
        "area": "Client Ref",
    }.items():
        at.selectbox(key=f"mapping_participants_{ours}").set_value(theirs)
    _run(at)
    at.text_input(key="mapping_name").input("Twice")
    at.button(key="mapping_save").click()
    _run(at)
    errors = [unescape_markdown(str(e.value)) for e in at.error]
    assert any(
        "the column 'Client Ref' is an identifier" in e and "also mapped to our column area" in e
        for e in errors
    ), errors
    assert not any("X123456" in e for e in errors)
    assert not (tmp_path / "mappings").exists()
