"""Booking hearings from the case page, used like a browser (real login, CSRF on): the
stored fields, double-booking of interviewer, interpreter, room and applicant refused with
the clash named (half-open slots), warnings that do not refuse, and bad input refused with
a message and nothing saved."""

from __future__ import annotations

from datetime import timedelta

import pytest

from casemgr.auth.models import OrganisationKind, Role
from casemgr.hearings.models import HearingStatus
from tests.cases.helpers import S, last_audit, make_case, says, session_of, text
from tests.conftest import post_form
from tests.hearings.helpers import (
    book,
    form,
    hearing,
    hearing_count,
    schedule_page,
    slot,
)


@pytest.fixture
def agency(factories):
    return factories.organisation(OrganisationKind.AGENCY)


@pytest.fixture
def caseworker(login_as, agency):
    return login_as(Role.CASEWORKER, organisation=agency, full_name="Min-jun Kim", sex="M")


@pytest.fixture
def interviewer(factories, agency):
    return factories.user(Role.CASEWORKER, organisation=agency, full_name="Seo-yeon Park",
                          sex="F")


@pytest.fixture
def case_id(app, factories, agency):
    return make_case(app, factories, S.FIRST_INSTANCE, agency=agency, languages="rus;eng",
                     sex="F")


@pytest.fixture
def other_case_id(app, factories, agency):
    return make_case(app, factories, S.FIRST_INSTANCE, agency=agency, languages="fas")


def test_a_caseworker_books_a_hearing_from_the_case_page(app, caseworker, interviewer,
                                                         case_id) -> None:
    page = caseworker.get(f"/cases/{case_id}")
    assert f'/cases/{case_id}/hearings/new' in page.get_data(as_text=True)
    response = schedule_page(caseworker, case_id, form(
        app, hour=9, minute=30, duration_minutes="90", location="  Room   7 ",
        interviewer_id=str(interviewer.id), interpreter_name="Olga Ivanova",
        interpreter_language="rus", representative_attending="y", recording_consent="y"))
    assert response.status_code == 302
    hearing_id = int(response.headers["Location"].rsplit("/", 1)[1])
    stored = hearing(app, hearing_id)
    assert stored.starts_at == slot(app, 9, 30)
    assert stored.ends_at == slot(app, 11, 0)
    assert (stored.kind, stored.duration_minutes, stored.location) == ("rsd_interview", 90,
                                                                      "Room 7")
    assert stored.location_key == "room 7"
    assert (stored.interviewer_id, stored.interpreter_name, stored.interpreter_language) == (
        interviewer.id, "Olga Ivanova", "rus")
    assert stored.representative_attending and stored.recording_consent
    assert not stored.same_sex_interviewer_requested
    assert stored.status == HearingStatus.SCHEDULED and stored.version == 1
    event = last_audit(app, "hearing.scheduled")
    assert event.object_id == str(hearing_id) and event.applicant_id == stored.applicant_id
    assert event.actor_name == caseworker.user.username
    listed = text(caseworker.get(f"/cases/{case_id}"))
    assert "Refugee status interview" in listed and "Room 7" in listed


CLASHES = {
    "interviewer": ({"interviewer": True}, {"interviewer": True}),
    "interpreter": ({"interpreter_name": "Olga Ivanova"}, {"interpreter_name": "olga  IVANOVA"}),
    "room": ({"location": "Room 3"}, {"location": "room 3"}),
    "applicant": ({}, {"same_applicant": True}),
}


def _clash_form(app, values: dict, interviewer, hour: int, minute: int = 0) -> dict:
    """A booking sharing only the resource of `values` with the first one."""
    return form(app, hour=hour, minute=minute,
                location=values.get("location", "Room 9"),
                interviewer_id=str(interviewer.id) if values.get("interviewer") else "",
                interpreter_name=values.get("interpreter_name", ""),
                interpreter_language="rus" if values.get("interpreter_name") else "")


@pytest.mark.parametrize("resource", sorted(CLASHES))
def test_each_double_booking_is_refused_naming_the_clash(app, caseworker, interviewer, case_id,
                                                         other_case_id, resource) -> None:
    first, second = CLASHES[resource]
    first_id = book(app, case_id, starts_at=slot(app, 9), duration=60,
                    location=first.get("location", "Room 1"),
                    interviewer=interviewer if first.get("interviewer") else None,
                    interpreter_name=first.get("interpreter_name"))
    target = case_id if second.get("same_applicant") else other_case_id
    before = hearing_count(app)
    response = schedule_page(caseworker, target, _clash_form(app, second, interviewer, 9, 30))
    assert response.status_code == 200
    assert hearing_count(app) == before
    page = text(response)
    assert f"(hearing {first_id})" in page
    with session_of(app) as session:
        from casemgr.hearings.models import Hearing

        number = session.get_one(Hearing, first_id).applicant.registration_no
    assert number in page
    assert "already booked" in page


