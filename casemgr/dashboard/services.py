"""What the dashboard shows: counts by status and what needs attention: deadlines, termination
candidates, hearings and needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, contains_eager

from casemgr.applicants.models import Applicant
from casemgr.auth.policy import need_scope
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
from casemgr.hearings.models import CaseAttendance, Hearing, HearingStatus
from casemgr.hearings.services import TERMINATION_NO_SHOWS
from casemgr.listing import COUNT_CAP
from casemgr.needs.models import UNRESOLVED, AssistanceNeed, NeedPriority

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


@dataclass(frozen=True)
class ListGroup:
    """Records other than clocks that need attention: the most urgent, and how many."""

    key: str
    label: str
    items: list[Any]
    total: int
    # Per item id, what the row shows besides the record (e.g. a case's no-show count).
    details: dict[int, Any] = field(default_factory=dict)

    @property
    def count_cap(self) -> int:
        return COUNT_CAP

    @property
    def total_is_capped(self) -> bool:
        return self.total > COUNT_CAP


def _group(session: Session, key: str, label: str, query: sa.Select[Any], order: list[Any],
           eager: Any, per_kind: int) -> ListGroup | None:
    """The first `per_kind` rows of `query` (with their applicant, joined in it) and a
    count capped like every list's."""
    items = list(session.execute(query.options(contains_eager(eager)).order_by(*order)
                                 .limit(per_kind)).scalars())
    if not items:
        return None
    total = session.execute(sa.select(sa.func.count()).select_from(
        query.with_only_columns(sa.literal_column("1"), maintain_column_froms=True)
        .limit(COUNT_CAP + 1).subquery())).scalar_one()
    return ListGroup(key, label, items, total)


def termination_candidates(session: Session, scope: sa.ColumnElement[bool],
                           per_kind: int = PER_KIND) -> ListGroup | None:
    """First-instance cases whose applicant missed three or more hearings, most missed
    first, then the newest case: both orders are the no-show index (no_shows, case_id)
    read backwards, so the first rows come without sorting every candidate (ordering
    ties by the oldest case sorted them all: 0.14 s at a million people)."""
    query = (sa.select(Case).join(CaseAttendance, CaseAttendance.case_id == Case.id)
             .join(Case.applicant)
             .where(CaseAttendance.no_shows >= TERMINATION_NO_SHOWS,
                    Case.status == CaseStatus.FIRST_INSTANCE, Case.is_current, scope))
    group = _group(session, "termination", str(_l("Termination candidates: three or more "
                                                  "hearings missed")),
                   query, [CaseAttendance.no_shows.desc(), CaseAttendance.case_id.desc()],
                   Case.applicant, per_kind)
    if group is not None:
        group.details.update((case_id, count) for case_id, count in session.execute(
            sa.select(CaseAttendance.case_id, CaseAttendance.no_shows)
            .where(CaseAttendance.case_id.in_([case.id for case in group.items]))))
    return group


def need_groups(session: Session, user: Any, today: date, per_kind: int = PER_KIND
                ) -> list[ListGroup]:
    """Urgent needs not yet met or closed, and needs past their due date."""
    base = (sa.select(AssistanceNeed).join(AssistanceNeed.applicant)
            .where(need_scope(user), AssistanceNeed.status.in_(UNRESOLVED)))
    groups = [
        _group(session, "urgent_needs", str(_l("Urgent needs not yet met")),
               base.where(AssistanceNeed.priority == NeedPriority.URGENT),
               [AssistanceNeed.opened_on, AssistanceNeed.id], AssistanceNeed.applicant,
               per_kind),
        _group(session, "overdue_needs", str(_l("Needs past their due date")),
               base.where(AssistanceNeed.due_on < today),
               [AssistanceNeed.due_on, AssistanceNeed.id], AssistanceNeed.applicant,
               per_kind),
    ]
    return [group for group in groups if group is not None]


def hearing_groups(session: Session, scope: sa.ColumnElement[bool], now: datetime,
                   per_kind: int = PER_KIND) -> list[ListGroup]:
    """Scheduled hearings that started without an outcome recorded, and those of the next
    seven days (an index range scan of status and start)."""
    base = (sa.select(Hearing).join(Hearing.applicant)
            .where(Hearing.status == HearingStatus.SCHEDULED, scope))
    groups = [
        _group(session, "hearing_outcomes", str(_l("Hearings awaiting their outcome")),
               base.where(Hearing.starts_at <= now),
               [Hearing.starts_at, Hearing.id], Hearing.applicant, per_kind),
        _group(session, "hearings_soon", str(_l("Hearings in the next 7 days")),
               base.where(Hearing.starts_at > now,
                          Hearing.starts_at <= now + timedelta(days=DUE_SOON_DAYS)),
               [Hearing.starts_at, Hearing.id], Hearing.applicant, per_kind),
    ]
    return [group for group in groups if group is not None]
