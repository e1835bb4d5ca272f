"""`casemgr retention run [--dry-run]`: anonymise the people whose every case has been
closed for `RETENTION_YEARS` or more (see `casemgr.retention.services`).

A dry run prints how many people would be anonymised and writes nothing. A real run
shows a progress bar on a terminal, commits one batch at a time and prints what it did;
a failing batch is rolled back (earlier batches stay committed, the run is audited with
the failing batch's number) and the error propagates.
"""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from casemgr.extensions import db
from casemgr.localtime import today
from casemgr.retention import services

retention_cli = AppGroup("retention", help="Anonymise people whose cases closed long ago.")


@retention_cli.command("run")
@click.option("--dry-run", is_flag=True, help="only count the people; write nothing")
@click.option("--batch-size", type=click.IntRange(min=1), default=services.BATCH_SIZE,
              show_default=True, help="people per transaction")
def run(dry_run: bool, batch_size: int) -> None:
    """Anonymise the people whose every case closed RETENTION_YEARS ago or earlier."""
    years = current_app.config["RETENTION_YEARS"]
    if not isinstance(years, int) or years < 1:
        raise click.ClickException(f"RETENTION_YEARS must be at least 1, not {years!r}")
    now = today()
    if dry_run:
        result = services.run(db.session, today=now, years=years, commit=db.session.commit,
                              dry_run=True)
        click.echo(f"{result.eligible} people would be anonymised (every case closed on or "
                   f"before {result.cutoff.isoformat()}); dry run, nothing written")
        return
    eligible = len(services.eligible_ids(db.session, services.cutoff_for(now, years)))
    db.session.rollback()
    with click.progressbar(length=eligible, label="Anonymising", file=sys.stderr,
                           show_pos=True) as bar:
        result = services.run(db.session, today=now, years=years, commit=db.session.commit,
                              batch_size=batch_size, progress=bar.update)
    click.echo(f"anonymised {result.anonymised} of {result.eligible} people in "
               f"{result.batches} batches (every case closed on or before "
               f"{result.cutoff.isoformat()})")
