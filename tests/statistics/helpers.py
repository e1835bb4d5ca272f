"""Building case histories for the statistics tests through the real services, and reading
cells back. Every expected figure in these tests is worked out by hand from the fixture."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Flask

from casemgr.applicants.models import Applicant
from casemgr.applicants.services import LodgingData
from casemgr.auth.models import Organisation
from casemgr.cases.models import Case
from casemgr.cases.services import lodge_case, transition_case
from casemgr.extensions import db
from casemgr.needs.models import SpecificNeed
from casemgr.statistics import tables
from casemgr.statistics.tables import DIMENSIONS, TOTAL, Cell
from tests.factories import Factories

# Later than every date in the fixtures, earlier than the real today.
TODAY = date(2026, 3, 31)

Step = tuple[str, date] | tuple[str, date, str]


@dataclass(frozen=True)
class Person:
    applicant_id: int
    case_id: int


def person(factories: Factories, agency: Organisation, lodged_on: date, *steps: Step,
           port: str | None = None, nationality: str = "RUS", sex: str = "M",
           date_of_birth: str = "1990-05-17") -> Person:
    """A person with one application (at `port`, else in the country) taken through
    `steps`: (status, effective date[, outcome])."""
    applicant = factories.applicant(
        agency=agency, lodged_on=lodged_on,
        lodged_at="port_of_entry" if port else "in_country", port_of_entry=port,
        nationality=nationality, sex=sex, date_of_birth=date_of_birth)
    found = Person(applicant.id, applicant.cases[0].id)
    advance(factories.app, found.case_id, *steps)
    return found


def advance(app: Flask, case_id: int, *steps: Step) -> None:
    """Move a case through status steps, committed (actor None: the system)."""
    if not steps:
        return
    with app.app_context():
        case = db.session.get_one(Case, case_id)
        for step in steps:
            to, effective = step[0], step[1]
            outcome = step[2] if len(step) == 3 else None  # type: ignore[misc]
            transition_case(db.session, case, to=to, effective_date=effective,
                            reason="test step", actor=None, outcome=outcome, today=TODAY)
        db.session.commit()


def apply_again(app: Flask, applicant_id: int, lodged_on: date, *steps: Step,
                port: str | None = None) -> int:
    """A subsequent application of the same person; returns its case id."""
    with app.app_context():
        applicant = db.session.get_one(Applicant, applicant_id)
        case = lodge_case(db.session, applicant, LodgingData(
            lodged_on=lodged_on, lodged_at="port_of_entry" if port else "in_country",
            port_of_entry=port), actor=None, today=TODAY)
        db.session.commit()
        case_id = case.id
    advance(app, case_id, *steps)
    return case_id


def add_needs(app: Flask, applicant_id: int, *codes: str) -> None:
    with app.app_context():
        for code in codes:
            db.session.add(SpecificNeed(applicant_id=applicant_id, code=code,
                                        category=code.split("-")[0],
                                        identified_on=date(2025, 1, 1)))
        db.session.commit()


def table(app: Flask, name: str, year: int) -> list[Cell]:
    with app.app_context():
        return tables.QUERIES[name](db.session, year)


def value(cells: list[Cell], measure: str = "persons", **dims: str) -> Any:
    """The value of the cell with these dimension values (unnamed ones TOTAL); None when
    there is no such cell (a zero cell is omitted)."""
    table_name = cells[0].table if cells else None
    if table_name is None:
        return None
    key = tuple(dims.get(name, TOTAL) for name in DIMENSIONS[table_name])
    unknown = set(dims) - set(DIMENSIONS[table_name])
    assert not unknown, f"{table_name} has no dimension {unknown}"
    found = [cell.value for cell in cells if cell.dims == key and cell.measure == measure]
    return found[0] if found else None


def fine(cells: list[Cell]) -> dict[tuple[str, ...], Any]:
    """The fine cells of a table (no TOTAL), as dims → persons."""
    return {cell.dims: cell.value for cell in cells
            if cell.measure == "persons" and not cell.is_total}
