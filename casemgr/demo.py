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
from datetime import date, time, timedelta
from itertools import islice
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from casemgr.applicants.bulk import (
    DRAFTS,
    ApplicantDraft,
    AssistanceNeedDraft,
    HearingDraft,
    NewPerson,
    NoteDraft,
    SpecificNeedDraft,
    write_people,
)
from casemgr.applicants.fields import birth_earliest
from casemgr.applicants.services import PERSON_FIELDS, LodgingData, PersonData, check_person
from casemgr.auth.models import Organisation, OrganisationKind, Role, User
from casemgr.auth.services import create_organisation, create_user, find_organisation
from casemgr.cases.lifecycle import PENDING
from casemgr.cases.models import CaseStatus, LodgedAt, NoteVisibility
from casemgr.cases.transitions import apply_step, check_step, open_case
from casemgr.demo_people import DemoPerson, demo_person
from casemgr.hearings import times
from casemgr.hearings.models import HearingKind, HearingStatus
from casemgr.hearings.services import slot_values
from casemgr.needs import codes
from casemgr.needs.models import NeedCategory, NeedPriority, NeedStatus

DEMO_PASSWORD = "casemgr-demo-2026"  # noqa: S105 - published demo credential, demo data only
FIRST_LODGING = date(2022, 1, 3)

DEMO_ORGANISATIONS = (
    ("Incheon Airport Immigration Office (DEMO)", OrganisationKind.AGENCY),
    ("Refugee Legal Aid Centre (DEMO)", OrganisationKind.NGO),
    ("Harbour Shelter Network (DEMO)", OrganisationKind.NGO),
)

DEMO_USERS = (
    ("admin", "Ada Admin", Role.ADMIN, 0, "F"),
    ("supervisor", "Seo-yeon Park", Role.SUPERVISOR, 0, "F"),
    ("caseworker", "Min-jun Kim", Role.CASEWORKER, 0, "M"),
    ("lawyer", "Olga Smirnova", Role.LEGAL_AID, 1, "F"),
    ("analyst", "Ji-woo Lee", Role.ANALYST, 0, None),
    ("auditor", "Hyun-woo Choi", Role.AUDITOR, 0, None),
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
    for username, full_name, role, org_index, sex in DEMO_USERS:
        organisation = organisations[org_index]
        user = session.execute(sa.select(User).where(User.username == username)).scalar()
        users[username] = user or create_user(
            session, username=username, full_name=full_name, role=role, sex=sex,
            organisation=organisation, password=DEMO_PASSWORD, actor=None)
        logins.append((username, role.value, organisation.name))
    # Hearings and needs draw from their own generator, so adding them left the people and
    # cases of every seed as they were.
    extras = _HearingsAndNeeds(random.Random(f"hearings-and-needs-{seed}"), today, users,
                               organisations)
    planner = _Planner(random.Random(seed), today, users, organisations, extras)
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
                 organisations: list[Organisation], extras: _HearingsAndNeeds) -> None:
        self.rng, self.today, self.extras = rng, today, extras
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
        self.extras.plan(person)
        return person

    def _open(self, applicant: Any, lodged_on: date, lodging: LodgingData) -> Any:
        case = open_case(list(applicant.cases), lodged_on=lodged_on,
                         lodged_at=lodging.lodged_at, port_of_entry=lodging.port_of_entry,
                         application_type=None, actor_id=self.caseworker, today=self.today,
                         types=DRAFTS, refresh=False)  # the bulk writer refreshes
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
                   actor_id=actor, types=DRAFTS, refresh=False)
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


# --- hearings and needs -----------------------------------------------------------------------

ROOMS = ("Interview room 1", "Interview room 2", "Seoul Administrative Court, courtroom 301",
         "Refugee Committee hearing room")
