"""Building import files for the tests."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from casemgr.exchange.columns import COLUMNS


def row(**values: str) -> dict[str, str]:
    """A valid in-country application (2024) of an adult Russian man, with overrides."""
    base = {"family_name": "IVANOV", "given_names": "Ivan", "sex": "M",
            "date_of_birth": "1990-05-17", "nationality": "RUS", "lodged_on": "2024-03-04",
            "lodged_at": "in_country"}
    return {**base, **values}


def csv_text(rows: list[dict[str, str]], header: tuple[str, ...] | list[str] = COLUMNS) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(header), lineterminator="\r\n")
    writer.writeheader()
    for values in rows:
        writer.writerow({name: values.get(name, "") for name in header})
    return buffer.getvalue()


def write_csv(path: Path, rows: list[dict[str, str]], *, bom: bool = False, **kwargs: Any
              ) -> Path:
    path.write_text(("\ufeff" if bom else "") + csv_text(rows, **kwargs), encoding="utf-8")
    return path


def write_xlsx(path: Path, rows: list[dict[str, str]]) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(COLUMNS))
    for values in rows:
        sheet.append([values.get(name) or None for name in COLUMNS])
    workbook.save(path)
    return path


# Six people with histories for the statistics test (all lodged in 2024).
PEOPLE = [
    row(registration_no="T-1", family_name="PETROVA", given_names="Anna", sex="F",
        decision="rejected", decision_on="2024-09-02", objection_lodged_on="2024-09-20",
        objection_decided_on="2025-01-15", objection_decision="dismissed"),
    row(registration_no="T-2", family_name="SMIRNOV", given_names="Oleg",
        decision="recognized", decision_on="2024-10-01"),
    row(registration_no="T-3", family_name="NURLANOV", given_names="Aidos", nationality="KAZ",
        lodged_on="2024-02-01", lodged_at="port_of_entry", port_of_entry="ICN",
        referral_decision="referred", referral_decided_on="2024-02-05",
        decision="humanitarian", decision_on="2024-11-11", specific_needs="SM-CI"),
    row(registration_no="T-4", family_name="KOZLOV", given_names="Pavel",
        date_of_birth="1985", lodged_on="2024-05-06", status="withdrawn",
        status_since="2024-06-01"),
    row(registration_no="T-5", family_name="WANG", given_names="Li", nationality="CHN",
        date_of_birth="1979-02", lodged_on="2024-07-01", lodged_at="port_of_entry",
        port_of_entry="ICN", referral_decision="not_referred",
        referral_decided_on="2024-07-03", specific_needs="SV-VO;DS-PM"),
    row(registration_no="T-6", family_name="SOKOLOV", given_names="Ilya",
        lodged_on="2024-08-08", decision="rejected", decision_on="2024-12-20",
        status="litigation", status_since="2025-02-10", languages="rus;eng",
        interpreter_needed="yes", arrival_date="2024-08-01", native_name="Соколов Илья"),
]
