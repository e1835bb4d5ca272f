"""The case page and its forms, used like a browser (real login, CSRF on): status changes
and who may make them, form messages for refused dates, extensions, stale edits, notes."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from casemgr.audit.models import AuditEvent
from casemgr.auth.models import OrganisationKind, Role
from casemgr.cases.deadlines import add_months
from casemgr.cases.models import CaseNote, NoteVisibility
from casemgr.extensions import db
from tests.cases.helpers import (
    S,
    app_today,
    case_values,
    last_audit,
    last_event,
    make_case,
    open_page,
    post_from,
    says,
    session_of,
    snapshot,
    submit,
    text,
)


@pytest.fixture
def agency(factories):
    return factories.organisation(OrganisationKind.AGENCY)


@pytest.fixture
def ngo(factories):
    return factories.organisation(OrganisationKind.NGO)


@pytest.fixture
def supervisor(login_as, agency):
    return login_as(Role.SUPERVISOR, organisation=agency)


@pytest.fixture
def caseworker(login_as, agency):
    return login_as(Role.CASEWORKER, organisation=agency)


@pytest.fixture
def lawyer(login_as, ngo):
    return login_as(Role.LEGAL_AID, organisation=ngo)


def step(to, today, **values):
    return {"to": str(to), "effective_date": today, "reason": "Test step"} | values


def status_options(client, case_id: int) -> set[str]:
    """The statuses the page offers in its "New status" select."""
    page = open_page(client, case_id).html
    select = page.split('name="to"', 1)[1].split("</select>", 1)[0]
    return {value for value in S if f'value="{value}"' in select}


# --- status changes and who may make them ------------------------------------------------------

def test_a_supervisor_records_a_decision(app, factories, agency, supervisor) -> None:
    case_id = make_case(app, factories, S.FIRST_INSTANCE, agency=agency)
    today = app_today(app)
    response = submit(supervisor, case_id, "transition",
                      step(S.REJECTED, today, notice_served_on=today))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/cases/{case_id}"
    assert snapshot(app, case_id).status == S.REJECTED
    assert last_event(app, case_id)["actor_id"] == supervisor.user.id
    assert says(supervisor.get(f"/cases/{case_id}"), "Status changed to “Rejected”.")


def test_the_page_offers_a_caseworker_no_decisions(app, factories, agency, caseworker) -> None:
    case_id = make_case(app, factories, S.FIRST_INSTANCE, agency=agency)
    assert status_options(caseworker, case_id) == {S.WITHDRAWN, S.TERMINATED}


def test_the_page_offers_a_supervisor_every_allowed_step(app, factories, agency,
                                                         supervisor) -> None:
    case_id = make_case(app, factories, S.FIRST_INSTANCE, agency=agency)
    assert status_options(supervisor, case_id) == {
        S.RECOGNIZED, S.HUMANITARIAN, S.REJECTED, S.WITHDRAWN, S.TERMINATED}


@pytest.mark.parametrize(("current", "target"), [(S.FIRST_INSTANCE, S.REJECTED),
                                                 (S.OBJECTION, S.RECOGNIZED),
                                                 (S.RECOGNIZED, S.CLOSED)])
def test_a_caseworker_posting_a_decision_gets_403_and_it_is_audited(
        app, factories, agency, caseworker, current, target) -> None:
    case_id = make_case(app, factories, current, agency=agency)
    before = snapshot(app, case_id)
    response = submit(caseworker, case_id, "transition", step(target, app_today(app)))
    assert response.status_code == 403
    assert snapshot(app, case_id) == before
    refusal = last_audit(app, "auth.permission_denied")
    assert (refusal.actor_name, refusal.object_id, refusal.details) == (
        caseworker.user.username, str(case_id), {"action": "cases.decide"})


def test_a_caseworker_records_the_referral(app, factories, agency, caseworker) -> None:
    case_id = make_case(app, factories, S.REFERRAL_PENDING, agency=agency,
                        lodged_on=app_today(app) - timedelta(days=2))
    response = submit(caseworker, case_id, "transition",
                      step(S.FIRST_INSTANCE, app_today(app), outcome="referred"))
    assert response.status_code == 302
    assert case_values(app, case_id, "status", "referral_decision") == {
        "status": S.FIRST_INSTANCE, "referral_decision": "referred"}


def test_a_lapsed_referral_through_the_page(app, factories, agency, caseworker) -> None:
    today = app_today(app)
    case_id = make_case(app, factories, S.REFERRAL_PENDING, agency=agency,
                        lodged_on=today - timedelta(days=8))
    response = submit(caseworker, case_id, "transition", step(
        S.FIRST_INSTANCE, today, outcome="lapsed", reason="No decision within 7 days"))
    assert response.status_code == 302
    assert case_values(app, case_id, "referral_decision") == {"referral_decision": "lapsed"}
    assert last_event(app, case_id)["outcome"] == "lapsed"


@pytest.mark.parametrize("current", [S.FIRST_INSTANCE, S.REFERRAL_PENDING])
def test_legal_aid_cannot_change_the_status_of_a_shared_file(
        app, factories, agency, ngo, lawyer, current) -> None:
    case_id = make_case(app, factories, current, agency=agency, share_with=ngo)
    page = open_page(lawyer, case_id)
    assert "Change the status" not in page.html
    before = snapshot(app, case_id)
    response = post_from(lawyer, page, f"/cases/{case_id}/transition",
                         step(S.WITHDRAWN, app_today(app), version=before.version))
    assert response.status_code == 403
    assert snapshot(app, case_id) == before
    refusal = last_audit(app, "auth.permission_denied")
    assert (refusal.actor_name, refusal.details) == (lawyer.user.username,
                                                     {"action": "cases.transition"})


@pytest.mark.parametrize("final", [S.CLOSED, S.WITHDRAWN])
def test_a_final_case_refuses_any_step_with_a_message(app, factories, agency, supervisor,
                                                      final) -> None:
    case_id = make_case(app, factories, final, agency=agency)
    assert "Change the status" not in open_page(supervisor, case_id).html
    before = snapshot(app, case_id)
    response = submit(supervisor, case_id, "transition",
                      step(S.FIRST_INSTANCE, app_today(app), version=before.version))
    assert response.status_code == 200
    assert says(response, "New status: Not a valid choice."), text(response)
    assert snapshot(app, case_id) == before


def test_a_step_the_state_machine_does_not_allow_is_refused(app, factories, agency,
                                                            supervisor) -> None:
    case_id = make_case(app, factories, S.FIRST_INSTANCE, agency=agency)
    before = snapshot(app, case_id)
    response = submit(supervisor, case_id, "transition", step(S.CLOSED, app_today(app)))
    assert response.status_code == 200
    assert says(response, "New status: Not a valid choice."), text(response)
    assert snapshot(app, case_id) == before


# --- date, reason and outcome rules: a form message, nothing saved --------------------------

@pytest.mark.parametrize(("values", "message"), [
    (lambda today, lodged: {"effective_date": today + timedelta(days=1)},
     "The effective date cannot be in the future."),
    (lambda today, lodged: {"effective_date": lodged - timedelta(days=1)},
     "The effective date cannot be before the previous event"),
    (lambda today, lodged: {"effective_date": today - timedelta(days=1),
                            "notice_served_on": today - timedelta(days=2)},
     "The notice cannot be served before the decision."),
    (lambda today, lodged: {"reason": ""}, "Reason or basis: This field is required."),
    (lambda today, lodged: {"reason": "   "}, "Reason or basis: This field is required."),
    (lambda today, lodged: {"to": "withdrawn", "outcome": "terminated"},
     "Outcome terminated does not fit this step"),
], ids=["future", "before-previous-event", "notice-before-decision", "empty-reason",
        "blank-reason", "outcome-not-fitting"])
def test_a_refused_step_shows_a_message_and_saves_nothing(
        app, factories, agency, supervisor, values, message) -> None:
    today = app_today(app)
    lodged = today - timedelta(days=40)
    case_id = make_case(app, factories, S.FIRST_INSTANCE, agency=agency, lodged_on=lodged)
    before = snapshot(app, case_id)
    response = submit(supervisor, case_id, "transition",
                      step(S.REJECTED, today) | values(today, lodged))
    assert response.status_code == 200
    assert says(response, message), text(response)
    assert snapshot(app, case_id) == before
    assert case_values(app, case_id, "decision") == {"decision": None}


def test_a_step_without_outcome_refuses_one_from_the_page(app, factories, agency,
                                                          caseworker) -> None:
    """The outcome select lists the outcomes of every offered step; picking `lapsed` for a
    withdrawal must not record a lapsed referral."""
    case_id = make_case(app, factories, S.REFERRAL_PENDING, agency=agency,
                        lodged_on=app_today(app) - timedelta(days=3))
    before = snapshot(app, case_id)
    response = submit(caseworker, case_id, "transition",
                      step(S.WITHDRAWN, app_today(app), outcome="lapsed"))
    assert response.status_code == 200
    assert says(response, "This step has no outcome; lapsed does not fit it."), text(response)
    assert snapshot(app, case_id) == before
    assert case_values(app, case_id, "referral_decision") == {"referral_decision": None}


def test_a_refused_step_keeps_the_users_entries(app, factories, agency, supervisor) -> None:
    case_id = make_case(app, factories, S.FIRST_INSTANCE, agency=agency)
    today = app_today(app)
    response = submit(supervisor, case_id, "transition", step(
        S.REJECTED, today + timedelta(days=3), reason="Inconsistent account"))
    assert "Inconsistent account" in response.get_data(as_text=True)


# --- extensions ------------------------------------------------------------------------------

def due_in_a_few_days(app, factories, agency):
    """A first-instance case whose decision is due in 1–4 days; returns (id, due date)."""
    lodged = app_today(app) - timedelta(days=180)
    return (make_case(app, factories, S.FIRST_INSTANCE, agency=agency, lodged_on=lodged),
            add_months(lodged, 6))


def test_a_supervisor_extends_the_decision_deadline(app, factories, agency,
                                                    supervisor) -> None:
    case_id, due = due_in_a_few_days(app, factories, agency)
    new = due + timedelta(days=60)
    response = submit(supervisor, case_id, "extension", {
        "extended_to": new, "noticed_on": due - timedelta(days=10), "reason": "Country report"})
    assert response.status_code == 302
    assert case_values(app, case_id, "decision_extended_to", "next_due_on") == {
        "decision_extended_to": new, "next_due_on": new}
    page = text(supervisor.get(f"/cases/{case_id}"))
    assert "The decision deadline was extended." in page
    assert "Country report" in page


def test_a_caseworker_cannot_extend_a_deadline(app, factories, agency, caseworker) -> None:
    case_id, due = due_in_a_few_days(app, factories, agency)
    page = open_page(caseworker, case_id)
    assert "Extend the decision deadline" not in page.html
    response = post_from(caseworker, page, f"/cases/{case_id}/extension", {
        "extended_to": due + timedelta(days=30), "noticed_on": due - timedelta(days=7),
        "reason": "Country report"})
    assert response.status_code == 403
    assert case_values(app, case_id, "decision_extended_to", "next_due_on") == {
        "decision_extended_to": None, "next_due_on": due}


@pytest.mark.parametrize(("values", "message"), [
    (lambda due: {"extended_to": add_months(due, 6) + timedelta(days=1)},
     "An extension is at most 6 months"),
    (lambda due: {"noticed_on": due - timedelta(days=6)},
     "The applicant must be told at least 7 days before the deadline"),
    (lambda due: {"reason": ""}, "Reason: This field is required."),
], ids=["too-long", "noticed-too-late", "no-reason"])
def test_a_refused_extension_shows_a_message(app, factories, agency, supervisor, values,
                                             message) -> None:
    case_id, due = due_in_a_few_days(app, factories, agency)
    response = submit(supervisor, case_id, "extension", {
        "extended_to": due + timedelta(days=30), "noticed_on": due - timedelta(days=7),
        "reason": "Country report"} | values(due))
    assert response.status_code == 200
    assert says(response, message), text(response)
    assert case_values(app, case_id, "decision_extended_to", "next_due_on") == {
        "decision_extended_to": None, "next_due_on": due}


def test_a_second_extension_is_refused_on_the_page(app, factories, agency, supervisor) -> None:
    case_id, due = due_in_a_few_days(app, factories, agency)
    first = due + timedelta(days=30)
    values = {"extended_to": first, "noticed_on": due - timedelta(days=7), "reason": "Report"}
    assert submit(supervisor, case_id, "extension", values).status_code == 302
    response = submit(supervisor, case_id, "extension",
                      values | {"extended_to": first + timedelta(days=30)})
    assert response.status_code == 200
    assert says(response, f"The deadline was already extended once (to {first.isoformat()}).")
    assert case_values(app, case_id, "decision_extended_to") == {"decision_extended_to": first}


# --- stale edits -----------------------------------------------------------------------------

@pytest.fixture
def two_supervisors(login_as, agency):
    return login_as(Role.SUPERVISOR, organisation=agency), login_as(Role.SUPERVISOR,
                                                                    organisation=agency)


def test_a_stale_assignment_is_refused_showing_what_changed(
        app, factories, agency, ngo, two_supervisors) -> None:
    first, second = two_supervisors
    case_id = make_case(app, factories, S.FIRST_INSTANCE, agency=agency)
    worker = factories.user(Role.CASEWORKER, organisation=agency, full_name="Kim Minji")
    first_page, second_page = open_page(first, case_id), open_page(second, case_id)
    assert first_page.version == second_page.version

    saved = post_from(first, first_page, f"/cases/{case_id}/assignment",
                      {"assigned_to_id": worker.id, "representing_org_id": ""})
    assert saved.status_code == 302
    refused = post_from(second, second_page, f"/cases/{case_id}/assignment",
                        {"assigned_to_id": "", "representing_org_id": ngo.id})

    assert refused.status_code == 200
    assert says(refused, "Not saved: someone changed this record")
    changes = text(refused).split("Changed by someone else meanwhile:", 1)[1]
    assert f"assigned_to None {worker.id} {first.user.username}" in changes
    assert case_values(app, case_id, "assigned_to_id", "representing_org_id", "version") == {
        "assigned_to_id": worker.id, "representing_org_id": None,
        "version": first_page.version + 1}


def test_after_a_stale_refusal_saving_again_is_deliberate(
        app, factories, agency, ngo, two_supervisors) -> None:
    """The refused form carries the current version: a second save keeps the user's entry."""
    first, second = two_supervisors
    case_id = make_case(app, factories, S.FIRST_INSTANCE, agency=agency)
    worker = factories.user(Role.CASEWORKER, organisation=agency)
    first_page, second_page = open_page(first, case_id), open_page(second, case_id)
    post_from(first, first_page, f"/cases/{case_id}/assignment",
              {"assigned_to_id": worker.id, "representing_org_id": ""})
    refused = post_from(second, second_page, f"/cases/{case_id}/assignment",
                        {"assigned_to_id": worker.id, "representing_org_id": ngo.id})
    assert f'name="version" type="hidden" value="{first_page.version + 1}"' in \
        refused.get_data(as_text=True)
    again = post_from(second, second_page, f"/cases/{case_id}/assignment", {
        "assigned_to_id": worker.id, "representing_org_id": ngo.id,
        "version": first_page.version + 1})
    assert again.status_code == 302
    assert case_values(app, case_id, "assigned_to_id", "representing_org_id") == {
        "assigned_to_id": worker.id, "representing_org_id": ngo.id}


