"""Recording what happened at a hearing: held, postponed, cancelled or the applicant did not
appear; the no-show count that puts a first-instance case on the dashboard as a termination
candidate after three; corrections and stale forms."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from casemgr.auth.models import OrganisationKind, Role
from casemgr.hearings.models import CaseAttendance, HearingStatus
from tests.cases.helpers import S, last_audit, make_case, session_of, text
from tests.conftest import post_form
from tests.hearings.helpers import book, book_past, hearing, slot


@pytest.fixture
def agency(factories):
    return factories.organisation(OrganisationKind.AGENCY)


@pytest.fixture
def caseworker(login_as, agency):
    return login_as(Role.CASEWORKER, organisation=agency)


def outcome(client, hearing_id: int, status: str, note: str = "", version: int | None = None):
    version = version if version is not None else hearing_version(client, hearing_id)
    return post_form(client, f"/hearings/{hearing_id}/outcome",
                     {"status": status, "outcome_note": note, "version": str(version)},
                     page=f"/hearings/{hearing_id}")


def hearing_version(client, hearing_id: int) -> int:
    page = client.get(f"/hearings/{hearing_id}").get_data(as_text=True)
    return int(re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1))


def no_shows(app, case_id: int) -> int | None:
    with session_of(app) as session:
        return session.execute(sa.select(CaseAttendance.no_shows).where(
            CaseAttendance.case_id == case_id)).scalar()


def termination_rows(client) -> str:
    page = client.get("/").get_data(as_text=True)
    match = re.search(r'id="due-termination".*?<tbody>(.*?)</tbody>', page, re.S)
    return match.group(1) if match else ""


def test_a_past_hearing_is_recorded_as_held_with_a_note(app, factories, caseworker, agency
                                                        ) -> None:
    case_id = make_case(app, factories, S.FIRST_INSTANCE, agency=agency)
    hearing_id = book_past(app, case_id)
    response = outcome(caseworker, hearing_id, "held", "Interview completed; 3 hours.")
    assert response.status_code == 302
    stored = hearing(app, hearing_id)
    assert stored.status == HearingStatus.HELD and stored.version == 2
    assert stored.outcome_note == "Interview completed; 3 hours."
    event = last_audit(app, "hearing.outcome_recorded")
    assert event.details["changes"]["status"] == ["scheduled", "held"]
    # The note is about a person: the trail says it changed, without copying it.
    assert "Interview completed" not in str(event.details)


def test_a_future_hearing_cannot_have_been_held_or_missed(app, factories, caseworker, agency
                                                          ) -> None:
    case_id = make_case(app, factories, S.FIRST_INSTANCE, agency=agency)
    hearing_id = book(app, case_id, starts_at=slot(app, 9))
    for status in ("held", "no_show"):
        refused = outcome(caseworker, hearing_id, status)
        assert refused.status_code == 200
        assert "has not started yet" in text(refused)
        assert hearing(app, hearing_id).status == HearingStatus.SCHEDULED
    assert outcome(caseworker, hearing_id, "postponed", "Interpreter ill.").status_code == 302
    assert hearing(app, hearing_id).status == HearingStatus.POSTPONED


def test_outcome_input_is_checked(app, factories, caseworker, agency) -> None:
    case_id = make_case(app, factories, S.FIRST_INSTANCE, agency=agency)
    hearing_id = book_past(app, case_id)
    too_long = outcome(caseworker, hearing_id, "held", "x" * 2001)
    assert "Field cannot be longer than 2000 characters." in text(too_long)
    back = outcome(caseworker, hearing_id, "scheduled")
    assert "Not a valid choice." in text(back)
    assert hearing(app, hearing_id).version == 1


def test_a_stale_outcome_is_refused(app, factories, caseworker, agency) -> None:
    case_id = make_case(app, factories, S.FIRST_INSTANCE, agency=agency)
    hearing_id = book_past(app, case_id)
    assert outcome(caseworker, hearing_id, "held", version=1).status_code == 302
    stale = outcome(caseworker, hearing_id, "no_show", version=1)
    assert stale.status_code == 200 and "someone changed this record" in text(stale)
    assert hearing(app, hearing_id).status == HearingStatus.HELD


def test_three_no_shows_make_a_first_instance_case_a_termination_candidate(
        app, factories, caseworker, agency) -> None:
    case_id = make_case(app, factories, S.FIRST_INSTANCE, agency=agency)
    missed = [book_past(app, case_id, hours_ago=hours) for hours in (30, 20, 10)]
    for hearing_id in missed[:2]:
        assert outcome(caseworker, hearing_id, "no_show").status_code == 302
    assert no_shows(app, case_id) == 2
    assert termination_rows(caseworker) == ""
    assert outcome(caseworker, missed[2], "no_show", "Did not come.").status_code == 302
    assert no_shows(app, case_id) == 3
    rows = termination_rows(caseworker)
    assert f"/cases/{case_id}#hearings" in rows and "3 hearings missed" in rows
    assert "may be terminated" in text(caseworker.get(f"/cases/{case_id}"))
    # A correction (it was held after all) takes the case off the list again.
    assert outcome(caseworker, missed[0], "held").status_code == 302
    assert no_shows(app, case_id) == 2
    assert termination_rows(caseworker) == ""


def test_no_shows_of_a_case_in_another_status_or_agency_are_not_listed(
        app, factories, caseworker, agency) -> None:
    from casemgr.hearings import services

    elsewhere = make_case(app, factories, S.FIRST_INSTANCE)  # another agency
    objection = make_case(app, factories, S.OBJECTION, agency=agency)
    booked = [book_past(app, case_id, hours_ago=hours, location=f"Room {case_id}")
              for case_id in (elsewhere, objection) for hours in (30, 20, 10)]
    with session_of(app) as session:
        for hearing_id in booked:
            found = session.get_one(services.Hearing, hearing_id)
            services.record_outcome(session, found, status="no_show", outcome_note="",
                                    version=found.version, actor=None)
        session.commit()
    assert no_shows(app, elsewhere) == no_shows(app, objection) == 3
    assert termination_rows(caseworker) == ""


def test_only_a_scheduled_hearing_can_be_moved(app, factories, caseworker, agency) -> None:
    case_id = make_case(app, factories, S.FIRST_INSTANCE, agency=agency)
    hearing_id = book_past(app, case_id)
    assert outcome(caseworker, hearing_id, "cancelled").status_code == 302
    response = caseworker.get(f"/hearings/{hearing_id}/edit")
    assert response.status_code == 302
    assert "Only a scheduled hearing can be changed" in text(caseworker.get(
        response.headers["Location"]))
    again = caseworker.get(f"/hearings/{hearing_id}")
    assert f"/cases/{case_id}/hearings/new?copy={hearing_id}" in again.get_data(as_text=True)
    copied = caseworker.get(f"/cases/{case_id}/hearings/new?copy={hearing_id}")
    assert 'value="Room 1"' in copied.get_data(as_text=True)


def test_ngo_staff_cannot_record_outcomes(app, factories, login_as, agency) -> None:
    ngo = factories.organisation(OrganisationKind.NGO)
    lawyer = login_as(Role.LEGAL_AID, organisation=ngo)
    case_id = make_case(app, factories, S.FIRST_INSTANCE, agency=agency, share_with=ngo)
    hearing_id = book_past(app, case_id)
    assert 'action="/hearings/' not in lawyer.get(f"/hearings/{hearing_id}").get_data(
        as_text=True)
    refused = post_form(lawyer, f"/hearings/{hearing_id}/outcome",
                        {"status": "no_show", "version": "1"}, page="/account")
    assert refused.status_code == 403
    assert hearing(app, hearing_id).status == HearingStatus.SCHEDULED


def test_termination_candidates_list_the_most_missed_first_then_the_newest_case(
        app, factories, caseworker, agency) -> None:
    """The order the no-show index gives read backwards (no sort of every candidate)."""
    older, newer, most = (make_case(app, factories, S.FIRST_INSTANCE, agency=agency)
                          for _ in range(3))
    with session_of(app) as session:
        session.add_all([CaseAttendance(case_id=older, no_shows=3),
                         CaseAttendance(case_id=newer, no_shows=3),
                         CaseAttendance(case_id=most, no_shows=4)])
        session.commit()
    rows = termination_rows(caseworker)
    positions = [rows.index(f"/cases/{case_id}#hearings") for case_id in (most, newer, older)]
    assert positions == sorted(positions)
