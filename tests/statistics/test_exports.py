"""CSV, JSON and XLSX files and the `casemgr stats annual` command (INTERFACES.md §2)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import openpyxl
import pytest
import sqlalchemy as sa

from casemgr.audit.models import AuditEvent
from casemgr.extensions import db
from casemgr.statistics.cli import stats_cli
from casemgr.statistics.tables import TABLES
from tests.statistics.helpers import person

HEADER = ("table,year,citizenship,sex,age_group,age_band,applicant_type,place,port,outcome,"
          "days_band,stage,duration,need_category,measure,value,status")


def run(runner, *args: str):
    return runner.invoke(stats_cli, ["annual", *args], catch_exceptions=False)


@pytest.fixture
def decided(factories):
    """Three persons of 2025: two RUS decisions on the merits, one KAZ applicant."""
    agency = factories.organisation()
    person(factories, agency, date(2025, 1, 10), ("recognized", date(2025, 3, 1)), sex="F")
    person(factories, agency, date(2025, 1, 10), ("rejected", date(2025, 4, 1)))
    person(factories, agency, date(2025, 2, 1), nationality="KAZ")


def test_csv_columns_in_order_long_layout_and_exact_values(runner, decided):
    result = run(runner, "--year", "2025", "--format", "csv")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == HEADER
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert {row["table"] for row in rows} == {"applications", "first_instance_decisions",
                                              "pending", "processing_times"}
    recognized = [row for row in rows if row["table"] == "first_instance_decisions"
                  and row["outcome"] == "RECOGNIZED"]
    assert recognized == [{
        "table": "first_instance_decisions", "year": "2025", "citizenship": "RUS", "sex": "F",
        "age_group": "Y18-34", "age_band": "", "applicant_type": "", "place": "", "port": "",
        "outcome": "RECOGNIZED", "days_band": "", "stage": "", "duration": "",
        "need_category": "", "measure": "persons", "value": "1", "status": ""}]
    rate = next(row for row in rows if row["measure"] == "refugee_recognition_rate"
                and row["citizenship"] == "TOTAL")
    assert rate["value"] == "0.5000"  # 1 of 2, with its 4 decimals
    grand = next(row for row in rows if row["table"] == "applications"
                 and row["citizenship"] == "TOTAL")
    assert grand["value"] == "3"
    assert all(row["value"] not in {"", "0"} for row in rows)  # zero cells omitted


def test_json_has_metadata_and_rows_with_only_the_columns_a_table_uses(runner, decided):
    result = run(runner, "--year", "2025", "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    metadata = document["metadata"]
    assert metadata["year"] == 2025
    assert metadata["release"] == "internal"
    assert metadata["disclosure"]["applied"] is False
    assert set(metadata["definitions"]["tables"]) == set(TABLES)
    assert "generated_at" in metadata
    row = next(row for row in document["rows"] if row["table"] == "applications"
               and row["citizenship"] == "KAZ" and row["sex"] != "TOTAL")
    assert list(row) == ["table", "year", "citizenship", "sex", "age_group", "applicant_type",
                         "place", "measure", "value", "status"]
    assert row["value"] == 1
    rate = next(row for row in document["rows"] if row["measure"] == "total_protection_rate"
                and row["citizenship"] == "TOTAL")
    assert rate["value"] == 0.5


def test_xlsx_has_a_readable_sheet_per_table_and_metadata(runner, decided, tmp_path):
    target = tmp_path / "stats.xlsx"
    result = run(runner, "--year", "2025", "--format", "xlsx", "--output", str(target))
    assert result.exit_code == 0, result.output
    workbook = openpyxl.load_workbook(target, read_only=True)
    assert workbook.sheetnames == ["metadata", *TABLES]
    metadata = {row[0]: row[1] for row in workbook["metadata"].iter_rows(values_only=True)
                if len(row) > 1 and row[0]}
    assert metadata["year"] == 2025
    assert metadata["release"] == "internal"
    rows = list(workbook["first_instance_decisions"].iter_rows(values_only=True))
    assert rows[0][0].startswith("First-instance decisions, 2025")
    header = next(i for i, row in enumerate(rows) if row and row[0] == "citizenship")
    assert rows[header] == ("citizenship", "sex", "age_group", "outcome", "persons",
                            "refugee_recognition_rate", "total_protection_rate")
    width = len(rows[header])
    body = [(*row, *(None,) * (width - len(row))) for row in rows[header + 1:] if row and row[0]]
    assert ("RUS", "F", "Y18-34", "RECOGNIZED", 1, None, None) in body
    assert ("TOTAL", "TOTAL", "TOTAL", "TOTAL", 2, 0.5, 0.5) in body
    empty = list(workbook["referral_decisions"].iter_rows(values_only=True))
    assert empty[-1] == ("port", "citizenship", "outcome", "days_band", "persons")


def test_public_export_is_protected(runner, decided):
    result = run(runner, "--year", "2025", "--format", "csv", "--public")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert {row["citizenship"] for row in rows} <= {"", "OTHER", "TOTAL"}
    counts = [row for row in rows if row["measure"] in {"persons", "n"}]
    assert counts and all(int(row["value"]) % 5 == 0 for row in counts)
    rates = [row for row in rows if row["measure"].endswith(("_rate", "_days", "_months"))]
    assert rates and all(row["value"] == "" and row["status"] == "suppressed"
                         for row in rates)


def test_output_file_and_the_export_is_audited(app, runner, decided, tmp_path):
    target = tmp_path / "stats.csv"
    result = run(runner, "--year", "2025", "--format", "CSV", "--output", str(target))
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8").splitlines()[0] == HEADER
    with app.app_context():
        event = db.session.execute(sa.select(AuditEvent).where(
            AuditEvent.action == "statistics.exported")).scalar_one()
        assert event.details == {"year": 2025, "format": "csv", "release": "internal",
                                 "output": str(target)}


def test_xlsx_to_standard_output_when_it_is_not_a_terminal(runner, decided):
    result = runner.invoke(stats_cli, ["annual", "--year", "2025", "--format", "xlsx"])
    assert result.exit_code == 0
    workbook = openpyxl.load_workbook(io.BytesIO(result.stdout_bytes), read_only=True)
    assert "applications" in workbook.sheetnames


def test_a_year_without_data_gives_headers_only(runner):
    result = run(runner, "--year", "1995", "--format", "csv")
    assert result.exit_code == 0
    assert result.output.splitlines() == [HEADER]
    document = json.loads(run(runner, "--year", "1995", "--format", "json").output)
    assert document["rows"] == []


@pytest.mark.parametrize(("args", "message"), [
    (["--year", "1993", "--format", "csv"], "invalid year '1993': use a year from 1994 to"),
    (["--year", "next", "--format", "csv"], "invalid year 'next'"),
    (["--year", "2025", "--format", "pdf"], "unknown format 'pdf': use one of csv, json, "
                                            "xlsx"),
])
def test_invalid_input_exits_1_with_one_clear_line(runner, args, message):
    result = runner.invoke(stats_cli, ["annual", *args])
    assert result.exit_code == 1
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_a_year_after_the_current_one_is_refused(runner):
    next_year = date.today().year + 1
    result = runner.invoke(stats_cli, ["annual", "--year", str(next_year), "--format", "csv"])
    assert result.exit_code == 1
    assert f"invalid year '{next_year}'" in result.output


def test_missing_format_is_a_usage_error(runner):
    assert runner.invoke(stats_cli, ["annual", "--year", "2025"]).exit_code == 2


def test_missing_output_directory_is_a_clear_error_and_nothing_is_recorded(app, runner,
                                                                          tmp_path):
    result = runner.invoke(stats_cli, ["annual", "--year", "2025", "--format", "csv",
                                       "--output", str(tmp_path / "no" / "file.csv")])
    assert result.exit_code == 1
    assert "no such directory" in result.output
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "statistics.exported")).scalar_one() == 0
