"""User and organisation administration through the pages."""

from __future__ import annotations

import re

import sqlalchemy as sa

from casemgr.audit.models import AuditEvent
from casemgr.auth.models import Organisation, OrganisationKind, Role, User
from casemgr.extensions import db
from tests.conftest import log_in, post_form


def field_error(html: str, field: str) -> str:
    match = re.search(rf'id="{field}-error">([^<]+)<', html)
    assert match, f"no error on {field}"
    return match.group(1)


def count_users(app) -> int:
    with app.app_context():
        return db.session.execute(sa.select(sa.func.count()).select_from(User)).scalar_one()


def test_admin_creates_a_user_who_can_log_in(app, login_as, factories) -> None:
    admin = login_as(Role.ADMIN)
    agency = factories.organisation(OrganisationKind.AGENCY, name="Busan Office")
    response = post_form(admin, "/admin/users/new", {
        "username": "New.Worker", "full_name": "New Worker", "role": "caseworker",
        "organisation_id": agency.id, "password": "an-initial-passphrase", "version": 1})
    assert response.status_code == 302
    assert "User new.worker created." in admin.get("/admin/users").get_data(as_text=True)
    assert log_in(app.test_client(), "new.worker", "an-initial-passphrase").status_code == 302
    with app.app_context():
        event = db.session.execute(sa.select(AuditEvent).where(
            AuditEvent.action == "user.created").order_by(AuditEvent.id.desc())).scalars().first()
        assert event.actor_name == admin.user.username
        assert event.details["role"] == "caseworker"


def test_user_form_errors_rerender_with_messages_and_save_nothing(app, login_as, factories
                                                                  ) -> None:
    admin = login_as(Role.ADMIN)
    before = count_users(app)
    ngo = factories.organisation(OrganisationKind.NGO)
    cases = [
        ({"username": admin.user.username, "password": "an-initial-passphrase"}, "username",
         "This username is taken."),
        ({"username": "someone", "password": "short"}, "password", "at least 12"),
        ({"username": "someone", "password": "someone-is-here-1"}, "password",
         "must not contain the username"),
        ({"username": "someone", "password": "password1234"}, "password", "too common"),
        ({"username": "bad name!", "password": "an-initial-passphrase"}, "username",
         "lower-case letters"),
    ]
    for data, field, message in cases:
        response = post_form(admin, "/admin/users/new", {
            "full_name": "X", "role": "caseworker",
            "organisation_id": admin.user.organisation_id, "version": 1, **data})
        assert response.status_code == 200
        assert message in field_error(response.get_data(as_text=True), field)
    response = post_form(admin, "/admin/users/new", {
        "username": "ngo.worker", "role": "caseworker", "organisation_id": ngo.id,
        "password": "an-initial-passphrase", "version": 1})
    assert "must belong to an organisation of kind Agency" in field_error(
        response.get_data(as_text=True), "organisation_id")
    html = post_form(admin, "/admin/users/new", {"version": 1}).get_data(as_text=True)
    assert "This field is required." in field_error(html, "username")
    assert count_users(app) == before


def test_edit_user_and_stale_edit_is_refused(app, login_as, factories) -> None:
    admin = login_as(Role.ADMIN)
    other_admin = login_as(Role.ADMIN)
    worker = factories.user(Role.CASEWORKER, full_name="Old Name")
    url = f"/admin/users/{worker.id}"
    base = {"role": "caseworker", "organisation_id": worker.organisation_id, "version": 1}
    first = post_form(other_admin, url, {**base, "full_name": "Their Name"})
    assert first.status_code == 302
    stale = post_form(admin, url, {**base, "full_name": "My Name"})
    html = stale.get_data(as_text=True)
    assert stale.status_code == 200
    assert "Not saved: someone changed this record" in html
    assert "Old Name" in html and "Their Name" in html  # what changed meanwhile
    assert re.search(r'name="version" type="hidden" value="2"', html)  # saving again is deliberate
    with app.app_context():
        assert db.session.get(User, worker.id).full_name == "Their Name"
    again = post_form(admin, url, {**base, "full_name": "My Name", "version": 2})
    assert again.status_code == 302
    with app.app_context():
        saved = db.session.get(User, worker.id)
        assert (saved.full_name, saved.version) == ("My Name", 3)


