"""Load test: casemgr under gunicorn on loopback, driven by locust headless (issue 9).

Usage (the `bench` extra: pip install -e '.[bench]'):
    casemgr db upgrade && casemgr demo --applicants 1000000     # with CASEMGR_DATABASE_URL
    python bench/load_test.py --database sqlite:////path/1m.sqlite3
    python bench/load_test.py --database postgresql+psycopg://postgres@127.0.0.1:5432/bench1m

The script samples what to request from the database (names, filters, cases of the demo
caseworker's agency, cases shared with the demo NGO), serves casemgr with the project's
gunicorn.conf.py on free loopback ports (one instance for SQLite, two for PostgreSQL, all
with one secret key so a session is valid on both), runs bench/locustfile.py headless
(default 50 users, 10 started a second, 60 s) and prints requests/s and p50/p95/p99 per
page as a Markdown table, with the failures and any error the servers logged.

The test writes: status changes, hearings and the audit events of every page view and
search. Run it on a database you can throw away (a copy of the generated one).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shlex
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from common import (
    BENCH,
    LIST_STATUSES,
    gunicorn,
    machine,
    make_app,
    sample_names,
    server_environment,
    server_errors,
    top_nationalities,
)

from casemgr.applicants.models import Applicant, SharingRecord
from casemgr.auth.models import User
from casemgr.cases.models import Case, CaseStatus
from casemgr.demo import DEMO_PASSWORD
from casemgr.extensions import db

# Where the demo caseworker has a step to offer (DOMAIN.md's state machine, without the
# decisions only supervisors record).
WORKABLE = [CaseStatus.REFERRAL_PENDING, CaseStatus.NOT_REFERRED,
            CaseStatus.REFERRAL_LITIGATION, CaseStatus.FIRST_INSTANCE, CaseStatus.REJECTED,
            CaseStatus.HUMANITARIAN, CaseStatus.OBJECTION, CaseStatus.LITIGATION]
WEIGHTS = {"caseworker": 6, "ngo": 2, "analyst": 1}
# The table's order: by kind of user, as locustfile.py names the requests.
PAGES = ["dashboard", "applicant list, filtered", "name search", "case page",
         "status change (POST)", "hearing form", "hearing booking (POST)",
         "NGO: applicant list", "NGO: case page", "statistics page",
         "statistics download (CSV)", "login form", "login (POST)", "Aggregated"]


def case_sample(rng: random.Random, count: int, people: Any, *conditions: Any) -> list[int]:
    """Up to `count` random ids of cases of people meeting `people`, the cases meeting the
    conditions. Drawn by random ids, one table at a time: no ORDER BY random() over a
    million rows, and no join, for which SQLite may pick a plan that loops over the IN list
    for every row of the other table."""
    top = db.session.execute(sa.select(sa.func.max(Applicant.id))).scalar_one()
    found: set[int] = set()
    for _ in range(20):
        probe = {rng.randint(1, top) for _ in range(count * 4)}
        chosen = db.session.execute(
            sa.select(Applicant.id).where(Applicant.id.in_(probe), people)).scalars().all()
        found.update(db.session.execute(
            sa.select(Case.id).where(Case.applicant_id.in_(chosen), *conditions)).scalars())
        if len(found) >= count:
            break
    return sorted(rng.sample(sorted(found), min(count, len(found))))


def build_plan(database: str, rng: random.Random, year: int) -> dict[str, Any]:
    """What the simulated users request, sampled from the database."""
    app = make_app(database)
    with app.app_context():
        users = {user.username: user for user in db.session.execute(
            sa.select(User).where(User.username.in_(["caseworker", "lawyer"]))).scalars()}
        if len(users) < 2:
            raise SystemExit("the demo users are missing: run `casemgr demo` first")
        agency = Applicant.agency_id == users["caseworker"].organisation_id
        shared = sa.exists().where(
            SharingRecord.applicant_id == Applicant.id,
            SharingRecord.organisation_id == users["lawyer"].organisation_id,
            SharingRecord.revoked_on.is_(None))
        plan = {
            "applicants": db.session.execute(
                sa.select(sa.func.count()).select_from(Applicant)).scalar_one(),
            "names": sample_names(rng, 400),
            "nationalities": top_nationalities(8),
            "statuses": LIST_STATUSES,
            "view_cases": case_sample(rng, 2000, agency),
            "work_cases": case_sample(rng, 3000, agency, Case.is_current,
                                      Case.status.in_(WORKABLE)),
            "ngo_cases": case_sample(rng, 1000, shared),
            "years": [year],
        }
        db.engine.dispose()
    for key in ("view_cases", "work_cases", "ngo_cases", "names"):
        if not plan[key]:
            raise SystemExit(f"no {key.replace('_', ' ')} found: is this a demo database?")
    return plan


def locust_table(stats_csv: Path) -> tuple[list[str], int]:
    """The Markdown table of locust's per-page statistics, and the failure count."""
    lines = ["| page | requests | failures | req/s | p50 ms | p95 ms | p99 ms |",
             "|---|---|---|---|---|---|---|"]
    failures = 0
    with stats_csv.open(newline="") as handle:
        rows = sorted(csv.DictReader(handle), key=lambda row: (
            PAGES.index(row["Name"]) if row["Name"] in PAGES else len(PAGES) - 1))
        for row in rows:
            name = row["Name"]
            if name == "Aggregated":
                name, failures = "**all requests**", int(row["Failure Count"])
            lines.append(f"| {name} | {int(row['Request Count']):,} | {row['Failure Count']} | "
                         f"{float(row['Requests/s']):.1f} | {row['50%']} | {row['95%']} | "
                         f"{row['99%']} |")
    return lines, failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--time", default="60s", help="locust --run-time, e.g. 60s or 20s")
    parser.add_argument("--instances", type=int,
                        help="gunicorn instances (default: 1 on SQLite, 2 on PostgreSQL)")
    parser.add_argument("--workers", type=int,
                        help="gunicorn workers per instance (default: gunicorn.conf.py's)")
    parser.add_argument("--wait", default="1,3",
                        help="each user's pause between pages, min,max seconds")
    parser.add_argument("--year", type=int, default=date.today().year - 1,
                        help="the statistics year analysts look at")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--log-dir", type=Path,
                        help="keep the plan, locust's CSV and the server logs here")
    args = parser.parse_args()
    postgres = args.database.startswith("postgresql")
    instances = args.instances or (2 if postgres else 1)

    run_dir = args.log_dir or Path(tempfile.mkdtemp(prefix="casemgr-load-"))
    run_dir.mkdir(parents=True, exist_ok=True)
    plan = build_plan(args.database, random.Random(args.seed), args.year)
    environment = server_environment(args.database, run_dir)
    with ExitStack() as servers:
        hosts = [servers.enter_context(gunicorn("casemgr:create_app()", environment,
                                                workers=args.workers, log_dir=run_dir))
                 for _ in range(instances)]
        plan.update(hosts=hosts, password=DEMO_PASSWORD, weights=WEIGHTS,
                    wait=[float(v) for v in args.wait.split(",")])
        plan_path = run_dir / "plan.json"
        plan_path.write_text(json.dumps(plan))
        command = [sys.executable, "-m", "locust", "-f", str(BENCH / "locustfile.py"),
                   "--headless", "-u", str(args.users), "-r", str(args.spawn_rate),
                   "-t", args.time, "-H", hosts[0], "--csv", str(run_dir / "locust"),
                   "--only-summary", "--loglevel", "WARNING"]
        print(f"{plan['applicants']:,} applicants; {machine()}; database "
              f"{args.database.split(':')[0]}; {instances} gunicorn instance(s): "
              f"{', '.join(hosts)}; logs in {run_dir}", flush=True)
        with (run_dir / "locust.log").open("wb") as log:
            subprocess.run(command, env={**environment, "CASEMGR_BENCH_PLAN": str(plan_path)},
                           stdout=log, stderr=subprocess.STDOUT, check=False)
    table, failures = locust_table(run_dir / "locust_stats.csv")
    print(f"\n{args.users} users (started {args.spawn_rate:g}/s), {args.time}, pauses "
          f"{args.wait} s, {instances} instance(s); command: "
          f"python bench/load_test.py {shlex.join(sys.argv[1:])}\n")
    print("\n".join(table))
    failure_csv = run_dir / "locust_failures.csv"
    if failures and failure_csv.exists():
        print("\nfailures:")
        with failure_csv.open(newline="") as handle:
            for row in csv.DictReader(handle):
                print(f"- {row['Occurrences']} × {row['Method']} {row['Name']}: {row['Error']}")
    errors = server_errors(run_dir)
    print(f"\n{failures} failed requests; {len(errors)} error lines in the server logs")
    for line in errors[:20]:
        print(f"  {line}")
    if failures or errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