@pytest.mark.parametrize("resource", sorted(CLASHES))
def test_back_to_back_slots_do_not_clash(app, caseworker, interviewer, case_id, other_case_id,
                                         resource) -> None:
    """09:00–10:00 and 10:00–11:00 (and 08:00–09:00) share every resource but no time."""
    first, second = CLASHES[resource]
    book(app, case_id, starts_at=slot(app, 9), duration=60,
         location=first.get("location", "Room 1"),
         interviewer=interviewer if first.get("interviewer") else None,
         interpreter_name=first.get("interpreter_name"))
    target = case_id if second.get("same_applicant") else other_case_id
    after = schedule_page(caseworker, target, _clash_form(app, second, interviewer, 10))
    assert after.status_code == 302, text(after)
    before = schedule_page(caseworker, target, _clash_form(app, second, interviewer, 8))
    assert before.status_code == 302, text(before)
    assert hearing_count(app) == 3


def test_only_scheduled_hearings_block_a_slot(app, caseworker, interviewer, case_id,
                                              other_case_id) -> None:
    from casemgr.hearings.models import Hearing

    first_id = book(app, case_id, starts_at=slot(app, 9), interviewer=interviewer)
    with session_of(app) as session:
        session.get_one(Hearing, first_id).status = HearingStatus.CANCELLED
        session.commit()
    response = schedule_page(caseworker, other_case_id, form(
        app, hour=9, location="Room 1", interviewer_id=str(interviewer.id)))
    assert response.status_code == 302


def test_a_clash_outside_the_users_scope_is_not_named(app, factories, caseworker, case_id
                                                      ) -> None:
    stranger = make_case(app, factories, S.FIRST_INSTANCE)  # another agency's person
    other_id = book(app, stranger, starts_at=slot(app, 9), location="Court Room A")
    response = schedule_page(caseworker, case_id, form(app, hour=9, location="court room a"))
    assert response.status_code == 200
    page = text(response)
    assert "outside your scope" in page
    assert f"hearing {other_id}" not in page
    assert hearing(app, other_id).applicant_id  # still there, untouched


def test_moving_a_hearing_is_checked_for_clashes_and_the_past(app, caseworker, interviewer,
                                                              case_id, other_case_id) -> None:
    book(app, case_id, starts_at=slot(app, 9), interviewer=interviewer)
    moving = book(app, other_case_id, starts_at=slot(app, 14), interviewer=interviewer,
                  location="Room 2")
    url = f"/hearings/{moving}/edit"
    base = form(app, hour=9, minute=30, location="Room 2", interviewer_id=str(interviewer.id),
                version="1")
    refused = post_form(caseworker, url, base)
    assert refused.status_code == 200 and "already booked" in text(refused)
    yesterday = (slot(app, 9) - timedelta(days=10)).date()
    past = post_form(caseworker, url, {**base, "starts_at": f"{yesterday.isoformat()}T09:00"})
    assert says(past, "A hearing cannot be scheduled in the past.")
    assert hearing(app, moving).starts_at == slot(app, 14)
    moved = post_form(caseworker, url, {**base, "starts_at": base["starts_at"][:11] + "10:00"})
    assert moved.status_code == 302
    stored = hearing(app, moving)
    assert stored.starts_at == slot(app, 10) and stored.version == 2
    changes = last_audit(app, "hearing.updated").details["changes"]
    assert set(changes) == {"starts_at"}


def test_a_stale_move_is_refused_and_shows_what_changed(app, caseworker, case_id) -> None:
    hearing_id = book(app, case_id, starts_at=slot(app, 9))
    url = f"/hearings/{hearing_id}/edit"
    assert post_form(caseworker, url, form(app, hour=11, version="1")).status_code == 302
    stale = post_form(caseworker, url, form(app, hour=13, version="1"))
    assert stale.status_code == 200
    assert "someone changed this record" in text(stale)
    assert hearing(app, hearing_id).starts_at == slot(app, 11)


LONG = "x" * 201


