"""The statistics pages and downloads: who may use them, what they show, the audit of
internal downloads, and that public addresses never give away an exact small count."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date

import openpyxl
import pytest
import sqlalchemy as sa
from babel.numbers import format_decimal as babel_decimal
from babel.numbers import format_percent as babel_percent
from flask_babel import force_locale, gettext

from casemgr.audit.models import AuditEvent
from casemgr.auth.models import Role
from casemgr.extensions import db
from casemgr.statistics import presentation, tables
from casemgr.templating import country_name
from tests.statistics.helpers import person

STATISTICIANS = [Role.ANALYST, Role.SUPERVISOR, Role.ADMIN]
OTHERS = [Role.CASEWORKER, Role.LEGAL_AID, Role.AUDITOR]
INTERNAL = ["/statistics", "/statistics?year=2025", "/statistics/annual/2025.csv",
            "/statistics/annual/2025.xlsx", "/statistics/annual/2025.json"]
PUBLIC = ["/public/statistics", "/public/statistics?year=2025",
          "/public/statistics/annual/2025.csv", "/public/statistics/annual/2025.xlsx",
          "/public/statistics/annual/2025.json"]
TAG = re.compile(r"<[^>]+>")


@pytest.fixture
def small_year(factories):
    """A year of few people: 3 RUS and 1 KAZ applicants, two decisions, one referral."""
    agency = factories.organisation()
    person(factories, agency, date(2025, 1, 10), ("recognized", date(2025, 3, 1)), sex="F")
    person(factories, agency, date(2025, 1, 10), ("rejected", date(2025, 4, 1)))
    person(factories, agency, date(2025, 2, 3), ("first_instance", date(2025, 2, 5)),
           port="ICN")
    person(factories, agency, date(2025, 2, 1), nationality="KAZ")


@pytest.mark.parametrize("url", INTERNAL)
def test_anonymous_visitors_are_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.location.startswith("/login")


@pytest.mark.parametrize("role", OTHERS)
@pytest.mark.parametrize("url", INTERNAL)
def test_other_roles_are_refused(login_as, role, url):
    assert login_as(role).get(url).status_code == 403


@pytest.mark.parametrize("role", STATISTICIANS)
def test_statisticians_see_the_page_and_download(login_as, role, small_year):
    client = login_as(role)
    page = client.get("/statistics?year=2025")
    assert page.status_code == 200
    for file_format in ("csv", "xlsx", "json"):
        response = client.get(f"/statistics/annual/2025.{file_format}")
        assert response.status_code == 200
        assert response.get_data()  # a streamed body: read it all
        assert response.headers["Content-Disposition"] == (
            f'attachment; filename="casemgr-statistics-2025-internal.{file_format}"')


def test_internal_download_is_exact_and_audited(app, login_as, small_year):
    client = login_as(Role.ANALYST)
    response = client.get("/statistics/annual/2025.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    applications = {(row["citizenship"], row["sex"]): row["value"] for row in rows
                    if row["table"] == "applications" and row["age_group"] == "TOTAL"}
    assert applications == {("RUS", "TOTAL"): "3", ("KAZ", "TOTAL"): "1",
                            ("TOTAL", "TOTAL"): "4"}
    assert json.loads(client.get("/statistics/annual/2024.json").get_data())["rows"] == []
    with app.app_context():
        events = db.session.execute(sa.select(AuditEvent).where(
            AuditEvent.action == "statistics.downloaded").order_by(AuditEvent.id)).scalars()
        assert [(e.actor_name, e.details) for e in events] == [
            (client.user.username, {"year": 2025, "format": "csv", "release": "internal"}),
            (client.user.username, {"year": 2024, "format": "json", "release": "internal"}),
        ]


def test_the_page_shows_tables_with_totals_and_accessible_charts(login_as, small_year):
    response = login_as(Role.ANALYST).get("/statistics?year=2025")
    html = response.get_data(as_text=True)
    assert 'href="/statistics/annual/2025.csv"' in html
    assert 'href="/statistics/annual/2025.xlsx"' in html
    assert "Russian Federation (RUS)" in html
    assert "<caption" in html
    assert 'class="table-light fw-semibold"' in html  # total rows are marked
    charts = re.findall(r"<svg[^>]*>.*?</svg>", html, flags=re.S)
    assert len(charts) == 5
    for chart in charts:
        assert 'role="img"' in chart
        assert "<title" in chart
        assert "<desc" in chart
        assert "style" not in chart and "<script" not in chart
    assert "<script>" not in html and " style=" not in html


@pytest.mark.parametrize("locale", ["en", "ko", "ru"])
def test_every_figure_and_label_reads_as_babel_writes_it(app, small_year, locale):
    """The page works its labels and figures out once per page: each must still be what
    gettext and Babel give for that cell, in each language, after a page in another."""
    rate = {"en": "50.00%", "ko": "50.00%", "ru": "50,00\xa0%"}[locale]
    percent = {"en": "#,##0.00%", "ko": "#,##0.00%", "ru": "#,##0.00\xa0%"}[locale]
    for shown in ("ru" if locale != "ru" else "en", locale):
        with app.test_request_context(headers={"Accept-Language": shown}):
            views, _charts = presentation.page(db.session, 2025, public=False,
                                               country_name=country_name)
            exact = dict(tables.annual_tables(db.session, 2025))
            with force_locale(shown):
                russia, female = country_name("RUS"), gettext("Female")
    figures = 0
    for view in views:
        cells = {(cell.dims, cell.measure): cell for cell in exact[view.name]}
        for row in view.rows:
            for measure, text in zip(tables.TABLE_MEASURES[view.name], row.values,
                                     strict=True):
                cell = cells.get((row.dims, measure))
                if cell is None or cell.value is None:
                    continue
                figures += 1
                if measure in presentation.RATES:
                    assert text == babel_percent(cell.value, percent, locale=locale)
                else:
                    assert text == babel_decimal(cell.value, locale=locale)
    assert figures > 20
    decided = next(view for view in views if view.name == "first_instance_decisions")
    assert decided.rows[-1].values[1:] == [rate, rate]
    applications = next(view for view in views if view.name == "applications")
    labels = {label for row in applications.rows for label in row.labels}
    assert {f"{russia} (RUS)", female} <= labels


def test_the_year_defaults_to_the_last_complete_year(login_as):
    html = login_as(Role.ANALYST).get("/statistics").get_data(as_text=True)
    last = date.today().year - 1
    assert f'<option selected value="{last}">' in html


def test_a_year_without_data_shows_empty_tables_with_headers(login_as):
    response = login_as(Role.ANALYST).get("/statistics?year=1995")
    assert response.status_code == 200
    text = TAG.sub(" ", response.get_data(as_text=True))
    assert "No persons counted in 1995." in text
    assert "Citizenship" in text


@pytest.mark.parametrize("year", ["1993", "abc", str(date.today().year + 1)])
def test_a_bad_year_on_the_page_says_which_years_exist(login_as, year):
    response = login_as(Role.ANALYST).get(f"/statistics?year={year}")
    assert response.status_code == 400
    assert f"Choose a year from 1994 to {date.today().year}." in response.get_data(
        as_text=True)


@pytest.mark.parametrize(("url", "message"), [
    ("/statistics/annual/1993.csv", "There are no statistics for “1993”"),
    (f"/statistics/annual/{date.today().year + 1}.csv", "There are no statistics for"),
    ("/statistics/annual/year.csv", "There are no statistics for “year”"),
    ("/statistics/annual/2025.pdf", "There is no “pdf” download: use csv, xlsx or json."),
    ("/public/statistics/annual/1993.json", "There are no statistics for “1993”"),
    ("/public/statistics/annual/2025.txt", "There is no “txt” download"),
])
def test_bad_download_addresses_are_404_with_a_clear_message(login_as, url, message):
    response = login_as(Role.ANALYST).get(url)
    assert response.status_code == 404
    assert message in response.get_data(as_text=True)


# --- the public release -------------------------------------------------------------------------

@pytest.mark.parametrize("url", PUBLIC)
def test_public_statistics_need_no_login(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response.get_data()


@pytest.mark.parametrize("app_overrides", [{"PUBLIC_STATISTICS": False}])
@pytest.mark.parametrize("url", PUBLIC)
def test_public_statistics_switched_off_do_not_exist(client, login_as, url):
    assert client.get(url).status_code == 404
    assert login_as(Role.ANALYST).get(url).status_code == 404


def test_public_files_never_give_an_exact_small_count(client, small_year):
    rows = list(csv.DictReader(io.StringIO(
        client.get("/public/statistics/annual/2025.csv").get_data(as_text=True))))
    assert rows
    assert {row["citizenship"] for row in rows} <= {"", "OTHER", "TOTAL"}
    for row in rows:
        if row["measure"] in {"persons", "n"}:
            assert row["value"] == "" or int(row["value"]) % 5 == 0, row
        else:
            assert (row["value"], row["status"]) == ("", "suppressed"), row
    referral = [row for row in rows if row["table"] == "referral_decisions"]
    assert referral and all(row["status"] == "suppressed" for row in referral)

    document = json.loads(client.get("/public/statistics/annual/2025.json").get_data())
    assert document["metadata"]["release"] == "public"
    assert document["metadata"]["disclosure"]["applied"] is True
    assert all(row["value"] is None or row["value"] % 5 == 0 for row in document["rows"]
               if row["measure"] in {"persons", "n"})

    workbook = openpyxl.load_workbook(io.BytesIO(
        client.get("/public/statistics/annual/2025.xlsx").get_data()), read_only=True)
    for name in workbook.sheetnames[1:]:
        for row in workbook[name].iter_rows(values_only=True):
            numbers = [value for value in row if isinstance(value, int)]
            assert all(value % 5 == 0 for value in numbers), (name, row)
            assert "RUS" not in row and "KAZ" not in row


def test_the_public_page_shows_only_protected_figures(client, small_year):
    response = client.get("/public/statistics?year=2025")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Russian Federation" not in html and "Kazakhstan" not in html
    assert "Other citizenships" in html
    assert 'href="/public/statistics/annual/2025.csv"' in html
    assert 'href="/statistics/annual/' not in html
    cells = re.findall(r'<td class="text-end">([^<]*)</td>', html)
    figures = [cell for cell in cells if cell and cell != "[c]"]
    assert figures and all(int(cell.replace(",", "")) % 5 == 0 for cell in figures)
