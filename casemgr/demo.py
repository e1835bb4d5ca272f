"""Deterministic demo data, created through the same services as real data."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from casemgr.auth.models import Organisation, OrganisationKind, Role, User
from casemgr.auth.services import create_organisation, create_user, find_organisation

DEMO_PASSWORD = "casemgr-demo-2026"  # noqa: S105 - published demo credential, demo data only

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


def _organisation(session: Session, name: str, kind: OrganisationKind) -> Organisation:
    return find_organisation(session, name) or create_organisation(
        session, name=name, kind=kind, actor=None)


def load_demo(session: Session, *, applicants: int, seed: int) -> list[tuple[str, str, str]]:
    """Create the demo organisations and one user per role (those missing), return logins."""
    organisations = [_organisation(session, name, kind) for name, kind in DEMO_ORGANISATIONS]
    logins = []
    for username, full_name, role, org_index in DEMO_USERS:
        organisation = organisations[org_index]
        exists = session.execute(sa.select(User.id).where(User.username == username)).first()
        if not exists:
            create_user(session, username=username, full_name=full_name, role=role,
                        organisation=organisation, password=DEMO_PASSWORD, actor=None)
        logins.append((username, role.value, organisation.name))
    return logins
