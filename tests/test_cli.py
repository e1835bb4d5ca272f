"""The `casemgr` command line: contracts of INTERFACES §2 and clear one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from casemgr.auth.models import Organisation, User
from casemgr.demo import DEMO_PASSWORD, DEMO_USERS
from casemgr.extensions import db
from tests.conftest import log_in


def run(runner, *args: str, input: str | None = None):
    return runner.invoke(args=list(args), input=input, catch_exceptions=False)


def test_orgs_create_prints_the_id(app, runner) -> None:
    result = run(runner, "orgs", "create", "Jeju Immigration Office", "--kind", "agency")
    assert result.exit_code == 0
    with app.app_context():
        organisation = db.session.get(Organisation, int(result.output.strip()))
        assert organisation.name == "Jeju Immigration Office"


def test_users_create_with_password_from_stdin(app, runner) -> None:
    run(runner, "orgs", "create", "Legal Aid", "--kind", "ngo")
    result = run(runner, "users", "create", "Lawyer.One", "--role", "legal_aid", "--org",
                 "legal aid", "--password-stdin", input="a-long-enough-passphrase\n")
    assert result.exit_code == 0, result.output
    assert "password" not in result.output.lower()
    assert log_in(app.test_client(), "lawyer.one", "a-long-enough-passphrase").status_code == 302


def test_users_create_prints_a_generated_password_once(app, runner) -> None:
    run(runner, "orgs", "create", "Agency", "--kind", "agency")
    result = run(runner, "users", "create", "boss", "--role", "admin", "--org", "Agency")
    assert result.exit_code == 0
    password = next(line.split(": ", 1)[1] for line in result.output.splitlines()
                    if line.startswith("password: "))
    assert len(password) >= 12
    assert log_in(app.test_client(), "boss", password).status_code == 302


def test_cli_errors_exit_1_with_one_clear_line(app, runner) -> None:
    run(runner, "orgs", "create", "Agency", "--kind", "agency")
    run(runner, "users", "create", "taken", "--role", "caseworker", "--org", "Agency")
    cases = [
        (["users", "create", "x1", "--role", "wizard", "--org", "Agency"], "unknown role"),
        (["users", "create", "x2", "--role", "caseworker", "--org", "Nowhere"],
         "unknown organisation"),
        (["users", "create", "taken", "--role", "caseworker", "--org", "Agency"],
         "This username is taken."),
        (["users", "create", "x3", "--role", "caseworker", "--org", "Agency",
          "--password-stdin"], "at least 12 characters"),
        (["orgs", "create", "Agency", "--kind", "agency"], "already exists"),
        (["orgs", "create", "Other", "--kind", "church"], "unknown kind"),
        (["users", "create", "x4", "--role", "legal_aid", "--org", "Agency"],
         "must belong to an organisation of kind NGO"),
    ]
    for args, message in cases:
        result = runner.invoke(args=args, input="short\n")
        assert result.exit_code == 1, (args, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], (args, result.output, result.exception)
        assert "Traceback" not in result.output
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count()).select_from(User)).scalar() == 1


def test_usage_error_exits_2(runner) -> None:
    assert runner.invoke(args=["users", "create"]).exit_code == 2


def test_demo_creates_one_login_per_role_once(app, runner) -> None:
    result = run(runner, "demo", "--if-empty", "--applicants", "0")
    assert result.exit_code == 0
    demo_lines = [line for line in result.output.splitlines() if line.startswith("DEMO login")]
    assert len(demo_lines) == len(DEMO_USERS) == 6
    for username, *_ in DEMO_USERS:
        assert log_in(app.test_client(), username, DEMO_PASSWORD).status_code == 302
    again = run(runner, "demo", "--if-empty")
    assert "already has users" in again.output


def test_audit_verify_reports_intact_chain(runner) -> None:
    run(runner, "orgs", "create", "Agency", "--kind", "agency")
    result = run(runner, "audit", "verify")
    assert result.exit_code == 0
    assert result.output.strip() == "audit chain intact: 1 events"


def test_console_script_offers_every_command(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "casemgr"
    env = {**os.environ, "CASEMGR_INSTANCE_PATH": str(tmp_path),
           "CASEMGR_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}"}
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, env=env,
                            check=True)
    for command in ("db", "orgs", "users", "audit", "demo", "run"):
        assert f"  {command} " in result.stdout, command
