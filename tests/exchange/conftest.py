"""An agency to import into, and reading what the database holds."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from casemgr.applicants.models import Applicant
from casemgr.audit.models import AuditEvent
from casemgr.auth.models import OrganisationKind
from casemgr.cases.models import Case, CaseEvent
from casemgr.extensions import db


@pytest.fixture
def agency(factories) -> Any:
    return factories.organisation(OrganisationKind.AGENCY, name="Import agency")


def counts(app) -> dict[str, int]:
    with app.app_context():
        return {name: db.session.execute(sa.select(sa.func.count()).select_from(model)
                                         ).scalar_one()
                for name, model in (("applicants", Applicant), ("cases", Case),
                                    ("events", CaseEvent), ("audit", AuditEvent))}
