"""The one module that owns the database: engine, schema, loads and the extract write.

Everything else in ``ete_metrics`` works on DataFrames; this module turns them
into rows and back. All SQL uses bound parameters. Bulk writes go through the
driver's ``executemany`` over plain tuples (not ORM objects) so an extract of a
million participants loads in seconds.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.engine import URL, Dialect, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from ete_metrics import config

from ete_metrics.data import frames
from ete_metrics.errors import DatabaseError, Problem, RealDataError
from ete_metrics.progress import Progress, tell
from ete_metrics.data import schema
from ete_metrics.data.schema import (
    ADDED_COLUMNS,
    import_warnings_table,
    imports_table,
    metadata,
)

__all__ = [
    "ALERTS_FIRED_COLUMNS",
    "AUDIT_ACTIONS",
    "DEMO_ORIGIN",
    "Holdings",
    "create_schema",
    "data_cutoff",
    "database_holdings",
    "delivery_lock",
    "alert_states",
    "claim_alert",
    "load_alerts_fired",
    "load_audit",
    "record_alert_fired",
    "release_alert",
    "load_deliveries",
    "load_import_warnings",
    "load_imports",
    "load_milestones",
    "load_participants",
    "load_targets",
    "make_engine",
    "participant_ids",
    "record_audit",
    "record_delivery",
    "save_extract",
]

_SQLITE_BUSY_TIMEOUT_MS = 30_000
#: Execution option of a connection whose transactions write (SQLite: ``BEGIN IMMEDIATE``).
_WRITE_OPTION = "ete_write"
#: PostgreSQL advisory lock held by an import's transaction (imports queue on it).
_IMPORT_LOCK_KEY = 7_431_012
#: PostgreSQL advisory lock held by a ``deliver`` run for its whole length (one run at a time).
_DELIVERY_LOCK_KEY = 7_431_029
#: Page cache per connection (KiB); large imports touch many index pages.
_SQLITE_CACHE_KIB = 131_072


# ---------------------------------------------------------------------------
# Engine
# ---------------------------------------------------------------------------


def _safe_url(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def _configure_sqlite(engine: Engine, *, read_only: bool = False) -> None:
    """WAL, foreign keys and a busy timeout on every connection; real transactions.

    pysqlite's own transaction handling does not begin a transaction before DDL
    or SELECT; we switch it off and emit ``BEGIN`` ourselves (the recipe in the
    SQLAlchemy SQLite documentation) so a whole import is one transaction. A
    ``read_only`` engine sets no journal mode (that would write).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if not read_only and engine.url.database not in (None, "", ":memory:"):
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_TIMEOUT_MS:d}")
            cursor.execute(f"PRAGMA cache_size=-{_SQLITE_CACHE_KIB:d}")
            cursor.execute("PRAGMA temp_store=MEMORY")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # A writer takes the write lock at once (BEGIN IMMEDIATE): in WAL mode a
        # transaction that reads and then writes fails at once ("database is locked",
        # no waiting) when another write committed after its read began.
        immediate = connection.get_execution_options().get(_WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str | None = None) -> Engine:
    """Create an Engine for the ETE database and check it can be reached.

    Parameters
    ----------
    url : str, optional
        A SQLAlchemy URL. When omitted it is resolved by
        :func:`ete_metrics.config.database_url` (``ETE_DATABASE_URL``, else
        ``data/ete.db``).

    Returns
    -------
    sqlalchemy.Engine
        For SQLite the folder of the file is created when missing and every
        connection uses WAL journaling, foreign keys and a 30 s busy timeout.

    Raises
    ------
    DatabaseError
        The URL is malformed, names a driver that is not installed, or the
        server cannot be reached; the message says what to fix.
    """
    resolved = config.database_url(url)
    try:
        parsed = make_url(resolved)
    except ArgumentError as exc:
        raise DatabaseError(
            f"The database URL {resolved!r} is not valid ({exc}). Use a SQLAlchemy URL such as "
            "sqlite:///data/ete.db or postgresql+psycopg://user@host:5432/dbname "
            "(--db or ETE_DATABASE_URL)."
        ) from None

    backend = parsed.get_backend_name()
    connect_args: dict[str, Any] = {}
    if backend == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            folder = os.path.dirname(os.path.abspath(database))
            try:
                os.makedirs(folder, exist_ok=True)
            except OSError as exc:
                raise DatabaseError(
                    f"Cannot create the folder {folder} for the SQLite database: {exc.strerror}. "
                    "Choose a writable location with --db or ETE_DATABASE_URL."
                ) from None
        connect_args["timeout"] = _SQLITE_BUSY_TIMEOUT_MS / 1000
    elif backend == "postgresql" and "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = 10

    try:
        # A server may drop the pool's connections (a restart, an idle timeout, an
        # administrator): each is tested as it is taken from the pool and replaced when dead,
        # so a dropped connection is never taken for a missing or empty database.
        engine = sa.create_engine(parsed, connect_args=connect_args, pool_pre_ping=backend != "sqlite")
    except (NoSuchModuleError, ImportError) as exc:
        raise DatabaseError(
            f"The database URL {_safe_url(parsed)} names a driver that is not available ({exc}). "
            "Use sqlite:///path/to/ete.db or postgresql+psycopg://... and install the driver."
        ) from None
    except ArgumentError as exc:
        raise DatabaseError(f"The database URL {_safe_url(parsed)} is not valid: {exc}") from None

    if backend == "sqlite":
        _configure_sqlite(engine)

    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        engine.dispose()
        if backend == "sqlite":
            read_only = _read_only_sqlite(parsed, _reason(exc), connect_args)
            if read_only is not None:
                return read_only
        raise _unreachable(parsed, _reason(exc)) from None
    return engine


#: What SQLite says when it may read a WAL database's file but not make the files beside
#: it (``-wal``, ``-shm``): its folder or file system is read-only.
_CANNOT_WRITE_BESIDE = ("unable to open database file", "readonly database", "read-only")


def _read_only_sqlite(url: URL, reason: str, connect_args: dict[str, Any]) -> Engine | None:
    """A read-only engine on an SQLite file this process may read but not write beside.

    A database in WAL mode is read through its ``-shm`` file, which SQLite makes beside
    it: in a read-only folder or file system it cannot, and the database cannot even be
    opened. The file is then opened read-only (``mode=ro``) and, failing that, as a
    file that nothing changes (``immutable=1``), which is only right while its
    write-ahead log holds nothing: a non-empty ``-wal`` beside it is refused with what
    to do. Returns None when that is not the trouble (no such file, not readable).

    Raises
    ------
    DatabaseError
        The file can be read only without the changes its write-ahead log holds.
    """
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    if not any(words in reason for words in _CANNOT_WRITE_BESIDE):
        return None
    path = os.path.abspath(database)
    if not os.path.isfile(path) or not os.access(path, os.R_OK):
        return None
    from urllib.parse import quote

    wal = f"{path}-wal"
    pending = os.path.exists(wal) and os.path.getsize(wal) > 0
    for query in ("mode=ro", "mode=ro&immutable=1"):
        if "immutable" in query and pending:
            raise DatabaseError(
                f"The SQLite database {path} can only be read here (its folder or file system "
                f"is read-only: {reason}), and its write-ahead log {wal} holds changes not yet "
                "in the file, which cannot be read without writing. Open it once where it can "
                "be written (any import, or `python -m ete_metrics init-db`, merges the log), or "
                "make its folder writable. Nothing was changed."
            )
        engine = sa.create_engine(
            f"sqlite:///file:{quote(path)}?{query}&uri=true", connect_args=connect_args
        )
        _configure_sqlite(engine, read_only=True)
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT count(*) FROM sqlite_master"))
        except SQLAlchemyError:
            engine.dispose()
            continue
        return engine
    return None


def _reason(exc: BaseException) -> str:
    """The first line of the driver's message (the password is never in it)."""
    detail = str(getattr(exc, "orig", exc)).strip().splitlines()
    return detail[0] if detail else type(exc).__name__


