"""Shared helpers for the applicant tests: a valid registration form, counting rows and SQL
statements, reading field errors and audit events back from the real database."""

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

from casemgr.applicants.models import Applicant, DuplicateDismissal
from casemgr.applicants.services import LodgingData, PersonData, register_applicant
from casemgr.audit.models import AuditEvent
from casemgr.auth.models import Organisation, Role, User
from casemgr.auth.services import create_user
from casemgr.cases.models import Case, CaseEvent, CaseStatus
from casemgr.cases.services import transition_case, update_assignment
from casemgr.cases.transitions import summarise
from casemgr.extensions import db
from tests.conftest import post_form
from tests.factories import PASSWORD, letters

REGISTER_URL = "/applicants/new"
LODGED_ON = date(2025, 3, 10)


def registration(**overrides: Any) -> dict[str, Any]:
    """A valid registration form as a browser sends it (§3 field names); None drops a field."""
    data: dict[str, Any] = {
        "family_name": "PETROVA",
        "given_names": "Anna",
        "native_name": "Петрова Анна",
        "sex": "F",
        "date_of_birth": "1988-11-02",
        "nationality": "RUS",
        "languages": ["rus", "eng"],
        "interpreter_needed": "y",
        "arrival_date": "2025-03-01",
        "port_of_entry": "",
        "family_group": "",
        "relationship": "",
        "lodged_on": LODGED_ON.isoformat(),
        "lodged_at": "in_country",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def register(client: Any, **overrides: Any) -> Any:
    """POST the registration form (with the page's CSRF token)."""
    return post_form(client, REGISTER_URL, registration(**overrides))


def submit_register(client: Any, data: dict[str, Any]) -> Any:
    return post_form(client, REGISTER_URL, data)


@dataclass(frozen=True)
class Counts:
    applicants: int
    cases: int
    case_events: int
    audit_events: int
    dismissals: int


def counts(app: Flask) -> Counts:
    """How many rows the tables that registration writes to hold."""
    with app.app_context():
        def count(model: Any) -> int:
            return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()

        return Counts(count(Applicant), count(Case), count(CaseEvent), count(AuditEvent),
                      count(DuplicateDismissal))


def page_text(response: Any) -> str:
    return response.get_data(as_text=True)


def field_error(response: Any, field_id: str) -> str | None:
    """The message shown under one input (the `field` macro's invalid-feedback), unescaped."""
    match = re.search(rf'<div class="invalid-feedback" id="{re.escape(field_id)}-error">'
                      r"(.*?)</div>", page_text(response), re.S)
    return html.unescape(match.group(1)).strip() if match else None


def field_errors(response: Any) -> dict[str, str]:
    """Every field with a message on the page, by input id."""
    return {field_id: html.unescape(message).strip() for field_id, message in re.findall(
        r'<div class="invalid-feedback" id="([^"]+)-error">(.*?)</div>', page_text(response),
        re.S)}


def audit_events(app: Flask, action: str | None = None, **where: Any) -> list[AuditEvent]:
    """The trail (oldest first), optionally one action only, detached for reading."""
    with app.app_context():
        query = sa.select(AuditEvent).order_by(AuditEvent.id)
        if action is not None:
            query = query.where(AuditEvent.action == action)
        for name, value in where.items():
            query = query.where(getattr(AuditEvent, name) == value)
        events = db.session.execute(query).scalars().all()
        db.session.expunge_all()
        return list(events)


def applicants(app: Flask, **where: Any) -> list[Applicant]:
    """The applicants (by id) with their cases, aliases and sharing loaded, detached."""
    with app.app_context():
        query = sa.select(Applicant).order_by(Applicant.id)
        for name, value in where.items():
            query = query.where(getattr(Applicant, name) == value)
        found = db.session.execute(query).scalars().all()
        for applicant in found:
            for case in applicant.cases:
                list(case.events)
            list(applicant.aliases)
            list(applicant.sharing)
        db.session.expunge_all()
        return list(found)


def reject_case(app: Flask, case_id: int, on: date) -> None:
    """Decide a first-instance case negatively through the case service (a finished case)."""
    with app.app_context():
        case = db.session.get_one(Case, case_id)
        transition_case(db.session, case, to=CaseStatus.REJECTED, effective_date=on,
                        notice_served_on=on, reason="Not a refugee", actor=None)
        db.session.commit()


def assign_case(app: Flask, case_id: int, assignee_id: int, *, actor_id: int) -> None:
    """Give a case to a caseworker through the case service (as a supervisor would)."""
    with app.app_context():
        case = db.session.get_one(Case, case_id)
        update_assignment(db.session, case, version=case.version,
                          assigned_to=db.session.get_one(User, assignee_id),
                          representing_org=case.representing_org,
                          actor=db.session.get_one(User, actor_id))
        db.session.commit()


@contextmanager
def counting_queries(app: Flask) -> Iterator[list[str]]:
    """Collect the SQL statements the app's engine runs inside the block."""
    statements: list[str] = []

    def before_cursor_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", before_cursor_execute)


def selected(html: str, name: str) -> list[str]:
    """The values of the options selected in one <select> of the page."""
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, name
    return [re.search(r'value="([^"]*)"', option).group(1) for option in re.findall(
        r"<option[^>]*\bselected\b[^>]*>", select.group(1))]


def listed_numbers(response: Any) -> list[str]:
    """The registration numbers in the applicant list, in the order shown."""
    return re.findall(r'<td><a href="/applicants/\d+">([^<]+)</a></td>', page_text(response))


def make_applicants(app: Flask, agency: Organisation, count: int, *, start: int = 0,
                    assign: bool = False, **person: Any) -> list[int]:
    """`count` people registered through the service in one transaction (for long lists):
    BULKAAA, BULKAAB, ..., lodged a day apart from 2025-01-01; with `assign`, each case is
    held by a caseworker of its own (so a list that loads caseworkers one by one shows)."""
    with app.app_context():
        registering = db.session.get_one(Organisation, agency.id)
        ids = []
        for number in range(start, start + count):
            assigned_to_id = None
            if assign:
                assigned_to_id = create_user(
                    db.session, username=f"holder{number:03d}", role=Role.CASEWORKER,
                    organisation=registering, password=PASSWORD, full_name=f"Holder {number}",
                    actor=None).id
            values = {"family_name": f"BULK{letters(number).rjust(3, 'A')}", "given_names": "Test",
                      "native_name": f"Тест {number}", "sex": "F",
                      "date_of_birth": f"{1940 + number % 60}-01-01", "nationality": "SYR",
                      **person}
            applicant = register_applicant(
                db.session, PersonData(**values),
                LodgingData(lodged_on=date(2025, 1, 1) + timedelta(days=number),
                            lodged_at="in_country"),
                actor=None, agency=registering)
            if assigned_to_id is not None:
                applicant.cases[0].assigned_to_id = assigned_to_id
                summarise(applicant, applicant.cases[0])
            ids.append(applicant.id)
        db.session.commit()
        return ids
