"""dashboard.data on SQLite and PostgreSQL: load, cut-off, cache invalidation, filtering."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

import dashboard.data as data_module
from dashboard.data import ProgrammeData, filtered, metric, read_data
from dashboard.filters import Filters
from ete_metrics.data.db import create_schema, save_extract
from ete_metrics.errors import DatabaseError
from ete_metrics.metrics.funnel import funnel


def _url(engine: sa.Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _import(engine: sa.Engine, ids: list[str], *, imported_at: datetime, extract_date: date) -> None:
    """Save an extract of ``ids`` (all data replaced), recorded as imported at ``imported_at``."""
    participants, milestones = _extract(ids)
    save_extract(engine, participants, milestones, replace_all=True,
                 record={"imported_at": imported_at, "extract_date": extract_date})


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
    _import(engine, ["A1", "A2"], imported_at=datetime(2022, 5, 2, 9, 30), extract_date=date(2022, 5, 1))
    data = read_data(_url(engine))
    assert len(data.participants) == 2
    # the cut-off is the last import's extract date, not the latest date in the data (1 Apr 2022)
    assert data.cutoff == date(2022, 5, 1)
    assert data.last_import is not None
    assert pd.Timestamp(data.last_import["imported_at"]) == pd.Timestamp("2022-05-02 09:30")
    assert read_data(_url(engine)) is data  # cached: same object, no re-read
    # a new import changes the version, so the next load sees it
    _import(engine, ["A1", "A2", "A3"], imported_at=datetime(2022, 6, 2, 9, 30), extract_date=date(2022, 6, 1))
    fresh = read_data(_url(engine))
    assert len(fresh.participants) == 3
    assert fresh.cutoff == date(2022, 6, 1)


def test_a_database_without_tables_says_how_to_fix_it(engine: sa.Engine) -> None:
    with pytest.raises(DatabaseError, match="no ETE tables.*make run"):
        read_data(_url(engine))


def test_filtered_and_metric(engine: sa.Engine) -> None:
    _import(engine, ["B1", "B2", "B3"], imported_at=datetime(2022, 5, 2), extract_date=date(2022, 5, 1))
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


#: Calls of :func:`_entered_by` (each a computation the metric cache did not save).
_COMPUTED: list[int] = []


def _entered_by(participants: pd.DataFrame, milestones: pd.DataFrame, *, as_of: date) -> pd.DataFrame:
    """A small stand-in metric that records each time it is really computed."""
    _COMPUTED.append(len(participants))
    return pd.DataFrame({"entered": [int((participants["entry_date"] <= pd.Timestamp(as_of)).sum())]})


def _programme(participants: pd.DataFrame, milestones: pd.DataFrame, scope: tuple[str, ...] | None) -> ProgrammeData:
    # version = (url, the user's regions, latest import, row counts), as read_data builds it
    return ProgrammeData(
        participants=participants, milestones=milestones, targets=pd.DataFrame(),
        cutoff=date(2022, 5, 1), last_import=None, import_warnings=pd.DataFrame(),
        version=("sqlite:///metric-cache-test.db", scope, 1, len(participants), len(milestones), 0),
    )


def test_metric_is_computed_once_per_scope_and_hands_out_copies() -> None:
    _COMPUTED.clear()
    participants, milestones = _extract(["C1", "C2", "C3"])  # C1, C3 London; C2 Wales
    london = participants.loc[participants["region"] == "London"].reset_index(drop=True)
    regional = _programme(london, milestones, ("London",))  # a user who may see London only
    director = _programme(participants, milestones, None)  # everything
    view = Filters(as_of=date(2022, 5, 1))

    first = metric(_entered_by, regional, view, as_of=view.as_of)
    assert first["entered"].to_list() == [2]
    first.loc[0, "entered"] = 99  # the page's copy: changing it must not reach the cache
    again = metric(_entered_by, regional, view, as_of=view.as_of)
    assert again["entered"].to_list() == [2]
    assert _COMPUTED == [2]  # the second call was served from the cache

    # the same filters under another scope (data version) are computed on that scope's data
    wider = metric(_entered_by, director, view, as_of=view.as_of)
    assert wider["entered"].to_list() == [3]
    assert _COMPUTED == [2, 3]
    # and the first scope still gets its own figure
    assert metric(_entered_by, regional, view, as_of=view.as_of)["entered"].to_list() == [2]
    assert _COMPUTED == [2, 3]


def test_metric_cache_keeps_the_most_recently_used() -> None:
    data_module.forget_metrics()
    _COMPUTED.clear()
    participants, milestones = _extract(["D1", "D2", "D3"])
    programme = _programme(participants, milestones, ("Evicted",))
    # entry dates 10 Jan, 10 Feb, 10 Mar 2022: as at 15 Jan 1 had entered, as at 15 Feb 2,
    # and as at any day from 10 Mar on, 3
    size = data_module._METRIC_CACHE_SIZE
    days = [date(2022, 1, 15), date(2022, 2, 15)] + [date(2022, 3, 10) + timedelta(days=i) for i in range(size - 1)]
    views = [Filters(as_of=day) for day in days]  # one more than the cache keeps
    for view in views[:size]:  # the cache is full: 15 Jan the oldest, then 15 Feb
        metric(_entered_by, programme, view, as_of=view.as_of)
    metric(_entered_by, programme, views[0], as_of=views[0].as_of)  # used again: now the newest
    assert len(_COMPUTED) == size
    assert metric(_entered_by, programme, views[size], as_of=views[size].as_of)["entered"].to_list() == [3]
    assert len(_COMPUTED) == size + 1  # one result too many: the least recently used (15 Feb) is dropped
    assert metric(_entered_by, programme, views[0], as_of=views[0].as_of)["entered"].to_list() == [1]
    assert len(_COMPUTED) == size + 1  # 15 Jan was kept
    assert metric(_entered_by, programme, views[1], as_of=views[1].as_of)["entered"].to_list() == [2]
    assert len(_COMPUTED) == size + 2  # 15 Feb had to be computed again


def test_forget_metrics_drops_the_cached_results() -> None:
    _COMPUTED.clear()
    participants, milestones = _extract(["E1", "E2"])
    programme = _programme(participants, milestones, ("Forgotten",))
    view = Filters(as_of=date(2022, 5, 1))
    metric(_entered_by, programme, view, as_of=view.as_of)
    metric(_entered_by, programme, view, as_of=view.as_of)
    assert _COMPUTED == [2]
    data_module.forget_metrics()  # as the Data page does after an import
    assert metric(_entered_by, programme, view, as_of=view.as_of)["entered"].to_list() == [2]
    assert _COMPUTED == [2, 2]


def test_sessions_asking_for_the_same_missing_metric_compute_it_once() -> None:
    import threading
    import time

    calls: list[int] = []

    def slow(participants: pd.DataFrame, milestones: pd.DataFrame, *, as_of: date) -> pd.DataFrame:
        calls.append(1)
        time.sleep(0.3)  # long enough for the other sessions to arrive while it runs
        return pd.DataFrame({"entered": [len(participants)]})

    participants, milestones = _extract(["F1", "F2"])
    programme = _programme(participants, milestones, ("Together",))
    view = Filters(as_of=date(2022, 5, 1))
    results: list[list[int]] = []
    sessions = [
        threading.Thread(target=lambda: results.append(
            metric(slow, programme, view, as_of=view.as_of)["entered"].to_list()))
        for _ in range(4)
    ]
    for session in sessions:
        session.start()
    for session in sessions:
        session.join(timeout=10)
    assert results == [[2]] * 4
    assert calls == [1]  # computed by one session, waited for by the other three
