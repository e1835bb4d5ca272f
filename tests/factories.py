"""Test data created through the services (so audit rows exist), committed.

Each call runs in its own app context and returns a detached, fully loaded record, so no
application context stays pushed while a test makes requests.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask

from casemgr.auth.models import Organisation, OrganisationKind, Role, User
from casemgr.auth.services import create_organisation, create_user
from casemgr.extensions import db

PASSWORD = "correct-horse-battery-staple"
_sequence = itertools.count(1)
T = TypeVar("T")


class Factories:
    def __init__(self, app: Flask) -> None:
        self.app = app

    def _make(self, build: Callable[[], T]) -> T:
        with self.app.app_context():
            record = build()
            db.session.commit()
            db.session.refresh(record)
            db.session.expunge(record)
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
