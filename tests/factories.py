"""Test data created through the services (so audit rows exist), committed.

Each call runs in its own app context and returns a detached, fully loaded record, so no
application context stays pushed while a test makes requests.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from flask import Flask

from casemgr.applicants.models import Applicant, SharingRecord
from casemgr.applicants.services import LodgingData, PersonData, grant_sharing, register_applicant
from casemgr.auth.models import Organisation, OrganisationKind, Role, User
from casemgr.auth.services import create_organisation, create_user
from casemgr.cases.models import Case
from casemgr.database import utcnow
from casemgr.extensions import db
from casemgr.hearings import services as hearing_services
from casemgr.hearings.models import Hearing
from casemgr.localtime import today
from casemgr.needs import services as need_services
from casemgr.needs.models import AssistanceNeed, SpecificNeed

PASSWORD = "correct-horse-battery-staple"
_sequence = itertools.count(1)
T = TypeVar("T")


def letters(number: int) -> str:
    """A number spelled in letters (names in travel documents have no digits)."""
    text = ""
    while True:
        number, digit = divmod(number, 26)
        text = chr(ord("A") + digit) + text
        if not number:
            return text


class Factories:
    def __init__(self, app: Flask) -> None:
        self.app = app

    def _make(self, build: Callable[[], T], load: tuple[str, ...] = ()) -> T:
        with self.app.app_context():
            record = build()
            db.session.commit()
            db.session.refresh(record)
            for relation in load:  # loaded now, readable after the context ends
                getattr(record, relation)
            db.session.expunge_all()
            return record

    def organisation(self, kind: OrganisationKind = OrganisationKind.AGENCY,
                     name: str | None = None) -> Organisation:
        return self._make(lambda: create_organisation(
            db.session, name=name or f"{kind.value} {next(_sequence)}", kind=kind, actor=None))

    def user(self, role: Role = Role.CASEWORKER, *, organisation: Organisation | None = None,
             username: str | None = None, password: str = PASSWORD, **fields: Any) -> User:
        if organisation is None:
            kind = OrganisationKind.NGO if role == Role.LEGAL_AID else OrganisationKind.AGENCY
            organisation = self.organisation(kind)
        organisation_id = organisation.id

        def build() -> User:
            return create_user(
                db.session,
                username=username or f"{role.value.replace('_', '')}{next(_sequence)}",
                role=role, organisation=db.session.get_one(Organisation, organisation_id),
                password=password, actor=None, **fields)

        return self._make(build)

    def applicant(self, *, agency: Organisation | None = None, lodged_on: date = date(2026, 1, 12),
                  lodged_at: str = "in_country", port_of_entry: str | None = None,
                  registration_no: str | None = None, share_with: Organisation | None = None,
                  **person: Any) -> Applicant:
        """A person with one application, registered by `agency` (a new one if not given),
        optionally sharing their file with an NGO."""
        agency_id = (agency or self.organisation(OrganisationKind.AGENCY)).id
        number = next(_sequence)
        values = {"family_name": f"TESTPERSON{letters(number)}", "given_names": "Alex", "sex": "M",
                  "date_of_birth": "1990-05-17", "nationality": "RUS", **person}

        def build() -> Applicant:
            applicant = register_applicant(
                db.session, PersonData(**values),
                LodgingData(lodged_on=lodged_on, lodged_at=lodged_at,
                            port_of_entry=port_of_entry),
                actor=None, agency=db.session.get_one(Organisation, agency_id),
                registration_no=registration_no)
            if share_with is not None:
                grant_sharing(db.session, applicant,
                              db.session.get_one(Organisation, share_with.id), actor=None)
            return applicant

        return self._make(build, load=("cases", "aliases", "sharing"))

    def share(self, applicant: Applicant, organisation: Organisation) -> SharingRecord:
        def build() -> SharingRecord:
            return grant_sharing(db.session, db.session.get_one(Applicant, applicant.id),
                                 db.session.get_one(Organisation, organisation.id),
                                 actor=None)

        return self._make(build)


    def hearing(self, case_id: int, *, starts_at: datetime | None = None,
                location: str = "Room 1") -> Hearing:
        """An RSD interview of the case, by default a week ahead at a random minute (so two
        in one test do not clash)."""
        start = starts_at or (utcnow().replace(second=0, microsecond=0)
                              + timedelta(days=7, minutes=next(_sequence) * 90))
        return self._make(lambda: hearing_services.schedule_hearing(
            db.session, db.session.get_one(Case, case_id), hearing_services.HearingData(
                kind="rsd_interview", starts_at=start, duration_minutes=60,
                location=location), actor=None).hearing)

    def specific_need(self, applicant_id: int, code: str, *, actor: User) -> SpecificNeed:
        return self._make(lambda: need_services.record_specific_need(
            db.session, db.session.get_one(Applicant, applicant_id), code=code,
            identified_on=today(), note="", actor=db.session.get_one(User, actor.id),
            today=today()))

    def assistance_need(self, applicant_id: int, *, actor: User,
                        referred_to: Organisation | None = None,
                        category: str = "shelter") -> AssistanceNeed:
        return self._make(lambda: need_services.open_need(
            db.session, db.session.get_one(Applicant, applicant_id), need_services.NeedData(
                category=category,
                referred_to_org_id=referred_to.id if referred_to else None),
            actor=db.session.get_one(User, actor.id), today=today()))

    def calendar_feed(self, user: User) -> str:
        """A live secret calendar address of `user`; returns its token."""
        with self.app.app_context():
            token = hearing_services.create_feed(
                db.session, db.session.get_one(User, user.id), actor=None)
            db.session.commit()
            return token
