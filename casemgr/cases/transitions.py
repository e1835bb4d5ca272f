"""Opening applications and applying status steps to a case object, without a session.

The rules live here once: `services` uses them for a single change (adding the permission
check, the optimistic lock and the audit event); the bulk writer uses them to build the
history of imported and generated records. Both reach the same columns and events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _

from casemgr.cases import deadlines, lifecycle
from casemgr.cases.models import (
    ApplicationType,
    Case,
    CaseEvent,
    CaseStatus,
    LodgedAt,
)
from casemgr.exceptions import InvalidTransition, ValidationFailed

LODGED_REASON = "Application lodged"


@dataclass(frozen=True)
class RecordTypes:
    """What open_case and apply_step build: ORM objects for a single change, or the bulk
    writer's light drafts (same attribute names) when a million are planned at once."""

    case: Any = Case
    event: Any = CaseEvent


ORM = RecordTypes()


@dataclass(frozen=True)
class CheckedStep:
    target: CaseStatus
    step: lifecycle.Step
    outcome: str | None


def refresh_deadlines(case: Any) -> None:
    """Store the running deadlines on the case (see Case.next_due_on), and the summary of
    the current case on its applicant (see Applicant.current_status)."""
    running = deadlines.deadlines(case) if case.is_current else []
    first, later = ([*running, None, None])[:2]
    case.next_due_on = first.due if first else None
    case.next_due_kind = str(first.kind) if first else None
    case.later_due_on = later.due if later else None
    case.later_due_kind = str(later.kind) if later else None
    applicant = getattr(case, "applicant", None)
    if applicant is not None and case.is_current:
        summarise(applicant, case)


def summarise(applicant: Any, case: Any) -> None:
    """Copy what the applicant list filters and sorts on from the current case."""
    applicant.current_status = case.status
    applicant.current_lodged_on = case.lodged_on
    applicant.current_lodged_at = case.lodged_at
    applicant.current_port = case.port_of_entry
    applicant.current_assigned_to_id = case.assigned_to_id
    applicant.current_due_on = case.next_due_on
    applicant.current_due_kind = case.next_due_kind


def open_case(previous: list[Any], *, lodged_on: date, lodged_at: LodgedAt | str,
              port_of_entry: str | None, application_type: ApplicationType | str | None,
              actor_id: int | None, today: date, types: RecordTypes = ORM,
              refresh: bool = True) -> Any:
    """A new application with its first status event, after the previous ones of the
    same person (which stop being current). `refresh=False` leaves the new case's
    deadlines to the caller: a replayed history (import, demo data) needs them once, at
    its end, and the bulk writer stores them from each case's final state."""
    pending = [c for c in previous if c.status in lifecycle.PENDING]
    if pending:
        raise ValidationFailed.single("lodged_on", _(
            "This person already has an application in progress (%(status)s); a new one "
            "can be lodged once it is decided.", status=pending[-1].status.label))
    if lodged_on > today:
        raise ValidationFailed.single("lodged_on", _("The date is in the future."))
    if previous and lodged_on < max(c.status_since for c in previous):
        raise ValidationFailed.single("lodged_on", _(
            "A subsequent application cannot be lodged before the previous one ended."))
    kind = ApplicationType(application_type or (
        ApplicationType.SUBSEQUENT if previous else ApplicationType.FIRST_TIME))
    if kind == ApplicationType.FIRST_TIME and previous:
        raise ValidationFailed.single("application_type", _(
            "This person applied before: the new application is a subsequent one."))
    lodged_at = LodgedAt(lodged_at)
    if lodged_at == LodgedAt.PORT_OF_ENTRY and not port_of_entry:
        raise ValidationFailed.single("port_of_entry", _(
            "Give the port of entry where the application was lodged."))
    status = lifecycle.initial_status(lodged_at)
    for earlier in previous:
        earlier.is_current = False
        refresh_deadlines(earlier)  # a superseded application's clocks stop
    case = types.case(
        is_current=True, lodged_on=lodged_on, lodged_at=lodged_at, application_type=kind,
        decision_clock_from=lodged_on,
        port_of_entry=port_of_entry if lodged_at == LodgedAt.PORT_OF_ENTRY else None,
        status=status, status_since=lodged_on,
    )
    case.events.append(types.event(from_status=None, to_status=status, effective_date=lodged_on,
                                   actor_id=actor_id, reason=LODGED_REASON))
    if refresh:
        refresh_deadlines(case)
    return case


