"""Shared helpers for the needs tests: recording needs through the services and reading them
back from the real database."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import Flask

from casemgr.applicants.models import Applicant
from casemgr.auth.models import User
from casemgr.cases.models import Case, CaseStatus
from casemgr.needs import services
from casemgr.needs.models import AssistanceNeed, SpecificNeed
from tests.cases.helpers import app_today, session_of

VERSION = re.compile(r'name="version" type="hidden" value="(\d+)"')


def applicant_of(app: Flask, case_id: int) -> int:
    with session_of(app) as session:
        return session.get_one(Case, case_id).applicant_id


def specific(app: Flask, applicant_id: int, code: str, *, actor: User) -> int:
    with session_of(app) as session:
        need = services.record_specific_need(
            session, session.get_one(Applicant, applicant_id), code=code,
            identified_on=app_today(app), note="", actor=session.get_one(User, actor.id),
            today=app_today(app))
        session.commit()
        return need.id


def assistance(app: Flask, applicant_id: int, *, actor: User, **values: Any) -> int:
    """Open a need (category shelter, normal priority unless given) as `actor`."""
    data = services.NeedData(**{"category": "shelter", **values})
    with session_of(app) as session:
        need = services.open_need(session, session.get_one(Applicant, applicant_id), data,
                                  actor=session.get_one(User, actor.id), today=app_today(app))
        session.commit()
        return need.id


def need(app: Flask, need_id: int) -> AssistanceNeed:
    with session_of(app) as session:
        found = session.get_one(AssistanceNeed, need_id)
        session.expunge(found)
        return found


def codes_of(app: Flask, applicant_id: int) -> list[str]:
    with session_of(app) as session:
        return sorted(session.execute(sa.select(SpecificNeed.code).where(
            SpecificNeed.applicant_id == applicant_id)).scalars())


def needs_of(app: Flask, applicant_id: int) -> list[tuple[str, str, str]]:
    with session_of(app) as session:
        return sorted((str(n.category), str(n.priority), str(n.status)) for n in session.execute(
            sa.select(AssistanceNeed).where(AssistanceNeed.applicant_id == applicant_id))
            .scalars())


def set_representing(app: Flask, case_id: int, organisation_id: int | None) -> None:
    with session_of(app) as session:
        session.get_one(Case, case_id).representing_org_id = organisation_id
        session.commit()


def version_on(page: Any) -> int:
    return int(VERSION.search(page.get_data(as_text=True)).group(1))


def status_of(app: Flask, case_id: int) -> CaseStatus:
    with session_of(app) as session:
        return session.get_one(Case, case_id).status


def today(app: Flask) -> date:
    return app_today(app)
