"""End-to-end fixtures: the real app served over HTTP on 127.0.0.1, Debian's Chromium driven
by Playwright, and axe-core run on every page a journey reaches.

One server and one browser per test session (per xdist worker); each test gets a fresh
browser context and a database holding only the demo organisations and logins (plus what
the test adds). The server uses the session's test database (SQLite file or PostgreSQL
schema, see tests/conftest.py), emptied before and after each journey like any other test.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

from casemgr.demo import load_demo
from casemgr.extensions import db
from casemgr.localtime import today
from tests.conftest import empty_all_tables, make_app
from tests.e2e.browsing import CHROMIUM, CHROMIUM_ARGS, Journey
from tests.factories import Factories

SCREENSHOTS = Path(__file__).parent / "screenshots"


class QuietHandler(WSGIRequestHandler):
    """No access log lines in the test output."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@pytest.fixture(scope="session")
def server(database: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[Flask, str]]:
    """The app behind a threaded werkzeug server on a free port of 127.0.0.1."""
    application = make_app(database, tmp_path_factory.mktemp("e2e-instance"),
                           # every journey logs in from 127.0.0.1, several times a minute
                           LOGIN_RATE_LIMIT="10000 per minute",
                           SESSION_COOKIE_SECURE=False,
                           # stylesheets and scripts from the browser's cache, not asked
                           # again on every page
                           SEND_FILE_MAX_AGE_DEFAULT=3600)
    http = make_server("127.0.0.1", 0, application, threaded=True,
                       request_handler=QuietHandler)
    thread = threading.Thread(target=http.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    yield application, f"http://127.0.0.1:{http.server_port}"
    http.shutdown()
    thread.join(timeout=10)
    with application.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the whole session (starting it is the slow part)."""
    if not CHROMIUM.exists():
        pytest.skip(f"end-to-end tests need Debian's Chromium at {CHROMIUM} "
                    "(apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def site(server: tuple[Flask, str]) -> Iterator[Flask]:
    """A database with the demo organisations and one login per role, nothing else."""
    application, _ = server
    with application.app_context():
        db.session.remove()
        empty_all_tables()
        load_demo(db.session, applicants=0, seed=2023, today=today())
        db.session.commit()
    yield application
    with application.app_context():
        db.session.remove()
        empty_all_tables()


@pytest.fixture
def factories(site: Flask) -> Factories:
    """Records made through the services in the served app's database."""
    return Factories(site)


@pytest.fixture
def journey(browser: Any, server: tuple[Flask, str], site: Flask,
            request: pytest.FixtureRequest) -> Iterator[Journey]:
    """A fresh browser context (no cookies) on the served app. Every page it loads must be
    checked by axe; the last page is saved as a screenshot when the test ends."""
    _, base_url = server
    context = browser.new_context(base_url=base_url, accept_downloads=True,
                                  locale="en-GB", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    trip = Journey(page, base_url)
    yield trip
    try:
        SCREENSHOTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    finally:
        context.close()
    trip.assert_every_page_checked()
