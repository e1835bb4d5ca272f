"""Shared helpers for the case tests: putting a case into any status through the real state
machine, reading it back from the database, and using the case page like a browser."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from casemgr import localtime
from casemgr.audit.models import AuditEvent
from casemgr.auth.models import Organisation
from casemgr.cases import services
from casemgr.cases.models import Case, CaseEvent, CaseStatus
from casemgr.extensions import db
from tests.conftest import CSRF_PATTERN
from tests.factories import Factories

S = CaseStatus

# How a case reaches each status: where it is lodged, then the steps after lodging.
PATHS: dict[CaseStatus, tuple[str, tuple[CaseStatus, ...]]] = {
    S.REFERRAL_PENDING: ("port_of_entry", ()),
    S.NOT_REFERRED: ("port_of_entry", (S.NOT_REFERRED,)),
    S.REFERRAL_LITIGATION: ("port_of_entry", (S.NOT_REFERRED, S.REFERRAL_LITIGATION)),
    S.FIRST_INSTANCE: ("in_country", ()),
    S.RECOGNIZED: ("in_country", (S.RECOGNIZED,)),
    S.HUMANITARIAN: ("in_country", (S.HUMANITARIAN,)),
    S.REJECTED: ("in_country", (S.REJECTED,)),
    S.OBJECTION: ("in_country", (S.REJECTED, S.OBJECTION)),
    S.LITIGATION: ("in_country", (S.REJECTED, S.LITIGATION)),
    S.WITHDRAWN: ("in_country", (S.WITHDRAWN,)),
    S.TERMINATED: ("in_country", (S.TERMINATED,)),
    S.CLOSED: ("in_country", (S.REJECTED, S.CLOSED)),
}


def app_today(app: Flask) -> date:
    """Today as the application counts it (legal deadlines are in local days)."""
    with app.app_context():
        return localtime.today()


@contextmanager
def session_of(app: Flask) -> Iterator[Session]:
    """A database session in a short application context (closed before any request)."""
    with app.app_context():
        yield db.session


def make_case(app: Flask, factories: Factories, status: CaseStatus | str = S.FIRST_INSTANCE,
              *, lodged_on: date | None = None, agency: Organisation | None = None,
              share_with: Organisation | None = None, **person: Any) -> int:
    """A person with one case driven into `status` by the system (actor None), one day per
    step after lodging; returns the case id."""
    lodged_at, path = PATHS[CaseStatus(status)]
    today = app_today(app)
    lodged_on = lodged_on or today - timedelta(days=40)
    applicant = factories.applicant(
        agency=agency, lodged_on=lodged_on, lodged_at=lodged_at, share_with=share_with,
        port_of_entry="ICN" if lodged_at == "port_of_entry" else None, **person)
    case_id = applicant.cases[0].id
    if path:
        with session_of(app) as session:
            case = session.get_one(Case, case_id)
            for days, target in enumerate(path, start=1):
                services.transition_case(
                    session, case, to=target, effective_date=lodged_on + timedelta(days=days),
                    reason=f"Test step to {target}", actor=None, today=today)
            session.commit()
    return case_id


@dataclass(frozen=True)
class Snapshot:
    """What a refused request must leave untouched."""

    status: CaseStatus
    version: int
    events: int
    next_due_on: date | None


def snapshot(app: Flask, case_id: int) -> Snapshot:
    with session_of(app) as session:
        case = session.get_one(Case, case_id)
        events = session.execute(sa.select(sa.func.count()).select_from(CaseEvent)
                                 .where(CaseEvent.case_id == case_id)).scalar_one()
        return Snapshot(case.status, case.version, events, case.next_due_on)


def case_values(app: Flask, case_id: int, *names: str) -> dict[str, Any]:
    """Columns of the stored case, read in a fresh session."""
    with session_of(app) as session:
        case = session.get_one(Case, case_id)
        return {name: getattr(case, name) for name in names}


def last_event(app: Flask, case_id: int) -> dict[str, Any]:
    with session_of(app) as session:
        event = session.execute(sa.select(CaseEvent).where(CaseEvent.case_id == case_id)
                                .order_by(CaseEvent.id.desc()).limit(1)).scalar_one()
        return {"from_status": event.from_status, "to_status": event.to_status,
                "outcome": event.outcome, "effective_date": event.effective_date,
                "notice_served_on": event.notice_served_on, "reason": event.reason,
                "actor_id": event.actor_id}


def audit_actions(app: Flask) -> list[str]:
    with session_of(app) as session:
        return list(session.execute(sa.select(AuditEvent.action).order_by(AuditEvent.id))
                    .scalars())


def last_audit(app: Flask, action: str) -> AuditEvent | None:
    with session_of(app) as session:
        event = session.execute(sa.select(AuditEvent).where(AuditEvent.action == action)
                                .order_by(AuditEvent.id.desc()).limit(1)).scalar_one_or_none()
        if event is not None:
            session.expunge(event)
        return event


# --- the case page, as a browser uses it -------------------------------------------------------

VERSION_PATTERN = re.compile(r'name="version" type="hidden" value="(\d+)"')
TAG = re.compile(r"<[^>]+>")


def text(response: Any) -> str:
    """The page as a person reads it: no tags, entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(TAG.sub(" ", response.get_data(as_text=True))).split())


def says(response: Any, message: str) -> bool:
    """Whether the page shows `message` (compared as read, whitespace collapsed)."""
    return " ".join(message.split()) in text(response).replace(" :", ":").replace(" .", ".")


@dataclass(frozen=True)
class OpenPage:
    """A case page as loaded in a browser tab: its CSRF token and the record version."""

    html: str
    token: str
    version: int | None


def open_page(client: Any, case_id: int) -> OpenPage:
    response = client.get(f"/cases/{case_id}")
    assert response.status_code == 200, response.status_code
    page = response.get_data(as_text=True)
    token = CSRF_PATTERN.search(page)
    assert token, "no csrf_token on the case page"
    version = VERSION_PATTERN.search(page)
    return OpenPage(page, token.group(1) or token.group(2),
                    int(version.group(1)) if version else None)


def post_from(client: Any, page: OpenPage, url: str, data: dict[str, Any]) -> Any:
    """Submit a form of an already opened page (its token and version as they were)."""
    values = {"csrf_token": page.token, **data}
    if page.version is not None:
        values.setdefault("version", page.version)
    return client.post(url, data={k: _form_value(v) for k, v in values.items()
                                  if v is not None})


def _form_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def submit(client: Any, case_id: int, form: str, data: dict[str, Any]) -> Any:
    """Open the case page, then post one of its forms (transition, extension, assignment,
    notes) with the token and version the page carried."""
    return post_from(client, open_page(client, case_id), f"/cases/{case_id}/{form}", data)
