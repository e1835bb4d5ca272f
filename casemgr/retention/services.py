"""Retention: anonymising the people whose every case has been closed for long enough.

DOMAIN.md §Concurrency, history and privacy: closed cases older than a configurable period
(`RETENTION_YEARS`) are anonymised in bulk, and the statistics stay the same.

Who: a person (not yet anonymised) with at least one case, every one of them in a final
status (a status with no way out in `cases.lifecycle`: `closed`, `withdrawn`,
`terminated`) that it reached on or before the cutoff, today minus `RETENTION_YEARS`
years. `recognized` and `humanitarian` are not final (status may still be cancelled or
appealed), so a recognised refugee's record is kept. A registered person without any
case is not picked: nothing about them was ever decided, and a registration is not a
closed case. Eligibility is checked again, under a row lock, inside each batch's
transaction, so a case lodged or reopened meanwhile keeps its person out.

What changes, per person:
- names: family name `ANONYMISED`, given names `-` (the form's "none"), no native name;
  aliases are deleted and the indexed name text is emptied (`search.forget_names`), so no
  name search and no duplicate check (both go through that index) finds the person again;
- date of birth: reduced to the year (`YYYY`); the family group and relationship (which
  link the person to named relatives) are cleared. There are no contact details or
  document numbers in the model; if any are added, clear them here;
- case notes are deleted; the free text of the cases (closing and extension reasons),
  of their status events (reasons), hearings (interpreter name, outcome note), specific
  and assistance needs (notes, resolution notes) is cleared;
- sharing records: active ones are revoked (dated today, by "the system"), none deleted.
  Consent was given to let an NGO help with a case; with every case closed and the file
  reduced to statistics there is nothing left to help with, and a legal-aid user keeps no
  view of a file that no longer names anyone. The rows stay because they document who
  had access while the file was personal (the audit's "who saw this file" relies on it);
- kept, because the statistics count them: nationality, sex, every date and status of
  the cases and their events, hearing dates and kinds, need categories and dates; the
  registration number (a pseudonymous key the audit trail refers to);
- `anonymised_at` is set, and the version is bumped so an open edit form is stale.

Statistics: `statistics_facts` is rebuilt by a session hook whenever a person's applicant,
case, event or specific-need rows change, and `casemgr stats rebuild-facts` recomputes
everyone from the records. Both derive ages from `Applicant.birth_reference_date`, not
from the written date of birth. For a year-only date the usual reference is 1 July;
replacing a full birth date by it could move a person across an age-group bound (14, 18,
35, 60, 65) at one of their events and so change past tables. Keeping the old reference
date instead would keep the exact birthday, defeating the anonymisation; freezing the
facts of anonymised people (telling the hook and the rebuild to skip them) would make a
rebuild after a rule change silently skip them, and two sources of truth.

So anonymisation replaces the reference date by the day of the birth year closest to
1 July (earlier first on a tie) for which `facts.facts_for_person` gives exactly the
same facts as before, the original date being the last resort. For almost everyone that
is 1 July itself. The facts then follow from the anonymised record itself: the hook's
rebuild at commit, and any later `rebuild-facts`, produce the same rows, and statistics
of every past year are unchanged (tests/retention prove it). The chosen date says no
more about the birthday than `statistics_facts` already holds for that person (their age
group at each event). Each person's facts are compared before the batch commits, and a
mismatch fails the batch. If the counting rules change later, the anonymised people are
counted by the new rules from the reduced birth date, which is all that is left.

Transactions and audit: one transaction per batch (`BATCH_SIZE` people): a failure rolls
back only its own batch, earlier batches stay committed. Every person anonymised gets one
`applicant.anonymised` audit event (counts only, no personal data), and every run one
`retention.run` summary event. The audit trail's older events are not touched (it is
append-only and hash-chained); they never held names or birth dates
(`applicants.services.IDENTITY_FIELDS` are not copied into it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.orm import Session, scoped_session

from casemgr.applicants import search
from casemgr.applicants.models import Applicant, SharingRecord
from casemgr.audit.services import AuditAction, record, record_many
from casemgr.cases import lifecycle
from casemgr.cases.deadlines import add_months
from casemgr.cases.models import Case, CaseEvent, CaseNote, CaseStatus
from casemgr.database import utcnow
from casemgr.hearings.models import Hearing
from casemgr.needs.models import AssistanceNeed, SpecificNeed
from casemgr.statistics import facts

BATCH_SIZE = 500
DEFAULT_YEARS = 10
PLACEHOLDER_FAMILY_NAME = "ANONYMISED"
PLACEHOLDER_GIVEN_NAMES = "-"
# Statuses nothing follows: the case is over for good.
FINAL_STATUSES = frozenset(status for status in CaseStatus
                           if not lifecycle.allowed_targets(status))

DbSession = Session | scoped_session[Session]


class FactsChanged(RuntimeError):
    """Anonymising a person would change their statistics facts (never expected)."""


@dataclass(frozen=True)
class RunResult:
    cutoff: date
    eligible: int
    anonymised: int
    batches: int


def cutoff_for(today: date, years: int) -> date:
    """The latest day a case may have been closed on to be anonymised today."""
    return add_months(today, -12 * years)


def _eligible(cutoff: date) -> sa.ColumnElement[bool]:
    """Not anonymised, has a case, and every case final since the cutoff or earlier."""
    return sa.and_(
        Applicant.anonymised_at.is_(None),
        sa.exists().where(Case.applicant_id == Applicant.id),
        ~sa.exists().where(
            Case.applicant_id == Applicant.id,
            sa.or_(Case.status.not_in([str(s) for s in FINAL_STATUSES]),
                   Case.status_since > cutoff)),
    )


def eligible_ids(session: DbSession, cutoff: date) -> list[int]:
    """The ids of the people to anonymise for this cutoff, in id order."""
    return list(session.execute(
        sa.select(Applicant.id).where(_eligible(cutoff)).order_by(Applicant.id)).scalars())


# --- facts --------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Person:
    """What `facts.facts_for_person` reads of a person."""

    id: int
    nationality: str
    sex: str
    birth_reference_date: date | None


def _person(applicant: Applicant) -> _Person:
    return _Person(applicant.id, applicant.nationality, str(applicant.sex),
                   applicant.birth_reference_date)


def privacy_reference(person: _Person, birth_year: int, cases: Sequence[Case],
                      need_categories: Sequence[str]) -> date:
    """The day of `birth_year` closest to 1 July (earlier first on a tie) that gives the
    person the same statistics facts as their current reference date (which is the last
    resort, e.g. when it is not in `birth_year`)."""
    wanted = facts.facts_for_person(person, cases, need_categories)
    middle = date(birth_year, 7, 1)
    days = [date(birth_year, 1, 1) + timedelta(days=n)
            for n in range((date(birth_year + 1, 1, 1) - date(birth_year, 1, 1)).days)]
    for day in sorted(days, key=lambda d: (abs((d - middle).days), d)):
        if facts.facts_for_person(replace(person, birth_reference_date=day), cases,
                                  need_categories) == wanted:
            return day
    return person.birth_reference_date or middle


# --- anonymising --------------------------------------------------------------------------

def _need_categories(session: DbSession, ids: Sequence[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    for applicant_id, category in session.execute(
            sa.select(SpecificNeed.applicant_id, SpecificNeed.category)
            .where(SpecificNeed.applicant_id.in_(ids))):
        found[applicant_id].append(category)
    return found


def anonymise_person(session: DbSession, applicant: Applicant, need_categories: list[str],
                     *, now: datetime, today: date) -> dict[str, int]:
    """Anonymise one person (cases and their events loaded); returns counts for the audit
    event. Flushes nothing itself: the batch does."""
    case_ids = [case.id for case in applicant.cases]
    person = _person(applicant)
    year = int(applicant.date_of_birth[:4])
    reference = privacy_reference(person, year, applicant.cases, need_categories)
    before = facts.facts_for_person(person, applicant.cases, need_categories)
    after = facts.facts_for_person(replace(person, birth_reference_date=reference),
                                   applicant.cases, need_categories)
    if before != after:  # privacy_reference guarantees it; a safety net for the batch
        raise FactsChanged(f"applicant {applicant.id}: statistics facts would change")

    aliases = len(applicant.aliases)
    applicant.aliases.clear()
    applicant.family_name = PLACEHOLDER_FAMILY_NAME
    applicant.given_names = PLACEHOLDER_GIVEN_NAMES
    applicant.native_name = None
    applicant.date_of_birth = f"{year:04d}"
    applicant.birth_reference_date = reference
    applicant.family_group = None
    applicant.relationship = None
    applicant.anonymised_at = now
    applicant.version += 1
    search.forget_names(applicant)

    notes = 0
    if case_ids:
        notes = session.execute(
            sa.delete(CaseNote).where(CaseNote.case_id.in_(case_ids))).rowcount or 0
        session.execute(sa.update(Case).where(Case.id.in_(case_ids)).values(
            closed_reason=None, decision_extension_reason=None,
            objection_extension_reason=None), execution_options={"synchronize_session": False})
        session.execute(sa.update(CaseEvent).where(CaseEvent.case_id.in_(case_ids))
                        .values(reason=""), execution_options={"synchronize_session": False})
    session.execute(sa.update(Hearing).where(Hearing.applicant_id == applicant.id).values(
        interpreter_name=None, interpreter_key=None, outcome_note=None),
        execution_options={"synchronize_session": False})
    session.execute(sa.update(SpecificNeed).where(SpecificNeed.applicant_id == applicant.id)
                    .values(note=""), execution_options={"synchronize_session": False})
    session.execute(sa.update(AssistanceNeed)
                    .where(AssistanceNeed.applicant_id == applicant.id)
                    .values(note="", resolution_note=""),
                    execution_options={"synchronize_session": False})
    revoked = session.execute(
        sa.update(SharingRecord).where(SharingRecord.applicant_id == applicant.id,
                                       SharingRecord.revoked_on.is_(None))
        .values(revoked_on=today, revoked_by_id=None),
        execution_options={"synchronize_session": False}).rowcount or 0
    return {"cases": len(case_ids), "aliases_removed": aliases, "notes_deleted": notes,
            "sharing_revoked": revoked}


def anonymise_batch(session: DbSession, ids: Sequence[int], *, cutoff: date, today: date,
                    years: int) -> int:
    """Anonymise the people of `ids` that are still eligible, in the session's current
    transaction (the caller commits); returns how many."""
    people = session.execute(
        sa.select(Applicant).where(Applicant.id.in_(ids), _eligible(cutoff))
        .options(orm.selectinload(Applicant.cases).selectinload(Case.events),
                 orm.selectinload(Applicant.aliases))
        .order_by(Applicant.id).with_for_update(of=Applicant)).scalars().all()
    if not people:
        return 0
    needs = _need_categories(session, [p.id for p in people])
    now = utcnow()
    events = []
    for applicant in people:
        counts = anonymise_person(session, applicant, needs[applicant.id], now=now,
                                  today=today)
        events.append((applicant, {**counts, "retention_years": years}))
    session.flush()
    record_many(session, AuditAction.APPLICANT_ANONYMISED, actor=None, events=events)
    return len(people)


def run(session: DbSession, *, today: date, years: int, commit: Callable[[], None],
        batch_size: int = BATCH_SIZE, dry_run: bool = False,
        progress: Callable[[int], None] | None = None) -> RunResult:
    """Anonymise everyone eligible today and record the run; `commit` (the caller's) ends
    each batch's transaction, `progress` hears how many people each batch held. A dry run
    only counts: it writes nothing and ends its read transaction with a rollback.

    A failing batch is rolled back, the run is recorded with what was done until then
    (`failed_batch`), and the error propagates: earlier batches stay committed."""
    cutoff = cutoff_for(today, years)
    ids = eligible_ids(session, cutoff)
    session.rollback()
    if dry_run:
        return RunResult(cutoff, len(ids), 0, 0)
    anonymised = batches = 0
    summary = {"retention_years": years, "cutoff": cutoff.isoformat(), "eligible": len(ids)}
    for start in range(0, len(ids), batch_size):
        chunk = ids[start:start + batch_size]
        try:
            done = anonymise_batch(session, chunk, cutoff=cutoff, today=today, years=years)
            commit()
        except Exception:  # recorded and re-raised: the batch is undone, not hidden
            session.rollback()
            record(session, AuditAction.RETENTION_RUN, details={
                **summary, "anonymised": anonymised, "batches": batches,
                "failed_batch": batches + 1})
            commit()
            raise
        anonymised += done
        batches += 1
        if progress is not None:
            progress(len(chunk))
    record(session, AuditAction.RETENTION_RUN, details={
        **summary, "anonymised": anonymised, "batches": batches})
    commit()
    return RunResult(cutoff, len(ids), anonymised, batches)
