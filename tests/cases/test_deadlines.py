"""The legal clocks: month arithmetic, which clocks run in each status, and when a clock
needs someone's attention.

The clock functions take a case as it is stored; here they get unsaved `Case` objects with
just the columns each rule reads, so every date is exact and chosen by the test. How the
lifecycle fills these columns is tested in test_lifecycle.py.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from casemgr.cases.deadlines import (
    Clock,
    ClockKind,
    add_months,
    completed_months,
    deadlines,
    extension_limit,
    extension_notice_deadline,
    next_deadline,
    running_clocks,
)
from casemgr.cases.models import Case, CaseStatus

K = ClockKind
LODGED = date(2025, 3, 10)
DECIDED = date(2025, 9, 1)
NOTICE = date(2025, 9, 8)
TODAY = date(2025, 6, 15)


def case(status: CaseStatus | str, **columns) -> Case:
    columns.setdefault("lodged_on", LODGED)
    columns.setdefault("status_since", columns["lodged_on"])
    return Case(status=CaseStatus(status), **columns)


def clocks(case_: Case) -> dict[ClockKind, date]:
    return {clock.kind: clock.due for clock in running_clocks(case_)}


# --- month arithmetic ---------------------------------------------------------------------------

@pytest.mark.parametrize(("start", "months", "expected"), [
    (date(2023, 8, 31), 6, date(2024, 2, 29)),   # leap year: clamped to 29 February
    (date(2022, 8, 31), 6, date(2023, 2, 28)),   # common year: clamped to 28 February
    (date(2024, 1, 31), 1, date(2024, 2, 29)),
    (date(2023, 1, 31), 1, date(2023, 2, 28)),
    (date(2025, 3, 15), 12, date(2026, 3, 15)),
    (date(2024, 2, 29), 12, date(2025, 2, 28)),
    (date(2025, 3, 31), 1, date(2025, 4, 30)),
    (date(2025, 11, 30), 3, date(2026, 2, 28)),  # across the year end
    (date(2025, 12, 15), 1, date(2026, 1, 15)),
    (date(2025, 5, 17), 0, date(2025, 5, 17)),
    (date(2025, 3, 31), -1, date(2025, 2, 28)),
])
def test_add_months_keeps_the_day_and_clamps_to_the_month_end(start, months, expected) -> None:
    assert add_months(start, months) == expected


@pytest.mark.parametrize(("start", "end", "expected"), [
    (date(2022, 8, 31), date(2023, 2, 28), 6),   # 31 Aug 2022 + 6 months = 28 Feb 2023
    (date(2022, 8, 31), date(2023, 2, 27), 5),
    (date(2023, 8, 31), date(2024, 2, 29), 6),   # leap year: + 6 months = 29 Feb 2024
    (date(2023, 8, 31), date(2024, 2, 28), 5),   # ... so 28 Feb is not yet 6 months
    (date(2025, 3, 15), date(2026, 3, 15), 12),
    (date(2025, 3, 15), date(2026, 3, 14), 11),
    (date(2025, 1, 31), date(2025, 2, 28), 1),
    (date(2025, 5, 17), date(2025, 5, 17), 0),
    (date(2025, 5, 17), date(2025, 6, 16), 0),
    (date(2025, 5, 17), date(2025, 5, 16), 0),   # end before start
    (date(2025, 5, 17), date(2020, 1, 1), 0),
])
def test_completed_months(start, end, expected) -> None:
    assert completed_months(start, end) == expected


@pytest.mark.parametrize("months", [1, 6, 12, 25])
@pytest.mark.parametrize("year", [2023, 2024])
def test_completed_months_inverts_add_months_for_every_start_day(year, months) -> None:
    """The largest m with start + m ≤ end: exactly m on the day m months are reached, one
    fewer the day before (every start day of a common and a leap year)."""
    start = date(year, 1, 1)
    while start.year == year:
        reached = add_months(start, months)
        assert completed_months(start, reached) == months, start
        assert completed_months(start, reached - timedelta(days=1)) == months - 1, start
        start += timedelta(days=1)


# --- the clocks that run in each status -----------------------------------------------------

def test_referral_decision_is_due_7_days_after_lodging() -> None:
    assert clocks(case("referral_pending")) == {K.REFERRAL_DECISION: date(2025, 3, 17)}


def test_first_instance_decision_is_due_6_months_after_lodging() -> None:
    running = clocks(case("first_instance", lodged_on=date(2024, 8, 31)))
    assert running[K.FIRST_INSTANCE_DECISION] == date(2025, 2, 28)


def test_first_instance_also_says_when_work_permission_becomes_possible() -> None:
    [work] = [c for c in running_clocks(case("first_instance")) if c.kind == K.WORK_ELIGIBILITY]
    assert work.due == date(2025, 9, 10)
    assert not work.is_deadline
    assert [c.kind for c in deadlines(case("first_instance"))] == [K.FIRST_INSTANCE_DECISION]


def test_an_extended_first_instance_decision_is_due_on_the_extended_date() -> None:
    extended = case("first_instance", decision_extended_to=date(2026, 1, 20))
    assert clocks(extended)[K.FIRST_INSTANCE_DECISION] == date(2026, 1, 20)
    # Work permission still counts from lodging: the extension does not delay it.
    assert clocks(extended)[K.WORK_ELIGIBILITY] == date(2025, 9, 10)


@pytest.mark.parametrize("status", ["rejected", "humanitarian"])
def test_refusal_windows_run_from_the_notice(status) -> None:
    refused = case(status, decision=status, decision_on=DECIDED, decision_notice_on=NOTICE,
                   status_since=DECIDED)
    assert clocks(refused) == {K.OBJECTION_WINDOW: NOTICE + timedelta(days=30),
                               K.SUIT_WINDOW: NOTICE + timedelta(days=90)}


@pytest.mark.parametrize("status", ["rejected", "humanitarian"])
def test_refusal_windows_run_from_the_decision_when_the_notice_date_is_unknown(status) -> None:
    refused = case(status, decision=status, decision_on=DECIDED, status_since=DECIDED)
    assert clocks(refused) == {K.OBJECTION_WINDOW: DECIDED + timedelta(days=30),
                               K.SUIT_WINDOW: DECIDED + timedelta(days=90)}


def test_refusal_deadlines_are_ordered_objection_then_suit() -> None:
    refused = case("rejected", decision="rejected", decision_on=DECIDED, status_since=DECIDED)
    assert [c.kind for c in deadlines(refused)] == [K.OBJECTION_WINDOW, K.SUIT_WINDOW]
    assert next_deadline(refused) == Clock(K.OBJECTION_WINDOW, DECIDED + timedelta(days=30))


@pytest.mark.parametrize(("status", "outcome"), [("rejected", "dismissed"),
                                                 ("humanitarian", "dismissed_humanitarian")])
def test_after_a_dismissed_objection_only_the_suit_window_runs_from_its_notice(
        status, outcome) -> None:
    objection_decided, objection_notice = date(2026, 1, 5), date(2026, 1, 9)
    dismissed = case(status, decision="rejected", decision_on=DECIDED,
                     decision_notice_on=NOTICE, objection_lodged_on=date(2025, 9, 20),
                     objection_decision=outcome, objection_decided_on=objection_decided,
                     objection_notice_on=objection_notice, status_since=objection_decided)
    assert clocks(dismissed) == {K.SUIT_WINDOW: objection_notice + timedelta(days=90)}


def test_after_a_dismissed_objection_without_notice_date_the_suit_runs_from_the_decision(
) -> None:
    objection_decided = date(2026, 1, 5)
    dismissed = case("rejected", decision="rejected", decision_on=DECIDED,
                     objection_decision="dismissed", objection_decided_on=objection_decided,
                     status_since=objection_decided)
    assert clocks(dismissed) == {K.SUIT_WINDOW: objection_decided + timedelta(days=90)}


def test_a_new_refusal_after_an_older_objection_opens_both_windows_again() -> None:
    """Remitted by a court and refused again: the old objection does not count."""
    refused_again = case("rejected", decision="rejected", decision_on=date(2026, 6, 1),
                         decision_notice_on=date(2026, 6, 3), objection_decision="dismissed",
                         objection_decided_on=date(2026, 1, 5), status_since=date(2026, 6, 1))
    assert clocks(refused_again) == {K.OBJECTION_WINDOW: date(2026, 7, 3),
                                     K.SUIT_WINDOW: date(2026, 9, 1)}


def test_objection_decision_is_due_6_months_after_the_objection_was_lodged() -> None:
    pending = case("objection", objection_lodged_on=date(2025, 8, 31),
                   status_since=date(2025, 8, 31))
    assert clocks(pending) == {K.OBJECTION_DECISION: date(2026, 2, 28)}


def test_an_extended_objection_decision_is_due_on_the_extended_date() -> None:
    pending = case("objection", objection_lodged_on=date(2025, 8, 31),
                   objection_extended_to=date(2026, 5, 1), status_since=date(2025, 8, 31))
    assert clocks(pending) == {K.OBJECTION_DECISION: date(2026, 5, 1)}


def test_a_refused_referral_without_notice_counts_the_suit_window_from_the_decision(
) -> None:
    refused = case("not_referred", lodged_at="port_of_entry", referral_decision="not_referred",
                   referral_decided_on=date(2025, 3, 14), status_since=date(2025, 3, 14))
    assert clocks(refused) == {K.SUIT_WINDOW: date(2025, 6, 12)}


def test_a_refused_referral_counts_the_suit_window_from_its_notice() -> None:
    refused = case("not_referred", lodged_at="port_of_entry", referral_decision="not_referred",
                   referral_decided_on=date(2025, 3, 14), referral_notice_on=date(2025, 3, 20),
                   status_since=date(2025, 3, 14))
    assert clocks(refused) == {K.SUIT_WINDOW: date(2025, 6, 18)}


@pytest.mark.parametrize("status", ["litigation", "referral_litigation"])
def test_appeal_window_closes_14_days_after_the_judgment_is_served(status) -> None:
    in_court = case(status, judgment_served_on=date(2025, 12, 24))
    assert clocks(in_court) == {K.APPEAL_WINDOW: date(2026, 1, 7)}


@pytest.mark.parametrize("status", ["litigation", "referral_litigation"])
def test_no_appeal_window_before_a_judgment_is_served(status) -> None:
    assert running_clocks(case(status)) == []


@pytest.mark.parametrize("status", ["recognized", "withdrawn", "terminated", "closed"])
def test_no_clock_runs_in_a_final_status(status) -> None:
    assert running_clocks(case(status, decision_on=DECIDED)) == []


def test_extension_limits_are_6_months_and_7_days_notice() -> None:
    assert extension_limit(date(2025, 8, 31)) == date(2026, 2, 28)
    assert extension_notice_deadline(date(2025, 9, 10)) == date(2025, 9, 3)


# --- overdue and needing attention ----------------------------------------------------------

DECISIONS = [K.REFERRAL_DECISION, K.FIRST_INSTANCE_DECISION, K.OBJECTION_DECISION]
WINDOWS = [K.OBJECTION_WINDOW, K.SUIT_WINDOW, K.APPEAL_WINDOW]


@pytest.mark.parametrize("kind", DECISIONS)
@pytest.mark.parametrize(("days", "overdue"), [(-30, True), (-1, True), (0, False), (5, False)])
def test_a_decision_is_overdue_once_its_due_date_has_passed(kind, days, overdue) -> None:
    clock = Clock(kind, TODAY + timedelta(days=days))
    assert clock.overdue(TODAY) is overdue
    assert clock.days_left(TODAY) == days


@pytest.mark.parametrize("kind", WINDOWS)
def test_a_closed_window_is_not_overdue(kind) -> None:
    assert Clock(kind, TODAY - timedelta(days=3)).overdue(TODAY) is False


@pytest.mark.parametrize("kind", DECISIONS)
@pytest.mark.parametrize(("days", "attention"), [
    (-400, True), (-15, True), (-1, True), (0, True), (7, True), (8, False), (60, False)])
def test_decisions_need_attention_when_due_within_7_days_or_overdue(kind, days, attention
                                                                    ) -> None:
    assert Clock(kind, TODAY + timedelta(days=days)).needs_attention(TODAY) is attention


@pytest.mark.parametrize("kind", WINDOWS)
@pytest.mark.parametrize(("days", "attention"), [
    (-15, False), (-14, True), (-1, True), (0, True), (7, True), (8, False)])
def test_windows_need_attention_closing_within_7_days_or_closed_in_the_last_14(
        kind, days, attention) -> None:
    assert Clock(kind, TODAY + timedelta(days=days)).needs_attention(TODAY) is attention


@pytest.mark.parametrize("days", [-3, 0, 3])
def test_an_informative_clock_never_needs_attention(days) -> None:
    clock = Clock(K.WORK_ELIGIBILITY, TODAY + timedelta(days=days), is_deadline=False)
    assert clock.needs_attention(TODAY) is False
    assert clock.overdue(TODAY) is False
