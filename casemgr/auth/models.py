"""Organisations, users and their roles."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemgr.applicants.models import Sex
from casemgr.database import Base, TimestampMixin, VersionedMixin, str_enum, utcnow


class OrganisationKind(enum.StrEnum):
    AGENCY = "agency"
    NGO = "ngo"

    @property
    def label(self) -> str:
        return str({self.AGENCY: _l("Agency"), self.NGO: _l("NGO")}[self])


class Role(enum.StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    CASEWORKER = "caseworker"
    LEGAL_AID = "legal_aid"
    ANALYST = "analyst"
    AUDITOR = "auditor"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])

    @property
    def organisation_kinds(self) -> frozenset[OrganisationKind]:
        """Which kind of organisation a user with this role may belong to."""
        return ROLE_ORGANISATION_KINDS[self]


ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.SUPERVISOR: _l("Supervisor"),
    Role.CASEWORKER: _l("Caseworker"),
    Role.LEGAL_AID: _l("Legal aid (NGO)"),
    Role.ANALYST: _l("Statistician"),
    Role.AUDITOR: _l("Auditor"),
}

_ANY_KIND = frozenset(OrganisationKind)
ROLE_ORGANISATION_KINDS = {
    Role.ADMIN: _ANY_KIND,
    Role.SUPERVISOR: frozenset({OrganisationKind.AGENCY}),
    Role.CASEWORKER: frozenset({OrganisationKind.AGENCY}),
    Role.LEGAL_AID: frozenset({OrganisationKind.NGO}),
    Role.ANALYST: _ANY_KIND,
    Role.AUDITOR: _ANY_KIND,
}


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class Organisation(TimestampMixin, VersionedMixin, Base):
    __tablename__ = "organisations"
    audit_type = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[OrganisationKind] = mapped_column(str_enum(OrganisationKind, "kind"))
    active: Mapped[bool] = mapped_column(default=True)

    users: Mapped[list[User]] = relationship(back_populates="organisation")

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name!r}>"


class User(TimestampMixin, VersionedMixin, Base):
    """A person who logs in. Never deleted once the audit log names them; deactivated instead."""

    __tablename__ = "users"
    audit_type = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(200), default="")
    # Recorded (optionally) so that an applicant's request for an interviewer of the same
    # sex can be checked when a hearing is scheduled.
    sex: Mapped[Sex | None] = mapped_column(str_enum(Sex, "sex"))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    # The Flask-Login id: rotating it ends every other session of this user.
    session_token: Mapped[str] = mapped_column(
        sa.String(64), unique=True, default=new_session_token
    )
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Two-factor login (TOTP, RFC 6238): the shared secret once enrolment is confirmed, and
    # the last time step accepted, so a code cannot be used twice.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_enabled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    # The interface language the user chose (en, ko, ru); None follows the browser.
    language: Mapped[str | None] = mapped_column(sa.String(8))

    organisation: Mapped[Organisation] = relationship(back_populates="users", lazy="joined")

    @property
    def two_factor_enabled(self) -> bool:
        return self.totp_enabled_at is not None

    # Flask-Login protocol
    is_anonymous = False

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active and self.organisation.active

    def get_id(self) -> str:
        return self.session_token

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username!r} {self.role}>"


class RecoveryCode(Base):
    """A one-time code that replaces the authenticator app once (a lost phone). Shown to
    the user once; only its SHA-256 is kept (the codes are random, so no slow hash is
    needed)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    used_at: Mapped[datetime | None]
