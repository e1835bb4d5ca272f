"""`casemgr stats annual`: a year's tables as a file (INTERFACES.md §2); `casemgr stats
rebuild-facts`: recompute the facts the tables count (after a repair of the data outside
the app, or a change of the counting rules).

Invalid input (a year outside 1994..this year, an unknown format, XLSX to a terminal)
exits 1 with one line on stderr, like every casemgr command; a missing option is click's
usage error (exit 2). Each export is recorded in the audit trail.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from casemgr.applicants.models import Applicant
from casemgr.audit.services import AuditAction, record
from casemgr.extensions import db
from casemgr.localtime import today
from casemgr.statistics import exports, facts, tables

stats_cli = AppGroup("stats", help="Annual registration statistics (STATISTICS.md).")


def _year(text: str) -> int:
    """The year, or a ClickException (exit 1) naming the accepted range."""
    now = today()
    year = int(text) if text.strip().isdecimal() else None
    if year is None or not tables.valid_year(year, now):
        raise click.ClickException(
            f"invalid year {text!r}: use a year from {tables.FIRST_YEAR} to {now.year}")
    return year


def _directory_of(path: Path) -> Path:
    directory = path.resolve().parent
    if not directory.is_dir():
        raise click.ClickException(f"cannot write {path}: no such directory {directory}")
    return directory


def _write_atomically(path: Path, pieces: Iterator[bytes]) -> None:
    """Write next to the target and rename, so a failure never leaves half a file."""
    handle, draft = tempfile.mkstemp(dir=_directory_of(path), prefix=f".{path.name}.",
                                     suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            for piece in pieces:
                out.write(piece)
        os.replace(draft, path)
    except BaseException:
        Path(draft).unlink(missing_ok=True)
        raise


@stats_cli.command("annual")
@click.option("--year", "year_text", required=True, metavar="YYYY",
              help=f"the calendar year ({tables.FIRST_YEAR} to this year)")
@click.option("--public", is_flag=True,
              help="apply disclosure control (the release anyone may see)")
@click.option("--format", "file_format", required=True, metavar="csv|xlsx|json",
              help="the file format")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="write to FILE instead of standard output")
def annual(year_text: str, public: bool, file_format: str, output: Path | None) -> None:
    """Write the annual statistics tables of one year (exact unless --public)."""
    year = _year(year_text)
    file_format = file_format.strip().lower()
    if file_format not in exports.FORMATS:
        raise click.ClickException(
            f"unknown format {file_format!r}: use one of {', '.join(exports.FORMATS)}")
    stdout = sys.stdout.buffer
    if output is None and file_format == "xlsx" and stdout.isatty():
        raise click.ClickException(
            "xlsx is a binary file: give --output FILE or redirect standard output")
    if output is not None:
        _directory_of(output)
    release = exports.Release.now(year, public=public)
    record(db.session, AuditAction.STATISTICS_EXPORTED, actor=None, details={
        "year": year, "format": file_format, "release": release.name,
        "output": str(output) if output else "stdout"})
    db.session.commit()
    pieces = exports.chunks(db.session, release, file_format)
    if output is None:
        for piece in pieces:
            stdout.write(piece)
        stdout.flush()
    else:
        _write_atomically(output, pieces)
        click.echo(f"wrote {release.name} statistics for {year} to {output}", err=True)
    db.session.rollback()


@stats_cli.command("rebuild-facts")
@click.option("--batch-size", type=click.IntRange(min=1), default=facts.BATCH_SIZE,
              show_default=True, help="people per transaction")
def rebuild_facts(batch_size: int) -> None:
    """Recompute every person's statistics facts from their records.

    Each batch of people is its own transaction, so the app keeps working and the
    statistics stay readable meanwhile (a person's old and new facts agree unless the rules
    changed); people changed meanwhile are rebuilt by their own transactions.
    """
    people = db.session.execute(sa.select(sa.func.count()).select_from(Applicant)).scalar_one()
    db.session.commit()
    with click.progressbar(length=people, label="Rebuilding statistics facts",
                           file=sys.stderr, show_pos=True) as bar:
        rebuilt, written = facts.rebuild_all(db.session, batch_size=batch_size,
                                             progress=bar.update, commit=db.session.commit)
    db.session.commit()
    with db.engine.connect() as connection:
        facts.refresh_planner_statistics(
            connection.execution_options(isolation_level="AUTOCOMMIT"))
    click.echo(f"rebuilt {written:,} statistics facts of {rebuilt:,} people", err=True)
