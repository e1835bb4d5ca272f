"""The audit trail: what is recorded, the hash chain, tamper detection, the audit page."""

from __future__ import annotations

from itertools import pairwise

import pytest
import sqlalchemy as sa

from casemgr.audit.models import AuditEvent
from casemgr.audit.services import AuditAction, record, verify_chain
from casemgr.auth.models import Role
from casemgr.extensions import db
from tests.conftest import log_in, post_form


def actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.execute(sa.select(AuditEvent.action).order_by(AuditEvent.id))
                    .scalars())


def test_logins_failures_lockouts_logouts_and_changes_are_recorded(app, factories) -> None:
    user = factories.user(Role.CASEWORKER)
    client = app.test_client()
    log_in(client, "nobody", "whatever-password")
    for _ in range(10):
        log_in(client, user.username, "wrong-password-1")
    recorded = actions(app)
    assert recorded[:2] == ["organisation.created", "user.created"]
    assert recorded.count("auth.login_failed") == 11
    assert "auth.lockout" in recorded
    with app.app_context():
        unknown = db.session.execute(sa.select(AuditEvent).where(
            AuditEvent.action == "auth.login_failed").order_by(AuditEvent.id)).scalars().first()
        assert unknown.actor_id is None
        assert unknown.details == {"username": "nobody", "reason": "unknown_user"}
        assert unknown.ip_address == "127.0.0.1"


def test_chain_verifies_and_links_every_event(app, factories) -> None:
    factories.user()
    log_in(app.test_client(), "nobody", "whatever-password")
    with app.app_context():
        report = verify_chain(db.session)
        events = db.session.execute(sa.select(AuditEvent).order_by(AuditEvent.id)).scalars().all()
    assert report.intact and report.events == len(events) == 3
    assert events[0].prev_hash == "0" * 64
    assert all(later.prev_hash == earlier.hash for earlier, later in pairwise(events))


def tamper(app, statement) -> None:
    """Change the table behind the application's back, as an intruder with SQL access would."""
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(statement)


def test_a_changed_row_is_detected(app, factories, runner) -> None:
    factories.user()
    factories.user()
    with app.app_context():
        second = db.session.execute(sa.select(AuditEvent.id).order_by(AuditEvent.id)
                                    .offset(1).limit(1)).scalar_one()
    tamper(app, sa.update(AuditEvent.__table__).where(AuditEvent.__table__.c.id == second)
           .values(details={"username": "someone-else"}))
    with app.app_context():
        report = verify_chain(db.session)
    assert (report.intact, report.broken_at, report.events) == (False, second, 1)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"audit chain broken at event {second}" in result.output


def test_a_removed_row_is_detected(app, factories) -> None:
    factories.user()
    factories.user()
    with app.app_context():
        ids = list(db.session.execute(sa.select(AuditEvent.id).order_by(AuditEvent.id)).scalars())
    tamper(app, sa.delete(AuditEvent.__table__).where(AuditEvent.__table__.c.id == ids[1]))
    with app.app_context():
        report = verify_chain(db.session)
    assert report.broken_at == ids[2]
    assert report.problem == "does not link to the event before it"


def test_the_orm_refuses_to_change_or_delete_events(app) -> None:
    with app.app_context():
        record(db.session, AuditAction.AUDIT_VERIFIED)
        db.session.commit()
        event = db.session.execute(
            sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).scalar_one()
        event.action = "something.else"
        with pytest.raises(RuntimeError, match="append-only"):
            db.session.flush()
        db.session.rollback()
        db.session.delete(event)
        with pytest.raises(RuntimeError, match="append-only"):
            db.session.flush()
        db.session.rollback()


def test_audit_page_filters_paginates_and_records_its_use(app, login_as, factories) -> None:
    auditor = login_as(Role.AUDITOR)
    worker = factories.user(Role.CASEWORKER)
    log_in(app.test_client(), worker.username, "wrong-password-1")
    html = auditor.get(f"/admin/audit?actor={worker.username}&action=auth.login_failed"
                       ).get_data(as_text=True)
    rows = html.split("<tbody>")[1].split("</tbody>")[0]
    assert rows.count("<tr>") == 1
    assert "Failed login" in rows
    html = auditor.get("/admin/audit?date_from=2030-01-02&date_to=2030-01-01").get_data(
        as_text=True)
    assert "The end date is before the start date." in html
    with app.app_context():
        viewed = db.session.execute(sa.select(AuditEvent).where(
            AuditEvent.action == "audit.viewed").order_by(AuditEvent.id)).scalars().first()
        assert viewed.details["filters"] == {"actor": worker.username,
                                             "action": "auth.login_failed"}
    app.config["PAGE_SIZE"] = 2
    html = auditor.get("/admin/audit?page=2").get_data(as_text=True)
    assert 'rel="prev"' in html


def test_verify_button_reports_the_result(app, login_as) -> None:
    auditor = login_as(Role.AUDITOR)
    response = post_form(auditor, "/admin/audit/verify", page="/admin/audit",
                         follow_redirects=True)
    assert "Audit chain intact:" in response.get_data(as_text=True)
    assert actions(app)[-2] == "audit.verified"
