"""casemgr against its limits and a peer, in one run (issue 9's benchmark targets).

Usage (the `bench` extra, pip install -e '.[bench]', and wrk: apt-get install wrk):
    casemgr db upgrade && casemgr demo --applicants 1000000     # with CASEMGR_DATABASE_URL
    python bench/compare.py --database sqlite:////path/1m.sqlite3 [--runs 5 --duration 10]

On one demo database, with every server run by gunicorn with the project's
gunicorn.conf.py and the same worker count, on loopback:
(a) a hello-world Flask route (bench/hello_app.py): the throughput ceiling;
(b) the bare SQL of casemgr's filtered list, name search and annual statistics report:
    the database floor. The SELECT statements a request runs are captured with a
    SQLAlchemy `before_cursor_execute` listener (one request per sample, through the whole
    Flask stack in-process) and replayed on a raw DB-API connection: no ORM, no template,
    no session, no writes (the audit rows of searches are left out);
(c) Flask-Admin's ModelView over the same applicants table with a filter and a search
    (bench/admin_app.py): what a team might pick instead;
(d) casemgr's own pages: the filtered list, the name search and the statistics page.

The HTTP load comes from wrk (C, event-driven: it needs a small fraction of a core where a
Python load generator would need one of the machine's two cores at the hello-world rate,
so the ceiling measures the server and not the client). Each round requests every target
for --duration seconds with --connections connections, one target after the other, then
the three casemgr pages with one connection (their latency is then the server's time plus
a loopback round trip). Figures are medians of --runs rounds, with min–max.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from common import (
    BENCH,
    LIST_STATUSES,
    USER_AGENT,
    get_ok,
    gunicorn,
    http_login,
    logged_in,
    machine,
    make_app,
    sample_names,
    server_environment,
    server_errors,
    top_nationalities,
    wait_until_idle,
)

from casemgr.applicants.models import Applicant
from casemgr.extensions import db

LUA = BENCH / "wrk_paths.lua"


@dataclass
class Target:
    """One kind of request to one server: the paths wrk cycles through."""

    key: str
    label: str
    server: str  # hello, admin or casemgr
    paths: list[str]
    user: str | None = None  # casemgr's demo login for the session cookie


def targets(rng: random.Random, names: list[str], nationalities: list[str],
            year: int) -> dict[str, Target]:
    """The same filters and names for casemgr and Flask-Admin (Flask-Admin's enum filter
    takes the member's name and counts pages from 0)."""
    filters = [(rng.choice(nationalities), rng.choice(LIST_STATUSES), rng.randint(1, 5))
               for _ in range(50)]
    return {target.key: target for target in [
        Target("hello", "(a) hello-world Flask route", "hello", ["/"]),
        Target("admin_list", "(c) Flask-Admin ModelView, filtered list", "admin",
               [f"/admin/applicant/?flt0_nationality_equals={n}"
                f"&flt1_current_status_equals={s.upper()}&page={p - 1}" for n, s, p in filters]),
        Target("admin_search", "(c) Flask-Admin ModelView, name search", "admin",
               [f"/admin/applicant/?{urlencode({'search': name})}" for name in names]),
        Target("list", "(d) casemgr, filtered list", "casemgr",
               [f"/applicants?nationality={n}&status={s}&page={p}" for n, s, p in filters],
               "caseworker"),
        Target("search", "(d) casemgr, name search", "casemgr",
               [f"/applicants?{urlencode({'q': name})}" for name in names], "caseworker"),
        Target("report", "(d) casemgr, annual statistics report page", "casemgr",
               [f"/statistics?year={year}"], "analyst"),
    ]}


# --- (b) the database floor -----------------------------------------------------------------

def captured_selects(app: Any, client: Any, path: str) -> list[tuple[str, Any]]:
    """The SELECT statements (with their parameters) that one request runs."""
    statements: list[tuple[str, Any]] = []

    def listen(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any,
               _executemany: bool) -> None:
        statements.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", listen)
    try:
        get_ok(client, path)
    finally:
        sa.event.remove(engine, "before_cursor_execute", listen)
    return [(statement, parameters) for statement, parameters in statements
            if statement.lstrip().upper().startswith(("SELECT", "WITH"))]


def replay_ms(app: Any, statements: list[tuple[str, Any]]) -> float:
    """Milliseconds to run the statements on a raw DB-API connection and fetch every row."""
    with app.app_context():
        connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        start = time.perf_counter()
        for statement, parameters in statements:
            cursor.execute(statement, parameters)
            cursor.fetchall()
        elapsed = (time.perf_counter() - start) * 1000
        connection.rollback()
    finally:
        connection.close()
    return elapsed


def floors(app: Any, pages: dict[str, Target], samples: int, runs: int
           ) -> dict[str, tuple[list[float], int]]:
    """Per page: the replay times of `samples` captured requests, each `runs` times, and
    the number of SELECT statements of one request."""
    clients = {user: logged_in(app, user) for user in {t.user for t in pages.values()} if user}
    found = {}
    for key, target in pages.items():
        client = clients[target.user]
        get_ok(client, target.paths[0])  # warm caches and plans
        captured = [captured_selects(app, client, path) for path in target.paths[:samples]]
        for statements in captured:
            replay_ms(app, statements)
        times = [replay_ms(app, statements) for _ in range(runs) for statements in captured]
        found[key] = (times, round(statistics.median(len(s) for s in captured)))
    return found


# --- (a), (c), (d) over HTTP ----------------------------------------------------------------

def wrk(base: str, paths_file: Path, *, connections: int, seconds: float,
        cookie: str | None) -> dict[str, Any]:
    """One wrk run; its JSON line (see wrk_paths.lua) with requests per second added."""
    command = [WRK, "-t", str(min(2, connections)), "-c", str(connections),
               "-d", f"{math.ceil(seconds)}s", "--timeout", "120s",
               "-H", f"User-Agent: {USER_AGENT}", "-s", str(LUA), base, "--", str(paths_file)]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"wrk failed: {done.stderr or done.stdout}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["rps"] = result["requests"] / result["seconds"]
    return result


def single_request_seconds(base: str, target: Target, cookie: str | None) -> float:
    """The median time of three requests one after the other (a warm-up too)."""
    headers = {"User-Agent": USER_AGENT, **({"Cookie": cookie} if cookie else {})}
    times = []
    for path in (target.paths * 3)[:3]:
        start = time.perf_counter()
        request = urllib.request.Request(base + path, headers=headers)  # noqa: S310
        with urllib.request.urlopen(request, timeout=600) as response:  # noqa: S310 - loopback
            response.read()
            if response.status != 200 or response.url != base + path:
                raise SystemExit(f"{target.label}: {path} answered {response.status} at "
                                 f"{response.url}")
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def spread(values: list[float], form: Callable[[float], str]) -> tuple[str, str]:
    return form(statistics.median(values)), f"{form(min(values))}–{form(max(values))}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--duration", type=float, default=10,
                        help="seconds per wrk run, at least (slow targets run longer)")
    parser.add_argument("--max-duration", type=float, default=120,
                        help="seconds per wrk run, at most")
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--workers", type=int,
                        help="gunicorn workers of every server (default: gunicorn.conf.py's)")
    parser.add_argument("--samples", type=int, default=10,
                        help="requests captured per page for the database floor")
    parser.add_argument("--year", type=int, default=date.today().year - 1)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--log-dir", type=Path, help="keep the server logs here")
    args = parser.parse_args()
    run_dir = args.log_dir or Path(tempfile.mkdtemp(prefix="casemgr-compare-"))
    run_dir.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()[0]

    rng = random.Random(args.seed)
    app = make_app(args.database)
    with app.app_context():
        applicants = db.session.execute(
            sa.select(sa.func.count()).select_from(Applicant)).scalar_one()
        plan = targets(rng, sample_names(rng, 60), top_nationalities(8), args.year)
        db.engine.dispose()
    pages = {key: plan[key] for key in ("list", "search", "report")}
    print(f"(b) capturing and replaying the SQL of {', '.join(pages)} ...", flush=True)
    floor = floors(app, pages, args.samples, args.runs)
    with app.app_context():
        db.engine.dispose()

    for target in plan.values():
        (run_dir / f"{target.key}.txt").write_text("\n".join(target.paths) + "\n")
    environment = server_environment(args.database, run_dir)
    throughput: dict[str, list[dict[str, Any]]] = {key: [] for key in plan}
    latency: dict[str, list[dict[str, Any]]] = {key: [] for key in pages}
    settled: list[float] = []  # seconds waited for the machine to be idle before each run
    with ExitStack() as stack:
        servers = {
            "hello": stack.enter_context(gunicorn("hello_app:create_app()", environment,
                                                  workers=args.workers, log_dir=run_dir,
                                                  ready_path="/")),
            "admin": stack.enter_context(gunicorn("admin_app:create_app()", environment,
                                                  workers=args.workers, log_dir=run_dir,
                                                  ready_path="/admin/")),
            "casemgr": stack.enter_context(gunicorn("casemgr:create_app()", environment,
                                                    workers=args.workers, log_dir=run_dir)),
        }

        def cookie(target: Target) -> str | None:
            return http_login(servers[target.server], target.user) if target.user else None

        def run(target: Target, connections: int, seconds: float) -> dict[str, Any]:
            settled.append(wait_until_idle())
            return wrk(servers[target.server], run_dir / f"{target.key}.txt",
                       connections=connections, seconds=seconds, cookie=cookie(target))

        print("warming up every server and timing one request of each target ...", flush=True)
        single = {key: single_request_seconds(servers[target.server], target, cookie(target))
                  for key, target in plan.items()}
        # A run lasts long enough for every connection to finish a few requests even where
        # one request takes seconds (Flask-Admin's search scans the table).
        loaded = {key: min(max(args.duration, 3 * args.connections * seconds),
                           args.max_duration) for key, seconds in single.items()}
        alone = {key: min(max(args.duration, 10 * single[key]), args.max_duration)
                 for key in pages}
        for target in plan.values():
            run(target, args.connections, 2)
        for round_number in range(1, args.runs + 1):
            print(f"round {round_number} of {args.runs} ...", flush=True)
            for key, target in plan.items():
                throughput[key].append(run(target, args.connections, loaded[key]))
            for key, target in pages.items():
                latency[key].append(run(target, 1, alone[key]))
    report(args, applicants, plan, throughput, latency, floor, load_before,
           server_errors(run_dir), run_dir, settled)


