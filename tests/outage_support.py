"""Databases that stop answering, for the tests of what the app and the command line say then.

- :class:`Relay`: a TCP relay in front of the PostgreSQL test server. :meth:`Relay.cut` closes
  it and every connection through it: to whoever connects through it the server went away
  (the open connections break and the port refuses new ones), as when the server stops or the
  network between them fails.
- :func:`terminate`: ``pg_terminate_backend`` on every connection an application opened (found
  by its ``application_name``), as an administrator or a restart drops them; the server stays up.
- :func:`reader_role` and :func:`lock_out`: a role that may read a schema, then refused at
  log-in with its connections dropped: the connections are gone and new ones are refused.
- :func:`snapshot`: every table's columns and rows, to show that nothing was changed.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

__all__ = ["Relay", "lock_out", "reader_role", "snapshot", "terminate", "with_application_name"]


def _pump(source: socket.socket, target: socket.socket) -> None:
    """Copy bytes one way until either side closes."""
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            target.sendall(data)
    with contextlib.suppress(OSError):
        target.shutdown(socket.SHUT_WR)


class Relay:
    """A TCP relay on a free local port to the PostgreSQL server of ``url``; a context manager
    that cuts it on leaving."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        self._url = parsed
        self._upstream = (parsed.host or "127.0.0.1", parsed.port or 5432)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        self._cut = False
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    @property
    def url(self) -> str:
        """The server's URL (with its options) through the relay."""
        return self._url.set(host="127.0.0.1", port=self.port).render_as_string(hide_password=False)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:  # cut: the listener is shut
                return
            try:
                server = socket.create_connection(self._upstream)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._cut:
                    client.close()
                    server.close()
                    return
                self._open += [client, server]
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=_pump, args=(source, target), daemon=True).start()

    def cut(self) -> None:
        """Close the relay and every connection through it; afterwards its port refuses."""
        with self._lock:
            if self._cut:
                return
            self._cut = True
            sockets = [self._listener, *self._open]
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self._accepting.join()

    def __enter__(self) -> Relay:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cut()


def _admin(url: str) -> sa.Engine:
    """The test server's superuser, without the schema's options."""
    return sa.create_engine(make_url(url).set(query={}))


def _schema(url: str) -> str:
    options = str(make_url(url).query["options"])
    return options.split("search_path=", 1)[1]


def with_application_name(url: str) -> tuple[str, str]:
    """``url`` with an ``application_name`` of its own, so its connections can be found; and the name."""
    name = f"ete_app_{uuid.uuid4().hex[:10]}"
    return make_url(url).update_query_dict({"application_name": name}).render_as_string(
        hide_password=False
    ), name


def terminate(admin_url: str, application_name: str) -> int:
    """Terminate every connection named ``application_name``, waiting until each has gone; how many."""
    admin = _admin(admin_url)
    try:
        with admin.begin() as connection:
            return int(connection.execute(
                sa.text(
                    "SELECT count(*) FROM (SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
                    "WHERE application_name = :name) AS ended"
                ),
                {"name": application_name},
            ).scalar_one())
    finally:
        admin.dispose()


@contextlib.contextmanager
def reader_role(url: str) -> Iterator[tuple[str, str]]:
    """A role that may read every table of ``url``'s schema: (its URL, its name); dropped afterwards."""
    schema = _schema(url)
    role = f"ete_reader_{uuid.uuid4().hex[:10]}"
    admin = _admin(url)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE ROLE "{role}" LOGIN'))
        connection.execute(sa.text(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"'))
        connection.execute(sa.text(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"'))
    try:
        yield make_url(url).set(username=role).render_as_string(hide_password=False), role
    finally:
        with admin.begin() as connection:
            connection.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE usename = :role"
                ),
                {"role": role},
            )
            connection.execute(sa.text(f'DROP OWNED BY "{role}"'))
            connection.execute(sa.text(f'DROP ROLE "{role}"'))
        admin.dispose()


def lock_out(admin_url: str, role: str) -> None:
    """Refuse ``role`` at log-in and terminate its connections (waiting until they have gone)."""
    admin = _admin(admin_url)
    try:
        with admin.begin() as connection:
            connection.execute(sa.text(f'ALTER ROLE "{role}" NOLOGIN'))
            connection.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE usename = :role"
                ),
                {"role": role},
            )
    finally:
        admin.dispose()


def snapshot(url: str) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """Every table's columns and rows (ordered by every column), read with a plain engine."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            inspector = sa.inspect(connection)
            out: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {}
            for table in sorted(inspector.get_table_names()):
                columns = [column["name"] for column in inspector.get_columns(table)]
                order = ", ".join(str(i + 1) for i in range(len(columns)))
                rows = connection.execute(sa.text(f'SELECT * FROM "{table}" ORDER BY {order}')).all()
                out[table] = (columns, [tuple(row) for row in rows])
            return out
    finally:
        engine.dispose()
