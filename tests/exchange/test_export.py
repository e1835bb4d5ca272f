"""`casemgr export applicants` and the list's download: the §3 columns, a round trip into
an empty database, the scope and sensitive needs of a legal_aid export, the audit."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa
from openpyxl import load_workbook

from casemgr.audit.models import AuditEvent
from casemgr.auth.models import OrganisationKind, Role
from casemgr.exchange.columns import COLUMNS
from casemgr.extensions import db
from tests.conftest import empty_all_tables
from tests.exchange.helpers import PEOPLE, row, write_csv
from tests.factories import Factories


def _export(runner, tmp_path, name: str = "out.csv") -> str:
    target = tmp_path / name
    result = runner.invoke(args=["export", "applicants", "--format", "csv", "--output",
                                 str(target)])
    assert result.exit_code == 0, result.output
    return target.read_text(encoding="utf-8")


def test_export_then_import_into_an_empty_database_is_identical(app, runner, agency,
                                                                 tmp_path):
    people = [*PEOPLE, row(family_name="NOVAK", given_names="-", lodged_on="2025-01-02"),
              row(registration_no="P-9", family_name="LEE", given_names="Min", nationality="XXA",
                  decision="rejected", decision_on="2024-06-03", status="closed",
                  status_since="2024-09-01", family_group="H1", relationship="principal"),
              row(registration_no="P-9", family_name="LEE", given_names="Min", nationality="XXA",
                  lodged_on="2025-02-03", family_group="H1", relationship="principal")]
    source = write_csv(tmp_path / "in.csv", people)
    assert runner.invoke(args=["import", "applicants", str(source)]).exit_code == 0
    first = _export(runner, tmp_path, "first.csv")
    records = list(csv.DictReader(io.StringIO(first)))
    assert tuple(records[0]) == COLUMNS
    assert len(records) == len(people)
    with app.app_context():
        db.session.remove()
        empty_all_tables()
    Factories(app).organisation(name="Import agency")
    result = runner.invoke(args=["import", "applicants", str(tmp_path / "first.csv")])
    assert result.exit_code == 0, result.output
    assert f"imported {len(people) - 1} applicants, {len(people)} cases" in result.stdout
    assert _export(runner, tmp_path, "second.csv") == first


def test_export_is_audited_with_its_row_count(app, runner, agency, tmp_path):
    write_csv(tmp_path / "in.csv", PEOPLE)
    assert runner.invoke(args=["import", "applicants", str(tmp_path / "in.csv")]).exit_code == 0
    _export(runner, tmp_path)
    with app.app_context():
        details = db.session.execute(sa.select(AuditEvent.details).where(
            AuditEvent.action == "applicant.exported")).scalar_one()
    assert details == {"format": "csv", "filters": {}, "rows": 6, "source": "cli"}


def test_xlsx_export_holds_the_same_rows(runner, agency, tmp_path):
    write_csv(tmp_path / "in.csv", PEOPLE)
    assert runner.invoke(args=["import", "applicants", str(tmp_path / "in.csv")]).exit_code == 0
    text = _export(runner, tmp_path)
    target = tmp_path / "out.xlsx"
    result = runner.invoke(args=["export", "applicants", "--format", "xlsx", "--output",
                                 str(target)])
    assert result.exit_code == 0, result.output
    sheet = load_workbook(target, read_only=True).worksheets[0]
    cells = [[value or "" for value in values] for values in sheet.iter_rows(values_only=True)]
    assert cells == list(csv.reader(io.StringIO(text)))


def _download(client, query: str = "") -> list[dict[str, str]]:
    response = client.get(f"/applicants/export.csv{query}")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_legal_aid_export_holds_shared_people_without_sensitive_needs(
        app, login_as, factories):
    agency = factories.organisation(OrganisationKind.AGENCY)
    ngo = factories.organisation(OrganisationKind.NGO)
    recorder = factories.user(Role.ADMIN)
    shared = factories.applicant(agency=agency, share_with=ngo, family_name="SHARED")
    factories.applicant(agency=agency, family_name="PRIVATE")
    for code in ("SV-VO", "SM-MI", "SM-CI"):
        factories.specific_need(shared.id, code, actor=recorder)
    lawyer = login_as(Role.LEGAL_AID, organisation=ngo)
    rows = _download(lawyer)
    assert [r["family_name"] for r in rows] == ["SHARED"]
    assert rows[0]["specific_needs"] == "SM-CI"
    caseworker = login_as(Role.CASEWORKER, organisation=agency)
    rows = _download(caseworker)
    assert sorted(r["family_name"] for r in rows) == ["PRIVATE", "SHARED"]
    assert next(r for r in rows if r["family_name"] == "SHARED")["specific_needs"] == \
        "SV-VO;SM-MI;SM-CI"
    with app.app_context():
        details = db.session.execute(sa.select(AuditEvent.details).where(
            AuditEvent.action == "applicant.exported").order_by(AuditEvent.id)).scalars().all()
    assert [d["applicants"] for d in details] == [1, 2]


def test_the_download_carries_the_list_filters(app, login_as, factories):
    agency = factories.organisation(OrganisationKind.AGENCY)
    factories.applicant(agency=agency, family_name="ALPHA", nationality="RUS")
    factories.applicant(agency=agency, family_name="BETA", nationality="KAZ")
    client = login_as(Role.CASEWORKER, organisation=agency)
    assert 'href="/applicants/export.csv?nationality=KAZ"' in client.get(
        "/applicants?nationality=KAZ&page=1").get_data(as_text=True)
    rows = _download(client, "?nationality=KAZ")
    assert [r["family_name"] for r in rows] == ["BETA"]
    with app.app_context():
        details = db.session.execute(sa.select(AuditEvent.details).where(
            AuditEvent.action == "applicant.exported")).scalar_one()
    assert details == {"format": "csv", "filters": {"nationality": "KAZ"}, "applicants": 1,
                       "source": "web"}


def test_export_reads_in_batches_not_per_row(app, runner, agency, tmp_path):
    """A fixed number of queries per batch (people, cases, needs), whatever the rows."""
    from casemgr.applicants.models import Applicant
    from casemgr.exchange import exporter

    write_csv(tmp_path / "in.csv", PEOPLE)
    assert runner.invoke(args=["import", "applicants", str(tmp_path / "in.csv")]).exit_code == 0
    statements = []

    def count(_connection, _cursor, statement, *_args) -> None:
        statements.append(statement)

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            rows = list(exporter.export_rows(db.session, sa.select(Applicant), None))
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
    assert len(rows) == 6
    assert len(statements) <= 4  # people, cases, needs, and the empty next batch


def test_the_xlsx_download_is_a_workbook_of_the_same_columns(login_as, factories):
    agency = factories.organisation(OrganisationKind.AGENCY)
    factories.applicant(agency=agency, family_name="ALPHA")
    client = login_as(Role.SUPERVISOR, organisation=agency)
    response = client.get("/applicants/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data()), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == COLUMNS
    assert rows[1][COLUMNS.index("family_name")] == "ALPHA"
    assert client.get("/applicants/export.pdf").status_code == 404
