"""The database schema: SQLAlchemy 2.x Core tables.

Nine tables hold the programme's data, its audit trail, the packs emailed and the alerts' state:

- ``participants`` — one row per referral, keyed by the pseudonymous ``participant_id``.
- ``milestones`` — dated training and work milestones of a participant.
- ``targets`` — contract targets per region, month and measure.
- ``imports`` — one row per import: files, their SHA-256, row counts, extract date, and
  ``origin`` (``"demo"`` for the synthetic demo programme, empty for an import).
- ``import_warnings`` — the data-quality warnings stored with each import.
- ``audit_events`` — who signed in, imported or exported what, and when (UTC).
- ``deliveries`` — each attempt to email a period's pack to a subscriber, sent or failed.
- ``alert_states`` — each alert rule's last state (firing or not), so it fires once per change.
- ``alerts_fired`` — every alert that fired: when, the rule and scope in words, how many got it.

A database made before a column was added gets it from :func:`create_schema`
(:data:`ADDED_COLUMNS`: ``ALTER TABLE ... ADD COLUMN``, on SQLite and PostgreSQL).

Dates are SQL ``DATE`` columns; ``imports.imported_at`` is a timestamp supplied by
the caller (the library never reads the clock).

The tables are Core :class:`~sqlalchemy.Table` objects, not ORM classes: nothing
maps rows to objects (loads build DataFrames, writes send plain tuples), and the
ORM's import would be a tenth of a second of every command's start.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import OperationalError, ProgrammingError

#: The ETE tables.
metadata = MetaData()


def _id() -> Column[int]:
    return Column("id", Integer, primary_key=True, autoincrement=True)


#: A referral to the programme (a *participant* once they have an ``entry_date``).
participants_table = Table(
    "participants",
    metadata,
    _id(),
    Column("participant_id", String(64), unique=True, nullable=False),
    Column("region", String(64), nullable=False),
    Column("area", Text),
    Column("referral_date", Date),
    Column("entry_date", Date),
    Column("pathway", String(16)),
    Column("prison", Text),
    Column("delivery_partner", Text),
    Column("gender", Text),
    Column("age_band", Text),
    Column("ethnicity", Text),
    Column("disability", Text),
    Column("exit_date", Date),
    Column("exit_reason", Text),
    # The caseworker's keyed pseudonym (never a name or an email); added after the first
    # release, so create_schema adds it to a database made before (ADDED_COLUMNS).
    Column("caseworker", Text),
    Index("ix_participants_region", "region"),
    Index("ix_participants_entry_date", "entry_date"),
)

#: A dated milestone (``training_start``, ``training_completed``, ``job_start``, ``job_sustained``).
milestones_table = Table(
    "milestones",
    metadata,
    _id(),
    Column(
        "participant_id", String(64), ForeignKey("participants.participant_id"),
        nullable=False, index=True,
    ),
    Column("milestone", String(32), nullable=False),
    Column("date", Date, nullable=False),
    Column("partner", Text),
)

#: A contract target for one region, month (``period_start``, first day) and measure.
targets_table = Table(
    "targets",
    metadata,
    _id(),
    Column("region", String(64), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("measure", String(16), nullable=False),
    Column("target", Integer, nullable=False),
    UniqueConstraint("region", "period_start", "measure", name="uq_targets_key"),
)

#: One import: which files, their checksums and row counts, and when.
imports_table = Table(
    "imports",
    metadata,
    _id(),
    Column("imported_at", DateTime),  # None: the caller gave no time
    Column("participants_file", Text),
    Column("milestones_file", Text),
    Column("targets_file", Text),
    Column("participants_sha256", String(64)),
    Column("milestones_sha256", String(64)),
    Column("targets_sha256", String(64)),
    Column("participants_rows", Integer, nullable=False, default=0),
    Column("milestones_rows", Integer, nullable=False, default=0),
    Column("targets_rows", Integer, nullable=False, default=0),
    Column("warnings_count", Integer, nullable=False, default=0),
    Column("extract_date", Date),
    Column("replace_all", Boolean, nullable=False, default=False),
    # What wrote the data: "demo" (ete_metrics.data.db.DEMO_ORIGIN) for the synthetic demo
    # programme; empty for an import. Anything but "demo" counts as real data, which the
    # demo never replaces unasked. Added after the first release (ADDED_COLUMNS).
    Column("origin", String(16)),
)

#: A data-quality warning stored with an import (the import went ahead).
import_warnings_table = Table(
    "import_warnings",
    metadata,
    _id(),
    Column("import_id", Integer, ForeignKey("imports.id"), nullable=False, index=True),
    Column("file", Text, nullable=False),
    Column("line", Integer),
    Column("column", Text),
    Column("check", String(64), nullable=False),
    Column("message", Text, nullable=False),
    Column("participant_id", String(64)),
)

#: One audited action: a sign-in, an import or an export. ``occurred_at`` is UTC,
#: stored without a time zone and supplied by the caller; ``filters`` is JSON text
#: (the view's filters and scope); ``file_sha256`` the SHA-256 of the file imported
#: or exported, where there is one.
audit_events_table = Table(
    "audit_events",
    metadata,
    _id(),
    Column("occurred_at", DateTime, nullable=False),
    Column("actor", String(320), nullable=False),
    Column("role", String(32)),
    Column("action", String(32), nullable=False),
    Column("detail", Text),
    Column("filters", Text),
    Column("file_sha256", String(64)),
    Index("ix_audit_events_occurred_at", "occurred_at"),
)

#: One attempt to email a period's pack to a subscriber (``python -m ete_metrics deliver``):
#: ``status`` is ``"sent"`` or ``"failed"`` (with the ``problem``, one line). The pack of a
#: period is sent once per recipient and subscription (``subscription``: the
#: ``delivery.subscriptions.Subscription.key``, e.g. ``"month|pdf,xlsx|Wales"``); a failed
#: attempt is tried again at the next run. ``attempted_at`` is UTC, supplied by the caller.
deliveries_table = Table(
    "deliveries",
    metadata,
    _id(),
    Column("attempted_at", DateTime, nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("subscription", String(400), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("as_of", Date, nullable=False),
    Column("status", String(16), nullable=False),
    Column("files", Text),
    Column("problem", Text),
    Index("ix_deliveries_key", "recipient", "subscription", "period_start"),
)


#: The last state of each alert rule of the subscriptions file (``[[alert]]``), keyed by the
#: SHA-256 of the rule's canonical text (:attr:`ete_metrics.delivery.alerts.AlertRule.key`):
#: an alert fires when its state changes into firing, never again until it has changed back.
alert_states_table = Table(
    "alert_states",
    metadata,
    _id(),
    Column("alert_key", String(64), nullable=False, unique=True),
    Column("rule", Text, nullable=False),
    Column("firing", Boolean, nullable=False),
    Column("changed_at", DateTime, nullable=False),  # UTC, supplied by the caller
    Column("as_of", Date),  # the date the figures were as at when it changed
)

#: One alert fired (its email sent): when (UTC), the rule and scope in words, the date the
#: figures were as at, the reading that made it fire and how many recipients it was sent to.
alerts_fired_table = Table(
    "alerts_fired",
    metadata,
    _id(),
    Column("fired_at", DateTime, nullable=False),
    Column("alert_key", String(64), nullable=False, index=True),
    Column("rule", Text, nullable=False),
    Column("scope", Text, nullable=False),
    Column("as_of", Date),
    Column("reading", Text),
    Column("recipients", Integer, nullable=False),
    Column("trigger", Text),
)


#: Columns added to a table after databases were made without them: (table, column).
#: :func:`create_schema` adds those a database lacks (empty for the rows already there).
ADDED_COLUMNS: tuple[tuple[str, str], ...] = (("participants", "caseworker"), ("imports", "origin"))


def _add_column(connection: Connection, table: str, column: str) -> None:
    """``ALTER TABLE table ADD COLUMN column <type>``, the type as the model declares it."""
    declared = metadata.tables[table].c[column].type.compile(dialect=connection.dialect)
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
    metadata.create_all(engine, checkfirst=True)
    migrate_schema(engine)