def test_a_transition_from_a_stale_page_is_refused(app, factories, agency,
                                                   two_supervisors) -> None:
    first, second = two_supervisors
    case_id = make_case(app, factories, S.FIRST_INSTANCE, agency=agency)
    worker = factories.user(Role.CASEWORKER, organisation=agency)
    first_page, second_page = open_page(first, case_id), open_page(second, case_id)
    post_from(first, first_page, f"/cases/{case_id}/assignment",
              {"assigned_to_id": worker.id, "representing_org_id": ""})
    before = snapshot(app, case_id)
    refused = post_from(second, second_page, f"/cases/{case_id}/transition",
                        step(S.REJECTED, app_today(app)))
    assert refused.status_code == 200
    assert says(refused, "Not saved: someone changed this record")
    assert "assigned_to" in text(refused).split("Changed by someone else meanwhile:", 1)[1]
    assert snapshot(app, case_id) == before


def test_a_transition_after_someone_else_changed_the_status_explains_why(
        app, factories, agency, two_supervisors) -> None:
    first, second = two_supervisors
    case_id = make_case(app, factories, S.FIRST_INSTANCE, agency=agency)
    first_page, second_page = open_page(first, case_id), open_page(second, case_id)
    post_from(first, first_page, f"/cases/{case_id}/transition",
              step(S.RECOGNIZED, app_today(app)))
    refused = post_from(second, second_page, f"/cases/{case_id}/transition",
                        step(S.REJECTED, app_today(app)))
    assert refused.status_code == 200
    assert says(refused, "Not saved: someone changed this record")
    assert "Not a valid choice" not in text(refused)
    assert case_values(app, case_id, "status") == {"status": S.RECOGNIZED}