def check_step(case: Any, *, to: CaseStatus | str, effective_date: date, reason: str,
               notice_served_on: date | None, outcome: str | None, today: date
               ) -> CheckedStep:
    """Whether the case may take this step on these dates; the reason when not."""
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
    if outcome is None and step.outcomes:
        outcome = step.outcomes[0]
    if outcome is not None and outcome not in step.outcomes:
        raise InvalidTransition(
            _("Outcome %(outcome)s does not fit this step; use one of %(allowed)s.",
              outcome=outcome, allowed=", ".join(step.outcomes)) if step.outcomes
            else _("This step has no outcome; %(outcome)s does not fit it.", outcome=outcome))
    errors: dict[str, list[str]] = {}
    if outcome == "lapsed" and effective_date <= case.lodged_on + timedelta(
            days=deadlines.REFERRAL_DAYS):
        errors["effective_date"] = [_(
            "A referral lapses only when no decision was made within %(n)d days of lodging "
            "(from %(date)s).", n=deadlines.REFERRAL_DAYS,
            date=(case.lodged_on + timedelta(days=deadlines.REFERRAL_DAYS + 1)).isoformat())]
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
    if not reason.strip():
        errors["reason"] = [_("Give the reason or the basis of this step.")]
    if errors:
        raise ValidationFailed(errors)
    return CheckedStep(target, step, outcome)


def apply_step(case: Any, checked: CheckedStep, *, effective_date: date,
               notice_served_on: date | None, reason: str, actor_id: int | None,
               types: RecordTypes = ORM, refresh: bool = True) -> Any:
    """Record a checked step: the history event, the decision columns, status, deadlines
    (unless `refresh=False`, as in `open_case`)."""
    target, outcome, reason = checked.target, checked.outcome, reason.strip()
    current = case.status
    if current == CaseStatus.REFERRAL_PENDING and outcome:
        case.referral_decision = outcome  # type: ignore[assignment]
        case.referral_decided_on = effective_date
        case.referral_notice_on = notice_served_on
    elif current == CaseStatus.FIRST_INSTANCE and target in {
            CaseStatus.RECOGNIZED, CaseStatus.HUMANITARIAN, CaseStatus.REJECTED}:
        case.decision = target.value  # type: ignore[assignment]
        case.decision_on = effective_date
        case.decision_notice_on = notice_served_on
    elif current == CaseStatus.OBJECTION and outcome:
        case.objection_decision = outcome  # type: ignore[assignment]
        case.objection_decided_on = effective_date
        case.objection_notice_on = notice_served_on
    elif current in {CaseStatus.LITIGATION, CaseStatus.REFERRAL_LITIGATION}:
        case.judgment_served_on = notice_served_on or effective_date
    if target == CaseStatus.FIRST_INSTANCE and current in {
            CaseStatus.LITIGATION, CaseStatus.REFERRAL_LITIGATION}:
        # Sent back by a court: a new decision is owed within its own six months, and
        # the one extension is available again.
        case.decision_clock_from = effective_date
        case.decision_extended_to = None
        case.decision_extension_reason = None
    if target == CaseStatus.OBJECTION:
        case.objection_lodged_on = effective_date
        case.objection_decision = None
        case.objection_decided_on = None
        case.objection_notice_on = None
        case.objection_extended_to = None
        case.objection_extension_reason = None
    if target in {CaseStatus.LITIGATION, CaseStatus.REFERRAL_LITIGATION}:
        case.judgment_served_on = None  # a new suit: no judgment served in it yet
    if target == CaseStatus.CLOSED:
        case.closed_reason = reason
    event = types.event(from_status=current, to_status=target, outcome=outcome,
                        effective_date=effective_date, notice_served_on=notice_served_on,
                        reason=reason, actor_id=actor_id)
    case.events.append(event)
    case.status = target
    case.status_since = effective_date
    if refresh:
        refresh_deadlines(case)
    return event