def _unreachable(url: URL, reason: str) -> DatabaseError:
    """The database cannot be reached or read: what to check. Never "empty", never a command
    that writes: nothing can be known about its data."""
    where = _safe_url(url)
    if url.get_backend_name() == "sqlite":
        check = (
            "Check that the file exists, that this user may read and write it and its folder, "
            "that it is an SQLite database, and that the URL (--db or ETE_DATABASE_URL) names it."
        )
    else:
        check = (
            "Check that the database server is running and can be reached from here (host and "
            "port), and that the database name, user and password in the URL (--db or "
            "ETE_DATABASE_URL) are right."
        )
    return DatabaseError(
        f"Cannot connect to the database at {where}: {reason}. {check} "
        "Nothing is known about its data until it answers; nothing was changed."
    )


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def _placeholders(dialect: Dialect, count: int) -> str:
    style = dialect.paramstyle
    if style == "qmark":
        marker = "?"
    elif style in ("format", "pyformat"):
        marker = "%s"
    elif style == "numeric":
        return ", ".join(f":{i + 1}" for i in range(count))
    else:  # pragma: no cover - no supported driver uses another style
        raise DatabaseError(f"Unsupported database driver parameter style {style!r}.")
    return ", ".join([marker] * count)


def _insert_sql(connection: Connection, table: str, columns: Sequence[str]) -> str:
    cols = ", ".join(columns)
    return f"INSERT INTO {table} ({cols}) VALUES ({_placeholders(connection.dialect, len(columns))})"


def _date_values(values: pd.Series) -> list[Any]:
    """ISO date strings (``None`` for missing) — what SQLite stores and PostgreSQL casts."""
    stamps = pd.to_datetime(values).to_numpy(dtype="datetime64[D]")
    text_values = stamps.astype(str).astype(object)
    text_values[np.isnat(stamps)] = None
    return text_values.tolist()  # type: ignore[no-any-return]


def _text_values(values: pd.Series) -> list[Any]:
    array = np.array(values.to_numpy(dtype=object), dtype=object, copy=True)
    array[pd.isna(array)] = None
    return array.tolist()  # type: ignore[no-any-return]


def _rows(
    frame: pd.DataFrame, columns: Sequence[str], date_columns: Iterable[str]
) -> list[tuple[Any, ...]]:
    dates = set(date_columns)
    lists = [
        _date_values(frame[column]) if column in dates else _text_values(frame[column])
        for column in columns
    ]
    return list(zip(*lists, strict=True))


def _to_dates(values: pd.Series | list[Any]) -> pd.Series:
    series = pd.Series(values, dtype=object)
    non_null = series.dropna()
    if len(non_null) and isinstance(non_null.iloc[0], str):
        return pd.to_datetime(series, format="ISO8601").astype("datetime64[ns]")
    return pd.to_datetime(series).astype("datetime64[ns]")


#: Rows fetched from the database at a time while loading (bounds the Python objects alive).
_FETCH_ROWS = 50_000
#: Rows inserted by one ``executemany`` while saving (progress is told between them).
_WRITE_ROWS = 100_000


def _arrow_dates(chunks: list[pa.Array]) -> pd.Series | None:
    """ISO date strings or ``date`` objects as ``datetime64[ns]``; None when not plain dates."""
    converted = []
    try:
        for chunk in chunks:
            if pa.types.is_null(chunk.type):
                converted.append(pa.nulls(len(chunk), pa.date32()))
            elif pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type):
                converted.append(chunk.cast(pa.date32()))  # strict YYYY-MM-DD, else fall back
            elif pa.types.is_date32(chunk.type):
                converted.append(chunk)
            else:
                return None
    except (pa.ArrowException, TypeError, ValueError):
        return None
    values = pa.chunked_array(converted, type=pa.date32())
    days = values.to_numpy(zero_copy_only=False).astype("datetime64[ns]")
    return pd.Series(days, dtype="datetime64[ns]")


def _column_chunk(values: tuple[Any, ...], kind: str) -> pa.Array | list[Any]:
    if kind == "text":
        return pa.array(values, type=pa.string())
    if kind == "date":
        try:
            return pa.array(values)
        except (pa.ArrowException, TypeError, ValueError):
            return list(values)
    return list(values)


def _categorical(arrow: pa.ChunkedArray) -> pd.Series:
    """Strings as a categorical with sorted categories, like ``astype("category")``, quicker.

    Arrow encodes the values against their few distinct words; the codes are then
    renumbered in the words' sorted order (missing values get code -1).
    """
    encoded = arrow.combine_chunks().dictionary_encode()
    words = encoded.dictionary.to_pylist()
    order = sorted(range(len(words)), key=words.__getitem__)
    rank = np.full(len(words) + 1, -1, dtype=np.int64)  # the last slot: missing
    rank[order] = np.arange(len(words))
    codes = rank[encoded.indices.fill_null(len(words)).to_numpy(zero_copy_only=False)]
    dtype = pd.CategoricalDtype(pd.Index([words[i] for i in order], dtype="str"))
    return pd.Series(pd.Categorical.from_codes(codes, dtype=dtype))


def _read(
    engine: Engine,
    sql: str,
    columns: Sequence[str],
    date_columns: Sequence[str],
    regions: Sequence[str] | None,
    text_columns: Sequence[str] = (),
    category_columns: Sequence[str] = (),
) -> pd.DataFrame:
    """Run a query and build the frame column by column, a chunk of rows at a time.

    The query runs on the DB-API cursor of one of the engine's pooled connections
    (``Engine.raw_connection``): the rows arrive as the driver's plain tuples, without
    SQLAlchemy's result rows on top, which for a load of many thousands of rows is a
    large share of the time. ``sql`` names the regions as ``:regions``
    (``region IN :regions``); they are bound as parameters (one placeholder each, in
    the driver's parameter style), never written into the SQL. On PostgreSQL the
    cursor is a server-side (named) one, so a million rows arrive a chunk at a time.

    Text columns become Arrow-backed strings (pandas' ``str`` dtype: a few bytes a
    value instead of a Python object each) and ISO dates are parsed by Arrow, so a
    million participants load without holding every row as Python tuples at once.
    Text columns also in ``category_columns`` (few distinct values: regions,
    partners, milestone types...) become categoricals, one small integer code a row.

    Raises
    ------
    sqlalchemy.exc.DBAPIError
        The driver's error, wrapped as SQLAlchemy wraps it (callers catch
        ``SQLAlchemyError``).
    """
    params: tuple[Any, ...] = ()
    if regions is not None:
        params = tuple(regions)
        marker = _placeholders(engine.dialect, len(params)) if params else "NULL"
        sql = sql.replace(":regions", f"({marker})")
    kinds = {
        column: "date" if column in date_columns else "text" if column in text_columns else "other"
        for column in columns
    }
    parts: dict[str, list[Any]] = {column: [] for column in columns}
    dbapi_error = engine.dialect.loaded_dbapi.Error
    try:
        raw = engine.raw_connection()
    except dbapi_error as exc:  # no connection (the driver's error, not wrapped by the pool)
        raise sa.exc.DBAPIError.instance(sql, params, exc, dbapi_error) from None
    try:
        named = {"name": "ete_read"} if engine.dialect.name == "postgresql" else {}
        cursor = raw.cursor(**named)
        try:
            cursor.execute(sql, params)
            while rows := cursor.fetchmany(_FETCH_ROWS):
                for column, values in zip(columns, zip(*rows, strict=True), strict=True):
                    parts[column].append(_column_chunk(values, kinds[column]))
        finally:
            cursor.close()
    except dbapi_error as exc:
        raise sa.exc.DBAPIError.instance(sql, params, exc, dbapi_error) from None
    finally:
        raw.close()
    data: dict[str, Any] = {}
    for column in columns:
        chunks = parts.pop(column)
        kind = kinds[column]
        if kind == "text":
            arrow = pa.chunked_array(chunks, type=pa.string())
            if column in category_columns:
                data[column] = _categorical(arrow)
            else:
                data[column] = pd.Series(arrow.to_pandas(), dtype="str")
            continue
        if kind == "date":
            if all(isinstance(chunk, pa.Array) for chunk in chunks):
                dates = _arrow_dates(chunks)
                if dates is not None:
                    data[column] = dates
                    continue
            flat = [v for chunk in chunks for v in (chunk.to_pylist() if isinstance(chunk, pa.Array) else chunk)]
            data[column] = _to_dates(flat)
            continue
        data[column] = pd.Series([v for chunk in chunks for v in chunk], dtype=object)
    return pd.DataFrame(data, columns=list(columns))


