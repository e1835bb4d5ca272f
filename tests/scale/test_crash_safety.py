"""A process killed with SIGKILL in the middle of writing leaves no partial records: the
import command during its write phase, and a gunicorn worker in the middle of a transition
(after the case, its history event and the audit event were written, before the commit).
The database is exactly as it was before, and works on. Both databases.
"""

from __future__ import annotations

import csv
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa

from casemgr.applicants.models import Applicant
from casemgr.audit.services import verify_chain
from casemgr.auth.models import OrganisationKind, Role
from casemgr.cases.models import Case
from casemgr.exchange.columns import COLUMNS
from casemgr.extensions import db
from tests.api.conftest import make_token
from tests.conftest import postgres_url
from tests.scale.servers import (
    PAUSE_CONFIG,
    REQUEST_TIMEOUT,
    api,
    base_environment,
    made_up_name,
    running,
    server_database_url,
    snapshot,
    wait_for,
)

IMPORT_ROWS = 800


def import_file(path: Path, rows: int, seed: int = 9) -> Path:
    """A valid import file of `rows` different people (2024 in-country applications)."""
    pick = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(COLUMNS))
        writer.writeheader()
        for _ in range(rows):
            writer.writerow({
                "family_name": made_up_name(pick),
                "given_names": made_up_name(pick).title(),
                "sex": pick.choice("MF"),
                "date_of_birth": f"{pick.randint(1950, 2005)}-{pick.randint(1, 12):02d}-"
                                 f"{pick.randint(1, 28):02d}",
                "nationality": pick.choice(["RUS", "KAZ", "CHN", "EGY", "PAK", "NGA"]),
                "lodged_on": f"2024-{pick.randint(1, 12):02d}-{pick.randint(1, 28):02d}",
                "lodged_at": "in_country"})
    return path


class Writer:
    """Tells whether a process of ours is inside a write transaction, from outside it:
    on PostgreSQL its backend (found by application_name) holds a transaction id; on
    SQLite it holds the write lock, so another connection cannot begin a write."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings
        self.name = f"casemgr-crash-{uuid.uuid4().hex[:10]}"
        self.url = server_database_url(settings, application_name=self.name)
        self.engine = sa.create_engine(settings["DATABASE_URL"]) if postgres_url() else None

    def active(self) -> bool:
        if self.engine is not None:
            with self.engine.connect() as connection:
                return bool(connection.execute(sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = :name "
                    "AND backend_xid IS NOT NULL"), {"name": self.name}).scalar_one())
        path = sa.engine.make_url(self.settings["DATABASE_URL"]).database
        probe = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
        except sqlite3.OperationalError as error:
            if "locked" not in str(error):
                raise
            return True
        finally:
            probe.close()
        return False

    def close(self) -> None:
        if self.engine is not None:
            self.engine.dispose()


def casemgr_command() -> str:
    return str(Path(sys.executable).with_name("casemgr"))


def test_an_import_killed_while_writing_leaves_the_database_as_it_was(
        app, factories, database, tmp_path) -> None:
    factories.organisation(OrganisationKind.AGENCY)
    people = import_file(tmp_path / "people.csv", IMPORT_ROWS)
    before = snapshot(app)
    writer = Writer(database)
    env = base_environment(database, tmp_path / "instance", CASEMGR_DATABASE_URL=writer.url)
    output = tmp_path / "import.log"
    try:
        with output.open("wb") as log:
            process = subprocess.Popen([casemgr_command(), "import", "applicants", str(people)],
                                       env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for(lambda: writer.active() or process.poll() is not None, 120,
                     "the import never began writing", interval=0.01)
            assert process.poll() is None, "the import ended before it could be killed:\n" + \
                output.read_text()
            process.send_signal(signal.SIGKILL)
        finally:
            process.kill()
            process.wait(timeout=60)
        assert process.returncode == -signal.SIGKILL
        wait_for(lambda: not writer.active(), 60, "the killed import's transaction did not end")
    finally:
        writer.close()
    assert "imported" not in output.read_text()
    assert snapshot(app) == before

    # The database works on: a smaller file of other people imports at once.
    more = import_file(tmp_path / "more.csv", 20, seed=10)
    finished = subprocess.run([casemgr_command(), "import", "applicants", str(more)],
                              env=env, capture_output=True, text=True, timeout=600, check=False)
    assert finished.returncode == 0, finished.stderr
    assert "imported 20 applicants, 20 cases" in finished.stdout
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count()).select_from(Applicant)
                                  ).scalar_one() == 20
        assert verify_chain(db.session).intact


def test_a_worker_killed_in_the_middle_of_a_transition_leaves_the_database_as_it_was(
        app, factories, database, tmp_path) -> None:
    agency = factories.organisation()
    token = make_token(app, factories.user(Role.CASEWORKER, organisation=agency))
    case = factories.applicant(agency=agency).cases[0]
    writer = Writer(database)
    marker = tmp_path / "paused"
    url = f"/api/v1/cases/{case.id}/transitions"
    body = {"to": "withdrawn", "effective_date": datetime.now(UTC).date().isoformat(),
            "reason": "left the country", "version": case.version}
    try:
        with running(1, database, tmp_path, workers=1, config=PAUSE_CONFIG,
                     CASEMGR_DATABASE_URL=writer.url,
                     CASEMGR_TEST_PAUSE_PATH="/transitions",
                     CASEMGR_TEST_PAUSE_SQL="INSERT INTO audit_events",
                     CASEMGR_TEST_PAUSE_MARKER=str(marker)) as (server,):
            outcome: dict[str, Any] = {}

            def transition() -> None:
                try:
                    outcome["status"] = api(token).post(server.url + url, json=body,
                                                        timeout=REQUEST_TIMEOUT).status_code
                except requests.ConnectionError as error:
                    outcome["error"] = error

            client = threading.Thread(target=transition)
            client.start()
            worker = int(wait_for(lambda: marker.exists() and marker.read_text(), 120,
                                  "the transition never reached its audit event"))
            assert worker in server.workers()
            assert writer.active()  # the case, its event and the audit row are written...
            before = snapshot(app)  # ...but not committed: others still see this
            os.kill(worker, signal.SIGKILL)
            client.join(timeout=REQUEST_TIMEOUT)
            assert "status" not in outcome, outcome  # the client got no answer
            wait_for(lambda: not writer.active(), 60,
                     "the killed worker's transaction did not end")
            assert snapshot(app) == before
            with app.app_context():
                unchanged = db.session.get_one(Case, case.id)
                assert (unchanged.status, unchanged.version) == (case.status, case.version)
                assert verify_chain(db.session).intact

            server.wait_until_healthy()  # gunicorn started a new worker; the case is free
            again = api(token).post(server.url + url, json=body, timeout=REQUEST_TIMEOUT)
            assert again.status_code == 201, again.text
    finally:
        writer.close()
    with app.app_context():
        assert db.session.get_one(Case, case.id).status == "withdrawn"
        assert verify_chain(db.session).intact
