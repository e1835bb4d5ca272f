"""Simulated users of casemgr for the load test (bench/load_test.py runs this headless).

Three kinds of user, each logged in through the real login form:
- caseworkers (most users): the dashboard, the applicant list with filters, a name search,
  a case page, a status change through the case page's form (CSRF token and record version
  as the browser sends them), and a hearing booked through the booking form;
- NGO staff (the demo lawyer): their list of people shared with them and a case page;
- analysts: the statistics page and a CSV download of the annual tables.

What to request comes from the plan file that load_test.py writes (CASEMGR_BENCH_PLAN):
the servers, the samples of names, filters and cases. Each request goes to the next server
in turn (a load balancer without sticky sessions), so with two instances every user's
session, CSRF tokens and forms cross between them.

Every page must answer 200 and every form a redirect; anything else is a failure. A case
is changed by one simulated user at a time (taken from a shared pool and put back), so a
"changed by someone else" refusal is not expected and counts as a failure too.

    locust -f bench/locustfile.py --headless ...   (see load_test.py for the whole set-up)
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

from locust import FastHttpUser, between, task

PLAN: dict[str, Any] = json.loads(Path(os.environ["CASEMGR_BENCH_PLAN"]).read_text())
HOSTS: list[str] = PLAN["hosts"]
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}
ERROR_ITEM = re.compile(r'<div class="alert alert-danger"[^>]*>.*?<li>(.*?)</li>', re.S)
STALE = "someone changed this record"
# Cases one simulated caseworker at a time works on (gevent: no two users pop the same).
WORK_POOL: deque[int] = deque(PLAN["work_cases"])
# Status changes that keep a case in the pool's life longest come first.
PREFERRED_TARGETS = ("first_instance", "objection", "litigation", "not_referred",
                     "referral_litigation")


@dataclass
class Form:
    """A form as a browser would submit it: every field with its current value."""

    action: str
    fields: dict[str, str] = field(default_factory=dict)
    options: dict[str, list[str]] = field(default_factory=dict)


class FormParser(HTMLParser):
    """The forms of a page: inputs, selects (the selected or first option) and textareas."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._open = False
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form":
            self.forms.append(Form(attributes.get("action") or ""))
            self._open = True
            return
        if not self._open:
            return
        form, name = self.forms[-1], attributes.get("name")
        if tag == "input" and name:
            kind = attributes.get("type") or "text"
            if kind in ("checkbox", "radio"):
                if "checked" in attributes:
                    form.fields[name] = attributes.get("value") or "on"
            elif kind not in ("submit", "button", "file", "image", "reset"):
                form.fields[name] = attributes.get("value") or ""
        elif tag == "select" and name:
            self._select = name
            form.options[name] = []
        elif tag == "option" and self._select:
            value = attributes.get("value") or ""
            form.options[self._select].append(value)
            if "selected" in attributes or len(form.options[self._select]) == 1:
                form.fields[self._select] = value
        elif tag == "textarea" and name:
            self._textarea = name
            form.fields[name] = ""

    def handle_data(self, data: str) -> None:
        if self._textarea and self.forms:
            self.forms[-1].fields[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            fields = self.forms[-1].fields
            # As a browser parses it: line breaks as LF, the one right after the tag dropped.
            text = fields[self._textarea].replace("\r\n", "\n")
            fields[self._textarea] = text.removeprefix("\n")
            self._textarea = None


def find_form(html: str, page: str, action: str) -> Form | None:
    """The form of the page at path `page` that posts to path `action` (a form without an
    action posts to its own page)."""
    parser = FormParser()
    parser.feed(html)
    for form in parser.forms:
        form.action = urlsplit(urljoin(page, form.action)).path
        if form.action == action:
            return form
    return None


def form_error(html: str) -> str:
    """The first message of the page's error box, for the failure report."""
    found = ERROR_ITEM.search(html)
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()[:200] if found else "no message"


class Browser(FastHttpUser):
    """A logged-in user; requests go to the servers in turn."""

    abstract = True
    host = HOSTS[0]
    wait_time = between(*PLAN["wait"])
    username = ""
    home = "/"  # where a login lands

    def on_start(self) -> None:
        self.turn = itertools.count(random.randrange(len(HOSTS)))
        self.login()

    def url(self, path: str) -> str:
        return HOSTS[next(self.turn) % len(HOSTS)] + path

    def page(self, path: str, name: str) -> str | None:
        """GET a page that must answer 200 (a redirect to the login page is a failure)."""
        with self.client.get(self.url(path), name=name, catch_response=True,
                             allow_redirects=False) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} for {path}")
                return None
            return response.text

    def post_form(self, form: Form, name: str, expect: str) -> bool:
        """Submit a form; it must redirect to a path matching the pattern `expect`."""
        with self.client.post(self.url(form.action), name=name, data=urlencode(form.fields),
                              headers=FORM_HEADERS, catch_response=True,
                              allow_redirects=False) as response:
            location = response.headers.get("Location", "") if response.headers else ""
            if response.status_code in (302, 303) and re.fullmatch(expect, urlsplit(location).path):
                return True
            text = response.text or ""
            if response.status_code == 200 and STALE in text:
                response.failure(f"{name}: stale version (a concurrent change)")
            else:
                response.failure(f"{name}: {response.status_code} {form_error(text)}")
            return False

    def login(self) -> None:
        html = self.page("/login", "login form")
        form = html and find_form(html, "/login", "/login")
        if not form:
            return
        form.fields.update(username=self.username, password=PLAN["password"])
        self.post_form(form, "login (POST)", re.escape(self.home))


