"""The statistics facts: the person-level rules of `facts_for_person` on their edges, and
the facts table kept current through every way a record changes (a transition, an edit of
the person, a specific need, a bulk write, a rollback), equal to a full rebuild."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from casemgr.applicants.models import Applicant
from casemgr.applicants.services import PersonData, update_applicant
from casemgr.auth.models import Role, User
from casemgr.cases.models import Case
from casemgr.cases.services import transition_case
from casemgr.demo import load_demo
from casemgr.extensions import db
from casemgr.needs.models import SpecificNeed
from casemgr.needs.services import record_specific_need, remove_specific_need
from casemgr.statistics import facts
from casemgr.statistics.cli import stats_cli
from casemgr.statistics.facts import CaseHistory, Fact, facts_for_person
from casemgr.statistics.models import FactKind
from tests.statistics.helpers import TODAY, add_needs, advance, apply_again, fine, person, table
from tests.statistics.test_tables import first_instance_fixture, objection_fixture

D = date


def stored_facts() -> Counter[Fact]:
    """The facts table as a multiset of rows (ids left out)."""
    columns = [facts.facts_table.c[name] for name in Fact._fields]
    return Counter(Fact(*row) for row in db.session.execute(sa.select(*columns)))


def rebuilt_facts() -> Counter[Fact]:
    """What a full rebuild writes, without keeping it."""
    try:
        facts.rebuild_all(db.session, batch_size=7)
        return stored_facts()
    finally:
        db.session.rollback()


def assert_current(app: Flask) -> Counter[Fact]:
    """The stored facts are exactly what the records give now; returns them."""
    with app.app_context():
        stored = stored_facts()
        assert stored == rebuilt_facts()
        return stored


# --- the rules on their own -------------------------------------------------------------------

class Person:
    id = 1
    nationality = "RUS"
    sex = "F"

    def __init__(self, birth_reference_date: date | None = date(1990, 5, 17)) -> None:
        self.birth_reference_date = birth_reference_date


class Event:
    def __init__(self, id: int, source: str | None, target: str, on: date,
                 outcome: str | None = None) -> None:
        self.id, self.from_status, self.to_status = id, source, target
        self.effective_date, self.outcome = on, outcome


def case(lodged_on: date, *steps: tuple[str, date] | tuple[str, date, str],
         port: str | None = None, case_id: int = 1) -> CaseHistory:
    """A case lodged on a date and moved through (status, date[, outcome]) steps."""
    first = "referral_pending" if port else "first_instance"
    events = [Event(case_id * 100, None, first, lodged_on)]
    for number, step in enumerate(steps, start=1):
        events.append(Event(case_id * 100 + number, events[-1].to_status, step[0], step[1],
                            step[2] if len(step) == 3 else None))
    return CaseHistory(id=case_id, applicant_id=1, lodged_on=lodged_on,
                       lodged_at="port_of_entry" if port else "in_country",
                       application_type="first_time", port_of_entry=port,
                       status=events[-1].to_status, status_since=events[-1].effective_date,
                       events=events)


def of_kind(rows: list[Fact], kind: FactKind) -> list[tuple[Any, ...]]:
    """The rows of a kind without their empty columns, as (year, values...)."""
    return [(row.year, *(value for name, value in row._asdict().items()
                         if value is not None and name not in {"kind", "year", "applicant_id"}))
            for row in rows if row.kind == kind]


def test_a_case_pending_now_counts_for_every_later_year_from_one_ongoing_fact():
    rows = facts_for_person(Person(), [case(D(2022, 3, 1))], [])
    assert of_kind(rows, FactKind.PENDING_AT_YEAR_END) == [
        (2022, "RUS", "F", "FIRST_INSTANCE", "M6-11"),
        (2023, "RUS", "F", "FIRST_INSTANCE", "M12-23")]
    # From 31 December 2024 on: 24 months or more, whatever the year of the report.
    assert of_kind(rows, FactKind.PENDING_ONGOING) == [
        (2024, "RUS", "F", "FIRST_INSTANCE", "M_GE24")]


def test_past_year_ends_come_from_the_history_and_later_ones_from_the_current_status():
    rows = facts_for_person(Person(), [case(
        D(2022, 12, 31), ("rejected", D(2023, 5, 1)), ("objection", D(2023, 5, 20)),
        ("rejected", D(2025, 2, 1), "dismissed"), ("litigation", D(2025, 3, 1)))], [])
    assert of_kind(rows, FactKind.PENDING_AT_YEAR_END) == [
        (2022, "RUS", "F", "FIRST_INSTANCE", "M_LT6"),
        (2023, "RUS", "F", "OBJECTION", "M12-23"),    # 31 Dec 2022 + 12 months
        (2024, "RUS", "F", "OBJECTION", "M_GE24")]
    assert of_kind(rows, FactKind.PENDING_ONGOING) == [
        (2025, "RUS", "F", "LITIGATION", "M_GE24")]


def test_a_decided_case_has_no_ongoing_fact():
    rows = facts_for_person(Person(), [case(D(2025, 1, 10), ("rejected", D(2025, 3, 1)))], [])
    assert of_kind(rows, FactKind.PENDING_AT_YEAR_END) == []
    assert of_kind(rows, FactKind.PENDING_ONGOING) == []
    assert of_kind(rows, FactKind.PROCESSING_FIRST_INSTANCE) == [(2025, 50, True)]


def test_needs_count_once_per_category_in_every_year_with_an_application():
    rows = facts_for_person(Person(date(2010, 7, 1)), [
        case(D(2024, 2, 1), ("withdrawn", D(2024, 3, 1))),
        case(D(2025, 8, 1), case_id=2)], ["SC", "SC", "CR"])
    # 13 in February 2024, 15 in August 2025: under 18 both times.
    assert of_kind(rows, FactKind.SPECIFIC_NEED) == [
        (2024, "F", "Y_LT18", "CR"), (2024, "F", "Y_LT18", "SC"),
        (2025, "F", "Y_LT18", "CR"), (2025, "F", "Y_LT18", "SC")]
    assert of_kind(rows, FactKind.APPLICATION) == [
        (2024, "RUS", "F", "Y_LT14", "FIRST", "INLAND", 2),
        (2025, "RUS", "F", "Y14-17", "FIRST", "INLAND", 8)]


def test_without_a_birth_reference_date_ages_are_unknown():
    rows = facts_for_person(Person(None), [case(D(2025, 1, 10))], ["SM"])
    assert of_kind(rows, FactKind.APPLICATION)[0][3] == "UNK"
    assert of_kind(rows, FactKind.SPECIFIC_NEED) == [(2025, "F", "UNK", "SM")]


@pytest.mark.parametrize(("start", "end", "within"), [
    (D(2024, 8, 31), D(2025, 2, 28), True),    # 31 Aug + 6 months = 28 Feb
    (D(2024, 8, 31), D(2025, 3, 1), False),
    (D(2023, 8, 31), D(2024, 2, 29), True),    # ... = 29 Feb in a leap year
    (D(2024, 12, 31), D(2025, 6, 30), True),   # 31 Dec + 6 months = 30 Jun
    (D(2024, 12, 31), D(2025, 7, 1), False),
    (D(2025, 6, 30), D(2025, 12, 30), True),
    (D(2025, 6, 30), D(2025, 12, 31), False),
])
def test_within_six_months_keeps_the_day_and_clamps_to_the_month_end(start, end, within):
    assert facts.within_six_months(start, end) is within


@pytest.mark.parametrize(("reference", "event", "group"), [
    (D(2008, 2, 29), D(2026, 2, 27), "Y14-17"),
    (D(2008, 2, 29), D(2026, 2, 28), "Y18-34"),  # 18 on 28 Feb in a common year
    (D(2008, 2, 29), D(2024, 2, 28), "Y14-17"),  # 15 until 29 Feb in a leap year
    (D(2007, 3, 1), D(2025, 2, 28), "Y14-17"),
    (D(2007, 3, 1), D(2025, 3, 1), "Y18-34"),
    (D(1960, 12, 31), D(2025, 12, 31), "Y_GE65"),
    (D(2026, 1, 1), D(2025, 12, 31), "Y_LT14"),  # a reference date after the event
])
def test_age_group_in_completed_years_at_the_event(reference, event, group):
    assert facts.age_group(facts.age_at(reference, event)) == group


@pytest.mark.parametrize(("lodged_on", "band"), [
    (D(2024, 7, 1), "M_LT6"), (D(2024, 6, 30), "M6-11"), (D(2024, 1, 1), "M6-11"),
    (D(2023, 12, 31), "M12-23"), (D(2023, 1, 1), "M12-23"), (D(2022, 12, 31), "M_GE24"),
])
def test_duration_in_completed_months_to_31_december(lodged_on, band):
    assert facts.duration_band(lodged_on, D(2024, 12, 31)) == band


# --- kept current through the services --------------------------------------------------------

def test_a_transition_updates_the_persons_facts(app, factories):
    someone = person(factories, factories.organisation(), D(2025, 2, 1))
    assert table(app, "first_instance_decisions", 2025) == []
    assert fine(table(app, "pending", 2025)) == {("FIRST_INSTANCE", "RUS", "M", "M6-11"): 1}
    advance(app, someone.case_id, ("rejected", D(2025, 5, 1)))
    assert fine(table(app, "first_instance_decisions", 2025)) == {
        ("RUS", "M", "Y18-34", "REJECTED"): 1}
    assert table(app, "pending", 2025) == []
    assert_current(app)


def test_a_rolled_back_transition_leaves_the_facts_alone(app, factories):
    someone = person(factories, factories.organisation(), D(2025, 2, 1))
    before = assert_current(app)
    with app.app_context():
        found = db.session.get_one(Case, someone.case_id)
        transition_case(db.session, found, to="rejected", effective_date=D(2025, 6, 1),
                        reason="test step", actor=None, today=TODAY)
        db.session.flush()
        db.session.rollback()
        assert not db.session.info.get("statistics_facts.people")
        assert stored_facts() == before


def test_an_edit_of_the_person_changes_their_citizenship_and_age(app, factories):
    agency = factories.organisation()
    someone = person(factories, agency, D(2025, 2, 1), ("rejected", D(2025, 6, 1)))
    editor = factories.user(Role.CASEWORKER, organisation=agency)
    with app.app_context():
        applicant = db.session.get_one(Applicant, someone.applicant_id)
        update_applicant(db.session, applicant, PersonData(
            family_name=applicant.family_name, given_names=applicant.given_names, sex="F",
            date_of_birth="2010-01-01", nationality="KAZ"), version=applicant.version,
            actor=db.session.get_one(User, editor.id), today=TODAY)
        db.session.commit()
    assert fine(table(app, "applications", 2025)) == {
        ("KAZ", "F", "Y14-17", "FIRST", "INLAND"): 1}
    assert fine(table(app, "first_instance_decisions", 2025)) == {
        ("KAZ", "F", "Y14-17", "REJECTED"): 1}
    assert_current(app)


def test_a_specific_need_recorded_and_removed(app, factories):
    agency = factories.organisation()
    someone = person(factories, agency, D(2025, 2, 1))
    caseworker = factories.user(Role.CASEWORKER, organisation=agency)
    with app.app_context():
        need = record_specific_need(
            db.session, db.session.get_one(Applicant, someone.applicant_id), code="SM-CI",
            identified_on=D(2025, 3, 1), note="", actor=db.session.get_one(User, caseworker.id),
            today=TODAY)
        db.session.commit()
        need_id = need.id
    assert fine(table(app, "specific_needs", 2025)) == {("SM", "M", "Y18-59"): 1}
    assert_current(app)
    with app.app_context():
        remove_specific_need(db.session, db.session.get_one(SpecificNeed, need_id),
                             actor=db.session.get_one(User, caseworker.id))
        db.session.commit()
    assert table(app, "specific_needs", 2025) == []
    assert_current(app)


def test_a_second_application_replaces_the_earlier_years_facts(app, factories):
    someone = person(factories, factories.organisation(), D(2025, 2, 1),
                     ("withdrawn", D(2025, 3, 1)))
    apply_again(app, someone.applicant_id, D(2025, 5, 1), port="ICN")
    assert fine(table(app, "applications", 2025)) == {
        ("RUS", "M", "Y18-34", "FIRST", "INLAND"): 1}
    assert fine(table(app, "pending", 2025)) == {("REFERRAL", "RUS", "M", "M6-11"): 1}
    assert_current(app)


def test_the_bulk_writer_writes_the_facts_of_its_people(app):
    with app.app_context():
        load_demo(db.session, applicants=80, seed=11, today=TODAY)
        db.session.commit()
        people = db.session.execute(sa.select(sa.func.count()).select_from(Applicant))
        applied = db.session.execute(sa.select(sa.func.count(sa.distinct(Case.applicant_id))))
        assert people.scalar_one() == applied.scalar_one() == 80
    stored = assert_current(app)
    assert sum(count for row, count in stored.items() if row.kind == "application") >= 80


def test_facts_are_stored_as_given_whatever_columns_each_leaves_empty(app, factories):
    held = person(factories, factories.organisation(), D(2024, 2, 1))
    someone = held.applicant_id
    given = [
        Fact("application", 2025, someone, citizenship="RUS", sex="M", age_group=None,
             applicant_type="FIRST", place="INLAND", month=None),
        Fact("application", 2024, someone, citizenship="RUS", sex="M", age_group="Y18-34",
             applicant_type="FIRST", place="INLAND", month=2),
        Fact("processing_first_instance", 2024, someone, days=0, within_6_months=True),
        Fact("processing_first_instance", 2025, someone, days=400, within_6_months=False),
        Fact("pending_ongoing", 2025, someone, citizenship="RUS", sex="M", stage="FIRST"),
    ]
    with app.app_context():
        db.session.execute(sa.delete(facts.facts_table))
        facts.add_facts(db.session, given)
        db.session.commit()
        assert stored_facts() == Counter(given)


# --- the full rebuild -------------------------------------------------------------------------

def test_rebuild_facts_command_reproduces_the_incremental_facts(app, factories, runner):
    first_instance_fixture(factories)
    objection_fixture(factories)
    agency = factories.organisation()
    person(factories, agency, D(2022, 3, 1))
    held = person(factories, agency, D(2025, 4, 1), ("first_instance", D(2025, 5, 1), "lapsed"),
                  port="ICN", sex="F", date_of_birth="2012")
    add_needs(app, held.applicant_id, "SC-UC", "SM-CI")
    with app.app_context():
        incremental = stored_facts()
        people = db.session.execute(sa.select(sa.func.count()).select_from(Applicant))
        message = f"rebuilt {incremental.total()} statistics facts of {people.scalar_one()} people"
        db.session.execute(sa.delete(facts.facts_table))
        db.session.commit()
    result = runner.invoke(stats_cli, ["rebuild-facts", "--batch-size", "3"],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert message in result.output
    with app.app_context():
        assert stored_facts() == incremental


def test_rebuilding_an_empty_database(app, runner):
    result = runner.invoke(stats_cli, ["rebuild-facts"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "rebuilt 0 statistics facts of 0 people" in result.output


# --- the queries read one index each ----------------------------------------------------------

def test_each_table_is_an_index_only_scan_without_a_sort(app):
    from casemgr.statistics import tables

    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite's EXPLAIN QUERY PLAN")
        queries = [tables.count_query(kind, 2025, tables.DIMENSIONS[name])
                   for name, kind in tables.KINDS.items()]
        queries += [tables.ongoing_query(2025)]
        queries += [tables.histogram_query(kind, 2025)
                    for kind in tables.PROCESSING_KINDS.values()]
        for query in queries:
            compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
            plan = " / ".join(row[-1] for row in db.session.execute(
                sa.text(f"EXPLAIN QUERY PLAN {compiled}")))
            assert "COVERING INDEX ix_statistics_facts_" in plan, plan
            assert "TEMP B-TREE" not in plan, plan
