"""The secret iCalendar feed: made and revoked by its user, stored as a hash, shown once,
read without login, limited to the user's scope and a window, carrying no names, audited
cheaply."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import icalendar
import pytest
import sqlalchemy as sa

from casemgr.audit.models import AuditEvent
from casemgr.auth.models import OrganisationKind, Role
from casemgr.database import utcnow
from casemgr.hearings.models import CalendarFeed
from tests.cases.helpers import S, make_case, session_of, text
from tests.conftest import post_form
from tests.hearings.helpers import book, book_past, slot

FEED_URL = re.compile(r'value="(http://localhost/hearings/calendar/([A-Za-z0-9_-]+)\.ics)"')


@pytest.fixture
def agency(factories):
    return factories.organisation(OrganisationKind.AGENCY)


@pytest.fixture
def caseworker(login_as, agency):
    return login_as(Role.CASEWORKER, organisation=agency)


def create_feed(client) -> tuple[str, str]:
    """Make a feed on the calendar page; return (path, token) as shown that once."""
    response = post_form(client, "/hearings/calendar/new", page="/hearings/calendar")
    assert response.status_code == 200
    url, token = FEED_URL.search(response.get_data(as_text=True)).groups()
    return url.removeprefix("http://localhost"), token


def events(response) -> list[icalendar.Event]:
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    calendar = icalendar.Calendar.from_ical(response.data)
    return list(calendar.walk("VEVENT"))


def actions(app, action: str) -> list[AuditEvent]:
    with session_of(app) as session:
        found = list(session.execute(sa.select(AuditEvent).where(AuditEvent.action == action)
                                     .order_by(AuditEvent.id)).scalars())
        session.expunge_all()
        return found


def test_the_feed_lists_the_hearings_in_scope_without_names(app, factories, caseworker, client,
                                                            agency) -> None:
    mine = make_case(app, factories, S.FIRST_INSTANCE, agency=agency, family_name="PETROVA",
                     given_names="Anna")
    theirs = make_case(app, factories, S.FIRST_INSTANCE, family_name="SMIRNOV")
    ours = book(app, mine, starts_at=slot(app, 9), duration=90, location="Room 4",
                interpreter_name="Olga Ivanova", interpreter_language="rus")
    held = book_past(app, mine, location="Room 5")
    book(app, theirs, starts_at=slot(app, 9), location="Elsewhere")
    book(app, mine, starts_at=utcnow() + timedelta(days=200), location="Far away")
    path, _token = create_feed(caseworker)
    found = events(client.get(path))  # no login: a calendar program fetches it
    assert sorted(str(e["uid"]) for e in found) == sorted(
        [f"hearing-{ours}@casemgr", f"hearing-{held}@casemgr"])
    event = next(e for e in found if str(e["uid"]) == f"hearing-{ours}@casemgr")
    with session_of(app) as session:
        from casemgr.cases.models import Case

        number = session.get_one(Case, mine).applicant.registration_no
    assert str(event["summary"]) == f"Refugee status interview: {number}"
    assert str(event["location"]) == "Room 4"
    assert event.decoded("dtstart") == slot(app, 9)
    assert event.decoded("dtend") == slot(app, 10, 30)
    body = client.get(path).get_data(as_text=True)
    for personal in ("PETROVA", "Petrova", "Anna", "Olga", "Ivanova", "SMIRNOV"):
        assert personal not in body


def test_the_token_is_stored_hashed_and_shown_once(app, caseworker) -> None:
    _path, token = create_feed(caseworker)
    with session_of(app) as session:
        [feed] = session.execute(sa.select(CalendarFeed)).scalars().all()
        assert feed.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in str([getattr(feed, c.key) for c in CalendarFeed.__table__.columns])
    later = caseworker.get("/hearings/calendar").get_data(as_text=True)
    assert token not in later
    assert "Revoke the address" in later
    event = actions(app, "calendar.feed_created")[-1]
    assert token not in str(event.details) and event.actor_name == caseworker.user.username


def test_a_revoked_or_unknown_token_answers_404(app, caseworker, client) -> None:
    path, _token = create_feed(caseworker)
    assert client.get(path).status_code == 200
    response = post_form(caseworker, "/hearings/calendar/revoke", page="/hearings/calendar")
    assert response.status_code == 302
    assert client.get(path).status_code == 404
    assert client.get("/hearings/calendar/not-a-token.ics").status_code == 404
    assert len(actions(app, "calendar.feed_revoked")) == 1


def test_a_new_address_replaces_the_old_one(caseworker, client) -> None:
    old, _ = create_feed(caseworker)
    new, _ = create_feed(caseworker)
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200


def test_the_feed_of_a_deactivated_user_stops(app, factories, caseworker, client, agency
                                              ) -> None:
    from casemgr.auth.models import User
    from casemgr.auth.services import set_user_active

    path, _ = create_feed(caseworker)
    admin = factories.user(Role.ADMIN, organisation=agency)
    with session_of(app) as session:
        set_user_active(session, session.get_one(User, caseworker.user.id), active=False,
                        actor=session.get_one(User, admin.id))
        session.commit()
    assert client.get(path).status_code == 404


def test_fetches_are_audited_at_most_once_an_hour(app, caseworker, client) -> None:
    path, _ = create_feed(caseworker)
    for _ in range(3):
        assert client.get(path).status_code == 200
    fetched = actions(app, "calendar.feed_fetched")
    assert len(fetched) == 1
    assert fetched[0].actor_name == caseworker.user.username
    assert fetched[0].details == {"fetches": 1, "events": 0}
    with session_of(app) as session:
        feed = session.execute(sa.select(CalendarFeed)).scalar_one()
        assert feed.unaudited_fetches == 2
        feed.audited_at -= timedelta(hours=2)  # an hour went by
        session.commit()
    client.get(path)
    fetched = actions(app, "calendar.feed_fetched")
    assert len(fetched) == 2 and fetched[1].details["fetches"] == 3


def test_ngo_staff_feed_holds_only_people_who_share_with_them(app, factories, login_as, client,
                                                              agency) -> None:
    ngo = factories.organisation(OrganisationKind.NGO)
    lawyer = login_as(Role.LEGAL_AID, organisation=ngo)
    shared = make_case(app, factories, S.FIRST_INSTANCE, agency=agency, share_with=ngo)
    unshared = make_case(app, factories, S.FIRST_INSTANCE, agency=agency)
    seen = book(app, shared, starts_at=slot(app, 9), location="Room 1")
    book(app, unshared, starts_at=slot(app, 9), location="Room 2")
    path, _ = create_feed(lawyer)
    assert [str(e["uid"]) for e in events(client.get(path))] == [f"hearing-{seen}@casemgr"]


def test_roles_without_hearings_get_no_feed(login_as) -> None:
    analyst = login_as(Role.ANALYST)
    assert analyst.get("/hearings/calendar").status_code == 403
    assert "Calendar subscription" not in text(analyst.get("/account"))
