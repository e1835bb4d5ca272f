"""What reading and changing people's files leaves in the audit trail, "who saw this file",
and that the hash chain still verifies after all of it."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from casemgr.auth.models import OrganisationKind, Role
from tests.applicants.helpers import (
    audit_events,
    counts,
    page_text,
    register,
    registration,
)
from tests.conftest import post_form


@pytest.fixture
def world(factories, login_as):
    agency = factories.organisation(OrganisationKind.AGENCY)
    ngo = factories.organisation(OrganisationKind.NGO)
    person = factories.applicant(agency=agency, share_with=ngo, family_name="ORLOVA",
                                 given_names="Vera", date_of_birth="1980-02-02")
    return {
        "agency": agency, "ngo": ngo, "person": person,
        "caseworker": login_as(Role.CASEWORKER, organisation=agency),
        "supervisor": login_as(Role.SUPERVISOR, organisation=agency),
        "lawyer": login_as(Role.LEGAL_AID, organisation=ngo),
    }


def test_viewing_a_person_page_is_recorded(app, world) -> None:
    caseworker, person = world["caseworker"], world["person"]
    for _ in range(2):
        assert caseworker.get(f"/applicants/{person.id}").status_code == 200
    events = audit_events(app, "applicant.viewed")
    assert len(events) == 2
    for event in events:
        assert (event.actor_id, event.actor_name) == (caseworker.user.id,
                                                      caseworker.user.username)
        assert (event.object_type, event.object_id, event.applicant_id) == (
            "applicant", str(person.id), person.id)
        assert event.ip_address == "127.0.0.1"


def test_viewing_a_case_page_is_recorded_against_the_person(app, world) -> None:
    lawyer, person = world["lawyer"], world["person"]
    case_id = person.cases[0].id
    assert lawyer.get(f"/cases/{case_id}").status_code == 200
    [event] = audit_events(app, "case.viewed")
    assert (event.actor_id, event.object_type, event.object_id, event.applicant_id) == (
        lawyer.user.id, "case", str(case_id), person.id)


def test_a_refused_view_records_no_view(app, world, login_as) -> None:
    stranger = login_as(Role.LEGAL_AID)  # another NGO
    assert stranger.get(f"/applicants/{world['person'].id}").status_code == 404
    assert stranger.get(f"/cases/{world['person'].cases[0].id}").status_code == 404
    assert audit_events(app, "applicant.viewed") == audit_events(app, "case.viewed") == []


def test_a_filtered_list_records_the_filters_and_the_result_count(app, world, factories) -> None:
    caseworker = world["caseworker"]
    factories.applicant(agency=world["agency"], family_name="ORLOV", given_names="Pavel",
                        date_of_birth="1955", nationality="UKR")
    caseworker.get("/applicants?q=orlov&nationality=RUS&sort=name&page=1")
    caseworker.get("/applicants?q=orlov")
    caseworker.get("/applicants?q=nobody+at+all&overdue=y")
    first, second, third = audit_events(app, "applicant.searched")
    assert first.details == {"filters": {"q": "orlov", "nationality": "RUS"}, "results": 1}
    assert second.details == {"filters": {"q": "orlov"}, "results": 2}
    assert third.details == {"filters": {"q": "nobody at all", "overdue": "y"}, "results": 0}
    assert first.actor_id == caseworker.user.id and first.object_type is None


def test_browsing_the_list_without_filters_is_not_a_search(app, world) -> None:
    caseworker = world["caseworker"]
    for url in ("/applicants", "/applicants?sort=name", "/applicants?page=1",
                "/applicants?q=&nationality="):
        assert caseworker.get(url).status_code == 200
    assert audit_events(app, "applicant.searched") == []


def test_registration_records_the_person_and_the_application(app, world) -> None:
    caseworker = world["caseworker"]
    response = register(caseworker, **registration(lodged_at="port_of_entry",
                                                   port_of_entry="ICN"))
    assert response.status_code == 302
    applicant_id = int(response.headers["Location"].rsplit("/", 1)[1])
    events = audit_events(app, applicant_id=applicant_id)
    assert [e.action for e in events] == ["applicant.registered", "case.lodged"]
    registered, lodged = events
    assert {e.actor_id for e in events} == {caseworker.user.id}
    assert re.fullmatch(r"2025-\d{6}", registered.details["registration_no"])
    assert registered.details["nationality"] == "RUS"
    assert "PETROVA" not in str(registered.details) and "1988" not in str(registered.details)
    assert lodged.object_type == "case"
    assert lodged.details["status"] == "referral_pending"
    assert lodged.details["lodged_at"] == "port_of_entry"
    assert lodged.details["lodged_on"] == "2025-03-10"
    assert lodged.details["application_type"] == "first_time"


def test_granting_and_revoking_sharing_are_recorded(app, world, factories) -> None:
    caseworker, person = world["caseworker"], world["person"]
    other_ngo = factories.organisation(OrganisationKind.NGO)
    detail = f"/applicants/{person.id}"
    post_form(caseworker, f"{detail}/sharing", {"organisation_id": other_ngo.id}, page=detail)
    [granted] = audit_events(app, "applicant.sharing_granted", actor_id=caseworker.user.id)
    assert granted.applicant_id == person.id
    assert granted.details["organisation_id"] == other_ngo.id
    sharing_id = granted.details["sharing_id"]
    post_form(caseworker, f"{detail}/sharing/{sharing_id}/revoke", page=detail)
    [revoked] = audit_events(app, "applicant.sharing_revoked")
    assert (revoked.actor_id, revoked.applicant_id) == (caseworker.user.id, person.id)
    assert revoked.details == {"organisation_id": other_ngo.id, "sharing_id": sharing_id}


def who_saw(html: str) -> list[tuple[str, str]]:
    """(who, what) for each row of the "who saw this file" table."""
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    return re.findall(r"<tr><td>[^<]*</td><td>([^<]*)</td><td>([^<]*)</td>", body)


def test_who_saw_this_file(app, world, login_as, factories) -> None:
    person = world["person"]
    caseworker, lawyer, supervisor = world["caseworker"], world["lawyer"], world["supervisor"]
    caseworker.get(f"/applicants/{person.id}")
    lawyer.get(f"/cases/{person.cases[0].id}")
    someone_else = factories.applicant(agency=world["agency"], date_of_birth="1999")
    caseworker.get(f"/applicants/{someone_else.id}")

    response = supervisor.get(f"/applicants/{person.id}/access-log")
    assert response.status_code == 200
    rows = who_saw(page_text(response))
    assert (caseworker.user.username, "Applicant viewed") in rows
    assert (lawyer.user.username, "Case viewed") in rows
    assert ("system", "Applicant registered") in rows  # the factory registered without a user
    assert len([r for r in rows if r[1] == "Applicant viewed"]) == 1  # not someone_else's
    assert rows[0] == (lawyer.user.username, "Case viewed")  # newest first
    [looked] = audit_events(app, "applicant.access_log_viewed")
    assert (looked.actor_id, looked.applicant_id) == (supervisor.user.id, person.id)

    admin = login_as(Role.ADMIN)
    assert admin.get(f"/applicants/{person.id}/access-log").status_code == 200


@pytest.mark.parametrize(("role", "status"), [(Role.CASEWORKER, 403), (Role.LEGAL_AID, 403)])
def test_who_saw_this_file_is_for_supervisors(app, world, role, status) -> None:
    client = world["caseworker"] if role == Role.CASEWORKER else world["lawyer"]
    person = world["person"]
    assert client.get(f"/applicants/{person.id}/access-log").status_code == status
    [refusal] = audit_events(app, "auth.permission_denied", actor_id=client.user.id)
    assert refusal.details == {"action": "applicants.access_log"}
    assert refusal.applicant_id == person.id
    assert audit_events(app, "applicant.access_log_viewed") == []


def test_another_agencys_supervisor_does_not_learn_the_file_exists(world, login_as) -> None:
    outsider = login_as(Role.SUPERVISOR)
    assert outsider.get(f"/applicants/{world['person'].id}/access-log").status_code == 404


def test_the_chain_verifies_after_all_of_this(app, world, runner) -> None:
    caseworker, lawyer, supervisor, person = (world["caseworker"], world["lawyer"],
                                              world["supervisor"], world["person"])
    register(caseworker, family_name="<script>alert(1)</script>", native_name="Иванов Иван")
    caseworker.get(f"/applicants/{person.id}")
    lawyer.get(f"/cases/{person.cases[0].id}")
    lawyer.get(f"/applicants?q={quote('Орлова')}")
    detail = f"/applicants/{person.id}"
    post_form(caseworker, f"{detail}/sharing/{person.sharing[0].id}/revoke", page=detail)
    lawyer.get(detail)  # now refused
    edit_page = f"{detail}/edit"
    post_form(caseworker, edit_page, {
        "family_name": "ORLOVA", "given_names": "Vera", "sex": "M",
        "date_of_birth": "1980-02", "nationality": "UKR", "languages": ["ukr"],
        "version": str(person.version)})
    supervisor.get(f"{detail}/access-log")
    caseworker.get(f"{detail}/access-log")  # refused, and recorded

    total = counts(app).audit_events
    actions = {e.action for e in audit_events(app)}
    assert {"applicant.registered", "case.lodged", "applicant.viewed", "case.viewed",
            "applicant.searched", "applicant.sharing_revoked", "applicant.updated",
            "applicant.access_log_viewed", "auth.permission_denied"} <= actions
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"audit chain intact: {total} events"
