"""Shared helpers for the benchmark scripts: the app on a given database, a logged-in
test client, timing with medians, a description of this machine, and gunicorn servers on
loopback for the HTTP benchmarks (load_test.py, compare.py)."""

from __future__ import annotations

import http.cookiejar
import os
import platform
import random
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa

from casemgr import create_app
from casemgr.demo import DEMO_PASSWORD

# The statuses the list-page benchmarks filter by (with a nationality).
LIST_STATUSES = ["first_instance", "rejected", "objection", "litigation", "recognized"]
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
# Login attempts per client address: every simulated user logs in from 127.0.0.1.
LOGIN_RATE_LIMIT = "100000 per minute"
# Flask-Login's "strong" session protection ties a session to the client's address and
# User-Agent, so the tool that logs in and the load generator must send the same one.
USER_AGENT = "casemgr-bench"


def make_app(database_url: str) -> Any:
    instance = Path(tempfile.gettempdir()) / "casemgr-bench-instance"
    os.environ.setdefault("CASEMGR_INSTANCE_PATH", str(instance))
    return create_app({"DATABASE_URL": database_url, "LOGIN_RATE_LIMIT": "1000 per minute"})


def logged_in(app: Any, username: str) -> Any:
    client = app.test_client()
    token = CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD,
                                           "csrf_token": token})
    if response.status_code != 302:
        raise SystemExit(f"log in as {username} failed: load the demo data first")
    return client


def get_ok(client: Any, url: str, **kwargs: Any) -> None:
    """GET a page and stop the benchmark if it did not answer 200 (a timing of an error
    page would be meaningless)."""
    response = client.get(url, **kwargs)
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}")


def timed(call: Callable[[], Any], repeat: int) -> list[float]:
    """Wall-clock milliseconds of `repeat` calls."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"median": statistics.median(ordered), "min": ordered[0], "max": ordered[-1],
            "p90": ordered[max(0, int(len(ordered) * 0.9) - 1)]}


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def sample_names(rng: random.Random, count: int) -> list[str]:
    """Full names of random people, as a caseworker types them from a document: in the
    original script half of the time, else in the passport's Latin spelling (inside an
    application context)."""
    from casemgr.applicants.models import Applicant
    from casemgr.extensions import db

    top = db.session.execute(sa.select(sa.func.max(Applicant.id))).scalar_one()
    rows = db.session.execute(
        sa.select(Applicant.native_name, Applicant.family_name, Applicant.given_names)
        .where(Applicant.id.in_([rng.randint(1, top) for _ in range(count)]),
               Applicant.anonymised_at.is_(None))).all()
    return [native if native and rng.random() < 0.5 else f"{family} {given}"
            for native, family, given in rows]


def top_nationalities(count: int) -> list[str]:
    """The most frequent nationalities (the filters people use most; inside an app context)."""
    from casemgr.applicants.models import Applicant
    from casemgr.extensions import db

    return list(db.session.execute(
        sa.select(Applicant.nationality).group_by(Applicant.nationality)
        .order_by(sa.func.count().desc()).limit(count)).scalars())


# --- gunicorn on loopback ------------------------------------------------------------------

def free_port() -> int:
    """A TCP port nothing listens on now (the machine is shared: never assume one)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_environment(database_url: str, run_dir: Path) -> dict[str, str]:
    """The environment of every server of one run: the database, a private instance folder
    and one secret key (a session made on one instance is valid on the other), and a login
    rate limit that lets every simulated user log in from 127.0.0.1."""
    instance = run_dir / "instance"
    instance.mkdir(parents=True, exist_ok=True)
    return {**os.environ, "CASEMGR_DATABASE_URL": database_url,
            "CASEMGR_INSTANCE_PATH": str(instance),
            "CASEMGR_SECRET_KEY": secrets.token_hex(32),
            "CASEMGR_LOGIN_RATE_LIMIT": LOGIN_RATE_LIMIT}


@contextmanager
def gunicorn(app_spec: str, environment: dict[str, str], *, workers: int | None,
             log_dir: Path, ready_path: str = "/healthz") -> Iterator[str]:
    """Serve `app_spec` with the project's gunicorn.conf.py on a free loopback port (its
    output, the JSON logs, goes to log_dir); yield the base URL once it answers, stop it
    after. Only this process is stopped, by its own id."""
    port = free_port()
    env = {**environment, "GUNICORN_BIND": f"127.0.0.1:{port}"}
    if workers:
        env["GUNICORN_WORKERS"] = str(workers)
    log_path = log_dir / f"gunicorn-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            # No control socket: its default path is one per user, and several servers
            # (ours, and other people's on a shared machine) would fight over it.
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
             "--no-control-socket", "--pythonpath", str(BENCH), app_spec],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(process, base + ready_path, log_path)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_ready(process: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn stopped (see {log_path}):\n"
                             + log_path.read_text(errors="replace")[-2000:])
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer {url} within 120 s (see {log_path})")


def http_login(base: str, username: str) -> str:
    """Log in through the real login form over HTTP; the Cookie header of the session."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", USER_AGENT)]
    with opener.open(base + "/login", timeout=60) as response:
        token = CSRF.search(response.read().decode()).group(1)
    form = urlencode({"username": username, "password": DEMO_PASSWORD, "csrf_token": token})
    with opener.open(base + "/login", data=form.encode(), timeout=60) as response:
        if "/login" in response.url:
            raise SystemExit(f"log in as {username} failed: load the demo data first")
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


def _busy_and_total_ticks() -> tuple[int, int]:
    """CPU ticks of the whole machine since boot: (busy, all), from /proc/stat."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def wait_until_idle(*, busy_below: float = 0.1, timeout: float = 180.0,
                    interval: float = 0.5) -> float:
    """Wait until the machine's CPUs are idle (less than `busy_below` of them busy over
    `interval` seconds) and return the seconds waited (the timeout at most).

    wrk stops sending when its time is up, but a server keeps working on the requests it
    has accepted: a run of Flask-Admin's name search (10 s a request) would otherwise
    go on for seconds into the next target's run and take its CPU.
    """
    start = time.monotonic()
    busy, total = _busy_and_total_ticks()
    while time.monotonic() - start < timeout:
        time.sleep(interval)
        now_busy, now_total = _busy_and_total_ticks()
        if now_total > total and (now_busy - busy) / (now_total - total) < busy_below:
            break
        busy, total = now_busy, now_total
    return time.monotonic() - start


SERVER_ERROR = re.compile(r'Traceback|ERROR|database is locked|"status": 5\d\d')


def server_errors(log_dir: Path) -> list[str]:
    """What went wrong on the servers: errors and tracebacks they logged (JSON or text),
    "database is locked", and requests answered with a 5xx status."""
    return [f"{path.name}: {line[:300]}" for path in sorted(log_dir.glob("gunicorn-*.log"))
            for line in path.read_text(errors="replace").splitlines()
            if SERVER_ERROR.search(line)]
