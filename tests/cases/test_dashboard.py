"""The dashboard at /: deadlines that need attention (referral decisions first) and the
current applications by status, both limited to the user's scope."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest

from casemgr.applicants.models import Applicant
from casemgr.applicants.services import LodgingData
from casemgr.auth.models import OrganisationKind, Role
from casemgr.cases.deadlines import add_months
from casemgr.cases.models import Case
from casemgr.cases.services import extend_deadline, lodge_case
from tests.cases.helpers import TAG, S, app_today, case_values, make_case, session_of, text

DUE_SECTION = re.compile(r'id="due-heading"(.*?)id="counts-heading"', re.S)
GROUP = re.compile(r'<h3[^>]*id="due-\w+"[^>]*>(.*?)<.*?<tbody>(.*?)</tbody>', re.S)
ROW = re.compile(r"<tr>(.*?)</tr>", re.S)
COUNT = re.compile(r'status=(\w+)">[^<]*</a></td><td class="text-end">([\d,]+)</td>')
TOTAL = re.compile(r'Total</th><td class="text-end fw-semibold">([\d,]+)</td>')


@pytest.fixture
def agency(factories):
    return factories.organisation(OrganisationKind.AGENCY)


@pytest.fixture
def caseworker(login_as, agency):
    return login_as(Role.CASEWORKER, organisation=agency)


def dashboard(client):
    response = client.get("/")
    assert response.status_code == 200
    return response


def due_rows(response) -> list[str]:
    """The deadline rows as read, top to bottom, each led by its deadline kind (empty when
    nothing is due)."""
    section = DUE_SECTION.search(response.get_data(as_text=True)).group(1)
    return [f"{kind.strip()}: " + " ".join(html.unescape(TAG.sub(" ", row)).split())
            for kind, body in GROUP.findall(section) for row in ROW.findall(body)]


def counts(response) -> tuple[dict[str, int], int]:
    page = response.get_data(as_text=True)
    by_status = {status: int(n.replace(",", "")) for status, n in COUNT.findall(page)}
    return by_status, int(TOTAL.search(page).group(1).replace(",", ""))


def registration_no(app, case_id: int) -> str:
    with session_of(app) as session:
        return session.get_one(Case, case_id).applicant.registration_no


def row_of(rows: list[str], app, case_id: int) -> str:
    number = registration_no(app, case_id)
    [row] = [row for row in rows if number in row]
    return row


def overdue_first_instance(app, factories, agency) -> tuple[int, int]:
    """A first-instance case whose decision is 16–19 days overdue: (id, days overdue)."""
    lodged = app_today(app) - timedelta(days=200)
    case_id = make_case(app, factories, S.FIRST_INSTANCE, agency=agency, lodged_on=lodged)
    return case_id, (app_today(app) - add_months(lodged, 6)).days


def test_a_port_case_lodged_6_days_ago_is_due_for_referral_tomorrow(
        app, factories, agency, caseworker) -> None:
    case_id = make_case(app, factories, S.REFERRAL_PENDING, agency=agency,
                        lodged_on=app_today(app) - timedelta(days=6))
    row = row_of(due_rows(dashboard(caseworker)), app, case_id)
    assert "Referral decision due" in row
    assert "1 day left" in row
    assert "ICN" in row


def test_an_overdue_first_instance_decision_shows_the_days_overdue(
        app, factories, agency, caseworker) -> None:
    case_id, overdue = overdue_first_instance(app, factories, agency)
    row = row_of(due_rows(dashboard(caseworker)), app, case_id)
    assert "First-instance decision due" in row
    assert f"{overdue} days overdue" in row


def test_referral_decisions_come_before_every_other_item(app, factories, agency,
                                                         caseworker) -> None:
    today = app_today(app)
    overdue_id, _days = overdue_first_instance(app, factories, agency)
    window_id = make_case(app, factories, S.REJECTED, agency=agency,
                          lodged_on=today - timedelta(days=28))  # objection window: 3 days
    later_referral = make_case(app, factories, S.REFERRAL_PENDING, agency=agency,
                               lodged_on=today - timedelta(days=1))
    sooner_referral = make_case(app, factories, S.REFERRAL_PENDING, agency=agency,
                                lodged_on=today - timedelta(days=5))
    rows = due_rows(dashboard(caseworker))
    numbers = [registration_no(app, case_id) for case_id in
               (sooner_referral, later_referral, overdue_id, window_id)]
    assert [next(n for n in numbers if n in row) for row in rows] == numbers


def test_windows_closing_soon_or_closed_recently_are_listed(app, factories, agency,
                                                            caseworker) -> None:
    today = app_today(app)
    # Rejected one day after lodging: the objection window closes 31 days after lodging.
    closing = make_case(app, factories, S.REJECTED, agency=agency,
                        lodged_on=today - timedelta(days=28))
    closed = make_case(app, factories, S.REJECTED, agency=agency,
                       lodged_on=today - timedelta(days=41))
    long_closed = make_case(app, factories, S.REJECTED, agency=agency,
                            lodged_on=today - timedelta(days=46))
    rows = due_rows(dashboard(caseworker))
    assert "Objection window closes" in row_of(rows, app, closing)
    assert "3 days left" in row_of(rows, app, closing)
    assert "closed 10 days ago" in row_of(rows, app, closed)
    assert registration_no(app, long_closed) not in " ".join(rows)


def test_nothing_far_ahead_or_long_past_is_listed(app, factories, agency, caseworker) -> None:
    today = app_today(app)
    make_case(app, factories, S.FIRST_INSTANCE, agency=agency)  # due in about 5 months
    make_case(app, factories, S.RECOGNIZED, agency=agency)  # no clock
    make_case(app, factories, S.REJECTED, agency=agency,  # objection window closed 20 days ago
              lodged_on=today - timedelta(days=51))
    response = dashboard(caseworker)
    assert due_rows(response) == []
    assert "Nothing is overdue or due within 7 days." in text(response)


def test_an_extended_decision_leaves_the_dashboard(app, factories, agency, caseworker) -> None:
    case_id, _days = overdue_first_instance(app, factories, agency)
    supervisor = factories.user(Role.SUPERVISOR, organisation=agency)
    due = case_values(app, case_id, "next_due_on")["next_due_on"]
    with session_of(app) as session:
        case = session.get_one(Case, case_id)
        extend_deadline(session, case, extended_to=due + timedelta(days=90),
                        noticed_on=due - timedelta(days=7), reason="Medical report",
                        actor=session.get_one(type(supervisor), supervisor.id),
                        today=app_today(app))
        session.commit()
    assert registration_no(app, case_id) not in " ".join(due_rows(dashboard(caseworker)))


def test_another_agencys_cases_are_not_on_the_dashboard(app, factories, agency,
                                                        caseworker) -> None:
    today = app_today(app)
    mine = make_case(app, factories, S.REFERRAL_PENDING, agency=agency,
                     lodged_on=today - timedelta(days=6))
    theirs = make_case(app, factories, S.REFERRAL_PENDING,
                       lodged_on=today - timedelta(days=6))
    page = dashboard(caseworker).get_data(as_text=True)
    assert registration_no(app, mine) in page
    assert registration_no(app, theirs) not in page


def test_counts_by_status_reflect_the_users_agency(app, factories, agency, caseworker) -> None:
    for status in [S.FIRST_INSTANCE, S.FIRST_INSTANCE, S.REFERRAL_PENDING, S.REJECTED]:
        make_case(app, factories, status, agency=agency)
    for status in [S.FIRST_INSTANCE, S.OBJECTION, S.OBJECTION]:
        make_case(app, factories, status)
    by_status, total = counts(dashboard(caseworker))
    assert {s: n for s, n in by_status.items() if n} == {
        "first_instance": 2, "referral_pending": 1, "rejected": 1}
    assert set(by_status) == {str(s) for s in S}
    assert total == 4


def test_counts_cover_every_agency_for_an_admin(app, factories, login_as) -> None:
    make_case(app, factories, S.FIRST_INSTANCE)
    make_case(app, factories, S.OBJECTION)
    by_status, total = counts(dashboard(login_as(Role.ADMIN)))
    assert (by_status["first_instance"], by_status["objection"], total) == (1, 1, 2)


def test_counts_include_only_each_persons_current_application(app, factories, agency,
                                                              caseworker) -> None:
    closed = make_case(app, factories, S.CLOSED, agency=agency)
    with session_of(app) as session:
        applicant = session.get_one(Case, closed).applicant
        lodge_case(session, session.get_one(Applicant, applicant.id),
                   LodgingData(lodged_on=app_today(app), lodged_at="in_country"), actor=None,
                   today=app_today(app))
        session.commit()
    by_status, total = counts(dashboard(caseworker))
    assert (by_status["closed"], by_status["first_instance"], total) == (0, 1, 1)
