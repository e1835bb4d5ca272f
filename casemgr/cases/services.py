"""Lodging applications, moving them through the procedure, extensions, assignment, notes.

Every status change goes through `transition_case`, which applies the state machine of
`lifecycle`, the date rules of DOMAIN.md and the decision right of the policy, writes the
history event and the audit event, and recomputes the case's next deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from casemgr.audit.services import AuditAction, record
from casemgr.auth.models import Organisation, OrganisationKind, User
from casemgr.auth.policy import Action, applicant_scope, can
from casemgr.cases import deadlines, lifecycle, transitions
from casemgr.cases.models import (
    Case,
    CaseEvent,
    CaseNote,
    CaseStatus,
    LodgedAt,
    NoteVisibility,
)
from casemgr.exceptions import InvalidTransition, PermissionDenied, ValidationFailed
from casemgr.records import apply_changes, ensure_current, flush_versioned

if TYPE_CHECKING:
    from casemgr.applicants.models import Applicant
    from casemgr.applicants.services import LodgingData

MAX_NOTE_LENGTH = 10_000


def lodge_case(session: Session, applicant: Applicant, lodging: LodgingData, *,
               actor: User | None, today: date | None = None) -> Case:
    """Lodge an application for a person: first-time, or subsequent when they had one."""
    if applicant.anonymised_at is not None:
        raise ValidationFailed.single("lodged_on", _(
            "This person was anonymised (retention): register them again to lodge a case."))
    case = transitions.open_case(
        list(applicant.cases), lodged_on=lodging.lodged_on, lodged_at=lodging.lodged_at,
        port_of_entry=lodging.port_of_entry or applicant.port_of_entry,
        application_type=lodging.application_type, actor_id=getattr(actor, "id", None),
        today=today or date.today())
    # Whoever works cases and lodges one is its caseworker until someone reassigns it.
    case.assigned_to_id = actor.id if can(actor, Action.TRANSITION_CASE) else None
    case.applicant = applicant
    transitions.refresh_deadlines(case)
    session.add(case)
    session.flush()
    record(session, AuditAction.CASE_LODGED, actor=actor, subject=case,
           details={"lodged_on": case.lodged_on, "lodged_at": case.lodged_at,
                    "status": case.status, "application_type": case.application_type,
                    "version": 1})
    return case


def lock_case(session: Session, case_id: int) -> Case | None:
    """Load a case for a change, holding its row lock (PostgreSQL) until commit, so two
    identical requests at once are applied once."""
    return session.execute(
        sa.select(Case).where(Case.id == case_id).with_for_update()
    ).scalar_one_or_none()


def transition_case(
    session: Session,
    case: Case,
    *,
    to: CaseStatus | str,
    effective_date: date,
    reason: str,
    actor: User | None,
    notice_served_on: date | None = None,
    outcome: str | None = None,
    version: int | None = None,
    today: date | None = None,
) -> CaseEvent:
    """Move a case to another status, or say exactly why it cannot."""
    ensure_current(session, case, version)
    checked = transitions.check_step(case, to=to, effective_date=effective_date, reason=reason,
                                     notice_served_on=notice_served_on, outcome=outcome,
                                     today=today or date.today())
    if actor is not None and checked.step.decision and not can(
            actor, Action.RECORD_DECISION, case):
        raise PermissionDenied(_("Only a supervisor or an administrator records decisions."))
    if actor is not None and not can(actor, Action.TRANSITION_CASE, case):
        raise PermissionDenied(_("Your role cannot change the status of cases."))
    previous = case.status
    event = transitions.apply_step(case, checked, effective_date=effective_date,
                                   notice_served_on=notice_served_on, reason=reason,
                                   actor_id=getattr(actor, "id", None))
    flush_versioned(session, case, case.version)
    record(session, AuditAction.CASE_TRANSITIONED, actor=actor, subject=case, details={
        "from": previous, "to": checked.target, "outcome": checked.outcome,
        "effective_date": effective_date, "notice_served_on": notice_served_on,
        "version": case.version})
    return event


def extend_deadline(
    session: Session, case: Case, *, extended_to: date, reason: str, noticed_on: date,
    actor: User, today: date | None = None,
) -> None:
    """The one extension of a decision deadline: up to 6 months, with a reason, noticed to
    the applicant at least 7 days before the deadline expires."""
    today = today or date.today()
    if not can(actor, Action.EXTEND_DEADLINE, case):
        raise PermissionDenied(_("Only a supervisor or an administrator extends deadlines."))
    if case.status not in lifecycle.EXTENDABLE:
        raise InvalidTransition(_("Only first-instance and objection decisions have a "
                                  "deadline that can be extended."))
    first_instance = case.status == CaseStatus.FIRST_INSTANCE
    already = case.decision_extended_to if first_instance else case.objection_extended_to
    if already is not None:
        raise InvalidTransition(_("The deadline was already extended once (to %(date)s).",
                                  date=already.isoformat()))
    clock = deadlines.next_deadline(case)
    if clock is None:
        raise InvalidTransition(_("This case has no running decision deadline."))
    errors: dict[str, list[str]] = {}
    if extended_to <= clock.due:
        errors["extended_to"] = [_("The new deadline must be after the current one (%(date)s).",
                                   date=clock.due.isoformat())]
    elif extended_to > deadlines.extension_limit(clock.due):
        errors["extended_to"] = [_("An extension is at most 6 months (until %(date)s).",
                                   date=deadlines.extension_limit(clock.due).isoformat())]
    if noticed_on > today:
        errors["noticed_on"] = [_("The date is in the future.")]
    elif noticed_on > deadlines.extension_notice_deadline(clock.due):
        errors["noticed_on"] = [_(
            "The applicant must be told at least 7 days before the deadline (by %(date)s).",
            date=deadlines.extension_notice_deadline(clock.due).isoformat())]
    if not reason.strip():
        errors["reason"] = [_("Give the reason for the extension.")]
    if errors:
        raise ValidationFailed(errors)
    if first_instance:
        case.decision_extended_to, case.decision_extension_reason = extended_to, reason.strip()
    else:
        case.objection_extended_to, case.objection_extension_reason = extended_to, reason.strip()
    transitions.refresh_deadlines(case)
    flush_versioned(session, case, case.version)
    record(session, AuditAction.DEADLINE_EXTENDED, actor=actor, subject=case, details={
        "from": clock.due, "to": extended_to, "noticed_on": noticed_on,
        "version": case.version})


def update_assignment(
    session: Session, case: Case, *, version: int, assigned_to: User | None,
    representing_org: Organisation | None, actor: User,
) -> None:
    """Reassign the caseworker or change the representing NGO (a versioned edit)."""
    ensure_current(session, case, version)
    if not can(actor, Action.ASSIGN_CASE, case):
        raise PermissionDenied(_("Only a supervisor or an administrator reassigns cases."))
    if assigned_to is not None and (
            assigned_to.organisation_id != case.applicant.agency_id or not assigned_to.active
            or not can(assigned_to, Action.TRANSITION_CASE)):
        raise ValidationFailed.single("assigned_to_id", _(
            "Assign an active caseworker or supervisor of the case's agency."))
    if representing_org is not None and representing_org.kind != OrganisationKind.NGO:
        raise ValidationFailed.single("representing_org_id", _("Choose an NGO."))
    changes = apply_changes(case, {"assigned_to": assigned_to,
                                   "representing_org": representing_org})
    if changes:
        case.assigned_to_id = assigned_to.id if assigned_to else None
        transitions.refresh_deadlines(case)
        flush_versioned(session, case, version)
        record(session, AuditAction.CASE_UPDATED, actor=actor, subject=case,
               details={"changes": changes, "version": case.version})


def add_note(session: Session, case: Case, *, body: str, visibility: NoteVisibility | str,
             actor: User) -> CaseNote:
    """Add a note; NGO staff may only add notes shared with them."""
    visibility = NoteVisibility(visibility)
    needed = (Action.ADD_INTERNAL_NOTE if visibility == NoteVisibility.INTERNAL
              else Action.ADD_SHARED_NOTE)
    if not can(actor, needed, case):
        raise PermissionDenied(_("Your role cannot add this kind of note."))
    body = body.strip()
    if not body:
        raise ValidationFailed.single("body", _("Write the note."))
    if len(body) > MAX_NOTE_LENGTH:
        raise ValidationFailed.single("body", _("A note is at most %(n)d characters.",
                                                n=MAX_NOTE_LENGTH))
    note = CaseNote(case=case, author_id=actor.id, visibility=visibility, body=body)
    session.add(note)
    session.flush()
    record(session, AuditAction.NOTE_ADDED, actor=actor, subject=case,
           details={"note_id": note.id, "visibility": visibility})
    return note


@dataclass(frozen=True)
class CaseFilter:
    """Filters of a list of cases (the API's; the pages list people, not cases)."""

    applicant_id: int | None = None
    status: str | None = None
    lodged_at: str | None = None
    assigned_to_id: int | None = None
    current: bool | None = None


def cases_query(user: User, criteria: CaseFilter) -> sa.Select[tuple[Case]]:
    """The cases of the people in the user's scope matching the filters, newest first."""
    from casemgr.applicants.models import Applicant

    query = (sa.select(Case).join(Applicant, Applicant.id == Case.applicant_id)
             .where(applicant_scope(user)))
    if criteria.applicant_id:
        query = query.where(Case.applicant_id == criteria.applicant_id)
    if criteria.status:
        query = query.where(Case.status == CaseStatus(criteria.status))
    if criteria.lodged_at:
        query = query.where(Case.lodged_at == LodgedAt(criteria.lodged_at))
    if criteria.assigned_to_id:
        query = query.where(Case.assigned_to_id == criteria.assigned_to_id)
    if criteria.current is not None:
        query = query.where(Case.is_current == criteria.current)
    return query.order_by(Case.lodged_on.desc(), Case.id.desc())


def record_list(session: Session, filters: dict[str, object], results: int, *,
                actor: User) -> None:
    """A filtered list of cases says whose files were looked for: audited like a search."""
    record(session, AuditAction.CASES_LISTED, actor=actor,
           details={"filters": filters, "results": results})


def visible_notes(case: Case, user: User) -> list[CaseNote]:
    """The notes a user may read: NGO staff never see internal notes."""
    if can(user, Action.READ_INTERNAL_NOTES, case):
        return list(case.notes)
    return [note for note in case.notes if note.visibility == NoteVisibility.SHARED]
