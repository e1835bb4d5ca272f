"""Recording specific needs and tracking assistance needs. Services flush and audit; the
caller commits.

Who sees what is the policy's: `specific_needs_query` applies the one visibility rule for
sensitive codes (policy.sensitive_needs_visible) and `need_scope` the scope of assistance
needs. Free-text notes and sensitive codes are never copied into the audit trail.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, fields
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from casemgr.applicants.models import Applicant
from casemgr.audit.services import AuditAction, record
from casemgr.auth.models import Organisation, OrganisationKind, User
from casemgr.auth.policy import (
    Action,
    applicant_scope,
    can,
    may_update_need,
    sensitive_needs_visible,
)
from casemgr.cases.models import CaseStatus, LodgedAt
from casemgr.exceptions import InvalidTransition, PermissionDenied, ValidationFailed
from casemgr.needs import codes
from casemgr.needs.models import (
    UNRESOLVED,
    AssistanceNeed,
    NeedCategory,
    NeedPriority,
    NeedStatus,
    SpecificNeed,
)
from casemgr.records import apply_changes, ensure_current, flush_versioned

MAX_NOTE = 2000
# Free text about a person's situation: audited as "changed", never copied.
NOTE_FIELDS = frozenset({"note", "resolution_note"})
# An NGO working on a need referred to it moves it along and closes it; what the need is
# and where it is referred stay the agency's decision.
REFERRED_NEED_FIELDS = frozenset({"status", "resolved_on", "resolution_note"})
REFERRED_NEED_STATUSES = (NeedStatus.REFERRED, NeedStatus.IN_PROGRESS, NeedStatus.MET,
                          NeedStatus.CLOSED_UNMET)
PORT_HELD_STATUSES = frozenset({CaseStatus.REFERRAL_PENDING, CaseStatus.NOT_REFERRED})
PORT_HELD_CODE = "LP-DA"
PORT_HELD_CATEGORIES = (NeedCategory.SHELTER, NeedCategory.FOOD)
PORT_HELD_DUE_DAYS = 1


def _check_text(errors: dict[str, list[str]], name: str, value: str) -> str:
    value = (value or "").strip()
    if len(value) > MAX_NOTE:
        errors[name] = [_("At most %(n)d characters.", n=MAX_NOTE)]
    elif any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in value):
        errors[name] = [_("Remove the control characters from this field.")]
    return value


# --- specific needs ------------------------------------------------------------------------

def specific_needs_query(user: User) -> sa.Select[tuple[SpecificNeed]]:
    """Every specific need the user may see: of people in scope, sensitive codes only where
    the policy allows. Pages, lists and exports of specific needs start from this."""
    return (sa.select(SpecificNeed).join(Applicant, Applicant.id == SpecificNeed.applicant_id)
            .where(applicant_scope(user),
                   sa.or_(sa.not_(SpecificNeed.sensitive_clause()),
                          sensitive_needs_visible(user, SpecificNeed.applicant_id))))


def visible_specific_needs(session: Session, applicant: Applicant, user: User
                           ) -> list[SpecificNeed]:
    return list(session.execute(
        specific_needs_query(user).where(SpecificNeed.applicant_id == applicant.id)
        .order_by(SpecificNeed.code)).scalars())


def sees_sensitive_needs(session: Session, applicant: Applicant, user: User) -> bool:
    """Whether the user may see (and so record) the person's SV, TR and SM-MI needs."""
    return bool(session.execute(sa.select(sensitive_needs_visible(user, applicant.id)))
                .scalar())


