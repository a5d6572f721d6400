"""Shared fixtures: a fresh database per test on SQLite and on PostgreSQL.

The PostgreSQL server is the one on 127.0.0.1:5432 (user ``postgres``, database
``test``, trust auth), overridable with ``ETE_TEST_POSTGRES_URL``. Each test gets
its own schema, dropped afterwards. Without a server the PostgreSQL cases skip
with the reason; under CI (``CI=true``) a missing server is a failure instead.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from hypothesis import settings as _hypothesis_settings

# Property tests check results, not speed: no per-example deadline (a busy CI
# machine made a 200 ms deadline fail), and the same examples on every run.
_hypothesis_settings.register_profile("ete", deadline=None, derandomize=True)
_hypothesis_settings.load_profile("ete")

POSTGRES_URL = os.environ.get(
    "ETE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _postgres_available() -> str | None:
    """Return None when the server answers, else the reason it does not."""
    try:
        engine = sa.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(sa.text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
        return f"no PostgreSQL server at {POSTGRES_URL}: {type(exc).__name__}: {exc}".splitlines()[0]


_POSTGRES_REASON = _postgres_available()


@contextlib.contextmanager
def _postgres_schema() -> Iterator[str]:
    """The URL of a PostgreSQL schema of its own (skipped without a server, failed in CI)."""
    if _POSTGRES_REASON is not None:
        if IN_CI:
            pytest.fail(f"PostgreSQL tests must run in CI: {_POSTGRES_REASON}")
        pytest.skip(_POSTGRES_REASON)
    schema = f"ete_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A URL of an empty database: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ete.db'}"
        return
    with _postgres_schema() as url:
        yield url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL of an empty PostgreSQL schema of its own (mark the test ``postgres``)."""
    with _postgres_schema() as url:
        yield url


@pytest.fixture(scope="module")
def postgres_module_url() -> Iterator[str]:
    """As :func:`postgres_url`, one schema for a whole test module."""
    with _postgres_schema() as url:
        yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    """An Engine on an empty database (schema not created) — SQLite and PostgreSQL."""
    from ete_metrics.data.db import make_engine

    eng = make_engine(database_url)
    try:
        yield eng
    finally:
        eng.dispose()
