"""SQLite under several gunicorn workers: concurrent writes through the pages and the API
all succeed (WAL, a busy timeout and write transactions that take the lock with their first
write), no "database is locked" reaches a user, the same transition sent twice at once is
applied once, and the audit chain stays intact.

Runs in the SQLite pass (the PostgreSQL pass has tests/scale/test_two_instances.py).
"""

from __future__ import annotations

import itertools
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from casemgr.audit.models import AuditChainHead
from casemgr.audit.services import verify_chain
from casemgr.auth.models import Role
from casemgr.cases.models import Case, CaseEvent, CaseNote
from casemgr.extensions import db
from tests.api.conftest import make_token
from tests.conftest import postgres_url
from tests.factories import PASSWORD
from tests.scale.servers import (
    REQUEST_TIMEOUT,
    api,
    at_once,
    browser,
    csrf_token,
    log_in,
    made_up_name,
    running,
)

THREADS = 8
REQUESTS = 160


@pytest.fixture
def sqlite_only() -> None:
    if postgres_url():
        pytest.skip("SQLite under several workers: run in the SQLite pass")


def test_several_workers_write_to_sqlite_at_once(sqlite_only, app, factories, database,
                                                 tmp_path) -> None:
    agency = factories.organisation()
    caseworker = factories.user(Role.CASEWORKER, organisation=agency)
    token = make_token(app, caseworker)
    people = [factories.applicant(agency=agency) for _ in range(THREADS)]
    names = random.Random(3)
    family_names = [made_up_name(names) for _ in range(REQUESTS)]
    today = datetime.now(UTC).date().isoformat()
    local = threading.local()
    thread_numbers = itertools.count()

    with running(1, database, tmp_path, workers=3,
                 CASEMGR_API_RATE_LIMIT="100000 per minute",
                 CASEMGR_LOGIN_RATE_LIMIT="1000 per minute") as (server,):

        def send(n: int) -> int:
            if not hasattr(local, "person"):  # each thread: its person, a browser, an API client
                local.person = people[next(thread_numbers)]
                local.browser = browser("127.0.0.1")
                assert log_in(local.browser, server.url, caseworker.username,
                              PASSWORD).status_code == 302
                local.api = api(token)
                local.version = local.person.version
            kind = n % 4
            if kind == 0:  # register a person: many rows, several audit events
                response = local.api.post(server.url + "/api/v1/applicants", json={
                    "family_name": family_names[n], "given_names": "Sam", "sex": "M",
                    "date_of_birth": "1988-08-08", "nationality": "EGY", "lodged_on": today,
                    "lodged_at": "in_country", "confirm_new_person": True},
                    timeout=REQUEST_TIMEOUT)
            elif kind == 1:  # a note through the page's form (CSRF and all)
                case_id = local.person.cases[0].id
                page = local.browser.get(f"{server.url}/cases/{case_id}",
                                         timeout=REQUEST_TIMEOUT)
                assert page.status_code == 200
                response = local.browser.post(
                    f"{server.url}/cases/{case_id}/notes",
                    data={"csrf_token": csrf_token(page.text), "body": f"note {n}",
                          "visibility": "internal"},
                    allow_redirects=False, timeout=REQUEST_TIMEOUT)
            elif kind == 2:  # edit a person: a versioned UPDATE
                response = local.api.patch(
                    f"{server.url}/api/v1/applicants/{local.person.id}",
                    json={"version": local.version, "given_names": f"Alex{'x' * (n % 7)}"},
                    timeout=REQUEST_TIMEOUT)
                if response.status_code == 200:
                    local.version = response.json()["version"]
            else:  # an audited read
                response = local.api.get(f"{server.url}/api/v1/cases/{local.person.cases[0].id}",
                                         timeout=REQUEST_TIMEOUT)
            return response.status_code

        with ThreadPoolExecutor(THREADS) as pool:
            statuses = list(pool.map(send, range(REQUESTS)))

        # The same transition twice at once, without a version: applied once (the second
        # worker's UPDATE finds the version it read gone, or the case already withdrawn).
        cases = [factories.applicant(agency=agency).cases[0] for _ in range(3)]
        pairs = at_once([lambda case=case: api(token).post(
            f"{server.url}/api/v1/cases/{case.id}/transitions",
            json={"to": "withdrawn", "effective_date": today, "reason": "left"},
            timeout=REQUEST_TIMEOUT).status_code for case in cases for _ in range(2)])
        log = server.output()

    assert all(200 <= status < 400 for status in statuses), sorted(set(statuses))
    assert [sorted(pairs[n:n + 2]) for n in range(0, len(pairs), 2)] == [[201, 409]] * 3
    assert "database is locked" not in log
    assert '"level": "ERROR"' not in log
    with app.app_context():
        for case in cases:
            assert db.session.get_one(Case, case.id).version == case.version + 1
            assert db.session.execute(sa.select(sa.func.count()).select_from(CaseEvent).where(
                CaseEvent.case_id == case.id, CaseEvent.to_status == "withdrawn")
            ).scalar_one() == 1
        notes = db.session.execute(sa.select(sa.func.count()).select_from(CaseNote)).scalar_one()
        assert notes == REQUESTS // 4
        report = verify_chain(db.session)
        assert report.intact, report
        assert report.events == db.session.get_one(AuditChainHead, 1).events