#: The tables of the programme's data. (Not the audit trail: sign-ins are recorded in a
#: database that holds no data too.)
_DATA_TABLES: tuple[str, ...] = ("participants", "milestones", "targets", "imports", "import_warnings")


def _no_tables(where: str, others: int) -> DatabaseError:
    """The database answers but has none of the ETE tables. Only one with no tables at all
    is told about the demo: another application's database is not ours to fill."""
    if others:
        return DatabaseError(
            f"The database at {where} has no ETE tables, but it holds {others:,} other "
            f"table{'s' if others != 1 else ''}: check that the URL (--db or ETE_DATABASE_URL) "
            "names the ETE database. To keep the ETE data in this one, import an extract into it "
            "(`python -m ete_metrics import ...`)."
        )
    return DatabaseError(
        f"The database at {where} has no ETE tables yet: it is empty. If you expected data here, "
        "check the URL (--db or ETE_DATABASE_URL). Otherwise import an extract "
        "(`python -m ete_metrics import ...`) or build the synthetic demo programme in it "
        "(`make run`, or `python -m ete_metrics demo`)."
    )


def _wrap(action: str, exc: SQLAlchemyError, engine: Engine, *, creating: bool = False) -> DatabaseError:
    """Say what went wrong, found out rather than guessed from the driver's words.

    A failed statement may mean that the server went away, that the connection was
    dropped, that the tables are missing or that the user may not read them. The database
    is asked again on a fresh connection: when it does not answer, the error says it
    cannot be reached and what to check (never that it is empty, never a command that
    writes); when it answers, whether the ETE tables are there decides the advice (unless
    ``creating`` them is what failed).
    """
    reason = _reason(exc)
    where = _safe_url(engine.url)
    if "readonly database" in reason or "read-only" in reason:
        return DatabaseError(
            f"Could not {action}: the database at {where} can only be read here (its file, "
            "folder or file system is read-only), so its figures can be shown but nothing can be "
            "written to it. Import into a database this user may write (--db or "
            "ETE_DATABASE_URL), or make the file and its folder writable. Nothing was changed."
        )
    if "database is locked" in reason:
        return DatabaseError(
            f"Could not {action}: {reason}. Another import (or another write) is running on "
            f"this database and did not finish within {_SQLITE_BUSY_TIMEOUT_MS // 1000} seconds; "
            "try again when it has (nothing was changed)."
        )
    try:
        with engine.connect() as connection:
            tables = set(sa.inspect(connection).get_table_names())
    except SQLAlchemyError as again:
        return _unreachable(engine.url, _reason(again))
    if not creating and not tables & set(_DATA_TABLES):
        return _no_tables(where, len(tables - set(metadata.tables)))
    missing = [table for table in _DATA_TABLES if table not in tables]
    if missing and not creating:
        return DatabaseError(
            f"Could not {action}: the database at {where} lacks the ETE "
            f"table{'s' if len(missing) != 1 else ''} {', '.join(missing)} ({reason}). Add "
            "them with `python -m ete_metrics init-db`, which keeps every row already stored."
        )
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return DatabaseError(
            f"The connection to the database at {where} was lost while trying to {action} "
            f"({reason}); nothing was changed. It answers again now: try again (reload the page, "
            "or run the command again)."
        )
    return DatabaseError(
        f"Could not {action} (nothing was changed): {reason}. The database at {where} answers "
        "and has its ETE tables; if the message is about permissions, check the user in the URL "
        "(--db or ETE_DATABASE_URL)."
    )


def create_schema(engine: Engine) -> None:
    """Create the ETE tables and indexes that do not exist yet (:func:`ete_metrics.data.schema.create_schema`).

    Idempotent: existing tables and their rows are left untouched; a database made before
    a column was added gets it.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The database to create the schema in.

    Raises
    ------
    DatabaseError
        The database cannot be reached, or the tables cannot be made (the message says
        what to check).
    """
    try:
        schema.create_schema(engine)
    except SQLAlchemyError as exc:
        raise _wrap("create the ETE tables", exc, engine, creating=True) from None


# ---------------------------------------------------------------------------
# Loads
# ---------------------------------------------------------------------------


def _selected(engine: Engine, table: str, columns: Sequence[str]) -> list[str]:
    """Select expressions for ``columns``: a column added since the database was made
    (:data:`ete_metrics.data.schema.ADDED_COLUMNS`) and not yet migrated reads as empty."""
    added = {column for name, column in ADDED_COLUMNS if name == table}
    if not added & set(columns):
        return list(columns)
    try:
        present = {c["name"] for c in sa.inspect(engine).get_columns(table)}
    except SQLAlchemyError:
        return list(columns)  # no table: the query says so (and what to do)
    return [
        f"NULL AS {column}" if column in added and column not in present else column
        for column in columns
    ]


