"""Likely duplicates at registration (DOMAIN §Duplicates): shown with score and reasons,
nothing saved until the user decides; linking lodges a subsequent application for the person
already registered; "not the same person" is recorded; scope limits what is offered."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa

from casemgr.applicants import services
from casemgr.applicants.fields import parse_date_of_birth
from casemgr.applicants.matching import dob_compatible
from casemgr.applicants.models import DuplicateDismissal
from casemgr.auth.models import OrganisationKind, Role
from casemgr.cases.models import ApplicationType, CaseStatus
from casemgr.extensions import db
from tests.applicants.helpers import (
    applicants,
    audit_events,
    counts,
    field_error,
    page_text,
    registration,
    reject_case,
    submit_register,
)

LODGED = "2026-03-02"
DECIDED = date(2026, 2, 2)


@pytest.fixture
def agency(factories):
    return factories.organisation(OrganisationKind.AGENCY)


@pytest.fixture
def caseworker(login_as, agency):
    return login_as(Role.CASEWORKER, organisation=agency)


@pytest.fixture
def ivanov(factories, agency):
    """IVANOV Ivan, born 1990-05-17, Russian, with a first-instance application in progress."""
    return factories.applicant(agency=agency, family_name="IVANOV", given_names="Ivan",
                               native_name="Иванов Иван", date_of_birth="1990-05-17",
                               nationality="RUS", lodged_on=date(2026, 1, 12))


def newcomer(family_name: str = "Ivanov", given_names: str = "Iwan", native_name: str = "",
             **changes) -> dict:
    values = {"sex": "M", "date_of_birth": "1990-05-17", "nationality": "RUS",
              "lodged_on": LODGED, "arrival_date": "2026-02-20", **changes}
    return registration(family_name=family_name, given_names=given_names,
                        native_name=native_name, **values)


def offered_ids(response, field: str = "duplicate_decision") -> set[str]:
    return set(re.findall(rf'type="radio" name="{field}" id="[^"]+" value="([^"]+)"',
                          page_text(response)))


@pytest.mark.parametrize(("family_name", "given_names", "native_name"), [
    ("IWANOFF", "Iwan", "Иванов Иван"),  # the original script matches exactly
    ("Ivanov", "Iwan", ""),
    ("Ivanow", "Ivan", ""),
])
def test_a_likely_duplicate_is_shown_and_nothing_is_saved(app, caseworker, ivanov, family_name,
                                                          given_names, native_name) -> None:
    before = counts(app)
    response = submit_register(caseworker, newcomer(family_name, given_names, native_name))
    assert response.status_code == 200
    html = page_text(response)
    assert "Possible duplicates found" in html
    assert offered_ids(response) == {str(ivanov.id), "new"}
    assert f'<a href="/applicants/{ivanov.id}">{ivanov.registration_no}</a>' in html
    score = re.search(r"<strong>score (\d+)</strong>", html)
    assert score and 85 <= int(score.group(1)) <= 100
    assert "same date of birth 1990-05-17" in html and "same nationality RUS" in html
    assert re.search(r"names \d+% alike", html)
    assert counts(app) == before  # no person, no case, no audit row


def test_linking_while_the_earlier_application_is_pending_is_refused_clearly(
        app, caseworker, ivanov) -> None:
    before = counts(app)
    response = submit_register(caseworker, newcomer(duplicate_decision=str(ivanov.id)))
    assert response.status_code == 200
    message = field_error(response, "lodged_on")
    assert message and "already has an application in progress" in message
    assert "First instance" in message
    assert counts(app) == before
    [person] = applicants(app)
    assert len(person.cases) == 1


def test_linking_lodges_a_subsequent_application_for_the_person_already_registered(
        app, caseworker, ivanov) -> None:
    reject_case(app, ivanov.cases[0].id, on=DECIDED)
    before = counts(app)
    response = submit_register(caseworker, newcomer(duplicate_decision=str(ivanov.id)))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/applicants/{ivanov.id}"

    after = counts(app)
    assert after.applicants == before.applicants  # nobody new
    assert after.cases == before.cases + 1
    assert after.dismissals == 0
    [person] = applicants(app)
    assert (person.family_name, person.given_names) == ("IVANOV", "Ivan")  # not overwritten
    first, second = person.cases
    assert first.status == CaseStatus.REJECTED and not first.is_current
    assert second.is_current and second.application_type == ApplicationType.SUBSEQUENT
    assert second.lodged_on == date(2026, 3, 2) and second.status == CaseStatus.FIRST_INSTANCE

    linked = audit_events(app, "applicant.duplicate_linked")
    assert [(e.applicant_id, e.actor_id) for e in linked] == [(ivanov.id, caseworker.user.id)]
    lodged = audit_events(app, "case.lodged", applicant_id=ivanov.id)
    assert [e.object_id for e in lodged] == [str(ivanov.cases[0].id), str(second.id)]
    assert audit_events(app, "applicant.registered", actor_id=caseworker.user.id) == []


def test_not_the_same_person_registers_a_new_person_and_records_the_decision(
        app, caseworker, ivanov) -> None:
    before = counts(app)
    response = submit_register(caseworker, newcomer(duplicate_decision="new"))
    assert response.status_code == 302
    new_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert new_id != ivanov.id
    after = counts(app)
    assert (after.applicants, after.cases, after.dismissals) == (
        before.applicants + 1, before.cases + 1, 1)
    with app.app_context():
        [dismissal] = db.session.query(DuplicateDismissal).all()
        assert (dismissal.applicant_id, dismissal.other_applicant_id) == tuple(
            sorted((ivanov.id, new_id)))
        assert dismissal.decided_by_id == caseworker.user.id
        assert 85 <= dismissal.score <= 100
    [event] = audit_events(app, "applicant.duplicate_dismissed")
    assert event.applicant_id == new_id and event.actor_id == caseworker.user.id
    assert event.details == {"other_applicant_id": ivanov.id, "score": dismissal.score}
    assert [e.applicant_id for e in audit_events(app, "applicant.registered",
                                                 actor_id=caseworker.user.id)] == [new_id]
    assert len(applicants(app, id=ivanov.id)[0].cases) == 1  # the other person is untouched


def test_an_unknown_decision_is_no_decision(app, caseworker, ivanov, factories) -> None:
    stranger = factories.applicant(family_name="IVANOV", given_names="Ivan",
                                   date_of_birth="1990-05-17")
    before = counts(app)
    for decision in ("", "maybe", str(stranger.id), "-1"):
        response = submit_register(caseworker, newcomer(duplicate_decision=decision))
        assert response.status_code == 200
        assert "Possible duplicates found" in page_text(response)
        assert offered_ids(response) == {str(ivanov.id), "new"}
        assert stranger.registration_no not in page_text(response)
    assert counts(app) == before


@pytest.mark.parametrize(("date_of_birth", "flagged"), [
    ("1991-05-17", False),  # a different year is never a duplicate
    ("1989", False),
    ("1990-06", False),  # the month rules it out
    ("1990-05", True),  # compatible at the precision written
    ("1990", True),
])
def test_the_date_of_birth_decides_at_its_precision(app, caseworker, ivanov, date_of_birth,
                                                    flagged) -> None:
    response = submit_register(caseworker, newcomer("IVANOV", "Ivan",
                                                    date_of_birth=date_of_birth))
    if flagged:
        assert response.status_code == 200
        assert offered_ids(response) == {str(ivanov.id), "new"}
    else:
        assert response.status_code == 302
        assert counts(app).applicants == 2 and counts(app).dismissals == 0


def test_a_person_outside_the_users_scope_is_never_offered(app, caseworker, factories) -> None:
    elsewhere = factories.applicant(family_name="IVANOV", given_names="Ivan",
                                    native_name="Иванов Иван", date_of_birth="1990-05-17")
    response = submit_register(caseworker, newcomer("IVANOV", "Ivan", "Иванов Иван"))
    assert response.status_code == 302
    assert elsewhere.registration_no not in page_text(response)
    assert counts(app).dismissals == 0
    assert audit_events(app, "applicant.duplicate_dismissed") == []


def test_only_candidates_in_scope_are_offered_among_several(app, caseworker, ivanov,
                                                            factories) -> None:
    factories.applicant(family_name="IVANOV", given_names="Ivan", date_of_birth="1990-05-17")
    response = submit_register(caseworker, newcomer())
    assert offered_ids(response) == {str(ivanov.id), "new"}


HOUSEHOLD = {
    "members-0-family_name": "Ivanow", "members-0-given_names": "Ivan",
    "members-0-sex": "M", "members-0-date_of_birth": "1990-05-17",
    "members-0-relationship": "spouse", "members-0-nationality": "",
}


def test_a_household_member_gets_their_own_duplicate_decision(app, caseworker, ivanov) -> None:
    data = {**newcomer("SIDOROVA", "Olga", sex="F", date_of_birth="1992-01-05",
                       relationship="principal"), **HOUSEHOLD}
    before = counts(app)
    response = submit_register(caseworker, data)
    assert response.status_code == 200
    assert offered_ids(response, "members-0-duplicate_decision") == {str(ivanov.id), "new"}
    assert offered_ids(response) == set()  # the principal resembles nobody
    assert counts(app) == before

    response = submit_register(caseworker, {**data, "members-0-duplicate_decision": "new"})
    assert response.status_code == 302
    people = applicants(app)
    assert len(people) == 3
    member = next(p for p in people if p.family_name == "Ivanow")
    principal = next(p for p in people if p.family_name == "SIDOROVA")
    assert member.family_group == principal.family_group is not None
    [event] = audit_events(app, "applicant.duplicate_dismissed")
    assert event.applicant_id == member.id
    assert event.details["other_applicant_id"] == ivanov.id


def test_a_household_member_can_be_linked_to_the_person_already_registered(
        app, caseworker, ivanov) -> None:
    reject_case(app, ivanov.cases[0].id, on=DECIDED)
    data = {**newcomer("SIDOROVA", "Olga", sex="F", date_of_birth="1992-01-05",
                       relationship="principal"), **HOUSEHOLD,
            "members-0-duplicate_decision": str(ivanov.id)}
    response = submit_register(caseworker, data)
    assert response.status_code == 302
    people = applicants(app)
    assert len(people) == 2  # the principal is new, the member is Ivanov
    [existing] = [p for p in people if p.id == ivanov.id]
    [principal] = [p for p in people if p.id != ivanov.id]
    assert [c.application_type for c in existing.cases] == [ApplicationType.FIRST_TIME,
                                                            ApplicationType.SUBSEQUENT]
    assert existing.family_group == principal.family_group is not None
    assert counts(app).dismissals == 0


def test_a_member_linked_while_their_application_is_pending_is_named_in_the_message(
        app, caseworker, ivanov) -> None:
    data = {**newcomer("SIDOROVA", "Olga", sex="F", date_of_birth="1992-01-05"),
            **HOUSEHOLD, "members-0-duplicate_decision": str(ivanov.id)}
    before = counts(app)
    response = submit_register(caseworker, data)
    assert response.status_code == 200
    assert re.search(r"Member 2 \(Ivanow Ivan\): This person already has an application in "
                     r"progress", page_text(response))
    assert field_error(response, "lodged_on") is None  # the principal's lodging is fine
    assert counts(app) == before


# --- the blocking by birth ----------------------------------------------------------------

def _written_births() -> list[str]:
    """Dates of birth as they may be written around 1990: full days (the 1st, the 15th,
    1 July: the reference dates of a month or a year written alone), months and years."""
    days = [f"{year}-{month:02d}-{day:02d}" for year in (1989, 1990, 1991)
            for month in (1, 6, 7, 12) for day in (1, 14, 15, 16, 31) if not (
                month == 6 and day == 31)]
    months = [f"{year}-{month:02d}" for year in (1989, 1990, 1991) for month in (1, 6, 7, 12)]
    return days + months + ["1989", "1990", "1991"]


@pytest.mark.parametrize("date_of_birth", _written_births())
def test_the_birth_blocking_keeps_every_date_the_comparison_accepts(date_of_birth) -> None:
    ranges = services._compatible_births(date_of_birth)
    kept = {other for other in _written_births()
            if any(first <= parse_date_of_birth(other)[1] <= last for first, last in ranges)}
    accepted = {other for other in _written_births() if dob_compatible(date_of_birth, other)}
    assert accepted <= kept
    assert len(kept - accepted) <= 2  # a full date on the 15th or on 1 July, at most


def test_people_of_the_same_year_born_on_other_days_do_not_crowd_out_a_duplicate(
        app, agency, factories, monkeypatch) -> None:
    """Candidates are limited before they are scored: the same name born earlier in the
    year (a day the comparison rules out) must not fill the limit."""
    for day in ("1990-01-02", "1990-01-03"):
        factories.applicant(agency=agency, family_name="IVANOV", given_names="Ivan",
                            date_of_birth=day, nationality="RUS")
    same = factories.applicant(agency=agency, family_name="IVANOV", given_names="Ivan",
                               date_of_birth="1990-05-17", nationality="RUS")
    monkeypatch.setattr(services, "CANDIDATE_LIMIT", 2)
    with app.app_context():
        found = services.find_duplicates(db.session, services.PersonData(
            family_name="IVANOV", given_names="Iwan", sex="M", date_of_birth="1990-05-17",
            nationality="RUS"), scope=sa.true())
        assert [candidate.applicant.id for candidate in found] == [same.id]
