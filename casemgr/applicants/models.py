"""Applicants (the people casemgr serves), their aliases and sharing records."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import orm
from sqlalchemy.orm import Mapped, mapped_column

from casemgr.cases.models import CaseStatus, LodgedAt
from casemgr.database import Base, TimestampMixin, VersionedMixin, str_enum, utcnow

if TYPE_CHECKING:
    from casemgr.auth.models import Organisation, User
    from casemgr.cases.models import Case


class Sex(enum.StrEnum):
    F = "F"
    M = "M"
    X = "X"
    U = "U"

    @property
    def label(self) -> str:
        return str({Sex.F: _l("Female"), Sex.M: _l("Male"), Sex.X: _l("Other"),
                    Sex.U: _l("Unknown")}[self])


class Relationship(enum.StrEnum):
    PRINCIPAL = "principal"
    SPOUSE = "spouse"
    CHILD = "child"
    PARENT = "parent"
    SIBLING = "sibling"
    OTHER = "other"

    @property
    def label(self) -> str:
        return str({
            Relationship.PRINCIPAL: _l("Principal applicant"), Relationship.SPOUSE: _l("Spouse"),
            Relationship.CHILD: _l("Child"), Relationship.PARENT: _l("Parent"),
            Relationship.SIBLING: _l("Sibling"), Relationship.OTHER: _l("Other relative"),
        }[self])


LIST_FILTER_COLUMNS = ("agency_id", "nationality", "current_status", "current_lodged_at",
                       "current_port", "current_assigned_to_id", "current_due_kind",
                       "current_due_on")
# Each lead ends with the sort column and the id, the list's tie-breaker (listing.Sorting).
LIST_INDEXES = {
    "lodged": ("current_lodged_on", "id"),
    "status": ("current_status", "current_lodged_on", "id"),
    "nationality": ("nationality", "current_lodged_on", "id"),
    # The pair caseloads are triaged by (the Russians waiting for a referral decision): in
    # the nationality's index above, a status that a few per cent of its people are in
    # means scanning thousands of entries for a page; here they are one range.
    "nationality_status": ("nationality", "current_status", "current_lodged_on", "id"),
    "due": ("current_due_on", "id"),
    "assigned": ("current_assigned_to_id", "current_lodged_on", "id"),
    "name": ("family_name", "id"),
}


class Applicant(TimestampMixin, VersionedMixin, Base):
    """One person. Field names are the record format's columns (INTERFACES §3)."""

    __tablename__ = "applicants"
    __table_args__ = (
        # The list filters and sorts on the current case's summary. Each index leads with
        # one way to narrow or order the list and then carries every other filter column,
        # so any combination of filters is answered inside the index: no table lookups
        # until the 50 rows of the page, and counts stop at listing.COUNT_CAP.
        *[sa.Index(f"ix_applicants_list_{name}", *lead, *[c for c in LIST_FILTER_COLUMNS
                                                          if c not in lead])
          for name, lead in LIST_INDEXES.items()],
        sa.Index("ix_applicants_agency_status", "agency_id", "current_status"),
    )
    audit_type = "applicant"
    # The version counts edits of the person only: the current_* summary columns change
    # with every case step and must not make an open edit form stale. Updates still check
    # the version (a lost update is refused); services.update_applicant bumps it.
    __mapper_args__ = {"version_id_col": VersionedMixin.version, "version_id_generator": False}

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_no: Mapped[str] = mapped_column(sa.String(20), unique=True)
    family_name: Mapped[str] = mapped_column(sa.String(100))
    given_names: Mapped[str] = mapped_column(sa.String(200))
    native_name: Mapped[str | None] = mapped_column(sa.String(200))
    sex: Mapped[Sex] = mapped_column(str_enum(Sex, "sex"))
    # As written: YYYY, YYYY-MM or YYYY-MM-DD; the precision is part of the fact.
    date_of_birth: Mapped[str] = mapped_column(sa.String(10))
    # The date ages are computed from: the 15th for a month, 1 July for a year.
    birth_reference_date: Mapped[date] = mapped_column(index=True)
    nationality: Mapped[str] = mapped_column(sa.String(3))
    languages: Mapped[str] = mapped_column(sa.String(100), default="")
    interpreter_needed: Mapped[bool] = mapped_column(default=False)
    arrival_date: Mapped[date | None]
    port_of_entry: Mapped[str | None] = mapped_column(sa.String(5))
    family_group: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    # (named by the record format; hence orm.relationship() below, not relationship())
    relationship: Mapped[Relationship | None] = mapped_column(
        str_enum(Relationship, "relationship"))
    # The registering agency: agency roles see the applicants of their own agency.
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    registered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    # The current application, copied here by cases.transitions.summarise so the list can
    # filter and sort on one table with composite indexes (a million rows).
    current_status: Mapped[CaseStatus | None] = mapped_column(
        str_enum(CaseStatus, "current_status"))
    current_lodged_on: Mapped[date | None]
    current_lodged_at: Mapped[LodgedAt | None] = mapped_column(
        str_enum(LodgedAt, "current_lodged_at"))
    current_port: Mapped[str | None] = mapped_column(sa.String(5))
    current_assigned_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    current_due_on: Mapped[date | None]
    current_due_kind: Mapped[str | None] = mapped_column(sa.String(32))
    # Not columns: loaded only by a query that asks for them (orm.with_expression), as the
    # list page does for its rows, in the same statement: the current case's id, for its
    # link, and the name of the caseworker it is assigned to.
    current_case_id: Mapped[int | None] = orm.query_expression()
    assigned_to_name: Mapped[str | None] = orm.query_expression()
    # Set when retention anonymised the person (casemgr.retention): names, notes and the
    # exact date of birth are gone; the record stays for the statistics.
    anonymised_at: Mapped[datetime | None]
    # Every written form of the name (passport, native script, aliases) as transliterated
    # skeleton tokens, " ivan ivanov ivanovivan" (matching.index_text), kept by the search
    # service and covered by its trigram index: an FTS5 table on SQLite, a pg_trgm GIN index
    # on PostgreSQL, both made by migration 0011 (see casemgr/applicants/search.py). Only
    # written by the application (deferred: pages never need it).
    name_skeletons: Mapped[str] = mapped_column(sa.Text, default="", server_default="",
                                                deferred=True)

    agency: Mapped[Organisation] = orm.relationship(foreign_keys=[agency_id])
    aliases: Mapped[list[ApplicantAlias]] = orm.relationship(
        back_populates="applicant", cascade="all, delete-orphan", order_by="ApplicantAlias.id")
    cases: Mapped[list[Case]] = orm.relationship(
        back_populates="applicant", order_by="(Case.lodged_on, Case.id)")
    sharing: Mapped[list[SharingRecord]] = orm.relationship(
        back_populates="applicant", order_by="SharingRecord.id")

    @property
    def audit_person_id(self) -> int:
        return self.id

    @property
    def anonymised(self) -> bool:
        return self.anonymised_at is not None

    @property
    def display_name(self) -> str:
        if self.anonymised_at is not None:
            return str(_l("Anonymised person"))
        given = "" if self.given_names == "-" else f" {self.given_names}"
        return f"{self.family_name.upper()}{given}"

    @property
    def language_codes(self) -> list[str]:
        return [code for code in self.languages.split(";") if code]

    @property
    def current_case(self) -> Case | None:
        return next((case for case in self.cases if case.is_current), None)

    def __repr__(self) -> str:
        return f"<Applicant {self.id} {self.registration_no}>"


