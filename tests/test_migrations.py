"""Upgrading an empty database reaches the models exactly, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

import casemgr.models  # noqa: F401 - every table on the metadata
from casemgr.extensions import db
from tests.conftest import make_app, postgres_url


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[dict[str, Any]]:
    url = postgres_url()
    if not url:
        yield {"DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}"}
        return
    schema = f"casemgr_migrate_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    yield {"DATABASE_URL": url, "SQLALCHEMY_ENGINE_OPTIONS": {
        "connect_args": {"options": f"-c search_path={schema}"}}}
    with engine.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


def differences() -> list[Any]:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_upgrade_from_empty_matches_the_models(empty_database, tmp_path: Path) -> None:
    app = make_app(empty_database, tmp_path)
    with app.app_context():
        upgrade()
        assert differences() == []
        db.engine.dispose()


def test_downgrade_to_base_and_up_again(empty_database, tmp_path: Path) -> None:
    app = make_app(empty_database, tmp_path)
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        tables = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        upgrade()
        assert differences() == []
        db.engine.dispose()