def load_participants(
    engine: Engine,
    regions: Sequence[str] | None = None,
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Load participants, optionally only those in some regions or only some columns.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The ETE database.
    regions : sequence of str, optional
        Canonical region names; ``None`` loads every region.
    columns : sequence of str, optional
        Only these of :data:`~ete_metrics.data.frames.PARTICIPANT_COLUMNS` (a metric
        that needs a few columns reads a fraction of the data); ``participant_id`` is
        always included. ``None`` loads them all.

    Returns
    -------
    pandas.DataFrame
        The :func:`ete_metrics.data.frames.conform_participants` format (with
        ``columns``: just those, in the order of ``PARTICIPANT_COLUMNS``), ordered by
        ``participant_id``. ``participant_id`` is text (``str``); the other text columns
        (region, pathway, partner, characteristics...) are categoricals with sorted
        categories, which every metric treats as text but which take a few bytes a row
        and group quickly.

    Raises
    ------
    InputError
        ``columns`` names a column participants do not have.
    """
    chosen = frames.PARTICIPANT_COLUMNS
    if columns is not None:
        unknown = sorted(set(columns) - set(chosen))
        if unknown:
            from ete_metrics.errors import InputError

            raise InputError(f"Participants have no column {', '.join(map(repr, unknown))}.")
        wanted = {"participant_id", *columns}
        chosen = tuple(c for c in chosen if c in wanted)
    dates = [c for c in chosen if c in frames.PARTICIPANT_DATE_COLUMNS]
    sql = f"SELECT {', '.join(_selected(engine, 'participants', chosen))} FROM participants"
    if regions is not None:
        sql += " WHERE region IN :regions"
    sql += " ORDER BY participant_id"
    try:
        frame = _read(
            engine, sql, chosen, dates, regions,
            text_columns=[c for c in chosen if c not in dates],
            category_columns=[c for c in chosen if c not in ("participant_id", *dates)],
        )
    except SQLAlchemyError as exc:
        raise _wrap("load participants", exc, engine) from None
    if columns is not None:
        return frame
    return frames.conform_participants(frame)


def load_milestones(engine: Engine, regions: Sequence[str] | None = None) -> pd.DataFrame:
    """Load milestones, optionally only those of participants in some regions.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The ETE database.
    regions : sequence of str, optional
        Canonical region names (of the participant); ``None`` loads all.

    Returns
    -------
    pandas.DataFrame
        The :func:`ete_metrics.data.frames.conform_milestones` format, ordered by
        ``participant_id``, ``date``, ``milestone``; ``milestone`` and ``partner`` are
        categoricals (sorted categories), ``participant_id`` text.
    """
    columns = frames.MILESTONE_COLUMNS
    selected = ", ".join(f"m.{c}" for c in columns)
    if regions is None:
        sql = f"SELECT {selected} FROM milestones m"
    else:
        sql = (
            f"SELECT {selected} FROM milestones m "
            "JOIN participants p ON p.participant_id = m.participant_id "
            "WHERE p.region IN :regions"
        )
    sql += " ORDER BY m.participant_id, m.date, m.milestone, m.id"
    try:
        frame = _read(
            engine, sql, columns, frames.MILESTONE_DATE_COLUMNS, regions,
            text_columns=[c for c in columns if c not in frames.MILESTONE_DATE_COLUMNS],
            category_columns=["milestone", "partner"],
        )
    except SQLAlchemyError as exc:
        raise _wrap("load milestones", exc, engine) from None
    return frames.conform_milestones(frame)


def load_targets(engine: Engine, regions: Sequence[str] | None = None) -> pd.DataFrame:
    """Load contract targets, optionally only for some regions.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The ETE database.
    regions : sequence of str, optional
        Canonical region names; ``None`` loads all.

    Returns
    -------
    pandas.DataFrame
        The :func:`ete_metrics.data.frames.conform_targets` format, ordered by
        ``region``, ``period_start``, ``measure``.
    """
    columns = frames.TARGET_COLUMNS
    sql = f"SELECT {', '.join(columns)} FROM targets"
    if regions is not None:
        sql += " WHERE region IN :regions"
    sql += " ORDER BY region, period_start, measure"
    try:
        frame = _read(engine, sql, columns, frames.TARGET_DATE_COLUMNS, regions)
    except SQLAlchemyError as exc:
        raise _wrap("load targets", exc, engine) from None
    return frames.conform_targets(frame)


def _imports_columns(connection: Connection) -> set[str]:
    """The columns the database's ``imports`` table has (one made before a column lacks it)."""
    added = {column for table, column in ADDED_COLUMNS if table == "imports"}
    names = {column.name for column in imports_table.c}
    if not added:
        return names
    present = {c["name"] for c in sa.inspect(connection).get_columns("imports")}
    return names & present if present else names  # no table: the query says so


def load_imports(engine: Engine) -> pd.DataFrame:
    """Load the import history, oldest first.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The ETE database.

    Returns
    -------
    pandas.DataFrame
        One row per import with the columns of the ``imports`` table;
        ``imported_at`` and ``extract_date`` as ``datetime64[ns]``. A column added since
        the database was made (:data:`~ete_metrics.data.schema.ADDED_COLUMNS`) and not yet
        migrated reads as empty.
    """
    try:
        with engine.connect() as connection:
            present = _imports_columns(connection)
            chosen = [
                column if column.name in present else sa.null().label(column.name)
                for column in imports_table.c
            ]
            result = connection.execute(sa.select(*chosen).order_by(imports_table.c.id))
            frame = pd.DataFrame(result.all(), columns=list(result.keys()))
    except SQLAlchemyError as exc:
        raise _wrap("load the import history", exc, engine) from None
    for column in ("imported_at", "extract_date"):
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
    return frame


def load_import_warnings(engine: Engine) -> pd.DataFrame:
    """Load the data-quality warnings stored with every import.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The ETE database.

    Returns
    -------
    pandas.DataFrame
        Columns ``import_id, file, line, column, check, message, participant_id``,
        ordered by import then insertion.
    """
    columns = ["import_id", "file", "line", "column", "check", "message", "participant_id"]
    table = import_warnings_table
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.select(*[table.c[c] for c in columns]).order_by(table.c.import_id, table.c.id)
            ).all()
    except SQLAlchemyError as exc:
        raise _wrap("load the import warnings", exc, engine) from None
    frame = pd.DataFrame(rows, columns=columns)
    frame["line"] = frame["line"].astype("Int64")
    return frame


def data_cutoff(engine: Engine) -> date | None:
    """Return the latest date found in the data.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The ETE database.

    Returns
    -------
    datetime.date or None
        The maximum over participants' referral, entry and exit dates and
        milestone dates; ``None`` when the database holds no dates.
    """
    sql = (
        "SELECT MAX(referral_date), MAX(entry_date), MAX(exit_date) FROM participants "
        "UNION ALL SELECT MAX(date), NULL, NULL FROM milestones"
    )
    try:
        with engine.connect() as connection:
            rows = connection.execute(text(sql)).all()
    except SQLAlchemyError as exc:
        raise _wrap("find the data cut-off date", exc, engine) from None
    found: list[date] = []
    for row in rows:
        for value in row:
            if value is None:
                continue
            if isinstance(value, datetime):
                found.append(value.date())
            elif isinstance(value, date):
                found.append(value)
            else:
                found.append(date.fromisoformat(str(value)[:10]))
    return max(found) if found else None


# ---------------------------------------------------------------------------
# The extract write
# ---------------------------------------------------------------------------


def _temp_ids(connection: Connection, ids: list[tuple[str, int]]) -> str:
    """Fill a temporary table of (participant_id, in_participants) and return its name."""
    name = "ete_import_ids"
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(
            f"CREATE TEMPORARY TABLE {name} (participant_id TEXT PRIMARY KEY, "
            "in_participants INTEGER NOT NULL) ON COMMIT DROP"
        )
    else:
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{name}")
        connection.exec_driver_sql(
            f"CREATE TEMPORARY TABLE {name} (participant_id TEXT PRIMARY KEY, "
            "in_participants INTEGER NOT NULL)"
        )
    if ids:
        connection.exec_driver_sql(
            _insert_sql(connection, name, ["participant_id", "in_participants"]), ids
        )
    return name


def _drop_temp(connection: Connection, name: str) -> None:
    if connection.dialect.name != "postgresql":
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{name}")


def _count(connection: Connection, table: str) -> int:
    return int(connection.exec_driver_sql(f"SELECT COUNT(*) FROM {table}").scalar_one())