def record_specific_need(session: Session, applicant: Applicant, *, code: str,
                         identified_on: date | None, note: str, actor: User,
                         today: date) -> SpecificNeed:
    """Record a UNHCR specific-needs code on the person."""
    if not can(actor, Action.RECORD_NEEDS, applicant):
        raise PermissionDenied(_("Your role cannot record needs."))
    code = (code or "").strip().upper()
    errors: dict[str, list[str]] = {}
    if not codes.is_known(code):
        errors["code"] = [_("Unknown specific-needs code: %(code)s.", code=code[:20])]
    elif codes.is_sensitive(code) and not sees_sensitive_needs(session, applicant, actor):
        # Said before any duplicate check, so it reveals nothing about recorded codes.
        errors["code"] = [_("Only the agency and the NGO representing this person record "
                            "this need.")]
    elif session.execute(sa.select(SpecificNeed.id).where(
            SpecificNeed.applicant_id == applicant.id, SpecificNeed.code == code)).first():
        errors["code"] = [_("This need is already recorded for the person.")]
    if identified_on is None:
        errors["identified_on"] = [_("Give the date the need was identified.")]
    elif identified_on > today:
        errors["identified_on"] = [_("The date is in the future.")]
    note = _check_text(errors, "note", note)
    if errors:
        raise ValidationFailed(errors)
    need = SpecificNeed(applicant_id=applicant.id, code=code, category=codes.category(code),
                        identified_on=identified_on, identified_by_id=actor.id, note=note)
    session.add(need)
    session.flush()
    record(session, AuditAction.SPECIFIC_NEED_RECORDED, actor=actor, subject=need,
           details=_code_details(code))
    return need


def _code_details(code: str) -> dict[str, Any]:
    """What the audit trail says about a code: sensitive ones are not named in it."""
    return {"sensitive": True} if codes.is_sensitive(code) else {"code": code}


def remove_specific_need(session: Session, need: SpecificNeed, *, actor: User) -> None:
    """Remove a code recorded by mistake (audited; the caller checked it is visible)."""
    if not can(actor, Action.MANAGE_NEEDS, session.get_one(Applicant, need.applicant_id)):
        raise PermissionDenied(_("Your role cannot remove specific needs."))
    session.delete(need)
    session.flush()
    record(session, AuditAction.SPECIFIC_NEED_REMOVED, actor=actor, subject=need,
           details=_code_details(need.code))


# --- assistance needs ----------------------------------------------------------------------

@dataclass
class NeedData:
    """An assistance need's fields (INTERFACES §5 names), parsed field by field."""

    category: NeedCategory | str
    priority: NeedPriority | str = NeedPriority.NORMAL
    status: NeedStatus | str = NeedStatus.OPEN
    referred_to_org_id: int | None = None
    opened_on: date | None = None
    due_on: date | None = None
    resolved_on: date | None = None
    note: str = ""
    resolution_note: str = ""


NEED_FIELDS = tuple(field.name for field in fields(NeedData))


def _check_need(session: Session, data: NeedData, *, actor: User, today: date
                ) -> dict[str, Any]:
    """The need's values, cleaned and consistent, or every problem at once."""
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for name, enum_class, message in (
            ("category", NeedCategory, _("Choose a category.")),
            ("priority", NeedPriority, _("Choose a priority.")),
            ("status", NeedStatus, _("Choose a status."))):
        try:
            values[name] = enum_class(getattr(data, name))
        except ValueError:
            errors[name] = [message]
    status = values.get("status")
    organisation_id = data.referred_to_org_id
    if organisation_id is not None:
        organisation = session.get(Organisation, organisation_id)
        if organisation is None or organisation.kind != OrganisationKind.NGO \
                or not organisation.active:
            errors["referred_to_org_id"] = [_("Refer the need to an active NGO.")]
        elif not can(actor, Action.MANAGE_NEEDS) and organisation_id != actor.organisation_id:
            errors["referred_to_org_id"] = [_("You can refer a need only to your own "
                                              "organisation.")]
        if status == NeedStatus.OPEN:
            values["status"] = status = NeedStatus.REFERRED  # referring is what it says
    elif status == NeedStatus.REFERRED:
        errors["referred_to_org_id"] = [_("Choose the organisation the need is referred to.")]
    opened_on = data.opened_on or today
    if opened_on > today:
        errors["opened_on"] = [_("The date is in the future.")]
    if data.due_on is not None and data.due_on < opened_on:
        errors["due_on"] = [_("The need cannot be due before it was opened.")]
    resolved_on = data.resolved_on
    if status is not None and status.resolved:
        resolved_on = resolved_on or today
        if resolved_on > today:
            errors["resolved_on"] = [_("The date is in the future.")]
        elif resolved_on < opened_on:
            errors["resolved_on"] = [_("The need cannot be resolved before it was opened.")]
    elif resolved_on is not None:
        errors["resolved_on"] = [_("Only a need that was met or closed has a resolution "
                                   "date.")]
    note = _check_text(errors, "note", data.note)
    resolution_note = _check_text(errors, "resolution_note", data.resolution_note)
    if status == NeedStatus.CLOSED_UNMET and not resolution_note and "resolution_note" \
            not in errors:
        errors["resolution_note"] = [_("Say why the need could not be met.")]
    if errors:
        raise ValidationFailed(errors)
    values.update(referred_to_org_id=organisation_id, opened_on=opened_on, due_on=data.due_on,
                  resolved_on=resolved_on, note=note, resolution_note=resolution_note)
    return values


