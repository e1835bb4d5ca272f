"""Hearings and interviews of a case, the per-case no-show count, and calendar feeds."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemgr.database import Base, TimestampMixin, VersionedMixin, str_enum, utcnow

if TYPE_CHECKING:
    from casemgr.applicants.models import Applicant
    from casemgr.auth.models import User
    from casemgr.cases.models import Case


class HearingKind(enum.StrEnum):
    REFERRAL_INTERVIEW = "referral_interview"
    RSD_INTERVIEW = "rsd_interview"
    OBJECTION_HEARING = "objection_hearing"
    COURT_HEARING = "court_hearing"

    @property
    def label(self) -> str:
        return str(KIND_LABELS[self])


KIND_LABELS = {
    HearingKind.REFERRAL_INTERVIEW: _l("Referral interview"),
    HearingKind.RSD_INTERVIEW: _l("Refugee status interview"),
    HearingKind.OBJECTION_HEARING: _l("Objection hearing"),
    HearingKind.COURT_HEARING: _l("Court hearing"),
}


class HearingStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    HELD = "held"
    POSTPONED = "postponed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


STATUS_LABELS = {
    HearingStatus.SCHEDULED: _l("Scheduled"),
    HearingStatus.HELD: _l("Held"),
    HearingStatus.POSTPONED: _l("Postponed"),
    HearingStatus.CANCELLED: _l("Cancelled"),
    HearingStatus.NO_SHOW: _l("Applicant did not appear"),
}

# What the outcome form offers: everything but going back to "scheduled" (a postponed or
# cancelled hearing is followed by a new one, so the history keeps both).
OUTCOMES = (HearingStatus.HELD, HearingStatus.POSTPONED, HearingStatus.CANCELLED,
            HearingStatus.NO_SHOW)


class Hearing(TimestampMixin, VersionedMixin, Base):
    """One hearing or interview of a case. Field names are INTERFACES §5's JSON keys.

    `ends_at` and the normalised `location_key` and `interpreter_key` are stored so that
    the double-booking check is an index range scan per resource: scheduled hearings of
    that interviewer (room, interpreter, applicant) ending inside a bounded window.
    """

    __tablename__ = "hearings"
    audit_type = "hearing"
    __table_args__ = (
        sa.Index("ix_hearings_interviewer_slot", "interviewer_id", "status", "ends_at"),
        sa.Index("ix_hearings_applicant_slot", "applicant_id", "status", "ends_at"),
        sa.Index("ix_hearings_location_slot", "location_key", "status", "ends_at"),
        sa.Index("ix_hearings_interpreter_slot", "interpreter_key", "status", "ends_at"),
        sa.Index("ix_hearings_status_starts", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    # The case's person, copied so conflict checks and scope need no join through cases.
    applicant_id: Mapped[int] = mapped_column(sa.ForeignKey("applicants.id"))
    kind: Mapped[HearingKind] = mapped_column(str_enum(HearingKind, "kind"))
    starts_at: Mapped[datetime] = mapped_column(index=True)
    duration_minutes: Mapped[int]
    ends_at: Mapped[datetime]
    location: Mapped[str] = mapped_column(sa.String(200))
    location_key: Mapped[str] = mapped_column(sa.String(200))
    interviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    interpreter_name: Mapped[str | None] = mapped_column(sa.String(200))
    interpreter_key: Mapped[str | None] = mapped_column(sa.String(200))
    # ISO 639-3
    interpreter_language: Mapped[str | None] = mapped_column(sa.String(3))
    representative_attending: Mapped[bool] = mapped_column(default=False)
    same_sex_interviewer_requested: Mapped[bool] = mapped_column(default=False)
    recording_consent: Mapped[bool] = mapped_column(default=False)
    status: Mapped[HearingStatus] = mapped_column(str_enum(HearingStatus, "status"),
                                                  default=HearingStatus.SCHEDULED)
    outcome_note: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    case: Mapped[Case] = relationship()
    applicant: Mapped[Applicant] = relationship()
    interviewer: Mapped[User | None] = relationship(foreign_keys=[interviewer_id])

    @property
    def audit_person_id(self) -> int:
        return self.applicant_id

    def __repr__(self) -> str:
        return f"<Hearing {self.id} {self.kind} {self.starts_at:%Y-%m-%d %H:%M} {self.status}>"


class CaseAttendance(Base):
    """How many hearings of a case the applicant missed (`no_show`).

    Kept up to date by the outcome service so the dashboard finds termination candidates
    (three no-shows on a first-instance case) with a range scan of this small index, not
    by counting hearings across a million cases.
    """

    __tablename__ = "case_attendance"
    __table_args__ = (sa.Index("ix_case_attendance_no_shows", "no_shows", "case_id"),)

    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), primary_key=True,
                                         autoincrement=False)
    no_shows: Mapped[int] = mapped_column(default=0)


class CalendarFeed(Base):
    """A user's secret iCalendar address. Only the SHA-256 of the token is stored: the
    address is shown once, when it is made, and cannot be read back from the database."""

    __tablename__ = "calendar_feeds"
    audit_type = "calendar_feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    last_fetched_at: Mapped[datetime | None]
    # Fetches are audited at most once per services.FETCH_AUDIT_INTERVAL, with the number
    # of fetches since the previous audit event: calendar clients poll every few minutes.
    audited_at: Mapped[datetime | None]
    unaudited_fetches: Mapped[int] = mapped_column(default=0)

    user: Mapped[User] = relationship()

    @property
    def active(self) -> bool:
        return self.revoked_at is None
