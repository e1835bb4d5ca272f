"""`casemgr import applicants FILE` and `casemgr export applicants` (INTERFACES.md §2).

Exit status: 0 done, 1 invalid input (each problem on stderr as `row N, column C:
message`, nothing written), 2 usage (click). The import runs in one transaction that is
committed only after the last row is written; a killed process or a database error leaves
the database as it was.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from casemgr.applicants import matching
from casemgr.audit.services import AuditAction, record
from casemgr.auth.models import Organisation, OrganisationKind
from casemgr.exceptions import ImportRejected
from casemgr.exchange import exporter, importer
from casemgr.exchange.columns import FORMATS, UnreadableFile, file_format
from casemgr.extensions import db
from casemgr.localtime import today

import_cli = AppGroup("import", help="Import records (INTERFACES.md §3).")
export_cli = AppGroup("export", help="Export records (INTERFACES.md §3).")


def _agency(name: str | None) -> Organisation:
    """The agency the imported people are registered with: --agency, or the only one."""
    query = sa.select(Organisation).where(Organisation.kind == OrganisationKind.AGENCY)
    if name:
        query = query.where(Organisation.name == name)
    agencies = db.session.execute(query.limit(2)).scalars().all()
    if len(agencies) != 1:
        raise click.ClickException(
            f"unknown agency {name!r}" if name else
            "give --agency NAME: the database has no agency, or more than one")
    return agencies[0]


def _estimated_rows(path: Path) -> int:
    """Lines after the header of a CSV file (for the progress bar only: a quoted value
    spanning lines counts twice); XLSX files are not opened twice for this."""
    if path.suffix.lower() != ".csv":
        return 0
    with path.open("rb") as stream:
        return max(sum(1 for _line in stream) - 1, 0)


@import_cli.command("applicants")
@click.argument("path", metavar="FILE",
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="check the file and report; write nothing")
@click.option("--reject-duplicates", is_flag=True,
              help="refuse the file when it holds likely duplicates")
@click.option("--agency", "agency_name", metavar="NAME",
              help="register the people with this agency (default: the only agency)")
def import_applicants(path: Path, dry_run: bool, reject_duplicates: bool,
                      agency_name: str | None) -> None:
    """Check FILE (.csv or .xlsx) and import its applicants and cases."""
    try:
        file_format(path.name)
    except UnreadableFile as error:
        raise click.ClickException(str(error)) from None
    # One memory of name skeletons for the check and the write: each name is
    # transliterated once, not once per comparison and again for the index.
    with matching.remembered_skeletons():
        agency = _agency(agency_name)
        show = sys.stderr.isatty()
        with click.progressbar(length=_estimated_rows(path) if show else 0, label="Checking",
                               file=sys.stderr, hidden=not show) as bar:
            try:
                plan = importer.check_file(db.session, path, filename=path.name,
                                           agency_id=agency.id, actor=None, scope=sa.true(),
                                           today=today(),
                                           progress=lambda n: bar.update(n - bar.pos))
            except UnreadableFile as error:
                raise click.ClickException(str(error)) from None
        for warning in plan.warnings:
            click.echo(f"warning: {warning}", err=True)
        if plan.errors:
            for problem in plan.errors:
                click.echo(str(problem), err=True)
            raise click.ClickException(f"{len(plan.errors)} problems; nothing was imported")
        if reject_duplicates and plan.warnings:
            raise click.ClickException(f"{len(plan.warnings)} likely duplicates "
                                       "(--reject-duplicates); nothing was imported")
        if dry_run:
            click.echo(f"dry run: would import {len(plan.people)} applicants, {plan.cases} cases")
            return
        with click.progressbar(length=len(plan.people), label="Importing", file=sys.stderr,
                               hidden=not show) as bar:
            try:
                result = importer.write_plan(db.session, plan, actor=None,
                                             source=file_format(path.name),
                                             reject_duplicates=reject_duplicates,
                                             progress=lambda n: bar.update(n - bar.pos))
            except ImportRejected as error:
                raise click.ClickException(error.message) from None
            db.session.commit()
        click.echo(f"imported {result.applicants} applicants, {result.cases} cases")


@export_cli.command("applicants")
@click.option("--format", "file_format_", required=True, type=click.Choice(sorted(FORMATS)),
              help="the file format")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="write to FILE instead of standard output")
def export_applicants(file_format_: str, output: Path | None) -> None:
    """Write every applicant and case in the §3 columns (streamed)."""
    from casemgr.applicants.models import Applicant

    stdout = sys.stdout.buffer
    if output is None and file_format_ == "xlsx" and stdout.isatty():
        raise click.ClickException("XLSX is binary: give --output FILE or redirect")
    rows = exporter.Counter(exporter.export_rows(db.session, sa.select(Applicant), None))
    pieces = exporter.chunks(iter(rows), file_format_)
    if output is None:
        for piece in pieces:
            stdout.write(piece)
        stdout.flush()
    else:
        from casemgr.statistics.cli import _write_atomically

        _write_atomically(output, pieces)
    record(db.session, AuditAction.RECORDS_EXPORTED, actor=None, details={
        "format": file_format_, "filters": {}, "rows": rows.count, "source": "cli"})
    db.session.commit()
