"""Migration 0011 builds the name search index from the names a database already holds (and
its downgrade gives back the token table it replaced), on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import downgrade, upgrade

from casemgr.applicants import matching, search
from casemgr.applicants.models import Applicant
from casemgr.auth.models import OrganisationKind
from casemgr.extensions import db
from tests.applicants.test_name_index import index_is_consistent
from tests.conftest import make_app
from tests.factories import Factories


def revision_before(revision: str) -> str:
    config = current_app.extensions["migrate"].migrate.get_config()
    down = ScriptDirectory.from_config(config).get_revision(revision).down_revision
    assert isinstance(down, str)
    return down


def ids_found(query: str) -> set[int]:
    """The people the name search finds (inside an app context)."""
    return set(db.session.scalars(
        search.search_applicants(db.session, sa.select(Applicant.id), query)))


def indexed(session) -> dict[int, str]:
    return dict(session.execute(sa.select(Applicant.id, Applicant.name_skeletons)).all())


def test_the_migration_indexes_existing_people_and_its_downgrade_restores_the_tokens(
        fresh_database, tmp_path: Path) -> None:
    app = make_app(fresh_database, tmp_path / "instance")
    with app.app_context():
        upgrade()
    factories = Factories(app)
    agency = factories.organisation(OrganisationKind.AGENCY)
    ivanova = factories.applicant(agency=agency, family_name="KUZNETSOVA", given_names="Olga",
                                  native_name="Иванова Ольга", aliases=["Olha Kuznetsova"])
    kim = factories.applicant(agency=agency, family_name="KIM", given_names="Min-jun",
                              native_name="김민준", nationality="KOR")
    with app.app_context():
        kept = indexed(db.session)
        assert kept[ivanova.id] == matching.index_text(
            "KUZNETSOVA Olga", "Иванова Ольга", "Olha Kuznetsova")
        db.session.remove()  # end the read, or PostgreSQL's DROP waits for its lock forever

        downgrade(revision=revision_before("0011"))
        tokens = sa.table("applicant_name_tokens", sa.column("token"), sa.column("applicant_id"))
        with db.engine.connect() as connection:
            stored = set(connection.execute(sa.select(tokens.c.applicant_id, tokens.c.token)))
        assert stored == {(kim.id, token) for token in matching.name_tokens("KIM Min-jun", "김민준")
                          } | {(ivanova.id, token) for token in matching.name_tokens(
                              "KUZNETSOVA Olga", "Иванова Ольга", "Olha Kuznetsova")}
        assert "name_skeletons" not in {
            column["name"] for column in sa.inspect(db.engine).get_columns("applicants")}

        upgrade()
        assert indexed(db.session) == kept
        found = ids_found("ванова olh")
        assert found == {ivanova.id}
        assert ids_found("minjun") == {kim.id}
        db.session.remove()
    assert index_is_consistent(app)
    with app.app_context():
        db.engine.dispose()


def insert_trigger_exists(connection: sa.Connection) -> bool:
    return connection.execute(
        sa.text("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = :name"),
        {"name": f"{search.SQLITE_TABLE}_insert"}).scalar_one() == 1


def test_migration_0012_leaves_new_index_rows_to_the_writers_and_its_downgrade_restores_the_trigger(
        fresh_database, tmp_path: Path) -> None:
    app = make_app(fresh_database, tmp_path / "instance")
    with app.app_context():
        upgrade()
        if db.engine.dialect.name != "sqlite":
            db.engine.dispose()
            return  # PostgreSQL's GIN index follows the column; 0012 changes nothing there
        with db.engine.connect() as connection:
            assert not insert_trigger_exists(connection)
    factories = Factories(app)
    agency = factories.organisation(OrganisationKind.AGENCY)
    # Without the trigger, the ORM insert itself adds the index row.
    petrov = factories.applicant(agency=agency, family_name="PETROV", given_names="Pavel")
    with app.app_context():
        assert ids_found("etro") == {petrov.id}
        db.session.remove()
        downgrade(revision="0011")
        with db.engine.connect() as connection:
            assert insert_trigger_exists(connection)
        upgrade()
        with db.engine.connect() as connection:
            assert not insert_trigger_exists(connection)
        db.engine.dispose()
    assert index_is_consistent(app)
