"""The journeys of issue 8 in Chromium: each test is one person's (or, for the airport
family, two people's) way through the real app, every page checked by axe-core."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import expect

from casemgr.auth.models import Organisation, User
from casemgr.cases.models import Case, CaseStatus
from casemgr.database import refresh_statistics
from casemgr.demo import load_demo
from casemgr.extensions import db
from casemgr.localtime import today
from tests.e2e.browsing import Journey
from tests.factories import Factories

AGENCY = "Incheon Airport Immigration Office (DEMO)"
LEGAL_AID = "Refugee Legal Aid Centre (DEMO)"
SHELTER = "Harbour Shelter Network (DEMO)"


def organisation(app: Flask, name: str) -> Organisation:
    with app.app_context():
        found = db.session.execute(sa.select(Organisation).where(Organisation.name == name))
        record = found.scalar_one()
        db.session.expunge(record)
        return record


def user(app: Flask, username: str) -> User:
    with app.app_context():
        record = db.session.execute(sa.select(User).where(User.username == username)).scalar_one()
        db.session.expunge(record)
        return record


def choose(select: Any, text: str) -> None:
    """Pick the option of a <select> whose label contains `text`."""
    select.select_option(select.locator("option", has_text=text).get_attribute("value"))


@contextmanager
def printed(page: Any) -> Iterator[None]:
    """The page as the print stylesheet lays it out."""
    page.emulate_media(media="print")
    try:
        yield
    finally:
        page.emulate_media(media="screen")


def served_today(app: Flask) -> date:
    with app.app_context():
        return today()


def test_airport_family_from_registration_to_the_ngo(journey: Journey, site: Flask,
                                                     factories: Factories) -> None:
    """A caseworker registers a family at the airport, sees the 7-day referral clock, records
    the referral, books an RSD interview with an interpreter, shares the file and refers a
    need to an NGO; the NGO's lawyer then sees exactly that person and that need."""
    page = journey.page
    agency, shelter = organisation(site, AGENCY), organisation(site, SHELTER)
    caseworker = user(site, "caseworker")
    day = served_today(site)
    # Others the lawyer must not see: a person of the agency who shared nothing, and one who
    # shared their file with another NGO and has a need referred there.
    hidden = factories.applicant(agency=agency, family_name="HIDDENPERSON", given_names="Nadia")
    elsewhere = factories.applicant(agency=agency, family_name="ELSEWHERE", given_names="Omar",
                                    share_with=shelter)
    factories.assistance_need(elsewhere.id, actor=caseworker, referred_to=shelter)

    journey.log_in("caseworker")
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    journey.follow(journey.link("Applicants", exact=True))
    journey.follow(journey.link("Register an applicant"))

    # The principal applicant, lodged at Incheon airport today.
    page.get_by_label("Family name").fill("KARIMI")
    page.get_by_label("Given names").fill("Leyla")
    page.get_by_label("Name in original script").fill("لیلا کریمی")
    page.get_by_label("Sex").select_option("F")
    page.get_by_label("Date of birth").fill("1988-03-14")
    page.get_by_label("Nationality").select_option("IRN")
    page.get_by_label("Languages").select_option(["fas", "eng"])
    page.get_by_label("Interpreter needed").check()
    page.get_by_label("Lodged", exact=True).select_option("port_of_entry")
    page.get_by_label("Arrival date").fill(day.isoformat())
    page.get_by_label("Port of entry").fill("ICN")
    page.get_by_label("Family group").fill("KARIMI-ICN")
    # …and her son, added as a household member.
    journey.follow(journey.button("Add a household member"))
    member = page.get_by_role("group", name="Member 2")
    member.get_by_label("Family name").fill("KARIMI")
    member.get_by_label("Given names").fill("Arash")
    member.get_by_label("Sex").select_option("M")
    member.get_by_label("Date of birth").fill("2015-07")
    member.get_by_label("Relationship to the principal").select_option("child")
    journey.follow(journey.button("Register", exact=True))
    expect(page.locator(".flash-messages")).to_contain_text("Registered 2 person(s)")
    expect(page.get_by_role("heading", level=1)).to_contain_text("KARIMI")
    principal_path = journey.path

    # The dashboard shows the 7-day referral clock of both applications.
    journey.follow(journey.link("Dashboard", exact=True))
    referral = page.get_by_role("region", name=re.compile("^Referral decision"))
    expect(referral.get_by_role("row", name=re.compile("KARIMI Leyla"))).to_contain_text(
        "7 days left")
    expect(referral.get_by_role("row", name=re.compile("KARIMI Arash"))).to_be_visible()

    # The referral decision: referred to the refugee status determination.
    journey.follow(referral.get_by_role("link", name=re.compile("KARIMI Leyla")))
    page.get_by_label("New status").select_option("first_instance")
    page.get_by_label("Outcome").select_option("referred")
    page.get_by_label("Effective date").fill(day.isoformat())
    page.get_by_label("Reason or basis").fill("Referred: claim not manifestly unfounded.")
    journey.follow(journey.button("Record the change"))
    expect(page.locator(".flash-messages")).to_contain_text("First instance")

    # An RSD interview in a week, with a Persian interpreter.
    journey.follow(journey.link("Schedule a hearing"))
    page.get_by_label("Kind").select_option("rsd_interview")
    interview_day = day + timedelta(days=7)
    page.get_by_label("Starts at").fill(f"{interview_day.isoformat()}T10:00")
    page.get_by_label("Place or room").fill("Interview room 3")
    page.get_by_label("Interviewer", exact=True).select_option(label="Min-jun Kim")
    page.get_by_label("Interpreter", exact=True).fill("Dariush Farahani")
    page.get_by_label("Interpreter's language").select_option("fas")
    journey.follow(journey.button("Schedule", exact=True))
    expect(page.get_by_role("main")).to_contain_text("Dariush Farahani")
    expect(page.get_by_role("main")).to_contain_text("Interview room 3")
    journey.follow(journey.link("Notice for the applicant"))
    notice = page.get_by_role("article")
    expect(notice).to_contain_text("An interpreter for Persian will be present.")
    with printed(page):
        expect(notice).to_be_visible()
        for hidden_in_print in (page.get_by_role("banner"),
                                journey.link("Back to the hearing")):
            expect(hidden_in_print).to_be_hidden()

    # The applicant consents to sharing her file with the legal-aid NGO…
    journey.open(principal_path)
    page.get_by_label("NGO", exact=True).select_option(label=LEGAL_AID)
    journey.follow(journey.button("Share (applicant consented)"))
    expect(page.locator(".flash-messages")).to_contain_text("shared with the NGO")

    # …and needs legal counselling, referred to that NGO.
    journey.follow(journey.link("Needs page"))
    assistance = page.locator("#assistance")
    assistance.get_by_label("Category").select_option("legal")
    assistance.get_by_label("Priority").select_option("high")
    assistance.get_by_label("Due on").fill((day + timedelta(days=5)).isoformat())
    assistance.get_by_label("Referred to").select_option(label=LEGAL_AID)
    assistance.get_by_label("Note").fill("Counselling before the RSD interview.")
    journey.follow(assistance.get_by_role("button", name="Open the need"))
    expect(page.locator(".flash-messages")).to_contain_text("Need opened.")
    journey.log_out()

    # The NGO lawyer sees exactly that person and that need.
    journey.log_in("lawyer")
    expect(page.get_by_role("heading", name="Applicants", level=1)).to_be_visible()
    rows = page.get_by_role("table").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("KARIMI Leyla")
    expect(page.get_by_role("main")).to_contain_text("of 1")
    for other in ("HIDDENPERSON", "ELSEWHERE", "Arash"):
        expect(page.get_by_role("main")).not_to_contain_text(other)
    journey.open(f"/applicants/{hidden.id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Not found")
    journey.follow(journey.link("Needs", exact=True))
    rows = page.get_by_role("table").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Legal")
    expect(rows.first).to_contain_text(LEGAL_AID)
    journey.follow(rows.first.get_by_role("link"))
    expect(page.get_by_role("main")).to_contain_text("Counselling before the RSD interview.")


