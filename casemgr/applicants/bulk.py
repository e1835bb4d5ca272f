"""Writing many people at once — imports and large demo data — in batches.

Records are planned as light drafts (plain objects with the models' column names) by the
same rule functions a single registration uses (`services.check_person`,
`cases.transitions`); this module turns them into multi-row INSERTs, allocates registration
numbers in blocks, fills each person's indexed name text (`search.index_names`) and adds it
to the name index (`search.index_inserted`), and appends one audit event per person to the hash
chain. Drafts, not ORM objects, because a million of those cost more than the database
work. It flushes nothing itself and never commits: a whole import is one transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sized
from dataclasses import dataclass, field, make_dataclass
from datetime import date
from functools import cache
from itertools import islice
from operator import attrgetter
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from casemgr.applicants import search
from casemgr.applicants.models import (
    Applicant,
    ApplicantAlias,
    RegistrationCounter,
    SharingRecord,
)
from casemgr.audit.models import AuditEvent
from casemgr.audit.services import AuditAction, record_many
from casemgr.cases.models import Case, CaseEvent, CaseNote
from casemgr.cases.transitions import RecordTypes, refresh_deadlines, summarise
from casemgr.database import indexes_built_after, insert_rows
from casemgr.hearings.models import CaseAttendance, Hearing, HearingStatus
from casemgr.needs.models import AssistanceNeed, SpecificNeed
from casemgr.statistics.facts import CaseHistory, add_facts, facts_for_person
from casemgr.statistics.models import StatisticsFact

BATCH_SIZE = 2000
# The tables that grow by a row or more per person written: an import into a small
# register builds their indexes after the rows (`indexes_built_after`).
BULK_TABLES = (Applicant.__table__, Case.__table__, CaseEvent.__table__,
               StatisticsFact.__table__, AuditEvent.__table__)


def _draft_type(name: str, table: sa.Table, *collections: str) -> Any:
    """A slotted class with one attribute per column (default None) plus list fields."""
    fields = [(column.key, Any, None) for column in table.columns]
    fields += [(collection, list, field(default_factory=list)) for collection in collections]
    return make_dataclass(name, fields, slots=True, kw_only=True)


ApplicantDraft = _draft_type("ApplicantDraft", Applicant.__table__, "aliases", "cases")
CaseDraft = _draft_type("CaseDraft", Case.__table__, "events", "notes", "hearings")
EventDraft = _draft_type("EventDraft", CaseEvent.__table__)
NoteDraft = _draft_type("NoteDraft", CaseNote.__table__)
HearingDraft = _draft_type("HearingDraft", Hearing.__table__)
SpecificNeedDraft = _draft_type("SpecificNeedDraft", SpecificNeed.__table__)
AssistanceNeedDraft = _draft_type("AssistanceNeedDraft", AssistanceNeed.__table__)
DRAFTS = RecordTypes(case=CaseDraft, event=EventDraft)


class _EventFacts(NamedTuple):
    """A status event as the statistics facts read it."""

    id: int
    from_status: str | None
    to_status: str
    outcome: str | None
    effective_date: date


@dataclass
class NewPerson:
    """A person to write: an ApplicantDraft whose `aliases` (names) and `cases` (CaseDrafts
    with `events`, `notes` and `hearings`) are filled in, plus the NGOs they consented to
    share with and their specific and assistance needs (drafts)."""

    applicant: Any
    sharing: list[tuple[int, date]] = field(default_factory=list)
    specific_needs: list[Any] = field(default_factory=list)
    assistance_needs: list[Any] = field(default_factory=list)


@dataclass
class Written:
    applicants: int = 0
    cases: int = 0
    registration_numbers: list[str] = field(default_factory=list)


def _chunks(items: Iterable[NewPerson], size: int) -> Iterator[list[NewPerson]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _row(obj: Any, table: sa.Table, **extra: Any) -> dict[str, Any]:
    """The column values of a transient object; unset columns with defaults are left to
    the database layer, so every row of a batch has the same keys."""
    keys, optional, read = _row_columns(table)
    row = {key: value for key, value, leave_out in zip(keys, read(obj), optional, strict=True)
           if value is not None or not leave_out}
    row.update(extra)
    return row


@cache
def _row_columns(table: sa.Table) -> tuple[tuple[str, ...], tuple[bool, ...],
                                           Callable[[Any], tuple[Any, ...]]]:
    """The columns' keys, whether an unset value is left out (an id, a default), and a
    reader of all of them from an object at once."""
    keys = tuple(column.key for column in table.columns)
    optional = tuple(bool(column.primary_key or column.default is not None)
                     for column in table.columns)
    return keys, optional, attrgetter(*keys)


def _insert_returning_ids(session: Session, table: sa.Table, rows: list[dict[str, Any]]
                          ) -> list[int]:
    """Insert rows and return their new ids in row order.

    PostgreSQL answers a multi-row INSERT ... RETURNING in parameter order. SQLite would
    make that one statement per row; there a plain executemany is followed by reading the
    n highest ids, which are ours: SQLite admits one writer at a time, so nobody else can
    insert between our rows inside this transaction.
    """
    if not rows:
        return []
    if session.get_bind().dialect.name != "sqlite":
        statement = table.insert().returning(table.c.id, sort_by_parameter_order=True)
        return list(session.execute(statement, rows).scalars())
    _insert(session, table, rows)
    newest = session.execute(sa.select(table.c.id).order_by(table.c.id.desc())
                             .limit(len(rows))).scalars().all()
    return list(reversed(newest))


_CACHE_SIZE = "casemgr.bulk.previous_cache_size"
SQLITE_CACHE_KIB = 256 * 1024


def _roomy_sqlite_cache(session: Session) -> None:
    """On SQLite, let this connection keep up to SQLITE_CACHE_KIB of pages in memory until
    it goes back to the pool. With the default 2 MB the indexes of a large import no longer
    fit: SQLite then spills dirty pages to the WAL mid-transaction and reads them back,
    again and again. Durability is untouched (same journal, same synchronous setting), and
    a cache only grows as far as pages are used."""
    connection = session.connection()
    if connection.dialect.name != "sqlite" or _CACHE_SIZE in connection.info:
        return
    driver: Any = connection.connection.driver_connection
    previous = driver.execute("PRAGMA cache_size").fetchone()[0]
    if previous >= 0 or -previous >= SQLITE_CACHE_KIB:
        return  # a size in pages, or already as large: leave it
    connection.info[_CACHE_SIZE] = previous
    driver.execute(f"PRAGMA cache_size = {-SQLITE_CACHE_KIB}")


@sa.event.listens_for(sa.pool.Pool, "checkin")
def _restore_sqlite_cache(dbapi_connection: Any, record: Any) -> None:
    """The connection is back in the pool, its transaction over: the usual cache again."""
    if dbapi_connection is not None and record is not None and _CACHE_SIZE in record.info:
        previous = int(record.info.pop(_CACHE_SIZE))
        dbapi_connection.execute(f"PRAGMA cache_size = {previous}")


def _insert(session: Session, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    insert_rows(session.connection(), table, rows)


def allocate_registration_numbers(session: Session, year: int, count: int) -> list[str]:
    """`count` unused YYYY-NNNNNN numbers from the year's counter, reserved in one step."""
    numbers: list[str] = []
    while len(numbers) < count:
        wanted = count - len(numbers)
        updated = session.execute(
            sa.update(RegistrationCounter).where(RegistrationCounter.year == year)
            .values(last_number=RegistrationCounter.last_number + wanted)
            .returning(RegistrationCounter.last_number)).scalar_one_or_none()
        if updated is None:
            session.execute(sa.insert(RegistrationCounter).values(year=year, last_number=wanted))
            updated = wanted
        block = [f"{year}-{n:06d}" for n in range(updated - wanted + 1, updated + 1)]
        taken = set(session.execute(sa.select(Applicant.registration_no).where(
            Applicant.registration_no.in_(block))).scalars())
        numbers.extend(n for n in block if n not in taken)
    return numbers


