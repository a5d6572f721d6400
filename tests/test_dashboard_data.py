"""dashboard.data on SQLite and PostgreSQL: load, cut-off, cache invalidation, filtering."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest
import sqlalchemy as sa

from dashboard.data import filtered, metric, read_data
from dashboard.state import Filters
from ete_metrics.db import create_schema, save_extract
from ete_metrics.errors import DatabaseError
from ete_metrics.funnel import funnel


def _url(engine: sa.Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _extract(ids: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    participants = pd.DataFrame(
        {
            "participant_id": ids,
            "region": ["London", "Wales", "London"][: len(ids)],
            "referral_date": pd.to_datetime(["2022-01-03", "2022-02-01", "2022-03-01"][: len(ids)]),
            "entry_date": pd.to_datetime(["2022-01-10", "2022-02-10", "2022-03-10"][: len(ids)]),
            "pathway": ["community", "custody", "community"][: len(ids)],
        }
    )
    milestones = pd.DataFrame(
        {"participant_id": [ids[0]], "milestone": ["job_start"], "date": pd.to_datetime(["2022-04-01"])}
    )
    return participants, milestones


def test_read_data_and_invalidation_after_an_import(engine: sa.Engine) -> None:
    create_schema(engine)
    with pytest.raises(DatabaseError, match="no participants"):
        read_data(_url(engine))
    participants, milestones = _extract(["A1", "A2"])
    save_extract(
        engine, participants, milestones, replace_all=True,
        record={"imported_at": datetime(2022, 5, 2, 9, 30), "extract_date": date(2022, 5, 1)},
    )
    data = read_data(_url(engine))
    assert len(data.participants) == 2
    # the cut-off is the last import's extract date, not the latest date in the data (1 Apr 2022)
    assert data.cutoff == date(2022, 5, 1)
    assert data.last_import is not None
    assert pd.Timestamp(data.last_import["imported_at"]) == pd.Timestamp("2022-05-02 09:30")
    assert read_data(_url(engine)) is data  # cached: same object, no re-read
    # a new import changes the version, so the next load sees it
    participants, milestones = _extract(["A1", "A2", "A3"])
    save_extract(
        engine, participants, milestones, replace_all=True,
        record={"imported_at": datetime(2022, 6, 2, 9, 30), "extract_date": date(2022, 6, 1)},
    )
    fresh = read_data(_url(engine))
    assert len(fresh.participants) == 3
    assert fresh.cutoff == date(2022, 6, 1)


def test_a_database_without_tables_says_how_to_fix_it(engine: sa.Engine) -> None:
    with pytest.raises(DatabaseError, match="no ETE tables.*make run"):
        read_data(_url(engine))


def test_filtered_and_metric(engine: sa.Engine) -> None:
    participants, milestones = _extract(["B1", "B2", "B3"])
    save_extract(
        engine, participants, milestones, replace_all=True,
        record={"imported_at": datetime(2022, 5, 2), "extract_date": date(2022, 5, 1)},
    )
    data = read_data(_url(engine))
    everyone = Filters(as_of=date(2022, 5, 1))
    p, m = filtered(data, everyone)
    assert len(p) == 3 and len(m) == 1
    london = Filters(as_of=date(2022, 5, 1), regions=("London",))
    p, m = filtered(data, london)
    # B1 and B3 are in London; only B1 has a milestone
    assert sorted(p["participant_id"]) == ["B1", "B3"]
    assert m["participant_id"].to_list() == ["B1"]
    result = metric(funnel, data, london, as_of=london.as_of, **london.date_range())
    # London: 2 entered, 0 training, 1 work (B1's job start on 1 Apr 2022)
    assert result["participants"].to_list() == [2, 0, 1]
    pd.testing.assert_frame_equal(result, funnel(p, m, as_of=date(2022, 5, 1)))
    # the entry-date range is passed to the metric, not applied by filtered()
    narrow = Filters(as_of=date(2022, 5, 1), date_from=date(2022, 3, 1))
    result = metric(funnel, data, narrow, as_of=narrow.as_of, **narrow.date_range())
    assert result["participants"].to_list() == [1, 0, 0]  # only B3 entered from 1 Mar 2022
