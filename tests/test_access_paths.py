"""Access denies by default, on every path a user's identity takes to the data (issue 25, item 3).

The paths come from the real registries, so a new one is covered without editing this file:

- **the command line**: every subcommand of :func:`ete_metrics.cli.build_parser`, with each
  choice of its ``--format``; those taking ``--as-user`` get each unknown user, the others must
  refuse the option;
- **the pages**: every page of ``app_pages/`` (:data:`apptest_support.PAGES`), for a signed-in
  user, in the app (``app.py``) and run on its own; the dashboard's reports (the Overview's
  Prepare buttons) with them;
- **previews**: each role a director may preview (:func:`ete_metrics.protect.access.preview_choices`),
  by a signed-in director and by the local operator, on every page.

The unknown users (:data:`UNKNOWN`, :data:`PREVIEW_KINDS`): an empty, blank or whitespace
identity (a script passing an unset variable), an email not in the access file, something that
is not an email (the local operator's own name), a listed email with an invisible character, a
user whose role the file does not define, a malformed entry, no access file at all; for previews
also a previewed user since removed from the file, or whose entry has since become invalid.

Whatever the path and the user, no data comes out: the command exits 2 with the reason,
prints nothing, writes no file, opens no database and records no export; a page reads no data
(:func:`dashboard.data.read_data` is never called) and shows no table, chart, figure, filter or
download, and no report is built. The same paths with a listed user (any case, surrounding
spaces) do give data, so each check can fail.
"""

from __future__ import annotations

import argparse
import contextlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import streamlit as st
from apptest_support import *  # noqa: F403
from apptest_support import APP, AUTH, PAGES, TIMEOUT, DemoData, tables_shown
from cli_support import run
from streamlit.testing.v1 import AppTest

import dashboard.data
import ete_metrics.data.db
import ete_metrics.present.report
from dashboard.auth import OWN_VIEW, PREVIEW_KEY
from dashboard.render import IMAGE_FORMATS
from ete_metrics import config
from ete_metrics.cli import EXIT_BAD_INPUT, build_parser
from ete_metrics.protect.access import Access, parse_access, preview_choices

ROOT = Path(APP).parent
DIRECTOR = "director@example.org"
LEAD = "lead.wales@example.org"
STAKEHOLDER = "partner@example.org"
#: The access file the paths run with (each unknown user may add an entry to it).
ACCESS_FILE = f"""
[users."{DIRECTOR}"]
role = "director"

[users."{LEAD}"]
role = "regional_lead"
regions = ["Wales"]

[users."{STAKEHOLDER}"]
role = "stakeholder"
"""


@dataclass(frozen=True)
class Unknown:
    """A kind of user who must get no data.

    Attributes
    ----------
    name : str
    identity : str
        What is given as the user: ``--as-user``'s value, the sign-in's email claim.
    entry : str or None
        Added to :data:`ACCESS_FILE`; None: there is no access file at all.
    says : str
        A pattern the command line's message matches (it says why).
    """

    name: str
    identity: str
    entry: str | None = ""
    says: str = ""


UNKNOWN: tuple[Unknown, ...] = (
    Unknown("empty", "", says=r"--as-user is empty"),
    Unknown("blank", "   ", says=r"--as-user is empty"),
    Unknown("tab and newline", "\t\n", says=r"--as-user is empty"),
    Unknown("not in the file", "stranger@example.org",
            says=r"stranger@example\.org is not in the access file"),
    Unknown("not an email", "local", says=r"--as-user 'local' is not an email address"),
    Unknown("a listed email with an invisible character", f"{LEAD}\u200b",
            says=r"is not an email address"),
    Unknown("a role the file does not define", "odd@example.org",
            entry='[users."odd@example.org"]\nrole = "admin"\n',
            says=r"users\.\"odd@example\.org\"\.role is 'admin'"),
    Unknown("a malformed entry", "broken@example.org",
            entry='[users."broken@example.org"]\nrole = "regional_lead"\n',
            says=r"is a regional_lead without regions"),
    Unknown("empty, and no access file", "", entry=None, says=r"--as-user is empty"),
    Unknown("listed nowhere: no access file", LEAD, entry=None, says=r"access file .* does not exist"),
)
#: A listed user, as written in the file and in another case with spaces around (one rule).
KNOWN = (LEAD, "  Lead.WALES@Example.ORG ")