def report(args: argparse.Namespace, applicants: int, plan: dict[str, Target],
           throughput: dict[str, list[dict[str, Any]]], latency: dict[str, list[dict[str, Any]]],
           floor: dict[str, tuple[list[float], int]], load_before: float, errors: list[str],
           run_dir: Path, settled: list[float]) -> None:
    """The Markdown tables for bench/README.md, and PASS/FAIL per target."""
    bad = {key for key, runs in {**throughput, **latency}.items()
           if any(r["not_ok"] or r["socket_errors"] or r["timeouts"] for r in runs)}
    # Too few requests in a run for its rate or median to mean much.
    few = {key for key, runs in throughput.items()
           if statistics.median(r["requests"] for r in runs) < 2 * args.connections}
    few |= {key for key, runs in latency.items()
            if statistics.median(r["requests"] for r in runs) < 3}
    rps = {key: statistics.median(r["rps"] for r in runs) for key, runs in throughput.items()}
    p50 = {key: statistics.median(r["p50_ms"] for r in runs) for key, runs in latency.items()}

    def number(value: float) -> str:
        return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"

    print(f"\n{applicants:,} applicants; {machine()}; database {args.database.split(':')[0]}; "
          f"gunicorn workers: {args.workers or 'gunicorn.conf.py default'}; wrk "
          f"{args.connections} connections, {args.duration:g}–{args.max_duration:g} s a run, "
          f"medians of "
          f"{args.runs} runs (min–max); load average {load_before:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after; {time.strftime('%Y-%m-%d %H:%M %Z')}")
    print(f"every run started on an idle machine (under 10 % CPU busy): waited "
          f"{statistics.median(settled):.1f} s median, {max(settled):.1f} s at most, before "
          f"{len(settled)} runs")
    print(f"command: python bench/compare.py {' '.join(sys.argv[1:])}\n")
    print(f"| what | req/s at {args.connections} connections | min–max | p50 ms | p99 ms | "
          "requests a run | run s |")
    print("|---|---|---|---|---|---|---|")
    for key, target in plan.items():
        runs = throughput[key]
        middle, span = spread([r["rps"] for r in runs], number)
        flag = " (answers other than 200!)" if key in bad else (
            " (too few requests)" if key in few else "")
        print(f"| {target.label}{flag} | {middle} | {span} | "
              f"{statistics.median(r['p50_ms'] for r in runs):.1f} | "
              f"{statistics.median(r['p99_ms'] for r in runs):.1f} | "
              f"{statistics.median(r['requests'] for r in runs):,.0f} | "
              f"{statistics.median(r['seconds'] for r in runs):.0f} |")
    print("\n| casemgr page, one connection | p50 ms (≈ server time) | min–max | "
          "(b) database floor ms | min–max | SELECTs | page ÷ floor |")
    print("|---|---|---|---|---|---|---|")
    for key, runs in latency.items():
        middle, span = spread([r["p50_ms"] for r in runs], lambda v: f"{v:.1f}")
        times, count = floor[key]
        floor_middle, floor_span = spread(times, lambda v: f"{v:.2f}")
        print(f"| {plan[key].label.removeprefix('(d) casemgr, ')} | {middle} | {span} | "
              f"{floor_middle} | {floor_span} | {count} | "
              f"{p50[key] / statistics.median(times):.1f} |")

    def ratio(key: str, other: str) -> float:
        return rps[key] / rps[other] if rps[other] else float("inf")

    checks = [  # label, measured, as text, target met, the figures it rests on
        ("filtered list ≥ 30 % of hello-world req/s", f"{ratio('list', 'hello'):.1%}",
         ratio("list", "hello") >= 0.30, {"list", "hello"}),
        ("filtered list ≥ 10 × Flask-Admin's filtered list",
         f"{ratio('list', 'admin_list'):.1f} ×", ratio("list", "admin_list") >= 10,
         {"list", "admin_list"}),
        ("name search ≥ 100 × Flask-Admin's name search",
         f"{ratio('search', 'admin_search'):.1f} ×", ratio("search", "admin_search") >= 100,
         {"search", "admin_search"}),
        ("name search p50 ≤ 20 ms (one connection)", f"{p50['search']:.1f} ms",
         p50["search"] <= 20, {"search"}),
        ("annual report ≤ 1 s (statistics page p50, one connection)",
         f"{p50['report'] / 1000:.2f} s", p50["report"] <= 1000, {"report"}),
    ]
    print("\n| target | measured | result |")
    print("|---|---|---|")
    for label, measured, passed, keys in checks:
        if keys & bad:
            verdict = "FAIL (answers other than 200)"
        elif keys & few:
            verdict = "UNRELIABLE (too few requests: raise --max-duration)"
        else:
            verdict = "PASS" if passed else "FAIL"
        print(f"| {label} | {measured} | {verdict} |")
    print(f"\n{len(errors)} error lines in the server logs ({run_dir})")
    for line in errors[:20]:
        print(f"  {line}")


WRK = shutil.which("wrk") or ""
if __name__ == "__main__":
    if not WRK:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    main()
