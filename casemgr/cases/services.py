"""Lodging applications, moving them through the procedure, extensions, assignment, notes.

Every status change goes through `transition_case`, which applies the state machine of
`lifecycle`, the date rules of DOMAIN.md and the decision right of the policy, writes the
history event and the audit event, and recomputes the case's next deadline.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from casemgr.audit.services import AuditAction, record
from casemgr.auth.models import Organisation, OrganisationKind, User
from casemgr.auth.policy import Action, can
from casemgr.cases import deadlines, lifecycle
from casemgr.cases.models import (
    ApplicationType,
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


def refresh_next_due(case: Case) -> None:
    """Store the running deadlines on the case (see Case.next_due_on)."""
    first, later = ([*deadlines.deadlines(case), None, None])[:2]
    case.next_due_on = first.due if first else None
    case.next_due_kind = str(first.kind) if first else None
    case.later_due_on = later.due if later else None
    case.later_due_kind = str(later.kind) if later else None


def lodge_case(session: Session, applicant: Applicant, lodging: LodgingData, *,
               actor: User | None, today: date | None = None) -> Case:
    """Lodge an application for a person: first-time, or subsequent when they had one."""
    today = today or date.today()
    previous = list(applicant.cases)
    pending = [c for c in previous if c.status in lifecycle.PENDING]
    if pending:
        raise ValidationFailed.single("lodged_on", _(
            "This person already has an application in progress (%(status)s); a new one "
            "can be lodged once it is decided.", status=pending[-1].status.label))
    if lodging.lodged_on > today:
        raise ValidationFailed.single("lodged_on", _("The date is in the future."))
    if previous and lodging.lodged_on < max(c.status_since for c in previous):
        raise ValidationFailed.single("lodged_on", _(
            "A subsequent application cannot be lodged before the previous one ended."))
    kind = ApplicationType(lodging.application_type or (
        ApplicationType.SUBSEQUENT if previous else ApplicationType.FIRST_TIME))
    if kind == ApplicationType.FIRST_TIME and previous:
        raise ValidationFailed.single("application_type", _(
            "This person applied before: the new application is a subsequent one."))
    lodged_at = LodgedAt(lodging.lodged_at)
    status = lifecycle.initial_status(lodged_at)
    for earlier in previous:
        earlier.is_current = False
    case = Case(
        applicant=applicant, is_current=True, lodged_on=lodging.lodged_on, lodged_at=lodged_at,
        application_type=kind,
        port_of_entry=(lodging.port_of_entry or applicant.port_of_entry)
        if lodged_at == LodgedAt.PORT_OF_ENTRY else None,
        status=status, status_since=lodging.lodged_on,
        assigned_to_id=actor.id if can(actor, Action.TRANSITION_CASE) else None,
    )
    case.events.append(CaseEvent(from_status=None, to_status=status,
                                 effective_date=lodging.lodged_on, actor_id=getattr(
                                     actor, "id", None), reason="Application lodged"))
    refresh_next_due(case)
    session.add(case)
    session.flush()
    record(session, AuditAction.CASE_LODGED, actor=actor, subject=case,
           details={"lodged_on": case.lodged_on, "lodged_at": lodged_at, "status": status,
                    "application_type": kind, "version": 1})
    return case


def lock_case(session: Session, case_id: int) -> Case | None:
    """Load a case for a change, holding its row lock (PostgreSQL) until commit, so two
    identical requests at once are applied once."""
    return session.execute(
        sa.select(Case).where(Case.id == case_id).with_for_update()
    ).scalar_one_or_none()


def _apply_step_fields(case: Case, target: CaseStatus, outcome: str | None, effective: date,
                       notice: date | None, reason: str) -> None:
    """Mirror the step into the case's decision columns (INTERFACES §3)."""
    current = case.status
    if current == CaseStatus.REFERRAL_PENDING and outcome:
        case.referral_decision = outcome  # type: ignore[assignment]
        case.referral_decided_on = effective
    elif current == CaseStatus.FIRST_INSTANCE and target in {
            CaseStatus.RECOGNIZED, CaseStatus.HUMANITARIAN, CaseStatus.REJECTED}:
        case.decision = target.value  # type: ignore[assignment]
        case.decision_on = effective
        case.decision_notice_on = notice
    elif current == CaseStatus.OBJECTION and outcome:
        case.objection_decision = outcome  # type: ignore[assignment]
        case.objection_decided_on = effective
        case.objection_notice_on = notice
    elif current in {CaseStatus.LITIGATION, CaseStatus.REFERRAL_LITIGATION}:
        case.judgment_served_on = notice or effective
    if target == CaseStatus.OBJECTION:
        case.objection_lodged_on = effective
        case.objection_decision = None
        case.objection_decided_on = None
        case.objection_notice_on = None
        case.objection_extended_to = None
        case.objection_extension_reason = None
    if target == CaseStatus.CLOSED:
        case.closed_reason = reason


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
    today = today or date.today()
    ensure_current(session, case, version)
    try:
        target = CaseStatus(to)
    except ValueError:
        raise InvalidTransition(_("Unknown status %(status)s.", status=to)) from None
    step = lifecycle.step_for(case.status, target)
    if step is None:
        allowed = ", ".join(s.label for s in lifecycle.allowed_targets(case.status)) or "—"
        raise InvalidTransition(_(
            "A case in status “%(current)s” cannot move to “%(target)s”. Allowed: %(allowed)s.",
            current=case.status.label, target=target.label, allowed=allowed))
    if step.decision and actor is not None and not can(actor, Action.RECORD_DECISION, case):
        raise PermissionDenied(_("Only a supervisor or an administrator records decisions."))
    if actor is not None and not can(actor, Action.TRANSITION_CASE, case):
        raise PermissionDenied(_("Your role cannot change the status of cases."))
    if outcome is None and step.outcomes:
        outcome = step.outcomes[0]
    if step.outcomes and outcome not in step.outcomes:
        raise InvalidTransition(_("Outcome %(outcome)s does not fit this step; use one of "
                                  "%(allowed)s.", outcome=outcome,
                                  allowed=", ".join(step.outcomes)))
    errors: dict[str, list[str]] = {}
    last = max((event.effective_date for event in case.events), default=case.lodged_on)
    if effective_date > today:
        errors["effective_date"] = [_("The effective date cannot be in the future.")]
    elif effective_date < last:
        errors["effective_date"] = [_(
            "The effective date cannot be before the previous event (%(date)s).",
            date=last.isoformat())]
    if notice_served_on is not None:
        if notice_served_on < effective_date:
            errors["notice_served_on"] = [_("The notice cannot be served before the decision.")]
        elif notice_served_on > today:
            errors["notice_served_on"] = [_("The date is in the future.")]
    reason = reason.strip()
    if not reason:
        errors["reason"] = [_("Give the reason or the basis of this step.")]
    if errors:
        raise ValidationFailed(errors)

    previous = case.status
    _apply_step_fields(case, target, outcome, effective_date, notice_served_on, reason)
    event = CaseEvent(from_status=previous, to_status=target, outcome=outcome,
                      effective_date=effective_date, notice_served_on=notice_served_on,
                      reason=reason, actor_id=getattr(actor, "id", None))
    case.events.append(event)
    case.status = target
    case.status_since = effective_date
    refresh_next_due(case)
    flush_versioned(session, case, case.version)
    record(session, AuditAction.CASE_TRANSITIONED, actor=actor, subject=case, details={
        "from": previous, "to": target, "outcome": outcome, "effective_date": effective_date,
        "notice_served_on": notice_served_on, "version": case.version})
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
    refresh_next_due(case)
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


def visible_notes(case: Case, user: User) -> list[CaseNote]:
    """The notes a user may read: NGO staff never see internal notes."""
    if can(user, Action.READ_INTERNAL_NOTES, case):
        return list(case.notes)
    return [note for note in case.notes if note.visibility == NoteVisibility.SHARED]
