"""The legal clocks of the procedure, in one module so another country's rules can replace it.

The defaults follow South Korea's Refugee Act (2013). Clocks run from the date a notice was
served when it is known, else from the decision's effective date. Month arithmetic keeps the
day and clamps it to the end of the target month (31 August + 6 months = 28/29 February).
"""

from __future__ import annotations

import calendar
import enum
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l

REFERRAL_DAYS = 7
DECISION_MONTHS = 6
MAX_EXTENSION_MONTHS = 6
EXTENSION_NOTICE_DAYS = 7
OBJECTION_WINDOW_DAYS = 30
SUIT_WINDOW_DAYS = 90
APPEAL_DAYS = 14
WORK_ELIGIBILITY_MONTHS = 6
DUE_SOON_DAYS = 7
# A window the applicant let pass stays on the dashboard this long (someone should record
# that the outcome is final); older ones drop off.
RECENTLY_CLOSED_DAYS = 14


def add_months(start: date, months: int) -> date:
    """`start` plus whole months, the day clamped to the last day of the target month."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(start.day, last_day))


def completed_months(start: date, end: date) -> int:
    """The largest m such that start + m months does not pass end (0 if end < start)."""
    if end < start:
        return 0
    months = (end.year - start.year) * 12 + end.month - start.month
    while months > 0 and add_months(start, months) > end:
        months -= 1
    return months


class ClockKind(enum.StrEnum):
    REFERRAL_DECISION = "referral_decision"
    FIRST_INSTANCE_DECISION = "first_instance_decision"
    OBJECTION_DECISION = "objection_decision"
    OBJECTION_WINDOW = "objection_window"
    SUIT_WINDOW = "suit_window"
    APPEAL_WINDOW = "appeal_window"
    WORK_ELIGIBILITY = "work_eligibility"

    @property
    def label(self) -> str:
        return str(CLOCK_LABELS[self])

    @property
    def is_decision(self) -> bool:
        """A decision the agency owes (overdue when passed), not a window for the applicant."""
        return self in DECISION_KINDS


CLOCK_LABELS = {
    ClockKind.REFERRAL_DECISION: _l("Referral decision due"),
    ClockKind.FIRST_INSTANCE_DECISION: _l("First-instance decision due"),
    ClockKind.OBJECTION_DECISION: _l("Objection decision due"),
    ClockKind.OBJECTION_WINDOW: _l("Objection window closes"),
    ClockKind.SUIT_WINDOW: _l("Suit window closes"),
    ClockKind.APPEAL_WINDOW: _l("Appeal window closes"),
    ClockKind.WORK_ELIGIBILITY: _l("Work permission possible from"),
}

DECISION_KINDS = frozenset({ClockKind.REFERRAL_DECISION, ClockKind.FIRST_INSTANCE_DECISION,
                            ClockKind.OBJECTION_DECISION})
WINDOW_KINDS = frozenset({ClockKind.OBJECTION_WINDOW, ClockKind.SUIT_WINDOW,
                          ClockKind.APPEAL_WINDOW})

# Dashboard order: people held at the airport first.
PRIORITY = [ClockKind.REFERRAL_DECISION, ClockKind.FIRST_INSTANCE_DECISION,
            ClockKind.OBJECTION_DECISION, ClockKind.OBJECTION_WINDOW, ClockKind.SUIT_WINDOW,
            ClockKind.APPEAL_WINDOW]


@dataclass(frozen=True)
class Clock:
    kind: ClockKind
    due: date
    # Deadlines are things someone must act on; other clocks only inform.
    is_deadline: bool = True

    def days_left(self, today: date) -> int:
        """Negative when overdue."""
        return (self.due - today).days

    def overdue(self, today: date) -> bool:
        """A decision past its due date (a window that closed is not 'overdue')."""
        return self.kind.is_decision and self.due < today

    def needs_attention(self, today: date) -> bool:
        """On the dashboard: decisions due within 7 days or overdue; windows closing within
        7 days or closed in the last 14."""
        if not self.is_deadline:
            return False
        if self.kind.is_decision:
            return self.due <= today + timedelta(days=DUE_SOON_DAYS)
        return (today - timedelta(days=RECENTLY_CLOSED_DAYS) <= self.due
                <= today + timedelta(days=DUE_SOON_DAYS))


def _served(notice: date | None, effective: date | None) -> date:
    """Clocks run from the notice when it is known, else from the effective date."""
    return notice or effective  # type: ignore[return-value]


def running_clocks(case: Any) -> list[Clock]:
    """Every clock that runs for the case in its current status."""
    status = str(case.status)
    clocks: list[Clock] = []
    if status == "referral_pending":
        clocks.append(Clock(ClockKind.REFERRAL_DECISION,
                            case.lodged_on + timedelta(days=REFERRAL_DAYS)))
    elif status == "not_referred":
        start = _served(case.referral_notice_on, case.referral_decided_on) or case.status_since
        clocks.append(Clock(ClockKind.SUIT_WINDOW, start + timedelta(days=SUIT_WINDOW_DAYS)))
    elif status == "first_instance":
        start = case.decision_clock_from or case.lodged_on
        due = case.decision_extended_to or add_months(start, DECISION_MONTHS)
        clocks.append(Clock(ClockKind.FIRST_INSTANCE_DECISION, due))
        clocks.append(Clock(ClockKind.WORK_ELIGIBILITY,
                            add_months(case.lodged_on, WORK_ELIGIBILITY_MONTHS),
                            is_deadline=False))
    elif status in {"rejected", "humanitarian"}:
        # After a dismissed objection only the suit remains, counted from its notice.
        after_objection = case.objection_decided_on is not None and (
            case.decision_on is None or case.objection_decided_on >= case.decision_on)
        if after_objection:
            start = _served(case.objection_notice_on, case.objection_decided_on)
        else:
            start = _served(case.decision_notice_on, case.decision_on) or case.status_since
            clocks.append(Clock(ClockKind.OBJECTION_WINDOW,
                                start + timedelta(days=OBJECTION_WINDOW_DAYS)))
        clocks.append(Clock(ClockKind.SUIT_WINDOW, start + timedelta(days=SUIT_WINDOW_DAYS)))
    elif status == "objection":
        due = case.objection_extended_to or add_months(
            case.objection_lodged_on or case.status_since, DECISION_MONTHS)
        clocks.append(Clock(ClockKind.OBJECTION_DECISION, due))
    elif status in {"litigation", "referral_litigation"} and case.judgment_served_on:
        clocks.append(Clock(ClockKind.APPEAL_WINDOW,
                            case.judgment_served_on + timedelta(days=APPEAL_DAYS)))
    return clocks


def deadlines(case: Any) -> list[Clock]:
    """The running deadlines of the case, earliest first (at most two)."""
    return sorted((clock for clock in running_clocks(case) if clock.is_deadline),
                  key=lambda clock: clock.due)


def next_deadline(case: Any) -> Clock | None:
    return next(iter(deadlines(case)), None)


def extension_limit(current_due: date) -> date:
    """The latest date a decision deadline may be extended to."""
    return add_months(current_due, MAX_EXTENSION_MONTHS)


def extension_notice_deadline(current_due: date) -> date:
    """The last day the applicant may be told of an extension."""
    return current_due - timedelta(days=EXTENSION_NOTICE_DAYS)
