"""Who sees which people: NGOs only what was shared with them (and only while it is), agencies
only their own, analysts and auditors nobody. Outside the scope is 404, without the right 403;
lists and searches go through the same scope."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from casemgr.applicants.models import Applicant, SharingRecord
from casemgr.auth.models import OrganisationKind, Role, User
from casemgr.auth.policy import applicant_scope, in_scope
from casemgr.extensions import db
from tests.applicants.helpers import applicants, audit_events, listed_numbers, page_text
from tests.conftest import post_form


@pytest.fixture
def world(factories, login_as):
    agency = factories.organisation(OrganisationKind.AGENCY)
    ngo_a = factories.organisation(OrganisationKind.NGO)
    ngo_b = factories.organisation(OrganisationKind.NGO)
    shared_with_b = factories.applicant(agency=agency, share_with=ngo_b, family_name="ORLOVA",
                                        given_names="Vera", native_name="Орлова Вера")
    shared_with_a = factories.applicant(agency=agency, share_with=ngo_a, family_name="SOKOLOV",
                                        given_names="Ilya", date_of_birth="1975")
    return {
        "agency": agency, "ngo_a": ngo_a, "ngo_b": ngo_b,
        "hidden": shared_with_b, "visible": shared_with_a,
        "lawyer": login_as(Role.LEGAL_AID, organisation=ngo_a),
        "caseworker": login_as(Role.CASEWORKER, organisation=agency),
    }


def person_urls(applicant) -> list[str]:
    return [f"/applicants/{applicant.id}", f"/cases/{applicant.cases[0].id}"]


def test_an_ngo_sees_only_what_was_shared_with_it(world) -> None:
    lawyer, hidden, visible = world["lawyer"], world["hidden"], world["visible"]
    for url in person_urls(visible):
        assert lawyer.get(url).status_code == 200, url
    for url in [*person_urls(hidden), f"/applicants/{hidden.id}/edit",
                f"/applicants/{hidden.id}/access-log", f"/applicants/{hidden.id}/cases/new",
                f"/applicants/{hidden.id + 1000}", f"/cases/{hidden.cases[0].id + 1000}"]:
        assert lawyer.get(url).status_code == 404, url

    assert listed_numbers(lawyer.get("/applicants")) == [visible.registration_no]
    for query in ("ORLOVA", "Орлова Вера", "orlova vera", hidden.registration_no,
                  hidden.registration_no[:4]):
        response = lawyer.get(f"/applicants?q={quote(query)}")
        assert response.status_code == 200
        assert listed_numbers(response) == ([visible.registration_no]
                                            if query == hidden.registration_no[:4] else [])
        assert f'href="/applicants/{hidden.id}"' not in page_text(response)
        assert "ORLOVA Vera" not in page_text(response)


def test_a_404_for_a_record_outside_the_scope_says_nothing_about_it(world) -> None:
    lawyer, hidden = world["lawyer"], world["hidden"]
    inside = lawyer.get(f"/applicants/{hidden.id}")
    missing = lawyer.get("/applicants/987654")
    assert inside.status_code == missing.status_code == 404
    assert "ORLOVA" not in page_text(inside) and hidden.registration_no not in page_text(inside)


def test_sharing_opens_the_file_and_revoking_closes_it_again(app, world) -> None:
    lawyer, caseworker, hidden = world["lawyer"], world["caseworker"], world["hidden"]
    detail = f"/applicants/{hidden.id}"
    response = post_form(caseworker, f"{detail}/sharing",
                         {"organisation_id": world["ngo_a"].id}, page=detail)
    assert response.status_code == 302
    assert response.headers["Location"] == f"{detail}#sharing"

    for url in person_urls(hidden):
        assert lawyer.get(url).status_code == 200, url
    assert hidden.registration_no in listed_numbers(lawyer.get("/applicants"))
    assert listed_numbers(lawyer.get("/applicants?q=orlova")) == [hidden.registration_no]

    with app.app_context():
        sharing = db.session.execute(sa.select(SharingRecord).where(
            SharingRecord.applicant_id == hidden.id,
            SharingRecord.organisation_id == world["ngo_a"].id)).scalar_one()
        assert sharing.granted_by_id == caseworker.user.id and sharing.revoked_on is None
        sharing_id = sharing.id
    response = post_form(caseworker, f"{detail}/sharing/{sharing_id}/revoke", page=detail)
    assert response.status_code == 302

    for url in person_urls(hidden):
        assert lawyer.get(url).status_code == 404, url
    assert hidden.registration_no not in listed_numbers(lawyer.get("/applicants"))
    assert listed_numbers(lawyer.get("/applicants?q=orlova")) == []
    # NGO B's own sharing was never touched
    [person] = applicants(app, id=hidden.id)
    assert {(s.organisation_id, s.active) for s in person.sharing} == {
        (world["ngo_b"].id, True), (world["ngo_a"].id, False)}


def test_only_the_agency_manages_sharing(app, world) -> None:
    lawyer, visible = world["lawyer"], world["visible"]
    token_page = f"/applicants/{visible.id}"
    response = post_form(lawyer, f"/applicants/{visible.id}/sharing",
                         {"organisation_id": world["ngo_b"].id}, page="/account")
    assert response.status_code == 403
    response = post_form(lawyer, f"/applicants/{visible.id}/sharing/{visible.sharing[0].id}"
                         "/revoke", page="/account")
    assert response.status_code == 403
    assert lawyer.get(token_page).status_code == 200  # still shared
    [person] = applicants(app, id=visible.id)
    assert [(s.organisation_id, s.active) for s in person.sharing] == [(world["ngo_a"].id, True)]


def test_sharing_twice_or_with_an_agency_is_refused_with_a_message(app, world) -> None:
    caseworker, visible = world["caseworker"], world["visible"]
    detail = f"/applicants/{visible.id}"
    again = post_form(caseworker, f"{detail}/sharing", {"organisation_id": world["ngo_a"].id},
                      page=detail, follow_redirects=True)
    assert "already shared with this organisation" in page_text(again)
    agency = post_form(caseworker, f"{detail}/sharing",
                       {"organisation_id": world["agency"].id}, page=detail,
                       follow_redirects=True)
    assert "Not a valid choice" in page_text(agency)
    [person] = applicants(app, id=visible.id)
    assert len(person.sharing) == 1


def test_a_sharing_record_of_another_person_cannot_be_revoked_through_this_one(app, world
                                                                               ) -> None:
    caseworker, visible, hidden = world["caseworker"], world["visible"], world["hidden"]
    detail = f"/applicants/{visible.id}"
    response = post_form(caseworker, f"{detail}/sharing/{hidden.sharing[0].id}/revoke",
                         page=detail)
    assert response.status_code == 404
    assert all(s.active for s in applicants(app, id=hidden.id)[0].sharing)


def test_revoking_twice_is_harmless(app, world) -> None:
    caseworker, visible = world["caseworker"], world["visible"]
    detail = f"/applicants/{visible.id}"
    url = f"{detail}/sharing/{visible.sharing[0].id}/revoke"
    assert post_form(caseworker, url, page=detail).status_code == 302
    assert post_form(caseworker, url, page=detail).status_code == 302
    assert len(audit_events(app, "applicant.sharing_revoked")) == 1


def test_the_household_list_shows_only_members_in_scope(factories, world) -> None:
    """A shared principal's page must not reveal members whose files were not shared."""
    agency, lawyer = world["agency"], world["lawyer"]
    principal = factories.applicant(agency=agency, family_group="HH-1", share_with=world["ngo_a"],
                                    family_name="NOVAK", date_of_birth="1960")
    factories.applicant(agency=agency, family_group="HH-1", family_name="SECRETMEMBER",
                        date_of_birth="1961")
    html = page_text(lawyer.get(f"/applicants/{principal.id}"))
    assert "NOVAK" in html and "SECRETMEMBER" not in html
    staff = page_text(world["caseworker"].get(f"/applicants/{principal.id}"))
    assert "SECRETMEMBER" in staff


