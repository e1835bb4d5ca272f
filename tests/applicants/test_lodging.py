"""A new (subsequent) application for a person already registered: /applicants/<id>/cases/new.
Only once the previous application is decided, never before it ended, always with a port
when lodged at one, and only by the person's agency."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from casemgr.auth.models import OrganisationKind, Role
from casemgr.cases.models import ApplicationType, CaseStatus
from tests.applicants.helpers import (
    applicants,
    audit_events,
    counts,
    field_error,
    reject_case,
)
from tests.conftest import post_form

DECIDED = date(2025, 5, 2)


@pytest.fixture
def agency(factories):
    return factories.organisation(OrganisationKind.AGENCY)


@pytest.fixture
def caseworker(login_as, agency):
    return login_as(Role.CASEWORKER, organisation=agency)


@pytest.fixture
def person(factories, agency):
    return factories.applicant(agency=agency, lodged_on=date(2025, 1, 10), family_name="HASAN",
                               nationality="SYR", date_of_birth="1987")


def lodge(client, person, **data):
    url = f"/applicants/{person.id}/cases/new"
    return post_form(client, url, {"lodged_on": "2025-06-01", "lodged_at": "in_country",
                                   "port_of_entry": "", **data})


def test_the_page_offers_the_lodging_fields(caseworker, person) -> None:
    response = caseworker.get(f"/applicants/{person.id}/cases/new")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for name in ("lodged_on", "lodged_at", "port_of_entry"):
        assert f'name="{name}"' in html


def test_an_application_in_progress_blocks_a_new_one(app, caseworker, person) -> None:
    before = counts(app)
    response = lodge(caseworker, person)
    assert response.status_code == 200
    assert "already has an application in progress" in field_error(response, "lodged_on")
    assert counts(app) == before


def test_after_a_decision_a_subsequent_application_is_lodged(app, caseworker, person) -> None:
    reject_case(app, person.cases[0].id, on=DECIDED)
    response = lodge(caseworker, person)
    assert response.status_code == 302
    [found] = applicants(app, id=person.id)
    first, second = found.cases
    assert response.headers["Location"] == f"/cases/{second.id}"
    assert (second.application_type, second.status, second.lodged_on) == (
        ApplicationType.SUBSEQUENT, CaseStatus.FIRST_INSTANCE, date(2025, 6, 1))
    assert second.is_current and not first.is_current
    lodged = audit_events(app, "case.lodged", object_id=str(second.id))
    assert [(e.actor_id, e.applicant_id) for e in lodged] == [(caseworker.user.id, person.id)]
    assert lodged[0].details["application_type"] == "subsequent"


def test_a_subsequent_application_at_a_port_starts_with_the_referral(app, caseworker,
                                                                     person) -> None:
    reject_case(app, person.cases[0].id, on=DECIDED)
    response = lodge(caseworker, person, lodged_at="port_of_entry", port_of_entry="icn")
    assert response.status_code == 302
    case = applicants(app, id=person.id)[0].cases[-1]
    assert (case.status, case.port_of_entry) == (CaseStatus.REFERRAL_PENDING, "ICN")


def test_a_port_lodging_needs_a_port(app, caseworker, person) -> None:
    """The person arrived by land and has no port on record: the port must be given."""
    reject_case(app, person.cases[0].id, on=DECIDED)
    before = counts(app)
    response = lodge(caseworker, person, lodged_at="port_of_entry", port_of_entry=" ")
    assert response.status_code == 200
    assert "port of entry" in (field_error(response, "port_of_entry") or "")
    assert counts(app) == before


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"lodged_on": "2025-04-30"}, "lodged_on", "before the previous one ended"),
    ({"lodged_on": (date.today() + timedelta(days=30)).isoformat()}, "lodged_on", "future"),
    ({"lodged_on": "2025-02-30"}, "lodged_on", "Not a valid date"),
    ({"lodged_at": "sea"}, "lodged_at", "Not a valid choice"),
    ({"port_of_entry": "1"}, "port_of_entry", "IATA"),
])
def test_invalid_lodging_saves_nothing(app, caseworker, person, data, field, message) -> None:
    reject_case(app, person.cases[0].id, on=DECIDED)
    before = counts(app)
    response = lodge(caseworker, person, **data)
    assert response.status_code == 200
    assert message in (field_error(response, field) or "")
    assert counts(app) == before


def test_only_the_persons_agency_lodges(app, login_as, factories, person) -> None:
    ngo = factories.organisation(OrganisationKind.NGO)
    factories.share(person, ngo)
    reject_case(app, person.cases[0].id, on=DECIDED)
    url = f"/applicants/{person.id}/cases/new"
    lawyer = login_as(Role.LEGAL_AID, organisation=ngo)
    assert lawyer.get(url).status_code == 403
    outsider = login_as(Role.CASEWORKER)
    assert outsider.get(url).status_code == 404
    assert lodge(outsider, person).status_code == 404
    assert login_as(Role.ANALYST).get(url).status_code == 403
    assert len(applicants(app, id=person.id)[0].cases) == 1
