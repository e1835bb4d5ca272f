"""The applicant list's filters read one range of an index (migration 0014)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from casemgr.auth.models import OrganisationKind, Role
from casemgr.extensions import db
from tests.conftest import make_app
from tests.factories import Factories

INDEX = "ix_applicants_list_nationality_status"


def page_statements(app, client, path: str) -> list[tuple[str, Any]]:
    """The SELECTs from `applicants` that one list page runs."""
    statements: list[tuple[str, Any]] = []

    def capture(_conn, _cursor, statement, parameters, *_args) -> None:
        if statement.lstrip().startswith("SELECT") and "FROM applicants" in statement:
            statements.append((statement, parameters))

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", capture)
    try:
        assert client.get(path).status_code == 200
    finally:
        with app.app_context():
            sa.event.remove(db.engine, "before_cursor_execute", capture)
    return statements


def test_a_nationality_and_a_status_are_one_range_of_their_index(
        app, login_as, factories) -> None:
    agency = factories.organisation(OrganisationKind.AGENCY)
    for nationality in ("RUS", "RUS", "KAZ"):
        factories.applicant(agency=agency, nationality=nationality)
    client = login_as(Role.CASEWORKER, organisation=agency)
    app.config["PAGE_SIZE"] = 1  # a full page: the list counts its matches too
    statements = page_statements(app, client,
                                 "/applicants?nationality=RUS&status=first_instance")
    assert len(statements) == 2  # the page and its capped count
    with app.app_context(), db.engine.connect() as connection:
        for statement, parameters in statements:
            if connection.dialect.name == "sqlite":
                plan = " / ".join(str(step[3]) for step in connection.exec_driver_sql(
                    f"EXPLAIN QUERY PLAN {statement}", parameters))
                assert f"{INDEX} (nationality=? AND current_status=?)" in plan, plan
                assert "TEMP B-TREE" not in plan, plan
            else:
                # A few rows would be read sequentially: ask what else the planner has.
                connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
                plan = " / ".join(step[0].strip() for step in connection.exec_driver_sql(
                    f"EXPLAIN {statement}", parameters))
                outer = plan.split(" / SubPlan")[0]  # the rows' own details come after
                assert INDEX in outer, plan
                assert "Sort" not in outer, plan


def index_statistics(connection: sa.Connection) -> list[str]:
    return list(connection.execute(sa.text(
        "SELECT stat FROM sqlite_stat1 WHERE idx = :index"), {"index": INDEX}).scalars())


def test_migration_0014_gives_its_index_statistics_at_once(fresh_database,
                                                          tmp_path: Path) -> None:
    """Without them SQLite would take the new index for a nationality alone and sort."""
    if fresh_database["DATABASE_URL"].startswith("postgresql"):
        pytest.skip("PostgreSQL keeps statistics per column, not per index")
    app = make_app(fresh_database, tmp_path / "instance")
    with app.app_context():
        upgrade()
    agency = Factories(app).organisation(OrganisationKind.AGENCY)
    for _ in range(3):
        Factories(app).applicant(agency=agency, nationality="RUS")
    with app.app_context():
        downgrade(revision="0013")
        upgrade()
        with db.engine.connect() as connection:
            statistics = index_statistics(connection)
        assert [stat.split()[0] for stat in statistics] == ["3"]  # rows in the index
        db.engine.dispose()