class ApplicantAlias(Base):
    """Another name the person is known by (other spellings, former names)."""

    __tablename__ = "applicant_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    applicant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applicants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))

    applicant: Mapped[Applicant] = orm.relationship(back_populates="aliases")


class SharingRecord(Base):
    """The applicant's consent to share their file with an NGO (active until revoked)."""

    __tablename__ = "sharing_records"
    __table_args__ = (
        sa.Index("ix_sharing_records_scope", "organisation_id", "revoked_on", "applicant_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    applicant_id: Mapped[int] = mapped_column(sa.ForeignKey("applicants.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    granted_on: Mapped[date]
    granted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    revoked_on: Mapped[date | None]
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    applicant: Mapped[Applicant] = orm.relationship(back_populates="sharing")
    organisation: Mapped[Organisation] = orm.relationship()
    granted_by: Mapped[User | None] = orm.relationship(foreign_keys=[granted_by_id])
    revoked_by: Mapped[User | None] = orm.relationship(foreign_keys=[revoked_by_id])

    @property
    def active(self) -> bool:
        return self.revoked_on is None


class DuplicateDismissal(Base):
    """A user's decision that two records are not the same person (not shown again)."""

    __tablename__ = "duplicate_dismissals"
    __table_args__ = (sa.UniqueConstraint("applicant_id", "other_applicant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    applicant_id: Mapped[int] = mapped_column(sa.ForeignKey("applicants.id"), index=True)
    other_applicant_id: Mapped[int] = mapped_column(sa.ForeignKey("applicants.id"), index=True)
    score: Mapped[int]
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)


class RegistrationCounter(Base):
    """The last registration number handed out per year (YYYY-NNNNNN)."""

    __tablename__ = "registration_counters"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(default=0)
