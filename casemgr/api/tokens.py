"""Making, listing, revoking and checking API tokens. Services flush and audit; callers
commit. A token is `secrets.token_urlsafe(32)`; only its SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session, joinedload

from casemgr.api.models import ApiToken
from casemgr.audit.services import AuditAction, record
from casemgr.auth.models import User
from casemgr.database import utcnow
from casemgr.exceptions import ValidationFailed

MAX_EXPIRY_DAYS = 3650
MAX_NAME = 100
# last_used_at is written at most this often per token: a busy client must not turn every
# read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class NewToken:
    """A token just made: `secret` is shown once and never stored."""

    token: ApiToken
    secret: str


def create_token(session: Session, user: User, *, actor: User | None, name: str = "",
                 expires_days: int | None = None, now: datetime | None = None) -> NewToken:
    """A new bearer token for `user` (acting with the user's role and scope)."""
    now = now or utcnow()
    name = " ".join((name or "").split())
    errors: dict[str, list[str]] = {}
    if len(name) > MAX_NAME:
        errors["name"] = [_("At most %(n)d characters.", n=MAX_NAME)]
    if expires_days is not None and not 1 <= expires_days <= MAX_EXPIRY_DAYS:
        errors["expires_days"] = [_("Between 1 and %(n)d days, or none.", n=MAX_EXPIRY_DAYS)]
    if not user.active:
        errors["user"] = [_("The user is deactivated.")]
    if errors:
        raise ValidationFailed(errors)
    secret = secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=token_hash(secret),
                     prefix=secret[:8], created_at=now,
                     expires_at=now + timedelta(days=expires_days) if expires_days else None)
    session.add(token)
    session.flush()
    record(session, AuditAction.API_TOKEN_CREATED, actor=actor, subject=token,
           details={"user_id": user.id, "name": name, "prefix": token.prefix,
                    "expires_at": token.expires_at})
    return NewToken(token, secret)


def user_tokens(session: Session, user: User) -> list[ApiToken]:
    """The user's tokens, newest first (revoked ones too: they say when they ended)."""
    return list(session.execute(sa.select(ApiToken).where(ApiToken.user_id == user.id)
                                .order_by(ApiToken.id.desc())).scalars())


def revoke_token(session: Session, token: ApiToken, *, actor: User | None,
                 now: datetime | None = None) -> bool:
    """Stop a token working at once; False when it was already revoked."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = now or utcnow()
    session.flush()
    record(session, AuditAction.API_TOKEN_REVOKED, actor=actor, subject=token,
           details={"user_id": token.user_id, "prefix": token.prefix})
    return True


def authenticate(session: Session, secret: str, *, now: datetime | None = None
                 ) -> User | None:
    """The active user a bearer token belongs to, or None when it is unknown, revoked or
    expired, or its user or organisation is deactivated."""
    now = now or utcnow()
    token = session.execute(
        sa.select(ApiToken).where(ApiToken.token_hash == token_hash(secret))
        .options(joinedload(ApiToken.user))
    ).scalar_one_or_none()
    if token is None or not token.usable(now) or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now
        session.flush()
    return token.user
