"""Rules for organisations, users and login. Services flush; the caller commits."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from casemgr.applicants.models import Sex
from casemgr.audit.services import AuditAction, record
from casemgr.auth import two_factor
from casemgr.auth.models import Organisation, OrganisationKind, Role, User, new_session_token
from casemgr.auth.passwords import hash_password, password_problems, verify_password
from casemgr.auth.policy import Action, roles_allowed
from casemgr.database import utcnow
from casemgr.exceptions import LoginFailed, ValidationFailed
from casemgr.records import apply_changes, ensure_current, flush_versioned

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


def normalise_username(username: str) -> str:
    return username.strip().lower()


# --- organisations -------------------------------------------------------------------------

def find_organisation(session: Session, name: str) -> Organisation | None:
    return session.execute(
        sa.select(Organisation).where(sa.func.lower(Organisation.name) == name.strip().lower())
    ).scalar_one_or_none()


def _check_organisation_name(session: Session, name: str, exclude_id: int | None = None) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationFailed.single("name", _("Enter a name."))
    existing = find_organisation(session, name)
    if existing is not None and existing.id != exclude_id:
        raise ValidationFailed.single("name", _("An organisation with this name already exists."))
    return name


def create_organisation(
    session: Session, *, name: str, kind: OrganisationKind | str, actor: User | None
) -> Organisation:
    organisation = Organisation(
        name=_check_organisation_name(session, name), kind=OrganisationKind(kind)
    )
    session.add(organisation)
    session.flush()
    record(session, AuditAction.ORGANISATION_CREATED, actor=actor,
           subject=organisation,
           details={"name": organisation.name, "kind": organisation.kind, "version": 1})
    return organisation


def update_organisation(
    session: Session,
    organisation: Organisation,
    *,
    version: int,
    name: str,
    kind: OrganisationKind | str,
    actor: User,
) -> Organisation:
    ensure_current(session, organisation, version)
    kind = OrganisationKind(kind)
    if kind != organisation.kind:
        mismatched = [user.username for user in organisation.users
                      if kind not in user.role.organisation_kinds]
        if mismatched:
            raise ValidationFailed.single("kind", _(
                "These users' roles need the current kind: %(users)s.",
                users=", ".join(sorted(mismatched))))
    changes = apply_changes(organisation, {
        "name": _check_organisation_name(session, name, exclude_id=organisation.id),
        "kind": kind,
    })
    if changes:
        flush_versioned(session, organisation, version)
        record(session, AuditAction.ORGANISATION_UPDATED, actor=actor,
               subject=organisation,
               details={"changes": changes, "version": organisation.version})
    return organisation


def set_organisation_active(
    session: Session, organisation: Organisation, *, active: bool, actor: User
) -> None:
    """Deactivating an organisation ends its users' sessions (they no longer load)."""
    if organisation.active == active:
        return
    if not active and organisation.id == actor.organisation_id:
        raise ValidationFailed.single("active", _("You cannot deactivate your own organisation."))
    organisation.active = active
    session.flush()
    action = (AuditAction.ORGANISATION_REACTIVATED if active
              else AuditAction.ORGANISATION_DEACTIVATED)
    record(session, action, actor=actor, subject=organisation,
           details={"version": organisation.version})


# --- users ---------------------------------------------------------------------------------

def _check_role_fits(role: Role, organisation: Organisation) -> None:
    if organisation.kind not in role.organisation_kinds:
        raise ValidationFailed.single("organisation_id", _(
            "A %(role)s must belong to an organisation of kind %(kinds)s.",
            role=role.label,
            kinds=" / ".join(k.label for k in sorted(role.organisation_kinds))))


def check_password(password: str, username: str, field: str = "password") -> None:
    problems = password_problems(password, username)
    if problems:
        raise ValidationFailed({field: problems})


def generate_password() -> str:
    """A random password that passes the rules, for accounts created from the CLI."""
    return "-".join(secrets.token_urlsafe(6) for _ in range(3))


