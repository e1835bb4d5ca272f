"""Exporting applicant records in the §3 columns, streamed.

People are read in keyset batches of BATCH_SIZE (by id), each batch with two more queries
— its cases and its specific needs — so the number of queries grows with the batches, not
the rows, and memory holds one batch. CSV is produced as text chunks; XLSX with openpyxl's
write-only workbook (rows go to a temporary file, never held in memory).

What the user may see decides what is written: the people come from the scope query with
the applicant list's own filters, and the specific needs from
`needs.services.specific_needs_query`, which drops sensitive codes (SV, TR, SM-MI) for
whoever may not see them. One row per case: a person with two applications gives two rows
sharing a `registration_no`, which the import reads back as one person.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from casemgr.applicants.models import Applicant
from casemgr.cases.models import Case
from casemgr.exchange.columns import CASE_COLUMNS, COLUMNS, PERSON_COLUMNS
from casemgr.needs.models import SpecificNeed

BATCH_SIZE = 2000
CHUNK_SIZE = 64 * 1024
_CASE_FIELDS = list(CASE_COLUMNS)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def export_rows(session: Session, people: sa.Select[Any], needs: sa.Select[Any] | None
                ) -> Iterator[list[str]]:
    """The rows (without the header) of the people `people` selects (a select of
    Applicant); `needs` is the select of SpecificNeed rows the reader may see (None: all).
    Counted rows are the yielded ones."""
    person_columns = [Applicant.id, *(getattr(Applicant, name) for name in PERSON_COLUMNS)]
    case_columns = [Case.applicant_id, *(getattr(Case, name) for name in _CASE_FIELDS)]
    last = 0
    while True:
        batch = session.execute(
            people.with_only_columns(*person_columns).where(Applicant.id > last)
            .order_by(None).order_by(Applicant.id).limit(BATCH_SIZE)).all()
        if not batch:
            return
        low, high = batch[0].id, batch[-1].id
        cases: dict[int, list[Any]] = defaultdict(list)
        for row in session.execute(sa.select(*case_columns).where(
                Case.applicant_id.between(low, high)).order_by(
                Case.applicant_id, Case.lodged_on, Case.id)):
            cases[row.applicant_id].append(row)
        codes: dict[int, list[str]] = defaultdict(list)
        need_query = (needs if needs is not None else sa.select(SpecificNeed))
        need_query = need_query.with_only_columns(
            SpecificNeed.applicant_id, SpecificNeed.code).where(
            SpecificNeed.applicant_id.between(low, high)).order_by(
            SpecificNeed.applicant_id, SpecificNeed.id)
        for applicant_id, code in session.execute(need_query):
            codes[applicant_id].append(code)
        for person in batch:
            head = [_text(getattr(person, name)) for name in PERSON_COLUMNS]
            needs_text = ";".join(codes.get(person.id, []))
            for case in cases.get(person.id, []):
                yield [*head, *(_text(getattr(case, name)) for name in _CASE_FIELDS),
                       needs_text]
        last = high


def csv_chunks(rows: Iterator[list[str]]) -> Iterator[str]:
    """CSV text in chunks of about CHUNK_SIZE characters, header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(row)
        if buffer.tell() >= CHUNK_SIZE:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_xlsx(rows: Iterator[list[str]], target: IO[bytes]) -> None:
    """A one-sheet workbook in write-only mode; every cell is text, so codes and dates
    come back exactly as written."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("applicants")
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append(row)
    workbook.save(target)


def xlsx_chunks(rows: Iterator[list[str]]) -> Iterator[bytes]:
    with tempfile.TemporaryFile() as spool:
        write_xlsx(rows, spool)
        spool.seek(0)
        while block := spool.read(CHUNK_SIZE):
            yield block


def chunks(rows: Iterator[list[str]], file_format: str) -> Iterator[bytes]:
    if file_format == "xlsx":
        yield from xlsx_chunks(rows)
    else:
        for text in csv_chunks(rows):
            yield text.encode("utf-8")


class Counter:
    """Counts the rows an iterator passed on (for the audit event after streaming)."""

    def __init__(self, rows: Iterator[list[str]]) -> None:
        self.rows, self.count = rows, 0

    def __iter__(self) -> Iterator[list[str]]:
        for row in self.rows:
            self.count += 1
            yield row
