"""What the dashboard shows: counts by status and the deadlines that need attention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, contains_eager

from casemgr.applicants.models import Applicant
from casemgr.cases.deadlines import (
    DECISION_KINDS,
    DUE_SOON_DAYS,
    PRIORITY,
    RECENTLY_CLOSED_DAYS,
    WINDOW_KINDS,
    Clock,
    ClockKind,
    deadlines,
)
from casemgr.cases.models import Case, CaseStatus
from casemgr.listing import COUNT_CAP

PER_KIND = 25


def status_counts(session: Session, scope: sa.ColumnElement[bool]) -> dict[CaseStatus, int]:
    """Current applications per status, in the user's scope (from the applicants' summary
    of their current case: one index scan)."""
    rows = session.execute(
        sa.select(Applicant.current_status, sa.func.count())
        .where(scope, Applicant.current_status.is_not(None))
        .group_by(Applicant.current_status)
    ).all()
    return dict(rows)  # type: ignore[arg-type]


@dataclass(frozen=True)
class DueItem:
    case: Case
    clock: Clock


@dataclass(frozen=True)
class DueGroup:
    """The deadlines of one kind needing attention: the most urgent, and how many."""

    kind: ClockKind
    items: list[DueItem]
    total: int

    @property
    def count_cap(self) -> int:
        return COUNT_CAP

    @property
    def total_is_capped(self) -> bool:
        return self.total > COUNT_CAP


def _window(kind: ClockKind, today: date) -> tuple[date | None, date]:
    """The due dates that need attention (Clock.needs_attention as a date range)."""
    soon = today + timedelta(days=DUE_SOON_DAYS)
    if kind in DECISION_KINDS:
        return None, soon
    return today - timedelta(days=RECENTLY_CLOSED_DAYS), soon


def due_groups(session: Session, scope: sa.ColumnElement[bool], today: date,
               per_kind: int = PER_KIND) -> list[DueGroup]:
    """Deadlines needing attention, one group per kind in PRIORITY order (people held at
    the airport first), each the most urgent `per_kind` cases and a count (capped).

    Every query walks the (kind, due date) index of one stored deadline column in date
    order, so the dashboard costs the same with a thousand cases or a million.
    """
    groups = []
    for kind in PRIORITY:
        earliest, latest = _window(kind, today)
        # Decisions are always a case's first deadline; windows may be the second.
        columns = [(Case.next_due_kind, Case.next_due_on)]
        if kind in WINDOW_KINDS:
            columns.append((Case.later_due_kind, Case.later_due_on))
        found: list[tuple[date, int, Case]] = []
        total = 0
        for kind_column, due_column in columns:
            matching = (sa.select(Case).join(Case.applicant)
                        .where(kind_column == str(kind), due_column <= latest, Case.is_current,
                               scope))
            if earliest is not None:
                matching = matching.where(due_column >= earliest)
            cases = session.execute(matching.options(contains_eager(Case.applicant))
                                    .order_by(due_column, Case.id).limit(per_kind)).scalars()
            found += [(getattr(case, due_column.key), case.id, case) for case in cases]
            total += session.execute(sa.select(sa.func.count()).select_from(
                matching.with_only_columns(Case.id).limit(COUNT_CAP + 1).subquery())
            ).scalar_one()
        if not found:
            continue
        urgent = [case for _due, _id, case in sorted(found, key=lambda f: f[:2])[:per_kind]]
        items = [DueItem(case, clock) for case in urgent for clock in deadlines(case)
                 if clock.kind == kind]
        groups.append(DueGroup(kind, items, total))
    return groups
