"""Cases (one asylum application of one person), their status events and notes."""

from __future__ import annotations

import enum
from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING

import sqlalchemy as sa
from babel import Locale
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemgr.database import Base, TimestampMixin, VersionedMixin, str_enum, utcnow

if TYPE_CHECKING:
    from casemgr.applicants.models import Applicant
    from casemgr.auth.models import Organisation, User


class LodgedAt(enum.StrEnum):
    PORT_OF_ENTRY = "port_of_entry"
    IN_COUNTRY = "in_country"

    @property
    def label(self) -> str:
        return str({LodgedAt.PORT_OF_ENTRY: _l("At a port of entry"),
                    LodgedAt.IN_COUNTRY: _l("In the country")}[self])


class ApplicationType(enum.StrEnum):
    FIRST_TIME = "first_time"
    SUBSEQUENT = "subsequent"

    @property
    def label(self) -> str:
        return str({ApplicationType.FIRST_TIME: _l("First-time"),
                    ApplicationType.SUBSEQUENT: _l("Subsequent")}[self])


class CaseStatus(enum.StrEnum):
    REFERRAL_PENDING = "referral_pending"
    NOT_REFERRED = "not_referred"
    REFERRAL_LITIGATION = "referral_litigation"
    FIRST_INSTANCE = "first_instance"
    RECOGNIZED = "recognized"
    HUMANITARIAN = "humanitarian"
    REJECTED = "rejected"
    OBJECTION = "objection"
    LITIGATION = "litigation"
    WITHDRAWN = "withdrawn"
    TERMINATED = "terminated"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return _status_labels(get_locale())[self]


STATUS_LABELS = {
    CaseStatus.REFERRAL_PENDING: _l("Referral pending"),
    CaseStatus.NOT_REFERRED: _l("Not referred"),
    CaseStatus.REFERRAL_LITIGATION: _l("Suit against non-referral"),
    CaseStatus.FIRST_INSTANCE: _l("First instance"),
    CaseStatus.RECOGNIZED: _l("Recognized (F-2-4)"),
    CaseStatus.HUMANITARIAN: _l("Humanitarian stay (G-1-6)"),
    CaseStatus.REJECTED: _l("Rejected"),
    CaseStatus.OBJECTION: _l("Objection"),
    CaseStatus.LITIGATION: _l("Litigation"),
    CaseStatus.WITHDRAWN: _l("Withdrawn"),
    CaseStatus.TERMINATED: _l("Terminated"),
    CaseStatus.CLOSED: _l("Closed"),
}


@cache
def _status_labels(_locale: Locale | None) -> dict[CaseStatus, str]:
    """STATUS_LABELS in one language, translated once: a lazy string is translated again
    each time it is read (~30 µs), and every row of the applicant list shows a status."""
    return {status: str(label) for status, label in STATUS_LABELS.items()}


class ReferralDecision(enum.StrEnum):
    REFERRED = "referred"
    NOT_REFERRED = "not_referred"
    LAPSED = "lapsed"


class Decision(enum.StrEnum):
    RECOGNIZED = "recognized"
    HUMANITARIAN = "humanitarian"
    REJECTED = "rejected"


class ObjectionDecision(enum.StrEnum):
    ACCEPTED = "accepted"
    DISMISSED = "dismissed"
    DISMISSED_HUMANITARIAN = "dismissed_humanitarian"
    INADMISSIBLE = "inadmissible"
    WITHDRAWN = "withdrawn"


class NoteVisibility(enum.StrEnum):
    INTERNAL = "internal"
    SHARED = "shared"

    @property
    def label(self) -> str:
        return str({NoteVisibility.INTERNAL: _l("Internal (agency only)"),
                    NoteVisibility.SHARED: _l("Shared with the representing NGO")}[self])