def assignable_staff(session: Session, organisation_id: int) -> list[tuple[int, str]]:
    """The active users of an organisation who may be assigned cases, as (id, name) by
    name: the choices of a case's assignment and of the list's caseworker filter."""
    staff = session.execute(
        sa.select(User.id, User.full_name, User.username).join(User.organisation)
        .where(User.organisation_id == organisation_id, User.active, Organisation.active,
               User.role.in_(roles_allowed(Action.TRANSITION_CASE)))
        .order_by(User.full_name, User.username))
    return [(user_id, full_name or username) for user_id, full_name, username in staff]


def create_user(
    session: Session,
    *,
    username: str,
    role: Role | str,
    organisation: Organisation,
    password: str,
    full_name: str = "",
    sex: Sex | str | None = None,
    actor: User | None,
) -> User:
    username = normalise_username(username)
    if not USERNAME_PATTERN.match(username):
        raise ValidationFailed.single("username", _(
            "Use 2–64 lower-case letters, digits, dots, hyphens or underscores."))
    if session.execute(sa.select(User.id).where(User.username == username)).first():
        raise ValidationFailed.single("username", _("This username is taken."))
    role = Role(role)
    _check_role_fits(role, organisation)
    check_password(password, username)
    user = User(username=username, full_name=full_name.strip(), role=role,
                sex=Sex(sex) if sex else None, organisation=organisation,
                password_hash=hash_password(password))
    session.add(user)
    session.flush()
    record(session, AuditAction.USER_CREATED, actor=actor, subject=user,
           details={"username": username, "role": role, "organisation_id": organisation.id,
                    "version": 1})
    return user


def update_user(
    session: Session,
    user: User,
    *,
    version: int,
    full_name: str,
    role: Role | str,
    organisation: Organisation,
    actor: User,
    sex: Sex | str | None = None,
) -> User:
    """Change a user's name, recorded sex, role or organisation; a new role or
    organisation ends the user's sessions, so the new rights apply at once."""
    ensure_current(session, user, version)
    role = Role(role)
    _check_role_fits(role, organisation)
    if user.id == actor.id and role != user.role:
        raise ValidationFailed.single("role", _("You cannot change your own role."))
    changes = apply_changes(user, {
        "full_name": full_name.strip(), "sex": Sex(sex) if sex else None, "role": role,
        "organisation": organisation,
    })
    if "role" in changes or "organisation" in changes:
        user.session_token = new_session_token()
    if changes:
        flush_versioned(session, user, version)
        record(session, AuditAction.USER_UPDATED, actor=actor, subject=user,
               details={"changes": changes, "version": user.version})
    return user


def set_user_active(session: Session, user: User, *, active: bool, actor: User) -> None:
    if user.active == active:
        return
    if not active and user.id == actor.id:
        raise ValidationFailed.single("active", _("You cannot deactivate your own account."))
    user.active = active
    user.session_token = new_session_token()
    if active:
        user.failed_logins = 0
        user.locked_until = None
    session.flush()
    action = AuditAction.USER_REACTIVATED if active else AuditAction.USER_DEACTIVATED
    record(session, action, actor=actor, subject=user,
           details={"version": user.version})


def change_password(
    session: Session,
    user: User,
    *,
    new_password: str,
    actor: User,
    current_password: str | None = None,
) -> None:
    """Set a new password and rotate the session token, which logs out every other
    session. Users changing their own password must give the current one."""
    if current_password is not None and not verify_password(user.password_hash, current_password):
        raise ValidationFailed.single("current_password", _("The current password is wrong."))
    check_password(new_password, user.username, field="new_password")
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    user.session_token = new_session_token()
    session.flush()
    record(session, AuditAction.PASSWORD_CHANGED, actor=actor, subject=user,
           details={"by_admin": actor.id != user.id})


