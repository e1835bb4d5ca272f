"""Import of generated CSV rows into a fresh SQLite database, and a streamed export with
its peak memory (issue 6's targets: 100,000 rows imported in under 10 s including
validation and history; an export whose memory does not grow with the rows).

Usage:
    python bench/bench_exchange.py import [--rows 100000] [--keep DIR]
    python bench/bench_exchange.py check --database sqlite:////path/1m.sqlite3 [--rows 1000]
    python bench/bench_exchange.py export --database sqlite:////path/1m.sqlite3 \
        [--format csv] [--limit N]

`import` writes a CSV of --rows people (varied synthetic names, every lodging route and
most statuses, a tenth with specific needs), migrates a new SQLite database in a temporary
directory, and times what `casemgr import applicants` runs, phase by phase: reading and
checking every row (values, dates, history through the lifecycle rules, duplicates), then
writing (the bulk writer: people, name index, cases, history, needs, statistics facts,
audit chain), then the commit. `check` times the check alone against an existing register
(read only), with half of the generated people bearing the name, sex and date of birth of
a person already registered there: the duplicate search against the register is what
grows with it. `export` streams every applicant of the
database to /dev/null through the exporter and reports rows, time and the peak RSS of the
process (`resource.getrusage`, which never decreases): the database is only read.
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from common import machine, make_app

SYLLABLES = ("ka", "mi", "ro", "sa", "te", "lu", "na", "vo", "de", "ri", "po", "ha", "zu",
             "le", "mo", "ni", "ta", "gu", "be", "shi", "an", "or", "el", "us", "im")
NATIONALITIES = ("RUS", "KAZ", "CHN", "PAK", "EGY", "IND", "MAR", "BGD", "KGZ", "UZB",
                 "MYS", "NGA", "XXA", "XXX")
NEEDS = ("SM-CI", "DS-PM", "PG-LC", "ER-NF", "WR-WR", "LP-ND", "SV-VO", "TR-PI")
HEADER = ("registration_no", "family_name", "given_names", "native_name", "sex",
          "date_of_birth", "nationality", "languages", "interpreter_needed", "arrival_date",
          "port_of_entry", "family_group", "relationship", "lodged_on", "lodged_at",
          "application_type", "status", "status_since", "referral_decision",
          "referral_decided_on", "decision_on", "decision", "objection_lodged_on",
          "objection_decided_on", "objection_decision", "specific_needs")


def _name(rng: random.Random, parts: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(parts)).capitalize()


def generate_row(rng: random.Random, today: date) -> dict[str, str]:
    """One person with one case whose dated columns follow the procedure."""
    lodged = today - timedelta(days=rng.randint(30, 1700))
    born = lodged - timedelta(days=rng.randint(18 * 365, 60 * 365))
    at_port = rng.random() < 0.2
    row = dict.fromkeys(HEADER, "")
    row.update(family_name=_name(rng, 3), given_names=_name(rng, 2), sex=rng.choice("FMFMX"),
               date_of_birth=born.isoformat() if rng.random() < 0.9 else str(born.year),
               nationality=rng.choice(NATIONALITIES), languages="rus;eng",
               interpreter_needed=rng.choice(("yes", "no")), lodged_on=lodged.isoformat(),
               lodged_at="port_of_entry" if at_port else "in_country",
               arrival_date=(lodged - timedelta(days=rng.choice((0, 3, 40)))).isoformat())
    day = lodged
    if at_port:
        row["port_of_entry"] = "ICN"
        day = lodged + timedelta(days=rng.randint(1, 7))
        row.update(referral_decision="referred", referral_decided_on=day.isoformat())
    roll = rng.random()
    if roll < 0.3:
        return row
    decided = day + timedelta(days=rng.randint(60, 300))
    if decided > today:
        return row
    if roll < 0.35:
        row.update(status="withdrawn", status_since=decided.isoformat())
        return row
    row.update(decision=rng.choice(("rejected", "rejected", "rejected", "recognized",
                                    "humanitarian")), decision_on=decided.isoformat())
    if row["decision"] != "recognized" and rng.random() < 0.6:
        objected = decided + timedelta(days=rng.randint(5, 28))
        if objected <= today:
            row["objection_lodged_on"] = objected.isoformat()
            answer = objected + timedelta(days=rng.randint(60, 200))
            if answer <= today and rng.random() < 0.7:
                row.update(objection_decided_on=answer.isoformat(),
                           objection_decision=rng.choice(("dismissed", "dismissed",
                                                          "accepted", "inadmissible")))
    if rng.random() < 0.1:
        row["specific_needs"] = rng.choice(NEEDS)
    return row


def write_csv(path: Path, rows: int, seed: int, today: date) -> None:
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=HEADER)
        writer.writeheader()
        for _ in range(rows):
            writer.writerow(generate_row(rng, today))


def bench_import(rows: int, seed: int, keep: Path | None) -> None:
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from casemgr.auth.models import OrganisationKind
    from casemgr.auth.services import create_organisation
    from casemgr.extensions import db
    from casemgr.localtime import today

    directory = keep or Path(tempfile.mkdtemp(prefix="casemgr-bench-import-"))
    directory.mkdir(parents=True, exist_ok=True)
    database = directory / "import.sqlite3"
    database.unlink(missing_ok=True)
    source = directory / "applicants.csv"
    app = make_app(f"sqlite:///{database}")
    with app.app_context():
        write_csv(source, rows, seed, today())
        upgrade()
        create_organisation(db.session, name="Bench agency", kind=OrganisationKind.AGENCY,
                            actor=None)
        db.session.commit()
    with app.app_context():
        from casemgr.applicants import matching
        from casemgr.exchange import importer
        from casemgr.exchange.cli import _agency

        start, cpu_start = time.perf_counter(), time.process_time()
        with matching.remembered_skeletons():  # as `casemgr import applicants` does
            plan = importer.check_file(db.session, source, filename=source.name,
                                       agency_id=_agency(None).id, actor=None,
                                       scope=sa.true(), today=today())
            checked = time.perf_counter()
            if plan.errors:
                raise SystemExit(f"the generated file has problems: {plan.errors[:5]}")
            result = importer.write_plan(db.session, plan, actor=None, source="csv")
            written = time.perf_counter()
            db.session.commit()
            done, cpu_done = time.perf_counter(), time.process_time()
    print(f"imported {result.applicants} applicants, {result.cases} cases, "
          f"{len(plan.warnings)} duplicate warnings")
    print(f"import of {rows} CSV rows: {done - start:.2f} s = read and check "
          f"{checked - start:.2f} s + write {written - checked:.2f} s + commit "
          f"{done - written:.2f} s")
    print(f"CPU time of this process: {cpu_done - cpu_start:.2f} s (the figure to compare "
          "on a shared machine; the wall time includes waiting for the CPU)")
    print(machine())
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


def bench_check(database_url: str, rows: int, seed: int) -> None:
    import sqlalchemy as sa

    from casemgr.applicants.models import Applicant
    from casemgr.exchange import importer
    from casemgr.exchange.cli import _agency
    from casemgr.extensions import db
    from casemgr.localtime import today

    rng = random.Random(seed)
    source = Path(tempfile.mkdtemp(prefix="casemgr-bench-check-")) / "applicants.csv"
    app = make_app(database_url)
    with app.app_context():
        last = db.session.execute(sa.select(sa.func.max(Applicant.id))).scalar_one()
        picked = rng.sample(range(1, last + 1), rows)
        registered = db.session.execute(  # adults, so the generated dates fit them
            sa.select(Applicant.family_name, Applicant.given_names, Applicant.sex,
                      Applicant.date_of_birth, Applicant.nationality)
            .where(Applicant.id.in_(picked),
                   Applicant.birth_reference_date < date(2004, 1, 1))
            .limit(rows // 2)).all()
        with source.open("w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, fieldnames=HEADER)
            writer.writeheader()
            for index in range(rows):
                row = generate_row(rng, today())
                if index % 2 and registered:
                    person = registered.pop()
                    row.update(family_name=person.family_name, given_names=person.given_names,
                               sex=str(person.sex), date_of_birth=person.date_of_birth,
                               nationality=person.nationality)
                writer.writerow(row)
        start, cpu_start = time.perf_counter(), time.process_time()
        plan = importer.check_file(db.session, source, filename=source.name,
                                   agency_id=_agency(None).id, actor=None, scope=sa.true(),
                                   today=today())  # remembers its skeletons itself
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        people = db.session.execute(sa.select(sa.func.count(Applicant.id))).scalar_one()
    for problem in plan.errors[:10]:
        print("error:", problem)
    print(f"checked {plan.rows} rows against {people} registered people: {len(plan.errors)} "
          f"errors, {len(plan.warnings)} duplicate warnings")
    print(f"{elapsed:.2f} s ({cpu:.2f} s CPU), {elapsed / plan.rows * 1000:.2f} ms a row")
    print(machine())


def bench_export(database_url: str, file_format: str, limit: int | None) -> None:
    import sqlalchemy as sa

    from casemgr.applicants.models import Applicant
    from casemgr.exchange import exporter
    from casemgr.extensions import db

    app = make_app(database_url)
    with app.app_context():
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        query = sa.select(Applicant)
        if limit:
            query = query.where(Applicant.id <= limit)
        rows = exporter.Counter(exporter.export_rows(db.session, query, None))
        start = time.perf_counter()
        size = 0
        peaks = []
        with open("/dev/null", "wb") as sink:
            for piece in exporter.chunks(iter(rows), file_format):
                sink.write(piece)
                size += len(piece)
                if rows.count and rows.count % 100_000 < 50:
                    peaks.append((rows.count,
                                  resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024))
        elapsed = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"export {file_format}: {rows.count} rows, {size / 1e6:.0f} MB in {elapsed:.1f} s")
    print(f"peak RSS before {before / 1024:.0f} MiB, after {peak:.0f} MiB")
    seen = {}
    for count, rss in peaks:
        seen.setdefault(count // 100_000, (count, rss))
    print("peak RSS along the way (rows, MiB):", sorted(seen.values()))
    print(machine())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    run_import = commands.add_parser("import")
    run_import.add_argument("--rows", type=int, default=100_000)
    run_import.add_argument("--seed", type=int, default=6)
    run_import.add_argument("--keep", type=Path, help="directory for the CSV and database")
    run_check = commands.add_parser("check")
    run_check.add_argument("--database", required=True)
    run_check.add_argument("--rows", type=int, default=1000)
    run_check.add_argument("--seed", type=int, default=6)
    run_export = commands.add_parser("export")
    run_export.add_argument("--database", required=True)
    run_export.add_argument("--format", default="csv", choices=("csv", "xlsx"))
    run_export.add_argument("--limit", type=int, help="only applicants with id <= LIMIT")
    args = parser.parse_args()
    if args.command == "import":
        bench_import(args.rows, args.seed, args.keep)
    elif args.command == "check":
        bench_check(args.database, args.rows, args.seed)
    else:
        bench_export(args.database, args.format, args.limit)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
