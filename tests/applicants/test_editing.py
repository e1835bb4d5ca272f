"""Editing a person: saved and audited (identity values never copied into the trail), stale
edits refused with what changed, renames re-indexed for search, rules still enforced."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import pytest

from casemgr.auth.models import OrganisationKind, Role
from casemgr.records import SENSITIVE_VALUE
from tests.applicants.helpers import (
    applicants,
    audit_events,
    field_error,
    listed_numbers,
    page_text,
    reject_case,
    selected,
)
from tests.conftest import post_form


@pytest.fixture
def agency(factories):
    return factories.organisation(OrganisationKind.AGENCY)


@pytest.fixture
def caseworker(login_as, agency):
    return login_as(Role.CASEWORKER, organisation=agency)


@pytest.fixture
def ivanov(factories, agency):
    return factories.applicant(agency=agency, family_name="IVANOV", given_names="Ivan",
                               native_name="Иванов Иван", date_of_birth="1990-05-17",
                               nationality="RUS", languages="rus", arrival_date=date(2026, 1, 2),
                               lodged_on=date(2026, 1, 12))


def edit_data(applicant: Any, **changes: Any) -> dict[str, Any]:
    """The edit form as it comes back unchanged from the page, with `changes` applied."""
    data = {
        "family_name": applicant.family_name, "given_names": applicant.given_names,
        "native_name": applicant.native_name or "",
        "aliases": "\n".join(alias.name for alias in applicant.aliases),
        "sex": str(applicant.sex), "date_of_birth": applicant.date_of_birth,
        "nationality": applicant.nationality, "languages": applicant.language_codes,
        "arrival_date": applicant.arrival_date.isoformat() if applicant.arrival_date else "",
        "port_of_entry": applicant.port_of_entry or "",
        "family_group": applicant.family_group or "",
        "relationship": str(applicant.relationship or ""), "version": str(applicant.version),
    }
    if applicant.interpreter_needed:
        data["interpreter_needed"] = "y"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def edit(client: Any, applicant: Any, **changes: Any) -> Any:
    url = f"/applicants/{applicant.id}/edit"
    return post_form(client, url, edit_data(applicant, **changes))


def test_the_edit_page_shows_the_current_values(caseworker, ivanov) -> None:
    html = page_text(caseworker.get(f"/applicants/{ivanov.id}/edit"))
    assert 'name="family_name"' in html and 'value="IVANOV"' in html
    assert 'value="Иванов Иван"' in html and 'value="1990-05-17"' in html
    assert selected(html, "nationality") == ["RUS"]
    assert selected(html, "languages") == ["rus"]
    assert selected(html, "sex") == ["M"]
    assert f'name="version" type="hidden" value="{ivanov.version}"' in html


def test_an_edit_is_saved_and_audited_without_copying_identity_values(app, caseworker,
                                                                      ivanov) -> None:
    response = edit(caseworker, ivanov, family_name="IVANOVS", date_of_birth="1990-05",
                    nationality="UKR", languages=["rus", "ukr"], interpreter_needed="y")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/applicants/{ivanov.id}"

    [person] = applicants(app, id=ivanov.id)
    assert (person.family_name, person.date_of_birth, person.nationality) == (
        "IVANOVS", "1990-05", "UKR")
    assert person.birth_reference_date == date(1990, 5, 15)
    assert person.languages == "rus;ukr" and person.interpreter_needed is True
    assert person.version > ivanov.version

    [event] = audit_events(app, "applicant.updated")
    assert event.actor_id == caseworker.user.id and event.applicant_id == ivanov.id
    changes = event.details["changes"]
    assert changes["nationality"] == ["RUS", "UKR"]
    assert changes["languages"] == ["rus", "rus;ukr"]
    assert changes["interpreter_needed"] == [False, True]
    assert changes["family_name"] == [SENSITIVE_VALUE, SENSITIVE_VALUE]
    assert changes["date_of_birth"] == [SENSITIVE_VALUE, SENSITIVE_VALUE]
    assert set(changes) == {"nationality", "languages", "interpreter_needed", "family_name",
                            "date_of_birth"}
    assert event.details["version"] == person.version
    trail = json.dumps([e.details for e in audit_events(app)], ensure_ascii=False).lower()
    assert "ivanov" not in trail and "1990-05" not in trail and "иванов" not in trail


def test_saving_without_changes_writes_nothing(app, caseworker, ivanov) -> None:
    response = edit(caseworker, ivanov)
    assert response.status_code == 302
    [person] = applicants(app, id=ivanov.id)
    assert person.version == ivanov.version
    assert audit_events(app, "applicant.updated") == []


def test_a_stale_edit_is_refused_and_names_what_changed(app, login_as, agency, ivanov) -> None:
    first = login_as(Role.CASEWORKER, organisation=agency)
    second = login_as(Role.CASEWORKER, organisation=agency)
    url = f"/applicants/{ivanov.id}/edit"
    for client in (first, second):  # both open the form at the same version
        assert f'name="version" type="hidden" value="{ivanov.version}"' in page_text(
            client.get(url))

    assert edit(first, ivanov, nationality="UKR", given_names="Ivan Petrovich").status_code == 302
    response = edit(second, ivanov, family_name="PETROV", languages=["rus", "eng"])
    assert response.status_code == 200
    html = page_text(response)
    assert "Not saved: someone changed this record after you opened it" in html
    table = html.split("Changed by someone else meanwhile:")[1].split("</table>")[0]
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td>", table)
    by_field = {row[0]: row[1:] for row in rows}
    assert by_field["nationality"] == ("RUS", "UKR", first.user.username)
    assert by_field["given_names"][2] == first.user.username
    assert "PETROV" in html  # the second user's entries are kept in the form

    [person] = applicants(app, id=ivanov.id)
    assert (person.family_name, person.nationality, person.given_names) == (
        "IVANOV", "UKR", "Ivan Petrovich")  # nothing overwritten
    assert person.languages == "rus" and person.version > ivanov.version
    assert len(audit_events(app, "applicant.updated")) == 1

    # the form now carries the current version: saving again is a deliberate choice
    assert f'name="version" type="hidden" value="{person.version}"' in html
    again = edit(second, ivanov, family_name="PETROV", nationality="UKR",
                 given_names="Ivan Petrovich", version=str(person.version))
    assert again.status_code == 302
    [saved] = applicants(app, id=ivanov.id)
    assert (saved.family_name, saved.nationality) == ("PETROV", "UKR")
    assert saved.version > person.version


def test_a_rename_is_found_by_the_new_name_and_not_the_old(app, caseworker, ivanov) -> None:
    assert listed_numbers(caseworker.get("/applicants?q=ivanov")) == [ivanov.registration_no]
    response = edit(caseworker, ivanov, family_name="SMIRNOV", native_name="Смирнов Иван")
    assert response.status_code == 302
    for query in ("smirnov", "Смирнов", "smirnow ivan"):
        found = listed_numbers(caseworker.get(f"/applicants?q={query}"))
        assert found == [ivanov.registration_no], query
    for query in ("ivanov", "Иванов", "ivanow"):
        assert listed_numbers(caseworker.get(f"/applicants?q={query}")) == [], query

    [person] = applicants(app, id=ivanov.id)
    response = edit(caseworker, person, aliases="IVANOV Ivan")  # the former name, kept
    assert response.status_code == 302
    assert listed_numbers(caseworker.get("/applicants?q=ivanow")) == [ivanov.registration_no]
    [event] = audit_events(app, "applicant.updated")[-1:]
    assert event.details["changes"] == {"aliases": [SENSITIVE_VALUE, SENSITIVE_VALUE]}


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"date_of_birth": "2026-02", "arrival_date": ""}, "date_of_birth",
     "lodged before this date of birth"),
    ({"date_of_birth": "1990-02-30"}, "date_of_birth", "does not exist"),
    ({"arrival_date": "1989-01-01"}, "arrival_date", "before birth"),
    ({"nationality": "ZZZ"}, "nationality", "Not a valid choice"),
    ({"languages": ["zzz"]}, "languages", "zzz"),
    ({"family_name": ""}, "family_name", "required"),
    ({"family_name": "X\x00"}, "family_name", "control characters"),
    ({"port_of_entry": "12"}, "port_of_entry", "IATA"),
    ({"relationship": "boss"}, "relationship", "Not a valid choice"),
])
def test_an_invalid_edit_saves_nothing(app, caseworker, ivanov, changes, field, message
                                       ) -> None:
    response = edit(caseworker, ivanov, **changes)
    assert response.status_code == 200
    assert message in (field_error(response, field) or "")
    [person] = applicants(app, id=ivanov.id)
    assert person.version == ivanov.version and person.date_of_birth == "1990-05-17"
    assert audit_events(app, "applicant.updated") == []


def test_a_missing_or_forged_version_is_not_saved(app, caseworker, ivanov) -> None:
    assert edit(caseworker, ivanov, nationality="UKR", version=None).status_code == 200
    assert edit(caseworker, ivanov, nationality="UKR", version="abc").status_code == 200
    assert edit(caseworker, ivanov, nationality="UKR",
                version=str(ivanov.version + 5)).status_code == 200
    [person] = applicants(app, id=ivanov.id)
    assert (person.nationality, person.version) == ("RUS", ivanov.version)


def test_fields_outside_the_form_cannot_be_changed(app, caseworker, ivanov, factories) -> None:
    other = factories.organisation(OrganisationKind.AGENCY)
    response = edit(caseworker, ivanov, agency_id=str(other.id), registration_no="2000-000001",
                    birth_reference_date="2000-01-01", nationality="UKR")
    assert response.status_code == 302
    [person] = applicants(app, id=ivanov.id)
    assert person.agency_id == agency_id(caseworker)
    assert person.registration_no == ivanov.registration_no
    assert person.birth_reference_date == date(1990, 5, 17)


def agency_id(client: Any) -> int:
    return client.user.organisation_id


def test_languages_recorded_outside_the_offered_list_survive_an_edit(app, caseworker,
                                                                     factories, agency) -> None:
    """Dari (prs) has no ISO 639-1 code, so the form does not offer it; an imported person
    who speaks it must keep it when someone edits their file."""
    person = factories.applicant(agency=agency, languages="prs;rus", nationality="AFG",
                                 family_name="AHMADI", date_of_birth="1994")
    html = page_text(caseworker.get(f"/applicants/{person.id}/edit"))
    assert sorted(selected(html, "languages")) == ["prs", "rus"]
    assert "Dari (prs)" in html
    response = edit(caseworker, person, nationality="XXA")
    assert response.status_code == 302
    [person] = applicants(app, id=person.id)
    assert (person.nationality, person.languages) == ("XXA", "prs;rus")


@pytest.mark.parametrize("role", [Role.LEGAL_AID, Role.ANALYST, Role.AUDITOR])
def test_only_agency_staff_edit(app, login_as, factories, agency, role) -> None:
    ngo = factories.organisation(OrganisationKind.NGO)
    person = factories.applicant(agency=agency, share_with=ngo, date_of_birth="1993")
    client = login_as(role, **({"organisation": ngo} if role == Role.LEGAL_AID else {}))
    url = f"/applicants/{person.id}/edit"
    assert client.get(url).status_code == 403
    response = post_form(client, url, edit_data(person, nationality="UKR"), page="/account")
    assert response.status_code == 403
    assert applicants(app, id=person.id)[0].nationality == "RUS"


def test_work_on_the_case_does_not_make_an_open_person_form_stale(app, caseworker,
                                                                  ivanov) -> None:
    """A decision on the application changes no fact about the person: an edit of the person
    started before it must still save (a refusal here would list no change at all)."""
    url = f"/applicants/{ivanov.id}/edit"
    assert f'value="{ivanov.version}"' in page_text(caseworker.get(url))
    reject_case(app, ivanov.cases[0].id, on=date(2026, 2, 1))
    response = edit(caseworker, ivanov, nationality="UKR")
    assert response.status_code == 302, page_text(response)
    [person] = applicants(app, id=ivanov.id)
    assert person.nationality == "UKR"
