"""Specific needs recorded on a person, and assistance needs tracked as requests."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemgr.database import Base, TimestampMixin, VersionedMixin, str_enum, utcnow
from casemgr.needs import codes

if TYPE_CHECKING:
    from casemgr.applicants.models import Applicant
    from casemgr.auth.models import Organisation, User


class SpecificNeed(Base):
    """One UNHCR specific-needs code of an applicant, with who identified it and when."""

    __tablename__ = "specific_needs"
    __table_args__ = (
        sa.UniqueConstraint("applicant_id", "code"),
        sa.Index("ix_specific_needs_category", "category", "applicant_id"),
    )
    audit_type = "specific_need"

    id: Mapped[int] = mapped_column(primary_key=True)
    applicant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applicants.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(sa.String(8))
    # The top-level category (the code before the hyphen), for statistics by category.
    category: Mapped[str] = mapped_column(sa.String(2))
    identified_on: Mapped[date]
    identified_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    identified_by: Mapped[User | None] = relationship()

    @property
    def audit_person_id(self) -> int:
        return self.applicant_id

    @property
    def label(self) -> str:
        return codes.label(self.code)

    @property
    def sensitive(self) -> bool:
        return codes.is_sensitive(self.code)

    @classmethod
    def sensitive_clause(cls) -> sa.ColumnElement[bool]:
        """codes.is_sensitive as SQL: the rows that only some users may see."""
        categories = sorted(code for code in codes.SENSITIVE if "-" not in code)
        full_codes = sorted(code for code in codes.SENSITIVE if "-" in code)
        return sa.or_(cls.category.in_(categories), cls.code.in_(full_codes))


class NeedCategory(enum.StrEnum):
    SHELTER = "shelter"
    FOOD = "food"
    MEDICAL = "medical"
    MENTAL_HEALTH = "mental_health"
    LEGAL = "legal"
    INTERPRETATION = "interpretation"
    EDUCATION = "education"
    CASH = "cash"
    DOCUMENTATION = "documentation"
    FAMILY_TRACING = "family_tracing"
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(CATEGORY_LABELS[self])


CATEGORY_LABELS = {
    NeedCategory.SHELTER: _l("Shelter"),
    NeedCategory.FOOD: _l("Food"),
    NeedCategory.MEDICAL: _l("Medical care"),
    NeedCategory.MENTAL_HEALTH: _l("Mental health"),
    NeedCategory.LEGAL: _l("Legal assistance"),
    NeedCategory.INTERPRETATION: _l("Interpretation"),
    NeedCategory.EDUCATION: _l("Education"),
    NeedCategory.CASH: _l("Cash assistance"),
    NeedCategory.DOCUMENTATION: _l("Documentation"),
    NeedCategory.FAMILY_TRACING: _l("Family tracing"),
    NeedCategory.OTHER: _l("Other"),
}


class NeedPriority(enum.StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"

    @property
    def label(self) -> str:
        return str({NeedPriority.URGENT: _l("Urgent"), NeedPriority.HIGH: _l("High"),
                    NeedPriority.NORMAL: _l("Normal")}[self])


class NeedStatus(enum.StrEnum):
    OPEN = "open"
    REFERRED = "referred"
    IN_PROGRESS = "in_progress"
    MET = "met"
    CLOSED_UNMET = "closed_unmet"

    @property
    def label(self) -> str:
        return str(NEED_STATUS_LABELS[self])

    @property
    def resolved(self) -> bool:
        return self in RESOLVED


NEED_STATUS_LABELS = {
    NeedStatus.OPEN: _l("Open"),
    NeedStatus.REFERRED: _l("Referred"),
    NeedStatus.IN_PROGRESS: _l("In progress"),
    NeedStatus.MET: _l("Met"),
    NeedStatus.CLOSED_UNMET: _l("Closed, not met"),
}
RESOLVED = frozenset({NeedStatus.MET, NeedStatus.CLOSED_UNMET})
UNRESOLVED = frozenset(NeedStatus) - RESOLVED


class AssistanceNeed(TimestampMixin, VersionedMixin, Base):
    """A request for help (shelter, food, a lawyer…) tracked until it is met or closed.
    Field names are INTERFACES §5's JSON keys."""

    __tablename__ = "assistance_needs"
    audit_type = "assistance_need"
    __table_args__ = (
        # The dashboard and the "overdue" filter: unresolved needs by due date, urgent ones.
        sa.Index("ix_assistance_needs_status_due", "status", "due_on"),
        # Urgent needs oldest first: walked in opening order, the status read from the index
        # (measured at 1M people: 145 ms with (priority, status, opened_on), under 8 ms).
        sa.Index("ix_assistance_needs_priority", "priority", "opened_on", "id", "status"),
        # What an NGO sees: the needs referred to it.
        sa.Index("ix_assistance_needs_referred", "referred_to_org_id", "status"),
        sa.Index("ix_assistance_needs_opened", "opened_on", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    applicant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applicants.id", ondelete="CASCADE"), index=True)
    category: Mapped[NeedCategory] = mapped_column(str_enum(NeedCategory, "category"))
    priority: Mapped[NeedPriority] = mapped_column(str_enum(NeedPriority, "priority"))
    status: Mapped[NeedStatus] = mapped_column(str_enum(NeedStatus, "status"))
    referred_to_org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"))
    opened_on: Mapped[date]
    due_on: Mapped[date | None]
    resolved_on: Mapped[date | None]
    note: Mapped[str] = mapped_column(sa.Text, default="")
    resolution_note: Mapped[str] = mapped_column(sa.Text, default="")
    opened_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    applicant: Mapped[Applicant] = relationship()
    referred_to_org: Mapped[Organisation | None] = relationship()

    @property
    def audit_person_id(self) -> int:
        return self.applicant_id

    def overdue(self, today: date) -> bool:
        return self.due_on is not None and self.due_on < today and not self.status.resolved

    def __repr__(self) -> str:
        return f"<AssistanceNeed {self.id} {self.category} {self.status}>"
