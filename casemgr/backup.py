"""Online backup and restore of the embedded SQLite database (PostgreSQL has pg_dump).

SQLite's backup API copies a consistent snapshot page by page while the app keeps serving:
a plain file copy of a database in WAL mode could miss committed pages still in the WAL.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlalchemy as sa

from casemgr.exceptions import DomainError


class BackupRefused(DomainError):
    """A backup or restore that cannot be done as asked (the message says why)."""


def sqlite_path(engine: sa.Engine) -> Path:
    if engine.dialect.name != "sqlite" or not engine.url.database:
        raise BackupRefused("casemgr backup works on the SQLite database; back up PostgreSQL "
                            "with pg_dump (see README, Running in production)")
    return Path(engine.url.database)


def _copy(source: Path, target: Path) -> int:
    """Copy `source` into `target` with the backup API; returns the pages copied."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
        pages = dst.execute("PRAGMA page_count").fetchone()[0]
        if dst.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupRefused(f"{target} failed its integrity check")
    return int(pages)


def backup(engine: sa.Engine, target: Path, *, force: bool = False) -> int:
    source = sqlite_path(engine)
    if target.exists() and not force:
        raise BackupRefused(f"{target} exists; give --force to overwrite it")
    target.unlink(missing_ok=True)
    return _copy(source, target)


def restore(engine: sa.Engine, source: Path, *, force: bool = False) -> int:
    """Replace the database with a backup (every connection of this process is closed
    first; stop the app's workers before restoring)."""
    target = sqlite_path(engine)
    if not source.is_file():
        raise BackupRefused(f"{source} is not a file")
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as check:
        try:
            check.execute("SELECT count(*) FROM alembic_version").fetchone()
        except sqlite3.DatabaseError as error:
            raise BackupRefused(f"{source} is not a casemgr database ({error})") from None
    if target.exists() and target.stat().st_size > 0 and not force:
        raise BackupRefused(f"{target} holds a database; give --force to replace it")
    engine.dispose()
    return _copy(source, target)
