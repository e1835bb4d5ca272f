"""A large bulk write into small tables builds their plain indexes after the rows, on
SQLite, inside its transaction: the schema comes back exactly, on commit and on rollback;
unique indexes and tables that already hold many rows keep theirs; PostgreSQL keeps all."""

from __future__ import annotations

import pytest

import casemgr.database
from casemgr.applicants.models import Applicant
from casemgr.auth.models import Organisation
from casemgr.database import indexes_built_after
from casemgr.extensions import db
from tests.conftest import index_definitions


def indexes(table: str) -> list[tuple]:
    return index_definitions(db.session.connection(), table)


@pytest.fixture
def low_threshold(monkeypatch) -> None:
    monkeypatch.setattr(casemgr.database, "BULK_INDEX_THRESHOLD", 2)


@pytest.mark.usefixtures("low_threshold")
def test_plain_indexes_of_small_tables_are_built_after_and_come_back_the_same(app, factories):
    for name in ("One", "Two", "Three"):
        factories.organisation(name=name)  # three rows: more than the write of 2 below
    with app.app_context():
        applicants_before = indexes("applicants")
        organisations_before = indexes("organisations")
        sqlite = db.session.get_bind().dialect.name == "sqlite"
        with indexes_built_after(db.session.connection(),
                                 [Applicant.__table__, Organisation.__table__], 2):
            during = {name for name, *_rest in indexes("applicants")}
            organisations_during = indexes("organisations")
        assert indexes("applicants") == applicants_before
        db.session.commit()
        assert indexes("applicants") == applicants_before
    plain = {name for name, _columns, unique, _options in applicants_before if not unique}
    assert plain and "ix_applicants_list_name" in plain
    if sqlite:
        assert not during & plain  # dropped while the rows go in
        unique = {name for name, _columns, unique, _options in applicants_before if unique}
        assert unique <= during
    else:
        assert plain <= during  # PostgreSQL would lock the table against readers
    assert organisations_during == organisations_before  # it holds enough rows already


@pytest.mark.usefixtures("low_threshold")
def test_a_write_that_fails_gets_its_indexes_back_and_rolls_back_to_them(app):
    with app.app_context():
        before = indexes("applicants")
        with pytest.raises(RuntimeError), indexes_built_after(
                db.session.connection(), [Applicant.__table__], 10):
            raise RuntimeError("the write failed")
        assert indexes("applicants") == before  # even a caller that commits keeps them
        db.session.rollback()
        assert indexes("applicants") == before


@pytest.mark.usefixtures("low_threshold")
def test_a_transaction_that_ends_midway_leaves_the_indexes_as_they_were(app):
    """What a killed process or a database error that aborts the transaction amounts to:
    the DROP INDEX statements are rolled back with it."""
    with app.app_context():
        before = indexes("applicants")
        with indexes_built_after(db.session.connection(), [Applicant.__table__], 10):
            db.session.rollback()
        assert indexes("applicants") == before


def test_a_small_write_leaves_the_schema_alone(app):
    with app.app_context():
        before = indexes("applicants")
        with indexes_built_after(db.session.connection(), [Applicant.__table__],
                                 casemgr.database.BULK_INDEX_THRESHOLD - 1):
            assert indexes("applicants") == before
