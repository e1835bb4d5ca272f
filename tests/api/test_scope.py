"""Scope through the API equals scope through the pages, per role: the same records answer
200 (or 404, or 403) on both, and the API's lists hold exactly the records whose pages
the user may open. Sensitive specific needs follow the same rule as on the person page."""

from __future__ import annotations

from typing import Any

import pytest

from casemgr.auth.models import OrganisationKind, Role
from tests.api.conftest import ApiClient, make_token

# page path, API path, API list, id key
RESOURCES = (
    ("/applicants/{}", "/applicants/{}", "/applicants", "applicant_id"),
    ("/cases/{}", "/cases/{}", "/cases", "case_id"),
    ("/hearings/{}", "/hearings/{}", "/hearings", "hearing_id"),
    ("/needs/{}", "/needs/{}", "/needs", "need_id"),
)


@pytest.fixture
def people(factories) -> dict[str, Any]:
    """An agency's own person (shared with the NGO), its second person (not shared), and
    another agency's person, each with a case, a hearing and an assistance need; the
    unshared person's need is referred to the NGO (which sees that need, not the person)."""
    agency = factories.organisation(OrganisationKind.AGENCY)
    ngo = factories.organisation(OrganisationKind.NGO)
    recorder = factories.user(Role.ADMIN)
    shared = factories.applicant(agency=agency, share_with=ngo)
    unshared = factories.applicant(agency=agency)
    stranger = factories.applicant()
    records = []
    for person, referred in ((shared, None), (unshared, ngo), (stranger, None)):
        case_id = person.cases[0].id
        records.append({
            "applicant_id": person.id, "case_id": case_id,
            "hearing_id": factories.hearing(case_id).id,
            "need_id": factories.assistance_need(person.id, actor=recorder,
                                                 referred_to=referred).id})
    return {"agency": agency, "ngo": ngo, "records": records}


@pytest.mark.parametrize("role", list(Role))
def test_api_scope_equals_page_scope(app, factories, login_as, people, role) -> None:
    organisation = people["ngo"] if role == Role.LEGAL_AID else people["agency"]
    browser = login_as(role, organisation=organisation)
    api = ApiClient(app.test_client(), make_token(app, browser.user), browser.user)
    for page_path, api_path, list_path, key in RESOURCES:
        visible = set()
        for record in people["records"]:
            page = browser.get(page_path.format(record[key])).status_code
            answer = api.get(api_path.format(record[key])).status_code
            assert page == answer, (role, page_path, record, page, answer)
            if page == 200:
                visible.add(record[key])
        listed = api.get(list_path + "?per_page=100")
        if listed.status_code == 403:
            assert not visible
            continue
        assert {item["id"] for item in listed.json["items"]} == visible, (role, list_path)


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.LEGAL_AID])
def test_sensitive_needs_only_where_the_page_shows_them(app, factories, api_as, role) -> None:
    agency = factories.organisation(OrganisationKind.AGENCY)
    ngo = factories.organisation(OrganisationKind.NGO)
    recorder = factories.user(Role.ADMIN)
    person = factories.applicant(agency=agency, share_with=ngo)
    factories.specific_need(person.id, "SV-VO", actor=recorder)
    factories.specific_need(person.id, "ER-UR", actor=recorder)
    client = api_as(role, organisation=ngo if role == Role.LEGAL_AID else agency)
    codes = client.get(f"/applicants/{person.id}").json["specific_needs"]
    # the NGO does not represent the person's case: it never sees the sensitive code
    assert codes == (["ER-UR", "SV-VO"] if role == Role.CASEWORKER else ["ER-UR"])
    listed = client.get("/applicants").json["items"][0]["specific_needs"]
    assert listed == codes


def test_list_filters_are_the_pages(factories, api_as) -> None:
    agency = factories.organisation(OrganisationKind.AGENCY)
    syrian = factories.applicant(agency=agency, nationality="SYR")
    factories.applicant(agency=agency, nationality="RUS")
    client = api_as(Role.CASEWORKER, organisation=agency)
    found = client.get("/applicants?nationality=syr").json
    assert [item["id"] for item in found["items"]] == [syrian.id]
    assert found["total"] == 1
    by_name = client.get(f"/applicants?q={syrian.family_name.lower()}").json["items"]
    assert [item["id"] for item in by_name] == [syrian.id]
    paged = client.get("/applicants?per_page=1&page=2").json
    assert paged["page"] == 2 and len(paged["items"]) == 1 and not paged["has_next"]
    assert client.get("/needs?status=unresolved").status_code == 200
    assert client.get(f"/cases?applicant_id={syrian.id}").json["items"][0]["applicant_id"] == (
        syrian.id)
