"""Who may do what: the only place that looks at roles.

Views declare the action they perform with `@requires(Action.X)`; templates ask
`can(current_user, Action.X)` to decide what to show. Every other module is role-blind.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from functools import wraps
from typing import Any, NoReturn, TypeVar

from flask import abort
from flask_login import current_user

from casemgr.auth.models import Role

F = TypeVar("F", bound=Callable[..., Any])


class Action(enum.StrEnum):
    USE_ACCOUNT = "account.use"
    VIEW_DASHBOARD = "dashboard.view"
    VIEW_APPLICANTS = "applicants.view"
    VIEW_INTERNAL_STATISTICS = "statistics.internal"
    MANAGE_USERS = "users.manage"
    MANAGE_ORGANISATIONS = "organisations.manage"
    READ_AUDIT = "audit.read"


_EVERYONE = {Action.USE_ACCOUNT}
_AGENCY = _EVERYONE | {Action.VIEW_DASHBOARD, Action.VIEW_APPLICANTS}

ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.ADMIN: frozenset(Action),
    Role.SUPERVISOR: frozenset(_AGENCY | {Action.VIEW_INTERNAL_STATISTICS}),
    Role.CASEWORKER: frozenset(_AGENCY),
    Role.LEGAL_AID: frozenset(_EVERYONE | {Action.VIEW_APPLICANTS}),
    Role.ANALYST: frozenset(_EVERYONE | {Action.VIEW_INTERNAL_STATISTICS}),
    Role.AUDITOR: frozenset(_EVERYONE | {Action.READ_AUDIT}),
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
    """Whether `user` may perform `action` (on `obj`, when given)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return action in ROLE_ACTIONS[user.role]


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

    record(db.session, AuditAction.PERMISSION_DENIED, actor=current_user,
           object_type=getattr(obj, "__tablename__", None), object_id=getattr(obj, "id", None),
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