def save_extract(
    engine: Engine,
    participants: pd.DataFrame,
    milestones: pd.DataFrame,
    targets: pd.DataFrame | None = None,
    *,
    replace_all: bool = False,
    record: Mapping[str, Any] | None = None,
    warnings: Sequence[Problem] = (),
    progress: Progress | None = None,
    refuse_real: bool = False,
    audit: AuditEntry | None = None,
) -> int:
    """Write an extract to the database in one transaction.

    Semantics: participants are upserted by ``participant_id`` (the extract's
    row replaces the stored one); every participant named in the extract (in
    either frame) has its stored milestones replaced by the extract's;
    participants not in the extract are kept unless ``replace_all``, which
    first empties participants and milestones (targets too when ``targets`` is
    given). Targets replace the stored rows with the same
    ``(region, period_start, measure)`` keys. An ``imports`` row and the
    warnings are written in the same transaction; on any failure nothing is
    changed.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The ETE database (the schema is created when missing).
    participants, milestones : pandas.DataFrame
        Frames in the :mod:`ete_metrics.data.frames` formats (validated already).
    targets : pandas.DataFrame, optional
        Targets in the frames format; ``None`` leaves targets alone.
    replace_all : bool
        Make the extract the whole database.
    record : mapping, optional
        Values for the ``imports`` row (``imported_at``, file names, SHA-256s,
        ``extract_date``...); row and warning counts default from the frames.
    warnings : sequence of Problem
        Warnings stored in ``import_warnings``.
    progress : Progress, optional
        Told as the rows go in, :data:`_WRITE_ROWS` at a time (:mod:`ete_metrics.progress`).
    refuse_real : bool
        Write nothing, and raise :class:`RealDataError`, when the database holds real data
        (:attr:`Holdings.real`: anything but nothing or the demo's). Checked inside the
        write's transaction, after its lock, so an import that lands first is seen.
    audit : AuditEntry, optional
        The import's audit event (:func:`ete_metrics.data.audit.import_entry`), written in
        the same transaction: the import is stored with its audit row or not at all.

    Returns
    -------
    int
        The id of the new ``imports`` row.

    Raises
    ------
    DatabaseError
        The write failed (for example a milestone of an unknown participant
        broke the foreign key); the database is unchanged.
    RealDataError
        ``refuse_real`` and the database holds real data; the database is unchanged.
    """
    tell(progress, "Preparing the rows", 0.0)
    participants = frames.conform_participants(participants)
    milestones = frames.conform_milestones(milestones)
    if targets is not None:
        targets = frames.conform_targets(targets)

    # Rows go in participant_id order: the indexes on participant_id then grow at
    # their right-hand edge instead of being updated at random pages (several
    # times faster for a large extract).
    participants = participants.sort_values("participant_id", kind="stable")
    milestones = milestones.sort_values(["participant_id", "date"], kind="stable")
    participant_rows = _rows(
        participants, frames.PARTICIPANT_COLUMNS, frames.PARTICIPANT_DATE_COLUMNS
    )
    milestone_rows = _rows(milestones, frames.MILESTONE_COLUMNS, frames.MILESTONE_DATE_COLUMNS)
    total_rows = max(len(participant_rows) + len(milestone_rows), 1)

    values: dict[str, Any] = {
        "imported_at": None,
        "participants_rows": len(participants),
        "milestones_rows": len(milestones),
        "targets_rows": 0 if targets is None else len(targets),
        "warnings_count": len(warnings),
        "replace_all": bool(replace_all),
    }
    values.update(dict(record or {}))
    allowed = set(imports_table.c.keys()) - {"id"}
    unknown = set(values) - allowed
    if unknown:
        raise DatabaseError(f"Unknown import record fields: {', '.join(sorted(unknown))}.")

    create_schema(engine)
    try:
        # One import at a time: a second one waits (up to the busy timeout on SQLite,
        # on the rows' locks on PostgreSQL) for the first to commit, then lands.
        with (
            engine.connect().execution_options(**{_WRITE_OPTION: True}) as connection,
            connection.begin(),
        ):
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_IMPORT_LOCK_KEY:d})")
            if refuse_real:
                holdings = _holdings(connection, _safe_url(engine.url))
                if holdings.real:
                    raise RealDataError(holdings.refusal())
            if replace_all:
                connection.exec_driver_sql("DELETE FROM milestones")
                connection.exec_driver_sql("DELETE FROM participants")
                if targets is not None:
                    connection.exec_driver_sql("DELETE FROM targets")
            elif _count(connection, "participants") > 0:
                in_file = set(participants["participant_id"].tolist())
                extra = set(milestones["participant_id"].tolist()) - in_file
                ids = [(pid, 1) for pid in in_file] + [(pid, 0) for pid in extra]
                name = _temp_ids(connection, ids)
                connection.exec_driver_sql(
                    f"DELETE FROM milestones WHERE participant_id IN (SELECT participant_id FROM {name})"
                )
                connection.exec_driver_sql(
                    "DELETE FROM participants WHERE participant_id IN "
                    f"(SELECT participant_id FROM {name} WHERE in_participants = 1)"
                )
                _drop_temp(connection, name)

            written = 0
            for table, columns, rows in (
                ("participants", frames.PARTICIPANT_COLUMNS, participant_rows),
                ("milestones", frames.MILESTONE_COLUMNS, milestone_rows),
            ):
                sql = _insert_sql(connection, table, columns)
                for first in range(0, len(rows), _WRITE_ROWS):
                    tell(progress, f"Writing the {table}", 0.2 + 0.7 * written / total_rows)
                    connection.exec_driver_sql(sql, rows[first : first + _WRITE_ROWS])
                    written += len(rows[first : first + _WRITE_ROWS])
            tell(progress, "Writing the targets and the import record", 0.9)
            if targets is not None and len(targets):
                keys = _rows(targets, ("region", "period_start", "measure"), ("period_start",))
                marks = _placeholders(connection.dialect, 3).split(", ")
                connection.exec_driver_sql(
                    f"DELETE FROM targets WHERE region = {marks[0]} AND period_start = {marks[1]} "
                    f"AND measure = {marks[2]}",
                    keys,
                )
                target_rows = [
                    (region, period, measure, int(target))
                    for (region, period, measure), target in zip(
                        keys, targets["target"].tolist(), strict=True
                    )
                ]
                connection.exec_driver_sql(
                    _insert_sql(connection, "targets", frames.TARGET_COLUMNS), target_rows
                )

            import_id = connection.execute(
                sa.insert(imports_table).values(**values)
            ).inserted_primary_key
            assert import_id is not None
            new_id = int(import_id[0])
            if warnings:
                connection.exec_driver_sql(
                    _insert_sql(
                        connection,
                        "import_warnings",
                        [
                            "import_id",
                            "file",
                            "line",
                            '"column"',
                            '"check"',
                            "message",
                            "participant_id",
                        ],
                    ),
                    [
                        (new_id, w.file, w.line, w.column, w.check, w.message, w.participant_id)
                        for w in warnings
                    ],
                )
            if audit is not None:
                written_rows = {
                    "participants": len(participants),
                    "milestones": len(milestones),
                    "targets": 0 if targets is None else len(targets),
                }
                connection.execute(
                    sa.insert(schema.audit_events_table).values(**audit(new_id, written_rows))
                )
    except SQLAlchemyError as exc:
        raise _wrap("save the extract", exc, engine) from None
    tell(progress, "Saved", 1.0)
    return new_id


def participant_ids(engine: Engine) -> frozenset[str]:
    """Return the ``participant_id`` of every stored participant.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The ETE database (an empty set when the schema does not exist yet).

    Returns
    -------
    frozenset of str
        The stored ids, used to accept milestones of participants not in an extract.
    """
    try:
        if not sa.inspect(engine).has_table("participants"):
            return frozenset()
        with engine.connect() as connection:
            rows = connection.exec_driver_sql("SELECT participant_id FROM participants").all()
    except SQLAlchemyError as exc:
        raise _wrap("load participant ids", exc, engine) from None
    return frozenset(row[0] for row in rows)


def participant_entry_dates(engine: Engine) -> pd.Series:
    """Return every stored participant's ``entry_date``, indexed by ``participant_id``.

    The importer uses it to check milestones of stored participants who are not in
    an extract (an update that sends only new milestones) against the entry date
    already on record.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The ETE database (an empty series when the schema does not exist yet).

    Returns
    -------
    pandas.Series
        ``datetime64[ns]`` entry dates named ``entry_date``; ``NaT`` for a referral
        that never started. The index (``participant_id``) holds every stored id.
    """
    empty = pd.Series(
        np.array([], dtype="datetime64[ns]"),
        index=pd.Index([], dtype=object, name="participant_id"),
        name="entry_date",
    )
    try:
        if not sa.inspect(engine).has_table("participants"):
            return empty
        frame = _read(
            engine,
            "SELECT participant_id, entry_date FROM participants",
            ["participant_id", "entry_date"],
            ["entry_date"],
            None,
            text_columns=["participant_id"],
        )
    except SQLAlchemyError as exc:
        raise _wrap("load participants' entry dates", exc, engine) from None
    if frame.empty:
        return empty
    dates = frame["entry_date"].astype("datetime64[ns]").to_numpy()
    ids = pd.Index(frame["participant_id"].astype(object).to_numpy(), name="participant_id")
    return pd.Series(dates, index=ids, name="entry_date")


def data_version(engine: Engine) -> tuple[Any, ...]:
    """A cheap fingerprint of the stored data that changes whenever an import lands.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The ETE database.

    Returns
    -------
    tuple
        ``(latest import id, number of imports, participants, milestones)``.

    Raises
    ------
    DatabaseError
        The database cannot be reached or read (it says what to check), or it has no
        ETE tables (it says how to make them).
    """
    sql = sa.text(
        "SELECT (SELECT MAX(id) FROM imports), (SELECT COUNT(*) FROM imports), "
        "(SELECT COUNT(*) FROM participants), (SELECT COUNT(*) FROM milestones)"
    )
    try:
        with engine.connect() as connection:
            row = connection.execute(sql).one()
    except SQLAlchemyError as exc:
        raise _wrap("read the data", exc, engine) from None
    return tuple(row)


def participant_count(engine: Engine) -> int:
    """Return how many participants are stored (0 when the schema does not exist yet).

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The ETE database.

    Returns
    -------
    int
    """
    try:
        if not sa.inspect(engine).has_table("participants"):
            return 0
        with engine.connect() as connection:
            return _count(connection, "participants")
    except SQLAlchemyError as exc:
        raise _wrap("count participants", exc, engine) from None


# ---------------------------------------------------------------------------
# What a database holds: real data, the demo's, or nothing
# ---------------------------------------------------------------------------

#: ``imports.origin`` of the rows the synthetic demo programme writes
#: (:func:`ete_metrics.data.demo.build_demo_database`); an import leaves it empty.
DEMO_ORIGIN = "demo"


