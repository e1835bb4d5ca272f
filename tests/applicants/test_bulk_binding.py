"""The bulk writer's own SQLite value conversion must store exactly what SQLAlchemy's
type processors store, or rows written by an import would read back differently from rows
written by a form."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

import casemgr.models  # noqa: F401 - every table registered
from casemgr.database import Base, sqlite_bind_processors

DIALECT = sqlite.dialect()
SAMPLES = {
    "date": [date(2026, 11, 28), date(1, 1, 1), date(999, 12, 31)],
    "datetime": [datetime(2026, 11, 28, 6, 41, tzinfo=UTC),
                 datetime(2026, 11, 28, 6, 41, 5, 123, tzinfo=timezone(timedelta(hours=9)))],
}


def _columns_with_fast_processors() -> list[sa.Column]:
    return [column for table in Base.metadata.sorted_tables for column in table.columns
            if isinstance(column.type, sa.Enum | sa.Date | sa.DateTime)]


@pytest.mark.parametrize("column", _columns_with_fast_processors(), ids=str)
def test_fast_processor_stores_what_sqlalchemy_stores(column: sa.Column) -> None:
    fast = sqlite_bind_processors(column.table, DIALECT)[column.key]
    impl = column.type.dialect_impl(DIALECT)
    slow = impl.bind_processor(DIALECT)

    def reference(value):
        if hasattr(column.type, "process_bind_param"):  # a TypeDecorator such as UTCDateTime
            value = column.type.process_bind_param(value, DIALECT)
        return value if slow is None else slow(value)

    if isinstance(column.type, sa.Enum):
        values = [*column.type.enum_class, *(member.value for member in column.type.enum_class)]
    elif isinstance(column.type, sa.DateTime):
        values = SAMPLES["datetime"]
    else:
        values = SAMPLES["date"]
    assert values
    for value in values:
        assert fast(value) == reference(value), value


def test_fast_datetime_processor_refuses_naive_values_like_utc_datetime() -> None:
    from casemgr.audit.models import AuditEvent

    column = AuditEvent.__table__.c.occurred_at
    fast = sqlite_bind_processors(column.table, DIALECT)[column.key]
    naive = datetime(2026, 11, 28, 6, 41)
    with pytest.raises(ValueError, match="naive"):
        column.type.process_bind_param(naive, DIALECT)
    with pytest.raises(ValueError, match="naive"):
        fast(naive)


def test_rows_written_together_share_their_python_defaults(app) -> None:
    """Columns left to a Python default (creation times, version) are filled once per
    bulk insert on SQLite: rows written together were created together."""
    from casemgr.auth.models import Organisation
    from casemgr.database import insert_rows
    from casemgr.extensions import db

    table = Organisation.__table__
    with app.app_context():
        insert_rows(db.session.connection(), table, [
            {"name": f"Bulk {n}", "kind": "ngo", "active": True} for n in range(3)])
        rows = db.session.execute(
            sa.select(table.c.created_at, table.c.updated_at, table.c.version)
            .where(table.c.name.like("Bulk %"))).all()
        dialect = db.session.get_bind().dialect.name
        db.session.rollback()
    assert len(rows) == 3
    assert all(row.version == 1 and row.created_at.tzinfo is not None for row in rows)
    if dialect == "sqlite":  # PostgreSQL's executemany goes through SQLAlchemy, per row
        assert len({(row.created_at, row.updated_at) for row in rows}) == 1