class Caseworker(Browser):
    weight = PLAN["weights"]["caseworker"]
    username = "caseworker"

    @task(2)
    def dashboard(self) -> None:
        self.page("/", "dashboard")

    @task(4)
    def filtered_list(self) -> None:
        query = {"nationality": random.choice(PLAN["nationalities"]),
                 "status": random.choice(PLAN["statuses"]), "page": random.randint(1, 5)}
        self.page(f"/applicants?{urlencode(query)}", "applicant list, filtered")

    @task(4)
    def name_search(self) -> None:
        self.page(f"/applicants?{urlencode({'q': random.choice(PLAN['names'])})}",
                  "name search")

    @task(4)
    def case_page(self) -> None:
        self.page(f"/cases/{random.choice(PLAN['view_cases'])}", "case page")

    @task(1)
    def change_status(self) -> None:
        """Open a case, pick a status the form offers, give a reason, submit."""
        self._work_on_case(self._transition)

    @task(1)
    def book_hearing(self) -> None:
        """Open a pending case, follow "Schedule a hearing", book a free slot."""
        self._work_on_case(self._hearing)

    def _work_on_case(self, action: Any) -> None:
        if not WORK_POOL:
            return
        case_id = WORK_POOL.popleft()
        html = self.page(f"/cases/{case_id}", "case page")
        if html is None or action(case_id, html):
            WORK_POOL.append(case_id)  # else nothing is left to do on it: it leaves the pool

    def _transition(self, case_id: int, html: str) -> bool:
        form = find_form(html, f"/cases/{case_id}", f"/cases/{case_id}/transition")
        targets = [value for value in form.options.get("to", []) if value] if form else []
        if not form or not targets:
            return False
        preferred = [target for target in PREFERRED_TARGETS if target in targets]
        form.fields["to"] = random.choice(preferred or targets)
        form.fields["reason"] = "Load test: status change through the case page."
        self.post_form(form, "status change (POST)", f"/cases/{case_id}")
        return True

    def _hearing(self, case_id: int, html: str) -> bool:
        path = f"/cases/{case_id}/hearings/new"
        if path not in html:  # not pending: no hearing can be booked
            return True
        page = self.page(path, "hearing form")
        form = page and find_form(page, path, path)
        if not form:
            return True
        # A room of its own and a time years ahead: no clash with any other booking.
        start = datetime.now() + timedelta(days=random.randint(400, 4000))
        form.fields["starts_at"] = start.replace(hour=random.randint(8, 15),
                                                 minute=0).strftime("%Y-%m-%dT%H:%M")
        form.fields["location"] = f"Load-test room {uuid.uuid4().hex[:12]}"
        self.post_form(form, "hearing booking (POST)", r"/hearings/\d+")
        return True


class NgoStaff(Browser):
    weight = PLAN["weights"]["ngo"]
    username = "lawyer"
    home = "/applicants"

    @task(3)
    def own_list(self) -> None:
        self.page(f"/applicants?page={random.randint(1, 3)}", "NGO: applicant list")

    @task(3)
    def case_page(self) -> None:
        self.page(f"/cases/{random.choice(PLAN['ngo_cases'])}", "NGO: case page")


class Analyst(Browser):
    weight = PLAN["weights"]["analyst"]
    username = "analyst"
    home = "/statistics"

    @task(3)
    def statistics_page(self) -> None:
        self.page(f"/statistics?year={random.choice(PLAN['years'])}", "statistics page")

    @task(1)
    def download(self) -> None:
        self.page(f"/statistics/annual/{random.choice(PLAN['years'])}.csv",
                  "statistics download (CSV)")