def _write_access(folder: Path, entry: str | None, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Write the access file (with ``entry``; None: none at all) and point ETE_ACCESS_FILE at it."""
    folder.mkdir(exist_ok=True)
    path = folder / "access.toml"
    if entry is not None:
        path.write_text(ACCESS_FILE + "\n" + entry, encoding="utf-8")
    monkeypatch.setenv("ETE_ACCESS_FILE", str(path))
    return path


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    """Every database opened, data read, report built and download offered (the real ones still run)."""
    seen: dict[str, list[Any]] = {"engines": [], "reads": [], "reports": [], "downloads": []}

    def recording(kind: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            seen[kind].append(kwargs or args)
            return function(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(ete_metrics.data.db, "make_engine",
                        recording("engines", ete_metrics.data.db.make_engine))
    monkeypatch.setattr(dashboard.data, "read_data", recording("reads", dashboard.data.read_data))
    monkeypatch.setattr(ete_metrics.present.report, "build_report",
                        recording("reports", ete_metrics.present.report.build_report))
    monkeypatch.setattr(st, "download_button", recording("downloads", st.download_button))
    return seen


# --- The command line ------------------------------------------------------------------


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@dataclass(frozen=True)
class CliPath:
    """A subcommand (with one ``--format``) and the arguments it requires."""

    command: str
    fmt: str | None

    def __str__(self) -> str:
        return self.command if self.fmt is None else f"{self.command} --format {self.fmt}"

    @property
    def parser(self) -> argparse.ArgumentParser:
        return _subcommands()[self.command]

    @property
    def takes_as_user(self) -> bool:
        return any(a.dest == "as_user" for a in self.parser._actions)

    def argv(self, folder: Path, db: str, identity: str) -> list[str]:
        """The command with its required options (a file in ``folder`` where one is asked for)."""
        argv = [self.command]
        for action in self.parser._actions:
            if not action.required or not action.option_strings or action.dest == "format":
                continue
            value = list(action.choices)[0] if action.choices else str(folder / action.dest)
            argv += [action.option_strings[0], value]
        if self.fmt is not None:
            argv += ["--format", self.fmt]
        return [*argv, "--db", db, "--as-user", identity]


def _cli_paths() -> list[CliPath]:
    paths = []
    for command, parser in _subcommands().items():
        formats = next((a.choices for a in parser._actions if a.dest == "format"), None)
        paths += [CliPath(command, fmt) for fmt in (formats or [None])]
    return paths


CLI_PATHS = _cli_paths()


def _exports(url: str) -> int:
    engine = ete_metrics.data.db.make_engine(url)
    try:
        return len(ete_metrics.data.db.load_audit(engine, actions=["export"]))
    finally:
        engine.dispose()


def test_the_paths_are_the_parsers() -> None:
    # At least the commands the README lists: the metric commands and report take --as-user with
    # every --format; import, demo and init-db (the operator's own) do not. A command added later
    # is among the paths without a change here.
    with_user = {str(p) for p in CLI_PATHS if p.takes_as_user}
    metric = ("funnel", "compare", "targets", "forecast", "cohorts", "time-to-outcome", "partners")
    assert with_user >= {f"{c} --format {f}" for c in metric for f in ("table", "csv", "json")} | {
        f"report --format {f}" for f in ("pptx", "pdf", "xlsx")}
    assert {str(p) for p in CLI_PATHS} - with_user >= {"import", "demo", "init-db"}


@pytest.mark.parametrize("user", UNKNOWN, ids=lambda u: u.name)
@pytest.mark.parametrize("path", CLI_PATHS, ids=str)
def test_the_command_line_gives_an_unknown_user_nothing(
    path: CliPath, user: Unknown, demo_db_url: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, calls: dict[str, list[Any]], capsys: pytest.CaptureFixture[str],
) -> None:
    _write_access(tmp_path / "access", user.entry, monkeypatch)
    out = tmp_path / "out"
    out.mkdir()
    # a command without --as-user gets a database of its own: it must not be created
    db = demo_db_url if path.takes_as_user else f"sqlite:///{out / 'fresh.db'}"
    exports = _exports(demo_db_url)
    calls["engines"].clear()
    code, printed, err = run(capsys, *path.argv(out, db, user.identity))
    assert code == EXIT_BAD_INPUT, (code, printed, err)
    assert printed == ""
    assert list(out.iterdir()) == []  # no report, no database, no partial file
    assert calls["engines"] == []  # refused before any database was opened
    assert _exports(demo_db_url) == exports
    assert "Traceback" not in err
    if path.takes_as_user:
        assert err.startswith("Error: ") and re.search(user.says, err), err
    else:
        assert "unrecognized arguments: --as-user" in err


@pytest.mark.parametrize("identity", KNOWN)
@pytest.mark.parametrize(
    "path", [p for p in CLI_PATHS if p.takes_as_user and p.fmt not in IMAGE_FORMATS], ids=str)
def test_the_same_command_gives_a_listed_user_their_data(
    path: CliPath, identity: str, demo_db_url: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, calls: dict[str, list[Any]], capsys: pytest.CaptureFixture[str],
) -> None:
    _write_access(tmp_path / "access", "", monkeypatch)
    out = tmp_path / "out"
    out.mkdir()
    exports = _exports(demo_db_url)
    code, printed, err = run(capsys, *path.argv(out, demo_db_url, identity))
    assert code == 0, err
    assert printed.strip()
    assert calls["engines"]
    assert _exports(demo_db_url) == exports + 1
    if path.command == "report":
        assert [p.name for p in out.iterdir()] == ["out"] and (out / "out").stat().st_size > 0
    else:
        assert "London" not in printed  # the lead's own regions only


# --- The pages --------------------------------------------------------------------------


def _signed_in(script: str, identity: str | None) -> AppTest:
    """An AppTest of ``script`` with sign-in on and ``identity`` as the email claim (None: sign-in off)."""
    at = AppTest.from_file(script, default_timeout=TIMEOUT)
    if identity is not None:
        at.secrets["auth"] = AUTH
        at.user = {"is_logged_in": True, "email": identity, "name": "someone"}
    return at


def _assert_nothing_shown(at: AppTest) -> None:
    """No figure of any kind in the last run, and a message saying why."""
    assert not at.exception, [e.value for e in at.exception]
    assert not tables_shown(at) and not at.table and not at.get("plotly_chart") and not at.metric
    assert not at.get("download_button") and not at.multiselect
    assert at.error, "nothing says why nothing is shown"


@pytest.mark.parametrize("user", UNKNOWN, ids=lambda u: u.name)
@pytest.mark.parametrize("page", PAGES)
def test_every_page_gives_an_unknown_user_nothing(
    page: str, user: Unknown, demo_db_url: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, calls: dict[str, list[Any]],
) -> None:
    _write_access(tmp_path, user.entry, monkeypatch)
    at = _signed_in(APP, user.identity)
    at.run()
    _assert_nothing_shown(at)
    assert "ete_filters" not in at.session_state  # no sidebar filters: no data to filter
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(page)  # the app registers no page of the dashboard for them
    alone = _signed_in(str(ROOT / page), user.identity)  # the page run on its own
    alone.run()
    _assert_nothing_shown(alone)
    assert calls["reads"] == [] and calls["reports"] == [] and calls["downloads"] == []


@pytest.mark.parametrize("identity", KNOWN)
def test_every_page_gives_a_listed_user_data(
    identity: str, demo_db_url: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, calls: dict[str, list[Any]],
) -> None:
    _write_access(tmp_path, "", monkeypatch)
    at = _signed_in(APP, identity)
    at.run()
    for page in PAGES:
        calls["reads"].clear()
        at.switch_page(page)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert calls["reads"][:1] == [{"regions": ("Wales",)}], page  # their scope first
    at.switch_page(PAGES[0])
    at.run()
    assert tables_shown(at) or at.get("plotly_chart") or at.metric
    at.button(key="overview_report_prepare_xlsx").click().run()  # a report from the dashboard
    assert not at.exception, [e.value for e in at.exception]
    assert len(calls["reports"]) == 1 and calls["downloads"]


# --- Previews ---------------------------------------------------------------------------

#: What a director may preview, one per role: role -> (the label offered, the access previewed).
PREVIEWS: dict[str, tuple[str, Access]] = {}
for _label, _access in preview_choices(parse_access(ACCESS_FILE), config.regions()).items():
    PREVIEWS.setdefault(_access.role, (_label, _access))
#: Who previews: a signed-in director (their email) or the local operator (no sign-in).
PREVIEWERS = {"signed-in director": DIRECTOR, "local operator": None}


@dataclass(frozen=True)
class PreviewKind:
    """A preview of someone who must get no data: a label naming them, or a preview that was
    shown before the access file changed under it (``entry`` replaces the previewed user's)."""

    name: str
    identity: str | None = None
    entry: str | None = None

    def label(self, role: str) -> str:
        offered, access = PREVIEWS[role]
        return offered if self.identity is None else offered.replace(access.email, self.identity, 1)


PREVIEW_KINDS: tuple[PreviewKind, ...] = (
    *(PreviewKind(u.name, identity=u.identity) for u in UNKNOWN if u.entry == ""),
    PreviewKind("removed from the file since", entry=""),
    PreviewKind("role since undefined", entry='role = "admin"\n'),
    PreviewKind("entry since malformed", entry='role = "regional_lead"\nregions = ["Narnia"]\n'),
)


def _without(email: str, entry: str) -> str:
    """The access file with ``email``'s entry replaced by ``entry`` (removed when it is empty)."""
    head, _, rest = ACCESS_FILE.partition(f'[users."{email}"]\n')
    tail = rest[rest.index("\n[") :] if "\n[" in rest else "\n"
    return head + (f'[users."{email}"]\n{entry}' if entry else "") + tail


def _each_page(at: AppTest, label: str) -> Iterator[str]:
    """Open every page in turn, ``label`` the preview in the session (when the app shows only its
    gate, no page can be opened: the gate is what each shows)."""
    for page in PAGES:
        with contextlib.suppress(ValueError):
            at.switch_page(page)
        at.session_state[PREVIEW_KEY] = label
        at.run()
        yield page


@pytest.mark.parametrize("kind", PREVIEW_KINDS, ids=lambda k: k.name)
@pytest.mark.parametrize("role", sorted(PREVIEWS))
@pytest.mark.parametrize("who", sorted(PREVIEWERS))
def test_a_preview_of_an_unknown_user_shows_nothing(
    who: str, role: str, kind: PreviewKind, demo_db_url: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, calls: dict[str, list[Any]],
) -> None:
    path = _write_access(tmp_path, "", monkeypatch)
    at = _signed_in(APP, PREVIEWERS[who])
    label = kind.label(role)
    if kind.identity is None:  # a preview shown, then the access file changes under it
        at.session_state[PREVIEW_KEY] = label
        at.run()
        assert not at.exception and calls["reads"], "the preview showed nothing before the change"
        path.write_text(_without(PREVIEWS[role][1].email, kind.entry or ""), encoding="utf-8")
    for seen in calls.values():
        seen.clear()
    for page in _each_page(at, label):
        _assert_nothing_shown(at)
        assert calls["reads"] == [] and calls["downloads"] == [], page
    assert calls["reports"] == []
    # the way out: ending the preview gives the previewer's own view again (signed in: while the
    # file still lets them in)
    path.write_text(ACCESS_FILE, encoding="utf-8")
    at.session_state[PREVIEW_KEY] = OWN_VIEW
    at.run()
    at.switch_page(PAGES[0])
    at.run()
    assert not at.exception and calls["reads"] and (tables_shown(at) or at.get("plotly_chart") or at.metric)


@pytest.mark.parametrize("role", sorted(PREVIEWS))
@pytest.mark.parametrize("who", sorted(PREVIEWERS))
def test_a_preview_of_a_listed_user_shows_their_data(
    who: str, role: str, demo_data: DemoData, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, calls: dict[str, list[Any]],
) -> None:
    _write_access(tmp_path, "", monkeypatch)
    at = _signed_in(APP, PREVIEWERS[who])
    label, access = PREVIEWS[role]
    at.session_state[PREVIEW_KEY] = label
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert calls["reads"][:1] == [{"regions": access.regions}]
    assert tables_shown(at) or at.get("plotly_chart") or at.metric
    shown = at.multiselect(key="filter_regions").options
    expected = sorted(pd.unique(demo_data.participants["region"])) if access.regions is None else ["Wales"]
    assert sorted(shown) == expected
