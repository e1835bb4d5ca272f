"""Deterministic demo data, built with the same rules as real data.

Organisations, one login per role, and applicants whose cases have moved through the
procedure with consistent dates: port-of-entry and in-country applications, households,
every status, decisions, objections, suits, subsequent applications, sharing with an NGO
and notes. People are checked by `services.check_person`, cases opened and moved by
`cases.transitions` (the rules behind every status change), and written by the bulk
writer the import uses, so a million applicants take minutes, not hours.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from itertools import islice
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from casemgr.applicants.bulk import DRAFTS, ApplicantDraft, NewPerson, NoteDraft, write_people
from casemgr.applicants.fields import birth_earliest
from casemgr.applicants.services import PERSON_FIELDS, LodgingData, PersonData, check_person
from casemgr.auth.models import Organisation, OrganisationKind, Role, User
from casemgr.auth.services import create_organisation, create_user, find_organisation
from casemgr.cases.models import CaseStatus, NoteVisibility
from casemgr.cases.transitions import apply_step, check_step, open_case
from casemgr.demo_people import DemoPerson, demo_person

DEMO_PASSWORD = "casemgr-demo-2026"  # noqa: S105 - published demo credential, demo data only
FIRST_LODGING = date(2022, 1, 3)

DEMO_ORGANISATIONS = (
    ("Incheon Airport Immigration Office (DEMO)", OrganisationKind.AGENCY),
    ("Refugee Legal Aid Centre (DEMO)", OrganisationKind.NGO),
    ("Harbour Shelter Network (DEMO)", OrganisationKind.NGO),
)

DEMO_USERS = (
    ("admin", "Ada Admin", Role.ADMIN, 0),
    ("supervisor", "Seo-yeon Park", Role.SUPERVISOR, 0),
    ("caseworker", "Min-jun Kim", Role.CASEWORKER, 0),
    ("lawyer", "Olga Smirnova", Role.LEGAL_AID, 1),
    ("analyst", "Ji-woo Lee", Role.ANALYST, 0),
    ("auditor", "Hyun-woo Choi", Role.AUDITOR, 0),
)
PORTS = ("ICN", "ICN", "ICN", "ICN", "GMP", "PUS", "CJU")
RELATIONSHIPS = ("spouse", "child", "child", "child", "parent", "sibling")
OBJECTION_TARGETS = {"dismissed": CaseStatus.REJECTED, "accepted": CaseStatus.RECOGNIZED,
                     "dismissed_humanitarian": CaseStatus.HUMANITARIAN,
                     "inadmissible": CaseStatus.CLOSED, "withdrawn": CaseStatus.WITHDRAWN}


def _organisation(session: Session, name: str, kind: OrganisationKind) -> Organisation:
    return find_organisation(session, name) or create_organisation(
        session, name=name, kind=kind, actor=None)


def load_demo(session: Session, *, applicants: int, seed: int, today: date,
              progress: Callable[[int], None] | None = None,
              commit_every: int | None = None) -> list[tuple[str, str, str]]:
    """Create the demo organisations, one user per role (those missing) and `applicants`
    people with their cases; return the logins. The same seed gives the same data.

    With `commit_every`, the data is committed in chunks of that many people, which keeps
    SQLite's write-ahead log small when millions are generated for benchmarks.
    """
    organisations = [_organisation(session, name, kind) for name, kind in DEMO_ORGANISATIONS]
    users: dict[str, User] = {}
    logins = []
    for username, full_name, role, org_index in DEMO_USERS:
        organisation = organisations[org_index]
        user = session.execute(sa.select(User).where(User.username == username)).scalar()
        users[username] = user or create_user(
            session, username=username, full_name=full_name, role=role,
            organisation=organisation, password=DEMO_PASSWORD, actor=None)
        logins.append((username, role.value, organisation.name))
    planner = _Planner(random.Random(seed), today, users, organisations)
    people = planner.people(applicants)
    done = 0
    while done < applicants:
        size = min(commit_every or applicants, applicants - done)
        written = write_people(session, islice(people, size), actor=users["caseworker"],
                               audit_details={"source": "demo"},
                               progress=progress and (lambda n, base=done: progress(base + n)))
        done += written.applicants
        if not written.applicants:
            break
        if commit_every:
            session.commit()
    return logins


class _Planner:
    """Plans one household at a time: registration, then each case's course so far."""

    def __init__(self, rng: random.Random, today: date, users: dict[str, User],
                 organisations: list[Organisation]) -> None:
        self.rng, self.today = rng, today
        self.caseworker, self.supervisor = users["caseworker"].id, users["supervisor"].id
        self.lawyer = users["lawyer"].id
        self.agency, self.legal_aid_ngo = organisations[0].id, organisations[1].id
        self.households = 0

    def people(self, count: int) -> Iterator[NewPerson]:
        made = 0
        while made < count:
            for person in self._household(limit=count - made):
                made += 1
                yield person

    def _household(self, *, limit: int) -> list[NewPerson]:
        rng = self.rng
        span = (self.today - FIRST_LODGING).days
        # Recent weeks are busier, so every clock has something running on it.
        lodged_on = self.today - timedelta(days=int(span * rng.random() ** 1.6))
        at_port = rng.random() < 0.2
        lodging = LodgingData(lodged_on=lodged_on,
                              lodged_at="port_of_entry" if at_port else "in_country",
                              port_of_entry=rng.choice(PORTS) if at_port else None)
        principal = demo_person(rng, lodged_on=lodged_on, adult=True)
        members: list[tuple[DemoPerson, str | None]] = [(principal, None)]
        if limit > 1 and rng.random() < 0.15:
            for _ in range(min(limit - 1, rng.choice((1, 1, 2, 3)))):
                relation = rng.choice(RELATIONSHIPS)
                members.append((demo_person(
                    rng, lodged_on=lodged_on, nationality=principal.nationality,
                    family_name=principal.family_name, adult=relation != "child"), relation))
        group = None
        if len(members) > 1:
            self.households += 1
            group = f"H{lodged_on.year}-{self.households:06d}"
            members[0] = (principal, "principal")
        return [self._person(person, relation, group, lodging) for person, relation in members]

    def _person(self, demo: DemoPerson, relation: str | None, group: str | None,
                lodging: LodgingData) -> NewPerson:
        rng = self.rng
        arrival = lodging.lodged_on - timedelta(days=rng.choice((0, 0, 0, 3, 20, 400)))
        if arrival < birth_earliest(demo.date_of_birth):  # a baby born here
            arrival = lodging.lodged_on
        data = PersonData(
            family_name=demo.family_name, given_names=demo.given_names,
            native_name=demo.native_name, sex=demo.sex, date_of_birth=demo.date_of_birth,
            nationality=demo.nationality, languages=demo.languages,
            interpreter_needed=demo.interpreter_needed,
            arrival_date=arrival,
            port_of_entry=lodging.port_of_entry, family_group=group, relationship=relation)
        reference = check_person(data, lodging, today=self.today)
        applicant = ApplicantDraft(**{name: getattr(data, name) for name in PERSON_FIELDS},
                                   birth_reference_date=reference, agency_id=self.agency,
                                   registered_by_id=self.caseworker)
        if rng.random() < 0.03:
            applicant.aliases.append(f"{demo.family_name} {demo.given_names[:1]}.")
        person = NewPerson(applicant)
        case = self._open(applicant, lodging.lodged_on, lodging)
        self._course(person, case)
        if case.status in {CaseStatus.CLOSED, CaseStatus.REJECTED} and rng.random() < 0.08:
            again = case.status_since + timedelta(days=rng.randint(30, 400))
            if again <= self.today:
                self._course(person, self._open(applicant, again, LodgingData(
                    lodged_on=again, lodged_at="in_country")))
        return person

    def _open(self, applicant: Any, lodged_on: date, lodging: LodgingData) -> Any:
        case = open_case(list(applicant.cases), lodged_on=lodged_on,
                         lodged_at=lodging.lodged_at, port_of_entry=lodging.port_of_entry,
                         application_type=None, actor_id=self.caseworker, today=self.today,
                         types=DRAFTS)
        case.assigned_to_id = self.caseworker
        applicant.cases.append(case)
        return case

    # --- the course of a case ------------------------------------------------------------

    def _step(self, case: Any, to: CaseStatus, on: date, reason: str, *,
              outcome: str | None = None, notice_days: int | None = None) -> date | None:
        """Take a step if its date has come; return the date, or None (still pending)."""
        on = max(on, case.status_since)
        if on > self.today:
            return None
        notice = None if notice_days is None else min(on + timedelta(days=notice_days),
                                                      self.today)
        checked = check_step(case, to=to, effective_date=on, reason=reason,
                             notice_served_on=notice, outcome=outcome, today=self.today)
        actor = self.supervisor if checked.step.decision else self.caseworker
        apply_step(case, checked, effective_date=on, notice_served_on=notice, reason=reason,
                   actor_id=actor, types=DRAFTS)
        return on

    def _course(self, person: NewPerson, case: Any) -> None:
        rng = self.rng
        day: date | None = case.lodged_on
        if case.status == CaseStatus.REFERRAL_PENDING:
            roll = rng.random()
            if roll < 0.78:
                day = self._step(case, CaseStatus.FIRST_INSTANCE, case.lodged_on + timedelta(
                    days=rng.randint(1, 7)), "Referred to the refugee status determination.")
            elif roll < 0.83:
                day = self._step(case, CaseStatus.FIRST_INSTANCE,
                                 case.lodged_on + timedelta(days=8),
                                 "No referral decision within 7 days: entry permitted.",
                                 outcome="lapsed")
            else:
                day = self._step(case, CaseStatus.NOT_REFERRED, case.lodged_on + timedelta(
                    days=rng.randint(2, 7)), "Manifestly unfounded claim.", notice_days=1)
                if day is not None:
                    self._after_non_referral(case, day)
                return
            if day is None:
                return
        self._share(person, case)
        self._first_instance(case, day)

    def _after_non_referral(self, case: Any, day: date) -> None:
        rng = self.rng
        if rng.random() < 0.5:
            suit = self._step(case, CaseStatus.REFERRAL_LITIGATION,
                              day + timedelta(days=rng.randint(5, 60)), "Suit filed.")
            if suit is None:
                return
            if rng.random() < 0.3:
                annulled = self._step(case, CaseStatus.FIRST_INSTANCE, suit + timedelta(
                    days=rng.randint(60, 200)), "Court annulled the refusal.", notice_days=3)
                if annulled is not None:
                    self._first_instance(case, annulled)
            else:
                self._step(case, CaseStatus.CLOSED, suit + timedelta(days=rng.randint(60, 200)),
                           "Suit dismissed; departed.", notice_days=3)
        else:
            self._step(case, CaseStatus.CLOSED, day + timedelta(days=rng.randint(91, 120)),
                       "Departed after the suit window closed.")

    def _first_instance(self, case: Any, day: date) -> None:
        rng = self.rng
        roll = rng.random()
        if roll < 0.05:
            self._step(case, CaseStatus.WITHDRAWN, day + timedelta(days=rng.randint(20, 200)),
                       "Withdrawn by the applicant.")
            return
        if roll < 0.07:
            self._step(case, CaseStatus.TERMINATED, day + timedelta(days=rng.randint(60, 200)),
                       "Three unexcused non-appearances.")
            return
        outcome = rng.choices((CaseStatus.REJECTED, CaseStatus.HUMANITARIAN,
                               CaseStatus.RECOGNIZED), weights=(88, 6, 6))[0]
        decision = self._step(case, outcome, day + timedelta(days=rng.randint(90, 420)),
                              "Decision on the merits.", notice_days=rng.randint(1, 10))
        if decision is not None and outcome != CaseStatus.RECOGNIZED:
            self._after_decision(case, decision + timedelta(days=rng.randint(5, 14)))

    def _after_decision(self, case: Any, notice: date) -> None:
        rng = self.rng
        roll = rng.random()
        if roll < 0.6:
            lodged = self._step(case, CaseStatus.OBJECTION, notice + timedelta(
                days=rng.randint(3, 28)), "Objection lodged with the Minister.")
            if lodged is None:
                return
            outcome = rng.choices(tuple(OBJECTION_TARGETS), weights=(82, 3, 5, 4, 6))[0]
            decided = self._step(case, OBJECTION_TARGETS[outcome], lodged + timedelta(
                days=rng.randint(60, 240)), "Refugee Committee decision.", outcome=outcome,
                notice_days=rng.randint(1, 10))
            if decided is not None and outcome in {"dismissed", "dismissed_humanitarian"} \
                    and rng.random() < 0.35:
                self._step(case, CaseStatus.LITIGATION, decided + timedelta(
                    days=rng.randint(20, 85)), "Suit against the refusal filed.")
        elif roll < 0.75:
            self._step(case, CaseStatus.LITIGATION, notice + timedelta(days=rng.randint(20, 85)),
                       "Suit against the refusal filed.")
        elif roll < 0.9:
            self._step(case, CaseStatus.CLOSED, notice + timedelta(days=rng.randint(95, 200)),
                       "Negative outcome final; departed.")

    def _share(self, person: NewPerson, case: Any) -> None:
        """About a quarter consent to share their file with the legal-aid NGO."""
        rng = self.rng
        if rng.random() >= 0.25:
            return
        person.sharing.append((self.legal_aid_ngo, case.lodged_on))
        if rng.random() < 0.6:
            case.representing_org_id = self.legal_aid_ngo
            case.notes.append(NoteDraft(
                author_id=self.lawyer, visibility=NoteVisibility.SHARED,
                body="Lawyer met the applicant; documents requested."))
        if rng.random() < 0.5:
            case.notes.append(NoteDraft(
                author_id=self.caseworker, visibility=NoteVisibility.INTERNAL,
                body="Interview preparation: check the travel route."))