@pytest.mark.parametrize("role", [Role.ANALYST, Role.AUDITOR])
def test_analysts_and_auditors_see_no_person(login_as, world, role) -> None:
    client = login_as(role)
    for url in ["/applicants", "/applicants?q=orlova", *person_urls(world["visible"]),
                *person_urls(world["hidden"]), f"/applicants/{world['visible'].id}/access-log",
                "/applicants/new"]:
        assert client.get(url).status_code == 403, url


def test_an_agency_sees_only_its_own_people(factories, login_as, world) -> None:
    other_agency = factories.organisation(OrganisationKind.AGENCY)
    theirs = factories.applicant(agency=other_agency, family_name="ZIMMERMANN",
                                 date_of_birth="1966")
    for role in (Role.CASEWORKER, Role.SUPERVISOR):
        client = login_as(role, organisation=world["agency"])
        numbers = listed_numbers(client.get("/applicants"))
        assert sorted(numbers) == sorted([world["hidden"].registration_no,
                                          world["visible"].registration_no])
        assert listed_numbers(client.get("/applicants?q=zimmermann")) == []
        assert listed_numbers(client.get(f"/applicants?q={theirs.registration_no}")) == []
        for url in [*person_urls(theirs), f"/applicants/{theirs.id}/edit",
                    f"/applicants/{theirs.id}/cases/new",
                    f"/applicants/{theirs.id}/access-log"]:
            assert client.get(url).status_code == 404, (role, url)
        response = post_form(client, f"/applicants/{theirs.id}/sharing",
                             {"organisation_id": world["ngo_a"].id}, page="/account")
        assert response.status_code == 404

    other = login_as(Role.CASEWORKER, organisation=other_agency)
    assert listed_numbers(other.get("/applicants")) == [theirs.registration_no]
    assert other.get(f"/applicants/{world['visible'].id}").status_code == 404