# --- notes -----------------------------------------------------------------------------------

def add_note(app, case_id: int, body: str, visibility: NoteVisibility) -> None:
    with session_of(app) as session:
        session.add(CaseNote(case_id=case_id, body=body, visibility=visibility))
        session.commit()


def notes_of(app, case_id: int) -> list[tuple[str, str]]:
    with session_of(app) as session:
        notes = session.execute(sa.select(CaseNote).where(CaseNote.case_id == case_id)
                                .order_by(CaseNote.id)).scalars()
        return [(note.visibility, note.body) for note in notes]


@pytest.fixture
def shared_case(app, factories, agency, ngo) -> int:
    case_id = make_case(app, factories, S.FIRST_INSTANCE, agency=agency, share_with=ngo)
    add_note(app, case_id, "Internal: check the travel route", NoteVisibility.INTERNAL)
    add_note(app, case_id, "Shared: interview on Tuesday", NoteVisibility.SHARED)
    return case_id


def test_legal_aid_sees_shared_notes_but_never_internal_ones(shared_case, lawyer) -> None:
    page = text(lawyer.get(f"/cases/{shared_case}"))
    assert "Shared: interview on Tuesday" in page
    assert "check the travel route" not in page


def test_agency_staff_see_both_kinds_of_notes(shared_case, caseworker) -> None:
    page = text(caseworker.get(f"/cases/{shared_case}"))
    assert "Shared: interview on Tuesday" in page
    assert "Internal: check the travel route" in page


