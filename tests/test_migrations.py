"""Upgrading an empty database reaches the models exactly, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

import casemgr.models  # noqa: F401 - every table on the metadata
from casemgr.applicants.search import include_name
from casemgr.extensions import db
from tests.conftest import make_app


def differences() -> list[Any]:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True, "include_name": include_name})  # as migrations/env.py
        return compare_metadata(context, db.metadata)


def test_upgrade_from_empty_matches_the_models(fresh_database, tmp_path: Path) -> None:
    app = make_app(fresh_database, tmp_path)
    with app.app_context():
        upgrade()
        assert differences() == []
        db.engine.dispose()


def test_downgrade_to_base_and_up_again(fresh_database, tmp_path: Path) -> None:
    app = make_app(fresh_database, tmp_path)
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        tables = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        upgrade()
        assert differences() == []
        db.engine.dispose()
