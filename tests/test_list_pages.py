"""The list pages as people use them (issue 8, usability): filters live in the URL and stay in
every sort, page and period link; the number of results is shown; an empty list says what
to do; long operations are marked for the busy indicator; print styles exist."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from casemgr.auth.models import OrganisationKind, Role
from casemgr.localtime import today

HREF = re.compile(r'href="([^"]+)"')


def page_of(client: Any, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return html.unescape(response.get_data(as_text=True))


def links(page: str, path: str) -> list[dict[str, list[str]]]:
    """The query arguments of every link on the page to `path`."""
    found = []
    for href in HREF.findall(page):
        parts = urlsplit(href)
        if parts.path == path and parts.query:
            found.append(parse_qs(parts.query))
    return found


def count_text(page: str) -> str:
    match = re.search(r'<p class="result-count[^"]*" role="status">\s*(.*?)\s*</p>', page, re.S)
    assert match, "no result count on the page"
    return " ".join(match.group(1).split())


@pytest.fixture
def agency(factories: Any) -> Any:
    return factories.organisation(OrganisationKind.AGENCY)


@pytest.fixture
def caseworker(login_as: Any, agency: Any) -> Any:
    return login_as(Role.CASEWORKER, organisation=agency)


@pytest.mark.parametrize("app_overrides", [{"PAGE_SIZE": 2}])
def test_applicant_filters_stay_in_sort_and_page_links(factories: Any, agency: Any,
                                                       caseworker: Any) -> None:
    for _ in range(3):
        factories.applicant(agency=agency, nationality="RUS")
    factories.applicant(agency=agency, nationality="PRK")

    page = page_of(caseworker, "/applicants?nationality=RUS&sort=name")
    assert count_text(page) == "Showing 1–2 of 3"
    assert re.search(r'<option (selected value="RUS"|value="RUS" selected)>', page)
    sorting = [args for args in links(page, "/applicants") if "sort" in args]
    assert sorting and all(args["nationality"] == ["RUS"] for args in sorting)
    paging = [args for args in links(page, "/applicants") if "page" in args]
    assert {"nationality": ["RUS"], "sort": ["name"], "page": ["2"]} in paging
    assert count_text(page_of(caseworker, "/applicants?nationality=RUS&sort=name&page=2")) == (
        "Showing 3–3 of 3")


@pytest.mark.parametrize("app_overrides", [{"PAGE_SIZE": 2}])
def test_need_filters_stay_in_sort_and_page_links(factories: Any, agency: Any,
                                                  caseworker: Any) -> None:
    person = factories.applicant(agency=agency)
    for category in ("shelter", "shelter", "shelter", "food"):
        factories.assistance_need(person.id, actor=caseworker.user, category=category)

    page = page_of(caseworker, "/needs?category=shelter")
    assert count_text(page) == "Showing 1–2 of 3"
    assert re.search(r'<option (selected value="shelter"|value="shelter" selected)>', page)
    sorting = [args for args in links(page, "/needs") if "sort" in args]
    assert sorting and all(args["category"] == ["shelter"] for args in sorting)
    assert {"category": ["shelter"], "page": ["2"]} in links(page, "/needs")


def test_agenda_filters_stay_in_period_links(factories: Any, agency: Any,
                                             caseworker: Any) -> None:
    person = factories.applicant(agency=agency)
    day = today() + timedelta(days=3)
    factories.hearing(person.cases[0].id, starts_at=datetime.combine(day, time(10), UTC),
                      location="Room 7")

    page = page_of(caseworker, f"/hearings?date={day}&kind=rsd_interview&location=Room+7")
    assert re.search(r'role="status" class="result-count[^"]*">1 hearing<', page)
    assert "Room 7" in page
    period = [args for args in links(page, "/hearings") if "date" in args]
    assert len(period) == 3  # previous day, today, next day
    for args in period:
        assert args["kind"] == ["rsd_interview"]
        assert args["location"] == ["Room 7"]
    assert {args["date"][0] for args in period} == {
        (day - timedelta(days=1)).isoformat(), today().isoformat(),
        (day + timedelta(days=1)).isoformat()}


@pytest.mark.parametrize("app_overrides", [{"PAGE_SIZE": 2}])
def test_audit_filters_stay_in_page_and_download_links(login_as: Any) -> None:
    for _ in range(3):
        login_as(Role.CASEWORKER)
    auditor = login_as(Role.AUDITOR)

    page = page_of(auditor, "/admin/audit?action=auth.login")
    assert count_text(page) == "Showing 1–2 of 4"
    assert {"action": ["auth.login"], "page": ["2"]} in links(page, "/admin/audit")
    assert links(page, "/admin/audit/export.csv") == [{"action": ["auth.login"]}]


@pytest.mark.parametrize(("role", "url", "expected"), [
    (Role.CASEWORKER, "/applicants", "No applicants yet. Register the first one"),
    (Role.CASEWORKER, "/applicants?q=nobody", "try fewer filters, or clear them"),
    (Role.LEGAL_AID, "/applicants", "Files appear here once an agency records"),
    (Role.CASEWORKER, "/needs", "Open one on a person's needs page"),
    (Role.CASEWORKER, "/needs?category=food", "Try fewer filters, or clear them."),
    (Role.LEGAL_AID, "/needs", "when an agency refers one to your organisation"),
    (Role.CASEWORKER, "/needs/specific", "Record them on a person's needs page."),
    (Role.CASEWORKER, "/needs/specific?category=SM", "Choose another category"),
    (Role.AUDITOR, "/admin/audit?actor=nobody", "Widen the dates"),
    (Role.ADMIN, "/admin/users?q=nobody", "Clear the filters or create a user."),
])
def test_an_empty_list_says_what_to_do(login_as: Any, role: Role, url: str,
                                       expected: str) -> None:
    page = page_of(login_as(role), url)
    assert count_text(page) == "No results"
    assert expected in page


@pytest.mark.parametrize(("url", "expected"), [
    ("/hearings", "No hearings in this period. Go to another day or week, or schedule one"),
    ("/hearings?kind=court_hearing", "No hearing matches these filters in this period."),
])
def test_an_empty_agenda_says_what_to_do(caseworker: Any, url: str, expected: str) -> None:
    page = page_of(caseworker, url)
    assert re.search(r'class="result-count[^"]*">0 hearings<', page)
    assert expected in page


@pytest.mark.parametrize(("role", "url"), [
    (Role.CASEWORKER, "/applicants/import"),
    (Role.ANALYST, "/statistics"),
])
def test_long_operations_are_marked_for_the_busy_indicator(login_as: Any, role: Role,
                                                           url: str) -> None:
    page = page_of(login_as(role), url)
    form = re.search(r"<form[^>]*data-busy=\"([^\"]+)\"[^>]*>(.*?)</form>", page, re.S)
    assert form and form.group(1).strip()
    assert re.search(r'role="status" data-busy-status', form.group(2))
    assert '<script src="/static/js/casemgr.js" defer>' in page


def test_the_scripts_and_print_styles_are_served(client: Any) -> None:
    script = client.get("/static/js/casemgr.js").get_data(as_text=True)
    assert "aria-busy" in script and "beforeprint" in script
    styles = client.get("/static/css/print.css").get_data(as_text=True)
    assert styles.lstrip().startswith("/*") and "@media print" in styles
    for selector in (".hearing-notice", "thead", "form"):
        assert selector in styles


def filter_select(page: str, name: str) -> str:
    match = re.search(rf'<select [^>]*name="{name}"[^>]*>.*?</select>', page, re.S)
    assert match, f"no {name} select on the page"
    return match.group(0)


def test_filter_selects_mark_the_chosen_option_on_every_view(factories: Any, agency: Any,
                                                            caseworker: Any) -> None:
    """The filters' options are rendered once and reused (forms.CachedSelect): each view
    still marks only its own choice, and the selects keep their styling."""
    factories.applicant(agency=agency)
    first = page_of(caseworker, "/applicants?status=rejected&lodged_at=port_of_entry")
    second = page_of(caseworker, "/applicants?status=recognized")
    assert re.findall(r'<option value="(\w+)" selected>', filter_select(first, "status")) == [
        "rejected"]
    assert re.findall(r'<option value="(\w+)" selected>', filter_select(second, "status")) == [
        "recognized"]
    assert " selected" not in filter_select(second, "lodged_at")
    assert 'class="form-select form-select-sm"' in filter_select(second, "status")


def test_caseworker_filter_offers_each_organisation_its_own_staff(
        factories: Any, login_as: Any) -> None:
    """Options built per organisation are cached per distinct list, never shared."""
    incheon = factories.organisation(OrganisationKind.AGENCY, name="Incheon")
    busan = factories.organisation(OrganisationKind.AGENCY, name="Busan")
    one = login_as(Role.CASEWORKER, organisation=incheon, full_name="Incheon Worker")
    other = login_as(Role.CASEWORKER, organisation=busan, full_name="Busan Worker")
    incheon_options = filter_select(page_of(one, "/applicants"), "assigned_to_id")
    busan_options = filter_select(page_of(other, "/applicants"), "assigned_to_id")
    assert "Incheon Worker" in incheon_options and "Busan Worker" not in incheon_options
    assert "Busan Worker" in busan_options and "Incheon Worker" not in busan_options


def test_filter_selects_and_labels_follow_the_interface_language(caseworker: Any) -> None:
    """The countries' options are rendered once per language (forms.Options), and the
    filters' labels still name their fields, in the language of each view."""
    english = page_of(caseworker, "/applicants?nationality=RUS")
    korean = caseworker.get("/applicants?nationality=RUS", headers={
        "Accept-Language": "ko-KR,ko;q=0.9"}).get_data(as_text=True)
    again = page_of(caseworker, "/applicants?nationality=KAZ")
    assert '<option value="RUS" selected>Russia' in filter_select(english, "nationality")
    assert '<option value="RUS" selected>러시아' in filter_select(korean, "nationality")
    assert '<option value="KAZ" selected>Kazakhstan' in filter_select(again, "nationality")
    assert '<option value="RUS">Russia' in filter_select(again, "nationality")
    assert '<label class="form-label small mb-0" for="nationality">Nationality</label>' in again
    assert '<label class="form-label small mb-0" for="nationality">국적</label>' in korean
