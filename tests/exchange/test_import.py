"""`casemgr import applicants`: every problem reported with its row and column and nothing
written; a valid file's people, histories and statistics; dry runs, XLSX, duplicates,
and a failure in a later batch that leaves the database as it was."""

from __future__ import annotations

from functools import partial

import pytest
import sqlalchemy as sa

import casemgr.database
from casemgr.applicants import bulk
from casemgr.applicants.models import Applicant
from casemgr.audit.models import AuditEvent
from casemgr.cases.models import Case, CaseEvent
from casemgr.exchange import importer
from casemgr.extensions import db
from casemgr.localtime import today
from casemgr.statistics.tables import QUERIES
from tests.conftest import index_definitions
from tests.exchange.conftest import counts
from tests.exchange.helpers import PEOPLE, row, write_csv, write_xlsx

# (row overrides, the column the problem is reported in); the file's rows are 2, 3, ...
ONE_OF_EACH = [
    (row(sex="Q"), "sex"),
    (row(date_of_birth="1990-13-01"), "date_of_birth"),
    (row(nationality="ZZZ"), "nationality"),
    (row(languages="rus;xx1"), "languages"),
    (row(lodged_on="2999-01-01"), "lodged_on"),  # in the future
    (row(decision="rejected", decision_on="2024-01-02"), "decision_on"),  # before lodging
    (row(date_of_birth="2024-06-01", lodged_on="2024-03-04"), "lodged_on"),  # before birth
    (row(referral_decision="referred", referral_decided_on="2024-03-05"),
     "referral_decision"),  # an in-country application has no referral
    (row(decision="rejected", decision_on="2024-06-01", objection_lodged_on="2024-05-01"),
     "objection_lodged_on"),  # objection before the decision
    (row(family_name="Иванов"), "family_name"),  # not Latin
    (row(family_name=""), "family_name"),  # required
    (row(specific_needs="SM-CI;ZZ-ZZ"), "specific_needs"),
    (row(status="withdrawn"), "status_since"),  # nothing dates the withdrawal
    (row(relationship="cousin"), "relationship"),
    (row(interpreter_needed="maybe"), "interpreter_needed"),
    (row(lodged_at="airport"), "lodged_at"),
    (row(lodged_at="port_of_entry", port_of_entry="1"), "port_of_entry"),
    (row(decision="rejected", decision_on="2024-06-01", objection_lodged_on="2024-06-10",
         objection_decision="dismissed"), "objection_decided_on"),  # decision without date
    (row(lodged_at="port_of_entry", port_of_entry="ICN", referral_decision="lapsed",
         referral_decided_on="2024-03-06"), "referral_decided_on"),  # lapses after 7 days
    (row(status="objection", status_since="2024-05-01"), "status"),  # not a transition
    (row(arrival_date="2024-13-40"), "arrival_date"),
    (row(registration_no="EXISTING-1"), "registration_no"),  # a person in the database
    (row(registration_no="SAME-1"), None),
    (row(registration_no="SAME-1", date_of_birth="1991-01-01", lodged_on="2025-03-01"),
     "date_of_birth"),  # disagrees with the row above (same registration_no)
]


def test_every_problem_is_reported_with_its_row_and_column_and_nothing_is_written(
        app, runner, agency, factories, tmp_path):
    factories.applicant(agency=agency, registration_no="EXISTING-1", family_name="OTHER")
    before = counts(app)
    path = write_csv(tmp_path / "bad.csv", [values for values, _column in ONE_OF_EACH])
    result = runner.invoke(args=["import", "applicants", str(path)])
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert isinstance(result.exception, SystemExit), result.exception
    for number, (_values, column) in enumerate(ONE_OF_EACH, start=2):
        reported = [line for line in lines if line.startswith(f"row {number}, column ")]
        if column is None:
            assert reported == []
        else:
            assert reported, f"row {number}: nothing reported in {lines}"
            assert {line.split(":")[0] for line in reported} == {
                f"row {number}, column {column}"}, reported
    assert "Traceback" not in result.output
    assert "nothing was imported" in result.stderr
    assert counts(app) == before


