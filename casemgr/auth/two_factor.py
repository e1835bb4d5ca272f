"""Two-factor login with a time-based one-time password (TOTP, RFC 6238).

A user enrols by scanning a QR code (rendered here with segno, no network) into an
authenticator app and typing one code back; that confirms the secret and yields ten
one-time recovery codes, shown once and kept only as SHA-256 hashes. At login the code is
asked for after the password; wrong codes count towards the same lockout as wrong
passwords. Whether a role must use it is the `TWO_FACTOR_ROLES` setting (admin and
supervisor by default).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable

import pyotp
import segno
import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from casemgr.audit.services import AuditAction, record
from casemgr.auth.models import RecoveryCode, Role, User
from casemgr.database import utcnow
from casemgr.exceptions import ValidationFailed

ISSUER = "casemgr"
RECOVERY_CODES = 10
# One step (30 s) either side: a phone clock a little off still works.
VALID_WINDOW = 1


def parse_roles(value: str | Iterable[str]) -> frozenset[Role]:
    """The `TWO_FACTOR_ROLES` setting: role names separated by commas (may be empty)."""
    names = value.split(",") if isinstance(value, str) else value
    return frozenset(Role(name.strip()) for name in names if name.strip())


def required_for(user: User, roles: frozenset[Role]) -> bool:
    return user.role in roles


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_qr(user: User, secret: str) -> str:
    """The otpauth:// address as a QR code, an SVG data URI for an <img> (CSP allows
    data: images; nothing is fetched)."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)
    return segno.make(uri, error="m").svg_data_uri(scale=5, dark="#000", light="#fff")


def _code(text: str | None) -> str:
    return "".join((text or "").split()).replace("-", "").upper()


def _hash(code: str) -> str:
    return hashlib.sha256(_code(code).encode()).hexdigest()


def _new_recovery_codes(session: Session, user: User) -> list[str]:
    session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [secrets.token_hex(5).upper() for _ in range(RECOVERY_CODES)]
    session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(code)) for code in codes)
    session.flush()
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def _matching_step(secret: str, code: str, last_step: int | None) -> int | None:
    """The time step the code belongs to (within the window), unless already used."""
    totp = pyotp.TOTP(secret)
    now = utcnow()
    current = totp.timecode(now)
    for offset in range(-VALID_WINDOW, VALID_WINDOW + 1):
        step = current + offset
        if (last_step is None or step > last_step) and secrets.compare_digest(
                totp.generate_otp(step), code):
            return step
    return None


def confirm_enrolment(session: Session, user: User, *, secret: str, code: str) -> list[str]:
    """Turn two-factor login on once the user has shown their app produces the codes;
    returns the recovery codes (to show once)."""
    step = _matching_step(secret, _code(code), None)
    if step is None:
        raise ValidationFailed.single("code", _("That code does not match. Check the time on "
                                                "your phone and type the newest code."))
    user.totp_secret = secret
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step
    codes = _new_recovery_codes(session, user)
    record(session, AuditAction.TWO_FACTOR_ENABLED, actor=user, subject=user)
    return codes


def regenerate_recovery_codes(session: Session, user: User) -> list[str]:
    codes = _new_recovery_codes(session, user)
    record(session, AuditAction.RECOVERY_CODES_RENEWED, actor=user, subject=user)
    return codes


def disable(session: Session, user: User, *, actor: User) -> None:
    """Turn two-factor login off (the user, or an admin for a user who lost everything)."""
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.flush()
    record(session, AuditAction.TWO_FACTOR_DISABLED, actor=actor, subject=user)


def verify(session: Session, user: User, code: str) -> str | None:
    """Check a login code: "totp" or "recovery" for what it was, None when it is wrong.
    Each code works once: the TOTP step is remembered (a single UPDATE that only moves
    forward, so two workers cannot both accept it) and a recovery code is marked used."""
    code = _code(code)
    if not user.totp_secret or not code:
        return None
    if code.isdigit() and len(code) == 6:
        step = _matching_step(user.totp_secret, code, user.totp_last_step)
        if step is None:
            return None
        accepted = session.execute(
            sa.update(User).where(User.id == user.id, sa.or_(
                User.totp_last_step.is_(None), User.totp_last_step < step))
            .values(totp_last_step=step)).rowcount
        return "totp" if accepted else None
    used = session.execute(
        sa.update(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                      RecoveryCode.code_hash == _hash(code),
                                      RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())).rowcount
    if not used:
        return None
    record(session, AuditAction.RECOVERY_CODE_USED, actor=user, subject=user)
    return "recovery"


def recovery_codes_left(session: Session, user: User) -> int:
    return session.execute(sa.select(sa.func.count()).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))).scalar_one()
