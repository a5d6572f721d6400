"""The Data page (AppTest) given hostile uploads: an error message, never an exception.

Also: nothing a user supplied is rendered as HTML or live Markdown. File names,
cell values and partner names reach the screen either in ``st.dataframe`` (every
cell shown as text) or escaped with :func:`dashboard.escape.markdown_literal`.
AppTest sees the Markdown *source* of each element, so the checks are that no
Markdown element holds a payload unescaped, and that un-escaping gives back
exactly the text (what CommonMark shows for an escaped character is the
character itself).
"""

from __future__ import annotations

import random
import re
import string
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from apptest_support import *  # noqa: F403
from apptest_support import DemoData, new_app, open_page, tables_shown
from streamlit.testing.v1 import AppTest

from dashboard.escape import markdown_literal, unescape_markdown
from ete_metrics.data import db
from ete_metrics.data.importer import import_extract

PAGE = "app_pages/7_data.py"
MILESTONES = b"participant_id,milestone,date\n"
HEADER = "participant_id,region,referral_date,entry_date,area,delivery_partner"

#: Payloads: HTML, a javascript: link, an image (a web beacon), Streamlit directives.
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
LINK = "[x](javascript:alert(1))"
BEACON = "![t](https://example.org/t.png)"
DIRECTIVE = ":red[**loud**] :material/delete:"
PAYLOADS = (SCRIPT, IMG, LINK, BEACON, DIRECTIVE)
#: Raw fragments that must never appear in Markdown source (escaped they carry a backslash).
RAW_FRAGMENTS = ("<script", "<img", "](javascript", "![", ":red[", "**loud**")

MARKDOWN_KINDS = ("markdown", "caption", "error", "warning", "success", "info", "title",
                  "header", "subheader", "toast")


def _markdown_sources(at: AppTest) -> list[str]:
    out: list[str] = []
    for kind in MARKDOWN_KINDS:
        for element in getattr(at, kind, []):
            out.append(str(element.value))
    for element in at.sidebar.caption:
        out.append(str(element.value))
    return out


#: A backslash-escaped ASCII punctuation character: CommonMark shows it as itself.
_ESCAPED = re.compile(r"\\[!-/:-@\[-`{-~]")


def _assert_no_live_markup(at: AppTest) -> None:
    for source in _markdown_sources(at):
        live = _ESCAPED.sub("\x00", source)  # what is left can start Markdown or HTML
        for fragment in RAW_FRAGMENTS:
            assert fragment not in live, f"unescaped {fragment!r} in Markdown: {source!r}"


def _cells(at: AppTest) -> list[str]:
    return [str(v) for frame in tables_shown(at) for v in frame.value.astype(str).to_numpy().ravel()]


