"""Importing applicant records: check the whole file, then write it in one transaction.

`import_file` never commits: the caller (the CLI command or the confirming view) commits
once at the end, so an interrupted import — a killed process, a database error in a later
batch — leaves the database as it was. The people are written by `bulk.write_people`
(one `applicant.registered` audit event each); this module adds the one
`applicant.imported` event with the counts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from casemgr.applicants import matching
from casemgr.applicants.bulk import allocate_registration_numbers, write_people
from casemgr.audit.services import AuditAction, record
from casemgr.exceptions import ImportRejected
from casemgr.exchange.columns import file_format, read_rows
from casemgr.exchange.validate import Plan, plan_import


@dataclass
class ImportResult:
    plan: Plan
    applicants: int = 0
    cases: int = 0
    written: bool = False


def check_file(session: Session, path: Path, *, filename: str, agency_id: int,
               actor: Any | None, scope: sa.ColumnElement[bool], today: date,
               progress: Callable[[int], None] | None = None) -> Plan:
    """The file's plan: its errors, or its people and duplicate warnings. Reads only."""
    with path.open("rb") as stream, matching.remembered_skeletons():
        header, rows = read_rows(stream, filename)
        return plan_import(session, header, rows, agency_id=agency_id,
                           actor_id=getattr(actor, "id", None), scope=scope, today=today,
                           progress=progress)


def _number(session: Session, plan: Plan) -> None:
    """Registration numbers for people without one, never one the file itself uses."""
    used = {p.applicant.registration_no for p in plan.people if p.applicant.registration_no}
    by_year: dict[int, list[Any]] = defaultdict(list)
    for person in plan.people:
        if not person.applicant.registration_no:
            by_year[person.applicant.cases[0].lodged_on.year].append(person.applicant)
    for year, applicants in by_year.items():
        numbers: list[str] = []
        while len(numbers) < len(applicants):
            block = allocate_registration_numbers(session, year, len(applicants) - len(numbers))
            numbers += [number for number in block if number not in used]
        for applicant, number in zip(applicants, numbers, strict=True):
            applicant.registration_no = number


def write_plan(session: Session, plan: Plan, *, actor: Any | None, source: str,
               reject_duplicates: bool = False,
               progress: Callable[[int], None] | None = None) -> ImportResult:
    """Write a checked plan (flushes, never commits). Refuses a plan with errors, and one
    with duplicate warnings when `reject_duplicates`."""
    if plan.errors:
        raise ImportRejected(plan.errors)
    if reject_duplicates and plan.warnings:
        raise ImportRejected([str(warning) for warning in plan.warnings])
    _number(session, plan)
    with matching.remembered_skeletons():
        written = write_people(session, plan.people, actor=actor,
                               audit_details={"source": "import"}, progress=progress)
    record(session, AuditAction.RECORDS_IMPORTED, actor=actor, details={
        "source": source, "rows": plan.rows, "applicants": written.applicants,
        "cases": written.cases, "duplicate_warnings": len(plan.warnings)})
    return ImportResult(plan, written.applicants, written.cases, written=True)


def import_file(session: Session, path: Path, *, filename: str | None = None,
                agency_id: int, actor: Any | None, scope: sa.ColumnElement[bool],
                today: date, dry_run: bool = False, reject_duplicates: bool = False,
                progress: Callable[[int], None] | None = None) -> ImportResult:
    """Check and (unless `dry_run`) write a file; raises ImportRejected with every
    problem when it has any. The caller commits."""
    filename = filename or path.name
    file_format(filename)
    with matching.remembered_skeletons():  # one memory for the check and the write
        plan = check_file(session, path, filename=filename, agency_id=agency_id,
                          actor=actor, scope=scope, today=today, progress=progress)
        if plan.errors:
            raise ImportRejected(plan.errors)
        if dry_run:
            if reject_duplicates and plan.warnings:
                raise ImportRejected([str(warning) for warning in plan.warnings])
            return ImportResult(plan, len(plan.people), plan.cases)
        return write_plan(session, plan, actor=actor, source=file_format(filename),
                          reject_duplicates=reject_duplicates, progress=progress)
