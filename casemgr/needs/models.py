"""Specific needs recorded on a person."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from casemgr.database import Base, utcnow


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

    @property
    def audit_person_id(self) -> int:
        return self.applicant_id