def _upload(at: AppTest, participants: tuple[str, bytes], milestones: tuple[str, bytes]) -> AppTest:
    round_ = at.session_state["data_upload_round"]
    at.file_uploader(key=f"upload_participants_{round_}").set_value((*participants, "text/csv"))
    at.file_uploader(key=f"upload_milestones_{round_}").set_value((*milestones, "text/csv"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _version(url: str) -> tuple[Any, ...]:
    engine = db.make_engine(url)
    try:
        return tuple(db.data_version(engine))
    finally:
        engine.dispose()


def test_markdown_literal_escapes_every_punctuation_character_and_round_trips() -> None:
    text = "".join(random.Random(5).choice(string.printable + "é中😀") for _ in range(2000))
    escaped = markdown_literal(text)
    assert unescape_markdown(escaped) == text.replace("\r\n", "\n")
    previous = ""
    for ch in escaped:
        if ch in string.punctuation and ch != "\\":
            assert previous == "\\", f"{ch!r} is not escaped"
        previous = "" if previous == "\\" else ch
    assert markdown_literal(LINK) == r"\[x\]\(javascript\:alert\(1\)\)"


def test_random_bytes_upload_shows_problems_and_no_exception(demo_data: DemoData) -> None:
    before = _version(demo_data.url)
    at = open_page(new_app(), PAGE)
    _upload(
        at,
        ("participants.csv", random.Random(7).randbytes(20_000)),
        ("milestones.csv", MILESTONES),
    )
    assert any("The extract was rejected" in e.value for e in at.error)
    problems = next(d.value for d in tables_shown(at) if "Message" in d.value.columns)
    assert problems["File"].tolist() == ["participants.csv"]
    assert "is a binary file" in problems["Message"].iloc[0]
    assert not [b for b in at.button if b.key == "upload_confirm"]
    assert _version(demo_data.url) == before


def test_a_damaged_workbook_and_a_utf16_file_show_problems(demo_data: DemoData) -> None:
    at = open_page(new_app(), PAGE)
    _upload(
        at,
        ("participants.xlsx", b"PK\x03\x04" + random.Random(8).randbytes(3000)),
        ("milestones.csv", "participant_id,milestone,date\n".encode("utf-16")),
    )
    problems = next(d.value for d in tables_shown(at) if "Message" in d.value.columns)
    assert problems["File"].tolist() == ["participants.xlsx", "milestones.csv"]
    assert "is not a valid .xlsx workbook" in problems["Message"].iloc[0]
    assert "is UTF-16 text" in problems["Message"].iloc[1]


def test_oversize_upload_shows_the_limit_and_no_exception(
    demo_data: DemoData, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ETE_MAX_UPLOAD_MB", "1")
    before = _version(demo_data.url)
    at = open_page(new_app(), PAGE)
    rows = "".join(f"P{i},Wales,2023-01-02,,Somewhere,Alpha\n" for i in range(40_000))
    big = (HEADER + "\n" + rows).encode()
    assert len(big) > 1024 * 1024
    _upload(at, ("__big__ [x](y).csv", big), ("milestones.csv", MILESTONES))
    messages = [unescape_markdown(e.value) for e in at.error]
    assert any(
        "__big__ _x__y_.csv is" in m and "the largest file accepted is 1 MB" in m for m in messages
    ), messages
    _assert_no_live_markup(at)
    assert "\\_\\_big\\_\\_" in " ".join(e.value for e in at.error)  # not bold
    assert _version(demo_data.url) == before


def test_oversize_upload_is_refused_once_not_at_every_rerun(
    demo_data: DemoData, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Refusing a file over the limit reads the stored entry dates first (seconds at a
    # million participants): a rerun with the same files shows the refusal again
    # without checking them again.
    import dashboard.uploads

    calls: list[object] = []
    real = dashboard.uploads.validate_upload

    def counting(paths, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(paths)
        return real(paths, **kwargs)

    monkeypatch.setattr(dashboard.uploads, "validate_upload", counting)
    monkeypatch.setenv("ETE_MAX_UPLOAD_MB", "1")
    at = open_page(new_app(), PAGE)
    big = (HEADER + "\n" + "P1,Wales,2023-01-02,,Somewhere,Alpha\n" * 40_000).encode()
    _upload(at, ("big.csv", big), ("milestones.csv", MILESTONES))
    refusal = "The participants file big.csv is"
    assert len(calls) == 1
    assert any(refusal in unescape_markdown(e.value) for e in at.error)
    at.run()
    assert len(calls) == 1, "the same files were checked again"
    assert any(refusal in unescape_markdown(e.value) for e in at.error)
    assert not at.exception


@pytest.fixture
def hostile_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A database of its own whose partner, area and prison names are payloads."""
    url = f"sqlite:///{tmp_path / 'hostile.db'}"
    rows = [
        f'H{i},{region},2023-01-0{i + 1},2023-01-1{i},"{area}","{partner}"'
        for i, (region, area, partner) in enumerate(
            [("London", SCRIPT, LINK), ("Wales", IMG, BEACON), ("Wales", DIRECTIVE, SCRIPT)]
        )
    ]
    participants = tmp_path / "participants.csv"
    participants.write_text(HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    milestones = tmp_path / "milestones.csv"
    milestones.write_text("participant_id,milestone,date\nH0,job_start,2023-02-01\n", encoding="utf-8")
    engine = db.make_engine(url)
    try:
        import_extract(
            engine, participants, milestones, imported_at=datetime(2023, 8, 17, 9, 0),
            extract_date=date(2023, 8, 16),
        )
    finally:
        engine.dispose()
    monkeypatch.setenv("ETE_DATABASE_URL", url)
    return url


def test_partner_names_from_the_data_are_literal_in_captions(
    demo_db_url: str, hostile_db: str
) -> None:
    at = open_page(new_app({"partner": [LINK, BEACON, SCRIPT]}), "app_pages/1_overview.py")
    _assert_no_live_markup(at)
    captions = [unescape_markdown(str(c.value)) for c in at.caption]
    described = next(c for c in captions if "delivery partner:" in c)
    for payload in (LINK, BEACON, SCRIPT):
        assert payload in described
    # The sidebar's choices are widget options (plain text), not Markdown.
    partners = next(m for m in at.sidebar.multiselect if m.label == "Delivery partners")
    assert set(partners.value) == {LINK, BEACON, SCRIPT}


def test_hostile_file_name_and_values_are_shown_as_text(
    demo_db_url: str, hostile_db: str
) -> None:
    before = _version(hostile_db)
    at = open_page(new_app(), PAGE)
    name = f"{IMG}{LINK}.csv"
    rejected = (
        f"{HEADER}\n"
        f'Z1,"{SCRIPT}",2023-01-02,,"{LINK}","{DIRECTIVE}"\n'
    ).encode()
    _upload(at, (name, rejected), ("milestones.csv", MILESTONES))
    _assert_no_live_markup(at)
    cells = _cells(at)
    saved_name = "_img src_x onerror_alert_1___x__javascript_alert_1__.csv"
    assert saved_name in cells  # the file column of the problems table
    assert any(f"unknown region {SCRIPT!r}" in c for c in cells)
    assert _version(hostile_db) == before

    # A valid file with the same payloads in free-text columns: previewed as text, then stored.
    accepted = (
        f"{HEADER}\n"
        f'Z1,Wales,2023-01-02,,"{SCRIPT} {IMG}","{LINK} {BEACON} {DIRECTIVE}"\n'
    ).encode()
    _upload(at, ("participants.csv", accepted), ("milestones.csv", MILESTONES))
    _assert_no_live_markup(at)
    assert f"{SCRIPT} {IMG}" in _cells(at)
    assert f"{LINK} {BEACON} {DIRECTIVE}" in _cells(at)
    at.button(key="upload_confirm").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    _assert_no_live_markup(at)
    assert any("Import 2 done" in s.value for s in at.success)
    engine = db.make_engine(hostile_db)
    try:
        stored = db.load_participants(engine).set_index("participant_id")
    finally:
        engine.dispose()
    assert stored.loc["Z1", "area"] == f"{SCRIPT} {IMG}"
    assert stored.loc["Z1", "delivery_partner"] == f"{LINK} {BEACON} {DIRECTIVE}"


def test_saved_upload_names_are_safe_and_short(tmp_path: Path) -> None:
    from dashboard.uploads import save_uploads

    names = {
        "participants": ("C:\\Users\\me\\..\\" + "参加者" * 200 + ".csv", b"a\n"),
        "milestones": ("../../etc/" + "x" * 400 + ".xlsx", b"b\n"),
        "targets": ("cyfranogwyr ŵ (2023).csv", b"c\n"),
    }
    paths = save_uploads(names, tmp_path)
    # The name is cut to 200 bytes before the extension: 66 three-byte characters.
    assert paths["participants"].name == "参加者" * 22 + ".csv"
    assert paths["milestones"].name == "x" * 100 + ".xlsx"
    assert paths["targets"].name == "cyfranogwyr ŵ _2023_.csv"
    for path in paths.values():
        assert path.parent.parent == tmp_path and len(path.name.encode()) <= 255
