"""The case lifecycle through its services: the state machine of DOMAIN.md, who may record
decisions, the date and outcome rules, the decision columns and clocks each step leaves on
the case, extensions, lodging first and subsequent applications, and notes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from casemgr.applicants.models import Applicant
from casemgr.applicants.services import LodgingData
from casemgr.auth.models import OrganisationKind, Role, User
from casemgr.cases import lifecycle, services
from casemgr.cases.deadlines import add_months, extension_limit
from casemgr.cases.models import (
    ApplicationType,
    Case,
    CaseEvent,
    CaseNote,
    NoteVisibility,
)
from casemgr.cases.services import (
    MAX_NOTE_LENGTH,
    add_note,
    extend_deadline,
    lodge_case,
    transition_case,
    update_assignment,
    visible_notes,
)
from casemgr.exceptions import InvalidTransition, PermissionDenied, StaleRecord, ValidationFailed
from tests.cases.helpers import (
    S,
    app_today,
    audit_actions,
    case_values,
    last_event,
    make_case,
    session_of,
    snapshot,
)

# --- the state machine ------------------------------------------------------------------------

# DOMAIN.md §"Case statuses and transitions", copied by hand: the oracle below is checked
# against it, so a change to lifecycle.TRANSITIONS that the spec does not make fails here.
DOMAIN_TRANSITIONS = {
    S.REFERRAL_PENDING: {S.FIRST_INSTANCE, S.NOT_REFERRED, S.WITHDRAWN},
    S.NOT_REFERRED: {S.REFERRAL_LITIGATION, S.CLOSED},
    S.REFERRAL_LITIGATION: {S.FIRST_INSTANCE, S.CLOSED},
    S.FIRST_INSTANCE: {S.RECOGNIZED, S.HUMANITARIAN, S.REJECTED, S.WITHDRAWN, S.TERMINATED},
    S.REJECTED: {S.OBJECTION, S.LITIGATION, S.CLOSED},
    S.HUMANITARIAN: {S.OBJECTION, S.LITIGATION, S.CLOSED},
    S.OBJECTION: {S.RECOGNIZED, S.HUMANITARIAN, S.REJECTED, S.CLOSED, S.WITHDRAWN},
    S.LITIGATION: {S.RECOGNIZED, S.FIRST_INSTANCE, S.CLOSED},
    S.RECOGNIZED: {S.CLOSED},
}
ALLOWED = [(a, b) for a in S for b in S if lifecycle.step_for(a, b) is not None]
REFUSED = [(a, b) for a in S for b in S if lifecycle.step_for(a, b) is None]


def pair_id(pair: tuple[S, S]) -> str:
    return f"{pair[0]}->{pair[1]}"


def test_the_state_machine_is_the_one_of_the_domain_spec() -> None:
    actual = {current: set(steps) for current, steps in lifecycle.TRANSITIONS.items() if steps}
    assert actual == DOMAIN_TRANSITIONS


@pytest.mark.parametrize(("current", "target", "allowed"), [
    (S.REFERRAL_PENDING, S.FIRST_INSTANCE, True),
    (S.REFERRAL_PENDING, S.RECOGNIZED, False),
    (S.FIRST_INSTANCE, S.CLOSED, False),
    (S.FIRST_INSTANCE, S.OBJECTION, False),
    (S.REJECTED, S.OBJECTION, True),
    (S.RECOGNIZED, S.CLOSED, True),
    (S.LITIGATION, S.FIRST_INSTANCE, True),
    (S.WITHDRAWN, S.FIRST_INSTANCE, False),
    (S.CLOSED, S.FIRST_INSTANCE, False),
    (S.CLOSED, S.CLOSED, False),
])
def test_hand_checked_steps_of_the_oracle(current, target, allowed) -> None:
    assert (lifecycle.step_for(current, target) is not None) is allowed


@pytest.mark.parametrize("final", [S.WITHDRAWN, S.TERMINATED, S.CLOSED])
def test_final_statuses_lead_nowhere(final) -> None:
    assert lifecycle.allowed_targets(final) == {}


@pytest.mark.parametrize(("current", "target", "decision"), [
    (S.FIRST_INSTANCE, S.RECOGNIZED, True), (S.FIRST_INSTANCE, S.HUMANITARIAN, True),
    (S.FIRST_INSTANCE, S.REJECTED, True), (S.OBJECTION, S.REJECTED, True),
    (S.REFERRAL_PENDING, S.FIRST_INSTANCE, False), (S.REFERRAL_PENDING, S.NOT_REFERRED, False),
    (S.FIRST_INSTANCE, S.WITHDRAWN, False), (S.REJECTED, S.OBJECTION, False),
])
def test_decision_steps_are_marked(current, target, decision) -> None:
    assert lifecycle.step_for(current, target).decision is decision


def test_the_referral_step_has_the_referred_and_lapsed_outcomes() -> None:
    assert lifecycle.step_for(S.REFERRAL_PENDING, S.FIRST_INSTANCE).outcomes == (
        "referred", "lapsed")


@pytest.mark.parametrize(("current", "target"), ALLOWED, ids=[pair_id(p) for p in ALLOWED])
def test_every_allowed_transition_succeeds(app, factories, current, target) -> None:
    case_id = make_case(app, factories, current)
    today = app_today(app)
    before = snapshot(app, case_id)
    with session_of(app) as session:
        case = session.get_one(Case, case_id)
        transition_case(session, case, to=target, effective_date=today, reason="Test step",
                        actor=None, today=today)
        session.commit()
    after = snapshot(app, case_id)
    assert after.status == target
    assert after.events == before.events + 1
    assert after.version == before.version + 1
    event = last_event(app, case_id)
    assert (event["from_status"], event["to_status"], event["effective_date"],
            event["reason"]) == (current, target, today, "Test step")
    assert case_values(app, case_id, "status_since") == {"status_since": today}
    assert audit_actions(app)[-1] == "case.transitioned"


@pytest.mark.parametrize(("current", "target"), REFUSED, ids=[pair_id(p) for p in REFUSED])
def test_every_other_transition_is_refused_naming_the_allowed_targets(
        app, factories, current, target) -> None:
    case_id = make_case(app, factories, current)
    today = app_today(app)
    before = snapshot(app, case_id)
    with session_of(app) as session:
        case = session.get_one(Case, case_id)
        with pytest.raises(InvalidTransition) as refused:
            transition_case(session, case, to=target, effective_date=today,
                            reason="Test step", actor=None, today=today)
        allowed = [status.label for status in lifecycle.allowed_targets(current)]
        message = refused.value.message
        assert current.label in message
        assert target.label in message
        assert message.endswith(f"Allowed: {', '.join(allowed) or '—'}.")
        session.rollback()
    assert snapshot(app, case_id) == before


def test_an_unknown_status_is_refused(app, factories) -> None:
    case_id = make_case(app, factories, S.FIRST_INSTANCE)
    today = app_today(app)
    with session_of(app) as session:
        case = session.get_one(Case, case_id)
        with pytest.raises(InvalidTransition, match="Unknown status approved"):
            transition_case(session, case, to="approved", effective_date=today, reason="x",
                            actor=None, today=today)


# --- who may move a case ---------------------------------------------------------------------

def actor_in(session, user) -> User:
    return session.get_one(User, user.id)


@pytest.fixture
def agency(factories):
    return factories.organisation(OrganisationKind.AGENCY)


def test_a_caseworker_cannot_record_a_decision(app, factories, agency) -> None:
    case_id = make_case(app, factories, S.FIRST_INSTANCE, agency=agency)
    caseworker = factories.user(Role.CASEWORKER, organisation=agency)
    today = app_today(app)
    before = snapshot(app, case_id)
    with session_of(app) as session:
        case = session.get_one(Case, case_id)
        with pytest.raises(PermissionDenied, match="supervisor or an administrator"):
            transition_case(session, case, to=S.REJECTED, effective_date=today,
                            reason="Not credible", actor=actor_in(session, caseworker),
                            today=today)
        session.rollback()
    assert snapshot(app, case_id) == before


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.ADMIN])
def test_supervisors_and_admins_record_decisions(app, factories, agency, role) -> None:
    case_id = make_case(app, factories, S.FIRST_INSTANCE, agency=agency)
    decider = factories.user(role, organisation=agency)
    today = app_today(app)
    with session_of(app) as session:
        case = session.get_one(Case, case_id)
        transition_case(session, case, to=S.REJECTED, effective_date=today,
                        reason="Not credible", actor=actor_in(session, decider), today=today)
        session.commit()
    assert snapshot(app, case_id).status == S.REJECTED
    assert last_event(app, case_id)["actor_id"] == decider.id


@pytest.mark.parametrize(("current", "target"), [
    (S.REFERRAL_PENDING, S.FIRST_INSTANCE), (S.REFERRAL_PENDING, S.NOT_REFERRED),
    (S.FIRST_INSTANCE, S.WITHDRAWN), (S.REJECTED, S.OBJECTION)])
def test_a_caseworker_takes_non_decision_steps(app, factories, agency, current, target) -> None:
    case_id = make_case(app, factories, current, agency=agency)
    caseworker = factories.user(Role.CASEWORKER, organisation=agency)
    today = app_today(app)
    with session_of(app) as session:
        case = session.get_one(Case, case_id)
        transition_case(session, case, to=target, effective_date=today, reason="Test step",
                        actor=actor_in(session, caseworker), today=today)
        session.commit()
    assert snapshot(app, case_id).status == target


@pytest.mark.parametrize(("current", "target"), [
    (S.REFERRAL_PENDING, S.FIRST_INSTANCE), (S.FIRST_INSTANCE, S.WITHDRAWN),
    (S.FIRST_INSTANCE, S.RECOGNIZED)])
def test_legal_aid_never_changes_a_status_even_of_a_shared_file(
        app, factories, agency, current, target) -> None:
    ngo = factories.organisation(OrganisationKind.NGO)
    case_id = make_case(app, factories, current, agency=agency, share_with=ngo)
    lawyer = factories.user(Role.LEGAL_AID, organisation=ngo)
    today = app_today(app)
    before = snapshot(app, case_id)
    with session_of(app) as session:
        case = session.get_one(Case, case_id)
        with pytest.raises(PermissionDenied):
            transition_case(session, case, to=target, effective_date=today, reason="Test",
                            actor=actor_in(session, lawyer), today=today)
        session.rollback()
    assert snapshot(app, case_id) == before


def test_a_supervisor_of_another_agency_cannot_move_the_case(app, factories, agency) -> None:
    case_id = make_case(app, factories, S.FIRST_INSTANCE, agency=agency)
    outsider = factories.user(Role.SUPERVISOR)
    today = app_today(app)
    with session_of(app) as session:
        case = session.get_one(Case, case_id)
        with pytest.raises(PermissionDenied):
            transition_case(session, case, to=S.WITHDRAWN, effective_date=today,
                            reason="Test", actor=actor_in(session, outsider), today=today)


# --- dates, reasons and outcomes -------------------------------------------------------------

def attempt(app, case_id: int, **step):
    """Try a step as the system; return the refusal (the transaction is rolled back)."""
    today = app_today(app)
    step = {"effective_date": today, "reason": "Test step", "today": today} | step
    with session_of(app) as session:
        case = session.get_one(Case, case_id)
        try:
            transition_case(session, case, actor=None, **step)
        except (ValidationFailed, InvalidTransition) as error:
            session.rollback()
            return error
        session.commit()
    return None


def previous_event_date(app, case_id: int) -> date:
    with session_of(app) as session:
        return session.execute(sa.select(sa.func.max(CaseEvent.effective_date))
                               .where(CaseEvent.case_id == case_id)).scalar_one()


@pytest.mark.parametrize(("field", "step"), [
    ("effective_date", lambda today, last: {"effective_date": today + timedelta(days=1)}),
    ("effective_date", lambda today, last: {"effective_date": last - timedelta(days=1)}),
    ("notice_served_on", lambda today, last: {"effective_date": today - timedelta(days=1),
                                              "notice_served_on": today - timedelta(days=2)}),
    ("notice_served_on", lambda today, last: {"notice_served_on": today + timedelta(days=1)}),
    ("reason", lambda today, last: {"reason": "   "}),
], ids=["effective-in-future", "effective-before-previous-event", "notice-before-decision",
        "notice-in-future", "blank-reason"])
def test_date_and_reason_rules(app, factories, field, step) -> None:
    case_id = make_case(app, factories, S.FIRST_INSTANCE)
    before = snapshot(app, case_id)
    refusal = attempt(app, case_id, to=S.REJECTED,
                      **step(app_today(app), previous_event_date(app, case_id)))
    assert isinstance(refusal, ValidationFailed)
    assert list(refusal.errors) == [field]
    assert snapshot(app, case_id) == before


def test_a_step_may_be_dated_on_the_day_of_the_previous_event(app, factories) -> None:
    case_id = make_case(app, factories, S.REJECTED)
    last = previous_event_date(app, case_id)
    assert attempt(app, case_id, to=S.OBJECTION, effective_date=last) is None
    assert case_values(app, case_id, "objection_lodged_on") == {"objection_lodged_on": last}


def test_the_previous_event_is_the_latest_one_not_the_lodging(app, factories) -> None:
    case_id = make_case(app, factories, S.OBJECTION)  # lodged, rejected +1 day, objection +2
    last = previous_event_date(app, case_id)
    refusal = attempt(app, case_id, to=S.REJECTED, effective_date=last - timedelta(days=1))
    assert last.isoformat() in refusal.errors["effective_date"][0]


@pytest.mark.parametrize(("current", "target", "outcome"), [
    (S.REFERRAL_PENDING, S.FIRST_INSTANCE, "recognized"),
    (S.FIRST_INSTANCE, S.WITHDRAWN, "rejected"),
    (S.OBJECTION, S.REJECTED, "accepted"),
    (S.LITIGATION, S.FIRST_INSTANCE, "granted"),
])
def test_an_outcome_that_does_not_fit_the_step_is_refused(
        app, factories, current, target, outcome) -> None:
    case_id = make_case(app, factories, current)
    before = snapshot(app, case_id)
    refusal = attempt(app, case_id, to=target, outcome=outcome)
    assert isinstance(refusal, InvalidTransition)
    assert outcome in refusal.message
    assert snapshot(app, case_id) == before


@pytest.mark.parametrize(("current", "target", "outcome"), [
    (S.REFERRAL_PENDING, S.WITHDRAWN, "lapsed"),
    (S.REJECTED, S.OBJECTION, "referred"),
    (S.NOT_REFERRED, S.REFERRAL_LITIGATION, "annulled"),
])
def test_a_step_without_outcomes_refuses_one(app, factories, current, target, outcome) -> None:
    """Outcomes are what the statistics count: a withdrawal must not become a lapsed
    referral because someone also picked an outcome."""
    case_id = make_case(app, factories, current)
    before = snapshot(app, case_id), case_values(app, case_id, "referral_decision")
    refusal = attempt(app, case_id, to=target, outcome=outcome)
    assert isinstance(refusal, InvalidTransition)
    assert outcome in refusal.message
    assert (snapshot(app, case_id), case_values(app, case_id, "referral_decision")) == before


@pytest.mark.parametrize(("current", "target", "outcome"), [
    (S.REFERRAL_PENDING, S.FIRST_INSTANCE, "referred"),
    (S.REFERRAL_PENDING, S.NOT_REFERRED, "not_referred"),
    (S.FIRST_INSTANCE, S.REJECTED, "rejected"),
    (S.OBJECTION, S.HUMANITARIAN, "dismissed_humanitarian"),
    (S.OBJECTION, S.CLOSED, "inadmissible"),
    (S.LITIGATION, S.FIRST_INSTANCE, "remitted"),
    (S.REJECTED, S.OBJECTION, None),
])
def test_the_default_outcome_is_recorded(app, factories, current, target, outcome) -> None:
    case_id = make_case(app, factories, current)
    assert attempt(app, case_id, to=target) is None
    assert last_event(app, case_id)["outcome"] == outcome


def test_a_lapsed_referral_is_recorded_on_the_case_and_the_event(app, factories) -> None:
    """No referral decision within 7 days: entry must be permitted (outcome `lapsed`)."""
    lodged = app_today(app) - timedelta(days=9)
    case_id = make_case(app, factories, S.REFERRAL_PENDING, lodged_on=lodged)
    on = lodged + timedelta(days=8)
    assert attempt(app, case_id, to=S.FIRST_INSTANCE, outcome="lapsed", effective_date=on,
                   reason="No referral decision within 7 days") is None
    assert case_values(app, case_id, "status", "referral_decision", "referral_decided_on") == {
        "status": S.FIRST_INSTANCE, "referral_decision": "lapsed", "referral_decided_on": on}
    assert last_event(app, case_id)["outcome"] == "lapsed"


def test_a_first_instance_decision_is_mirrored_on_the_case(app, factories) -> None:
    case_id = make_case(app, factories, S.FIRST_INSTANCE)
    today = app_today(app)
    decided, notice = today - timedelta(days=5), today - timedelta(days=2)
    assert attempt(app, case_id, to=S.HUMANITARIAN, effective_date=decided,
                   notice_served_on=notice) is None
    assert case_values(app, case_id, "decision", "decision_on", "decision_notice_on") == {
        "decision": "humanitarian", "decision_on": decided, "decision_notice_on": notice}
    assert last_event(app, case_id)["notice_served_on"] == notice


def test_lodging_an_objection_starts_a_fresh_objection_record(app, factories) -> None:
    case_id = make_case(app, factories, S.REJECTED)
    lodged = app_today(app) - timedelta(days=10)
    assert attempt(app, case_id, to=S.OBJECTION, effective_date=lodged) is None
    assert case_values(app, case_id, "objection_lodged_on", "objection_decision",
                       "objection_decided_on", "objection_notice_on") == {
        "objection_lodged_on": lodged, "objection_decision": None,
        "objection_decided_on": None, "objection_notice_on": None}


def test_an_objection_decision_is_mirrored_without_touching_the_first_decision(
        app, factories) -> None:
    case_id = make_case(app, factories, S.OBJECTION)
    first = case_values(app, case_id, "decision", "decision_on", "decision_notice_on")
    today = app_today(app)
    decided, notice = today - timedelta(days=3), today - timedelta(days=1)
    assert attempt(app, case_id, to=S.REJECTED, effective_date=decided,
                   notice_served_on=notice) is None
    assert case_values(app, case_id, "objection_decision", "objection_decided_on",
                       "objection_notice_on") == {
        "objection_decision": "dismissed", "objection_decided_on": decided,
        "objection_notice_on": notice}
    assert case_values(app, case_id, "decision", "decision_on", "decision_notice_on") == first


@pytest.mark.parametrize(("notice_days_ago", "served_days_ago"), [(2, 2), (None, 5)])
def test_a_judgment_records_when_it_was_served(app, factories, notice_days_ago,
                                               served_days_ago) -> None:
    """Served on the notice date when known, else on the effective date."""
    case_id = make_case(app, factories, S.LITIGATION)
    today = app_today(app)
    notice = today - timedelta(days=notice_days_ago) if notice_days_ago else None
    assert attempt(app, case_id, to=S.CLOSED, effective_date=today - timedelta(days=5),
                   notice_served_on=notice, reason="Suit dismissed") is None
    assert case_values(app, case_id, "judgment_served_on") == {
        "judgment_served_on": today - timedelta(days=served_days_ago)}


@pytest.mark.parametrize("current", [S.REJECTED, S.RECOGNIZED, S.NOT_REFERRED])
def test_closing_records_the_reason(app, factories, current) -> None:
    case_id = make_case(app, factories, current)
    assert attempt(app, case_id, to=S.CLOSED, reason="  Departed the country  ") is None
    assert case_values(app, case_id, "status", "closed_reason") == {
        "status": S.CLOSED, "closed_reason": "Departed the country"}


def test_a_reopened_suit_does_not_inherit_the_previous_judgment(app, factories) -> None:
    """Remitted by a court, refused again, sued again: no appeal window of the old judgment
    runs until the new one is served."""
    case_id = make_case(app, factories, S.LITIGATION, lodged_on=app_today(app) - timedelta(
        days=30))
    today = app_today(app)
    for days_ago, target in [(20, S.FIRST_INSTANCE), (15, S.REJECTED), (10, S.LITIGATION)]:
        assert attempt(app, case_id, to=target, effective_date=today - timedelta(
            days=days_ago)) is None
    assert case_values(app, case_id, "judgment_served_on", "next_due_on") == {
        "judgment_served_on": None, "next_due_on": None}


# --- the deadlines each step leaves on the case ---------------------------------------------

def due(app, case_id: int) -> tuple:
    values = case_values(app, case_id, "next_due_kind", "next_due_on", "later_due_kind",
                         "later_due_on")
    return tuple(values.values())


def test_an_application_lodged_in_the_country_is_due_for_decision_in_6_months(
        app, factories) -> None:
    lodged = date(2025, 8, 31)
    case_id = make_case(app, factories, S.FIRST_INSTANCE, lodged_on=lodged)
    assert due(app, case_id) == ("first_instance_decision", date(2026, 2, 28), None, None)


def test_a_port_application_is_due_for_referral_in_7_days(app, factories) -> None:
    lodged = app_today(app) - timedelta(days=2)
    case_id = make_case(app, factories, S.REFERRAL_PENDING, lodged_on=lodged)
    assert due(app, case_id) == ("referral_decision", lodged + timedelta(days=7), None, None)


def test_a_refusal_with_notice_opens_the_objection_and_suit_windows(app, factories) -> None:
    case_id = make_case(app, factories, S.FIRST_INSTANCE)
    today = app_today(app)
    notice = today - timedelta(days=3)
    attempt(app, case_id, to=S.REJECTED, effective_date=today - timedelta(days=10),
            notice_served_on=notice)
    assert due(app, case_id) == ("objection_window", notice + timedelta(days=30),
                                 "suit_window", notice + timedelta(days=90))


def test_a_refusal_without_notice_counts_from_the_decision(app, factories) -> None:
    case_id = make_case(app, factories, S.FIRST_INSTANCE)
    decided = app_today(app) - timedelta(days=10)
    attempt(app, case_id, to=S.REJECTED, effective_date=decided)
    assert due(app, case_id) == ("objection_window", decided + timedelta(days=30),
                                 "suit_window", decided + timedelta(days=90))


def test_a_refused_referral_opens_the_suit_window_from_its_notice(app, factories) -> None:
    """The person held at the airport has 90 days from the notice of the refusal."""
    lodged = app_today(app) - timedelta(days=12)
    case_id = make_case(app, factories, S.REFERRAL_PENDING, lodged_on=lodged)
    notice = lodged + timedelta(days=8)
    attempt(app, case_id, to=S.NOT_REFERRED, effective_date=lodged + timedelta(days=5),
            notice_served_on=notice)
    assert due(app, case_id) == ("suit_window", notice + timedelta(days=90), None, None)
    assert case_values(app, case_id, "referral_decided_on", "referral_notice_on") == {
        "referral_decided_on": lodged + timedelta(days=5), "referral_notice_on": notice}


def test_a_pending_objection_is_due_6_months_after_lodging_it(app, factories) -> None:
    case_id = make_case(app, factories, S.REJECTED)
    lodged = app_today(app) - timedelta(days=20)
    attempt(app, case_id, to=S.OBJECTION, effective_date=lodged)
    assert due(app, case_id) == ("objection_decision", add_months(lodged, 6), None, None)


def test_a_dismissed_objection_leaves_only_the_suit_window_from_its_notice(
        app, factories) -> None:
    case_id = make_case(app, factories, S.OBJECTION)
    today = app_today(app)
    notice = today - timedelta(days=1)
    attempt(app, case_id, to=S.REJECTED, effective_date=today - timedelta(days=4),
            notice_served_on=notice)
    assert due(app, case_id) == ("suit_window", notice + timedelta(days=90), None, None)


@pytest.mark.parametrize("current", [S.FIRST_INSTANCE, S.REJECTED])
def test_a_final_status_has_no_deadline(app, factories, current) -> None:
    case_id = make_case(app, factories, current)
    target = S.WITHDRAWN if current == S.FIRST_INSTANCE else S.CLOSED
    attempt(app, case_id, to=target)
    assert due(app, case_id) == (None, None, None, None)


# --- extensions ------------------------------------------------------------------------------

def decision_due_soon(app, factories, agency) -> tuple[int, date]:
    """A first-instance case whose 6 months end in 1 to 4 days (the extension notice date,
    7 days before, is already past)."""
    lodged = app_today(app) - timedelta(days=180)
    return (make_case(app, factories, S.FIRST_INSTANCE, lodged_on=lodged, agency=agency),
            add_months(lodged, 6))


def extend(app, case_id: int, user, **values) -> None:
    today = app_today(app)
    with session_of(app) as session:
        case = session.get_one(Case, case_id)
        extend_deadline(session, case, actor=actor_in(session, user), today=today,
                        **{"reason": "Medical report awaited"} | values)
        session.commit()


@pytest.fixture
def supervisor(factories, agency):
    return factories.user(Role.SUPERVISOR, organisation=agency)


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.ADMIN])
def test_an_extension_moves_the_decision_deadline(app, factories, agency, role) -> None:
    case_id, current = decision_due_soon(app, factories, agency)
    new = current + timedelta(days=90)
    extend(app, case_id, factories.user(role, organisation=agency), extended_to=new,
           noticed_on=current - timedelta(days=7))
    assert case_values(app, case_id, "decision_extended_to", "decision_extension_reason",
                       "next_due_on") == {"decision_extended_to": new,
                                          "decision_extension_reason": "Medical report awaited",
                                          "next_due_on": new}
    assert audit_actions(app)[-1] == "case.deadline_extended"


def test_an_extension_may_reach_6_months(app, factories, agency, supervisor) -> None:
    case_id, current = decision_due_soon(app, factories, agency)
    extend(app, case_id, supervisor, extended_to=extension_limit(current),
           noticed_on=current - timedelta(days=8))
    assert case_values(app, case_id, "next_due_on") == {"next_due_on": add_months(current, 6)}


@pytest.mark.parametrize(("field", "values"), [
    ("extended_to", lambda due: {"extended_to": add_months(due, 6) + timedelta(days=1),
                                 "noticed_on": due - timedelta(days=7)}),
    ("extended_to", lambda due: {"extended_to": due, "noticed_on": due - timedelta(days=7)}),
    ("noticed_on", lambda due: {"extended_to": due + timedelta(days=30),
                                "noticed_on": due - timedelta(days=6)}),
    ("reason", lambda due: {"extended_to": due + timedelta(days=30),
                            "noticed_on": due - timedelta(days=7), "reason": "  "}),
], ids=["more-than-6-months", "not-later", "noticed-less-than-7-days-before", "no-reason"])
def test_extension_rules(app, factories, agency, supervisor, field, values) -> None:
    case_id, current = decision_due_soon(app, factories, agency)
    before = snapshot(app, case_id)
    with pytest.raises(ValidationFailed) as refused:
        extend(app, case_id, supervisor, **values(current))
    assert list(refused.value.errors) == [field]
    assert snapshot(app, case_id) == before
    assert case_values(app, case_id, "decision_extended_to") == {"decision_extended_to": None}


def test_the_notice_of_an_extension_cannot_be_in_the_future(app, factories, supervisor,
                                                            agency) -> None:
    case_id = make_case(app, factories, S.FIRST_INSTANCE, agency=agency)  # due in ~5 months
    today = app_today(app)
    with pytest.raises(ValidationFailed) as refused:
        extend(app, case_id, supervisor, extended_to=today + timedelta(days=300),
               noticed_on=today + timedelta(days=1))
    assert list(refused.value.errors) == ["noticed_on"]


def test_a_deadline_is_extended_only_once(app, factories, agency, supervisor) -> None:
    case_id, current = decision_due_soon(app, factories, agency)
    first = current + timedelta(days=30)
    extend(app, case_id, supervisor, extended_to=first, noticed_on=current - timedelta(days=7))
    with pytest.raises(InvalidTransition, match="already extended once"):
        extend(app, case_id, supervisor, extended_to=first + timedelta(days=30),
               noticed_on=current - timedelta(days=7))
    assert case_values(app, case_id, "decision_extended_to", "next_due_on") == {
        "decision_extended_to": first, "next_due_on": first}


def test_a_caseworker_cannot_extend(app, factories, agency) -> None:
    case_id, current = decision_due_soon(app, factories, agency)
    caseworker = factories.user(Role.CASEWORKER, organisation=agency)
    with pytest.raises(PermissionDenied):
        extend(app, case_id, caseworker, extended_to=current + timedelta(days=30),
               noticed_on=current - timedelta(days=7))
    assert case_values(app, case_id, "decision_extended_to") == {"decision_extended_to": None}


def test_an_objection_decision_deadline_is_extended_too(app, factories, agency,
                                                        supervisor) -> None:
    case_id = make_case(app, factories, S.OBJECTION, agency=agency)
    current = case_values(app, case_id, "next_due_on")["next_due_on"]
    new = current + timedelta(days=60)
    extend(app, case_id, supervisor, extended_to=new, noticed_on=app_today(app))
    assert case_values(app, case_id, "objection_extended_to", "decision_extended_to",
                       "next_due_on") == {"objection_extended_to": new,
                                          "decision_extended_to": None, "next_due_on": new}


@pytest.mark.parametrize("status", [S.REFERRAL_PENDING, S.REJECTED, S.LITIGATION])
def test_only_decision_deadlines_are_extended(app, factories, agency, supervisor,
                                              status) -> None:
    case_id = make_case(app, factories, status, agency=agency)
    today = app_today(app)
    with pytest.raises(InvalidTransition):
        extend(app, case_id, supervisor, extended_to=today + timedelta(days=30),
               noticed_on=today)


# --- lodging ---------------------------------------------------------------------------------

def lodge(app, applicant_id: int, lodged_on: date, **lodging) -> int:
    with session_of(app) as session:
        applicant = session.get_one(Applicant, applicant_id)
        case = lodge_case(session, applicant, LodgingData(
            lodged_on=lodged_on, lodged_at=lodging.pop("lodged_at", "in_country"), **lodging),
            actor=None, today=app_today(app))
        session.commit()
        return case.id


def applicant_of(app, case_id: int) -> int:
    return case_values(app, case_id, "applicant_id")["applicant_id"]


def cases_of(app, applicant_id: int) -> list[dict]:
    with session_of(app) as session:
        cases = session.execute(sa.select(Case).where(Case.applicant_id == applicant_id)
                                .order_by(Case.id)).scalars()
        return [{"id": c.id, "is_current": c.is_current, "type": c.application_type,
                 "status": c.status} for c in cases]


@pytest.mark.parametrize("pending", sorted(lifecycle.PENDING))
def test_a_second_application_while_one_is_pending_is_refused(app, factories,
                                                              pending) -> None:
    case_id = make_case(app, factories, pending)
    applicant_id = applicant_of(app, case_id)
    with pytest.raises(ValidationFailed) as refused:
        lodge(app, applicant_id, app_today(app))
    assert list(refused.value.errors) == ["lodged_on"]
    assert pending.label in refused.value.errors["lodged_on"][0]
    assert [c["id"] for c in cases_of(app, applicant_id)] == [case_id]


@pytest.mark.parametrize("final", [S.REJECTED, S.CLOSED, S.WITHDRAWN, S.RECOGNIZED])
def test_after_a_final_decision_a_new_application_is_subsequent_and_current(
        app, factories, final) -> None:
    case_id = make_case(app, factories, final)
    applicant_id = applicant_of(app, case_id)
    new_id = lodge(app, applicant_id, app_today(app))
    assert cases_of(app, applicant_id) == [
        {"id": case_id, "is_current": False, "type": ApplicationType.FIRST_TIME,
         "status": final},
        {"id": new_id, "is_current": True, "type": ApplicationType.SUBSEQUENT,
         "status": S.FIRST_INSTANCE}]


def test_a_subsequent_application_cannot_predate_the_end_of_the_previous(app, factories
                                                                         ) -> None:
    case_id = make_case(app, factories, S.CLOSED)
    ended = case_values(app, case_id, "status_since")["status_since"]
    with pytest.raises(ValidationFailed) as refused:
        lodge(app, applicant_of(app, case_id), ended - timedelta(days=1))
    assert list(refused.value.errors) == ["lodged_on"]


def test_a_repeat_application_cannot_be_called_first_time(app, factories) -> None:
    case_id = make_case(app, factories, S.CLOSED)
    with pytest.raises(ValidationFailed) as refused:
        lodge(app, applicant_of(app, case_id), app_today(app), application_type="first_time")
    assert list(refused.value.errors) == ["application_type"]


def test_a_subsequent_application_at_the_port_waits_for_referral(app, factories) -> None:
    case_id = make_case(app, factories, S.WITHDRAWN)
    today = app_today(app)
    new_id = lodge(app, applicant_of(app, case_id), today, lodged_at="port_of_entry",
                   port_of_entry="PUS")
    assert case_values(app, new_id, "status", "port_of_entry", "next_due_on") == {
        "status": S.REFERRAL_PENDING, "port_of_entry": "PUS",
        "next_due_on": today + timedelta(days=7)}


def test_an_application_cannot_be_lodged_in_the_future(app, factories) -> None:
    case_id = make_case(app, factories, S.CLOSED)
    with pytest.raises(ValidationFailed):
        lodge(app, applicant_of(app, case_id), app_today(app) + timedelta(days=1))


# --- stale versions --------------------------------------------------------------------------

def test_a_transition_from_an_old_version_is_refused(app, factories) -> None:
    case_id = make_case(app, factories, S.REJECTED)
    old = snapshot(app, case_id).version
    assert attempt(app, case_id, to=S.OBJECTION, version=old) is None
    before = snapshot(app, case_id)
    today = app_today(app)
    with session_of(app) as session:
        case = session.get_one(Case, case_id)
        with pytest.raises(StaleRecord):
            transition_case(session, case, to=S.WITHDRAWN, effective_date=today,
                            reason="Withdrawn", actor=None, version=old, today=today)
        session.rollback()
    assert snapshot(app, case_id) == before


def test_an_assignment_from_an_old_version_is_refused_naming_the_change(
        app, factories, agency, supervisor) -> None:
    case_id = make_case(app, factories, S.FIRST_INSTANCE, agency=agency)
    caseworker = factories.user(Role.CASEWORKER, organisation=agency)
    ngo = factories.organisation(OrganisationKind.NGO)
    old = snapshot(app, case_id).version
    with session_of(app) as session:
        update_assignment(session, session.get_one(Case, case_id), version=old,
                          assigned_to=actor_in(session, caseworker), representing_org=None,
                          actor=actor_in(session, supervisor))
        session.commit()
    with session_of(app) as session:
        case = session.get_one(Case, case_id)
        with pytest.raises(StaleRecord) as stale:
            update_assignment(session, case, version=old, assigned_to=None,
                              representing_org=session.get(type(ngo), ngo.id),
                              actor=actor_in(session, supervisor))
        session.rollback()
    assert [(c["field"], c["new"], c["by"]) for c in stale.value.changes] == [
        ("assigned_to", caseworker.id, supervisor.username)]
    assert case_values(app, case_id, "assigned_to_id", "representing_org_id") == {
        "assigned_to_id": caseworker.id, "representing_org_id": None}


# --- notes -----------------------------------------------------------------------------------

def write_note(app, case_id: int, user, body: str, visibility: str) -> None:
    with session_of(app) as session:
        add_note(session, session.get_one(Case, case_id), body=body, visibility=visibility,
                 actor=actor_in(session, user))
        session.commit()


def note_bodies(app, case_id: int, user=None) -> list[str]:
    with session_of(app) as session:
        case = session.get_one(Case, case_id)
        notes = (visible_notes(case, actor_in(session, user)) if user else
                 session.execute(sa.select(CaseNote).where(CaseNote.case_id == case_id)
                                 .order_by(CaseNote.id.desc())).scalars())
        return [note.body for note in notes]


@pytest.fixture
def shared_file(app, factories, agency):
    """A case of the agency, shared with an NGO, with a lawyer of that NGO."""
    ngo = factories.organisation(OrganisationKind.NGO)
    case_id = make_case(app, factories, S.FIRST_INSTANCE, agency=agency, share_with=ngo)
    return case_id, factories.user(Role.LEGAL_AID, organisation=ngo)


def test_legal_aid_reads_only_shared_notes(app, shared_file, supervisor) -> None:
    case_id, lawyer = shared_file
    write_note(app, case_id, supervisor, "Credibility doubts", NoteVisibility.INTERNAL)
    write_note(app, case_id, supervisor, "Interview moved", NoteVisibility.SHARED)
    assert note_bodies(app, case_id, lawyer) == ["Interview moved"]
    assert note_bodies(app, case_id, supervisor) == ["Interview moved", "Credibility doubts"]


def test_legal_aid_cannot_add_an_internal_note(app, shared_file) -> None:
    case_id, lawyer = shared_file
    with pytest.raises(PermissionDenied):
        write_note(app, case_id, lawyer, "Internal?", NoteVisibility.INTERNAL)
    assert note_bodies(app, case_id) == []


def test_legal_aid_adds_shared_notes(app, shared_file) -> None:
    case_id, lawyer = shared_file
    write_note(app, case_id, lawyer, "Power of attorney filed", NoteVisibility.SHARED)
    assert note_bodies(app, case_id) == ["Power of attorney filed"]
    assert audit_actions(app)[-1] == "case.note_added"


@pytest.mark.parametrize(("length", "accepted"), [(MAX_NOTE_LENGTH, True),
                                                  (MAX_NOTE_LENGTH + 1, False)])
def test_a_note_is_at_most_10000_characters(app, factories, agency, supervisor, length,
                                            accepted) -> None:
    case_id = make_case(app, factories, S.FIRST_INSTANCE, agency=agency)
    if accepted:
        write_note(app, case_id, supervisor, "n" * length, NoteVisibility.INTERNAL)
    else:
        with pytest.raises(ValidationFailed):
            write_note(app, case_id, supervisor, "n" * length, NoteVisibility.INTERNAL)
    assert len(note_bodies(app, case_id)) == int(accepted)


def test_an_empty_note_is_refused(app, factories, agency, supervisor) -> None:
    case_id = make_case(app, factories, S.FIRST_INSTANCE, agency=agency)
    with pytest.raises(ValidationFailed):
        write_note(app, case_id, supervisor, " \n ", NoteVisibility.SHARED)
    assert note_bodies(app, case_id) == []


# --- rules added after review --------------------------------------------------------------

def test_a_referral_lapses_only_after_the_seven_days(app, factories) -> None:
    today = app_today(app)
    lodged = today - timedelta(days=30)
    case_id = make_case(app, factories, S.REFERRAL_PENDING, lodged_on=lodged)
    with session_of(app) as session:
        case = session.get_one(Case, case_id)
        with pytest.raises(ValidationFailed) as refused:
            services.transition_case(session, case, to=S.FIRST_INSTANCE, outcome="lapsed",
                                     effective_date=lodged + timedelta(days=7),
                                     reason="No decision", actor=None, today=today)
        assert "lapses only when no decision was made within 7 days" in str(refused.value)
        services.transition_case(session, case, to=S.FIRST_INSTANCE, outcome="lapsed",
                                 effective_date=lodged + timedelta(days=8),
                                 reason="No decision", actor=None, today=today)
        session.commit()
        assert case.referral_decision == "lapsed"


def test_a_case_sent_back_by_a_court_owes_a_new_decision_within_six_months(app,
                                                                           factories) -> None:
    today = app_today(app)
    lodged = today - timedelta(days=400)
    case_id = make_case(app, factories, S.LITIGATION, lodged_on=lodged)
    remitted = today - timedelta(days=10)
    with session_of(app) as session:
        case = session.get_one(Case, case_id)
        services.transition_case(session, case, to=S.FIRST_INSTANCE, effective_date=remitted,
                                 reason="Court remitted the case", actor=None, today=today)
        session.commit()
        assert case.decision_clock_from == remitted
        assert case.next_due_on == add_months(remitted, 6)
        assert case.next_due_on > today  # not overdue the day it comes back
