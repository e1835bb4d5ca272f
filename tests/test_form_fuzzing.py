"""Property-based tests over every HTML form that writes (hypothesis): whatever a browser
sends, the app never answers 500, never stores a value other than the one validation
accepted, and never puts an unescaped `<script` on a page.

Each form starts from a valid submission and has its fields replaced by generated values:
arbitrary Unicode (control characters included), markup meant to break out of attributes
and elements, over-long strings, and broken dates and choices.
"""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from casemgr.applicants.models import Applicant
from casemgr.auth.models import OrganisationKind, Role, User
from casemgr.cases.models import CaseEvent
from casemgr.extensions import db
from casemgr.hearings.models import Hearing
from casemgr.needs.models import AssistanceNeed
from tests.applicants.helpers import REGISTER_URL, registration
from tests.cases.helpers import app_today, make_case, submit
from tests.conftest import post_form
from tests.hearings.helpers import form as hearing_form
from tests.needs.helpers import applicant_of

PAYLOADS = ['<script>alert(1)</script>', '"><script>alert(1)</script>',
            "'><img src=x onerror=alert(1)>", "</textarea><script>alert(1)</script>",
            "Robert'); DROP TABLE applicants;--", "\u202egnp.exe", "x" * 5000]
text = st.one_of(st.text(max_size=200), st.sampled_from(PAYLOADS),
                 st.builds("{}{}".format, st.text(max_size=20), st.sampled_from(PAYLOADS)))
junk = st.one_of(text, st.sampled_from(["", "2026-02-30", "9999-99-99", "-1", "0", "1e309",
                                        "rus;eng", "XXA", "in_country", "first_instance"]))


def mostly(valid: str) -> st.SearchStrategy[str]:
    """A valid value four times in five, so that submissions also get accepted and what
    was stored can be compared with what was sent."""
    return st.one_of(st.just(valid), st.just(valid), st.just(valid), st.just(valid), junk)


