"""Real gunicorn instances for the scale tests: started with gunicorn.conf.py (bind and
workers from GUNICORN_BIND / GUNICORN_WORKERS) against the test session's database, each on
a free loopback port, and stopped afterwards.

Also: whether PostgreSQL and Redis are there, a full snapshot of the database's rows (to
show that a killed process left nothing behind), and browser-like form helpers.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa
from flask import Flask

from casemgr import ROOT
from casemgr.extensions import db
from tests.conftest import CSRF_PATTERN, postgres_url

REDIS_URL = os.environ.get("CASEMGR_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
START_TIMEOUT = 90  # seconds for a server to answer /healthz on a loaded two-core machine
REQUEST_TIMEOUT = 60
SECRET_KEY = "scale-test-secret-key"
PAUSE_CONFIG = Path(__file__).with_name("gunicorn_pause.py")


def redis_problem() -> str | None:
    """Why Redis cannot be used for the tests, or None when it answers."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        return f"Redis does not answer at {REDIS_URL} ({error})"
    return None


def require_postgres_and_redis() -> None:
    """Skip, saying why, unless the tests run on PostgreSQL and Redis answers."""
    import pytest

    if not postgres_url():
        pytest.skip("several hosts share PostgreSQL and Redis: these tests run when "
                    "CASEMGR_TEST_DATABASE_URL is a PostgreSQL URL (the SQLite pass skips them)")
    problem = redis_problem()
    if problem:
        pytest.skip(problem)


def server_database_url(settings: dict[str, Any], **query: str) -> str:
    """The test session's database as one URL a separate process can use (its PostgreSQL
    schema travels in the `options` connection parameter)."""
    url = sa.engine.make_url(settings["DATABASE_URL"])
    options = settings.get("SQLALCHEMY_ENGINE_OPTIONS", {}).get("connect_args", {}).get(
        "options")
    if url.get_backend_name() == "postgresql":
        if options:
            query = {"options": options, **query}
        url = url.update_query_dict(query)
    return url.render_as_string(hide_password=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def base_environment(settings: dict[str, Any], instance: Path, **overrides: str
                     ) -> dict[str, str]:
    """The environment of a casemgr process: the outer CASEMGR_/GUNICORN_ settings removed,
    the test database, a shared secret key, no two-factor login (as in the other tests).
    The log format is left to gunicorn.conf.py (JSON)."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("CASEMGR_", "GUNICORN_"))}
    env.update({
        "CASEMGR_DATABASE_URL": server_database_url(settings),
        "CASEMGR_INSTANCE_PATH": str(instance),
        "CASEMGR_SECRET_KEY": SECRET_KEY,
        "CASEMGR_TWO_FACTOR_ROLES": "",
        "PYTHONUNBUFFERED": "1",
    })
    env.update(overrides)
    return env


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    sessions: list[requests.Session] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def workers(self) -> list[int]:
        """The process ids of the master's worker processes."""
        children = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                    children.append(int(entry.name))
        return children

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_until_healthy(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}):\n"
                                   + self.output()[-3000:])
            with contextlib.suppress(requests.RequestException):
                if requests.get(self.url + "/healthz", timeout=5).status_code == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer /healthz in {timeout} s:\n"
                           + self.output()[-3000:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)


def start_servers(count: int, settings: dict[str, Any], directory: Path, *, workers: int = 2,
                  config: Path = ROOT / "gunicorn.conf.py", **environment: str) -> list[Server]:
    """`count` gunicorn instances with `workers` workers each, all healthy on return."""
    servers = []
    try:
        for number in range(count):
            port = free_port()
            log = directory / f"gunicorn-{number}-{port}.log"
            env = base_environment(settings, directory / "instance", **{
                "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": str(workers),
                "GUNICORN_TIMEOUT": "120", **environment})
            with log.open("wb") as output:
                process = subprocess.Popen(
                    [sys.executable, "-m", "gunicorn", "-c", str(config), "casemgr:create_app()"],
                    cwd=directory, env=env, stdout=output, stderr=subprocess.STDOUT)
            servers.append(Server(process, port, log))
        for server in servers:
            server.wait_until_healthy()
    except BaseException:
        for server in servers:
            server.stop()
        raise
    return servers


@contextlib.contextmanager
def running(count: int, settings: dict[str, Any], directory: Path, **options: Any
            ) -> Iterator[list[Server]]:
    servers = start_servers(count, settings, directory, **options)
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()


def unique_prefix() -> str:
    return f"casemgr-test-{uuid.uuid4().hex[:12]}"


def forget_redis_keys(prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
    for key in client.scan_iter(match=f"*{prefix}*", count=500):
        client.delete(key)


# --- test data -----------------------------------------------------------------------------

SYLLABLES = ["ka", "ri", "mo", "na", "sel", "dar", "vin", "lo", "tu", "pek", "am", "zo",
             "ber", "fa", "gul", "hen", "ish", "jun", "kor", "lem"]


def made_up_name(pick: random.Random) -> str:
    """A name unlike the others (similar names make every registration a long duplicate
    check, which is not what these tests measure)."""
    return "".join(pick.choice(SYLLABLES) for _ in range(3)).upper()


# --- browser-like requests -----------------------------------------------------------------

def browser(client_address: str) -> requests.Session:
    """A browser session behind the proxy (CASEMGR_PROXY_COUNT=1): the proxy tells the app
    the client's address in X-Forwarded-For."""
    session = requests.Session()
    session.headers.update({"X-Forwarded-For": client_address, "User-Agent": "scale-test"})
    return session


def csrf_token(html: str) -> str:
    match = CSRF_PATTERN.search(html)
    assert match, "no csrf_token in the page"
    return match.group(1) or match.group(2)


def post_form(session: requests.Session, base: str, path: str, data: dict[str, Any],
              page: str | None = None) -> requests.Response:
    """POST like a browser: the CSRF token of the page the form is on, no redirect followed."""
    html = session.get(base + (page or path), timeout=REQUEST_TIMEOUT).text
    return session.post(base + path, data={**data, "csrf_token": csrf_token(html)},
                        allow_redirects=False, timeout=REQUEST_TIMEOUT)


def log_in(session: requests.Session, base: str, username: str, password: str
           ) -> requests.Response:
    return post_form(session, base, "/login", {"username": username, "password": password})


def form_version(html: str, form_action: str) -> int:
    """The version a form on the page was built from."""
    start = html.index(f'action="{form_action}"')
    match = re.search(r'name="version" type="hidden" value="(\d+)"|'
                      r'name="version" value="(\d+)"', html[start:])
    assert match, f"no version in the form {form_action}"
    return int(match.group(1) or match.group(2))


def api(token: str) -> requests.Session:
    session = requests.Session()
    session.headers.update({"Authorization": f"Bearer {token}"})
    return session


# --- the database as a whole ---------------------------------------------------------------

def snapshot(app: Flask) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in a stable order: two equal snapshots mean nothing was
    written in between."""
    with app.app_context(), db.engine.connect() as connection:
        return {table.name: sorted((tuple(row) for row in connection.execute(
                    sa.select(table))), key=repr)
                for table in db.metadata.sorted_tables}


def at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls in threads released together, as users clicking at the same moment."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        barrier.wait(timeout=REQUEST_TIMEOUT)
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def wait_for(condition: Callable[[], Any], timeout: float, message: str,
             interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(message)