def test_legal_aid_adds_a_shared_note(app, shared_case, lawyer) -> None:
    response = submit(lawyer, shared_case, "notes",
                      {"body": "Power of attorney filed", "visibility": "shared"})
    assert response.status_code == 302
    assert notes_of(app, shared_case)[-1] == ("shared", "Power of attorney filed")


def test_legal_aid_cannot_add_an_internal_note(app, shared_case, lawyer) -> None:
    page = open_page(lawyer, shared_case)
    assert 'value="internal"' not in page.html
    response = post_from(lawyer, page, f"/cases/{shared_case}/notes",
                         {"body": "Sneaky", "visibility": "internal"})
    assert response.status_code == 403  # a forged request, refused and audited
    assert "Sneaky" not in [body for _visibility, body in notes_of(app, shared_case)]
    with app.app_context():
        refusal = db.session.execute(sa.select(AuditEvent).order_by(AuditEvent.id.desc())
                                     ).scalars().first()
    assert refusal.action == "auth.permission_denied"
    assert refusal.details == {"action": "cases.internal_notes.add"}


@pytest.mark.parametrize(("length", "saved"), [(10_000, True), (10_001, False)])
def test_a_note_longer_than_10000_characters_is_refused(app, shared_case, caseworker, length,
                                                        saved) -> None:
    response = submit(caseworker, shared_case, "notes",
                      {"body": "x" * length, "visibility": "internal"})
    assert response.status_code == (302 if saved else 200)
    assert (len(notes_of(app, shared_case)) == 3) is saved
    if not saved:
        assert says(response, "Note: Field cannot be longer than 10000 characters.")


# --- what the page shows ---------------------------------------------------------------------

def test_the_page_shows_the_running_clocks(app, factories, agency, caseworker) -> None:
    lodged = app_today(app) - timedelta(days=40)
    case_id = make_case(app, factories, S.FIRST_INSTANCE, agency=agency, lodged_on=lodged)
    page = text(caseworker.get(f"/cases/{case_id}"))
    assert "First-instance decision due" in page
    assert "Work permission possible from" in page


def test_the_history_lists_every_step(app, factories, agency, caseworker) -> None:
    case_id = make_case(app, factories, S.OBJECTION, agency=agency)
    page = text(caseworker.get(f"/cases/{case_id}"))
    history = page.split("History", 1)[1]
    assert history.index("Application lodged") < history.index("Test step to rejected") \
        < history.index("Test step to objection")