def test_supervisor_records_a_decision(journey: Journey, site: Flask,
                                       factories: Factories) -> None:
    """A supervisor finds an application in the first instance and recognizes the refugee."""
    page = journey.page
    agency = organisation(site, AGENCY)
    day = served_today(site)
    person = factories.applicant(agency=agency, family_name="SAIDOVA", given_names="Malika",
                                 nationality="UZB", lodged_on=day - timedelta(days=120))
    factories.applicant(agency=agency, family_name="DURAN", given_names="Emre",
                        nationality="TUR", lodged_on=day - timedelta(days=30))

    journey.log_in("supervisor")
    journey.follow(journey.link("Applicants", exact=True))
    page.get_by_label("Name or registration no.").fill("saidova")
    journey.follow(journey.button("Filter"))
    assert "q=saidova" in journey.path
    rows = page.get_by_role("table").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(page.get_by_role("main")).to_contain_text("Showing 1–1 of 1")
    journey.follow(rows.first.get_by_role("link", name="First instance"))

    page.get_by_label("New status").select_option("recognized")
    page.get_by_label("Effective date").fill(day.isoformat())
    page.get_by_label("Notice served on").fill(day.isoformat())
    page.get_by_label("Reason or basis").fill("Well-founded fear of persecution.")
    journey.follow(journey.button("Record the change"))
    expect(page.locator(".flash-messages")).to_contain_text("Recognized (F-2-4)")
    history = page.get_by_role("table", name="Status history, oldest first")
    expect(history.locator("tbody tr").last).to_contain_text("supervisor")
    with printed(page):
        expect(history).to_be_visible()
        expect(page.get_by_role("heading", name="Clocks")).to_be_visible()
        for hidden_in_print in (page.get_by_role("banner"), page.get_by_label("Note", exact=True),
                                journey.button("Add the note")):
            expect(hidden_in_print).to_be_hidden()
    with site.app_context():
        case = db.session.execute(sa.select(Case).where(
            Case.applicant_id == person.id)).scalar_one()
        assert case.status == CaseStatus.RECOGNIZED
        assert case.decision == "recognized"


