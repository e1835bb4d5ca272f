"""Enum CHECK constraints on SQLite are chains of equalities (migration 0013): the same
values pass and fail as with the IN lists they replace, on new and migrated databases."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from casemgr.database import sqlite_checks_as_equalities
from casemgr.extensions import db
from tests.conftest import make_app


def schema(connection: sa.Connection) -> dict[str, str]:
    tables = dict(connection.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL").all())
    connection.rollback()  # end the read: the caller may begin its own transaction
    return tables


def organisation_kind_is_checked(connection: sa.Connection) -> bool:
    """An organisation of a kind outside its enum is refused by the CHECK, and one of a
    listed kind accepted (neither is kept)."""
    insert = sa.text("INSERT INTO organisations (name, kind, active, created_at, updated_at,"
                     " version) VALUES (:name, :kind, true, '2026-01-01', '2026-01-01', 1)")
    with connection.begin():
        try:
            with connection.begin_nested():
                connection.execute(insert, {"name": "Bad", "kind": "army"})
        except sa.exc.IntegrityError as error:
            refused = "ck_organisations_kind" in str(error)
        else:
            refused = False
        connection.execute(insert, {"name": "Good", "kind": "ngo"})
        connection.rollback()
    return refused


@pytest.mark.parametrize("value", [None, "red", "green", "blue", "", "RED"])
def test_equalities_accept_and_refuse_what_the_in_list_did(value: str | None) -> None:
    rewritten = sqlite_checks_as_equalities("CHECK (colour IN ('red', 'green'))")
    assert rewritten == "CHECK (colour = 'red' OR colour = 'green')"
    outcomes = []
    for check in ("CHECK (colour IN ('red', 'green'))", rewritten):
        connection = sqlite3.connect(":memory:")
        connection.execute(f"CREATE TABLE paint (colour TEXT, {check})")
        try:
            connection.execute("INSERT INTO paint VALUES (?)", (value,))
            outcomes.append("accepted")
        except sqlite3.IntegrityError:
            outcomes.append("refused")
    assert outcomes[0] == outcomes[1] == (
        "refused" if value in ("blue", "", "RED") else "accepted")


def test_other_checks_are_left_as_they_are() -> None:
    for ddl in ("CHECK (year > 2000)", "CHECK (kind IN ('a') AND year > 2000)",
                "CHECK (kind NOT IN ('a', 'b'))"):
        assert sqlite_checks_as_equalities(ddl) == ddl


def test_a_migrated_database_has_no_in_list_checks_and_still_refuses_bad_values(
        fresh_database, tmp_path: Path) -> None:
    app = make_app(fresh_database, tmp_path / "instance")
    with app.app_context():
        upgrade()
    with app.app_context(), db.engine.connect() as connection:
        assert organisation_kind_is_checked(connection)
        if connection.dialect.name == "sqlite":
            checks = {name: sql for name, sql in schema(connection).items()
                      if "CHECK (" in sql}
            assert {"organisations", "users", "applicants", "cases", "case_events",
                    "statistics_facts"} <= set(checks)
            assert not any(" IN (" in sql for sql in checks.values())
            assert "CHECK (kind = 'application' OR kind = 'referral_decision'" in checks[
                "statistics_facts"]
    with app.app_context():
        db.engine.dispose()


def test_migration_0013_rewrites_in_lists_in_place_and_its_downgrade_restores_them(
        fresh_database, tmp_path: Path) -> None:
    app = make_app(fresh_database, tmp_path / "instance")
    with app.app_context():
        upgrade(revision="0013")  # the schema this migration leaves, before later ones
        if db.engine.dialect.name != "sqlite":
            db.engine.dispose()
            return  # PostgreSQL keeps its IN lists: 0013 changes nothing there
        with db.engine.connect() as connection:
            fresh = schema(connection)
            with connection.begin():
                connection.exec_driver_sql(
                    "INSERT INTO organisations (name, kind, active, created_at, updated_at,"
                    " version) VALUES ('Kept agency', 'agency', 1, '2026-01-01', '2026-01-01',"
                    " 1)")
        downgrade(revision="0012")
        with db.engine.connect() as connection:
            old = schema(connection)
            assert any("CHECK (kind IN ('application', 'referral_decision'" in sql
                       for sql in old.values())
            assert {name: sqlite_checks_as_equalities(sql) for name, sql in old.items()
                    } == fresh
            assert organisation_kind_is_checked(connection)
        upgrade(revision="0013")
        with db.engine.connect() as connection:
            assert schema(connection) == fresh
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            assert connection.exec_driver_sql(
                "SELECT name FROM organisations").scalars().all() == ["Kept agency"]
        db.engine.dispose()
