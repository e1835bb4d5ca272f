"""Import from the web: upload, the validation report, confirm or cancel; the uploaded
file does not outlive the import."""

from __future__ import annotations

import io
from pathlib import Path

import sqlalchemy as sa

from casemgr.applicants.models import Applicant
from casemgr.audit.models import AuditEvent
from casemgr.auth.models import OrganisationKind, Role
from casemgr.extensions import db
from tests.conftest import csrf_token
from tests.exchange.conftest import counts
from tests.exchange.helpers import PEOPLE, csv_text, row


def _upload(client, text: str, name: str = "people.csv"):
    token = csrf_token(client, "/applicants/import")
    return client.post("/applicants/import", data={
        "csrf_token": token, "file": (io.BytesIO(text.encode()), name)},
        content_type="multipart/form-data")


def _uploads(app) -> list[Path]:
    return list((Path(app.instance_path) / "imports").glob("*.*"))


def test_upload_report_confirm(app, login_as, factories):
    agency = factories.organisation(OrganisationKind.AGENCY)
    client = login_as(Role.CASEWORKER, organisation=agency)
    assert "/applicants/import" in client.get("/applicants").get_data(as_text=True)
    response = _upload(client, csv_text(PEOPLE))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/applicants/import/report")
    assert len(_uploads(app)) == 1
    report = client.get("/applicants/import/report").get_data(as_text=True)
    assert "6 applicants, 6 cases" in report
    assert counts(app)["applicants"] == 0
    response = client.post("/applicants/import/confirm", data={
        "csrf_token": csrf_token(client, "/applicants/import/report")})
    assert response.status_code == 302
    assert "Imported 6 applicants, 6 cases." in client.get("/applicants").get_data(
        as_text=True)
    assert _uploads(app) == []
    with app.app_context():
        assert set(db.session.execute(sa.select(Applicant.agency_id)).scalars()) == {agency.id}
        imported = db.session.execute(sa.select(AuditEvent).where(
            AuditEvent.action == "applicant.imported")).scalar_one()
        assert imported.actor_name == client.user.username
        assert imported.details["applicants"] == 6
    # the file is gone: confirming again imports nothing
    client.post("/applicants/import/confirm", data={
        "csrf_token": csrf_token(client, "/applicants/import")})
    assert counts(app)["applicants"] == 6


def test_report_lists_problems_by_row_and_offers_no_confirm(app, login_as, factories):
    client = login_as(Role.SUPERVISOR)
    _upload(client, csv_text([row(), row(sex="Q", nationality="ZZZ")]))
    report = client.get("/applicants/import/report").get_data(as_text=True)
    assert "Use one of: F, M, X, U." in report
    assert "<code>nationality</code>" in report
    assert "/applicants/import/confirm" not in report
    client.post("/applicants/import/cancel", data={
        "csrf_token": csrf_token(client, "/applicants/import/report")})
    assert _uploads(app) == []
    assert counts(app)["applicants"] == 0


def test_upload_refuses_other_files_and_large_ones(app, login_as):
    client = login_as(Role.CASEWORKER)
    response = _upload(client, "x", name="people.txt")
    assert response.status_code == 200
    assert "Use a .csv or .xlsx file." in response.get_data(as_text=True)
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = _upload(client, csv_text(PEOPLE * 5))
    assert response.status_code == 413
    assert "larger than allowed" in response.get_data(as_text=True)
    assert _uploads(app) == []


def test_upload_without_csrf_is_refused(login_as):
    client = login_as(Role.CASEWORKER)
    response = client.post("/applicants/import", data={
        "file": (io.BytesIO(b"a"), "people.csv")}, content_type="multipart/form-data")
    assert response.status_code == 400
