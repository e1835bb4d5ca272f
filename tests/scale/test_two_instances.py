"""Two gunicorn instances (two workers each) on different ports, sharing one PostgreSQL
schema and one Redis database, as two hosts behind a proxy would: the lockout and the rate
limits hold across them, concurrent edits and transitions of one case are applied once,
and the audit hash chain stays intact under a thousand concurrent writes.

Runs in the PostgreSQL pass when Redis answers on 127.0.0.1:6379; skipped otherwise.
"""

from __future__ import annotations

import json
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from casemgr.audit.models import AuditChainHead, AuditEvent
from casemgr.audit.services import AuditAction, verify_chain
from casemgr.auth.models import Role, User
from casemgr.cases.models import Case, CaseEvent
from casemgr.extensions import db
from tests.api.conftest import make_token
from tests.factories import PASSWORD
from tests.scale.conftest import LOCKOUT_THRESHOLD, LOGIN_RATE_LIMIT
from tests.scale.servers import (
    REQUEST_TIMEOUT,
    api,
    at_once,
    browser,
    csrf_token,
    form_version,
    log_in,
    made_up_name,
)

FAILED = "Login failed"
STALE = "someone changed this record after you opened it"


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def audit_count(app: Any, action: AuditAction, object_id: int | None = None) -> int:
    with app.app_context():
        query = sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.action == action)
        if object_id is not None:
            query = query.where(AuditEvent.object_id == str(object_id))
        return db.session.execute(query).scalar_one()


def test_failed_logins_through_both_instances_lock_the_account(two_instances, app,
                                                                factories) -> None:
    user = factories.user(Role.CASEWORKER)
    attempts = LOCKOUT_THRESHOLD + 2  # at once, half through each instance, from many addresses
    responses = at_once([
        lambda n=n: log_in(browser(f"198.51.100.{n + 1}"), two_instances[n % 2].url,
                           user.username, "not-the-password-at-all")
        for n in range(attempts)])
    assert [r.status_code for r in responses] == [200] * attempts
    assert all(FAILED in r.text for r in responses)
    for n, server in enumerate(two_instances):  # now even the right password fails on both
        refused = log_in(browser(f"198.51.100.{100 + n}"), server.url, user.username, PASSWORD)
        assert refused.status_code == 200
        assert FAILED in refused.text
    with app.app_context():
        locked = db.session.get_one(User, user.id)
        assert locked.locked_until is not None
    assert audit_count(app, AuditAction.LOCKOUT, user.id) == 1
    assert audit_count(app, AuditAction.LOGIN_FAILED, user.id) == attempts + 2


def test_the_login_rate_limit_is_shared_by_both_instances(two_instances) -> None:
    client = browser("203.0.113.7")  # one client address, alternating between the instances
    statuses = [log_in(client, two_instances[n % 2].url, f"nobody.{n}", "whatever").status_code
                for n in range(LOGIN_RATE_LIMIT + 2)]
    # Each of the four workers alone would have allowed six; together they allow six.
    assert statuses == [200] * LOGIN_RATE_LIMIT + [429, 429]
    other = browser("203.0.113.8")  # another client has its own budget
    assert log_in(other, two_instances[0].url, "nobody", "whatever").status_code == 200


def test_the_same_case_edited_in_both_instances_at_once_is_saved_once(two_instances, app,
                                                                       factories) -> None:
    agency = factories.organisation()
    supervisors = [factories.user(Role.SUPERVISOR, organisation=agency) for _ in range(2)]
    caseworkers = [factories.user(Role.CASEWORKER, organisation=agency) for _ in range(2)]
    case = factories.applicant(agency=agency).cases[0]
    action = f"/cases/{case.id}/assignment"
    editors = []
    for n, server in enumerate(two_instances):  # each supervisor works on another host
        session = browser(f"192.0.2.{n + 1}")
        assert log_in(session, server.url, supervisors[n].username, PASSWORD).status_code == 302
        page = session.get(f"{server.url}/cases/{case.id}", timeout=REQUEST_TIMEOUT).text
        editors.append((session, server, csrf_token(page), form_version(page, action)))
    assert editors[0][3] == editors[1][3] == case.version

    def save(n: int) -> Any:
        session, server, token, version = editors[n]
        return session.post(server.url + action, data={
            "csrf_token": token, "version": version, "assigned_to_id": caseworkers[n].id,
            "representing_org_id": ""}, allow_redirects=False, timeout=REQUEST_TIMEOUT)

    responses = at_once([lambda n=n: save(n) for n in range(2)])
    saved = [n for n, r in enumerate(responses) if r.status_code == 302]
    assert len(saved) == 1, [r.status_code for r in responses]
    refused = responses[1 - saved[0]]
    assert refused.status_code == 200
    assert STALE in refused.text
    with app.app_context():
        now = db.session.get_one(Case, case.id)
        assert now.version == case.version + 1
        assert now.assigned_to_id == caseworkers[saved[0]].id
    assert audit_count(app, AuditAction.CASE_UPDATED, case.id) == 1