class Case(TimestampMixin, VersionedMixin, Base):
    """One asylum application. Decision columns mirror the latest events, so lists,
    exports and clocks need no walk through the history."""

    __tablename__ = "cases"
    audit_type = "case"
    __table_args__ = (
        sa.Index("ix_cases_current_status", "is_current", "status"),
        sa.Index("ix_cases_next_due", "next_due_kind", "next_due_on"),
        sa.Index("ix_cases_later_due", "later_due_kind", "later_due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    applicant_id: Mapped[int] = mapped_column(sa.ForeignKey("applicants.id"), index=True)
    # The person's latest application: the one lists and the dashboard show.
    is_current: Mapped[bool] = mapped_column(default=True)
    lodged_on: Mapped[date] = mapped_column(index=True)
    lodged_at: Mapped[LodgedAt] = mapped_column(str_enum(LodgedAt, "lodged_at"))
    application_type: Mapped[ApplicationType] = mapped_column(
        str_enum(ApplicationType, "application_type"))
    port_of_entry: Mapped[str | None] = mapped_column(sa.String(5))
    status: Mapped[CaseStatus] = mapped_column(str_enum(CaseStatus, "status"))
    status_since: Mapped[date]
    assigned_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    representing_org_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id"), index=True)

    referral_decision: Mapped[ReferralDecision | None] = mapped_column(
        str_enum(ReferralDecision, "referral_decision"))
    referral_decided_on: Mapped[date | None]
    referral_notice_on: Mapped[date | None]
    decision: Mapped[Decision | None] = mapped_column(str_enum(Decision, "decision"))
    decision_on: Mapped[date | None]
    decision_notice_on: Mapped[date | None]
    # The first-instance decision is due six months from this date: the lodging, or the
    # day a court sent the case back for a new decision.
    decision_clock_from: Mapped[date | None]
    decision_extended_to: Mapped[date | None]
    decision_extension_reason: Mapped[str | None] = mapped_column(sa.Text)
    objection_lodged_on: Mapped[date | None]
    objection_decision: Mapped[ObjectionDecision | None] = mapped_column(
        str_enum(ObjectionDecision, "objection_decision"))
    objection_decided_on: Mapped[date | None]
    objection_notice_on: Mapped[date | None]
    objection_extended_to: Mapped[date | None]
    objection_extension_reason: Mapped[str | None] = mapped_column(sa.Text)
    judgment_served_on: Mapped[date | None]
    closed_reason: Mapped[str | None] = mapped_column(sa.Text)
    # The running deadlines (at most two at once), earliest first, kept by the lifecycle
    # service so the dashboard and the "overdue" filter are index range scans.
    next_due_on: Mapped[date | None]
    next_due_kind: Mapped[str | None] = mapped_column(sa.String(32))
    later_due_on: Mapped[date | None]
    later_due_kind: Mapped[str | None] = mapped_column(sa.String(32))

    applicant: Mapped[Applicant] = relationship(back_populates="cases")
    assigned_to: Mapped[User | None] = relationship(foreign_keys=[assigned_to_id])
    representing_org: Mapped[Organisation | None] = relationship(
        foreign_keys=[representing_org_id])
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", order_by="(CaseEvent.effective_date, CaseEvent.id)",
        cascade="all, delete-orphan")
    notes: Mapped[list[CaseNote]] = relationship(
        back_populates="case", order_by="CaseNote.id.desc()", cascade="all, delete-orphan")

    @property
    def audit_person_id(self) -> int:
        return self.applicant_id

    def __repr__(self) -> str:
        return f"<Case {self.id} {self.status}>"


class CaseEvent(Base):
    """One step of the status history. Never edited: a correction is a new event."""

    __tablename__ = "case_events"
    __table_args__ = (
        sa.Index("ix_case_events_case_date", "case_id", "effective_date"),
        sa.Index("ix_case_events_to_date", "to_status", "effective_date"),
        sa.Index("ix_case_events_from_date", "from_status", "effective_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    from_status: Mapped[CaseStatus | None] = mapped_column(str_enum(CaseStatus, "from_status"))
    to_status: Mapped[CaseStatus] = mapped_column(str_enum(CaseStatus, "to_status"))
    # referred / lapsed / not_referred, recognized / humanitarian / rejected, or the
    # objection outcome: what the statistics count.
    outcome: Mapped[str | None] = mapped_column(sa.String(32))
    effective_date: Mapped[date]
    notice_served_on: Mapped[date | None]
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    corrects_event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("case_events.id"))

    case: Mapped[Case] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class CaseNote(Base):
    """A note on a case: internal to the agency, or shared with the representing NGO."""

    __tablename__ = "case_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"),
                                         index=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    visibility: Mapped[NoteVisibility] = mapped_column(str_enum(NoteVisibility, "visibility"))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship(back_populates="notes")
    author: Mapped[User | None] = relationship()