def test_an_administrator_sees_everyone(factories, login_as, world) -> None:
    theirs = factories.applicant(family_name="ZIMMERMANN", date_of_birth="1966")
    admin = login_as(Role.ADMIN)
    assert len(listed_numbers(admin.get("/applicants"))) == 3
    for url in person_urls(theirs):
        assert admin.get(url).status_code == 200


def test_the_scope_query_and_the_record_check_agree(app, factories, world) -> None:
    """applicant_scope (for lists) and in_scope (for one record) must never disagree."""
    revoked = factories.applicant(agency=world["agency"], share_with=world["ngo_a"],
                                  family_name="REVOKED", date_of_birth="1950")
    with app.app_context():
        db.session.execute(sa.update(SharingRecord).where(
            SharingRecord.applicant_id == revoked.id).values(revoked_on=sa.func.current_date()))
        db.session.commit()
    factories.applicant(family_name="ELSEWHERE", date_of_birth="1951")
    users = [world["lawyer"].user, world["caseworker"].user,
             factories.user(Role.LEGAL_AID, organisation=world["ngo_b"]),
             factories.user(Role.SUPERVISOR, organisation=world["agency"]),
             factories.user(Role.ADMIN), factories.user(Role.ANALYST),
             factories.user(Role.AUDITOR)]
    with app.app_context():
        everyone = db.session.execute(sa.select(Applicant)).scalars().all()
        for user in users:
            user = db.session.get_one(User, user.id)
            listed = set(db.session.execute(
                sa.select(Applicant.id).where(applicant_scope(user))).scalars())
            checked = {a.id for a in everyone if in_scope(user, a)}
            assert listed == checked, user.role
            if user.role == Role.LEGAL_AID and user.organisation_id == world["ngo_a"].id:
                assert listed == {world["visible"].id}  # not the revoked one
            if user.role in (Role.ANALYST, Role.AUDITOR):
                assert listed == set()


def test_search_audit_counts_only_what_the_user_may_see(app, world) -> None:
    lawyer = world["lawyer"]
    lawyer.get("/applicants?q=orlova")
    [event] = audit_events(app, "applicant.searched", actor_id=lawyer.user.id)
    assert event.details == {"filters": {"q": "orlova"}, "results": 0}


def test_the_case_page_link_of_a_hidden_person_is_not_in_the_ngos_list(world) -> None:
    html = page_text(world["lawyer"].get("/applicants"))
    linked_cases = set(re.findall(r'href="/cases/(\d+)"', html))
    assert linked_cases == {str(world["visible"].cases[0].id)}