@pytest.mark.parametrize(("overrides", "message"), [
    ({"starts_at": "2020-01-06T09:00"}, "A hearing cannot be scheduled in the past."),
    ({"duration_minutes": "0"}, "the end must be after the start"),
    ({"duration_minutes": "-30"}, "the end must be after the start"),
    ({"duration_minutes": "721"}, "12 hours"),
    ({"duration_minutes": "ninety"}, "Not a valid integer value."),
    ({"interpreter_language": "xyz"}, "Not a valid choice."),
    ({"location": ""}, "This field is required."),
    ({"location": LONG}, "Field cannot be longer than 200 characters."),
    ({"interpreter_name": LONG}, "Field cannot be longer than 200 characters."),
    ({"location": "Room\x071"}, "Remove the control characters"),
    ({"kind": "tea_party"}, "Not a valid choice."),
    ({"starts_at": "2026-02-30T09:00"}, "Not a valid datetime value."),
    ({"interviewer_id": "999999"}, "Not a valid choice."),
])
def test_bad_input_is_refused_with_a_message_and_nothing_saved(app, caseworker, case_id,
                                                               overrides, message) -> None:
    before = hearing_count(app)
    response = schedule_page(caseworker, case_id, form(app, **overrides))
    assert response.status_code == 200
    assert message in text(response)
    assert hearing_count(app) == before


def test_the_service_refuses_what_the_form_cannot_send(app, case_id) -> None:
    """The API and the CLI reach the service without the form's checks."""
    from casemgr.cases.models import Case
    from casemgr.exceptions import ValidationFailed
    from casemgr.hearings import services

    with session_of(app) as session:
        case = session.get_one(Case, case_id)
        data = services.HearingData(kind="rsd_interview", starts_at=slot(app, 9),
                                    duration_minutes=13 * 60, location="Room 1",
                                    interpreter_language="qqq", interpreter_name="x" * 300)
        with pytest.raises(ValidationFailed) as refused:
            services.schedule_hearing(session, case, data, actor=None)
        assert set(refused.value.errors) == {"duration_minutes", "interpreter_language",
                                             "interpreter_name"}
        data.duration_minutes, data.interpreter_language, data.interpreter_name = 60, None, None
        data.starts_at = slot(app, 9).replace(tzinfo=None)
        with pytest.raises(ValidationFailed) as naive:
            services.schedule_hearing(session, case, data, actor=None)
        assert set(naive.value.errors) == {"starts_at"}
    assert hearing_count(app) == 0


def test_the_interviewer_is_an_active_officer_of_the_applicants_agency(app, factories,
                                                                        case_id) -> None:
    from casemgr.auth.services import set_user_active
    from casemgr.cases.models import Case
    from casemgr.exceptions import ValidationFailed
    from casemgr.hearings import services

    outsider = factories.user(Role.CASEWORKER)  # another agency
    with session_of(app) as session:
        case = session.get_one(Case, case_id)
        lawyer = factories.user(Role.LEGAL_AID)
        gone = factories.user(Role.CASEWORKER, organisation=case.applicant.agency)
        admin = factories.user(Role.ADMIN, organisation=case.applicant.agency)
        set_user_active(session, session.get_one(type(admin), gone.id), active=False,
                        actor=session.get_one(type(admin), admin.id))
        for interviewer_id in (outsider.id, lawyer.id, gone.id, 999_999):
            with pytest.raises(ValidationFailed) as refused:
                services.schedule_hearing(session, case, services.HearingData(
                    kind="rsd_interview", starts_at=slot(app, 9), duration_minutes=60,
                    location="Room 1", interviewer_id=interviewer_id), actor=None)
            assert set(refused.value.errors) == {"interviewer_id"}
        services.schedule_hearing(session, case, services.HearingData(
            kind="court_hearing", starts_at=slot(app, 9), duration_minutes=60,
            location="Seoul Administrative Court, room 301"), actor=None)


def test_hearings_are_scheduled_only_for_pending_applications(app, factories, caseworker,
                                                              agency) -> None:
    decided = make_case(app, factories, S.RECOGNIZED, agency=agency)
    response = schedule_page(caseworker, decided, form(app))
    assert response.status_code == 200
    assert "only while the application is pending" in text(response)
    assert hearing_count(app) == 0


def test_language_warning_does_not_refuse(app, caseworker, interviewer, case_id) -> None:
    response = schedule_page(caseworker, case_id, form(
        app, interviewer_id=str(interviewer.id), interpreter_name="Ali Rezaei",
        interpreter_language="fas"))
    assert response.status_code == 302
    page = text(caseworker.get(response.headers["Location"]))
    assert ("The interpreter's language (Persian) is not one of the applicant's languages "
            "(Russian, English).") in page
    assert hearing_count(app) == 1


