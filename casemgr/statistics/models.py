"""The `statistics_facts` table: what the annual tables count, one row per person-level fact.

Why a table of facts: the rules that decide what a person counts as in a year (the earlier
application, the last decision, the status on 31 December, ages, month bands) need a walk
through each person's handful of cases and events. Done in the report, that walk costs
window functions and correlated lookups over millions of events (15 s for a million
applicants); done once when a person's record changes (`facts.py`), it leaves the report a
plain GROUP BY per table over precomputed codes.

Every column holds a published code (or a number) so the tables group by columns and map
nothing. A column a kind does not use is NULL. Each kind has its own partial index (WHERE
kind = '…') that covers its table's query: the index holds that kind's rows only, so the
table's indexes together are about the size of one full index, each table is an
index-only scan of one (kind, year) range, and a rebuild writes one or two index entries
per fact. The kind leads each index although it is constant there: SQLite takes an index
as covering only when every column the query names is in it, the kind included.
"""

from __future__ import annotations

import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from casemgr.database import Base, str_enum


class FactKind(enum.StrEnum):
    """What a fact says about a person in its year (the table that counts it)."""

    APPLICATION = "application"
    REFERRAL_DECISION = "referral_decision"
    FIRST_INSTANCE_DECISION = "first_instance_decision"
    OBJECTION_LODGED = "objection_lodged"
    OBJECTION_DECISION = "objection_decision"
    PROCESSING_FIRST_INSTANCE = "processing_first_instance"
    PROCESSING_OBJECTION = "processing_objection"
    # The application's stage on 31 December of `year`, from the history.
    PENDING_AT_YEAR_END = "pending_at_year_end"
    # Still pending now, pending 24 months or more at every 31 December from `year` on:
    # one row instead of one per year, so the stock of a new year needs no rebuild.
    PENDING_ONGOING = "pending_ongoing"
    SPECIFIC_NEED = "specific_need"


# The columns each kind's index carries after the kind: the query's equality and range
# columns first, then its GROUP BY columns in the order the query groups them, so the
# aggregate streams out of the index without a sort.
INDEX_COLUMNS: dict[FactKind, tuple[str, ...]] = {
    FactKind.APPLICATION: ("year", "citizenship", "sex", "age_group", "applicant_type",
                           "place"),
    FactKind.REFERRAL_DECISION: ("year", "port", "citizenship", "outcome", "days_band"),
    FactKind.FIRST_INSTANCE_DECISION: ("year", "citizenship", "sex", "age_group", "outcome"),
    FactKind.OBJECTION_LODGED: ("year", "citizenship", "sex"),
    FactKind.OBJECTION_DECISION: ("year", "citizenship", "outcome"),
    FactKind.PROCESSING_FIRST_INSTANCE: ("year", "days", "within_6_months"),
    FactKind.PROCESSING_OBJECTION: ("year", "days", "within_6_months"),
    FactKind.PENDING_AT_YEAR_END: ("year", "stage", "citizenship", "sex", "duration"),
    # Read as `year <= Y` for every stock: grouped columns first, the year filtered inside.
    FactKind.PENDING_ONGOING: ("stage", "citizenship", "sex", "year"),
    FactKind.SPECIFIC_NEED: ("year", "need_category", "sex", "age_band"),
}
# The statistics page's chart of applications by month.
MONTH_INDEX_COLUMNS = ("year", "month")


def index_name(kind: FactKind) -> str:
    return f"ix_statistics_facts_{kind.value}"


def index_where(kind: FactKind) -> sa.TextClause:
    """The partial index condition (kinds are fixed identifiers: no quoting issue)."""
    return sa.text(f"kind = '{kind.value}'")


def _partial(name: str, kind: FactKind, columns: tuple[str, ...]) -> sa.Index:
    return sa.Index(name, "kind", *columns, sqlite_where=index_where(kind),
                    postgresql_where=index_where(kind))


class StatisticsFact(Base):
    """One fact about one person (or, for processing times, one decision) in one year."""

    __tablename__ = "statistics_facts"
    __table_args__ = (
        *[_partial(index_name(kind), kind, columns) for kind, columns in INDEX_COLUMNS.items()],
        _partial("ix_statistics_facts_application_month", FactKind.APPLICATION,
                 MONTH_INDEX_COLUMNS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[FactKind] = mapped_column(str_enum(FactKind, "kind"))
    year: Mapped[int] = mapped_column(sa.SmallInteger)
    # Rebuilt whenever the person changes; gone with the person.
    applicant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applicants.id", ondelete="CASCADE"), index=True)
    citizenship: Mapped[str | None] = mapped_column(sa.String(3))
    sex: Mapped[str | None] = mapped_column(sa.String(1))
    age_group: Mapped[str | None] = mapped_column(sa.String(6))
    age_band: Mapped[str | None] = mapped_column(sa.String(6))
    applicant_type: Mapped[str | None] = mapped_column(sa.String(10))
    place: Mapped[str | None] = mapped_column(sa.String(6))
    port: Mapped[str | None] = mapped_column(sa.String(7))
    outcome: Mapped[str | None] = mapped_column(sa.String(22))
    days_band: Mapped[str | None] = mapped_column(sa.String(6))
    stage: Mapped[str | None] = mapped_column(sa.String(14))
    duration: Mapped[str | None] = mapped_column(sa.String(6))
    need_category: Mapped[str | None] = mapped_column(sa.String(2))
    # Month of the application (1–12), for the chart of applications by month.
    month: Mapped[int | None] = mapped_column(sa.SmallInteger)
    # Processing times: days from the start of the stage to the decision, and whether the
    # decision came no later than the start plus 6 months.
    days: Mapped[int | None]
    within_6_months: Mapped[bool | None]

    def __repr__(self) -> str:
        return f"<StatisticsFact {self.kind} {self.year} applicant {self.applicant_id}>"