def write_people(
    session: Session,
    people: Iterable[NewPerson],
    *,
    actor: Any | None,
    audit_details: dict[str, Any] | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> Written:
    """Insert people with their aliases, indexed names, cases, history, notes, hearings,
    sharing and needs, and one `applicant.registered` audit event each. Given a list (its
    size known in advance), a large write into small tables builds their indexes after
    the rows (`indexes_built_after`); a stream keeps them."""
    written = Written()
    _roomy_sqlite_cache(session)
    size = len(people) if isinstance(people, Sized) else 0
    with indexes_built_after(session.connection(), BULK_TABLES, size):
        _write_batches(session, people, written, actor=actor, audit_details=audit_details,
                       batch_size=batch_size, progress=progress)
    return written


def _write_batches(session: Session, people: Iterable[NewPerson], written: Written, *,
                   actor: Any | None, audit_details: dict[str, Any] | None,
                   batch_size: int, progress: Callable[[int], None] | None) -> None:
    for batch in _chunks(people, batch_size):
        _number(session, batch)
        for person in batch:
            for case in person.applicant.cases:  # from each case's final state, once
                refresh_deadlines(case)
            summarise(person.applicant, person.applicant.cases[-1])
            search.index_names(person.applicant)
        applicant_ids = _insert_returning_ids(session, Applicant.__table__, [
            _row(p.applicant, Applicant.__table__) for p in batch])
        search.index_inserted(session.connection(), [
            (applicant_id, p.applicant.name_skeletons)
            for p, applicant_id in zip(batch, applicant_ids, strict=True)])
        aliases, cases, owners, sharing, needs = [], [], [], [], []
        for person, applicant_id in zip(batch, applicant_ids, strict=True):
            applicant = person.applicant
            applicant.id = applicant_id
            aliases += [{"applicant_id": applicant_id, "name": name} for name in applicant.aliases]
            for case in applicant.cases:
                case.applicant_id = applicant_id
                cases.append(_row(case, Case.__table__))
                owners.append(case)
            sharing += [{"applicant_id": applicant_id, "organisation_id": org, "granted_on": on,
                         "granted_by_id": getattr(actor, "id", None)}
                        for org, on in person.sharing]
            needs += [(need, applicant_id) for need in person.assistance_needs]
        _insert(session, ApplicantAlias.__table__, aliases)
        case_ids = _insert_returning_ids(session, Case.__table__, cases)
        events, notes, hearings, attendance = [], [], [], []
        histories: dict[int, list[CaseHistory]] = defaultdict(list)
        for case, case_id in zip(owners, case_ids, strict=True):
            history = CaseHistory(case_id, case.applicant_id, case.lodged_on, case.lodged_at,
                                  case.application_type, case.port_of_entry, case.status,
                                  case.status_since)
            histories[case.applicant_id].append(history)
            for e in case.events:
                # Stand-in ids in insertion order: the facts compare a person's event ids
                # only with each other, and the real ones ascend in this same order.
                history.events.append(_EventFacts(len(events), e.from_status, e.to_status,
                                                  e.outcome, e.effective_date))
                events.append(_row(e, CaseEvent.__table__, case_id=case_id))
            notes += [_row(n, CaseNote.__table__, case_id=case_id) for n in case.notes]
            hearings += [_row(h, Hearing.__table__, case_id=case_id,
                              applicant_id=case.applicant_id) for h in case.hearings]
            missed = sum(h.status == HearingStatus.NO_SHOW for h in case.hearings)
            if missed:
                attendance.append({"case_id": case_id, "no_shows": missed})
        _insert(session, CaseEvent.__table__, events)
        _insert(session, CaseNote.__table__, notes)
        _insert(session, SharingRecord.__table__, sharing)
        _insert(session, Hearing.__table__, hearings)
        _insert(session, CaseAttendance.__table__, attendance)
        _insert(session, SpecificNeed.__table__, [
            _row(need, SpecificNeed.__table__, applicant_id=p.applicant.id)
            for p in batch for need in p.specific_needs])
        _insert(session, AssistanceNeed.__table__, [
            _row(need, AssistanceNeed.__table__, applicant_id=applicant_id)
            for need, applicant_id in needs])
        record_many(session, AuditAction.APPLICANT_REGISTERED, actor=actor, events=[
            ({"audit_type": "applicant", "id": p.applicant.id, "audit_person_id": p.applicant.id},
             {"registration_no": p.applicant.registration_no, "cases": len(p.applicant.cases),
              **(audit_details or {})})
            for p in batch])
        add_facts(session, [
            fact for p in batch for fact in facts_for_person(
                p.applicant, histories[p.applicant.id],
                [need.category for need in p.specific_needs])])
        written.applicants += len(batch)
        written.cases += len(owners)
        written.registration_numbers += [p.applicant.registration_no for p in batch]
        if progress is not None:
            progress(written.applicants)


def _number(session: Session, batch: list[NewPerson]) -> None:
    """Give every person without a registration number one from their lodging year."""
    by_year: dict[int, list[Any]] = defaultdict(list)
    for person in batch:
        if not person.applicant.registration_no:
            by_year[person.applicant.cases[0].lodged_on.year].append(person.applicant)
    for year, applicants in by_year.items():
        for applicant, number in zip(applicants, allocate_registration_numbers(
                session, year, len(applicants)), strict=True):
            applicant.registration_no = number