def test_no_language_warning_when_the_applicant_speaks_it(app, caseworker, interviewer,
                                                          case_id) -> None:
    response = schedule_page(caseworker, case_id, form(
        app, interviewer_id=str(interviewer.id), interpreter_name="Olga Ivanova",
        interpreter_language="eng"))
    page = text(caseworker.get(response.headers["Location"]))
    assert "not one of the applicant's languages" not in page
    assert "Please check" not in page


def test_same_sex_warning_when_the_interviewers_sex_differs(app, factories, caseworker, agency,
                                                            case_id) -> None:
    """The applicant is a woman who asked for a woman; a man is assigned: warned, saved."""
    man = factories.user(Role.CASEWORKER, organisation=agency, full_name="Do-hyun Lee",
                         sex="M")
    response = schedule_page(caseworker, case_id, form(
        app, interviewer_id=str(man.id), same_sex_interviewer_requested="y"))
    assert response.status_code == 302
    page = text(caseworker.get(response.headers["Location"]))
    assert ("An interviewer of the applicant's sex was requested, but Do-hyun Lee is not of "
            "the applicant's sex.") in page
    assert hearing(app, int(response.headers["Location"].rsplit("/", 1)[1])
                   ).same_sex_interviewer_requested


def test_no_same_sex_warning_when_the_sexes_match(app, caseworker, interviewer, case_id
                                                  ) -> None:
    response = schedule_page(caseworker, case_id, form(
        app, interviewer_id=str(interviewer.id), same_sex_interviewer_requested="y"))
    page = text(caseworker.get(response.headers["Location"]))
    assert "interviewer of the applicant's sex was requested" not in page


def test_same_sex_warning_when_the_interviewers_sex_is_not_recorded(app, factories, caseworker,
                                                                   agency, case_id) -> None:
    unknown = factories.user(Role.CASEWORKER, organisation=agency, full_name="Ji-ho Han")
    response = schedule_page(caseworker, case_id, form(
        app, interviewer_id=str(unknown.id), same_sex_interviewer_requested="y"))
    page = text(caseworker.get(response.headers["Location"]))
    assert "the sex of Ji-ho Han is not recorded" in page


def test_an_admin_records_a_users_sex(app, login_as, factories) -> None:
    from casemgr.auth.models import User

    admin = login_as(Role.ADMIN)
    user = factories.user(Role.CASEWORKER)
    response = post_form(admin, f"/admin/users/{user.id}", {
        "version": "1", "full_name": "Hye-jin Yoon", "sex": "F", "role": "caseworker",
        "organisation_id": str(user.organisation_id)})
    assert response.status_code == 302
    with session_of(app) as session:
        assert session.get_one(User, user.id).sex == "F"
    assert 'name="sex"' in admin.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert last_audit(app, "user.updated").details["changes"]["sex"] == [None, "F"]


def test_ngo_staff_read_hearings_of_shared_people_but_do_not_book(app, factories, login_as,
                                                                  agency) -> None:
    ngo = factories.organisation(OrganisationKind.NGO)
    lawyer = login_as(Role.LEGAL_AID, organisation=ngo)
    shared = make_case(app, factories, S.FIRST_INSTANCE, agency=agency, share_with=ngo)
    unshared = make_case(app, factories, S.FIRST_INSTANCE, agency=agency)
    seen = book(app, shared, starts_at=slot(app, 9))
    hidden = book(app, unshared, starts_at=slot(app, 11))
    assert lawyer.get(f"/hearings/{seen}").status_code == 200
    assert lawyer.get(f"/hearings/{hidden}").status_code == 404
    assert lawyer.get(f"/cases/{shared}/hearings/new").status_code == 403
    assert lawyer.get(f"/hearings/{seen}/edit").status_code == 403
    assert f"/hearings/{seen}" in lawyer.get(f"/cases/{shared}").get_data(as_text=True)


def test_viewing_a_hearing_is_audited_as_a_view_of_the_persons_file(app, caseworker, case_id
                                                                    ) -> None:
    hearing_id = book(app, case_id, starts_at=slot(app, 9))
    assert caseworker.get(f"/hearings/{hearing_id}").status_code == 200
    event = last_audit(app, "hearing.viewed")
    assert event.object_type == "hearing" and event.object_id == str(hearing_id)
    assert event.applicant_id == hearing(app, hearing_id).applicant_id
