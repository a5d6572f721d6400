"""The shipped schedule (deploy/): the systemd service, its timer and the cron line run a
``deliver`` command the command line accepts, and the README documents them."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

from ete_metrics.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"


def _unit(name: str) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string((DEPLOY / name).read_text(encoding="utf-8"))
    return unit


def _module_arguments(command: str) -> list[str]:
    words = shlex.split(command)
    start = words.index("ete_metrics") + 1
    assert words[start - 2 : start] == ["-m", "ete_metrics"]
    return words[start:]


def test_the_service_runs_deliver_due_once_with_its_settings() -> None:
    service = _unit("ete-deliver.service")["Service"]
    assert service["Type"] == "oneshot"
    assert service["EnvironmentFile"] == "/etc/ete-outcomes/deliver.env"
    arguments = _module_arguments(service["ExecStart"])
    assert arguments == ["deliver", "--due"]
    parsed = build_parser().parse_args(arguments)
    assert parsed.command == "deliver" and parsed.due and not parsed.dry_run


def test_the_timer_starts_the_service_each_morning_and_catches_up() -> None:
    timer = _unit("ete-deliver.timer")
    assert timer["Timer"]["Unit"] == "ete-deliver.service"
    assert timer["Timer"]["OnCalendar"] == "*-*-* 07:00:00 Europe/London"
    assert timer["Timer"]["Persistent"] == "true"
    assert timer["Install"]["WantedBy"] == "timers.target"


def test_the_cron_line_runs_the_same_command() -> None:
    lines = [
        line
        for line in (DEPLOY / "ete-deliver.cron").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#") and "=" not in line.split()[0]
    ]
    assert len(lines) == 1
    fields = lines[0].split(None, 6)
    assert fields[:5] == ["0", "7", "*", "*", "*"] and fields[5] == "ete"
    command = fields[6]
    assert ". /etc/ete-outcomes/deliver.env" in command
    assert _module_arguments(command.rpartition("exec ")[2]) == ["deliver", "--due"]


def test_the_readme_documents_the_schedule_and_the_settings() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in (
        "deploy/ete-deliver.service",
        "deploy/ete-deliver.timer",
        "deploy/ete-deliver.cron",
        "subscriptions.example.toml",
    ):
        assert name in readme and (ROOT / name).is_file()
    table = readme[readme.index("## Configuration") : readme.index("### PostgreSQL")]
    for setting in (
        "ETE_SUBSCRIPTIONS_FILE",
        "ETE_SMTP_HOST",
        "ETE_SMTP_PORT",
        "ETE_SMTP_FROM",
        "ETE_SMTP_USER",
        "ETE_SMTP_PASSWORD",
    ):
        assert f"`{setting}`" in table, setting
