"""The name search's trigram index (applicants/search.py): infix and cross-script matches,
two-letter terms, every write path keeping the index current, and the index (not a scan)
answering the search, on SQLite (FTS5) and PostgreSQL (pg_trgm) alike."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from casemgr.applicants import search
from casemgr.applicants.models import Applicant
from casemgr.applicants.services import PersonData, update_applicant
from casemgr.auth.models import OrganisationKind, Role
from casemgr.extensions import db
from tests.applicants.helpers import counting_queries
from tests.conftest import empty_all_tables
from tests.exchange.helpers import row, write_csv


@pytest.fixture
def agency(factories):
    return factories.organisation(OrganisationKind.AGENCY)


@pytest.fixture
def people(factories, agency) -> dict[str, int]:
    def make(**person: Any) -> int:
        return factories.applicant(agency=agency, **person).id

    return {
        "ivanov": make(family_name="IVANOV", given_names="Ivan", date_of_birth="1990-05-17"),
        "ivanova": make(family_name="KUZNETSOVA", given_names="Olga",
                        native_name="Иванова Ольга", date_of_birth="1985"),
        "shevchenko": make(family_name="SHEVCHENKO", given_names="Taras",
                           native_name="Шевченко Тарас", nationality="UKR"),
        "kim": make(family_name="KIM", given_names="Minjun", nationality="KOR"),
        "li": make(family_name="LI", given_names="Wei", nationality="CHN"),
        "ali": make(family_name="KHALIL", given_names="Ali", nationality="SYR"),
        "alias": make(family_name="NOVAK", given_names="Petr", aliases=["Petro Novakovsky"]),
    }


def found(app, query: str) -> set[int]:
    with app.app_context():
        return set(db.session.scalars(
            search.search_applicants(db.session, sa.select(Applicant.id), query)))


def named(people: dict[str, int], *keys: str) -> set[int]:
    return {people[key] for key in keys}


@pytest.mark.parametrize(("query", "expected"), [
    ("vano", {"ivanov", "ivanova"}),  # inside IVANOV and the native Иванова
    ("znetso", {"ivanova"}),  # inside KUZNETSOVA
    ("chenko", {"shevchenko"}),
    ("vano olg", {"ivanova"}),  # every term, each anywhere
    ("vano tara", set()),
    ("kovsk", {"alias"}),  # inside an alias
    ("njun", {"kim"}),  # across the syllables of Minjun
])
def test_a_term_of_three_letters_or_more_matches_inside_a_name(app, people, query, expected
                                                                ) -> None:
    assert found(app, query) == named(people, *expected)


@pytest.mark.parametrize(("query", "expected"), [
    ("ванов", {"ivanov", "ivanova"}),  # Cyrillic infix, Latin and Cyrillic records
    ("евченк", {"shevchenko"}),  # Cyrillic infix of a name stored in both scripts
    ("Szewczenko", {"shevchenko"}),  # Polish spelling of the same sound
    ("민준", {"kim"}),  # Hangul, for a person recorded only in Latin
    ("Kuznetsova Ольга", {"ivanova"}),  # two scripts in one query
    ("Тарас Shevch", {"shevchenko"}),
])
def test_spellings_in_other_scripts_meet(app, people, query, expected) -> None:
    assert found(app, query) == named(people, *expected)


def test_a_two_letter_term_matches_the_start_of_a_name_token(app, people) -> None:
    assert found(app, "li") == named(people, "li")  # LI, not KHALIL or ALI
    assert found(app, "al") == named(people, "ali")  # Ali (AL-KHALIL would match too)
    assert found(app, "ali") == named(people, "ali")  # three letters: inside KHALIL too
    assert found(app, "li wei") == named(people, "li")
    assert found(app, "ov") == set()  # IVANOV ends in "ov": not a start


def test_many_matches_are_answered_by_the_index_not_by_an_id_list(app, people, monkeypatch
                                                                   ) -> None:
    monkeypatch.setattr(search, "SEARCH_ID_LIMIT", 1)
    assert found(app, "vano") == named(people, "ivanov", "ivanova")
    assert found(app, "vano olga") == named(people, "ivanova")


def test_searches_finding_different_numbers_of_people_share_one_statement(app, people
                                                                          ) -> None:
    """The ids a search found are bound as one value, so the database and SQLAlchemy
    reuse one statement for every search instead of one per number of people found."""
    expected = {"vano": named(people, "ivanov", "ivanova"), "kim": named(people, "kim"),
                "nobody": set()}
    listing = []
    for query, ids in expected.items():
        with app.app_context():
            listed = search.search_applicants(db.session, sa.select(Applicant.id), query)
            with counting_queries(app) as statements:
                assert set(db.session.scalars(listed)) == ids
            listing.extend(statements)
    assert len(listing) == 3
    assert len(set(listing)) == 1


def test_every_write_path_keeps_the_index_current(app, factories, agency, people, runner,
                                                  tmp_path) -> None:
    editor = factories.user(Role.CASEWORKER, organisation=agency)
    with app.app_context():
        applicant = db.session.get_one(Applicant, people["alias"])
        update_applicant(db.session, applicant, PersonData(
            family_name="NOWAK", given_names="Petra", sex="M", date_of_birth="1990-05-17",
            nationality="RUS", native_name="Новакова", aliases=["Petra Dvorakova"]),
            version=applicant.version, actor=editor)
        db.session.commit()
    assert found(app, "novak") == named(people, "alias")  # the new native name
    assert found(app, "vorako") == named(people, "alias")  # the new alias
    assert found(app, "kovsk") == set()  # the old alias is gone
    assert found(app, "Petr") == named(people, "alias")  # prefix of "petra"

    path = write_csv(tmp_path / "people.csv", [
        row(registration_no="IMP-1", family_name="ABRAMOVICH", given_names="Roman",
            native_name="Абрамович Роман"),
        row(registration_no="IMP-2", family_name="OKONKWO", given_names="Chidi",
            date_of_birth="1977-01-02", nationality="NGA")])
    result = runner.invoke(args=["import", "applicants", str(path)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        imported = dict(db.session.execute(sa.select(Applicant.registration_no, Applicant.id)
                                           .where(Applicant.registration_no.like("IMP-%"))).all())
    assert found(app, "рамович") == {imported["IMP-1"]}
    assert found(app, "konkw chi") == {imported["IMP-2"]}
    assert index_is_consistent(app)


def index_is_consistent(app) -> bool:
    """SQLite: FTS5's own check that its index matches the column it covers (external
    content). PostgreSQL maintains its GIN index itself: nothing to check there."""
    with app.app_context(), db.engine.begin() as connection:
        if connection.dialect.name != "sqlite":
            return True
        try:
            connection.exec_driver_sql(
                "INSERT INTO applicant_name_search(applicant_name_search, rank) "
                "VALUES ('integrity-check', 1)")
        except sa.exc.DatabaseError:
            return False
        return True


def test_people_deleted_leave_the_index(app, people) -> None:
    assert index_is_consistent(app)
    with app.app_context():
        empty_all_tables()  # row by row on SQLite, as the tests do after each test
    assert index_is_consistent(app)
    assert found(app, "vano") == set()


def statement_of(app, query: str) -> tuple[str, Any]:
    """The id query the search runs for `query`, with its parameters."""
    statements: list[tuple[str, Any]] = []

    def capture(_conn, _cursor, statement, parameters, *_args) -> None:
        statements.append((statement, parameters))

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", capture)
        try:
            search.search_applicants(db.session, sa.select(Applicant.id), query)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", capture)
            db.session.rollback()
    (only,) = [(sql, parameters) for sql, parameters in statements if "name_skeletons" in sql]
    return only


@pytest.mark.parametrize("query", ["vano", "Иванова Ольга", "li wei"])
def test_the_search_reads_the_trigram_index_not_the_table(app, people, query) -> None:
    statement, parameters = statement_of(app, query)
    with app.app_context(), db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            plan = " ".join(str(step[3]) for step in connection.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {statement}", parameters))
            assert f"SCAN {search.SQLITE_TABLE} VIRTUAL TABLE INDEX" in plan
            assert "SCAN applicants" not in plan
        else:
            # A handful of rows would be read sequentially: ask what else the planner has.
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            plan = " ".join(step[0] for step in connection.exec_driver_sql(
                f"EXPLAIN {statement}", parameters))
            assert f"Bitmap Index Scan on {search.POSTGRESQL_INDEX}" in plan


def segments(app) -> int:
    """How many b-tree segments the FTS5 index has: the second varint of its structure
    record (row 10 of the %_data table, after a 4-byte cookie and the number of levels)."""
    with app.app_context():
        record = db.session.execute(sa.text(
            "SELECT block FROM applicant_name_search_data WHERE id = 10")).scalar_one()
    values, value, shift = [], 0, 0
    for byte in record[4:]:
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            values.append(value)
            value, shift = 0, 0
            if len(values) == 2:
                return values[1]
    raise AssertionError("no structure record")


def test_merging_the_index_after_a_bulk_load_keeps_every_match(app, people) -> None:
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("PostgreSQL's GIN index has no segments to merge")
    assert segments(app) > 1  # one transaction per person made by the factories
    before = {query: found(app, query) for query in ("vano", "li", "Иванова Ольга")}
    with app.app_context():
        search.merge_index(db.session)
        db.session.commit()
    assert segments(app) == 1
    assert {query: found(app, query) for query in before} == before
    assert index_is_consistent(app)
