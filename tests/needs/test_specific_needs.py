"""Specific needs (UNHCR codes) on the person: recorded and removed, and the sensitive codes
SV, TR and SM-MI shown only to agency roles and the NGO representing the person — on the
person page, the needs page and the list — never to another NGO the file is shared with."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from casemgr.auth.models import OrganisationKind, Role
from tests.cases.helpers import S, last_audit, make_case, text
from tests.conftest import post_form
from tests.needs.helpers import applicant_of, codes_of, set_representing, specific, today


@pytest.fixture
def world(app, factories, login_as):
    """A person with a visible code (SC-UC) and two sensitive ones (TR-PI, SM-MI), whose
    file is shared with two NGOs; only the first represents their case."""
    agency = factories.organisation(OrganisationKind.AGENCY)
    representing = factories.organisation(OrganisationKind.NGO)
    other = factories.organisation(OrganisationKind.NGO)
    case_id = make_case(app, factories, S.FIRST_INSTANCE, agency=agency,
                        share_with=representing)
    applicant_id = applicant_of(app, case_id)
    factories.share(SimpleNamespace(id=applicant_id), other)
    set_representing(app, case_id, representing.id)
    recorder = factories.user(Role.CASEWORKER, organisation=agency)
    for code in ("SC-UC", "TR-PI", "SM-MI"):
        specific(app, applicant_id, code, actor=recorder)
    return {
        "applicant_id": applicant_id, "case_id": case_id,
        "caseworker": login_as(Role.CASEWORKER, organisation=agency),
        "supervisor": login_as(Role.SUPERVISOR, organisation=agency),
        "representing": login_as(Role.LEGAL_AID, organisation=representing),
        "other": login_as(Role.LEGAL_AID, organisation=other),
    }


SENSITIVE = ("TR-PI", "SM-MI")


def shown(response) -> list[str]:
    page = text(response)
    return [code for code in ("SC-UC", "TR-PI", "SM-MI") if code in page]


@pytest.mark.parametrize("who", ["caseworker", "supervisor", "representing"])
def test_agency_roles_and_the_representing_ngo_see_sensitive_needs(world, who) -> None:
    client, applicant_id = world[who], world["applicant_id"]
    assert shown(client.get(f"/applicants/{applicant_id}")) == ["SC-UC", "TR-PI", "SM-MI"]
    assert shown(client.get(f"/applicants/{applicant_id}/needs")) == [
        "SC-UC", "TR-PI", "SM-MI"]
    assert shown(client.get("/needs/specific")) == ["SC-UC", "TR-PI", "SM-MI"]
    assert shown(client.get("/needs/specific?category=TR")) == ["TR-PI"]


def test_an_ngo_that_does_not_represent_the_person_never_sees_them(world) -> None:
    other, applicant_id = world["other"], world["applicant_id"]
    assert shown(other.get(f"/applicants/{applicant_id}")) == ["SC-UC"]
    needs_page = other.get(f"/applicants/{applicant_id}/needs")
    assert shown(needs_page) == ["SC-UC"]
    assert "TR-PI" not in needs_page.get_data(as_text=True)  # not even in the code choices
    assert shown(other.get("/needs/specific")) == ["SC-UC"]
    assert shown(other.get("/needs/specific?category=TR")) == []


def test_representation_moving_elsewhere_hides_them_at_once(world) -> None:
    representing, applicant_id = world["representing"], world["applicant_id"]
    set_representing(representing.application, world["case_id"], None)
    assert shown(representing.get(f"/applicants/{applicant_id}")) == ["SC-UC"]
    assert shown(representing.get("/needs/specific")) == ["SC-UC"]


def test_an_ngo_that_cannot_see_a_sensitive_code_cannot_record_one(app, world) -> None:
    other, applicant_id = world["other"], world["applicant_id"]
    url = f"/applicants/{applicant_id}/needs/specific"
    refused = post_form(other, url, {"code": "SV-VA", "identified_on": today(app).isoformat()},
                        page=f"/applicants/{applicant_id}/needs")
    assert refused.status_code == 200 and "Not a valid choice." in text(refused)
    assert "SV-VA" not in codes_of(app, applicant_id)
    accepted = post_form(world["representing"], url, {
        "code": "SV-VA", "identified_on": today(app).isoformat()},
        page=f"/applicants/{applicant_id}/needs")
    assert accepted.status_code == 302
    assert "SV-VA" in codes_of(app, applicant_id)


def test_the_service_refuses_a_sensitive_code_without_disclosing_duplicates(app, world
                                                                           ) -> None:
    from casemgr.applicants.models import Applicant
    from casemgr.auth.models import User
    from casemgr.exceptions import ValidationFailed
    from casemgr.needs import services
    from tests.cases.helpers import session_of

    with session_of(app) as session:
        with pytest.raises(ValidationFailed) as refused:
            services.record_specific_need(
                session, session.get_one(Applicant, world["applicant_id"]), code="TR-PI",
                identified_on=today(app), note="", today=today(app),
                actor=session.get_one(User, world["other"].user.id))
        assert "already recorded" not in str(refused.value)
        assert "representing this person" in str(refused.value)


def test_recording_a_need_is_audited_without_naming_sensitive_codes(app, world) -> None:
    caseworker, applicant_id = world["caseworker"], world["applicant_id"]
    url = f"/applicants/{applicant_id}/needs/specific"
    page = f"/applicants/{applicant_id}/needs"
    post_form(caseworker, url, {"code": "SV-VO", "identified_on": today(app).isoformat(),
                                "note": "Disclosed during the interview."}, page=page)
    event = last_audit(app, "need.specific_recorded")
    assert event.details == {"sensitive": True}
    assert event.applicant_id == applicant_id
    post_form(caseworker, url, {"code": "DS-PM", "identified_on": today(app).isoformat()},
              page=page)
    assert last_audit(app, "need.specific_recorded").details == {"code": "DS-PM"}


@pytest.mark.parametrize(("data", "message"), [
    ({"code": "XX-YY"}, "Not a valid choice."),
    ({"code": "SC-UC"}, "This need is already recorded for the person."),
    ({"code": "DS-PM", "identified_on": "2999-01-01"}, "The date is in the future."),
    ({"code": "DS-PM", "identified_on": ""}, "This field is required."),
    ({"code": "DS-PM", "note": "x" * 2001}, "Field cannot be longer than 2000 characters."),
])
def test_bad_specific_needs_are_refused(app, world, data, message) -> None:
    applicant_id = world["applicant_id"]
    before = codes_of(app, applicant_id)
    response = post_form(world["caseworker"], f"/applicants/{applicant_id}/needs/specific",
                         {"identified_on": today(app).isoformat(), **data},
                         page=f"/applicants/{applicant_id}/needs")
    assert response.status_code == 200
    assert message in text(response)
    assert codes_of(app, applicant_id) == before


def test_a_code_recorded_by_mistake_is_removed_by_agency_staff(app, world) -> None:
    from casemgr.needs.models import SpecificNeed
    from tests.cases.helpers import session_of

    applicant_id = world["applicant_id"]
    with session_of(app) as session:
        need_id = session.execute(sa.select(SpecificNeed.id).where(
            SpecificNeed.applicant_id == applicant_id, SpecificNeed.code == "SC-UC")).scalar()
    url = f"/applicants/{applicant_id}/needs/specific/{need_id}/remove"
    page = f"/applicants/{applicant_id}/needs"
    assert post_form(world["representing"], url, page=page).status_code == 403
    assert post_form(world["caseworker"], url, page=page).status_code == 302
    assert codes_of(app, applicant_id) == ["SM-MI", "TR-PI"]
    assert last_audit(app, "need.specific_removed").details == {"code": "SC-UC"}


def test_viewing_a_persons_needs_page_is_audited_with_the_person(app, world) -> None:
    applicant_id = world["applicant_id"]
    assert world["other"].get(f"/applicants/{applicant_id}/needs").status_code == 200
    event = last_audit(app, "need.person_viewed")
    assert event.object_type == "applicant" and event.applicant_id == applicant_id


def test_people_outside_the_scope_are_404(app, factories, world) -> None:
    stranger = applicant_of(app, make_case(app, factories, S.FIRST_INSTANCE))
    for who in ("caseworker", "other"):
        assert world[who].get(f"/applicants/{stranger}/needs").status_code == 404