def test_unknown_and_missing_columns_are_reported_on_the_header_row(runner, agency, tmp_path):
    header = ["family_name", "given_names", "sex", "date_of_birth", "lodged_on", "lodged_at",
              "favourite_colour"]
    path = write_csv(tmp_path / "bad.csv", [row()], header=header)
    result = runner.invoke(args=["import", "applicants", str(path)])
    assert result.exit_code == 1
    assert "row 1, column favourite_colour: Unknown column" in result.stderr
    assert "row 1, column nationality: This required column is missing." in result.stderr


def test_usage_errors_exit_2(runner, tmp_path):
    assert runner.invoke(args=["import", "applicants"]).exit_code == 2
    assert runner.invoke(args=["import", "applicants", str(tmp_path / "none.csv")]
                         ).exit_code == 2


def test_a_valid_file_imports_people_histories_and_statistics(app, runner, agency, tmp_path):
    path = write_csv(tmp_path / "people.csv", PEOPLE, bom=True)
    result = runner.invoke(args=["import", "applicants", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == "imported 6 applicants, 6 cases"
    with app.app_context():
        case = db.session.execute(sa.select(Case).join(Applicant).where(
            Applicant.registration_no == "T-1")).scalar_one()
        history = [(e.from_status, e.to_status, e.effective_date.isoformat())
                   for e in sorted(case.events, key=lambda e: e.id)]
        assert history == [(None, "first_instance", "2024-03-04"),
                           ("first_instance", "rejected", "2024-09-02"),
                           ("rejected", "objection", "2024-09-20"),
                           ("objection", "rejected", "2025-01-15")]
        litigant = db.session.execute(sa.select(Applicant).where(
            Applicant.registration_no == "T-6")).scalar_one()
        assert (litigant.current_status, litigant.native_name) == ("litigation", "Соколов Илья")
        session = db.session
        # By hand: 2024 first-instance decisions T-1 rejected (RUS F), T-2 recognized
        # (RUS M), T-3 humanitarian (KAZ M), T-6 rejected (RUS M), T-4 withdrawn (RUS M).
        decisions = QUERIES["first_instance_decisions"](session, 2024)
        totals = {cell.dims[-1]: cell.value for cell in decisions
                  if cell.measure == "persons" and cell.dims[:3] == ("TOTAL",) * 3}
        assert totals == {"TOTAL": 5}
        fine = {cell.dims: cell.value for cell in decisions
                if cell.measure == "persons" and "TOTAL" not in cell.dims}
        assert fine == {("RUS", "F", "Y18-34", "REJECTED"): 1,
                        ("RUS", "M", "Y18-34", "REJECTED"): 1,
                        ("RUS", "M", "Y18-34", "RECOGNIZED"): 1,
                        ("KAZ", "M", "Y18-34", "HUMANITARIAN"): 1,
                        ("RUS", "M", "Y35-64", "WITHDRAWN"): 1}, fine
        applications = QUERIES["applications"](session, 2024)
        assert [cell.value for cell in applications
                if cell.measure == "persons" and all(d == "TOTAL" for d in cell.dims)] == [6]
        referrals = QUERIES["referral_decisions"](session, 2024)
        assert sorted(cell.dims[:3] for cell in referrals if cell.measure == "persons"
                      and "TOTAL" not in cell.dims) == [("ICN", "CHN", "NOT_REFERRED"),
                                                        ("ICN", "KAZ", "REFERRED")]
        objections = QUERIES["objections_lodged"](session, 2024)
        assert [cell.value for cell in objections if cell.dims == ("TOTAL", "TOTAL")] == [1]
        assert QUERIES["objection_decisions"](session, 2024) == []
        pending_2024 = QUERIES["pending"](session, 2024)
        # pending on 31 December 2024 (STATISTICS.md stages): T-1 (objection) only; T-6
        # is rejected until its suit in 2025, T-5 not referred is no pending stage.
        assert [(cell.dims[:3], cell.value) for cell in pending_2024
                if cell.measure == "persons" and "TOTAL" not in cell.dims] == [
            (("OBJECTION", "RUS", "F"), 1)]


def test_dry_run_writes_nothing(app, runner, agency, tmp_path):
    before = counts(app)
    path = write_csv(tmp_path / "people.csv", PEOPLE)
    result = runner.invoke(args=["import", "applicants", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would import 6 applicants, 6 cases" in result.stdout
    assert counts(app) == before


def _snapshot(app) -> list[tuple]:
    with app.app_context():
        people = db.session.execute(sa.select(Applicant).order_by(Applicant.registration_no)
                                    ).scalars().all()
        return [(p.registration_no, p.family_name, p.given_names, p.native_name, p.sex,
                 p.date_of_birth, p.nationality, p.languages, p.interpreter_needed,
                 p.arrival_date, p.current_status,
                 [(c.status, c.status_since, c.decision, c.objection_decision,
                   [(e.from_status, e.to_status, e.effective_date, e.outcome)
                    for e in sorted(c.events, key=lambda e: e.id)]) for c in p.cases])
                for p in people]


def test_xlsx_and_csv_give_the_same_result(app, runner, agency, tmp_path):
    from tests.conftest import empty_all_tables

    csv_path = write_csv(tmp_path / "people.csv", PEOPLE)
    assert runner.invoke(args=["import", "applicants", str(csv_path)]).exit_code == 0
    from_csv = _snapshot(app)
    with app.app_context():
        db.session.remove()
        empty_all_tables()
    from tests.factories import Factories
    Factories(app).organisation(name="Import agency")
    xlsx_path = write_xlsx(tmp_path / "people.xlsx", PEOPLE)
    result = runner.invoke(args=["import", "applicants", str(xlsx_path)])
    assert result.exit_code == 0, result.output
    assert _snapshot(app) == from_csv
    assert len(from_csv) == 6


def test_duplicates_are_warnings_unless_rejected(app, runner, agency, factories, tmp_path):
    factories.applicant(agency=agency, family_name="KUZNETSOV", given_names="Dmitry",
                        date_of_birth="1980-02-03")
    rows = [row(family_name="KUZNETSOV", given_names="Dmitriy", date_of_birth="1980-02-03"),
            row(family_name="ORLOVA", given_names="Maria", sex="F", date_of_birth="1995-01-01"),
            row(family_name="ORLOVA", given_names="Mariya", sex="F",
                date_of_birth="1995-01-01")]
    path = write_csv(tmp_path / "dupes.csv", rows)
    before = counts(app)
    rejected = runner.invoke(args=["import", "applicants", str(path), "--reject-duplicates"])
    assert rejected.exit_code == 1
    assert counts(app) == before
    assert "row 2: likely duplicate of registered person" in rejected.stderr
    assert "row 4: likely duplicate of row 3" in rejected.stderr
    accepted = runner.invoke(args=["import", "applicants", str(path)])
    assert accepted.exit_code == 0, accepted.output
    assert "imported 3 applicants, 3 cases" in accepted.stdout
    assert "warning: row 4: likely duplicate of row 3" in accepted.stderr


def test_rows_sharing_a_registration_no_are_one_person_with_several_cases(
        app, runner, agency, tmp_path):
    rows = [row(registration_no="P-1", decision="rejected", decision_on="2024-06-03",
                status="closed", status_since="2024-09-01"),
            row(registration_no="P-1", lodged_on="2025-02-03")]
    path = write_csv(tmp_path / "two.csv", rows)
    result = runner.invoke(args=["import", "applicants", str(path)])
    assert result.exit_code == 0, result.output
    assert "imported 1 applicants, 2 cases" in result.stdout
    with app.app_context():
        person = db.session.execute(sa.select(Applicant)).scalar_one()
        assert [(c.application_type, c.is_current) for c in
                sorted(person.cases, key=lambda c: c.lodged_on)] == [
            ("first_time", False), ("subsequent", True)]


def test_import_is_audited_once_with_counts_and_once_per_person(app, runner, agency, tmp_path):
    path = write_csv(tmp_path / "people.csv", PEOPLE)
    assert runner.invoke(args=["import", "applicants", str(path)]).exit_code == 0
    with app.app_context():
        events = db.session.execute(sa.select(AuditEvent.action, AuditEvent.details)
                                    ).all()
    imported = [details for action, details in events if action == "applicant.imported"]
    assert imported == [{"source": "csv", "rows": 6, "applicants": 6, "cases": 6,
                         "duplicate_warnings": 0}]
    assert sum(action == "applicant.registered" for action, _ in events) == 6
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0


def test_a_failure_in_a_later_batch_leaves_no_rows(app, agency, tmp_path, monkeypatch):
    rows = [row(family_name=f"PERSON{'ABCDEFGHIJ'[n // 10]}{'ABCDEFGHIJ'[n % 10]}")
            for n in range(30)]
    path = write_csv(tmp_path / "people.csv", rows)
    monkeypatch.setattr(importer, "write_people", partial(bulk.write_people, batch_size=10))
    before = counts(app)

    def crash(done: int) -> None:
        if done >= 20:  # two batches are in the database (uncommitted) by now
            raise RuntimeError("simulated crash")

    with app.app_context():
        plan = importer.check_file(db.session, path, filename="people.csv",
                                   agency_id=agency.id, actor=None, scope=sa.true(),
                                   today=today())
        with pytest.raises(RuntimeError):
            importer.write_plan(db.session, plan, actor=None, source="csv", progress=crash)
        assert db.session.execute(sa.select(sa.func.count(CaseEvent.id))).scalar_one() > 0
        db.session.rollback()
    assert counts(app) == before


def test_a_large_import_into_a_small_register_builds_its_indexes_after_the_rows(
        app, runner, agency, tmp_path, monkeypatch):
    """On SQLite the import's tables lose their plain indexes while the rows go in and get
    them back, the same, before the commit (PRAGMA schema_version counts the DDL)."""
    monkeypatch.setattr(casemgr.database, "BULK_INDEX_THRESHOLD", 2)
    tables = [table.name for table in bulk.BULK_TABLES]

    def schema() -> tuple[dict, int | None]:
        with app.app_context():
            connection = db.session.connection()
            indexes = {table: index_definitions(connection, table) for table in tables}
            version = (connection.exec_driver_sql("PRAGMA schema_version").scalar()
                       if connection.dialect.name == "sqlite" else None)
            db.session.rollback()
            return indexes, version

    indexes_before, version_before = schema()
    path = write_csv(tmp_path / "people.csv", PEOPLE)
    result = runner.invoke(args=["import", "applicants", str(path)])
    assert result.exit_code == 0, result.output
    indexes_after, version_after = schema()
    assert indexes_after == indexes_before
    if version_before is not None:  # no other DDL runs in an import
        assert version_after > version_before
    assert counts(app)["applicants"] == len(PEOPLE)


def test_a_file_that_is_not_utf8_is_refused_without_a_traceback(app, runner, agency, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("family_name,given_names\nMÜLLER,Jörg\n".encode("latin-1"))
    result = runner.invoke(args=["import", "applicants", str(path)])
    assert result.exit_code == 1
    assert "not UTF-8" in result.stderr
    assert counts(app)["applicants"] == 0


def test_imported_cases_carry_the_deadlines_of_their_final_state(app, runner, agency, tmp_path):
    """The replayed history skips the per-step deadline refresh; the bulk writer stores
    them once from each case's final state, and the applicant's summary follows."""
    from datetime import timedelta

    from casemgr.cases import deadlines

    now = today()
    recent = (now - timedelta(days=2)).isoformat()
    rows = [row(registration_no="D-1", lodged_on=recent, lodged_at="port_of_entry",
                port_of_entry="ICN"),  # the referral decision is due within 7 days
            row(registration_no="D-2", lodged_on=(now - timedelta(days=90)).isoformat(),
                decision="rejected", decision_on=(now - timedelta(days=30)).isoformat(),
                objection_lodged_on=recent),  # the objection decision is due
            row(registration_no="D-3", decision="rejected", decision_on="2024-06-03",
                status="closed", status_since="2024-09-01"),
            row(registration_no="D-3", lodged_on=(now - timedelta(days=10)).isoformat())]
    result = runner.invoke(args=["import", "applicants", str(write_csv(tmp_path / "d.csv", rows))])
    assert result.exit_code == 0, result.output
    with app.app_context():
        cases = db.session.scalars(sa.select(Case)).all()
        running = 0
        for case in cases:
            expected = (deadlines.deadlines(case) if case.is_current else []) + [None, None]
            first, later = expected[:2]
            assert (case.next_due_on, case.next_due_kind) == (
                (first.due, str(first.kind)) if first else (None, None)), case.id
            assert (case.later_due_on, case.later_due_kind) == (
                (later.due, str(later.kind)) if later else (None, None)), case.id
            running += case.next_due_on is not None
            if case.is_current:
                assert (case.applicant.current_due_on, case.applicant.current_due_kind) == (
                    case.next_due_on, case.next_due_kind)
        assert running == 3  # every current case here has a clock running
