"""`casemgr backup` makes a consistent online copy of the SQLite database and
`casemgr restore` brings it back, refusing to overwrite without --force; on PostgreSQL
both point to pg_dump."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from casemgr.auth.models import User
from casemgr.extensions import db
from tests.conftest import postgres_url


def run(runner, *args: str):
    return runner.invoke(args=list(args), catch_exceptions=False)


def users(app) -> set[str]:
    with app.app_context():
        return set(db.session.execute(sa.select(User.username)).scalars())


def test_backup_and_restore(app, runner, factories, tmp_path) -> None:
    if postgres_url():
        result = run(runner, "backup", str(tmp_path / "copy.sqlite3"))
        assert result.exit_code == 1
        assert "pg_dump" in result.output
        return
    kept = factories.user(username="kept.user")
    copy = tmp_path / "copy.sqlite3"
    result = run(runner, "backup", str(copy))
    assert result.exit_code == 0, result.output
    assert "integrity ok" in result.output
    assert run(runner, "backup", str(copy)).exit_code == 1  # exists: needs --force
    factories.user(username="later.user")
    assert {"kept.user", "later.user"} <= users(app)
    refused = run(runner, "restore", str(copy))
    assert refused.exit_code == 1
    assert "--force" in refused.output
    assert "later.user" in users(app)  # nothing was touched
    result = run(runner, "restore", str(copy), "--force")
    assert result.exit_code == 0, result.output
    restored = users(app)
    assert kept.username in restored and "later.user" not in restored
    assert run(runner, "audit", "verify").exit_code == 0


@pytest.mark.skipif(bool(postgres_url()), reason="the SQLite backup API")
def test_restore_refuses_what_is_not_a_casemgr_database(runner, tmp_path) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    result = run(runner, "restore", str(junk), "--force")
    assert result.exit_code == 1
    assert "not a casemgr database" in result.output
    assert run(runner, "restore", str(tmp_path / "absent.sqlite3")).exit_code == 1
