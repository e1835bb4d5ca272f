"""Auditors filter the log by person and download it as CSV with its hashes."""

from __future__ import annotations

import csv
import io
import json

import sqlalchemy as sa

from casemgr.audit.models import AuditEvent
from casemgr.auth.models import OrganisationKind, Role
from casemgr.extensions import db


def download(client, **filters) -> list[dict[str, str]]:
    response = client.get("/admin/audit/export.csv", query_string=filters)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_the_csv_holds_every_event_oldest_first_with_hashes(app, login_as) -> None:
    auditor = login_as(Role.AUDITOR)
    rows = download(auditor)
    with app.app_context():
        stored = db.session.execute(sa.select(AuditEvent).order_by(AuditEvent.id)).scalars()
        expected = [(event.id, event.action, event.hash) for event in stored]
    # the export's own event was recorded before the download began
    assert [(int(r["id"]), r["action"], r["hash"]) for r in rows] == expected
    assert rows[-1]["action"] == "audit.exported"
    assert all(rows[i]["hash"] == rows[i + 1]["prev_hash"] for i in range(len(rows) - 1))


def test_filters_apply_to_the_download_and_are_audited(app, login_as, factories) -> None:
    agency = factories.organisation(OrganisationKind.AGENCY)
    person = factories.applicant(agency=agency)
    other = factories.applicant(agency=agency)
    worker = login_as(Role.CASEWORKER, organisation=agency)
    assert worker.get(f"/applicants/{person.id}").status_code == 200
    assert worker.get(f"/applicants/{other.id}").status_code == 200
    auditor = login_as(Role.AUDITOR)
    rows = download(auditor, person=person.registration_no)
    assert rows, "the person's registration and view are in the log"
    assert {row["applicant_id"] for row in rows} == {str(person.id)}
    assert "applicant.viewed" in {row["action"] for row in rows}
    viewed = download(auditor, person=person.registration_no, actor=worker.user.username)
    assert {row["actor_name"] for row in viewed} == {worker.user.username}
    with app.app_context():
        event = db.session.execute(sa.select(AuditEvent).where(
            AuditEvent.action == "audit.exported").order_by(AuditEvent.id.desc())
        ).scalars().first()
    assert event.actor_name == auditor.user.username
    assert event.details == {"filters": {"person": person.registration_no,
                                         "actor": worker.user.username}}
    assert json.loads(rows[0]["details"]) is not None


def test_the_page_filters_by_person_and_links_the_download(login_as, factories) -> None:
    person = factories.applicant()
    auditor = login_as(Role.AUDITOR)
    page = auditor.get("/admin/audit", query_string={"person": person.registration_no})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f"/admin/audit/export.csv?person={person.registration_no}" in html
    assert "applicant.registered" in html or "Applicant registered" in html