def set_language(session: Session, user: User, language: str | None, *,
                 supported: tuple[str, ...]) -> None:
    """The user's interface language; None (or "") follows the browser's Accept-Language.
    A preference, not a security or personal-data event: it is not audited."""
    language = language or None
    if language is not None and language not in supported:
        raise ValidationFailed.single("language", _("Choose one of the languages offered."))
    if user.language != language:
        user.language = language
        session.flush()


# --- login ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Lockout:
    threshold: int = 10
    minutes: int = 15


def authenticate(
    session: Session,
    username: str,
    password: str,
    *,
    lockout: Lockout,
    now: datetime | None = None,
) -> User:
    """Return the user whose credentials these are, or raise LoginFailed; the login is
    complete (see complete_login) unless the user has two-factor login on, in which case
    the caller asks for the code next (check_second_factor).

    Every failure is audited with its real reason, but the caller learns only that it
    failed. Counters are updated with single UPDATE statements, so attempts made through
    several workers at once are all counted.
    """
    now = now or utcnow()
    name = normalise_username(username)[:64]
    user = session.execute(sa.select(User).where(User.username == name)).scalar_one_or_none()
    if user is None:
        verify_password(None, password)
        _failed(session, None, name, "unknown_user")
    elif user.is_locked(now):
        _failed(session, user, name, "locked")
    elif not verify_password(user.password_hash, password):
        _count_failure(session, user, lockout, now)
        _failed(session, user, name, "wrong_password")
    elif not user.is_active:
        _failed(session, user, name, "inactive")
    if not user.two_factor_enabled:
        complete_login(session, user, now)
    return user


def check_second_factor(session: Session, user: User, code: str, *, lockout: Lockout,
                        now: datetime | None = None) -> None:
    """The code step of a login: wrong codes count towards the same lockout as wrong
    passwords; a right one completes the login."""
    now = now or utcnow()
    if user.is_locked(now):
        _failed(session, user, user.username, "locked")
    if not user.is_active:
        _failed(session, user, user.username, "inactive")
    if two_factor.verify(session, user, code) is None:
        _count_failure(session, user, lockout, now)
        _failed(session, user, user.username, "wrong_code")
    complete_login(session, user, now)


def complete_login(session: Session, user: User, now: datetime) -> None:
    session.execute(
        sa.update(User).where(User.id == user.id)
        .values(failed_logins=0, locked_until=None, last_login_at=now)
    )
    record(session, AuditAction.LOGIN, actor=user, subject=user,
           details={"two_factor": user.two_factor_enabled})


def _count_failure(session: Session, user: User, lockout: Lockout, now: datetime) -> None:
    failures = session.execute(
        sa.update(User).where(User.id == user.id)
        .values(failed_logins=User.failed_logins + 1)
        .returning(User.failed_logins)
    ).scalar_one()
    if failures >= lockout.threshold:
        session.execute(
            sa.update(User).where(User.id == user.id)
            .values(failed_logins=0, locked_until=now + timedelta(minutes=lockout.minutes))
        )
        record(session, AuditAction.LOCKOUT, actor=user, subject=user,
               details={"minutes": lockout.minutes})


def _failed(session: Session, user: User | None, name: str, reason: str) -> NoReturn:
    record(session, AuditAction.LOGIN_FAILED, actor=user, subject=user,
           details={"username": name, "reason": reason})
    raise LoginFailed


def record_logout(session: Session, user: User) -> None:
    record(session, AuditAction.LOGOUT, actor=user, subject=user)


def end_all_sessions(session: Session, user: User, *, actor: User) -> None:
    """Log the user out on every browser at once (a lost laptop, a shared computer): the
    session token every browser holds is replaced."""
    user.session_token = new_session_token()
    session.flush()
    record(session, AuditAction.LOGOUT_EVERYWHERE, actor=actor, subject=user)


def record_session_expired(session: Session, user: User, *, reason: str) -> None:
    record(session, AuditAction.SESSION_EXPIRED, actor=user, subject=user,
           details={"reason": reason})