def open_need(session: Session, applicant: Applicant, data: NeedData, *, actor: User,
              today: date) -> AssistanceNeed:
    """Open an assistance need of a person (referred at once when an NGO is given)."""
    if not can(actor, Action.RECORD_NEEDS, applicant):
        raise PermissionDenied(_("Your role cannot record needs."))
    values = _check_need(session, data, actor=actor, today=today)
    need = AssistanceNeed(applicant_id=applicant.id, opened_by_id=actor.id, **values)
    session.add(need)
    session.flush()
    record(session, AuditAction.NEED_OPENED, actor=actor, subject=need, details={
        **{name: value for name, value in values.items() if name not in NOTE_FIELDS},
        "version": need.version})
    return need


def update_need(session: Session, need: AssistanceNeed, data: NeedData, *, version: int,
                actor: User, today: date) -> AssistanceNeed:
    """Save an edited need; refuses a stale version and names what changed meanwhile.
    An NGO may change only the progress of a need referred to it."""
    ensure_current(session, need, version)
    if not may_update_need(actor, need):
        raise PermissionDenied(_("You may update only the needs referred to your "
                                 "organisation."))
    if not can(actor, Action.MANAGE_NEEDS, need) and (
            str(data.status) not in REFERRED_NEED_STATUSES
            or any(getattr(data, name) != getattr(need, name)
                   for name in NEED_FIELDS if name not in REFERRED_NEED_FIELDS)):
        raise PermissionDenied(_("An organisation a need is referred to records its "
                                 "progress and outcome only."))
    values = _check_need(session, data, actor=actor, today=today)
    changes = apply_changes(need, values, sensitive=NOTE_FIELDS)
    if changes:
        flush_versioned(session, need, version)
        record(session, AuditAction.NEED_UPDATED, actor=actor, subject=need,
               details={"changes": changes, "version": need.version})
    return need


def need_data(need: AssistanceNeed, **changes: Any) -> NeedData:
    """The need as it is, with some fields replaced (what an NGO's form sends)."""
    return NeedData(**{name: getattr(need, name) for name in NEED_FIELDS} | changes)


# --- people held at a port -------------------------------------------------------------------

def held_at_port(applicant: Applicant) -> bool:
    """Lodged at a port of entry and still waiting there: referral pending, or refused."""
    case = applicant.current_case
    return (case is not None and case.lodged_at == LodgedAt.PORT_OF_ENTRY
            and case.status in PORT_HELD_STATUSES)