def test_analyst_downloads_public_and_internal_statistics(journey: Journey, site: Flask
                                                          ) -> None:
    """An analyst opens last year's statistics and downloads the exact and the protected
    release; the protected one is rounded to fives."""
    page = journey.page
    with site.app_context():
        load_demo(db.session, applicants=60, seed=2023, today=today())
        refresh_statistics(db.session)
        db.session.commit()
    year = served_today(site).year - 1

    journey.log_in("analyst")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Annual registration statistics")
    page.get_by_label("Year", exact=True).select_option(str(year))
    journey.follow(journey.button("Show"))
    assert f"year={year}" in journey.path
    expect(page.get_by_role("heading", name=f"Download the {year} tables")).to_be_visible()
    # Computing a year takes a while: the form says so as soon as it is sent (held here,
    # so the busy state can be seen).
    chooser = page.get_by_role("form", name="Choose the year")
    chooser.evaluate("form => form.addEventListener('submit', event => event.preventDefault())")
    journey.button("Show").click()
    expect(chooser).to_have_attribute("aria-busy", "true")
    expect(chooser.get_by_role("status")).to_have_text("Computing the statistics of the year…")
    expect(journey.button("Show").locator(".spinner-border")).to_be_visible()
    # Printed, the tables are whole: folded cells open, no form or button.
    table = page.get_by_role("table", name=re.compile("all cells")).first
    expect(table).to_be_hidden()
    with printed(page):
        page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
        expect(table).to_be_visible()
        expect(chooser).to_be_hidden()
        page.evaluate("window.dispatchEvent(new Event('afterprint'))")
    expect(table).to_be_hidden()

    internal = download(page, re.compile(f"^CSV.*exact figures {year}"))
    assert internal.suggested_filename.endswith(".csv")
    exact = rows_of(internal)
    assert exact and {row["year"] for row in exact} == {str(year)}
    internal_json = json.loads(download_text(page, re.compile(f"^JSON.*exact figures {year}")))
    assert internal_json["metadata"]["release"] == "internal"

    journey.follow(journey.link("See the public release"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("public release")
    public = rows_of(download(page, re.compile(f"^CSV.*public release {year}")))
    counts = [row for row in public if row["value"] and row["measure"] in ("persons", "count")]
    assert counts and all(int(row["value"]) % 5 == 0 for row in counts)
    public_json = json.loads(download_text(page, re.compile(f"^JSON.*public release {year}")))
    assert public_json["metadata"]["release"] == "public"


def download(page: Any, name: re.Pattern[str]) -> Any:
    """Click the download link called `name`; the file as the browser saved it."""
    with page.expect_download() as info:
        page.get_by_role("link", name=name).click()
    return info.value


def download_text(page: Any, name: re.Pattern[str]) -> str:
    return Path(download(page, name).path()).read_text(encoding="utf-8")


def rows_of(file: Any) -> list[dict[str, str]]:
    text = Path(file.path()).read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    assert reader.fieldnames and reader.fieldnames[:2] == ["table", "year"]
    return list(reader)


def test_admin_creates_a_user_and_reads_the_audit_trail(journey: Journey, site: Flask) -> None:
    page = journey.page
    journey.log_in("admin")
    expect(page.get_by_role("heading", name="Users", level=1)).to_be_visible()
    journey.follow(journey.link("New user"))
    # Saved empty: the summary is an alert and has the focus; each field says what is wrong.
    journey.follow(journey.button("Save"))
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Username")
    username = page.get_by_label("Username")
    expect(username).to_have_attribute("aria-invalid", "true")
    expect(username).to_have_accessible_description(re.compile("required"))
    page.get_by_label("Username").fill("jbaek")
    page.get_by_label("Full name").fill("Ji-hoon Baek")
    page.get_by_label("Role").select_option("caseworker")
    choose(page.get_by_label("Organisation"), AGENCY)
    page.get_by_label("Initial password").fill("Harbour-lanterns-glow-2026")
    journey.follow(journey.button("Save"))
    expect(page.locator(".flash-messages")).to_contain_text("User jbaek created.")
    expect(page.get_by_role("row", name=re.compile("jbaek"))).to_contain_text("Caseworker")

    journey.follow(journey.link("Audit log"))
    page.get_by_label("Action").select_option(label="User created")
    journey.follow(journey.button("Filter"))
    assert "action=user.created" in journey.path
    rows = page.get_by_role("table").locator("tbody tr")
    expect(rows.filter(has_text="jbaek")).to_have_count(1)
    expect(rows.filter(has_text="jbaek")).to_contain_text("admin")
