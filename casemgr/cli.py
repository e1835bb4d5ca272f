"""The `casemgr` command line: a Flask CLI group whose commands only call services.

Expected failures exit 1 with one line on stderr; usage errors exit 2 (click's rule).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup, FlaskGroup, with_appcontext

from casemgr.exceptions import ValidationFailed
from casemgr.extensions import db

orgs_cli = AppGroup("orgs", help="Manage organisations.")
users_cli = AppGroup("users", help="Manage users.")
audit_cli = AppGroup("audit", help="Check the audit trail.")


def fail(message: str) -> click.ClickException:
    return click.ClickException(message)


@orgs_cli.command("create")
@click.argument("name")
@click.option("--kind", required=True, help="agency or ngo")
def orgs_create(name: str, kind: str) -> None:
    """Create an organisation and print its id."""
    from casemgr.auth.models import OrganisationKind
    from casemgr.auth.services import create_organisation

    if kind not in set(OrganisationKind):
        raise fail(f"unknown kind {kind!r}; use one of: {', '.join(OrganisationKind)}")
    try:
        organisation = create_organisation(db.session, name=name, kind=kind, actor=None)
    except ValidationFailed as error:
        raise fail(" ".join(error.messages)) from None
    db.session.commit()
    click.echo(organisation.id)


@users_cli.command("create")
@click.argument("username")
@click.option("--role", required=True, help="admin, supervisor, caseworker, legal_aid, "
                                            "analyst or auditor")
@click.option("--org", "organisation_name", required=True, help="the organisation's name")
@click.option("--full-name", default="", help="the person's name, for lists and the audit log")
@click.option("--password-stdin", is_flag=True,
              help="read the password from standard input instead of generating one")
def users_create(username: str, role: str, organisation_name: str, full_name: str,
                 password_stdin: bool) -> None:
    """Create a user; without --password-stdin a generated password is printed once."""
    from casemgr.auth.models import Role
    from casemgr.auth.services import create_user, find_organisation, generate_password

    if role not in set(Role):
        raise fail(f"unknown role {role!r}; use one of: {', '.join(Role)}")
    organisation = find_organisation(db.session, organisation_name)
    if organisation is None:
        raise fail(f"unknown organisation {organisation_name!r}")
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else generate_password()
    try:
        user = create_user(db.session, username=username, role=role, organisation=organisation,
                           password=password, full_name=full_name, actor=None)
    except ValidationFailed as error:
        raise fail(" ".join(error.messages)) from None
    db.session.commit()
    click.echo(f"created user {user.username} (id {user.id}, {user.role}, {organisation.name})")
    if not password_stdin:
        click.echo(f"password: {password}")
        click.echo("Give it to the user through a safe channel; it is not shown again.")


@users_cli.command("token")
@click.argument("username")
@click.option("--expires-days", type=click.IntRange(min=1), default=None,
              help="days until the token stops working (default: never)")
@click.option("--name", default="", help="what the token is for")
def users_token(username: str, expires_days: int | None, name: str) -> None:
    """Make an API token for a user and print it once (only its hash is stored)."""
    from casemgr.api.tokens import create_token
    from casemgr.auth.models import User

    user = db.session.execute(sa.select(User).where(User.username == username)
                              ).scalar_one_or_none()
    if user is None:
        raise fail(f"unknown user {username!r}")
    try:
        made = create_token(db.session, user, actor=None, name=name, expires_days=expires_days)
    except ValidationFailed as error:
        raise fail(" ".join(error.messages)) from None
    db.session.commit()
    click.echo(made.secret)
    click.echo(f"API token for {user.username} ({user.role}); it is not shown again.",
               err=True)


@audit_cli.command("verify")
def audit_verify() -> None:
    """Recompute the audit hash chain; exit 1 naming the first broken event."""
    from casemgr.audit.services import verify_chain

    report = verify_chain(db.session)
    if not report.intact:
        raise fail(f"audit chain broken at event {report.broken_at}: {report.problem}")
    click.echo(f"audit chain intact: {report.events} events")


@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="overwrite TARGET if it exists")
@with_appcontext
def backup_command(target: Path, force: bool) -> None:
    """Copy the SQLite database to TARGET while the app runs (a consistent snapshot)."""
    from casemgr import backup

    try:
        pages = backup.backup(db.engine, target, force=force)
    except backup.BackupRefused as error:
        raise fail(str(error)) from None
    click.echo(f"backed up to {target} ({pages} pages, integrity ok)")


@click.command("restore")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="replace the database that is there")
@with_appcontext
def restore_command(source: Path, force: bool) -> None:
    """Bring back a backup made by `casemgr backup` (stop the app's workers first)."""
    from casemgr import backup

    try:
        pages = backup.restore(db.engine, source, force=force)
    except backup.BackupRefused as error:
        raise fail(str(error)) from None
    click.echo(f"restored from {source} ({pages} pages, integrity ok)")


@click.command("demo")
@click.option("--applicants", default=300, show_default=True, type=click.IntRange(min=0),
              help="how many synthetic applicants to create")
@click.option("--seed", default=2023, show_default=True, type=int,
              help="random seed; the same seed gives the same data")
@click.option("--if-empty", is_flag=True, help="do nothing when the database has users")
@with_appcontext
def demo(applicants: int, seed: int, if_empty: bool) -> None:
    """Load deterministic synthetic demo data and print the DEMO logins."""
    from casemgr.applicants.search import merge_index
    from casemgr.auth.models import User
    from casemgr.database import refresh_statistics
    from casemgr.demo import DEMO_PASSWORD, load_demo
    from casemgr.localtime import today

    if if_empty and db.session.execute(sa.select(User.id).limit(1)).first():
        click.echo("The database already has users; demo data not loaded.")
        return
    with click.progressbar(length=applicants, label="Creating demo applicants",
                           file=sys.stderr) as bar:
        logins = load_demo(db.session, applicants=applicants, seed=seed, today=today(),
                           progress=lambda done: bar.update(done - bar.pos),
                           commit_every=50_000)
    merge_index(db.session)
    refresh_statistics(db.session)
    db.session.commit()
    click.echo("")
    for username, role, organisation in logins:
        click.echo(f"DEMO login: {username:<12} password: {DEMO_PASSWORD}  "
                   f"({role}, {organisation})")
    click.echo("These DEMO logins are for trying casemgr only; never use them with real data.")


def init_cli(app: Flask) -> None:
    from casemgr.exchange.cli import export_cli, import_cli
    from casemgr.retention.cli import retention_cli
    from casemgr.statistics.cli import stats_cli

    for command in (orgs_cli, users_cli, audit_cli, demo, stats_cli, import_cli, export_cli,
                    retention_cli, backup_command, restore_command):
        app.cli.add_command(command)


def main() -> None:
    """Entry point of the `casemgr` console script (same commands as `flask --app casemgr`)."""
    from casemgr import create_app

    FlaskGroup(create_app=create_app, help="casemgr: asylum case management.").main(
        prog_name="casemgr")
