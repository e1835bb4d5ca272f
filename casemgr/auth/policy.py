"""Who may do what: the only place that looks at roles.

Views declare the action they perform with `@requires(Action.X)`; templates ask
`can(current_user, Action.X)` to decide what to show. Every other module is role-blind.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from functools import wraps
from typing import Any, NoReturn, TypeVar

import sqlalchemy as sa
from flask import abort
from flask_login import current_user
from sqlalchemy.orm import aliased

from casemgr.auth.models import Role

F = TypeVar("F", bound=Callable[..., Any])


class Action(enum.StrEnum):
    USE_ACCOUNT = "account.use"
    VIEW_DASHBOARD = "dashboard.view"
    VIEW_INTERNAL_STATISTICS = "statistics.internal"
    MANAGE_USERS = "users.manage"
    MANAGE_ORGANISATIONS = "organisations.manage"
    READ_AUDIT = "audit.read"
    # people and their cases (always within the user's scope)
    VIEW_APPLICANTS = "applicants.view"
    REGISTER_APPLICANT = "applicants.register"
    EDIT_APPLICANT = "applicants.edit"
    MANAGE_SHARING = "applicants.share"
    VIEW_ACCESS_LOG = "applicants.access_log"
    LODGE_CASE = "cases.lodge"
    TRANSITION_CASE = "cases.transition"
    RECORD_DECISION = "cases.decide"
    EXTEND_DEADLINE = "cases.extend"
    ASSIGN_CASE = "cases.assign"
    READ_INTERNAL_NOTES = "cases.internal_notes.read"
    ADD_INTERNAL_NOTE = "cases.internal_notes.add"
    ADD_SHARED_NOTE = "cases.shared_notes.add"
    # hearings (of people in scope) and the user's own calendar feed
    VIEW_HEARINGS = "hearings.view"
    SCHEDULE_HEARING = "hearings.schedule"
    RECORD_HEARING_OUTCOME = "hearings.outcome"
    SUBSCRIBE_CALENDAR = "hearings.calendar"
    # needs: specific needs on the person and assistance needs (see may_update_need)
    VIEW_NEEDS = "needs.view"
    RECORD_NEEDS = "needs.record"
    MANAGE_NEEDS = "needs.manage"
    UPDATE_REFERRED_NEED = "needs.update_referred"
    # bulk records (INTERFACES §3): import registers people, export goes through the scope
    IMPORT_RECORDS = "records.import"
    EXPORT_RECORDS = "records.export"


_EVERYONE = {Action.USE_ACCOUNT}
_CASEWORK = _EVERYONE | {
    Action.VIEW_DASHBOARD, Action.VIEW_APPLICANTS, Action.REGISTER_APPLICANT,
    Action.EDIT_APPLICANT, Action.MANAGE_SHARING, Action.LODGE_CASE, Action.TRANSITION_CASE,
    Action.READ_INTERNAL_NOTES, Action.ADD_INTERNAL_NOTE, Action.ADD_SHARED_NOTE,
    Action.VIEW_HEARINGS, Action.SCHEDULE_HEARING, Action.RECORD_HEARING_OUTCOME,
    Action.SUBSCRIBE_CALENDAR, Action.VIEW_NEEDS, Action.RECORD_NEEDS, Action.MANAGE_NEEDS,
    Action.UPDATE_REFERRED_NEED, Action.IMPORT_RECORDS, Action.EXPORT_RECORDS,
}

ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.ADMIN: frozenset(Action),
    Role.SUPERVISOR: frozenset(_CASEWORK | {
        Action.RECORD_DECISION, Action.EXTEND_DEADLINE, Action.ASSIGN_CASE,
        Action.VIEW_ACCESS_LOG, Action.VIEW_INTERNAL_STATISTICS}),
    Role.CASEWORKER: frozenset(_CASEWORK),
    Role.LEGAL_AID: frozenset(_EVERYONE | {
        Action.VIEW_APPLICANTS, Action.ADD_SHARED_NOTE, Action.VIEW_HEARINGS,
        Action.SUBSCRIBE_CALENDAR, Action.VIEW_NEEDS, Action.RECORD_NEEDS,
        Action.UPDATE_REFERRED_NEED, Action.EXPORT_RECORDS}),
    Role.ANALYST: frozenset(_EVERYONE | {Action.VIEW_INTERNAL_STATISTICS}),
    Role.AUDITOR: frozenset(_EVERYONE | {Action.READ_AUDIT}),
}


class Scope(enum.Enum):
    """Which people a role may see at all (records outside it answer 404)."""

    EVERYONE = "everyone"
    OWN_AGENCY = "own_agency"
    SHARED_WITH_ORGANISATION = "shared"
    NOBODY = "nobody"


ROLE_SCOPES: dict[Role, Scope] = {
    Role.ADMIN: Scope.EVERYONE,
    Role.SUPERVISOR: Scope.OWN_AGENCY,
    Role.CASEWORKER: Scope.OWN_AGENCY,
    Role.LEGAL_AID: Scope.SHARED_WITH_ORGANISATION,
    Role.ANALYST: Scope.NOBODY,
    Role.AUDITOR: Scope.NOBODY,
}

HOME_ENDPOINTS: dict[Role, str] = {
    Role.ADMIN: "admin.users",
    Role.SUPERVISOR: "dashboard.index",
    Role.CASEWORKER: "dashboard.index",
    Role.LEGAL_AID: "applicants.index",
    Role.ANALYST: "statistics.index",
    Role.AUDITOR: "audit.index",
}


def can(user: Any, action: Action, obj: Any = None) -> bool:
    """Whether `user` may perform `action` (on `obj`, when given: it must be in scope)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if action not in ROLE_ACTIONS[user.role]:
        return False
    return obj is None or in_scope(user, obj)


