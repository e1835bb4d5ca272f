"""Test data created through the services (so audit rows exist), committed.

Each call runs in its own app context and returns a detached, fully loaded record, so no
application context stays pushed while a test makes requests.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from flask import Flask

from casemgr.applicants.models import Applicant, SharingRecord
from casemgr.applicants.services import LodgingData, PersonData, grant_sharing, register_applicant
from casemgr.auth.models import Organisation, OrganisationKind, Role, User
from casemgr.auth.services import create_organisation, create_user
from casemgr.extensions import db

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

