"""Name search on a large database: the trigram index against a bare LIKE scan (issue 9).

Usage:
    casemgr db upgrade && casemgr demo --applicants 100000     # with CASEMGR_DATABASE_URL
    python bench/bench_search.py --database sqlite:////path/100k.sqlite3 [--repeat 40]

Two parts, each query warmed once and then run `repeat` times with varying terms drawn from
random people's names:

* pages: GET /applicants?q=... through the whole Flask stack in-process, logged in as the
  demo caseworker (as bench_pages.py): a full name (Latin or native script), a family name
  alone, an infix of a family name (three to five letters from its middle, in the
  passport's Latin or the native script), a two-letter start of a given name;
* lookups: the ids of *every* person matching one term, as the search service asks the
  index for them (`search.name_matches`), against the same condition read row by row, the
  bare `name_skeletons LIKE '%term%'` scan (SQLite: on the `applicants` table, which the
  FTS5 index does not serve; PostgreSQL: with index and bitmap scans disabled). Each pair
  must find the same people, or the benchmark stops.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable
from itertools import cycle
from typing import Any

import sqlalchemy as sa
from common import get_ok, logged_in, machine, make_app, summary, timed

from casemgr.applicants import matching, search
from casemgr.applicants.models import Applicant
from casemgr.extensions import db


def infix(rng: random.Random, word: str) -> str:
    """Three to five letters from inside a word (neither its start nor its end)."""
    if len(word) < 5:
        return word
    size = rng.randint(3, min(5, len(word) - 2))
    start = rng.randint(1, len(word) - size - 1)
    return word[start:start + size]


def in_turn(call: Callable[[str], Any], terms: list[str]) -> Callable[[], Any]:
    """A call without arguments that passes the next term each time."""
    queue = cycle(terms)
    return lambda: call(next(queue))


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
        top = db.session.execute(sa.select(sa.func.max(Applicant.id))).scalar_one()
        names = list(db.session.execute(
            sa.select(Applicant.native_name, Applicant.family_name, Applicant.given_names)
            .where(Applicant.id.in_([rng.randint(1, top) for _ in range(args.repeat)]))))
        db.engine.dispose()
    client = logged_in(app, args.user)

    def page(query: str) -> None:
        get_ok(client, "/applicants", query_string={"q": query})

    def full_name() -> None:
        native, family, given = rng.choice(names)
        page(native if native and rng.random() < 0.5 else f"{family} {given}")

    def family_name() -> None:
        page(rng.choice(names)[1])

    def family_infix() -> None:
        native, family, _given = rng.choice(names)
        written = native.split()[0] if native and rng.random() < 0.5 else family
        page(infix(rng, written))

    def two_letters() -> None:
        page(rng.choice(names)[2][:2])

    print(f"{applicants:,} applicants; {machine()}; database {args.database.split(':')[0]}")
    print("| page | median ms | p90 ms | min–max ms |")
    print("|---|---|---|---|")
    for label, call in [("name search, full name (Latin or native script)", full_name),
                        ("name search, family name only", family_name),
                        ("name search, infix of a family name (3–5 letters)", family_infix),
                        ("name search, two-letter start of a given name", two_letters)]:
        call()
        result = summary(timed(call, args.repeat))
        print(f"| {label} | {result['median']:.1f} | {result['p90']:.1f} | "
              f"{result['min']:.1f}–{result['max']:.1f} |")

    with app.app_context():
        session = db.session
        sqlite = session.get_bind().dialect.name == "sqlite"

        def by_index(term: str) -> set[int]:
            _condition, ids = search.name_matches(session, [term])
            return set(session.execute(ids).scalars())

        def by_scan(term: str) -> set[int]:
            statement = sa.select(Applicant.id).where(
                Applicant.name_skeletons.like(f"%{search.needle(term)}%"))
            if not sqlite:
                session.execute(sa.text("SET LOCAL enable_indexscan = off"))
                session.execute(sa.text("SET LOCAL enable_bitmapscan = off"))
            found = set(session.execute(statement).scalars())
            session.rollback()  # ends the SET LOCALs
            return found

        def first_term(part: int) -> str:
            """The first search term of a random person's family (1) or given (2) names;
            names too short to search for (a given name "A") are drawn again."""
            while not (terms := matching.search_terms(rng.choice(names)[part] or "")):
                continue
            return terms[0]

        def family_term() -> str:
            return first_term(1)

        def infix_term() -> str:
            return infix(rng, family_term())

        def two_letter_term() -> str:
            return first_term(2)[:2]

        print()
        print("| lookup: ids of everyone matching one term | median matches | index median ms"
              " | index p90 ms | LIKE scan median ms | LIKE scan p90 ms |")
        print("|---|---|---|---|---|---|")
        for label, pick in [("family name", family_term), ("infix of a family name", infix_term),
                            ("two-letter start", two_letter_term)]:
            terms = [pick() for _ in range(args.repeat)]
            sizes = []
            for term in terms:
                index_ids, scan_ids = by_index(term), by_scan(term)
                if index_ids != scan_ids:
                    raise SystemExit(f"{term!r}: the index found {len(index_ids)} people, "
                                     f"the scan {len(scan_ids)}")
                sizes.append(len(index_ids))
            index = summary(timed(in_turn(by_index, terms), args.repeat))
            scan = summary(timed(in_turn(by_scan, terms), args.repeat))
            print(f"| {label} | {sorted(sizes)[len(sizes) // 2]:,} | {index['median']:.1f} | "
                  f"{index['p90']:.1f} | {scan['median']:.1f} | {scan['p90']:.1f} |")
        db.engine.dispose()


if __name__ == "__main__":
    main()