def roles_allowed(action: Action) -> list[Role]:
    """The roles that may perform `action`: for a query of the users who may."""
    return [role for role, actions in ROLE_ACTIONS.items() if action in actions]


def applicant_scope(user: Any) -> sa.ColumnElement[bool]:
    """The WHERE clause every list, search, count and export of people goes through."""
    from casemgr.applicants.models import Applicant, SharingRecord

    scope = ROLE_SCOPES[user.role] if user.is_authenticated else Scope.NOBODY
    if scope is Scope.EVERYONE:
        return sa.true()
    if scope is Scope.OWN_AGENCY:
        return Applicant.agency_id == user.organisation_id
    if scope is Scope.SHARED_WITH_ORGANISATION:
        return sa.exists().where(
            SharingRecord.applicant_id == Applicant.id,
            SharingRecord.organisation_id == user.organisation_id,
            SharingRecord.revoked_on.is_(None),
        )
    return sa.false()


def in_scope(user: Any, obj: Any) -> bool:
    """Whether a loaded record (an applicant, or anything belonging to one) is visible.

    An NGO also sees the assistance needs referred to it, whether or not the person
    shared their whole file with it (see need_scope).
    """
    applicant = getattr(obj, "applicant", obj)
    scope = ROLE_SCOPES[user.role]
    if scope is Scope.EVERYONE:
        return True
    if scope is Scope.OWN_AGENCY:
        return applicant.agency_id == user.organisation_id
    if scope is Scope.SHARED_WITH_ORGANISATION:
        if getattr(obj, "referred_to_org_id", None) == user.organisation_id:
            return True
        return any(record.active and record.organisation_id == user.organisation_id
                   for record in applicant.sharing)
    return False


def sensitive_needs_visible(user: Any, applicant_id: Any) -> sa.ColumnElement[bool]:
    """Whether `user` may see the sensitive specific needs (SV, TR, SM-MI) of the person
    `applicant_id` (a column or a value): agency roles in scope, and the NGO representing
    the person's current case. Lists, pages and exports of specific needs all filter with
    this one rule (see needs.services.specific_needs_query)."""
    from casemgr.applicants.models import Applicant, SharingRecord
    from casemgr.cases.models import Case

    # Aliases, so the subqueries never correlate with the same tables in the outer query.
    person, case, sharing = aliased(Applicant), aliased(Case), aliased(SharingRecord)
    scope = ROLE_SCOPES[user.role] if user.is_authenticated else Scope.NOBODY
    if scope is Scope.EVERYONE:
        return sa.true()
    if scope is Scope.OWN_AGENCY:
        return sa.exists().where(person.id == applicant_id,
                                 person.agency_id == user.organisation_id)
    if scope is Scope.SHARED_WITH_ORGANISATION:
        return sa.and_(
            sa.exists().where(case.applicant_id == applicant_id, case.is_current,
                              case.representing_org_id == user.organisation_id),
            sa.exists().where(sharing.applicant_id == applicant_id,
                              sharing.organisation_id == user.organisation_id,
                              sharing.revoked_on.is_(None)))
    return sa.false()


def need_scope(user: Any) -> sa.ColumnElement[bool]:
    """The WHERE clause of every list of assistance needs (the query joins the applicant):
    needs of people in the user's scope, and for an NGO also the needs referred to it."""
    from casemgr.needs.models import AssistanceNeed

    people = applicant_scope(user)
    if user.is_authenticated and ROLE_SCOPES[user.role] is Scope.SHARED_WITH_ORGANISATION:
        return sa.or_(AssistanceNeed.referred_to_org_id == user.organisation_id, people)
    return people


def may_update_need(user: Any, need: Any) -> bool:
    """Agency staff update any need in scope; an NGO only those referred to it."""
    if can(user, Action.MANAGE_NEEDS, need):
        return True
    return (can(user, Action.UPDATE_REFERRED_NEED, need)
            and need.referred_to_org_id == user.organisation_id)


def sees_internal_notes(user: Any) -> bool:
    return can(user, Action.READ_INTERNAL_NOTES)


def require_in_scope(obj: Any) -> None:
    """404 for a record outside the current user's scope: its existence is not disclosed."""
    if not in_scope(current_user, obj):
        abort(404)


def require(action: Action, obj: Any) -> None:
    """For a record already known to be in scope: 403 (audited) unless permitted."""
    if not can(current_user, action, obj):
        deny(action, obj)


def home_endpoint(user: Any) -> str:
    """Where a user lands after login: the page their role works from."""
    return HOME_ENDPOINTS[user.role]


def public(view: F) -> F:
    """Mark a view as reachable without login (everything else requires it)."""
    view.casemgr_public = True  # type: ignore[attr-defined]
    return view


def is_public(endpoint: str, view: Callable[..., Any]) -> bool:
    """Static files (ours and Bootstrap's) and views marked @public need no login."""
    if endpoint == "static" or endpoint.endswith(".static"):
        return True
    return bool(getattr(view, "casemgr_public", False))


def deny(action: Action | str, obj: Any = None) -> NoReturn:
    """Refuse with 403, recording the refusal in the audit trail first."""
    from casemgr.audit.services import AuditAction, record
    from casemgr.extensions import db

    record(db.session, AuditAction.PERMISSION_DENIED, actor=current_user, subject=obj,
           details={"action": str(action)})
    db.session.commit()
    abort(403)


def requires(action: Action) -> Callable[[F], F]:
    """Let the view run only for users who may perform `action`."""

    def decorator(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not can(current_user, action):
                deny(action)
            return view(*args, **kwargs)

        guarded.casemgr_action = action  # type: ignore[attr-defined]
        return guarded  # type: ignore[return-value]

    return decorator
