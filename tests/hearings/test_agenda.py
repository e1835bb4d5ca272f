"""The agenda at /hearings (by day and week, filters in the URL) and the printable notice."""

from __future__ import annotations

from datetime import timedelta

import pytest

from casemgr.auth.models import OrganisationKind, Role
from tests.cases.helpers import S, last_audit, make_case, text
from tests.hearings.helpers import book, booking_day, slot


@pytest.fixture
def agency(factories):
    return factories.organisation(OrganisationKind.AGENCY)


@pytest.fixture
def caseworker(login_as, agency):
    return login_as(Role.CASEWORKER, organisation=agency)


@pytest.fixture
def booked(app, factories, agency):
    """Three hearings on the booking day and one the day after; one of another agency."""
    first = make_case(app, factories, S.FIRST_INSTANCE, agency=agency, family_name="ALPHA")
    second = make_case(app, factories, S.OBJECTION, agency=agency, family_name="BRAVO")
    third = make_case(app, factories, S.FIRST_INSTANCE, agency=agency, family_name="CHARLIE")
    stranger = make_case(app, factories, S.FIRST_INSTANCE, family_name="STRANGER")
    interviewer = factories.user(Role.CASEWORKER, organisation=agency, full_name="Ji-ho Han")
    book(app, first, starts_at=slot(app, 9), location="Room 1", interviewer=interviewer,
         interpreter_name="Olga Ivanova", interpreter_language="rus")
    book(app, second, starts_at=slot(app, 11), location="Committee hall",
         kind="objection_hearing")
    book(app, third, starts_at=slot(app, 9, day=booking_day(app) + timedelta(days=1)),
         location="Room 2")
    book(app, stranger, starts_at=slot(app, 10), location="Elsewhere")
    return {"interviewer": interviewer}


def names(response) -> list[str]:
    page = text(response)
    return [name for name in ("ALPHA", "BRAVO", "CHARLIE", "STRANGER") if name in page]


def test_the_day_view_lists_the_days_hearings_in_scope(app, caseworker, booked) -> None:
    day = booking_day(app).isoformat()
    response = caseworker.get(f"/hearings?date={day}")
    assert response.status_code == 200
    assert names(response) == ["ALPHA", "BRAVO"]
    page = text(response)
    assert "9:00 AM–10:00 AM" in page and "Olga Ivanova (rus)" in page and "Ji-ho Han" in page
    assert f"date={(booking_day(app) + timedelta(days=1)).isoformat()}" in response.get_data(
        as_text=True)  # the "next day" link


def test_the_week_view_and_each_filter(app, caseworker, booked) -> None:
    day = booking_day(app).isoformat()
    assert names(caseworker.get(f"/hearings?view=week&date={day}"))[:2] == ["ALPHA", "BRAVO"]
    base = f"/hearings?view=week&date={day}"
    interviewer = booked["interviewer"].id
    assert names(caseworker.get(f"{base}&interviewer_id={interviewer}")) == ["ALPHA"]
    assert names(caseworker.get(f"{base}&interpreter=olga")) == ["ALPHA"]
    assert names(caseworker.get(f"{base}&location=room")) in (["ALPHA", "CHARLIE"],)
    assert names(caseworker.get(f"{base}&kind=objection_hearing")) == ["BRAVO"]
    event = last_audit(app, "hearing.listed")
    assert event.details == {"filters": {"kind": "objection_hearing"}, "results": 1}


def test_bad_filters_show_a_message_not_a_500(caseworker, booked) -> None:
    response = caseworker.get("/hearings?date=2026-02-31&kind=nonsense&view=month")
    assert response.status_code == 200
    page = text(response)
    assert "Not a valid choice." in page and "Not a valid date value." in page
    assert names(response) == []


def test_the_notice_gives_date_place_language_and_rights(app, factories, caseworker, agency
                                                         ) -> None:
    case_id = make_case(app, factories, S.FIRST_INSTANCE, agency=agency)
    hearing_id = book(app, case_id, starts_at=slot(app, 9, 30), location="Room 12",
                      interpreter_name="Olga Ivanova", interpreter_language="rus")
    response = caseworker.get(f"/hearings/{hearing_id}/notice")
    assert response.status_code == 200
    page = text(response)
    assert "Room 12" in page and "9:30 AM–10:30 AM" in page
    assert "An interpreter for Russian will be present." in page
    for right in ("lawyer", "interpreter free of charge", "recorded"):
        assert right in page
    assert "css/print.css" in response.get_data(as_text=True)
    assert last_audit(app, "hearing.notice_printed").object_id == str(hearing_id)
