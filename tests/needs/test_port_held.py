"""A person held at a port of entry (lodged there, referral pending or refused) is offered
LP-DA and shelter and food needs; nothing is recorded until a user confirms with one
button, and what exists already is not offered again."""

from __future__ import annotations

import pytest

from casemgr.auth.models import OrganisationKind, Role
from casemgr.cases.models import Case
from casemgr.cases.services import transition_case
from tests.cases.helpers import S, app_today, last_audit, make_case, session_of, text
from tests.conftest import post_form
from tests.needs.helpers import applicant_of, assistance, codes_of, needs_of

OFFER = "held at the port of entry"


@pytest.fixture
def agency(factories):
    return factories.organisation(OrganisationKind.AGENCY)


@pytest.fixture
def caseworker(login_as, agency):
    return login_as(Role.CASEWORKER, organisation=agency)


def confirm(client, applicant_id: int):
    return post_form(client, f"/applicants/{applicant_id}/needs/port-held",
                     page=f"/applicants/{applicant_id}")


@pytest.mark.parametrize("status", [S.REFERRAL_PENDING, S.NOT_REFERRED])
def test_a_person_held_at_the_port_is_offered_the_needs_and_one_click_records_them(
        app, factories, caseworker, agency, status) -> None:
    applicant_id = applicant_of(app, make_case(app, factories, status, agency=agency))
    page = text(caseworker.get(f"/applicants/{applicant_id}"))
    assert OFFER in page
    assert "LP-DA Detained or held in the country of asylum" in page
    assert "Shelter" in page and "Food" in page
    caseworker.get(f"/applicants/{applicant_id}/needs")
    assert codes_of(app, applicant_id) == [] and needs_of(app, applicant_id) == []  # offered only
    response = confirm(caseworker, applicant_id)
    assert response.status_code == 302
    assert codes_of(app, applicant_id) == ["LP-DA"]
    assert needs_of(app, applicant_id) == [("food", "urgent", "open"),
                                           ("shelter", "urgent", "open")]
    assert OFFER not in text(caseworker.get(f"/applicants/{applicant_id}"))
    assert confirm(caseworker, applicant_id).status_code == 302  # twice: nothing doubles
    assert codes_of(app, applicant_id) == ["LP-DA"] and len(needs_of(app, applicant_id)) == 2
    assert last_audit(app, "need.opened").actor_name == caseworker.user.username


def test_only_what_is_missing_is_offered(app, factories, caseworker, agency) -> None:
    applicant_id = applicant_of(app, make_case(app, factories, S.REFERRAL_PENDING,
                                               agency=agency))
    assistance(app, applicant_id, actor=caseworker.user, category="shelter")
    page = text(caseworker.get(f"/applicants/{applicant_id}"))
    offered = page[page.find(OFFER):page.find("Record these needs")]
    assert "Food" in offered and "Shelter" not in offered
    confirm(caseworker, applicant_id)
    assert needs_of(app, applicant_id) == [("food", "urgent", "open"),
                                           ("shelter", "normal", "open")]


@pytest.mark.parametrize(("status", "lodged_at"), [(S.FIRST_INSTANCE, "in_country"),
                                                  (S.FIRST_INSTANCE, "port_of_entry"),
                                                  (S.REFERRAL_LITIGATION, "port_of_entry")])
def test_people_not_held_are_offered_nothing(app, factories, caseworker, agency, status,
                                             lodged_at) -> None:
    if lodged_at == "port_of_entry" and status == S.FIRST_INSTANCE:
        # Referred: lodged at the port, then let in.
        case_id = make_case(app, factories, S.REFERRAL_PENDING, agency=agency)
        with session_of(app) as session:
            transition_case(session, session.get_one(Case, case_id), to=S.FIRST_INSTANCE,
                            effective_date=app_today(app), reason="Referred.", actor=None,
                            today=app_today(app))
            session.commit()
    else:
        case_id = make_case(app, factories, status, agency=agency)
    applicant_id = applicant_of(app, case_id)
    assert OFFER not in text(caseworker.get(f"/applicants/{applicant_id}"))
    response = confirm(caseworker, applicant_id)
    assert response.status_code == 302
    assert "no longer held at a port" in text(caseworker.get(response.headers["Location"]))
    assert codes_of(app, applicant_id) == [] and needs_of(app, applicant_id) == []


def test_the_offer_needs_the_right_to_record_needs(app, factories, login_as, agency) -> None:
    applicant_id = applicant_of(app, make_case(app, factories, S.REFERRAL_PENDING,
                                               agency=agency))
    supervisor = login_as(Role.SUPERVISOR, organisation=agency)
    assert OFFER in text(supervisor.get(f"/applicants/{applicant_id}"))
    analyst = login_as(Role.ANALYST, organisation=agency)
    assert confirm(analyst, applicant_id).status_code == 403
    assert codes_of(app, applicant_id) == []
