"""The server's warm-up (dashboard.warmup): the first page's data and modules, loaded once."""

from __future__ import annotations

from pathlib import Path

import pytest
from apptest_support import *  # noqa: F403
from apptest_support import new_app

from dashboard import warmup
from ete_metrics.data import db


def test_page_modules_are_what_the_pages_import(tmp_path: Path) -> None:
    (tmp_path / "1_a.py").write_text(
        "from __future__ import annotations\nimport pandas as pd\n"
        "from dashboard.data import load_data\nfrom ete_metrics.metrics.funnel import funnel\n"
        "def later():\n    import plotly.express\n"  # inside a function: not at the top level
    )
    (tmp_path / "2_b.py").write_text("import streamlit as st, numpy\n")
    assert warmup.page_modules(tmp_path) == [
        "dashboard.data", "ete_metrics.metrics.funnel", "numpy", "pandas", "streamlit",
    ]
    # the real pages: the Overview's forecast and the shared data loading among them
    assert {"dashboard.data", "ete_metrics.metrics.forecast"} <= set(warmup.page_modules())


def test_warm_up_loads_the_data_once_for_every_later_session(
    demo_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dashboard.data import read_data

    took = warmup.warm_up()
    assert {"modules", "chart", "data"} <= set(took)
    loaded = read_data()

    def no_reading(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the data was read again")

    monkeypatch.setattr(db, "load_participants", no_reading)
    assert read_data() is loaded  # from the cache the warm-up filled: nothing read again


def test_warm_up_on_an_empty_database_loads_nothing_and_does_not_fail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ETE_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    took = warmup.warm_up()
    assert "data" not in took and "modules" in took


def test_warm_up_starts_once_per_process_and_never_under_apptest(
    demo_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = warmup.start_warm_up()
    assert first is not None
    assert warmup.start_warm_up() is first  # a second session: the same thread, no new warm-up
    first.join(timeout=300)
    started: list[object] = []
    monkeypatch.setattr(warmup, "_warm_up_thread", lambda: started.append(1))
    at = new_app()
    at.run()  # app.py asks for the warm-up: under AppTest none is started
    assert not at.exception
    assert started == []
