"""What the dashboard shows: counts by status and the deadlines that need attention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

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
    deadlines,
)
from casemgr.cases.models import Case, CaseStatus

DEADLINE_LIMIT = 200


def status_counts(session: Session, scope: sa.ColumnElement[bool]) -> dict[CaseStatus, int]:
    """Current applications per status, in the user's scope."""
    rows = session.execute(
        sa.select(Case.status, sa.func.count())
        .join(Applicant, Applicant.id == Case.applicant_id)
        .where(Case.is_current, scope)
        .group_by(Case.status)
    ).all()
    return dict(rows)  # type: ignore[arg-type]


@dataclass(frozen=True)
class DueItem:
    case: Case
    clock: Clock


def _attention(due_on: sa.ColumnElement[Any], kind: sa.ColumnElement[Any],
               today: date) -> sa.ColumnElement[bool]:
    """The SQL twin of Clock.needs_attention, over one stored deadline column pair."""
    soon = today + timedelta(days=DUE_SOON_DAYS)
    return sa.or_(
        sa.and_(kind.in_([str(k) for k in DECISION_KINDS]), due_on <= soon),
        sa.and_(kind.in_([str(k) for k in WINDOW_KINDS]),
                due_on.between(today - timedelta(days=RECENTLY_CLOSED_DAYS), soon)),
    )


def due_items(session: Session, scope: sa.ColumnElement[bool], today: date) -> list[DueItem]:
    """Deadlines needing attention, people held at the airport first, then by date."""
    cases = session.execute(
        sa.select(Case).join(Case.applicant)
        .where(Case.is_current, scope, sa.or_(
            _attention(Case.next_due_on, Case.next_due_kind, today),
            _attention(Case.later_due_on, Case.later_due_kind, today)))
        .options(contains_eager(Case.applicant))
        .order_by(Case.next_due_on, Case.id)
        .limit(DEADLINE_LIMIT)
    ).scalars()
    items = [DueItem(case, clock) for case in cases for clock in deadlines(case)
             if clock.needs_attention(today)]
    return sorted(items, key=lambda item: (PRIORITY.index(item.clock.kind), item.clock.due))