def test_role_change_ends_the_users_sessions(app, login_as) -> None:
    admin = login_as(Role.ADMIN)
    worker = login_as(Role.CASEWORKER)
    post_form(admin, f"/admin/users/{worker.user.id}", {
        "role": "supervisor", "organisation_id": worker.user.organisation_id, "version": 1,
        "full_name": ""})
    assert worker.get("/").status_code == 302


def test_admin_cannot_lock_themselves_out(app, login_as) -> None:
    admin = login_as(Role.ADMIN)
    url = f"/admin/users/{admin.user.id}"
    response = post_form(admin, f"{url}/active", page=url, follow_redirects=True)
    assert "You cannot deactivate your own account." in response.get_data(as_text=True)
    response = post_form(admin, url, {"role": "caseworker", "version": 1, "full_name": "",
                                      "organisation_id": admin.user.organisation_id})
    assert "You cannot change your own role." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, admin.user.id).role == Role.ADMIN


def test_admin_resets_a_password(app, login_as, factories) -> None:
    admin = login_as(Role.ADMIN)
    worker = factories.user()
    url = f"/admin/users/{worker.id}/password"
    weak = post_form(admin, url, {"new_password": "short"})
    assert "at least 12" in field_error(weak.get_data(as_text=True), "new_password")
    assert post_form(admin, url, {"new_password": "a-fresh-passphrase"}).status_code == 302
    assert log_in(app.test_client(), worker.username, "a-fresh-passphrase").status_code == 302


def test_user_list_filters_sorts_and_paginates(app, login_as, factories) -> None:
    admin = login_as(Role.ADMIN)
    ngo = factories.organisation(OrganisationKind.NGO, name="Filter NGO")
    for number in range(3):
        factories.user(Role.LEGAL_AID, organisation=ngo, username=f"lawyer{number}")
    html = admin.get(f"/admin/users?role=legal_aid&organisation_id={ngo.id}").get_data(
        as_text=True)
    assert all(f"lawyer{n}" in html for n in range(3))
    assert admin.user.username not in html.split("<tbody>")[1]
    html = admin.get("/admin/users?sort=-username&role=legal_aid").get_data(as_text=True)
    assert html.index("lawyer2") < html.index("lawyer0")
    assert 'aria-sort="descending"' in html
    app.config["PAGE_SIZE"] = 2
    html = admin.get("/admin/users?role=legal_aid&page=2").get_data(as_text=True)
    assert "Showing 3–3 of 3" in html
    empty = admin.get("/admin/users?q=nobody-matches").get_data(as_text=True)
    assert "No user matches these filters" in empty
    assert admin.get("/admin/users?page=abc&sort=password_hash").status_code == 200


def test_organisations_create_edit_deactivate(app, login_as, factories) -> None:
    admin = login_as(Role.ADMIN)
    response = post_form(admin, "/admin/organisations/new", {"name": "  Shelter   One ",
                                                             "kind": "ngo", "version": 1})
    assert response.status_code == 302
    with app.app_context():
        shelter = db.session.execute(sa.select(Organisation).where(
            Organisation.name == "Shelter One")).scalar_one()
    duplicate = post_form(admin, "/admin/organisations/new", {"name": "shelter one",
                                                              "kind": "ngo", "version": 1})
    assert "already exists" in field_error(duplicate.get_data(as_text=True), "name")
    lawyer = factories.user(Role.LEGAL_AID, organisation=shelter)
    url = f"/admin/organisations/{shelter.id}"
    refused = post_form(admin, url, {"name": "Shelter One", "kind": "agency", "version": 1})
    assert lawyer.username in field_error(refused.get_data(as_text=True), "kind")
    renamed = post_form(admin, url, {"name": "Shelter Two", "kind": "ngo", "version": 1})
    assert renamed.status_code == 302
    assert "Shelter Two" in admin.get("/admin/organisations").get_data(as_text=True)
    lawyer_client = app.test_client()
    assert log_in(lawyer_client, lawyer.username).status_code == 302
    post_form(admin, f"{url}/active", page=url)
    assert lawyer_client.get("/applicants").status_code == 302  # session ended
    assert log_in(app.test_client(), lawyer.username).status_code == 200
    own = f"/admin/organisations/{admin.user.organisation_id}"
    response = post_form(admin, f"{own}/active", page=own, follow_redirects=True)
    assert "You cannot deactivate your own organisation." in response.get_data(as_text=True)