COURT_LANE, COMMITTEE_LANE = 2, 3
SLOT_TIMES = (time(9), time(10, 30), time(13, 30), time(15))
SLOT_MINUTES = 90
BOOKING_HORIZON_DAYS = 120
INTERPRETER_FAMILY = ("Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang",
                      "Lim")
INTERPRETER_GIVEN = ("Soo-ah", "Ji-hoon", "Min-seo", "Hye-won", "Dong-hyun", "Eun-ji",
                     "Tae-yang", "Na-rae", "Sung-min", "Yu-jin")
DECISIONS = frozenset({CaseStatus.RECOGNIZED, CaseStatus.HUMANITARIAN, CaseStatus.REJECTED})
NEED_CODES = ("SM-CI", "DS-PM", "PG-LC", "ER-NF", "WR-WR", "LP-ND", "FU-TR", "SP-PT",
              "SM-OT", "TR-PI", "SV-VO", "SM-MI", "LP-RR", "DS-BD")
SHELTER_NEEDS = (NeedCategory.SHELTER, NeedCategory.FOOD, NeedCategory.CASH)
PORT_HELD = frozenset({CaseStatus.REFERRAL_PENDING, CaseStatus.NOT_REFERRED})


class _HearingsAndNeeds:
    """Plans each person's hearings (past ones with their outcomes, future ones in free
    slots) and needs, as drafts for the bulk writer.

    Future hearings take the next free slot of a lane. A lane has its own room, interviewer
    and interpreters, and no person has two future hearings, so no two scheduled demo
    hearings clash; past hearings all have an outcome and block nothing.
    """

    def __init__(self, rng: random.Random, today: date, users: dict[str, User],
                 organisations: list[Organisation]) -> None:
        self.rng, self.today = rng, today
        self.caseworker, self.supervisor = users["caseworker"].id, users["supervisor"].id
        self.legal_aid_ngo, self.shelter_ngo = organisations[1].id, organisations[2].id
        self.days = [day for day in (today + timedelta(days=n)
                                     for n in range(1, BOOKING_HORIZON_DAYS + 1))
                     if day.weekday() < 5]
        self.booked = [0] * len(ROOMS)
        self.interpreters: dict[tuple[int, str], str] = {}

    def plan(self, person: NewPerson) -> None:
        applicant = person.applicant
        for case in applicant.cases:
            self._past(applicant, case)
        current = applicant.cases[-1]
        if current.status in PENDING:
            self._pending(applicant, current)
        self._needs(person, current)

    # hearings

    def _hearing(self, applicant: Any, case: Any, kind: HearingKind, day: date, clock: time,
                 status: HearingStatus, *, lane: int, note: str | None = None) -> None:
        starts_at = times.at(day, clock)
        interviewer = (None if lane in {COURT_LANE, COMMITTEE_LANE}
                       else (self.caseworker, self.supervisor)[lane])
        language = applicant.languages.split(";")[0] if applicant.interpreter_needed else None
        interpreter = self._interpreter(lane, language) if language else None
        rng = self.rng
        case.hearings.append(HearingDraft(
            kind=kind, starts_at=starts_at, duration_minutes=SLOT_MINUTES,
            location=ROOMS[lane], interviewer_id=interviewer, interpreter_name=interpreter,
            interpreter_language=language,
            representative_attending=case.representing_org_id is not None,
            same_sex_interviewer_requested=rng.random() < 0.05,
            recording_consent=rng.random() < 0.5, status=status, outcome_note=note,
            created_by_id=self.caseworker,
            **slot_values(starts_at, SLOT_MINUTES, ROOMS[lane], interpreter)))

    def _interpreter(self, lane: int, language: str) -> str:
        """One interpreter per lane and language, never the same person in two lanes."""
        key = (lane, language)
        if key not in self.interpreters:
            n = len(self.interpreters)
            family = INTERPRETER_FAMILY[n % len(INTERPRETER_FAMILY)]
            given = INTERPRETER_GIVEN[n // len(INTERPRETER_FAMILY) % len(INTERPRETER_GIVEN)]
            suffix = f" {n // 100 + 1}" if n >= 100 else ""
            self.interpreters[key] = f"{family} {given}{suffix}"
        return self.interpreters[key]

    def _past_day(self, earliest: date, latest: date) -> date | None:
        """A day in [earliest, latest] that is over (hearings today may still be on)."""
        latest = min(latest, self.today - timedelta(days=1))
        if latest < earliest:
            return None
        return earliest + timedelta(days=self.rng.randint(0, (latest - earliest).days))

    def _past(self, applicant: Any, case: Any) -> None:
        """The hearings behind the steps a case took: a referral interview, the refugee
        status interview before a decision (sometimes postponed once), three missed
        interviews before a termination, an objection hearing."""
        rng = self.rng
        entered: dict[CaseStatus, date] = {}
        for event in case.events:
            start = entered.get(event.from_status) if event.from_status else None
            end = event.effective_date
            lane = rng.randrange(2)
            if start is not None and event.from_status == CaseStatus.REFERRAL_PENDING \
                    and rng.random() < 0.6:
                day = self._past_day(start, end)
                if day is not None:
                    self._hearing(applicant, case, HearingKind.REFERRAL_INTERVIEW, day,
                                  time(10), HearingStatus.HELD, lane=lane)
            elif start is not None and event.from_status == CaseStatus.FIRST_INSTANCE:
                if event.to_status in DECISIONS:
                    day = self._past_day(start + timedelta(days=14), end - timedelta(days=7))
                    if day is not None and rng.random() < 0.1:
                        earlier = self._past_day(start, day - timedelta(days=1))
                        if earlier is not None:
                            self._hearing(applicant, case, HearingKind.RSD_INTERVIEW, earlier,
                                          time(10), HearingStatus.POSTPONED, lane=lane,
                                          note="Interpreter unavailable.")
                    if day is not None:
                        self._hearing(applicant, case, HearingKind.RSD_INTERVIEW, day,
                                      time(14), HearingStatus.HELD, lane=lane)
                elif event.to_status == CaseStatus.TERMINATED:
                    self._missed(applicant, case, start, end)
            elif start is not None and event.from_status == CaseStatus.OBJECTION \
                    and event.to_status != CaseStatus.WITHDRAWN and rng.random() < 0.5:
                day = self._past_day(start + timedelta(days=10), end - timedelta(days=3))
                if day is not None:
                    self._hearing(applicant, case, HearingKind.OBJECTION_HEARING, day,
                                  time(10), HearingStatus.HELD, lane=COMMITTEE_LANE)
            entered[event.to_status] = end

    def _missed(self, applicant: Any, case: Any, start: date, end: date) -> bool:
        """Three interviews the applicant did not come to, between start and end."""
        days = sorted({self._past_day(start, end) for _ in range(6)} - {None})[:3]
        if len(days) < 3:
            return False
        for day in days:
            self._hearing(applicant, case, HearingKind.RSD_INTERVIEW, day, time(10),
                          HearingStatus.NO_SHOW, lane=0,
                          note="The applicant did not appear and gave no reason.")
        return True

    def _pending(self, applicant: Any, case: Any) -> None:
        """The current application's missed interviews (some are termination candidates)
        and its next hearing, if one is booked."""
        rng = self.rng
        status = CaseStatus(case.status)
        if status == CaseStatus.FIRST_INSTANCE:
            roll = rng.random()
            if roll < 0.04 and self._missed(applicant, case, case.status_since, self.today):
                return
            if roll < 0.1:
                day = self._past_day(case.status_since, self.today)
                if day is not None:
                    self._hearing(applicant, case, HearingKind.RSD_INTERVIEW, day, time(10),
                                  HearingStatus.NO_SHOW, lane=0)
        chances = {CaseStatus.REFERRAL_PENDING: (0.7, HearingKind.REFERRAL_INTERVIEW),
                   CaseStatus.FIRST_INSTANCE: (0.6, HearingKind.RSD_INTERVIEW),
                   CaseStatus.OBJECTION: (0.4, HearingKind.OBJECTION_HEARING),
                   CaseStatus.LITIGATION: (0.3, HearingKind.COURT_HEARING),
                   CaseStatus.REFERRAL_LITIGATION: (0.3, HearingKind.COURT_HEARING)}
        if status not in chances or rng.random() >= chances[status][0]:
            return
        kind = chances[status][1]
        lanes = {HearingKind.COURT_HEARING: [COURT_LANE],
                 HearingKind.OBJECTION_HEARING: [COMMITTEE_LANE]}.get(kind, [0, 1])
        lane = min(lanes, key=lambda n: self.booked[n])
        index = self.booked[lane]
        if index >= len(self.days) * len(SLOT_TIMES):
            return  # the lane is full for the booking horizon
        self.booked[lane] += 1
        day, clock = divmod(index, len(SLOT_TIMES))
        self._hearing(applicant, case, kind, self.days[day], SLOT_TIMES[clock],
                      HearingStatus.SCHEDULED, lane=lane)

    # needs

    def _needs(self, person: NewPerson, case: Any) -> None:
        rng = self.rng
        applicant = person.applicant
        first_day = applicant.cases[0].lodged_on
        held = (case.lodged_at == LodgedAt.PORT_OF_ENTRY and case.status in PORT_HELD)
        if held and rng.random() < 0.5:  # the others show the suggestion to confirm
            self._specific(person, "LP-DA", case.lodged_on)
            for category in (NeedCategory.SHELTER, NeedCategory.FOOD):
                self._assistance(person, category, case.lodged_on, priority=NeedPriority.URGENT,
                                 status=NeedStatus.REFERRED, org=self.shelter_ngo)
        if rng.random() < 0.12:
            for code in rng.sample(NEED_CODES, rng.choice((1, 1, 2))):
                self._specific(person, code, first_day + timedelta(days=rng.randint(0, 30)))
        if rng.random() < 0.12:
            category = rng.choice(list(NeedCategory))
            opened = first_day + timedelta(days=rng.randint(0, 60))
            age = (self.today - opened).days
            status = (rng.choice((NeedStatus.MET, NeedStatus.MET, NeedStatus.CLOSED_UNMET))
                      if age > 90 else rng.choice(tuple(NeedStatus)))
            org = (self.shelter_ngo if category in SHELTER_NEEDS
                   else self.legal_aid_ngo if category == NeedCategory.LEGAL else None)
            if status == NeedStatus.REFERRED and org is None:
                status = NeedStatus.OPEN
            self._assistance(person, category, opened,
                             priority=rng.choice(tuple(NeedPriority)), status=status, org=org)

    def _specific(self, person: NewPerson, code: str, on: date) -> None:
        if code in {need.code for need in person.specific_needs}:
            return
        person.specific_needs.append(SpecificNeedDraft(
            code=code, category=codes.category(code), identified_on=min(on, self.today),
            identified_by_id=self.caseworker, note=""))

    def _assistance(self, person: NewPerson, category: NeedCategory, opened: date, *,
                    priority: NeedPriority, status: NeedStatus, org: int | None) -> None:
        opened = min(opened, self.today)
        resolved = None
        if status.resolved:
            resolved = min(opened + timedelta(days=self.rng.randint(1, 40)), self.today)
        person.assistance_needs.append(AssistanceNeedDraft(
            category=category, priority=priority, status=status,
            referred_to_org_id=org if status != NeedStatus.OPEN else None, opened_on=opened,
            due_on=opened + timedelta(days=14), resolved_on=resolved, note="",
            resolution_note="No place available in time." if status == NeedStatus.CLOSED_UNMET
            else "", opened_by_id=self.caseworker))