FUZZ = settings(max_examples=30, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def check_page(response: Any) -> str:
    """No 500, no traceback, and markup in the input came back escaped."""
    assert response.status_code < 500, response.status_code
    if currently_in_test_context():  # --hypothesis-show-statistics: how many got in
        event(f"answered {response.status_code}")
    page = response.get_data(as_text=True)
    assert "Traceback" not in page
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    return page


def one_line(value: str) -> str:
    return " ".join(value.split())


def count(app, model) -> int:
    with app.app_context():
        return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


@pytest.fixture
def caseworker(login_as):
    return login_as(Role.CASEWORKER)


@FUZZ
@given(family=mostly("PETROVA"), given_names=mostly("Anna"), native=text,
       dob=mostly("1988-11-02"), nationality=mostly("RUS"), group=text,
       lodged_on=mostly("2025-03-10"))
def test_registration(app, caseworker, family, given_names, native, dob, nationality, group,
                      lodged_on) -> None:
    before = count(app, Applicant)
    response = post_form(caseworker, REGISTER_URL, registration(
        family_name=family, given_names=given_names, native_name=native,
        date_of_birth=dob, nationality=nationality, family_group=group, lodged_on=lodged_on,
        duplicate_decision="new"))
    check_page(response)
    if response.status_code == 302:
        with app.app_context():
            person = db.session.execute(sa.select(Applicant).order_by(Applicant.id.desc())
                                        ).scalars().first()
            assert count(app, Applicant) == before + 1
            assert person.native_name in {native.strip(), None}
            assert (person.family_group or "") == group.strip()


@FUZZ
@given(to=mostly("withdrawn"), effective=mostly("today"), reason=text)
def test_case_transition(app, factories, caseworker, to, effective, reason) -> None:
    case_id = make_case(app, factories, agency=caseworker.user.organisation)
    effective = app_today(app).isoformat() if effective == "today" else effective
    response = submit(caseworker, case_id, "transition",
                      {"to": to, "effective_date": effective, "reason": reason})
    check_page(response)
    with app.app_context():
        events = db.session.execute(sa.select(CaseEvent).where(
            CaseEvent.case_id == case_id).order_by(CaseEvent.id)).scalars().all()
        if response.status_code == 302 and events[-1].reason != "Test step to first_instance":
            assert events[-1].reason == reason.strip()


@FUZZ
@given(location=st.one_of(st.just("Room 1"), text), interpreter=st.one_of(st.just(""), text),
       language=mostly(""), duration=mostly("60"),
       starts=mostly(""))
def test_hearing(app, factories, caseworker, location, interpreter, language, duration,
                 starts) -> None:
    case_id = make_case(app, factories, agency=caseworker.user.organisation)
    data = hearing_form(app, location=location, interpreter_name=interpreter,
                        interpreter_language=language, duration_minutes=duration)
    if starts:
        data["starts_at"] = starts
    response = post_form(caseworker, f"/cases/{case_id}/hearings/new", data)
    check_page(response)
    if response.status_code == 302:
        with app.app_context():
            hearing = db.session.execute(sa.select(Hearing).where(
                Hearing.case_id == case_id)).scalar_one()
            # one-line fields are stored with their whitespace collapsed, as validated
            assert hearing.location == one_line(location)
            assert (hearing.interpreter_name or "") == one_line(interpreter)


@FUZZ
@given(category=mostly("shelter"), priority=mostly("urgent"), due=mostly(""), note=text)
def test_need(app, factories, caseworker, category, priority, due, note) -> None:
    applicant_id = applicant_of(app, make_case(app, factories,
                                               agency=caseworker.user.organisation))
    response = post_form(caseworker, f"/applicants/{applicant_id}/needs/assistance", {
        "category": category, "priority": priority, "due_on": due, "note": note,
        "opened_on": app_today(app).isoformat(), "referred_to_org_id": ""},
        page=f"/applicants/{applicant_id}/needs")
    check_page(response)
    if response.status_code == 302:
        with app.app_context():
            need = db.session.execute(sa.select(AssistanceNeed).where(
                AssistanceNeed.applicant_id == applicant_id)).scalar_one()
            assert need.note == note.strip()


@pytest.fixture
def admin_and_agency(login_as, factories):
    return login_as(Role.ADMIN), factories.organisation(OrganisationKind.AGENCY)


@FUZZ
@given(username=st.one_of(st.from_regex(r"[a-z][a-z0-9._-]{2,20}", fullmatch=True), junk),
       full_name=text, role=mostly("caseworker"),
       password=st.one_of(st.just("a-long-enough-passphrase"), text))
def test_user(app, admin_and_agency, username, full_name, role, password) -> None:
    admin, agency = admin_and_agency
    response = post_form(admin, "/admin/users/new", {
        "username": username, "full_name": full_name, "role": role, "sex": "",
        "organisation_id": str(agency.id), "password": password, "version": "1"})
    check_page(response)
    if response.status_code == 302:
        with app.app_context():
            user = db.session.execute(sa.select(User).order_by(User.id.desc())).scalars().first()
            assert user.full_name == full_name.strip()


@FUZZ
@given(content=st.one_of(st.binary(max_size=2000), st.builds(
    lambda header, cell: f"{header}\n{cell},{cell}\n".encode(),
    st.sampled_from(["family_name,given_names", "registration_no,lodged_on", ""]), text)),
    name=st.sampled_from(["people.csv", "people.xlsx", "people.txt", "../../etc/passwd.csv"]))
def test_import_upload(app, caseworker, content, name) -> None:
    before = count(app, Applicant)
    response = post_form(caseworker, "/applicants/import", {"file": (io.BytesIO(content), name)},
                         content_type="multipart/form-data")
    check_page(response)
    if response.status_code == 302:
        check_page(caseworker.get(response.headers["Location"]))
    assert count(app, Applicant) == before  # nothing is written before the user confirms


def test_the_properties_found_nothing_by_luck(app, caseworker) -> None:
    """The payloads do reach a page: a rejected registration re-renders them, escaped."""
    response = post_form(caseworker, REGISTER_URL, registration(
        family_name=PAYLOADS[0], lodged_on=(app_today(app) + timedelta(days=9)).isoformat()))
    page = check_page(response)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
