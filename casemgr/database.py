"""The declarative base, shared column types and engine settings for both databases."""

from __future__ import annotations

import enum
import json
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from flask import Flask, request
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, registry

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (the only kind stored)."""
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every database.

    SQLite keeps no offset, so values are stored as naive UTC and given their zone back
    on the way out; PostgreSQL stores timestamptz. Naive input is refused, not guessed.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use casemgr.database.utcnow()")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def insert_rows(connection: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]
                ) -> None:
    """Insert rows of one shape (every row the same keys) in the connection's transaction:
    the bulk writer's, the audit chain's and the name index's fast path. PostgreSQL gets
    SQLAlchemy's executemany; SQLite `_sqlite_executemany` for several rows. A single row
    (a page view's audit event) goes through SQLAlchemy on both, as every other statement
    does, so that its events see it."""
    if not rows:
        return
    if connection.dialect.name == "sqlite" and len(rows) > 1:
        _sqlite_executemany(connection, table, rows)
    else:
        connection.execute(table.insert(), rows)


def _sqlite_executemany(connection: sa.Connection, table: sa.Table,
                        rows: list[dict[str, Any]]) -> None:
    """What `session.execute(table.insert(), rows)` does on SQLite, without SQLAlchemy's
    per-row parameter handling (which cost more than SQLite's own work): the columns of
    the first row plus those with a Python-side default, each non-null value through
    `sqlite_bind_processors`, one prepared INSERT run per row by the driver. A column
    left to its Python default gets one value for the whole call (one creation time for
    rows written together)."""
    dialect = connection.dialect
    given = list(rows[0])
    defaults = [column for column in table.columns
                if column.key not in rows[0] and column.default is not None
                and not column.primary_key]
    processors = sqlite_bind_processors(table, dialect)
    filled = []
    for column in defaults:
        value, process = _default_value(column), processors[column.key]
        filled.append(value if value is None or process is None else process(value))
    converted = [(index, processors[key]) for index, key in enumerate(given)
                 if processors[key] is not None]
    values = []
    for row in rows:
        raw = [row[key] for key in given]
        for index, process in converted:
            if raw[index] is not None:
                raw[index] = process(raw[index])
        raw += filled
        values.append(raw)
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(table.c[key].name) for key in given)
    names = ", ".join(filter(None, (names, ", ".join(quote(c.name) for c in defaults))))
    marks = ", ".join("?" * (len(given) + len(defaults)))
    driver: Any = connection.connection.driver_connection
    driver.executemany(f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})",  # noqa: S608 - names from the table's metadata, values bound # nosec B608
                       values)


# Below this many rows a bulk write keeps the indexes as they are: rebuilding them saves
# little there, and dropping one makes every other connection prepare its statements again.
BULK_INDEX_THRESHOLD = 10_000


@contextmanager
def indexes_built_after(connection: sa.Connection, tables: Iterable[sa.Table], rows: int
                        ) -> Iterator[None]:
    """On SQLite, for a write of `rows` rows (BULK_INDEX_THRESHOLD or more): each of
    `tables` that holds fewer rows than that loses its plain (non-unique) indexes for the
    duration and gets them back, created from their own stored SQL, on leaving, however
    it leaves. SQLite builds an index over rows already written faster than it updates it
    row by row (a sixth of an import's time into a small register, bench/README.md). All
    of it happens inside the connection's transaction, and DDL is transactional in
    SQLite: a rollback, or a process killed on the way, leaves the indexes as they were.
    Unique indexes stay, so constraints are checked as the rows go in. PostgreSQL keeps
    its indexes: dropping one there locks the table against readers until commit."""
    if connection.dialect.name != "sqlite" or rows < BULK_INDEX_THRESHOLD:
        yield
        return
    driver: Any = connection.connection.driver_connection
    quote = connection.dialect.identifier_preparer.quote
    if not driver.in_transaction:  # pysqlite opens one only before DML, never before DDL
        driver.execute("BEGIN")
    dropped: list[tuple[str, str]] = []
    for table in tables:
        held = driver.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {quote(table.name)} LIMIT ?)",  # noqa: S608 - a table name from the metadata # nosec B608
            (rows,)).fetchone()[0]
        if held < rows:
            dropped += driver.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?"
                " AND sql LIKE 'CREATE INDEX %'", (table.name,)).fetchall()
    for name, _sql in dropped:
        driver.execute(f"DROP INDEX {quote(name)}")
    try:
        yield
    finally:
        if driver.in_transaction:  # else a rollback has restored them already
            for _name, sql in dropped:
                driver.execute(sql)


def _utc_text(value: datetime) -> str:
    if value.tzinfo is None:  # refused, as UTCDateTime refuses it: never guess a zone
        raise ValueError("naive datetime given; use casemgr.database.utcnow()")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


@cache
def sqlite_bind_processors(table: sa.Table, dialect: sa.Dialect
                           ) -> dict[str, Callable[[Any], Any] | None]:
    """Per column, what turns a non-null Python value into what SQLite stores — the
    same text SQLAlchemy's own processors write (tests compare them), by the shortest
    route for the types a bulk insert is made of: dates, UTC datetimes and string enums
    (their CHECK constraints still guard the values). Other types keep SQLAlchemy's."""
    processors: dict[str, Callable[[Any], Any] | None] = {}
    for column in table.columns:
        kind = column.type
        if isinstance(kind, UTCDateTime):
            processors[column.key] = _utc_text
        elif isinstance(kind, sa.Enum):
            processors[column.key] = str
        elif isinstance(kind, sa.Date) and not isinstance(kind, sa.DateTime):
            processors[column.key] = date.isoformat
        else:
            processors[column.key] = kind.dialect_impl(dialect).bind_processor(dialect)
    return processors


def _default_value(column: sa.Column[Any]) -> Any:
    default: Any = column.default
    if default.is_scalar:
        return default.arg
    if default.is_callable:
        return default.arg(None)
    raise NotImplementedError(f"bulk insert without a value for {column}")


def str_enum(enum_class: type[enum.StrEnum], name: str) -> sa.Enum:
    """Store a StrEnum by value as a string with a CHECK constraint (portable, no native type)."""
    return sa.Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        length=max(len(member.value) for member in enum_class),
        values_callable=lambda members: [member.value for member in members],
    )


_IN_LIST_CHECK = re.compile(r"CHECK \((\w+) IN \(('[^']*'(?:, '[^']*')*)\)\)")


def sqlite_checks_as_equalities(ddl: str) -> str:
    """`CHECK (x IN ('a', 'b'))` in DDL rewritten as `CHECK (x = 'a' OR x = 'b')`.

    SQLite builds the lookup table of an `IN` list again every time a statement runs, so
    each row an executemany inserts paid for every enum CHECK of its table (a case event
    12.8 µs instead of 5.5). The equalities accept and refuse exactly the same values,
    NULL included (NULL passes both)."""
    return _IN_LIST_CHECK.sub(
        lambda match: "CHECK (" + " OR ".join(
            f"{match[1]} = {value}" for value in re.findall("'[^']*'", match[2])) + ")", ddl)


@compiles(sa.CheckConstraint, "sqlite")
def _sqlite_check(constraint: sa.CheckConstraint, compiler: Any, **kw: Any) -> str:
    """Every CHECK created on SQLite — by the models or a migration — in the cheap form;
    migration 0013 rewrote the ones created before."""
    return sqlite_checks_as_equalities(compiler.visit_check_constraint(constraint, **kw))


class Base(DeclarativeBase):
    # One registry carries both, because Flask-SQLAlchemy subclasses this base again.
    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class VersionedMixin:
    """Optimistic locking: every UPDATE checks and bumps `version`.

    Forms and the API carry the version they were built from; services compare it
    (StaleRecord) and the mapper's version check catches a race between two workers.
    """

    version: Mapped[int] = mapped_column(default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805 - declared_attr receives the class
        return {"version_id_col": cls.version}


@sa.event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """Foreign keys on, WAL for concurrent readers, and a busy timeout instead of errors."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def init_request_context(app: Flask) -> None:
    """Tell services where a request came from without them reading `request`.

    The audit service reads `session.info["client"]`; the CLI leaves it empty.
    """
    from casemgr.extensions import db

    @app.before_request
    def _remember_client() -> None:
        db.session.info["client"] = {
            "ip_address": request.remote_addr,
            "user_agent": (request.user_agent.string or "")[:200],
        }


def dialect_insert(session: Any) -> Any:
    """The INSERT construct with ON CONFLICT support for the session's database."""
    from sqlalchemy.dialects import postgresql, sqlite

    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def id_among(session: Any, column: sa.ColumnElement[int], ids: list[int]
             ) -> sa.ColumnElement[bool]:
    """`column IN ids` with the list bound as one value (a JSON text on SQLite, an array
    on PostgreSQL), so every length shares one SQL string: statement caches and
    PostgreSQL's prepared plans serve them all, where an expanding IN is a new statement
    for each length."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        listed_ids = sa.bindparam("ids", ids, type_=ARRAY(sa.Integer), unique=True)
        return column == sa.any_(listed_ids)
    listed = sa.func.json_each(sa.bindparam("ids", json.dumps(ids), unique=True))
    return column.in_(sa.select(listed.table_valued("value").c.value))


def refresh_statistics(session: Any) -> None:
    """Let the query planner see the new data distribution after a bulk load.

    Without it SQLite plans queries over a million rows as if the tables were empty.
    """
    session.execute(sa.text("ANALYZE"))
