"""A year's statistics as CSV, JSON or XLSX files (STATISTICS.md §File formats).

Files are produced table by table from a generator: only one table's cells are ever held
in memory, CSV and JSON go out as they are written, and XLSX rows go to openpyxl's
write-only workbook (which keeps them in temporary files, not in memory) before the zip is
streamed. The web views and the `casemgr stats annual` command both use `chunks`.

File contents are in English whatever the user's language, so every copy of a release is
the same file; the pages carry the translated labels.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from itertools import groupby
from typing import IO, Any

import sqlalchemy as sa
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session, scoped_session

from casemgr.database import utcnow
from casemgr.statistics import disclosure, tables
from casemgr.statistics.tables import COLUMNS, DIMENSIONS, TABLE_MEASURES, Cell

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# How XLSX marks a suppressed value (the UK Government Statistical Service's convention).
SUPPRESSED_MARK = "[c]"
CHUNK_SIZE = 64 * 1024
# PostgreSQL sort memory for the report's transaction (a year's ranked rows, ~25 MB at
# 200,000 applications a year); the default 4 MB would spill every sort to disk.
REPORT_WORK_MEM = "64MB"
NUMBER_FORMATS = {"refugee_recognition_rate": "0.0000", "total_protection_rate": "0.0000",
                  "share_within_6_months": "0.0000", "median_days": "0.0"}


@dataclass(frozen=True)
class Release:
    """One production of a year's tables: internal (exact) or public (protected)."""

    year: int
    public: bool
    generated_at: datetime

    @classmethod
    def now(cls, year: int, *, public: bool) -> Release:
        return cls(year, public, utcnow().replace(microsecond=0))

    @property
    def name(self) -> str:
        return "public" if self.public else "internal"

    def filename(self, file_format: str) -> str:
        return f"casemgr-statistics-{self.year}-{self.name}.{file_format}"