def _when(value: Any) -> str:
    stamp = pd.Timestamp(value)
    return f"{stamp.day} {stamp:%b %Y}"


def _counted(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


@dataclass(frozen=True)
class Holdings:
    """What a database holds, and whether it is provably the synthetic demo programme.

    Attributes
    ----------
    where : str
        The database's URL, without its password.
    participants, milestones, targets : int
        Rows stored (0 for a table that does not exist).
    imports : int
        Rows of the import history.
    last_import : datetime or None
        When the latest import was made, as recorded.
    others : int
        Tables that are not ETE's (another application's database, most likely a wrong URL).
    demo : bool
        The data are provably the demo's: the latest import is the demo's (``origin``
        :data:`DEMO_ORIGIN`, replacing all data) and the tables hold as many rows as it
        wrote. Anything else counts as real data (fail closed): an import after the demo,
        rows no import recorded, or a database made before imports recorded their origin.
    """

    where: str
    participants: int
    milestones: int
    targets: int
    imports: int
    last_import: datetime | None
    others: int
    demo: bool

    @property
    def empty(self) -> bool:
        """No participant, milestone or target is stored, nor any other table: nothing to lose."""
        return self.participants == self.milestones == self.targets == self.others == 0

    @property
    def real(self) -> bool:
        """Data is stored and it is not provably the demo's: never replaced unasked."""
        return not self.empty and not self.demo

    def describe(self) -> str:
        """``2,050 participants, 9,120 milestones and 576 targets; 3 imports, the latest on 12 Mar 2024``."""
        rows = (
            f"{_counted(self.participants, 'participant')}, {_counted(self.milestones, 'milestone')} "
            f"and {_counted(self.targets, 'target')}"
        )
        others = f"; {_counted(self.others, 'other table')}" if self.others else ""
        if not self.imports:
            return f"{rows}; no import recorded{others}"
        latest = f", the latest on {_when(self.last_import)}" if self.last_import is not None else ""
        return f"{rows}; {_counted(self.imports, 'import')} recorded{latest}{others}"

    def refusal(self) -> str:
        """Why the demo was not built over this data, and how to choose otherwise."""
        return (
            f"The database at {self.where} holds real data ({self.describe()}), not the synthetic "
            "demo: the demo was not built and nothing was changed. (Data counts as real unless the "
            "latest import is the demo's and nothing was written since.) To build the demo, choose "
            "another database with --db URL or ETE_DATABASE_URL (for example "
            "--db sqlite:///data/demo.db). To replace this data with the demo on purpose, run "
            "`python -m ete_metrics demo --replace-imported-data`: every participant, milestone "
            "and target stored is deleted."
        )

    def no_participants(self) -> str:
        """What to do about a database that holds no participants (the demo only when it is empty)."""
        if self.empty:
            return (
                f"The database at {self.where} holds no participants yet: it holds no data at all. "
                "If you expected data here, check the URL (--db or ETE_DATABASE_URL). Otherwise "
                "import an extract (`python -m ete_metrics import ...`) or build the synthetic demo "
                "programme in it (`make run`, or `python -m ete_metrics demo`)."
            )
        if self.participants:  # how many is not said: the reader may see only some regions
            return f"None of the participants in the database at {self.where} is in the regions you may see."
        return (
            f"The database at {self.where} holds no participants ({self.describe()}). Import an "
            "extract with its participants (`python -m ete_metrics import ...`)."
        )


def _holdings(connection: Connection, where: str) -> Holdings:
    inspector = sa.inspect(connection)
    tables = set(inspector.get_table_names())
    counts = {
        table: _count(connection, table) if table in tables else 0
        for table in ("participants", "milestones", "targets")
    }
    imports, latest = 0, None
    if "imports" in tables:
        imports = _count(connection, "imports")
        table = imports_table
        present = {c["name"] for c in inspector.get_columns("imports")}
        origin = table.c.origin if "origin" in present else sa.null()
        latest = connection.execute(
            sa.select(
                origin.label("origin"), table.c.replace_all, table.c.imported_at,
                table.c.participants_rows, table.c.milestones_rows, table.c.targets_rows,
            ).order_by(table.c.id.desc()).limit(1)
        ).first()
    demo = (
        latest is not None
        and latest.origin == DEMO_ORIGIN
        and bool(latest.replace_all)
        and (latest.participants_rows, latest.milestones_rows, latest.targets_rows)
        == (counts["participants"], counts["milestones"], counts["targets"])
    )
    return Holdings(
        where=where,
        participants=counts["participants"],
        milestones=counts["milestones"],
        targets=counts["targets"],
        imports=imports,
        last_import=None if latest is None else latest.imported_at,
        others=len(tables - set(metadata.tables)),
        demo=demo,
    )


def database_holdings(engine: Engine) -> Holdings:
    """Find out what the database holds: nothing, the demo's data, or real data.

    Reads only: it creates and changes nothing (tables that do not exist count as empty).

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The ETE database.

    Returns
    -------
    Holdings

    Raises
    ------
    DatabaseError
        The database cannot be reached or read; the message says what to check.
    """
    try:
        with engine.connect() as connection:
            return _holdings(connection, _safe_url(engine.url))
    except SQLAlchemyError as exc:
        raise _wrap("find out what the database holds", exc, engine) from None


# ---------------------------------------------------------------------------
# The audit trail
# ---------------------------------------------------------------------------

#: The actions recorded in ``audit_events``.
AUDIT_ACTIONS: tuple[str, ...] = (
    "sign_in", "sign_in_denied", "import", "export", "preview", "delivery", "alert",
)
#: Columns of :func:`load_audit`'s frame.
AUDIT_COLUMNS: tuple[str, ...] = (
    "id", "occurred_at", "actor", "role", "action", "detail", "filters", "file_sha256",
)


def _audit_json(value: Any) -> Any:
    if isinstance(value, (date, datetime, pd.Timestamp)):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def record_audit(
    engine: Engine,
    *,
    occurred_at: datetime,
    actor: str,
    action: str,
    role: str | None = None,
    detail: str | None = None,
    filters: Mapping[str, Any] | None = None,
    file_sha256: str | None = None,
) -> int:
    """Record one audited action (a sign-in, an import or an export).

    The ``audit_events`` table is created when missing (an older database).

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The ETE database.
    occurred_at : datetime.datetime
        When it happened (the caller reads the clock). A time with a time zone is
        converted to UTC; a naive time is taken to be UTC already.
    actor : str
        Who: the signed-in email, or ``"local"`` for the local operator.
    action : str
        One of :data:`AUDIT_ACTIONS`.
    role : str, optional
        The actor's role at the time.
    detail : str, optional
        What: the file name, the import id, the page...
    filters : mapping, optional
        The view's filters and scope, stored as JSON text (dates as ISO strings).
    file_sha256 : str, optional
        SHA-256 (64 hex digits) of the file imported or exported.

    Returns
    -------
    int
        The id of the new ``audit_events`` row.

    Raises
    ------
    InputError
        Unknown action, empty actor or a malformed SHA-256.
    DatabaseError
        The row could not be written.
    """
    from ete_metrics.data.schema import audit_events_table

    values = audit_values(
        occurred_at=occurred_at, actor=actor, action=action, role=role, detail=detail,
        filters=filters, file_sha256=file_sha256,
    )
    try:
        audit_events_table.create(engine, checkfirst=True)
        with engine.begin() as connection:
            key = connection.execute(sa.insert(audit_events_table).values(**values)).inserted_primary_key
    except SQLAlchemyError as exc:
        raise _wrap("record the audit event", exc, engine) from None
    assert key is not None
    return int(key[0])


#: An import's audit event, made in the import's own transaction: given the new
#: ``imports`` row's id and the rows written (``participants``, ``milestones``,
#: ``targets``), the ``audit_events`` row's values (:func:`audit_values`).
AuditEntry = Callable[[int, Mapping[str, int]], Mapping[str, Any]]


def audit_values(
    *,
    occurred_at: datetime,
    actor: str,
    action: str,
    role: str | None = None,
    detail: str | None = None,
    filters: Mapping[str, Any] | None = None,
    file_sha256: str | None = None,
) -> dict[str, Any]:
    """The checked values of one ``audit_events`` row (parameters as for :func:`record_audit`).

    Raises
    ------
    InputError
        Unknown action, empty actor or a malformed SHA-256.
    """
    import json
    import re

    from ete_metrics.errors import InputError

    if action not in AUDIT_ACTIONS:
        raise InputError(f"Unknown audit action {action!r}: use one of {', '.join(AUDIT_ACTIONS)}.")
    if not str(actor or "").strip():
        raise InputError("An audit event needs an actor (an email, or 'local').")
    if file_sha256 is not None and not re.fullmatch(r"[0-9a-f]{64}", file_sha256):
        raise InputError(f"{file_sha256!r} is not a SHA-256 (64 lower-case hex digits).")
    stamp = pd.Timestamp(occurred_at)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    values = {
        "occurred_at": stamp.to_pydatetime(),
        "actor": str(actor).strip(),
        "role": role,
        "action": action,
        "detail": detail,
        "filters": None
        if filters is None
        else json.dumps(dict(filters), sort_keys=True, default=_audit_json),
        "file_sha256": file_sha256,
    }
    return values


def load_audit(
    engine: Engine,
    *,
    limit: int | None = None,
    actions: Sequence[str] | None = None,
    actor: str | None = None,
) -> pd.DataFrame:
    """Load the audit trail, newest first.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The ETE database.
    limit : int, optional
        At most this many events (the newest).
    actions : sequence of str, optional
        Only these actions.
    actor : str, optional
        Only this actor.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`AUDIT_COLUMNS`; ``occurred_at`` is ``datetime64[ns]`` in UTC
        (without a time zone), the text columns hold ``str`` or ``None``. Empty when
        nothing is recorded (or the table does not exist yet).
    """
    from ete_metrics.data.schema import audit_events_table

    table = audit_events_table
    try:
        recorded = sa.inspect(engine).has_table(table.name)
    except SQLAlchemyError as exc:
        raise _wrap("load the audit trail", exc, engine) from None
    if not recorded:
        frame = pd.DataFrame({column: [] for column in AUDIT_COLUMNS}, dtype=object)
        frame["occurred_at"] = frame["occurred_at"].astype("datetime64[ns]")
        frame["id"] = frame["id"].astype("int64")
        return frame
    query = sa.select(*[table.c[c] for c in AUDIT_COLUMNS]).order_by(
        table.c.occurred_at.desc(), table.c.id.desc()
    )
    if actions is not None:
        query = query.where(table.c.action.in_(list(actions)))
    if actor is not None:
        query = query.where(table.c.actor == actor)
    if limit is not None:
        query = query.limit(int(limit))
    try:
        with engine.connect() as connection:
            rows = connection.execute(query).all()
    except SQLAlchemyError as exc:
        raise _wrap("load the audit trail", exc, engine) from None
    # Text columns stay Python objects: ``None`` where nothing was recorded.
    frame = pd.DataFrame([tuple(r) for r in rows], columns=list(AUDIT_COLUMNS), dtype=object)
    frame["occurred_at"] = pd.to_datetime(frame["occurred_at"]).astype("datetime64[ns]")
    frame["id"] = frame["id"].astype("int64")
    return frame


# ---------------------------------------------------------------------------
# Deliveries (packs emailed to subscribers)
# ---------------------------------------------------------------------------

#: Columns of :func:`load_deliveries`'s frame.
DELIVERY_COLUMNS: tuple[str, ...] = (
    "id", "attempted_at", "recipient", "subscription", "period_start", "period_end", "as_of",
    "status", "files", "problem",
)
#: The outcomes of an attempt.
DELIVERY_STATUSES: tuple[str, ...] = ("sent", "failed")


def record_delivery(
    engine: Engine,
    *,
    attempted_at: datetime,
    recipient: str,
    subscription: str,
    period_start: date,
    period_end: date,
    as_of: date,
    status: str,
    files: str | None = None,
    problem: str | None = None,
    audit: Mapping[str, Any] | None = None,
) -> int:
    """Record one attempt to email a pack, with its audit event when it was sent, together.

    The ``deliveries`` table (and ``audit_events``) is created when missing; the attempt
    and its audit row are written in one transaction: both are stored, or neither.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    attempted_at : datetime.datetime
        When (UTC; a time with a time zone is converted, a naive one taken as UTC).
    recipient : str
        The recipient's email.
    subscription : str
        The subscription's key (``delivery.subscriptions.Subscription.key``).
    period_start, period_end : date
        The period the pack is for.
    as_of : date
        The date its figures are as at.
    status : {"sent", "failed"}
    files : str, optional
        The files attached, with their SHA-256.
    problem : str, optional
        Why it failed, in one line.
    audit : mapping, optional
        The audit event's values (:func:`audit_values`), for a pack sent.

    Returns
    -------
    int
        The id of the new ``deliveries`` row.

    Raises
    ------
    InputError
        An unknown status or an empty recipient.
    DatabaseError
        The rows could not be written.
    """
    from ete_metrics.data.schema import audit_events_table, deliveries_table
    from ete_metrics.errors import InputError

    if status not in DELIVERY_STATUSES:
        raise InputError(f"Unknown delivery status {status!r}: use one of {', '.join(DELIVERY_STATUSES)}.")
    if not str(recipient or "").strip():
        raise InputError("A delivery needs a recipient (an email).")
    stamp = pd.Timestamp(attempted_at)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    values = {
        "attempted_at": stamp.to_pydatetime(), "recipient": recipient, "subscription": subscription,
        "period_start": period_start, "period_end": period_end, "as_of": as_of, "status": status,
        "files": files, "problem": problem,
    }
    try:
        deliveries_table.create(engine, checkfirst=True)
        if audit is not None:
            audit_events_table.create(engine, checkfirst=True)
        with engine.begin() as connection:
            key = connection.execute(sa.insert(deliveries_table).values(**values)).inserted_primary_key
            if audit is not None:
                connection.execute(sa.insert(audit_events_table).values(**audit))
    except SQLAlchemyError as exc:
        raise _wrap("record the delivery", exc, engine) from None
    assert key is not None
    return int(key[0])


def load_deliveries(engine: Engine, *, recipient: str | None = None) -> pd.DataFrame:
    """Load the attempts to email packs, oldest first (:data:`DELIVERY_COLUMNS`).

    Parameters
    ----------
    engine : sqlalchemy.Engine
    recipient : str, optional
        Only this recipient's.

    Returns
    -------
    pandas.DataFrame
        One row per attempt; the dates as ``datetime.date``, ``attempted_at`` as
        ``datetime64[ns]`` (UTC). Empty when nothing was recorded (or the table does not
        exist yet: nothing is created here).
    """
    from ete_metrics.data.schema import deliveries_table

    table = deliveries_table
    try:
        recorded = sa.inspect(engine).has_table(table.name)
    except SQLAlchemyError as exc:
        raise _wrap("load the deliveries", exc, engine) from None
    rows: list[tuple[Any, ...]] = []
    if recorded:
        query = sa.select(*[table.c[c] for c in DELIVERY_COLUMNS]).order_by(table.c.id)
        if recipient is not None:
            query = query.where(table.c.recipient == recipient)
        try:
            with engine.connect() as connection:
                rows = [tuple(r) for r in connection.execute(query).all()]
        except SQLAlchemyError as exc:
            raise _wrap("load the deliveries", exc, engine) from None
    frame = pd.DataFrame(rows, columns=list(DELIVERY_COLUMNS), dtype=object)
    frame["attempted_at"] = pd.to_datetime(frame["attempted_at"]).astype("datetime64[ns]")
    frame["id"] = frame["id"].astype("int64")
    return frame


@contextmanager
def delivery_lock(engine: Engine) -> Iterator[bool]:
    """Hold the database's delivery lock while a ``deliver`` run plans, sends and records.

    Two runs at once (the timer's and one by hand) would each find a pack unsent and both
    send it; with the lock the second finds it taken and does nothing. PostgreSQL: a
    session advisory lock on a connection kept for the run (released when it ends, or when
    the process dies). SQLite: an exclusive ``flock`` on ``<database file>.deliver-lock``
    beside the database (an in-memory database, or a folder that cannot be written, takes
    no lock: then the run goes ahead, and its records say what it could not write).

    Parameters
    ----------
    engine : sqlalchemy.Engine

    Yields
    ------
    bool
        True when this run holds the lock; False when another run does.
    """
    if engine.dialect.name == "postgresql":
        try:
            connection = engine.connect()
        except SQLAlchemyError as exc:
            raise _wrap("take the delivery lock", exc, engine) from None
        try:
            taken = bool(
                connection.execute(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": _DELIVERY_LOCK_KEY}
                ).scalar()
            )
            connection.commit()
            try:
                yield taken
            finally:
                if taken:
                    connection.execute(
                        text("SELECT pg_advisory_unlock(:key)"), {"key": _DELIVERY_LOCK_KEY}
                    )
                    connection.commit()
        finally:
            connection.close()
        return
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        yield True
        return
    import fcntl

    try:
        handle = open(f"{database}.deliver-lock", "a+b")  # noqa: SIM115 - held for the run
    except OSError:
        yield True
        return
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            taken = True
        except BlockingIOError:
            taken = False
        try:
            yield taken
        finally:
            if taken:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    finally:
        handle.close()


# ---------------------------------------------------------------------------
# Alerts: each rule's last state, and the alerts that fired
# ---------------------------------------------------------------------------

#: Columns of :func:`load_alerts_fired`'s frame.
ALERTS_FIRED_COLUMNS: tuple[str, ...] = (
    "id", "fired_at", "rule", "scope", "as_of", "reading", "recipients", "trigger",
)


def _naive_utc(value: datetime) -> datetime:
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp.to_pydatetime()


def _alert_tables(engine: Engine) -> None:
    """Create the alert tables a database made before them lacks (like the audit trail's)."""
    from ete_metrics.data.schema import alert_states_table, alerts_fired_table

    alert_states_table.create(engine, checkfirst=True)
    alerts_fired_table.create(engine, checkfirst=True)


def alert_states(engine: Engine) -> dict[str, bool]:
    """Each alert's last stored state: its key (``AlertRule.key``) -> firing or not.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The ETE database.

    Returns
    -------
    dict of str to bool
        Empty when nothing is stored yet (or the table does not exist yet).
    """
    from ete_metrics.data.schema import alert_states_table as table

    try:
        if not sa.inspect(engine).has_table(table.name):
            return {}
        with engine.connect() as connection:
            rows = connection.execute(sa.select(table.c.alert_key, table.c.firing)).all()
    except SQLAlchemyError as exc:
        raise _wrap("read the alerts' states", exc, engine) from None
    return {str(key): bool(firing) for key, firing in rows}


def _put_alert_state(
    connection: Connection, *, key: str, rule: str, firing: bool, as_of: date | None, at: datetime
) -> bool:
    """Store the state ``firing`` unless it is stored already; True when this changed it."""
    from ete_metrics.data.schema import alert_states_table as table

    values = {"rule": rule, "firing": firing, "changed_at": _naive_utc(at), "as_of": as_of}
    changed = connection.execute(
        sa.update(table)
        .where(table.c.alert_key == key, table.c.firing == (not firing))
        .values(**values)
    ).rowcount
    if changed:
        return True
    stored = connection.execute(sa.select(table.c.firing).where(table.c.alert_key == key)).first()
    if stored is not None:
        return False  # already in that state
    connection.execute(sa.insert(table).values(alert_key=key, **values))
    return True


def _set_alert_state(
    engine: Engine, *, key: str, rule: str, firing: bool, as_of: date | None, at: datetime, action: str
) -> bool:
    try:
        _alert_tables(engine)
        with (
            engine.connect().execution_options(**{_WRITE_OPTION: True}) as connection,
            connection.begin(),
        ):
            return _put_alert_state(connection, key=key, rule=rule, firing=firing, as_of=as_of, at=at)
    except sa.exc.IntegrityError:
        return False  # another process stored the same key at the same moment: theirs stands
    except SQLAlchemyError as exc:
        raise _wrap(action, exc, engine) from None


def claim_alert(engine: Engine, *, key: str, rule: str, as_of: date | None, at: datetime) -> bool:
    """Mark an alert as firing unless it is already: True when this call changed it.

    The caller sends the alert's email only when it gets True, so two runs at once (an
    upload and ``deliver``) never both send it; when the send fails it calls
    :func:`release_alert`, so the next run tries again.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    key : str
        The rule's key (64 hex digits).
    rule : str
        The rule in words (kept for people reading the table).
    as_of : datetime.date or None
        The date the figures were as at.
    at : datetime.datetime
        When (UTC; the caller reads the clock).

    Returns
    -------
    bool
    """
    return _set_alert_state(
        engine, key=key, rule=rule, firing=True, as_of=as_of, at=at, action="store an alert's state"
    )


def release_alert(engine: Engine, *, key: str, rule: str, as_of: date | None, at: datetime) -> bool:
    """Mark an alert as not firing (it changed back, or its email could not be sent).

    Returns
    -------
    bool
        True when the stored state changed (or none was stored).
    """
    return _set_alert_state(
        engine, key=key, rule=rule, firing=False, as_of=as_of, at=at, action="store an alert's state"
    )


def record_alert_fired(
    engine: Engine,
    *,
    fired_at: datetime,
    key: str,
    rule: str,
    scope: str,
    as_of: date | None,
    reading: str,
    recipients: int,
    trigger: str,
    audit: Sequence[Mapping[str, Any]] = (),
) -> int:
    """Record an alert that fired (its email was sent), with its audit rows, in one transaction.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    fired_at : datetime.datetime
        When it was sent (UTC).
    key, rule, scope : str
        The rule's key, and the rule and its scope in words.
    as_of : datetime.date or None
        The date the figures were as at.
    reading : str
        What made it fire, in words (no identifier).
    recipients : int
        How many it was sent to.
    trigger : str
        What evaluated it: ``"import #12"``, ``"deliver"``...
    audit : sequence of mapping
        The audit rows (:func:`audit_values`, action ``alert``), one per recipient.

    Returns
    -------
    int
        The id of the ``alerts_fired`` row.
    """
    from ete_metrics.data.schema import alerts_fired_table, audit_events_table

    try:
        _alert_tables(engine)
        audit_events_table.create(engine, checkfirst=True)
        with engine.begin() as connection:
            row = connection.execute(
                sa.insert(alerts_fired_table).values(
                    fired_at=_naive_utc(fired_at), alert_key=key, rule=rule, scope=scope,
                    as_of=as_of, reading=reading, recipients=int(recipients), trigger=trigger,
                )
            ).inserted_primary_key
            for values in audit:
                connection.execute(sa.insert(audit_events_table).values(**values))
    except SQLAlchemyError as exc:
        raise _wrap("record the alert that fired", exc, engine) from None
    assert row is not None
    return int(row[0])


def load_alerts_fired(engine: Engine, *, limit: int | None = None) -> pd.DataFrame:
    """The alerts that fired, newest first.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    limit : int, optional
        At most this many (the newest).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`ALERTS_FIRED_COLUMNS`; ``fired_at`` (UTC, no time zone) and
        ``as_of`` are ``datetime64[ns]``, ``recipients`` int64. Empty when none fired (or
        the table does not exist yet).
    """
    from ete_metrics.data.schema import alerts_fired_table as table

    try:
        recorded = sa.inspect(engine).has_table(table.name)
        rows: Sequence[Any] = []
        if recorded:
            query = sa.select(*[table.c[c] for c in ALERTS_FIRED_COLUMNS]).order_by(
                table.c.fired_at.desc(), table.c.id.desc()
            )
            if limit is not None:
                query = query.limit(int(limit))
            with engine.connect() as connection:
                rows = connection.execute(query).all()
    except SQLAlchemyError as exc:
        raise _wrap("load the alerts that fired", exc, engine) from None
    frame = pd.DataFrame([tuple(r) for r in rows], columns=list(ALERTS_FIRED_COLUMNS), dtype=object)
    for column in ("fired_at", "as_of"):
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
    frame["id"] = frame["id"].astype("int64")
    frame["recipients"] = frame["recipients"].astype("int64")
    return frame
