"""The columns of the applicant/case record (INTERFACES.md §3) and reading them from files.

One list of column names serves the import, the export and the web report, so a file the
export writes is a file the import reads. Files are read row by row (CSV with the standard
library, XLSX with openpyxl in read-only mode); every value arrives as a stripped string,
whatever type the spreadsheet cell had, and row numbers are those a spreadsheet shows
(the header is row 1).
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from flask_babel import gettext as _

PERSON_COLUMNS = ("registration_no", "family_name", "given_names", "native_name", "sex",
                  "date_of_birth", "nationality", "languages", "interpreter_needed",
                  "arrival_date", "port_of_entry", "family_group", "relationship")
CASE_COLUMNS = ("lodged_on", "lodged_at", "application_type", "status", "status_since",
                "referral_decision", "referral_decided_on", "decision_on", "decision",
                "objection_lodged_on", "objection_decided_on", "objection_decision")
COLUMNS = (*PERSON_COLUMNS, *CASE_COLUMNS, "specific_needs")
REQUIRED = frozenset({"family_name", "given_names", "sex", "date_of_birth", "nationality",
                      "lodged_on", "lodged_at"})
# Columns that must agree on every row of one person (rows sharing a registration_no).
AGREEING = (*PERSON_COLUMNS[1:], "specific_needs")
FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


class UnreadableFile(Exception):
    """The file is not a CSV or XLSX file this import can read (a message for the user)."""


@dataclass(frozen=True)
class Row:
    number: int  # as a spreadsheet shows it: the header is row 1
    values: dict[str, str]


def file_format(filename: str) -> str:
    suffix = Path(filename).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise UnreadableFile(_("Use a .csv or .xlsx file."))
    return suffix


def _cell_text(value: Any) -> str:
    """A spreadsheet cell as the text of the record format (dates as YYYY-MM-DD)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (value.date() if value.time() == datetime.min.time() else value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _csv_lines(stream: IO[bytes]) -> Iterator[list[str]]:
    text = codecs.getreader("utf-8-sig")(stream, errors="strict")
    try:
        yield from csv.reader(text)
    except UnicodeDecodeError:
        raise UnreadableFile(_("The CSV file is not UTF-8 text.")) from None
    except csv.Error as error:
        raise UnreadableFile(_("The CSV file is malformed: %(error)s", error=str(error))
                             ) from None


def _xlsx_lines(stream: IO[bytes]) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a damaged file
        raise UnreadableFile(_("The file is not a readable XLSX workbook.")) from error
    try:
        sheet = workbook.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield [_cell_text(value) for value in values]
    finally:
        workbook.close()


def read_rows(stream: IO[bytes], filename: str) -> tuple[list[str], Iterator[Row]]:
    """The header and the data rows (blank lines skipped, numbers kept)."""
    lines = (_xlsx_lines if file_format(filename) == "xlsx" else _csv_lines)(stream)
    header = [name.strip().lstrip("\ufeff") for name in next(lines, [])]
    while header and not header[-1]:
        header.pop()  # spreadsheets often carry empty trailing header cells

    def rows() -> Iterator[Row]:
        for number, values in enumerate(lines, start=2):
            if not any(value.strip() for value in values):
                continue
            yield Row(number, {name: (values[i].strip() if i < len(values) else "")
                               for i, name in enumerate(header)})

    return header, rows()
