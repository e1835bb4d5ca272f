"""Who may be assigned cases: the choices of a case's assignment and of the list's
caseworker filter."""

from __future__ import annotations

from casemgr.auth.models import Organisation, OrganisationKind, Role, User
from casemgr.auth.services import assignable_staff
from casemgr.extensions import db


def test_assignable_staff_are_the_active_users_who_may_move_cases_by_name(
        app, factories) -> None:
    agency = factories.organisation(OrganisationKind.AGENCY)
    other_agency = factories.organisation(OrganisationKind.AGENCY)
    worker = factories.user(Role.CASEWORKER, organisation=agency, full_name="Bae Minji")
    supervisor = factories.user(Role.SUPERVISOR, organisation=agency, full_name="Ahn Jisoo")
    unnamed = factories.user(Role.CASEWORKER, organisation=agency, username="zz.unnamed")
    factories.user(Role.ANALYST, organisation=agency, full_name="An Analyst")
    gone = factories.user(Role.CASEWORKER, organisation=agency, full_name="Cho Gone")
    factories.user(Role.CASEWORKER, organisation=other_agency, full_name="Elsewhere")
    with app.app_context():
        db.session.get_one(User, gone.id).active = False
        db.session.commit()
        assert assignable_staff(db.session, agency.id) == [
            (unnamed.id, "zz.unnamed"), (supervisor.id, "Ahn Jisoo"), (worker.id, "Bae Minji")]

        db.session.get_one(Organisation, agency.id).active = False
        db.session.commit()
        assert assignable_staff(db.session, agency.id) == []
