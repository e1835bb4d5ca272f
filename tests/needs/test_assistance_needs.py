"""Assistance needs tracked as requests: opened and referred by agency staff, seen and moved
along by the NGO they are referred to (and by nobody else outside the scope), stale edits
refused, bad input refused with messages, the /needs list, and the dashboard."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from casemgr.auth.models import OrganisationKind, Role
from casemgr.needs.models import NeedStatus
from tests.cases.helpers import S, last_audit, make_case, text
from tests.conftest import post_form
from tests.needs.helpers import applicant_of, assistance, need, needs_of, today, version_on


@pytest.fixture
def world(app, factories, login_as):
    """An agency; a shelter NGO that people did not share their files with; a legal-aid
    NGO one of them shares with; needs referred to each, and one not referred."""
    agency = factories.organisation(OrganisationKind.AGENCY)
    shelter = factories.organisation(OrganisationKind.NGO, name="Harbour Shelter")
    legal = factories.organisation(OrganisationKind.NGO, name="Legal Aid Centre")
    alpha = applicant_of(app, make_case(app, factories, S.FIRST_INSTANCE, agency=agency,
                                        family_name="ALPHA"))
    bravo = applicant_of(app, make_case(app, factories, S.FIRST_INSTANCE, agency=agency,
                                        family_name="BRAVO", share_with=legal))
    officer = factories.user(Role.CASEWORKER, organisation=agency)
    return {
        "agency": agency, "shelter": shelter, "legal": legal, "alpha": alpha, "bravo": bravo,
        "to_shelter": assistance(app, alpha, actor=officer, category="shelter",
                                 referred_to_org_id=shelter.id, priority="urgent"),
        "to_legal": assistance(app, alpha, actor=officer, category="legal",
                               referred_to_org_id=legal.id),
        "unreferred": assistance(app, bravo, actor=officer, category="medical"),
        "caseworker": login_as(Role.CASEWORKER, organisation=agency),
        "shelter_staff": login_as(Role.LEGAL_AID, organisation=shelter),
        "lawyer": login_as(Role.LEGAL_AID, organisation=legal),
    }


ROWS = re.compile(r"<tbody>(.*?)</tbody>", re.S)


def listed(client, query: str = "") -> list[int]:
    """The ids of the needs on the list, top to bottom."""
    response = client.get(f"/needs{query}")
    assert response.status_code == 200
    body = ROWS.search(response.get_data(as_text=True))
    return [int(n) for n in re.findall(r'href="/needs/(\d+)"', body.group(1))] if body else []


def update(client, need_id: int, data: dict, version: int | None = None):
    page = client.get(f"/needs/{need_id}")
    return post_form(client, f"/needs/{need_id}/update",
                     {"version": str(version or version_on(page)), **data},
                     page=f"/needs/{need_id}")


def test_opening_a_need_with_a_referral_refers_it(app, world) -> None:
    caseworker, alpha = world["caseworker"], world["alpha"]
    response = post_form(caseworker, f"/applicants/{alpha}/needs/assistance", {
        "category": "food", "priority": "high", "opened_on": today(app).isoformat(),
        "due_on": (today(app) + timedelta(days=3)).isoformat(),
        "referred_to_org_id": str(world["shelter"].id), "note": "Vegetarian."},
        page=f"/applicants/{alpha}/needs")
    assert response.status_code == 302
    need_id = int(response.headers["Location"].rsplit("/", 1)[1])
    opened = need(app, need_id)
    assert (opened.category, opened.priority, opened.status) == ("food", "high", "referred")
    assert opened.referred_to_org_id == world["shelter"].id and opened.version == 1
    event = last_audit(app, "need.opened")
    assert event.applicant_id == alpha and "Vegetarian" not in str(event.details)


def test_an_ngo_sees_and_updates_the_needs_referred_to_it(app, world) -> None:
    staff = world["shelter_staff"]
    assert listed(staff) == [world["to_shelter"]]
    page = text(staff.get("/needs"))
    assert "ALPHA" not in page  # the person did not share their file: number only
    detail = staff.get(f"/needs/{world['to_shelter']}")
    assert detail.status_code == 200 and "ALPHA" not in text(detail)
    assert staff.get(f"/applicants/{world['alpha']}").status_code == 404
    moved = update(staff, world["to_shelter"], {"status": "in_progress"})
    assert moved.status_code == 302
    met = update(staff, world["to_shelter"], {"status": "met",
                                              "resolution_note": "Bed at the shelter."})
    assert met.status_code == 302
    done = need(app, world["to_shelter"])
    assert done.status == NeedStatus.MET and done.resolved_on == today(app)
    assert done.version == 3 and done.category == "shelter" and done.priority == "urgent"


def test_an_ngo_sees_nothing_else_it_may_not(world) -> None:
    staff = world["shelter_staff"]
    assert staff.get(f"/needs/{world['to_legal']}").status_code == 404
    assert staff.get(f"/needs/{world['unreferred']}").status_code == 404
    refused = post_form(staff, f"/needs/{world['to_legal']}/update",
                        {"status": "met", "version": "1"}, page="/account")
    assert refused.status_code == 404


def test_an_ngo_reads_but_does_not_update_needs_of_people_who_share_with_it(app, world
                                                                            ) -> None:
    lawyer = world["lawyer"]
    assert sorted(listed(lawyer)) == sorted([world["to_legal"], world["unreferred"]])
    read = lawyer.get(f"/needs/{world['unreferred']}")
    assert read.status_code == 200 and "BRAVO" in text(read)
    assert f"/needs/{world['unreferred']}/update" not in read.get_data(as_text=True)
    refused = post_form(lawyer, f"/needs/{world['unreferred']}/update",
                        {"status": "met", "version": "1"}, page="/account")
    assert refused.status_code == 403
    assert need(app, world["unreferred"]).status == NeedStatus.OPEN


def test_an_ngo_cannot_change_what_the_need_is_or_where_it_went(app, world) -> None:
    from casemgr.auth.models import User
    from casemgr.exceptions import PermissionDenied
    from casemgr.needs import services
    from casemgr.needs.models import AssistanceNeed
    from tests.cases.helpers import session_of

    with session_of(app) as session:
        found = session.get_one(AssistanceNeed, world["to_shelter"])
        actor = session.get_one(User, world["shelter_staff"].user.id)
        for change in ({"priority": "normal"}, {"category": "food"},
                       {"referred_to_org_id": world["legal"].id}, {"status": "open"},
                       {"note": "changed"}, {"due_on": today(app)}):
            with pytest.raises(PermissionDenied):
                services.update_need(session, found, services.need_data(found, **change),
                                     version=1, actor=actor, today=today(app))
            session.rollback()
            found = session.get_one(AssistanceNeed, world["to_shelter"])


def test_a_stale_edit_is_refused_and_shows_what_changed(app, world) -> None:
    caseworker, staff = world["caseworker"], world["shelter_staff"]
    need_id = world["to_shelter"]
    opened = caseworker.get(f"/needs/{need_id}")  # the caseworker opens the form (v1)
    assert update(staff, need_id, {"status": "in_progress"}).status_code == 302
    stale = post_form(caseworker, f"/needs/{need_id}/update", {
        "version": str(version_on(opened)), "category": "shelter", "priority": "normal",
        "status": "open", "referred_to_org_id": str(world["shelter"].id),
        "opened_on": today(app).isoformat()}, page=f"/needs/{need_id}")
    assert stale.status_code == 200
    page = text(stale)
    assert "someone changed this record" in page and "in_progress" in page
    kept = need(app, need_id)
    assert kept.status == NeedStatus.IN_PROGRESS and kept.priority == "urgent"


@pytest.mark.parametrize(("data", "message"), [
    ({"due_on": "2000-01-01"}, "The need cannot be due before it was opened."),
    ({"opened_on": "2999-01-01"}, "The date is in the future."),
    ({"category": "spaceship"}, "Not a valid choice."),
    ({"priority": "whenever"}, "Not a valid choice."),
    ({"note": "x" * 2001}, "Field cannot be longer than 2000 characters."),
    ({"referred_to_org_id": "999999"}, "Not a valid choice."),
    ({"opened_on": "yesterday"}, "Not a valid date value."),
])
def test_bad_new_needs_are_refused(app, world, data, message) -> None:
    alpha = world["alpha"]
    before = needs_of(app, alpha)
    response = post_form(world["caseworker"], f"/applicants/{alpha}/needs/assistance", {
        "category": "food", "priority": "normal", "opened_on": today(app).isoformat(),
        **data}, page=f"/applicants/{alpha}/needs")
    assert response.status_code == 200
    assert message in text(response)
    assert needs_of(app, alpha) == before


@pytest.mark.parametrize(("data", "message"), [
    ({"status": "referred", "referred_to_org_id": ""},
     "Choose the organisation the need is referred to."),
    ({"status": "open", "resolved_on": "2026-01-01"},
     "Only a need that was met or closed has a resolution date."),
    ({"status": "closed_unmet"}, "Say why the need could not be met."),
    ({"status": "met", "resolved_on": "2999-01-01"}, "The date is in the future."),
])
def test_inconsistent_updates_are_refused(app, world, data, message) -> None:
    need_id = world["unreferred"]
    response = update(world["caseworker"], need_id, {
        "category": "medical", "priority": "normal", "opened_on": today(app).isoformat(),
        **data})
    assert response.status_code == 200
    assert message in text(response)
    assert need(app, need_id).version == 1


def test_the_list_filters_and_sorts(app, world) -> None:
    caseworker = world["caseworker"]
    shelter, legal, medical = world["to_shelter"], world["to_legal"], world["unreferred"]
    assert listed(caseworker, "?sort=priority")[0] == shelter  # urgent first
    assert listed(caseworker, "?sort=-priority")[-1] == shelter
    assert listed(caseworker, "?sort=category") == [legal, medical, shelter]
    assert listed(caseworker, "?category=medical") == [medical]
    assert listed(caseworker, "?priority=urgent") == [shelter]
    assert sorted(listed(caseworker, "?status=referred")) == sorted([shelter, legal])
    assert listed(caseworker, "?status=open") == [medical]
    assert listed(caseworker, f"?organisation_id={world['legal'].id}") == [legal]
    assert listed(caseworker, "?overdue=y") == []
    assert last_audit(app, "need.listed").details["filters"] == {"overdue": "y"}
    bad = caseworker.get("/needs?category=nonsense")
    assert bad.status_code == 200 and "Not a valid choice." in text(bad)
    assert listed(caseworker, "?category=nonsense") == []


def test_the_list_pages(app, world) -> None:
    app.config["PAGE_SIZE"] = 2
    caseworker = world["caseworker"]
    first, second = listed(caseworker, "?sort=category"), listed(caseworker,
                                                                 "?sort=category&page=2")
    assert len(first) == 2 and len(second) == 1
    assert set(first + second) == {world["to_shelter"], world["to_legal"], world["unreferred"]}


def test_overdue_and_urgent_needs_join_the_dashboard(app, factories, world) -> None:
    import re

    officer = factories.user(Role.CASEWORKER, organisation=world["agency"])
    late = assistance(app, world["bravo"], actor=officer, category="food",
                      opened_on=today(app) - timedelta(days=10),
                      due_on=today(app) - timedelta(days=2))
    assistance(app, world["bravo"], actor=officer, category="cash", status="met",
               opened_on=today(app) - timedelta(days=10), due_on=today(app) - timedelta(days=2))
    page = world["caseworker"].get("/").get_data(as_text=True)
    urgent = re.search(r'id="due-urgent_needs".*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    overdue = re.search(r'id="due-overdue_needs".*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    assert f"/needs/{world['to_shelter']}" in urgent and "/needs/" + str(late) not in urgent
    assert f"/needs/{late}" in overdue and "2 days overdue" in overdue
    assert "Cash" not in overdue
