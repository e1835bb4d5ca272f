"""The full annual statistics report over a large database, against the bare SQL aggregate
over the same rows (issue 5's targets: under 1 s; at most 3 × the bare aggregate).

Usage:
    casemgr db upgrade && casemgr demo --applicants 1000000     # with CASEMGR_DATABASE_URL
    python bench/bench_statistics.py --database sqlite:////path/1m.sqlite3 [--year 2025]
    python bench/bench_statistics.py --database postgresql+psycopg://postgres@127.0.0.1/db

    --sqlite-mmap N   PRAGMA mmap_size=N on every SQLite connection (memory-mapped reads)

The report is every table function of casemgr.statistics.tables for one year, exact: what
the internal files and the statistics page compute, reading the per-person rows of
`statistics_facts` that the app keeps current as records change. The bare aggregate is, per
table, one GROUP BY over the underlying records (applicants, cases, history, needs) without
ranking people, ages, bands, day counts or percentiles: what any report must at least read.
`--rebuild` also times `casemgr stats rebuild-facts` (recomputing every person's facts).

Both run in one process on the same database, alternately, after a warm-up;
the figures are medians of --repeat runs.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date
from typing import Any

import sqlalchemy as sa
from common import machine, make_app

from casemgr.applicants.models import Applicant
from casemgr.cases.models import Case, CaseEvent
from casemgr.extensions import db
from casemgr.needs.models import SpecificNeed
from casemgr.statistics import facts, tables
from casemgr.statistics.exports import begin_report
from casemgr.statistics.sql import days_between

cases, events = Case.__table__, CaseEvent.__table__
applicants, needs = Applicant.__table__, SpecificNeed.__table__

def bare_queries(year: int) -> dict[str, sa.Select[Any]]:
    """Per table: the same rows and joins, counted with a plain GROUP BY."""
    first, last, day = date(year, 1, 1), date(year, 12, 31), date(year, 12, 31)
    lodged = cases.join(applicants, applicants.c.id == cases.c.applicant_id)
    decided = events.join(cases, cases.c.id == events.c.case_id).join(
        applicants, applicants.c.id == cases.c.applicant_id)
    in_year = events.c.effective_date.between(first, last)
    stages = tuple(facts.PENDING_STAGES)
    return {
        "applications": sa.select(
            applicants.c.nationality, applicants.c.sex, cases.c.application_type,
            cases.c.lodged_at, sa.func.count()).select_from(lodged)
        .where(cases.c.lodged_on.between(first, last)).group_by(
            applicants.c.nationality, applicants.c.sex, cases.c.application_type,
            cases.c.lodged_at),
        "referral_decisions": sa.select(
            cases.c.port_of_entry, applicants.c.nationality, events.c.to_status,
            events.c.outcome, sa.func.count()).select_from(decided)
        .where(in_year, events.c.from_status == "referral_pending",
               events.c.to_status.in_(("first_instance", "not_referred")))
        .group_by(cases.c.port_of_entry, applicants.c.nationality, events.c.to_status,
                  events.c.outcome),
        "first_instance_decisions": sa.select(
            applicants.c.nationality, applicants.c.sex, events.c.to_status, sa.func.count())
        .select_from(decided)
        .where(in_year, events.c.from_status.in_(("first_instance", "referral_pending")),
               events.c.to_status.in_((*facts.MERITS, "withdrawn", "terminated")))
        .group_by(applicants.c.nationality, applicants.c.sex, events.c.to_status),
        "objections_lodged": sa.select(
            applicants.c.nationality, applicants.c.sex, sa.func.count()).select_from(decided)
        .where(in_year, events.c.to_status == "objection")
        .group_by(applicants.c.nationality, applicants.c.sex),
        "objection_decisions": sa.select(
            applicants.c.nationality, events.c.to_status, sa.func.count()).select_from(decided)
        .where(in_year, events.c.from_status == "objection")
        .group_by(applicants.c.nationality, events.c.to_status),
        "pending": sa.select(
            cases.c.status, applicants.c.nationality, applicants.c.sex, sa.func.count())
        .select_from(lodged)
        .where(sa.or_(sa.and_(cases.c.status.in_(stages), cases.c.status_since <= day),
                      sa.and_(cases.c.lodged_on <= day, cases.c.status_since > day)))
        .group_by(cases.c.status, applicants.c.nationality, applicants.c.sex),
        "processing_times": sa.select(
            events.c.from_status, sa.func.count(),
            sa.func.sum(days_between(cases.c.lodged_on, events.c.effective_date)))
        .select_from(events.join(cases, cases.c.id == events.c.case_id))
        .where(in_year, events.c.from_status.in_(("first_instance", "objection")))
        .group_by(events.c.from_status),
        "specific_needs": sa.select(
            needs.c.category, applicants.c.sex, sa.func.count())
        .select_from(lodged.join(needs, needs.c.applicant_id == applicants.c.id))
        .where(cases.c.lodged_on.between(first, last))
        .group_by(needs.c.category, applicants.c.sex),
    }


def run_report(year: int) -> dict[str, float]:
    """Seconds per table of the full report (one snapshot, as the exports read it)."""
    db.session.commit()
    begin_report(db.session)
    seconds = {}
    for name in tables.TABLES:
        start = time.perf_counter()
        tables.QUERIES[name](db.session, year)
        seconds[name] = time.perf_counter() - start
    db.session.commit()
    return seconds


def run_bare(queries: dict[str, sa.Select[Any]]) -> dict[str, float]:
    db.session.commit()
    begin_report(db.session)
    seconds = {}
    for name, query in queries.items():
        start = time.perf_counter()
        db.session.execute(query).all()
        seconds[name] = time.perf_counter() - start
    db.session.commit()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--year", type=int, default=date.today().year - 1)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--sqlite-mmap", type=int, default=0)
    args = parser.parse_args()
    app = make_app(args.database)
    with app.app_context():
        if args.sqlite_mmap and db.engine.dialect.name == "sqlite":
            @sa.event.listens_for(db.engine, "connect")
            def _mmap(connection: Any, _record: Any) -> None:
                connection.execute(f"PRAGMA mmap_size={int(args.sqlite_mmap)}")

            db.engine.dispose()
        if args.rebuild:
            start = time.perf_counter()
            facts.rebuild_all(db.session)
            db.session.commit()
            print(f"rebuild of every person's facts: {time.perf_counter() - start:.1f} s")
        people = db.session.execute(sa.select(sa.func.count()).select_from(applicants))
        print(f"{people.scalar_one():,} applicants; year {args.year}; "
              f"{db.engine.dialect.name}; {machine()}")
        queries = bare_queries(args.year)
        run_report(args.year)  # warm-up: caches, plans
        run_bare(queries)
        reports, bares = [], []
        for _ in range(args.repeat):
            reports.append(run_report(args.year))
            bares.append(run_bare(queries))
    print("| table | report ms | bare aggregate ms | ratio |")
    print("|---|---|---|---|")
    for name in tables.TABLES:
        report = statistics.median(run[name] for run in reports) * 1000
        bare = statistics.median(run[name] for run in bares) * 1000
        print(f"| {name} | {report:.0f} | {bare:.0f} | {report / bare:.1f} |")
    report = statistics.median(sum(run.values()) for run in reports) * 1000
    bare = statistics.median(sum(run.values()) for run in bares) * 1000
    print(f"| **all tables** | **{report:.0f}** | **{bare:.0f}** | **{report / bare:.1f}** |")
    print(f"full report: {report / 1000:.2f} s (target < 1 s); "
          f"{report / bare:.1f} x the bare aggregate (target <= 3)")


if __name__ == "__main__":
    main()
