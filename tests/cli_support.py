"""Shared helpers for the command-line tests: save frames to a database, run the CLI."""

from __future__ import annotations

import pandas as pd
import pytest

from ete_metrics.cli import main
from ete_metrics.data.db import make_engine, save_extract


def save_frames(
    database_url: str, participants: pd.DataFrame, milestones: pd.DataFrame, targets: pd.DataFrame
) -> str:
    """Replace everything in the database at ``database_url`` with these frames; return the URL."""
    engine = make_engine(database_url)
    try:
        save_extract(engine, participants, milestones, targets, replace_all=True)
    finally:
        engine.dispose()
    return database_url


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run ``python -m ete_metrics`` with ``argv``: exit code, standard output, standard error."""
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err