def port_held_suggestions(session: Session, applicant: Applicant) -> list[str]:
    """What a person held at a port should have recorded and has not: the LP-DA code and
    open shelter and food needs (nothing when they are not held)."""
    if not held_at_port(applicant):
        return []
    missing = []
    if not session.execute(sa.select(SpecificNeed.id).where(
            SpecificNeed.applicant_id == applicant.id,
            SpecificNeed.code == PORT_HELD_CODE)).first():
        missing.append(PORT_HELD_CODE)
    open_categories = set(session.execute(sa.select(AssistanceNeed.category).where(
        AssistanceNeed.applicant_id == applicant.id,
        AssistanceNeed.status.in_(UNRESOLVED))).scalars())
    missing += [str(c) for c in PORT_HELD_CATEGORIES if c not in open_categories]
    return missing


def confirm_port_held(session: Session, applicant: Applicant, *, actor: User,
                      today: date) -> list[str]:
    """Record what port_held_suggestions offers, once the user confirmed it."""
    if not held_at_port(applicant):
        raise InvalidTransition(_("The person is no longer held at a port of entry."))
    missing = port_held_suggestions(session, applicant)
    note = _("Held at the port of entry.")
    for item in missing:
        if item == PORT_HELD_CODE:
            record_specific_need(session, applicant, code=item, identified_on=today, note=note,
                                 actor=actor, today=today)
        else:
            open_need(session, applicant, NeedData(
                category=item, priority=NeedPriority.URGENT, opened_on=today,
                due_on=today + timedelta(days=PORT_HELD_DUE_DAYS), note=note),
                actor=actor, today=today)
    return missing


# --- reads ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class PersonNeeds:
    """A person's needs as the user may see them (the person page's needs section)."""

    specific: list[SpecificNeed]
    assistance: list[AssistanceNeed]
    suggestions: list[str]


def person_needs(session: Session, applicant: Applicant, user: User) -> PersonNeeds:
    assistance = list(session.execute(
        sa.select(AssistanceNeed).where(AssistanceNeed.applicant_id == applicant.id)
        .order_by(AssistanceNeed.opened_on.desc(), AssistanceNeed.id.desc())).scalars())
    suggestions = (port_held_suggestions(session, applicant)
                   if can(user, Action.RECORD_NEEDS, applicant) else [])
    return PersonNeeds(visible_specific_needs(session, applicant, user), assistance,
                       suggestions)


@dataclass(frozen=True)
class NeedFilter:
    """The needs list's filters (the page's form and the API's query parameters);
    status "unresolved" means not yet met or closed."""

    category: str | None = None
    priority: str | None = None
    status: str | None = None
    organisation_id: int | None = None
    overdue: bool = False


def filter_needs(query: sa.Select[Any], criteria: NeedFilter, *, today: date
                 ) -> sa.Select[Any]:
    """Narrow a list of assistance needs (already in the user's scope) by the filters."""
    if criteria.category:
        query = query.where(AssistanceNeed.category == NeedCategory(criteria.category))
    if criteria.priority:
        query = query.where(AssistanceNeed.priority == NeedPriority(criteria.priority))
    if criteria.status == "unresolved":
        query = query.where(AssistanceNeed.status.in_(UNRESOLVED))
    elif criteria.status:
        query = query.where(AssistanceNeed.status == NeedStatus(criteria.status))
    if criteria.organisation_id:
        query = query.where(AssistanceNeed.referred_to_org_id == criteria.organisation_id)
    if criteria.overdue:
        query = query.where(AssistanceNeed.status.in_(UNRESOLVED), AssistanceNeed.due_on < today)
    return query


def record_view(session: Session, subject: Any, *, actor: User,
                action: AuditAction = AuditAction.NEED_VIEWED) -> None:
    """Needs pages name a person: their views count as views of the person's file."""
    record(session, action, actor=actor, subject=subject)


def record_search(session: Session, action: AuditAction, filters: dict[str, Any],
                  results: int, *, actor: User) -> None:
    record(session, action, actor=actor, details={"filters": filters, "results": results})


def suggestion_label(item: str) -> str:
    """How a port-held suggestion reads ("LP-DA …", "Shelter")."""
    if item == PORT_HELD_CODE:
        return f"{item} {codes.label(item)}"
    return NeedCategory(item).label
