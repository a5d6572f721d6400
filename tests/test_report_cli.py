"""Tests for ``python -m ete_metrics report``."""

from __future__ import annotations

from pathlib import Path

from ete_metrics.cli import main
from ete_metrics.data.db import make_engine
from ete_metrics.data.demo import build_demo_database
from ete_metrics.present.workbook import read_cover, read_tables


def _demo(tmp_path: Path, participants: int) -> str:
    """The URL of a demo database of ``participants`` people in ``tmp_path``."""
    url = f"sqlite:///{tmp_path / 'ete.db'}"
    engine = make_engine(url)
    build_demo_database(engine, n_participants=participants)
    engine.dispose()
    return url


def test_report_command_writes_workbook(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    url = _demo(tmp_path, 3000)
    out = tmp_path / "pack.xlsx"
    code = main([
        "report", "--format", "xlsx", "--out", str(out), "--audience", "internal",
        "--region", "Wales", "London", "--as-of", "2023-08-16", "--db", url,
    ])
    assert code == 0, capsys.readouterr().err
    assert "16 Aug 2023" in capsys.readouterr().out
    cover = read_cover(out.read_bytes())
    assert cover["Regions"] == "Wales, London"
    assert cover["Audience"] == "Internal (all figures)"  # words, not the code
    regions = read_tables(out.read_bytes())["regions"]["Region"].tolist()
    assert sorted(regions) == ["London", "Wales"]
    # a stakeholder's: the whole programme or one region (a pair's totals would be differenced)
    stakeholder = tmp_path / "stakeholder.xlsx"
    argv = ["report", "--format", "xlsx", "--out", str(stakeholder), "--audience", "stakeholder",
            "--as-of", "2023-08-16", "--db", url, "--region"]
    assert main([*argv, "Wales", "London"]) == 2 and not stakeholder.exists()
    assert "whole programme or for one region" in capsys.readouterr().err
    assert main([*argv, "Wales"]) == 0, capsys.readouterr().err
    assert read_cover(stakeholder.read_bytes())["Audience"] == "Stakeholder (protected)"


def test_report_command_bad_input(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["report", "--format", "docx", "--out", str(tmp_path / "x")]) == 2
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    from ete_metrics.data.schema import create_schema

    engine = make_engine(url)
    create_schema(engine)
    engine.dispose()
    code = main(["report", "--format", "xlsx", "--out", str(tmp_path / "x.xlsx"), "--db", url])
    assert code == 2
    assert "Error:" in capsys.readouterr().err


def _one_line_error(capsys, code: int) -> str:  # type: ignore[no-untyped-def]
    captured = capsys.readouterr()
    assert code == 2, captured
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), captured.err
    assert "Traceback" not in captured.err and captured.out == ""
    return lines[0]


def test_report_errors_are_one_line(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    url = _demo(tmp_path, 1000)
    out = str(tmp_path / "r.xlsx")

    message = _one_line_error(capsys, main(["report", "--format", "xlsx", "--out", out, "--db", url,
                                            "--region", "Narnia"]))
    assert "Narnia" in message and "London" in message  # names the bad region and the choices

    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    from ete_metrics.data.schema import create_schema

    engine = make_engine(empty)
    create_schema(engine)
    engine.dispose()
    for extra in ([], ["--as-of", "2023-08-16"]):  # empty, whether or not a date is given
        message = _one_line_error(capsys, main(["report", "--format", "pdf", "--out", out,
                                                "--db", empty, *extra]))
        assert "no participants" in message

    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    message = _one_line_error(capsys, main(["report", "--format", "pptx", "--db", url,
                                            "--out", str(blocker / "deck.pptx")]))
    assert "does not exist" in message
    message = _one_line_error(capsys, main(["report", "--format", "pptx", "--db", url,
                                            "--out", str(tmp_path)]))
    assert "is a folder" in message
    assert not list(tmp_path.glob("*.partial")) and not list(tmp_path.glob(".*.partial"))


def test_report_region_names_ignore_case(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    url = _demo(tmp_path, 1000)
    out = tmp_path / "r.xlsx"
    assert main(["report", "--format", "xlsx", "--out", str(out), "--db", url,
                 "--region", "west midlands"]) == 0, capsys.readouterr().err
    cover = read_cover(out.read_bytes())
    assert cover["Regions"] == "West Midlands"


def test_a_leads_report_sets_their_region_against_the_programme(
    tmp_path: Path, capsys, monkeypatch  # type: ignore[no-untyped-def]
) -> None:
    """Issue 26 item 1: a Wales lead's pack (their data hold Wales only) set Wales against itself.
    Now Wales is set against the programme's aggregate: every region's people entered."""
    from ete_metrics.data.db import load_participants

    url = _demo(tmp_path, 3000)
    access = tmp_path / "access.toml"
    access.write_text('[users."lead.wales@example.org"]\nrole = "regional_lead"\nregions = ["Wales"]\n',
                      encoding="utf-8")
    monkeypatch.setenv("ETE_ACCESS_FILE", str(access))
    out = tmp_path / "pack.xlsx"
    code = main(["report", "--format", "xlsx", "--out", str(out), "--as-of", "2023-08-16", "--db", url,
                 "--as-user", "lead.wales@example.org"])
    assert code == 0, capsys.readouterr().err
    tables = read_tables(out.read_bytes())
    assert not {"regions", "regions_adjusted"} & set(tables)
    engine = make_engine(url)
    everyone = load_participants(engine)
    engine.dispose()
    entered = everyone["entry_date"].notna() & (everyone["entry_date"] <= "2023-08-16")
    first = tables["benchmark"].iloc[0]
    programme = first["Programme entered"]
    wales = first["Wales entered"]
    # the programme: every region's people entered by the date; Wales: Wales's own
    assert programme == int(entered.sum())
    assert wales == int((entered & (everyone["region"] == "Wales")).sum())
