"""Deterministic demo data, created through the same services as real data.

Organisations, one login per role, and applicants whose cases have moved through the
procedure with consistent dates: port-of-entry and in-country applications, households,
every status, decisions, objections, suits, sharing with an NGO and notes.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from casemgr.applicants.models import Applicant
from casemgr.applicants.services import (
    LodgingData,
    PersonData,
    grant_sharing,
    register_family,
)
from casemgr.auth.models import Organisation, OrganisationKind, Role, User
from casemgr.auth.services import create_organisation, create_user, find_organisation
from casemgr.cases.models import Case, CaseStatus, NoteVisibility
from casemgr.cases.services import add_note, transition_case, update_assignment
from casemgr.demo_people import demo_person

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


def _organisation(session: Session, name: str, kind: OrganisationKind) -> Organisation:
    return find_organisation(session, name) or create_organisation(
        session, name=name, kind=kind, actor=None)


def load_demo(session: Session, *, applicants: int, seed: int, today: date,
              progress: Callable[[int], None] = lambda _n: None) -> list[tuple[str, str, str]]:
    """Create the demo organisations, one user per role (those missing) and `applicants`
    people with their cases; return the logins. The same seed gives the same data."""
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
    story = _Story(session, random.Random(seed), today, users, organisations)
    created = 0
    while created < applicants:
        created += story.household(limit=applicants - created)
        progress(created)
    return logins


class _Story:
    """Writes one household at a time: registration, then the case's course so far."""

    def __init__(self, session: Session, rng: random.Random, today: date,
                 users: dict[str, User], organisations: list[Organisation]) -> None:
        self.session, self.rng, self.today = session, rng, today
        self.caseworker, self.supervisor = users["caseworker"], users["supervisor"]
        self.lawyer = users["lawyer"]
        self.legal_aid_ngo = organisations[1]

    def household(self, *, limit: int) -> int:
        rng = self.rng
        span = (self.today - FIRST_LODGING).days
        # Recent weeks are busier, so every clock has something running on it.
        lodged_on = self.today - timedelta(days=int(span * rng.random() ** 1.6))
        at_port = rng.random() < 0.2
        principal = demo_person(rng, lodged_on=lodged_on, adult=True)
        people = [self._person(principal, "principal" if limit > 1 else None, lodged_on)]
        if limit > 1 and rng.random() < 0.15:
            for _ in range(min(limit - 1, rng.choice((1, 1, 2, 3)))):
                relation = rng.choice(RELATIONSHIPS)
                member = demo_person(rng, lodged_on=lodged_on, nationality=principal.nationality,
                                     family_name=principal.family_name,
                                     adult=relation != "child")
                people.append(self._person(member, relation, lodged_on))
        if len(people) == 1:
            people[0].relationship = None
        lodging = LodgingData(lodged_on=lodged_on,
                              lodged_at="port_of_entry" if at_port else "in_country",
                              port_of_entry=rng.choice(PORTS) if at_port else None)
        registered = register_family(self.session, [(p, None) for p in people], lodging,
                                     actor=self.caseworker, today=lodged_on)
        for applicant in registered:
            self._course(applicant)
        return len(registered)

    def _person(self, person: object, relation: str | None, lodged_on: date) -> PersonData:
        rng = self.rng
        return PersonData(
            family_name=person.family_name, given_names=person.given_names,  # type: ignore[attr-defined]
            native_name=person.native_name, sex=person.sex,  # type: ignore[attr-defined]
            date_of_birth=person.date_of_birth,  # type: ignore[attr-defined]
            nationality=person.nationality, languages=person.languages,  # type: ignore[attr-defined]
            interpreter_needed=person.interpreter_needed,  # type: ignore[attr-defined]
            arrival_date=lodged_on - timedelta(days=rng.choice((0, 0, 0, 3, 20, 90, 400))),
            relationship=relation)

    # --- the course of a case ------------------------------------------------------------

    def _step(self, case: Case, to: CaseStatus, on: date, reason: str, *,
              outcome: str | None = None, notice_days: int | None = None) -> date | None:
        """Record a step if its date has come; return the date, or None (still pending)."""
        on = max(on, case.status_since)
        if on > self.today:
            return None
        notice = None
        if notice_days is not None:
            notice = min(on + timedelta(days=notice_days), self.today)
        actor = self.supervisor if to in {CaseStatus.RECOGNIZED, CaseStatus.HUMANITARIAN,
                                          CaseStatus.REJECTED} or case.status in {
            CaseStatus.OBJECTION, CaseStatus.RECOGNIZED, CaseStatus.LITIGATION} \
            else self.caseworker
        transition_case(self.session, case, to=to, effective_date=on, reason=reason,
                        outcome=outcome, notice_served_on=notice, actor=actor, today=self.today)
        return on

    def _course(self, applicant: Applicant) -> None:
        rng = self.rng
        case = applicant.cases[-1]
        day = case.lodged_on
        if case.status == CaseStatus.REFERRAL_PENDING:
            roll = rng.random()
            if roll < 0.78:
                day = self._step(case, CaseStatus.FIRST_INSTANCE, day + timedelta(
                    days=rng.randint(1, 7)), "Referred to the refugee status determination.")
            elif roll < 0.83:
                day = self._step(case, CaseStatus.FIRST_INSTANCE, day + timedelta(days=8),
                                 "No referral decision within 7 days: entry permitted.",
                                 outcome="lapsed")
            else:
                day = self._step(case, CaseStatus.NOT_REFERRED, day + timedelta(
                    days=rng.randint(2, 7)), "Manifestly unfounded claim.", notice_days=1)
                if day is not None:
                    self._after_non_referral(case, day)
                    return
            if day is None:
                return
        self._share(applicant, case)
        self._first_instance(case, day)

    def _after_non_referral(self, case: Case, day: date) -> None:
        rng = self.rng
        if rng.random() < 0.5:
            suit = self._step(case, CaseStatus.REFERRAL_LITIGATION,
                              day + timedelta(days=rng.randint(5, 60)), "Suit filed.")
            if suit is None:
                return
            if rng.random() < 0.3:
                annulled = self._step(case, CaseStatus.FIRST_INSTANCE, suit + timedelta(
                    days=rng.randint(60, 200)), "Court annulled the refusal.",
                    notice_days=3)
                if annulled is not None:
                    self._first_instance(case, annulled)
            else:
                self._step(case, CaseStatus.CLOSED, suit + timedelta(days=rng.randint(60, 200)),
                           "Suit dismissed; departed.", notice_days=3)
        else:
            self._step(case, CaseStatus.CLOSED, day + timedelta(days=rng.randint(91, 120)),
                       "Departed after the suit window closed.")

    def _first_instance(self, case: Case, day: date) -> None:
        rng = self.rng
        decided = day + timedelta(days=rng.randint(90, 420))
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
        decision = self._step(case, outcome, decided, "Decision on the merits.",
                              notice_days=rng.randint(1, 10))
        if decision is None or outcome == CaseStatus.RECOGNIZED:
            return
        self._after_decision(case, decision + timedelta(days=rng.randint(5, 14)))

    def _after_decision(self, case: Case, notice: date) -> None:
        rng = self.rng
        roll = rng.random()
        if roll < 0.6:
            lodged = self._step(case, CaseStatus.OBJECTION, notice + timedelta(
                days=rng.randint(3, 28)), "Objection lodged with the Minister.")
            if lodged is None:
                return
            outcome = rng.choices(
                ("dismissed", "accepted", "dismissed_humanitarian", "inadmissible", "withdrawn"),
                weights=(82, 3, 5, 4, 6))[0]
            target = {"dismissed": CaseStatus.REJECTED, "accepted": CaseStatus.RECOGNIZED,
                      "dismissed_humanitarian": CaseStatus.HUMANITARIAN,
                      "inadmissible": CaseStatus.CLOSED, "withdrawn": CaseStatus.WITHDRAWN}
            decided = self._step(case, target[outcome], lodged + timedelta(
                days=rng.randint(60, 240)), "Refugee Committee decision.", outcome=outcome,
                notice_days=rng.randint(1, 10))
            if decided is None or outcome not in {"dismissed", "dismissed_humanitarian"}:
                return
            if rng.random() < 0.35:
                self._step(case, CaseStatus.LITIGATION, decided + timedelta(
                    days=rng.randint(20, 85)), "Suit against the refusal filed.")
        elif roll < 0.75:
            self._step(case, CaseStatus.LITIGATION, notice + timedelta(days=rng.randint(20, 85)),
                       "Suit against the refusal filed.")
        elif roll < 0.9:
            self._step(case, CaseStatus.CLOSED, notice + timedelta(days=rng.randint(95, 200)),
                       "Negative outcome final; departed.")

    def _share(self, applicant: Applicant, case: Case) -> None:
        """About a quarter consent to share their file with the legal-aid NGO."""
        if self.rng.random() >= 0.25:
            return
        grant_sharing(self.session, applicant, self.legal_aid_ngo, actor=self.caseworker,
                      today=case.lodged_on)
        if self.rng.random() < 0.6:
            update_assignment(self.session, case, version=case.version,
                              assigned_to=case.assigned_to, actor=self.supervisor,
                              representing_org=self.legal_aid_ngo)
            add_note(self.session, case, body="Lawyer met the applicant; documents requested.",
                     visibility=NoteVisibility.SHARED, actor=self.lawyer)
        if self.rng.random() < 0.5:
            add_note(self.session, case, body="Interview preparation: check travel route.",
                     visibility=NoteVisibility.INTERNAL, actor=self.caseworker)
