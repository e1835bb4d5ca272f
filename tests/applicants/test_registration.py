"""Registering applicants through the page: the §3 fields, what a registration creates, the
registration number, dates of birth of every precision, refused input (nothing saved), hostile
input, and households registered together."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from casemgr.auth.models import Role
from casemgr.cases.models import ApplicationType, CaseStatus, LodgedAt
from tests.applicants.helpers import (
    LODGED_ON,
    REGISTER_URL,
    applicants,
    audit_events,
    counts,
    field_error,
    field_errors,
    page_text,
    register,
    registration,
    selected,
    submit_register,
)
from tests.conftest import csrf_token

RECORD_COLUMNS = {"family_name", "given_names", "native_name", "sex", "date_of_birth",
                  "nationality", "languages", "interpreter_needed", "arrival_date",
                  "port_of_entry", "family_group", "relationship", "lodged_on", "lodged_at"}
FAR_FUTURE = date.today() + timedelta(days=400)


@pytest.fixture
def caseworker(login_as):
    return login_as(Role.CASEWORKER)


def registered_id(response) -> int:
    assert response.status_code == 302, (field_errors(response), re.findall(
        r'<div class="alert[^"]*"[^>]*>(.*?)</div>', page_text(response), re.S))
    match = re.fullmatch(r"/applicants/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


# --- the form -----------------------------------------------------------------------------

def test_the_form_fields_are_named_after_the_record_columns(caseworker) -> None:
    html = page_text(caseworker.get(REGISTER_URL))
    names = set(re.findall(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', html))
    assert names >= RECORD_COLUMNS
    languages = re.search(r'<select[^>]*name="languages"[^>]*>(.*?)</select>', html, re.S)
    assert languages and "multiple" in languages.group(0)
    codes = re.findall(r'value="([^"]*)"', languages.group(1))
    assert {"rus", "eng", "kor", "ara", "fas"} <= set(codes)
    assert all(re.fullmatch(r"[a-z]{3}", code) for code in codes)  # ISO 639-3, not 639-1
    # lodging defaults to today, so the usual case needs no typing
    assert re.search(r'name="lodged_on"[^>]*value="\d{4}-\d{2}-\d{2}"', html)


def test_registration_creates_the_person_their_case_and_its_first_event(app, caseworker) -> None:
    before = counts(app)
    response = register(caseworker)
    applicant_id = registered_id(response)

    after = counts(app)
    assert (after.applicants, after.cases, after.case_events) == (
        before.applicants + 1, before.cases + 1, before.case_events + 1)
    [person] = applicants(app, id=applicant_id)
    assert (person.family_name, person.given_names, person.native_name) == (
        "PETROVA", "Anna", "Петрова Анна")
    assert (person.sex, person.date_of_birth, person.nationality) == ("F", "1988-11-02", "RUS")
    assert person.languages == "rus;eng"
    assert person.interpreter_needed is True
    assert person.arrival_date == date(2025, 3, 1)
    assert person.agency_id == caseworker.user.organisation_id
    assert person.registered_by_id == caseworker.user.id
    assert re.fullmatch(r"2025-\d{6}", person.registration_no)

    [case] = person.cases
    assert (case.lodged_on, case.lodged_at, case.status) == (
        LODGED_ON, LodgedAt.IN_COUNTRY, CaseStatus.FIRST_INSTANCE)
    assert case.application_type == ApplicationType.FIRST_TIME
    assert case.status_since == LODGED_ON and case.is_current
    assert case.assigned_to_id == caseworker.user.id  # the registering caseworker holds it
    [event] = case.events
    assert (event.from_status, event.to_status, event.effective_date) == (
        None, CaseStatus.FIRST_INSTANCE, LODGED_ON)
    assert event.actor_id == caseworker.user.id

    page = page_text(caseworker.get(response.headers["Location"]))
    assert person.registration_no in page and "PETROVA Anna" in page
    assert "Петрова Анна" in page and "First instance" in page


def test_registration_numbers_follow_the_year_of_lodging_and_increase(app, caseworker) -> None:
    first = registered_id(register(caseworker, family_name="ONE", date_of_birth="1971"))
    second = registered_id(register(caseworker, family_name="TWO", date_of_birth="1972"))
    earlier = registered_id(register(caseworker, family_name="THREE", date_of_birth="1973",
                                     lodged_on="2024-12-30", arrival_date="2024-12-01"))
    numbers = {a.id: a.registration_no for a in applicants(app)}
    assert re.fullmatch(r"2025-\d{6}", numbers[first])
    assert re.fullmatch(r"2025-\d{6}", numbers[second])
    assert numbers[second] > numbers[first]
    assert int(numbers[second][5:]) == int(numbers[first][5:]) + 1
    assert re.fullmatch(r"2024-\d{6}", numbers[earlier])
    assert len(set(numbers.values())) == 3


def test_lodging_at_a_port_of_entry_starts_with_the_referral(app, caseworker) -> None:
    applicant_id = registered_id(register(caseworker, lodged_at="port_of_entry",
                                          port_of_entry="icn"))
    [person] = applicants(app, id=applicant_id)
    [case] = person.cases
    assert case.status == CaseStatus.REFERRAL_PENDING
    assert case.lodged_at == LodgedAt.PORT_OF_ENTRY
    assert case.port_of_entry == person.port_of_entry == "ICN"
    assert case.next_due_on == LODGED_ON + timedelta(days=7)  # the referral decision


def test_lodging_at_a_port_needs_the_port(app, caseworker) -> None:
    before = counts(app)
    response = register(caseworker, lodged_at="port_of_entry", port_of_entry="")
    assert response.status_code == 200
    assert "port of entry" in field_error(response, "port_of_entry")
    assert counts(app) == before


def test_lodging_in_the_country_needs_no_port_and_keeps_none_on_the_case(app, caseworker
                                                                         ) -> None:
    applicant_id = registered_id(register(caseworker, port_of_entry="PUS"))
    [person] = applicants(app, id=applicant_id)
    assert person.port_of_entry == "PUS"  # where they arrived
    assert person.cases[0].port_of_entry is None  # but the application was not lodged there
    assert person.cases[0].status == CaseStatus.FIRST_INSTANCE


@pytest.mark.parametrize(("written", "reference"), [
    ("1990", date(1990, 7, 1)),
    ("1990-05", date(1990, 5, 15)),
    ("1990-05-17", date(1990, 5, 17)),
    (" 1990-05 ", date(1990, 5, 15)),
])
def test_the_precision_of_the_date_of_birth_is_kept(app, caseworker, written, reference
                                                    ) -> None:
    applicant_id = registered_id(register(caseworker, date_of_birth=written))
    [person] = applicants(app, id=applicant_id)
    assert person.date_of_birth == written.strip()
    assert person.birth_reference_date == reference
    page = page_text(caseworker.get(f"/applicants/{applicant_id}"))
    assert f'<dd class="col-7">{written.strip()}</dd>' in page


# --- refused input --------------------------------------------------------------------------

REFUSED = [
    pytest.param({"date_of_birth": "2023-02-30"}, "date_of_birth", "does not exist",
                 id="impossible-birth-date"),
    pytest.param({"date_of_birth": "1990-13"}, "date_of_birth", "does not exist",
                 id="month-13"),
    pytest.param({"date_of_birth": FAR_FUTURE.isoformat()}, "date_of_birth", "future",
                 id="birth-in-the-future"),
    pytest.param({"date_of_birth": "17.05.1990"}, "date_of_birth", "YYYY-MM-DD",
                 id="birth-date-format"),
    pytest.param({"date_of_birth": "1850"}, "date_of_birth", "1900", id="born-before-1900"),
    pytest.param({"date_of_birth": ""}, "date_of_birth", "required", id="no-birth-date"),
    pytest.param({"date_of_birth": "2025-03-20", "arrival_date": ""}, "lodged_on",
                 "before the date of birth", id="lodged-before-birth"),
    pytest.param({"date_of_birth": "2025-04", "arrival_date": ""}, "lodged_on",
                 "before the date of birth", id="lodged-before-birth-month"),
    pytest.param({"date_of_birth": "2024-06-01", "arrival_date": "2024-05-01"},
                 "arrival_date", "before birth", id="arrived-before-birth"),
    pytest.param({"arrival_date": "2025-03-11"}, "arrival_date",
                 "after the application was lodged", id="arrival-after-lodging"),
    pytest.param({"lodged_on": FAR_FUTURE.isoformat()}, "lodged_on", "future",
                 id="lodged-in-the-future"),
    pytest.param({"lodged_on": "2023-02-30"}, "lodged_on", "Not a valid date",
                 id="impossible-lodging-date"),
    pytest.param({"lodged_on": ""}, "lodged_on", "required", id="no-lodging-date"),
    pytest.param({"arrival_date": "2025-02-29"}, "arrival_date", "Not a valid date",
                 id="impossible-arrival-date"),
    pytest.param({"nationality": "ZZZ"}, "nationality", "Not a valid choice",
                 id="unknown-nationality"),
    pytest.param({"nationality": "RU"}, "nationality", "Not a valid choice",
                 id="alpha-2-nationality"),
    pytest.param({"nationality": ""}, "nationality", "required", id="no-nationality"),
    pytest.param({"languages": ["rus", "xyz"]}, "languages", "xyz",
                 id="unknown-language"),
    pytest.param({"languages": ["ru"]}, "languages", "ru", id="alpha-2-language"),
    pytest.param({"family_name": "A" * 101}, "family_name", "100", id="long-family-name"),
    pytest.param({"given_names": "B" * 201}, "given_names", "200", id="long-given-names"),
    pytest.param({"native_name": "Я" * 201}, "native_name", "200", id="long-native-name"),
    pytest.param({"family_group": "G" * 65}, "family_group", "64", id="long-family-group"),
    pytest.param({"family_name": "   "}, "family_name", "required", id="blank-family-name"),
    pytest.param({"given_names": ""}, "given_names", "required", id="no-given-names"),
    pytest.param({"port_of_entry": "12"}, "port_of_entry", "IATA", id="bad-port"),
    pytest.param({"lodged_at": "port_of_entry", "port_of_entry": "   "}, "port_of_entry",
                 "port of entry", id="blank-port-for-port-lodging"),
    pytest.param({"port_of_entry": "INCHEON"}, "port_of_entry", "IATA", id="port-name"),
    pytest.param({"sex": "Q"}, "sex", "Not a valid choice", id="unknown-sex"),
    pytest.param({"relationship": "cousin"}, "relationship", "Not a valid choice",
                 id="unknown-relationship"),
    pytest.param({"lodged_at": "airport"}, "lodged_at", "Not a valid choice",
                 id="unknown-lodging-place"),
    pytest.param({"family_name": "IVA\x00NOV"}, "family_name", "character",
                 id="nul-in-name"),
    pytest.param({"native_name": "Ив\x07анов"}, "native_name", "character",
                 id="control-character-in-name"),
]


@pytest.mark.parametrize(("changes", "field", "message"), REFUSED)
def test_refused_input_names_the_field_and_saves_nothing(app, caseworker, changes, field,
                                                         message) -> None:
    before = counts(app)
    response = register(caseworker, **changes)
    assert response.status_code == 200
    error = field_error(response, field)
    assert error is not None, f"no message on {field}: {field_errors(response)}"
    assert message.lower() in error.lower()
    assert f'href="#{field}"' in page_text(response)  # the summary links to the field
    assert counts(app) == before  # no applicant, case, status event or audit row


def test_a_refused_form_keeps_what_was_typed(caseworker) -> None:
    response = register(caseworker, date_of_birth="2023-02-30", family_name="KIM",
                        native_name="김민준")
    html = page_text(response)
    assert 'value="KIM"' in html and 'value="김민준"' in html
    assert 'value="2023-02-30"' in html
    assert sorted(selected(html, "languages")) == ["eng", "rus"]
    assert selected(html, "nationality") == ["RUS"]


HOSTILE = [
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "'; DROP TABLE applicants; --",
    "{{ 7*7 }}{% raw %}",
    "%s%s%n%x",
    "../../../etc/passwd",
    "\u202eevil\u202c",
    "𝕴𝖛𝖆𝖓𝖔𝖛 🙂",
    "ﷺ" * 50,
    "\x00",
    "\r\n\t",
    "٠١٢٣",
    "2025-",
    "-1",
    "9" * 400,
]
HOSTILE_FIELDS = ["family_name", "given_names", "native_name", "date_of_birth", "nationality",
                  "sex", "lodged_on", "lodged_at", "arrival_date", "port_of_entry",
                  "family_group", "relationship", "aliases", "duplicate_decision",
                  "members-0-family_name", "members-0-date_of_birth", "members-0-nationality",
                  "members-0-duplicate_decision", "members-x-family_name"]


@pytest.mark.parametrize("field", HOSTILE_FIELDS)
def test_hostile_input_never_breaks_the_page(app, caseworker, field) -> None:
    token = csrf_token(caseworker, REGISTER_URL)
    for value in HOSTILE:
        data = registration(family_name=f"HOSTILE{HOSTILE.index(value)}", native_name="")
        data[field] = value
        if field.startswith("members-0"):
            data.update({"members-0-family_name": "KID", "members-0-given_names": "Ann",
                         "members-0-sex": "F", "members-0-date_of_birth": "2015",
                         **{field: value}})
        response = caseworker.post(REGISTER_URL, data={**data, "csrf_token": token})
        assert response.status_code in {200, 302}, (field, value, response.status_code)
        html = page_text(response)
        assert "<script>alert(1)" not in html.lower()
        assert "<img src=x" not in html


def test_a_script_as_a_name_is_stored_as_written_and_shown_escaped(app, caseworker) -> None:
    script = "<script>alert(1)</script>"
    refused = register(caseworker, given_names=script)  # travel-document names are Latin
    assert "Use letters, spaces, hyphens and apostrophes only." in page_text(refused)
    response = register(caseworker, native_name=script, family_group=script)
    applicant_id = registered_id(response)
    [person] = applicants(app, id=applicant_id)
    assert person.native_name == person.family_group == script

    for url in (f"/applicants/{applicant_id}", "/applicants", "/applicants?q=alert",
                f"/cases/{person.cases[0].id}", f"/applicants/{applicant_id}/edit"):
        html = page_text(caseworker.get(url))
        assert "<script>alert(1)</script>" not in html, url
        if not url.startswith("/cases/"):  # the case page does not show the native name
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url


def test_only_agency_roles_may_register(app, login_as) -> None:
    ngo_user = login_as(Role.LEGAL_AID)
    before = counts(app)
    assert ngo_user.get(REGISTER_URL).status_code == 403
    token_page = ngo_user.get("/account")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      page_text(token_page)).group(1)
    response = ngo_user.post(REGISTER_URL, data={**registration(), "csrf_token": token})
    assert response.status_code == 403
    after = counts(app)
    assert (after.applicants, after.cases) == (before.applicants, before.cases)


def test_a_post_without_the_csrf_token_is_refused(app, caseworker) -> None:
    before = counts(app)
    response = caseworker.post(REGISTER_URL, data=registration())
    assert response.status_code == 400
    assert counts(app).applicants == before.applicants


# --- households -------------------------------------------------------------------------------

MEMBERS = {
    "members-0-family_name": "PETROV", "members-0-given_names": "Oleg",
    "members-0-native_name": "Петров Олег", "members-0-sex": "M",
    "members-0-date_of_birth": "1985-02", "members-0-relationship": "spouse",
    "members-0-nationality": "",
    "members-1-family_name": "PETROVA", "members-1-given_names": "Masha",
    "members-1-sex": "F", "members-1-date_of_birth": "2016-09-30",
    "members-1-relationship": "child", "members-1-nationality": "UKR",
}


def test_a_household_is_added_member_by_member_without_javascript(caseworker) -> None:
    data = registration(relationship="principal")
    first = submit_register(caseworker, {**data, "add_member": "1"})
    assert first.status_code == 200
    html = page_text(first)
    assert 'name="members-0-family_name"' in html
    assert 'name="members-1-family_name"' not in html
    assert 'value="PETROVA"' in html  # the principal's entries are kept

    member = {k: v for k, v in MEMBERS.items() if k.startswith("members-0")}
    second = submit_register(caseworker, {**data, **member, "add_member": "1"})
    html = page_text(second)
    assert 'name="members-1-family_name"' in html
    assert 'value="Петров Олег"' in html

    fewer = submit_register(caseworker, {**data, **MEMBERS, "remove_member": "1"})
    html = page_text(fewer)
    assert 'name="members-1-family_name"' not in html and 'value="Петров Олег"' in html


def test_a_household_registered_together_shares_a_family_group(app, caseworker) -> None:
    before = counts(app)
    response = submit_register(caseworker, {**registration(relationship="principal"),
                                            **MEMBERS})
    principal_id = registered_id(response)
    after = counts(app)
    assert after.applicants == before.applicants + 3
    assert after.cases == before.cases + 3

    people = applicants(app)
    principal = next(p for p in people if p.id == principal_id)
    spouse = next(p for p in people if p.given_names == "Oleg")
    child = next(p for p in people if p.given_names == "Masha")
    assert principal.family_group and principal.family_group == f"F-{principal.registration_no}"
    assert spouse.family_group == child.family_group == principal.family_group
    assert (principal.relationship, spouse.relationship, child.relationship) == (
        "principal", "spouse", "child")
    assert spouse.nationality == "RUS"  # left blank: the principal's
    assert child.nationality == "UKR"  # given: kept
    assert spouse.date_of_birth == "1985-02"
    # each person has their own application, lodged the same day the same way
    cases = [p.cases for p in (principal, spouse, child)]
    assert all(len(c) == 1 for c in cases)
    assert len({c[0].id for c in cases}) == 3
    assert {(c[0].lodged_on, c[0].status) for c in cases} == {
        (LODGED_ON, CaseStatus.FIRST_INSTANCE)}

    page = page_text(caseworker.get(f"/applicants/{principal_id}"))
    numbers = ", ".join(p.registration_no for p in (principal, spouse, child))
    assert f"Registered 3 person(s): {numbers}." in page
    assert "Household" in page
    assert f'href="/applicants/{spouse.id}"' in page and f'href="/applicants/{child.id}"' in page
    registered = audit_events(app, "applicant.registered")
    assert {e.applicant_id for e in registered} >= {principal.id, spouse.id, child.id}


def test_a_household_keeps_a_family_group_that_was_given(app, caseworker) -> None:
    response = submit_register(caseworker, {**registration(family_group="HH-2025-17"),
                                            **MEMBERS})
    registered_id(response)
    assert {p.family_group for p in applicants(app)} == {"HH-2025-17"}


def test_one_invalid_member_saves_nobody(app, caseworker) -> None:
    before = counts(app)
    response = submit_register(caseworker, {**registration(), **MEMBERS,
                                            "members-1-date_of_birth": "2016-02-30"})
    assert response.status_code == 200
    assert "does not exist" in field_error(response, "members-1-date_of_birth")
    assert field_error(response, "members-0-date_of_birth") is None
    summary = page_text(response).split('id="form-errors"')[1].split("</div>")[0]
    assert 'href="#members-1-date_of_birth"' in summary and "Member 3" in summary
    assert "{" not in summary  # the messages, not the error dictionaries
    assert counts(app) == before


def test_a_member_born_after_the_lodging_is_refused_on_that_member(app, caseworker) -> None:
    before = counts(app)
    response = submit_register(caseworker, {**registration(), **MEMBERS,
                                            "members-1-date_of_birth": "2025-06"})
    assert response.status_code == 200
    summary = page_text(response).split('id="form-errors"')[1].split("</div>")[0]
    assert ("Member 3 (PETROVA Masha): The application cannot be lodged before the date of "
            "birth.") in summary
    assert "Member 2" not in summary
    assert field_error(response, "lodged_on") is None  # the principal's dates are fine
    assert field_error(response, "arrival_date") is None
    assert counts(app) == before


def test_travel_document_names_must_be_latin(app, caseworker) -> None:
    before = counts(app)
    response = register(caseworker, family_name="Иванов", native_name="Иванов Иван")
    assert "Use the Latin spelling of the travel document here" in field_error(
        response, "family_name")
    assert counts(app) == before
    accented = register(caseworker, family_name="NGUYỄN", given_names="Văn An")
    assert registered_id(accented)


def test_common_asylum_languages_without_a_two_letter_code_are_offered(caseworker) -> None:
    html = page_text(caseworker.get(REGISTER_URL))
    for code in ("prs", "ckb", "rhg"):  # Dari, Sorani, Rohingya
        assert f'value="{code}"' in html
