"""The database schema: SQLAlchemy 2.x typed declarative models.

Six tables hold the programme's data and its audit trail:

- ``participants`` — one row per referral, keyed by the pseudonymous ``participant_id``.
- ``milestones`` — dated training and work milestones of a participant.
- ``targets`` — contract targets per region, month and measure.
- ``imports`` — one row per import: files, their SHA-256, row counts, extract date.
- ``import_warnings`` — the data-quality warnings stored with each import.
- ``audit_events`` — who signed in, imported or exported what, and when (UTC).

A database made before a column was added gets it from :func:`create_schema`
(:data:`ADDED_COLUMNS`: ``ALTER TABLE ... ADD COLUMN``, on SQLite and PostgreSQL).

Dates are SQL ``DATE`` columns; ``imports.imported_at`` is a timestamp supplied by
the caller (the library never reads the clock).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Connection,
    Date,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base of the ETE schema."""


class Participant(Base):
    """A referral to the programme (a *participant* once they have an ``entry_date``)."""

    __tablename__ = "participants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    participant_id: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    region: Mapped[str] = mapped_column(String(64), nullable=False)
    area: Mapped[str | None] = mapped_column(Text)
    referral_date: Mapped[date | None] = mapped_column(Date)
    entry_date: Mapped[date | None] = mapped_column(Date)
    pathway: Mapped[str | None] = mapped_column(String(16))
    prison: Mapped[str | None] = mapped_column(Text)
    delivery_partner: Mapped[str | None] = mapped_column(Text)
    gender: Mapped[str | None] = mapped_column(Text)
    age_band: Mapped[str | None] = mapped_column(Text)
    ethnicity: Mapped[str | None] = mapped_column(Text)
    disability: Mapped[str | None] = mapped_column(Text)
    exit_date: Mapped[date | None] = mapped_column(Date)
    exit_reason: Mapped[str | None] = mapped_column(Text)
    #: The caseworker's keyed pseudonym (never a name or an email); added after the
    #: first release, so :func:`create_schema` adds it to a database made before.
    caseworker: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_participants_region", "region"),
        Index("ix_participants_entry_date", "entry_date"),
    )


class Milestone(Base):
    """A dated milestone (``training_start``, ``training_completed``, ``job_start``, ``job_sustained``)."""

    __tablename__ = "milestones"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    participant_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("participants.participant_id"), nullable=False, index=True
    )
    milestone: Mapped[str] = mapped_column(String(32), nullable=False)
    date: Mapped[date] = mapped_column(Date, nullable=False)
    partner: Mapped[str | None] = mapped_column(Text)


class Target(Base):
    """A contract target for one region, month (``period_start``, first day) and measure."""

    __tablename__ = "targets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    region: Mapped[str] = mapped_column(String(64), nullable=False)
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    measure: Mapped[str] = mapped_column(String(16), nullable=False)
    target: Mapped[int] = mapped_column(Integer, nullable=False)

    __table_args__ = (UniqueConstraint("region", "period_start", "measure", name="uq_targets_key"),)


class ImportRecord(Base):
    """One import: which files, their checksums and row counts, and when."""

    __tablename__ = "imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    imported_at: Mapped[datetime | None] = mapped_column(DateTime)  # None: caller gave no time
    participants_file: Mapped[str | None] = mapped_column(Text)
    milestones_file: Mapped[str | None] = mapped_column(Text)
    targets_file: Mapped[str | None] = mapped_column(Text)
    participants_sha256: Mapped[str | None] = mapped_column(String(64))
    milestones_sha256: Mapped[str | None] = mapped_column(String(64))
    targets_sha256: Mapped[str | None] = mapped_column(String(64))
    participants_rows: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    milestones_rows: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    targets_rows: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    warnings_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    extract_date: Mapped[date | None] = mapped_column(Date)
    replace_all: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class ImportWarning(Base):
    """A data-quality warning stored with an import (the import went ahead)."""

    __tablename__ = "import_warnings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    import_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("imports.id"), nullable=False, index=True
    )
    file: Mapped[str] = mapped_column(Text, nullable=False)
    line: Mapped[int | None] = mapped_column(Integer)
    column: Mapped[str | None] = mapped_column(Text)
    check: Mapped[str] = mapped_column(String(64), nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    participant_id: Mapped[str | None] = mapped_column(String(64))


class AuditEvent(Base):
    """One audited action: a sign-in, an import or an export.

    ``occurred_at`` is UTC, stored without a time zone and supplied by the caller.
    ``filters`` is JSON text (the view's filters and scope); ``file_sha256`` the
    SHA-256 of the file imported or exported, where there is one.
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    actor: Mapped[str] = mapped_column(String(320), nullable=False)
    role: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    detail: Mapped[str | None] = mapped_column(Text)
    filters: Mapped[str | None] = mapped_column(Text)
    file_sha256: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("ix_audit_events_occurred_at", "occurred_at"),)


participants_table: Table = Base.metadata.tables["participants"]
milestones_table: Table = Base.metadata.tables["milestones"]
targets_table: Table = Base.metadata.tables["targets"]
imports_table: Table = Base.metadata.tables["imports"]
import_warnings_table: Table = Base.metadata.tables["import_warnings"]
audit_events_table: Table = Base.metadata.tables["audit_events"]


#: Columns added to a table after databases were made without them: (table, column).
#: :func:`create_schema` adds those a database lacks (empty for the rows already there).
ADDED_COLUMNS: tuple[tuple[str, str], ...] = (("participants", "caseworker"),)


def _add_column(connection: Connection, table: str, column: str) -> None:
    """``ALTER TABLE table ADD COLUMN column <type>``, the type as the model declares it."""
    declared = Base.metadata.tables[table].c[column].type.compile(dialect=connection.dialect)
    preparer = connection.dialect.identifier_preparer
    exists = " IF NOT EXISTS" if connection.dialect.name == "postgresql" else ""
    connection.exec_driver_sql(
        f"ALTER TABLE {preparer.quote(table)} ADD COLUMN{exists} "
        f"{preparer.quote(column)} {declared}"
    )


def migrate_schema(engine: Engine) -> list[str]:
    """Add the :data:`ADDED_COLUMNS` a database made before them lacks; return those added.

    Idempotent: a column already there is left alone. Two processes migrating at
    once are safe: PostgreSQL adds ``IF NOT EXISTS``; on SQLite the loser's
    "duplicate column" is taken as done.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        A database whose tables exist (:func:`create_schema` calls this after creating them).

    Returns
    -------
    list of str
        ``"table.column"`` for each column added.
    """
    added: list[str] = []
    inspector = sa_inspect(engine)
    for table, column in ADDED_COLUMNS:
        present = {c["name"] for c in inspector.get_columns(table)}
        if column in present:
            continue
        try:
            with engine.begin() as connection:
                _add_column(connection, table, column)
        except (OperationalError, ProgrammingError) as exc:
            if "duplicate column" not in str(exc).lower():
                raise
            continue  # another process added it first
        added.append(f"{table}.{column}")
    return added


def create_schema(engine: Engine) -> None:
    """Create the ETE tables and indexes that do not exist yet.

    Idempotent: existing tables (and their rows) are left untouched
    (``checkfirst``), so running it again never loses data. A database made
    before a column was added gets it (:func:`migrate_schema`).

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The database to create the schema in.
    """
    Base.metadata.create_all(engine, checkfirst=True)
    migrate_schema(engine)
