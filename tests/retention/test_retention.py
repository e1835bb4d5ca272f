"""Retention: who is anonymised, what is removed, what stays (the statistics above all)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from casemgr.applicants import search
from casemgr.applicants.models import Applicant, ApplicantAlias, SharingRecord
from casemgr.applicants.services import (
    LodgingData,
    PersonData,
    find_duplicates,
    update_applicant,
)
from casemgr.audit.models import AuditEvent
from casemgr.audit.services import AuditAction, verify_chain
from casemgr.auth.models import Organisation, OrganisationKind, Role
from casemgr.cases.models import Case, CaseEvent, CaseNote, NoteVisibility
from casemgr.cases.services import lodge_case
from casemgr.exceptions import ValidationFailed
from casemgr.extensions import db
from casemgr.hearings.models import Hearing
from casemgr.localtime import today
from casemgr.needs.models import AssistanceNeed, SpecificNeed
from casemgr.retention import services
from casemgr.statistics import facts, tables
from tests.factories import Factories
from tests.statistics.helpers import TODAY, add_needs, advance, apply_again, person

YEARS = 10  # cutoff: 2016-03-31 for TODAY (2026-03-31)
PAST_YEARS = range(2008, 2026)


@dataclass
class World:
    old_closed: int  # rejected, then closed in 2012: anonymised
    young_at_event: int  # 14 only since shortly before the withdrawal (1 July would be 13)
    nearly_adult: int  # 17 at lodging, 1 July of the birth year would make them 18
    recent: int  # withdrawn in 2020: kept
    open_case: int  # pending since 2010: kept
    second_open: int  # an old withdrawn case and an open one: kept
    recognised: int  # recognised in 2009, never closed: kept
    old_case_id: int
    agency_id: int
    ngo_id: int


def build_world(factories: Factories) -> World:
    app = factories.app
    agency = factories.organisation()
    ngo = factories.organisation(OrganisationKind.NGO)
    worker = factories.user(Role.CASEWORKER, organisation=agency)

    old = person(factories, agency, date(2010, 3, 1), nationality="SYR", sex="F",
                 date_of_birth="1985-02-03")
    # Personal data in every place retention must clear, while the case is still open.
    hearing = factories.hearing(old.case_id)
    factories.specific_need(old.applicant_id, "SM-CI", actor=worker)
    factories.assistance_need(old.applicant_id, actor=worker, referred_to=ngo)
    factories.share(db_get(app, Applicant, old.applicant_id), ngo)
    with app.app_context():
        applicant = db.session.get_one(Applicant, old.applicant_id)
        applicant.native_name = "Мария"
        applicant.family_group = "FAM-1"
        applicant.relationship = "principal"
        applicant.aliases.append(ApplicantAlias(name="Maria Alias"))
        db.session.add(CaseNote(case_id=old.case_id, visibility=NoteVisibility.INTERNAL,
                                body="Lives with her brother Omar in Ansan"))
        scheduled = db.session.get_one(Hearing, hearing.id)
        scheduled.interpreter_name = "Kim Interpreter"
        scheduled.interpreter_key = "kim interpreter"
        scheduled.outcome_note = "Told us about her village"
        for need in db.session.scalars(sa.select(SpecificNeed)):
            need.note = "scar on the left arm"
        for need in db.session.scalars(sa.select(AssistanceNeed)):
            need.note = "needs a room near her sister"
            need.resolution_note = "placed with Ms Lee"
        search.index_names(applicant)
        db.session.commit()
    advance(app, old.case_id, ("rejected", date(2011, 2, 1)), ("closed", date(2012, 5, 1)))

    young = person(factories, agency, date(2011, 6, 1), ("withdrawn", date(2012, 4, 1)),
                   date_of_birth="1998-03-10", nationality="AFG")
    nearly = person(factories, agency, date(2013, 12, 10), ("rejected", date(2014, 1, 15)),
                    ("closed", date(2015, 6, 1)), date_of_birth="1995-12-20",
                    nationality="EGY")
    add_needs(app, nearly.applicant_id, "SC-UC")
    recent = person(factories, agency, date(2015, 1, 1), ("withdrawn", date(2020, 1, 1)))
    open_case = person(factories, agency, date(2010, 1, 1))
    second = person(factories, agency, date(2009, 1, 1), ("withdrawn", date(2010, 1, 1)))
    apply_again(app, second.applicant_id, date(2011, 1, 1))
    recognised = person(factories, agency, date(2008, 1, 1), ("recognized", date(2009, 1, 1)))
    return World(old.applicant_id, young.applicant_id, nearly.applicant_id,
                 recent.applicant_id, open_case.applicant_id, second.applicant_id,
                 recognised.applicant_id, old.case_id, agency.id, ngo.id)


def db_get(app: Flask, model: type[Any], ident: int) -> Any:
    with app.app_context():
        found = db.session.get_one(model, ident)
        db.session.expunge_all()
        return found


def run(app: Flask, **options: Any) -> services.RunResult:
    with app.app_context():
        return services.run(db.session, today=TODAY, years=YEARS, commit=db.session.commit,
                            **options)


def all_tables(app: Flask) -> dict[tuple[str, int], list[Any]]:
    with app.app_context():
        return {(name, year): sorted(query(db.session, year), key=repr)
                for name, query in tables.QUERIES.items() for year in PAST_YEARS}


def all_facts(app: Flask) -> list[tuple[Any, ...]]:
    with app.app_context():
        columns = [c for c in facts.facts_table.c if c.name != "id"]
        return sorted(tuple(row) for row in db.session.execute(sa.select(*columns)))


def snapshot(app: Flask) -> dict[str, Any]:
    """Every row of the tables retention may write, for "nothing written" checks."""
    with app.app_context():
        return {table.name: sorted(map(repr, db.session.execute(sa.select(table)).all()))
                for table in db.metadata.sorted_tables}


@pytest.fixture
def world(factories: Factories) -> World:
    return build_world(factories)


def test_the_right_people_are_picked(app, world):
    with app.app_context():
        picked = services.eligible_ids(db.session, services.cutoff_for(TODAY, YEARS))
    assert picked == sorted([world.old_closed, world.young_at_event, world.nearly_adult])
    assert services.cutoff_for(TODAY, YEARS) == date(2016, 3, 31)
    assert {"closed", "withdrawn", "terminated"} == services.FINAL_STATUSES


def test_a_case_closed_exactly_at_the_cutoff_counts_one_day_later_does_not(app, factories):
    agency = factories.organisation()
    on = person(factories, agency, date(2015, 1, 1), ("withdrawn", date(2016, 3, 31)))
    after = person(factories, agency, date(2015, 1, 1), ("withdrawn", date(2016, 4, 1)))
    with app.app_context():
        picked = services.eligible_ids(db.session, services.cutoff_for(TODAY, YEARS))
    assert on.applicant_id in picked
    assert after.applicant_id not in picked


def found_by_name(app: Flask, query: str) -> set[int]:
    with app.app_context():
        return set(db.session.scalars(
            search.search_applicants(db.session, sa.select(Applicant.id), query)))


def test_every_field_is_anonymised_and_the_rest_kept(app, world):
    before = db_get(app, Applicant, world.old_closed)
    assert world.old_closed in found_by_name(app, "Мария")  # the native name, indexed
    result = run(app)
    assert (result.eligible, result.anonymised, result.batches) == (3, 3, 1)
    with app.app_context():
        person_ = db.session.get_one(Applicant, world.old_closed)
        assert person_.anonymised_at is not None
        assert (person_.family_name, person_.given_names, person_.native_name) == (
            "ANONYMISED", "-", None)
        assert person_.display_name == "Anonymised person"
        assert person_.date_of_birth == "1985"
        assert person_.birth_reference_date == date(1985, 7, 1)
        assert (person_.family_group, person_.relationship) == (None, None)
        assert person_.aliases == []
        assert person_.version == before.version + 1
        # kept: what the statistics count, and the pseudonymous key
        assert (person_.nationality, str(person_.sex), person_.registration_no) == (
            "SYR", "F", before.registration_no)
        assert person_.name_skeletons == ""
        assert db.session.scalars(sa.select(CaseNote)).all() == []
        case = db.session.get_one(Case, world.old_case_id)
        assert case.closed_reason is None
        assert [str(e.to_status) for e in case.events] == ["first_instance", "rejected",
                                                            "closed"]
        assert {e.reason for e in case.events} == {""}
        assert [e.effective_date for e in case.events][1:] == [date(2011, 2, 1),
                                                              date(2012, 5, 1)]
        hearing = db.session.scalars(sa.select(Hearing)).one()
        assert (hearing.interpreter_name, hearing.interpreter_key, hearing.outcome_note) == (
            None, None, None)
        need = db.session.scalars(sa.select(SpecificNeed).where(
            SpecificNeed.applicant_id == world.old_closed)).one()
        assert (need.code, need.note) == ("SM-CI", "")
        help_ = db.session.scalars(sa.select(AssistanceNeed)).one()
        assert (help_.note, help_.resolution_note) == ("", "")
        sharing = db.session.scalars(sa.select(SharingRecord)).one()
        assert sharing.revoked_on == TODAY
        kept = db.session.get_one(Applicant, world.recent)
        assert kept.anonymised_at is None
        assert kept.family_name.startswith("TESTPERSON")
    assert world.old_closed not in found_by_name(app, "Maria")
    assert found_by_name(app, "anonymised") == set()


def test_the_reference_date_moves_off_1_july_only_when_ages_would_change(app, world):
    run(app)
    young = db_get(app, Applicant, world.young_at_event)
    nearly = db_get(app, Applicant, world.nearly_adult)
    # 14 on 1 April 2012 only if born by 1 April 1998 (1 July 1998 would make them 13)
    assert (young.date_of_birth, young.birth_reference_date) == ("1998", date(1998, 4, 1))
    # under 18 on 10 December 2013 only if born after 10 December 1995
    assert (nearly.date_of_birth, nearly.birth_reference_date) == ("1995", date(1995, 12, 11))


def test_statistics_of_every_past_year_are_identical(app, world, runner):
    before_tables, before_facts = all_tables(app), all_facts(app)
    assert any(before_tables.values())
    run(app)
    assert all_facts(app) == before_facts
    assert all_tables(app) == before_tables
    # and a full rebuild from the anonymised records gives the same again
    result = runner.invoke(args=["stats", "rebuild-facts"])
    assert result.exit_code == 0, result.output
    assert all_facts(app) == before_facts
    assert all_tables(app) == before_tables


def test_dry_run_writes_nothing(app, world, runner):
    before = snapshot(app)
    result = runner.invoke(args=["retention", "run", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "3 people would be anonymised" in result.output
    assert snapshot(app) == before


def test_audit_events_without_personal_data(app, world, runner):
    result = runner.invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    assert "anonymised 3 of 3 people in 1 batches" in result.output
    with app.app_context():
        events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action.in_(
            [AuditAction.APPLICANT_ANONYMISED, AuditAction.RETENTION_RUN]))
            .order_by(AuditEvent.id)).all()
        people = [e for e in events if e.action == AuditAction.APPLICANT_ANONYMISED]
        assert sorted(e.applicant_id for e in people) == sorted(
            [world.old_closed, world.young_at_event, world.nearly_adult])
        old = next(e for e in people if e.applicant_id == world.old_closed)
        assert old.details == {"cases": 1, "aliases_removed": 1, "notes_deleted": 1,
                               "sharing_revoked": 1, "retention_years": YEARS}
        summary = events[-1]
        assert summary.action == AuditAction.RETENTION_RUN
        cutoff = services.cutoff_for(today(), YEARS).isoformat()  # the command's today
        assert summary.details == {"retention_years": YEARS, "cutoff": cutoff,
                                   "eligible": 3, "anonymised": 3, "batches": 1}
        text = repr([e.details for e in events])
        for secret in ("Мария", "Maria", "Omar", "1985-02-03", "TESTPERSON", "Kim"):
            assert secret not in text
        assert verify_chain(db.session).intact


def test_a_second_run_does_nothing(app, world):
    assert run(app).anonymised == 3
    after_first = snapshot(app)
    second = run(app)
    assert (second.eligible, second.anonymised, second.batches) == (0, 0, 0)
    after_second = snapshot(app)
    # only the second run's summary event (and the chain head) were added
    changed = {name for name in after_first if after_first[name] != after_second[name]}
    assert changed <= {"audit_events", "audit_chain_head"}


def person_rows(app: Flask, applicant_id: int) -> list[Any]:
    """Everything stored about one person in the tables retention writes."""
    with app.app_context():
        rows: list[Any] = [repr(db.session.execute(sa.select(Applicant.__table__).where(
            Applicant.id == applicant_id)).one())]
        for model in (SpecificNeed, ApplicantAlias, SharingRecord):
            rows.append(sorted(map(repr, db.session.execute(sa.select(model.__table__).where(
                model.applicant_id == applicant_id)).all())))
        columns = [c for c in facts.facts_table.c if c.name != "id"]
        rows.append(sorted(map(tuple, db.session.execute(sa.select(*columns).where(
            facts.facts_table.c.applicant_id == applicant_id)).all())))
        return rows


def test_a_failing_batch_is_rolled_back_and_earlier_batches_stay(app, world, monkeypatch):
    before = person_rows(app, world.nearly_adult)
    original = services.anonymise_person

    def failing(session, applicant, *args, **kwargs):
        if applicant.id == world.nearly_adult:
            raise RuntimeError("disk full")
        return original(session, applicant, *args, **kwargs)

    monkeypatch.setattr(services, "anonymise_person", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        run(app, batch_size=2)  # batches: [old_closed, young_at_event], [nearly_adult]
    with app.app_context():
        done = db.session.scalars(sa.select(Applicant.id).where(
            Applicant.anonymised_at.is_not(None))).all()
        assert sorted(done) == sorted([world.old_closed, world.young_at_event])
        summary = db.session.scalars(sa.select(AuditEvent).where(
            AuditEvent.action == AuditAction.RETENTION_RUN)).one()
        assert summary.details["anonymised"] == 2
        assert summary.details["failed_batch"] == 2
        assert len(db.session.scalars(sa.select(AuditEvent).where(
            AuditEvent.action == AuditAction.APPLICANT_ANONYMISED)).all()) == 2
        assert verify_chain(db.session).intact
    assert person_rows(app, world.nearly_adult) == before

    monkeypatch.setattr(services, "anonymise_person", original)
    assert run(app).anonymised == 1


def test_anonymised_people_show_as_anonymised_in_the_ui(app, world, login_as):
    run(app)
    with app.app_context():
        registration_no = db.session.get_one(Applicant, world.old_closed).registration_no
    client = login_as(Role.CASEWORKER,
                      organisation=db_get(app, Organisation, world.agency_id))
    page = client.get(f"/applicants/{world.old_closed}")
    assert page.status_code == 200
    assert "Anonymised person" in page.get_data(as_text=True)
    assert "anonymised" in page.get_data(as_text=True).lower()
    listing = client.get("/applicants")
    assert listing.status_code == 200
    assert "Anonymised person" in listing.get_data(as_text=True)
    assert f"/applicants/{world.old_closed}/edit" not in page.get_data(as_text=True)
    search = client.get(f"/applicants?q={registration_no}")
    assert search.status_code == 200
    assert "Anonymised person" in search.get_data(as_text=True)


def test_anonymised_people_cannot_be_edited_or_given_a_case(app, world):
    run(app)
    with app.app_context():
        applicant = db.session.get_one(Applicant, world.old_closed)
        with pytest.raises(ValidationFailed, match="anonymised"):
            update_applicant(db.session, applicant, PersonData(
                family_name="NEW", given_names="Name", sex="F", date_of_birth="1985",
                nationality="SYR"), version=applicant.version, actor=None, today=TODAY)
        with pytest.raises(ValidationFailed, match="anonymised"):
            lodge_case(db.session, applicant, LodgingData(
                lodged_on=date(2026, 1, 1), lodged_at="in_country"), actor=None, today=TODAY)
        db.session.rollback()


def test_duplicate_detection_ignores_anonymised_people(app, world):
    run(app)
    with app.app_context():
        candidates = find_duplicates(db.session, PersonData(
            family_name="ANONYMISED", given_names="-", sex="F", date_of_birth="1985",
            nationality="SYR"), scope=sa.true())
        assert candidates == []
        # events stay as they were
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CaseEvent)) > 0


@pytest.mark.parametrize("app_overrides", [{"RETENTION_YEARS": 5}])
def test_the_command_uses_the_configured_period(app, world, runner):
    # five years before today (2026 or later): the case withdrawn in 2020 is old enough too
    result = runner.invoke(args=["retention", "run", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "4 people would be anonymised" in result.output


@pytest.mark.parametrize("app_overrides", [{"RETENTION_YEARS": 0}])
def test_a_period_under_one_year_is_refused(app, runner):
    result = runner.invoke(args=["retention", "run"])
    assert result.exit_code == 1
    assert "RETENTION_YEARS must be at least 1" in result.output
