"""The command line's help says how each option is written."""

from __future__ import annotations

from ete_metrics.cli import build_parser


def _report_help() -> str:
    parser = build_parser()
    report = next(a for a in parser._subparsers._group_actions if a.dest == "command").choices["report"]  # type: ignore[union-attr,index]
    return " ".join(report.format_help().split())


def test_reports_region_option_is_a_list_and_its_help_says_so() -> None:
    said = _report_help()
    assert "repeat for several" not in said
    assert "one or more: --region London Wales" in said
    args = build_parser().parse_args(["report", "--format", "pdf", "--out", "x.pdf", "--region", "London", "Wales"])
    assert args.region == ["London", "Wales"]