def test_api_edits_of_the_same_cases_through_both_instances(two_instances, app,
                                                            factories) -> None:
    agency = factories.organisation()
    token = make_token(app, factories.user(Role.SUPERVISOR, organisation=agency))
    caseworkers = [factories.user(Role.CASEWORKER, organisation=agency) for _ in range(2)]
    cases = [factories.applicant(agency=agency).cases[0] for _ in range(5)]
    calls = [lambda case=case, n=n: api(token).patch(
                 f"{two_instances[n].url}/api/v1/cases/{case.id}",
                 json={"version": case.version, "assigned_to_id": caseworkers[n].id},
                 timeout=REQUEST_TIMEOUT)
             for case in cases for n in range(2)]
    responses = at_once(calls)
    for number, case in enumerate(cases):
        pair = responses[2 * number:2 * number + 2]
        assert sorted(r.status_code for r in pair) == [200, 409], [r.text for r in pair]
        winner = next(n for n, r in enumerate(pair) if r.status_code == 200)
        loser = pair[1 - winner].json()
        assert loser["current"]["version"] == case.version + 1
        assert loser["current"]["assigned_to_id"] == caseworkers[winner].id
        assert audit_count(app, AuditAction.CASE_UPDATED, case.id) == 1


@pytest.mark.parametrize("with_version", [True, False], ids=["with-version", "without"])
def test_the_same_transition_twice_at_once_is_applied_once(two_instances, app, factories,
                                                           with_version) -> None:
    agency = factories.organisation()
    token = make_token(app, factories.user(Role.CASEWORKER, organisation=agency))
    cases = [factories.applicant(agency=agency).cases[0] for _ in range(4)]
    with app.app_context():
        events_before = {case.id: len(db.session.get_one(Case, case.id).events)
                         for case in cases}

    def body(case: Case) -> dict[str, Any]:
        fields = {"to": "withdrawn", "effective_date": today(), "reason": "left the country"}
        return {**fields, "version": case.version} if with_version else fields

    calls = [lambda case=case, n=n: api(token).post(
                 f"{two_instances[n].url}/api/v1/cases/{case.id}/transitions",
                 json=body(case), timeout=REQUEST_TIMEOUT)
             for case in cases for n in range(2)]
    responses = at_once(calls)
    for number, case in enumerate(cases):
        pair = responses[2 * number:2 * number + 2]
        assert sorted(r.status_code for r in pair) == [201, 409], [r.text for r in pair]
        with app.app_context():
            now = db.session.get_one(Case, case.id)
            assert now.status == "withdrawn"
            assert now.version == case.version + 1
            events = db.session.execute(sa.select(sa.func.count()).select_from(CaseEvent)
                                        .where(CaseEvent.case_id == case.id)).scalar_one()
            assert events == events_before[case.id] + 1
        assert audit_count(app, AuditAction.CASE_TRANSITIONED, case.id) == 1


def test_the_audit_chain_holds_after_a_thousand_concurrent_writes(two_instances, app,
                                                                  factories) -> None:
    agency = factories.organisation()
    token = make_token(app, factories.user(Role.CASEWORKER, organisation=agency))
    people = [factories.applicant(agency=agency) for _ in range(10)]
    local = threading.local()
    names = random.Random(5)
    family_names = [made_up_name(names) for _ in range(1000)]

    def send(n: int) -> int:
        if not hasattr(local, "session"):
            local.session = api(token)
        base = two_instances[n % 2].url + "/api/v1"
        person = people[n % len(people)]
        if n % 10 == 0:  # a new person and their application: several rows and audit events
            response = local.session.post(base + "/applicants", json={
                "family_name": family_names[n], "given_names": "Sam", "sex": "F",
                "date_of_birth": "1991-02-03", "nationality": "AFG", "lodged_on": today(),
                "lodged_at": "in_country", "confirm_new_person": True},
                timeout=REQUEST_TIMEOUT)
        elif n % 10 == 1:  # an audited read of a person
            response = local.session.get(f"{base}/applicants/{person.id}",
                                         timeout=REQUEST_TIMEOUT)
        else:  # an audited read of a case
            response = local.session.get(f"{base}/cases/{person.cases[0].id}",
                                         timeout=REQUEST_TIMEOUT)
        return response.status_code

    with app.app_context():
        before = db.session.execute(sa.select(sa.func.count()).select_from(AuditEvent)
                                    ).scalar_one()
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(send, range(1000)))
    assert sorted(set(statuses)) == [200, 201]
    for server in two_instances:  # no deadlock, no lock timeout, nothing unhandled
        assert '"level": "ERROR"' not in server.output()
    with app.app_context():
        report = verify_chain(db.session)
        assert report.intact, report
        assert report.events >= before + 1000
        assert report.events == db.session.get_one(AuditChainHead, 1).events


def test_both_instances_log_json_lines_with_request_ids(two_instances) -> None:
    server = two_instances[1]
    sent = "trace-4f1c9a"
    response = api("no-such-token").get(server.url + "/api/v1/users/me?q=SECRETNAME",
                                        headers={"X-Request-ID": sent}, timeout=REQUEST_TIMEOUT)
    assert response.status_code == 401
    assert response.headers["X-Request-ID"] == sent
    lines = [json.loads(line) for line in server.output().splitlines() if line.strip()]
    assert {line["logger"] for line in lines} >= {"gunicorn.error", "casemgr.request"}
    mine = [line for line in lines if line.get("request_id") == sent]
    assert [(line["path"], line["status"]) for line in mine] == [("/api/v1/users/me", 401)]
    assert "SECRETNAME" not in server.output()
