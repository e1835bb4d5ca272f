"""Deriving each person's statistics facts, and keeping `statistics_facts` current.

The annual tables count people by rules that look at a person's whole record: the earlier
of two applications in a year, the last decision of a year, the status on 31 December,
ages at the event. Those rules live here once, in `facts_for_person`, a pure function over
one person's handful of rows; `tables.py` only aggregates the rows it returns. The rules
are STATISTICS.md's, with the decisions recorded in `tables.py`'s docstring:

- applications, specific needs: one fact per year with an application, from the earliest
  application of that year (lodging date, then registration order); ages at lodging;
  one specific-needs fact per need category the person has now;
- referral decisions, objection decisions: per year, the person's last such event
  (effective date, then recording order); first-instance decisions: the last decision on
  the merits of the year, else the last withdrawal or termination before any decision
  (also while the referral was pending); age at that event;
- objections lodged: one fact per year with an objection;
- processing times: one fact per decision (first instance on the merits; objection
  decisions but withdrawals, from the latest objection on the case before them), with
  the days and whether the decision came no later than the start plus 6 months;
- pending: the status on 31 December of each year is the last event on or before it; for
  the years from the case's latest event on it is the case's current status. A case
  pending now gets one fact per year while its duration band still changes (24 months at
  most), then one `pending_ongoing` fact that counts for every later year, so no fact ever
  depends on today's date and a new year's stock needs no rebuild.

Ages are completed years (`completed_months // 12`) from the birth reference date, which
is STATISTICS.md's month addition with end-of-month clamping; durations are completed
months; the 6-month limit is `add_months`.

How they stay current: a session hook collects the people whose applicant, case, history
event or specific need a flush touched, and before the transaction commits rebuilds their
facts in the same transaction (delete and insert, a few queries per batch of people),
after locking their applicant rows so two transactions never interleave one person's
rebuild. Core writes that no hook sees call `rebuild_facts` themselves (the bulk writer computes
the facts of its new people in memory and stores them with `add_facts`);
`casemgr stats rebuild-facts` and the migration recompute everyone with `rebuild_all`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from operator import itemgetter
from typing import Any, NamedTuple, Protocol

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, UOWTransaction, scoped_session
from sqlalchemy.orm.base import NO_VALUE

from casemgr.applicants.models import Applicant
from casemgr.cases.deadlines import add_months, completed_months
from casemgr.cases.models import Case, CaseEvent
from casemgr.needs.models import SpecificNeed
from casemgr.statistics.models import FactKind, StatisticsFact

UNKNOWN_PORT = "UNKNOWN"
MERITS = ("recognized", "humanitarian", "rejected")
FIRST_INSTANCE_ENDS = (*MERITS, "withdrawn", "terminated")
PENDING_STAGES = {"referral_pending": "REFERRAL", "first_instance": "FIRST_INSTANCE",
                  "objection": "OBJECTION", "referral_litigation": "LITIGATION",
                  "litigation": "LITIGATION"}
OBJECTION_OUTCOME_OF_STATUS = {"recognized": "accepted", "humanitarian": "dismissed_humanitarian",
                               "rejected": "dismissed", "closed": "inadmissible",
                               "withdrawn": "withdrawn"}
# (upper bound not reached, label); past the last bound the oldest label.
AGE_GROUP_BOUNDS = ((14, "Y_LT14"), (18, "Y14-17"), (35, "Y18-34"), (65, "Y35-64"))
AGE_BAND_BOUNDS = ((18, "Y_LT18"), (60, "Y18-59"))
DURATION_BOUNDS = ((6, "M_LT6"), (12, "M6-11"), (24, "M12-23"))
LONGEST_DURATION = "M_GE24"
DAYS_BOUNDS = ((7, "D0-7"), (30, "D8-30"), (90, "D31-90"))
SIX_MONTHS = 6
BATCH_SIZE = 2000

facts_table = StatisticsFact.__table__
_applicants = Applicant.__table__
_cases = Case.__table__
_events = CaseEvent.__table__
_needs = SpecificNeed.__table__


class Fact(NamedTuple):
    """One row of `statistics_facts` (its columns but the id, in order): a tuple, because
    the rebuild writes millions of them straight to the database driver."""

    kind: str
    year: int
    applicant_id: int
    citizenship: str | None = None
    sex: str | None = None
    age_group: str | None = None
    age_band: str | None = None
    applicant_type: str | None = None
    place: str | None = None
    port: str | None = None
    outcome: str | None = None
    days_band: str | None = None
    stage: str | None = None
    duration: str | None = None
    need_category: str | None = None
    month: int | None = None
    days: int | None = None
    within_6_months: bool | None = None


# --- the rules ----------------------------------------------------------------------------

class PersonLike(Protocol):
    id: int
    nationality: str
    sex: str
    birth_reference_date: date | None


class EventLike(Protocol):
    id: int
    from_status: str | None
    to_status: str
    outcome: str | None
    effective_date: date


class CaseLike(Protocol):
    """A case with its history (an ORM `Case`, or the loader's `CaseHistory`)."""

    id: int
    lodged_on: date
    lodged_at: str
    application_type: str
    port_of_entry: str | None
    status: str
    status_since: date

    @property
    def events(self) -> Sequence[EventLike]: ...


def _label(value: int | None, bounds: tuple[tuple[int, str], ...], last: str,
           unknown: str = "UNK") -> str:
    if value is None:
        return unknown
    return next((label for bound, label in bounds if value < bound), last)


def age_at(reference: date | None, day: date) -> int | None:
    """Completed years from the birth reference date to `day` (None without one)."""
    return None if reference is None else completed_months(reference, day) // 12


def age_group(age: int | None) -> str:
    return _label(age, AGE_GROUP_BOUNDS, "Y_GE65")


def age_band(age: int | None) -> str:
    return _label(age, AGE_BAND_BOUNDS, "Y_GE60")


def duration_band(lodged_on: date, day: date) -> str:
    """Completed months from lodging to `day`, as a duration band."""
    return _label(completed_months(lodged_on, day), DURATION_BOUNDS, LONGEST_DURATION)


def days_band(days: int) -> str:
    return next((label for bound, label in DAYS_BOUNDS if days <= bound), "D_GT90")


def within_six_months(start: date, end: date) -> bool:
    """Decided no later than the start plus 6 months (day kept, clamped to the month end)."""
    return end <= add_months(start, SIX_MONTHS)


def status_on(case: CaseLike, day: date) -> str | None:
    """The case's status on `day`: the last event on or before it (ties: the later
    recorded); from the case's latest event on, its current status."""
    if case.status_since <= day:
        return case.status
    last = max(((e.effective_date, e.id, e.to_status) for e in case.events
                if e.effective_date <= day), default=None)
    return None if last is None else last[2]


def _fact(kind: FactKind, year: int, applicant_id: int, **values: Any) -> Fact:
    return Fact(kind.value, year, applicant_id, **values)


def facts_for_person(applicant: PersonLike, cases: Iterable[CaseLike],
                     need_categories: Iterable[str]) -> list[Fact]:
    """Every fact the annual tables count about one person, from their record as it is:
    the person's columns, their cases with each case's status events, and the top-level
    categories of their specific needs. Pure: the same record always gives the same rows
    (processing facts in event order, the others by kind and year)."""
    person, sex, citizenship = applicant.id, str(applicant.sex), applicant.nationality
    ordered = sorted(cases, key=lambda case: (case.lodged_on, case.id))
    categories = sorted(set(need_categories))
    facts: list[Fact] = []

    earliest: dict[int, CaseLike] = {}
    for case in ordered:
        earliest.setdefault(case.lodged_on.year, case)
    for year, case in earliest.items():
        age = age_at(applicant.birth_reference_date, case.lodged_on)
        facts.append(_fact(
            FactKind.APPLICATION, year, person, citizenship=citizenship, sex=sex,
            age_group=age_group(age), month=case.lodged_on.month,
            applicant_type="FIRST" if case.application_type == "first_time" else "SUBSEQUENT",
            place="PORT" if case.lodged_at == "port_of_entry" else "INLAND"))
        band = age_band(age)
        facts += [_fact(FactKind.SPECIFIC_NEED, year, person, need_category=category,
                        sex=sex, age_band=band) for category in categories]

    history = sorted(((event, case) for case in ordered for event in case.events),
                     key=lambda pair: (pair[0].effective_date, pair[0].id))
    referrals: dict[int, tuple[EventLike, CaseLike]] = {}
    decisions: dict[int, EventLike] = {}
    objected: dict[int, None] = {}
    objection_outcomes: dict[int, EventLike] = {}
    # Events in order: a later one of a kind replaces an earlier one of its year.
    for event_, case in history:
        year, source, target = event_.effective_date.year, event_.from_status, event_.to_status
        if (source == "referral_pending" and target in ("first_instance", "not_referred")
                and case.lodged_at == "port_of_entry"):
            referrals[year] = (event_, case)
        if source in ("first_instance", "referral_pending") and target in FIRST_INSTANCE_ENDS:
            kept = decisions.get(year)
            if kept is None or target in MERITS or kept.to_status not in MERITS:
                decisions[year] = event_
        if target == "objection":
            objected[year] = None
        if source == "objection":
            objection_outcomes[year] = event_
        if source == "first_instance" and target in MERITS:
            facts.append(_fact(
                FactKind.PROCESSING_FIRST_INSTANCE, year, person,
                days=(event_.effective_date - case.lodged_on).days,
                within_6_months=within_six_months(case.lodged_on, event_.effective_date)))
        if source == "objection" and target != "withdrawn":
            started = _objection_lodged(case, event_)
            if started is not None:
                facts.append(_fact(
                    FactKind.PROCESSING_OBJECTION, year, person,
                    days=(event_.effective_date - started).days,
                    within_6_months=within_six_months(started, event_.effective_date)))

    for year, (event_, case) in sorted(referrals.items()):
        if event_.to_status == "not_referred":
            outcome = "NOT_REFERRED"
        else:
            outcome = "LAPSED" if event_.outcome == "lapsed" else "REFERRED"
        facts.append(_fact(
            FactKind.REFERRAL_DECISION, year, person, citizenship=citizenship,
            port=case.port_of_entry or UNKNOWN_PORT, outcome=outcome,
            days_band=days_band((event_.effective_date - case.lodged_on).days)))
    for year, event_ in sorted(decisions.items()):
        facts.append(_fact(
            FactKind.FIRST_INSTANCE_DECISION, year, person, citizenship=citizenship, sex=sex,
            age_group=age_group(age_at(applicant.birth_reference_date, event_.effective_date)),
            outcome=str(event_.to_status).upper()))
    facts += [_fact(FactKind.OBJECTION_LODGED, year, person, citizenship=citizenship, sex=sex)
              for year in sorted(objected)]
    for year, event_ in sorted(objection_outcomes.items()):
        outcome = event_.outcome or OBJECTION_OUTCOME_OF_STATUS[event_.to_status]
        facts.append(_fact(FactKind.OBJECTION_DECISION, year, person,
                           citizenship=citizenship, outcome=outcome.upper()))
    for case in ordered:
        facts += _pending(case, person, citizenship, sex)
    return facts


def _objection_lodged(case: CaseLike, decision: EventLike) -> date | None:
    """When the objection a decision decides was lodged: the latest objection on the case
    recorded before the decision and dated no later."""
    return max((e.effective_date for e in case.events
                if e.to_status == "objection" and e.id < decision.id
                and e.effective_date <= decision.effective_date), default=None)


def _pending(case: CaseLike, person: int, citizenship: str, sex: str) -> list[Fact]:
    """The case's pending facts: each 31 December before its latest event from the history;
    if it is pending now, each later 31 December until its duration is 24 months or more,
    then one ongoing fact for every year after."""
    facts = []

    def at_year_end(year: int, status: str) -> None:
        day = date(year, 12, 31)
        facts.append(_fact(FactKind.PENDING_AT_YEAR_END, year, person,
                           stage=PENDING_STAGES[status], citizenship=citizenship, sex=sex,
                           duration=duration_band(case.lodged_on, day)))

    for year in range(case.lodged_on.year, case.status_since.year):
        status = status_on(case, date(year, 12, 31))
        if status in PENDING_STAGES:
            at_year_end(year, str(status))
    if case.status in PENDING_STAGES:
        # Lodged in year L, the duration on 31 December of L + 2 is 24 months or more.
        ongoing = max(case.status_since.year, case.lodged_on.year + 2)
        for year in range(case.status_since.year, ongoing):
            at_year_end(year, str(case.status))
        facts.append(_fact(FactKind.PENDING_ONGOING, ongoing, person,
                           stage=PENDING_STAGES[case.status], citizenship=citizenship,
                           sex=sex, duration=LONGEST_DURATION))
    return facts


# --- loading and writing ------------------------------------------------------------------

Executor = Session | scoped_session[Session] | sa.Connection
Selection = Callable[[sa.ColumnElement[int]], sa.ColumnElement[bool]]


@dataclass(slots=True)
class CaseHistory:
    """A case as the loader reads it: its columns and its status events."""

    id: int
    applicant_id: int
    lodged_on: date
    lodged_at: str
    application_type: str
    port_of_entry: str | None
    status: str
    status_since: date
    events: list[Any] = field(default_factory=list)


def _rebuild(executor: Executor, selection: Selection) -> tuple[int, int]:
    """Replace the facts of the people `selection` picks by applicant id; returns how many
    people and facts. The applicant rows are locked first (PostgreSQL), so a concurrent
    rebuild of the same person waits and then reads what this one committed."""
    people = executor.execute(
        sa.select(_applicants.c.id, _applicants.c.nationality, _applicants.c.sex,
                  _applicants.c.birth_reference_date)
        .where(selection(_applicants.c.id)).order_by(_applicants.c.id)
        .with_for_update()).all()
    executor.execute(sa.delete(facts_table).where(selection(facts_table.c.applicant_id)))
    if not people:
        return 0, 0
    cases: dict[int, CaseHistory] = {}
    by_person: dict[int, list[CaseHistory]] = defaultdict(list)
    for row in executor.execute(
            sa.select(_cases.c.id, _cases.c.applicant_id, _cases.c.lodged_on,
                      _cases.c.lodged_at, _cases.c.application_type,
                      _cases.c.port_of_entry, _cases.c.status, _cases.c.status_since)
            .where(selection(_cases.c.applicant_id))):
        case = CaseHistory(*row)
        cases[case.id] = case
        by_person[case.applicant_id].append(case)
    for row in executor.execute(
            sa.select(_events.c.id, _events.c.case_id, _events.c.from_status,
                      _events.c.to_status, _events.c.outcome, _events.c.effective_date)
            .join(_cases, _cases.c.id == _events.c.case_id)
            .where(selection(_cases.c.applicant_id))):
        cases[row.case_id].events.append(row)
    needs: dict[int, list[str]] = defaultdict(list)
    for applicant_id, category in executor.execute(
            sa.select(_needs.c.applicant_id, _needs.c.category)
            .where(selection(_needs.c.applicant_id))):
        needs[applicant_id].append(category)
    rows = [fact for person in people
            for fact in facts_for_person(person, by_person[person.id], needs[person.id])]
    _insert(executor, rows)
    return len(people), len(rows)


def _insert(executor: Executor, rows: list[Fact]) -> None:
    """Write facts through the database driver, in the transaction of `executor`: COPY on
    PostgreSQL, one prepared INSERT run per row on SQLite. Either is several times faster
    than SQLAlchemy's per-row parameter handling, which took longer than everything else a
    rebuild does; the values are plain strings, numbers and booleans that need no type
    processing."""
    if not rows:
        return
    connection = executor if isinstance(executor, sa.Connection) else executor.connection()
    columns = ", ".join(Fact._fields)
    driver: Any = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        with driver.cursor() as cursor, cursor.copy(
                f"COPY statistics_facts ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    elif connection.dialect.name == "sqlite":
        for used, values in _sqlite_columns_in_use(rows):
            names = ", ".join(Fact._fields[index] for index in used)
            marks = ", ".join("?" * len(used))
            statement = f"INSERT INTO statistics_facts ({names}) VALUES ({marks})"  # noqa: S608 - fixed column names and bound values # nosec B608
            driver.executemany(statement, values)
    else:
        connection.execute(facts_table.insert(), [row._asdict() for row in rows])


def _sqlite_columns_in_use(rows: list[Fact]) -> Iterator[tuple[tuple[int, ...], list[Any]]]:
    """The facts of each kind with only the columns that kind fills: a fact leaves most of
    its 19 columns empty, and Python's sqlite3 binds a None about 20 times slower than a
    number (it looks for an adapter first), so the omitted columns, NULL by default, cost
    nothing. Yields (column positions, their values per fact)."""
    by_kind: dict[str, list[Fact]] = defaultdict(list)
    for row in rows:
        by_kind[row.kind].append(row)
    for group in by_kind.values():
        used = tuple(index for index in range(len(Fact._fields))
                     if any(row[index] is not None for row in group))
        pick = itemgetter(*used)
        yield used, list(map(pick, group))


def rebuild_facts(executor: Executor, applicant_ids: Iterable[int], *,
                  batch_size: int = BATCH_SIZE) -> int:
    """Recompute the facts of these people from their records, in batches; a person who no
    longer exists just loses theirs. Call it after writing people with Core statements,
    in the same transaction. Returns the number of facts written."""
    ids = sorted(set(applicant_ids))
    written = 0
    for start in range(0, len(ids), batch_size):
        chunk = ids[start:start + batch_size]
        written += _rebuild(executor, lambda column, chunk=chunk: column.in_(chunk))[1]
    return written


def add_facts(executor: Executor, rows: list[Fact]) -> None:
    """Store facts already computed with `facts_for_person` for people who have none yet:
    the bulk writer computes those of the people it has just inserted, in memory, instead
    of reading their records back. Same transaction rules as `rebuild_facts`."""
    _insert(executor, rows)


def rebuild_all(executor: Executor, *, batch_size: int = BATCH_SIZE,
                progress: Callable[[int], None] | None = None,
                commit: Callable[[], None] | None = None) -> tuple[int, int]:
    """Recompute everyone's facts, a range of applicant ids at a time; `commit` (if given)
    ends each batch's transaction, `progress` hears how many people each batch held.
    Facts of people between batches stay readable: old and new ones agree unless the rules
    changed. Returns the numbers of people and facts."""
    first, last = executor.execute(
        sa.select(sa.func.min(_applicants.c.id), sa.func.max(_applicants.c.id))).one()
    people = written = 0
    if first is None:
        executor.execute(sa.delete(facts_table))
    else:
        for low in range(first, last + 1, batch_size):
            high = low + batch_size - 1
            batch, facts = _rebuild(
                executor, lambda column, low=low, high=high: column.between(low, high))
            people += batch
            written += facts
            if commit is not None:
                commit()
            if progress is not None:
                progress(batch)
    return people, written


def refresh_planner_statistics(connection: sa.Connection) -> None:
    """After rewriting many facts, let the planner see them. PostgreSQL also needs the
    table vacuumed before its index-only scans skip the table, which VACUUM can do only
    outside a transaction: `connection` must then be in autocommit mode."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("VACUUM (ANALYZE) statistics_facts"))
    else:
        connection.execute(sa.text("ANALYZE statistics_facts"))


# --- keeping facts current ----------------------------------------------------------------

_PEOPLE = "statistics_facts.people"
_CASES = "statistics_facts.cases"
# Per model: the attributes whose change changes the person's facts (None: any change).
WATCHED: dict[type[Any], frozenset[str] | None] = {
    Applicant: frozenset({"nationality", "sex", "birth_reference_date"}),
    Case: frozenset({"applicant_id", "lodged_on", "lodged_at", "application_type",
                     "port_of_entry", "status", "status_since"}),
    CaseEvent: None,
    SpecificNeed: frozenset({"applicant_id", "category"}),
}
# Where each model says whose it is (CaseEvent through its case).
OWNER = {Applicant: "id", Case: "applicant_id", SpecificNeed: "applicant_id",
         CaseEvent: "case_id"}


def _values(obj: Any, name: str) -> set[Any]:
    """The attribute's current and previous values, without loading anything."""
    attribute = sa.inspect(obj).attrs[name]
    values = set(attribute.history.deleted or ())
    if attribute.loaded_value is not NO_VALUE:
        values.add(attribute.loaded_value)
    values.discard(None)
    return values


def _changed(obj: Any, names: frozenset[str] | None) -> bool:
    state = sa.inspect(obj)
    if names is None:
        return any(attribute.history.has_changes() for attribute in state.attrs)
    return any(state.attrs[name].history.has_changes() for name in names)


def _collect(session: Session, _flush: UOWTransaction) -> None:
    """after_flush: note the people (and cases, for events) whose facts may have changed."""
    people: set[int] = session.info.setdefault(_PEOPLE, set())
    cases: set[int] = session.info.setdefault(_CASES, set())
    touched = [*session.new, *session.deleted]
    touched += [obj for obj in session.dirty
                if type(obj) in WATCHED and _changed(obj, WATCHED[type(obj)])]
    for obj in touched:
        owner = OWNER.get(type(obj))
        if owner is None:
            continue
        if owner == "case_id":
            case = sa.inspect(obj).attrs.case.loaded_value
            if case is not NO_VALUE and case is not None:
                people |= _values(case, "applicant_id")
            cases |= _values(obj, "case_id")
        else:
            people |= _values(obj, owner)


def _rebuild_collected(session: Session) -> None:
    """before_commit: rebuild the facts of the people this transaction touched."""
    session.flush()
    people: set[int] = session.info.pop(_PEOPLE, set())
    cases: set[int] = session.info.pop(_CASES, set())
    if cases:
        people |= set(session.execute(sa.select(_cases.c.applicant_id)
                                      .where(_cases.c.id.in_(sorted(cases)))).scalars())
    if people:
        rebuild_facts(session, people)


def _forget(session: Session, transaction: Any) -> None:
    """after_transaction_end: a rolled-back transaction's people need nothing."""
    if transaction.parent is None:
        session.info.pop(_PEOPLE, None)
        session.info.pop(_CASES, None)


def keep_current() -> None:
    """Register the hooks on every ORM session (idempotent). Called when the statistics
    package is imported, which every app and every use of the models does."""
    for name, listener in (("after_flush", _collect), ("before_commit", _rebuild_collected),
                           ("after_transaction_end", _forget)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