def begin_report(session: Session | scoped_session[Session]) -> None:
    """Start the report's transaction. On PostgreSQL: one snapshot for every table
    (REPEATABLE READ), so a decision recorded while a file is written cannot appear in one
    table and not in another; no JIT compilation, which costs more than it saves on these
    one-off aggregates; and enough sort memory for a year's rows not to spill to disk.
    Takes effect only before the transaction's first statement (callers commit first).
    SQLite needs none of it."""
    actual = session() if isinstance(session, scoped_session) else session
    if actual.get_bind().dialect.name == "postgresql" and not actual.in_transaction():
        connection = actual.connection(
            execution_options={"isolation_level": "REPEATABLE READ"})
        connection.execute(sa.text("SET LOCAL jit = off"))
        connection.execute(sa.text(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'"))


def release_tables(session: Session, release: Release) -> Iterator[tuple[str, list[Cell]]]:
    """The release's tables one at a time, protected when the release is public."""
    for name, cells in tables.annual_tables(session, release.year):
        yield name, disclosure.protect(name, cells) if release.public else cells


def metadata(release: Release) -> dict[str, Any]:
    """What every file says about itself: year, time, release, disclosure, definitions."""
    return {
        "year": release.year,
        "generated_at": release.generated_at.isoformat(),
        "release": release.name,
        "disclosure": disclosure.description(release.public),
        "definitions": {
            **tables.GENERAL_DEFINITIONS,
            "columns": ", ".join(COLUMNS),
            "value": ("The figure; empty (JSON null) when status is suppressed. Zero cells "
                      "are omitted."),
            "tables": dict(tables.DEFINITIONS),
        },
    }


def value_text(cell: Cell) -> str:
    """The value as written in CSV and JSON: counts whole, rates and shares with 4
    decimals, median_days with 1, empty when suppressed."""
    return "" if cell.value is None else str(cell.value)


def csv_record(year: int, cell: Cell) -> list[str]:
    dimensions = cell.dimensions()
    return [cell.table, str(year), *(dimensions.get(name, "") for name in
                                     tables.DIMENSION_COLUMNS),
            cell.measure, value_text(cell), cell.status]


def csv_chunks(session: Session, release: Release) -> Iterator[str]:
    """The header, then one chunk of rows per table."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for _name, cells in release_tables(session, release):
        writer.writerows(csv_record(release.year, cell) for cell in cells)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def _json_row(year: int, cell: Cell) -> str:
    """One row object, keys in the CSV's order; the value keeps its published precision
    (0.5000 stays 0.5000; it is a JSON number either way)."""
    fields = {"table": json.dumps(cell.table), "year": str(year)}
    fields.update({name: json.dumps(value) for name, value in cell.dimensions().items()})
    fields["measure"] = json.dumps(cell.measure)
    fields["value"] = "null" if cell.value is None else str(cell.value)
    fields["status"] = json.dumps(cell.status)
    ordered = [(name, fields[name]) for name in COLUMNS if name in fields]
    return "{" + ", ".join(f"{json.dumps(name)}: {text}" for name, text in ordered) + "}"


def json_chunks(session: Session, release: Release) -> Iterator[str]:
    """`{"metadata": {...}, "rows": [...]}`, one chunk per table."""
    yield '{"metadata": ' + json.dumps(metadata(release), ensure_ascii=False) + ', "rows": ['
    separator = "\n"
    for _name, cells in release_tables(session, release):
        if cells:
            yield separator + ",\n".join(_json_row(release.year, cell) for cell in cells)
            separator = ",\n"
    yield "\n]}\n"


def _xlsx_value(cell: Cell | None) -> Any:
    if cell is None:
        return None
    if cell.value is None:
        return SUPPRESSED_MARK
    return float(cell.value) if isinstance(cell.value, Decimal) else cell.value


def _notes(release: Release, table: str) -> list[str]:
    notes = [tables.DEFINITIONS[table]]
    if release.public:
        notes.append("Public release: citizenships with fewer than 10 persons in the table are "
                     "grouped as OTHER; counts are rounded to multiples of 5 and need not add "
                     "up; [c] = suppressed to protect the people concerned (see metadata).")
    else:
        notes.append("Internal release: exact figures, not for publication.")
    notes.append("TOTAL rows are in bold. Zero cells are omitted.")
    return notes


def _write_table_sheet(workbook: Workbook, release: Release, table: str,
                       cells: list[Cell]) -> None:
    """One readable, wide sheet: a title, notes, then one row per combination of the
    table's dimensions with one column per measure."""
    sheet = workbook.create_sheet(table)
    names, measures = DIMENSIONS[table], TABLE_MEASURES[table]
    for index in range(len(names) + len(measures)):
        sheet.column_dimensions[get_column_letter(index + 1)].width = (
            16 if index < len(names) else 24)
    bold = Font(bold=True)
    title = WriteOnlyCell(sheet, f"{tables.TITLES[table]}, {release.year} ({release.name})")
    title.font = Font(bold=True, size=14)
    sheet.append([title])
    for note in _notes(release, table):
        sheet.append([note])
    sheet.append([])
    header = []
    for label in (*names, *measures):
        cell = WriteOnlyCell(sheet, label)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for dims, group in groupby(cells, key=lambda cell: cell.dims):
        by_measure = {cell.measure: cell for cell in group}
        total = tables.TOTAL in dims
        row = []
        for value in (*dims, *(_xlsx_value(by_measure.get(m)) for m in measures)):
            written = WriteOnlyCell(sheet, value)
            if total:
                written.font = bold
            row.append(written)
        for measure, written in zip(measures, row[len(names):], strict=True):
            if measure in NUMBER_FORMATS and isinstance(written.value, float):
                written.number_format = NUMBER_FORMATS[measure]
        sheet.append(row)


def _write_metadata_sheet(workbook: Workbook, release: Release) -> None:
    sheet = workbook.create_sheet("metadata")
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 120
    info = metadata(release)
    title = WriteOnlyCell(sheet, f"casemgr annual statistics {release.year}")
    title.font = Font(bold=True, size=14)
    sheet.append([title])
    for key in ("year", "generated_at", "release"):
        sheet.append([key, info[key]])
    for section in ("disclosure", "definitions"):
        sheet.append([])
        heading = WriteOnlyCell(sheet, section)
        heading.font = Font(bold=True)
        sheet.append([heading])
        for key, value in info[section].items():
            if isinstance(value, dict):
                for name, text in value.items():
                    sheet.append([f"{key}.{name}", text])
            else:
                text = ", ".join(map(str, value)) if isinstance(value, list) else value
                sheet.append([key, text])


def write_xlsx(session: Session, release: Release, target: IO[bytes]) -> None:
    """The workbook: a `metadata` sheet first, then one sheet per table."""
    workbook = Workbook(write_only=True)
    _write_metadata_sheet(workbook, release)
    for name, cells in release_tables(session, release):
        _write_table_sheet(workbook, release, name, cells)
    workbook.save(target)


def _xlsx_chunks(session: Session, release: Release) -> Iterator[bytes]:
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spool:
        write_xlsx(session, release, spool)
        spool.seek(0)
        while block := spool.read(CHUNK_SIZE):
            yield block


def chunks(session: Session, release: Release, file_format: str) -> Iterator[bytes]:
    """The file in pieces of bytes, for a streamed HTTP response or the command line."""
    if file_format not in FORMATS:
        raise ValueError(f"unknown format {file_format!r}")
    begin_report(session)
    if file_format == "xlsx":
        yield from _xlsx_chunks(session, release)
        return
    text = csv_chunks if file_format == "csv" else json_chunks
    for chunk in text(session, release):
        yield chunk.encode("utf-8")
