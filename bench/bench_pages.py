"""Server time of the busiest pages over a large database (issue 3's targets).

Usage:
    casemgr db upgrade && casemgr demo --applicants 1000000     # with CASEMGR_DATABASE_URL
    python bench/bench_pages.py --database sqlite:////path/1m.sqlite3 [--repeat 40]

Requests go through the whole Flask stack in-process (routing, login session, policy,
queries, template), so the figure is the server's time per request without the network.
Each page is requested once to warm caches, then `repeat` times with varying arguments.
"""

from __future__ import annotations

import argparse
import random

import sqlalchemy as sa
from common import LIST_STATUSES, get_ok, logged_in, machine, make_app, summary, timed

from casemgr.applicants.models import Applicant
from casemgr.cases.models import Case
from casemgr.extensions import db

NATIONALITIES = ["RUS", "KAZ", "CHN", "MYS", "IND", "KGZ", "EGY", "VNM"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--user", default="caseworker")
    args = parser.parse_args()
    app = make_app(args.database)
    rng = random.Random(7)
    with app.app_context():
        applicants = db.session.execute(sa.select(sa.func.count(Applicant.id))).scalar_one()
        top = db.session.execute(sa.select(sa.func.max(Case.id))).scalar_one()
        names = list(db.session.execute(
            sa.select(Applicant.native_name, Applicant.family_name, Applicant.given_names)
            .where(Applicant.id.in_([rng.randint(1, applicants) for _ in range(args.repeat)]))))
        db.engine.dispose()
    client = logged_in(app, args.user)

    def list_page() -> None:
        nationality, status = rng.choice(NATIONALITIES), rng.choice(LIST_STATUSES)
        get_ok(client, f"/applicants?nationality={nationality}&status={status}"
                          f"&page={rng.randint(1, 5)}")

    def overdue_page() -> None:
        get_ok(client, "/applicants?overdue=y&sort=due")

    def name_search() -> None:
        """A full name, as a caseworker types it from a document: in the original script
        half of the time, else in the passport's Latin spelling."""
        native, family, given = rng.choice(names)
        query = native if native and rng.random() < 0.5 else f"{family} {given}"
        get_ok(client, "/applicants", query_string={"q": query})

    def surname_search() -> None:
        """A family name alone (the demo data draws from ~25 surnames per nationality, so
        this matches thousands of people: a worst case)."""
        _native, family, _given = rng.choice(names)
        get_ok(client, "/applicants", query_string={"q": family})

    def case_page() -> None:
        get_ok(client, f"/cases/{rng.randint(1, top)}")

    def dashboard() -> None:
        get_ok(client, "/")

    print(f"{applicants:,} applicants; {machine()}; database {args.database.split(':')[0]}")
    print("| page | median ms | p90 ms | min–max ms |")
    print("|---|---|---|---|")
    for label, call in [("applicant list, nationality + status filter", list_page),
                        ("applicant list, overdue, sorted by deadline", overdue_page),
                        ("name search, full name (Latin or native script)", name_search),
                        ("name search, family name only", surname_search),
                        ("case page", case_page), ("dashboard", dashboard)]:
        call()
        result = summary(timed(call, args.repeat))
        print(f"| {label} | {result['median']:.1f} | {result['p90']:.1f} | "
              f"{result['min']:.1f}–{result['max']:.1f} |")


if __name__ == "__main__":
    main()
