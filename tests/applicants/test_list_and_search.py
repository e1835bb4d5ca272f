"""The applicant list: transliteration-aware name search, registration-number search, filters,
sorting, pagination, robustness against odd query strings, and a constant number of queries."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from casemgr import listing
from casemgr.auth.models import OrganisationKind, Role, User
from casemgr.cases.models import Case
from casemgr.extensions import db
from tests.applicants.helpers import (
    assign_case,
    counting_queries,
    listed_numbers,
    make_applicants,
    page_text,
)
from tests.factories import letters

TODAY = date.today()


@pytest.fixture
def agency(factories):
    return factories.organisation(OrganisationKind.AGENCY)


@pytest.fixture
def caseworker(login_as, agency):
    return login_as(Role.CASEWORKER, organisation=agency)


def numbers(client, query: str = "") -> set[str]:
    response = client.get(f"/applicants{query}")
    assert response.status_code == 200
    return set(listed_numbers(response))


@pytest.fixture
def people(factories, agency):
    """Three people whose names are written in different ways."""
    return {
        "ivanov": factories.applicant(agency=agency, family_name="IVANOV", given_names="Ivan",
                                      date_of_birth="1990-05-17"),
        "ivanova": factories.applicant(agency=agency, family_name="KUZNETSOVA",
                                       given_names="Olga", native_name="Иванова Ольга",
                                       date_of_birth="1985"),
        "petrov": factories.applicant(agency=agency, family_name="PETROV", given_names="Pyotr",
                                      native_name="Пётр Петров", date_of_birth="1979-03"),
        "kim": factories.applicant(agency=agency, family_name="KIM", given_names="Min-jun",
                                   native_name="김민준", nationality="PRK",
                                   date_of_birth="2001-11-30"),
    }


@pytest.mark.parametrize(("query", "expected"), [
    ("Иванов", {"ivanov", "ivanova"}),  # Cyrillic finds the Latin IVANOV and the native name
    ("ivanow", {"ivanov", "ivanova"}),  # a German spelling finds the Cyrillic Иванова
    ("IVANOV", {"ivanov", "ivanova"}),
    ("Iwanow Iwan", {"ivanov", "ivanova"}),  # "ivan" is a prefix of Иванова too
    ("Iwanow Pyotr", set()),  # every word must match
    ("Ivanov Olga", {"ivanova"}),  # Latin words against a native name
    ("Ольга", {"ivanova"}),
    ("kuzne", {"ivanova"}),  # a prefix
    ("Petrov", {"petrov"}),
    ("Pyotr", {"petrov"}),
    ("Пётр", {"petrov"}),
    ("김민준", {"kim"}),
    ("min jun", {"kim"}),
    ("Smirnov", set()),
    ("<script>", set()),
])
def test_search_by_name_in_any_script(caseworker, people, query, expected) -> None:
    found = numbers(caseworker, f"?q={quote(query)}")
    assert found == {people[key].registration_no for key in expected}


def test_search_by_registration_number_prefix(caseworker, factories, agency) -> None:
    first = factories.applicant(agency=agency, registration_no="2025-000123")
    second = factories.applicant(agency=agency, registration_no="2025-000124")
    older = factories.applicant(agency=agency, registration_no="2024-000123")
    assert numbers(caseworker, "?q=2025-000123") == {first.registration_no}
    assert numbers(caseworker, "?q=2025-00012") == {first.registration_no,
                                                     second.registration_no}
    assert numbers(caseworker, "?q=2024") == {older.registration_no}
    assert numbers(caseworker, "?q=+2025-000124+") == {second.registration_no}
    assert numbers(caseworker, "?q=2025-%25") == set()  # LIKE wildcards are literal
    assert numbers(caseworker, "?q=2025_") == set()


def test_no_match_says_so(caseworker, people) -> None:
    html = page_text(caseworker.get("/applicants?q=Smirnov"))
    assert "No applicant in your scope matches these filters" in html


@pytest.fixture
def mixed(factories, agency, caseworker, login_as):
    """People in every situation the filters distinguish."""
    colleague = login_as(Role.CASEWORKER, organisation=agency).user
    overdue = factories.applicant(agency=agency, nationality="RUS",
                                  lodged_on=TODAY - timedelta(days=400))
    fresh_port = factories.applicant(agency=agency, nationality="AFG", lodged_at="port_of_entry",
                                     port_of_entry="ICN", lodged_on=TODAY - timedelta(days=2))
    late_port = factories.applicant(agency=agency, nationality="SYR", lodged_at="port_of_entry",
                                    port_of_entry="KRPUS", lodged_on=TODAY - timedelta(days=30))
    recent = factories.applicant(agency=agency, nationality="RUS",
                                 lodged_on=TODAY - timedelta(days=10))
    supervisor = factories.user(Role.SUPERVISOR, organisation=agency)
    assign_case(factories.app, overdue.cases[0].id, caseworker.user.id, actor_id=supervisor.id)
    assign_case(factories.app, recent.cases[0].id, colleague.id, actor_id=supervisor.id)
    return {"overdue": overdue, "fresh_port": fresh_port, "late_port": late_port,
            "recent": recent, "colleague": colleague}


@pytest.mark.parametrize(("query", "expected"), [
    ("", {"overdue", "fresh_port", "late_port", "recent"}),
    ("?nationality=RUS", {"overdue", "recent"}),
    ("?nationality=AFG", {"fresh_port"}),
    ("?status=referral_pending", {"fresh_port", "late_port"}),
    ("?status=first_instance", {"overdue", "recent"}),
    ("?status=rejected", set()),
    ("?lodged_at=port_of_entry", {"fresh_port", "late_port"}),
    ("?lodged_at=in_country", {"overdue", "recent"}),
    ("?port_of_entry=ICN", {"fresh_port"}),
    ("?port_of_entry=krpus", {"late_port"}),
    ("?overdue=y", {"overdue", "late_port"}),
    ("?overdue=y&nationality=RUS", {"overdue"}),
    ("?status=referral_pending&overdue=y", {"late_port"}),
])
def test_filters(caseworker, mixed, query, expected) -> None:
    assert numbers(caseworker, query) == {mixed[key].registration_no for key in expected}


def test_filter_by_assigned_caseworker(caseworker, mixed) -> None:
    mine = numbers(caseworker, f"?assigned_to_id={caseworker.user.id}")
    assert mine == {mixed["overdue"].registration_no}
    theirs = numbers(caseworker, f"?assigned_to_id={mixed['colleague'].id}")
    assert theirs == {mixed["recent"].registration_no}
    html = page_text(caseworker.get("/applicants"))
    assert f'<option value="{mixed["colleague"].id}">' in html  # offered in the select


@pytest.mark.parametrize("query", [
    "?nationality=ZZZ", "?status=decided", "?lodged_at=airport", "?assigned_to_id=abc",
    "?assigned_to_id=999999", "?q=" + "x" * 101, "?status=%09", "?lodged_at=+",
    "?nationality=%0A", "?assigned_to_id=%20", "?q=ab%00c", "?port_of_entry=IC%00N",
    "?port_of_entry=TOOLONG",
])
def test_a_filter_that_cannot_be_applied_shows_no_results_and_says_why(caseworker, mixed,
                                                                        query) -> None:
    response = caseworker.get(f"/applicants{query}")
    assert response.status_code == 200
    assert listed_numbers(response) == []  # never the whole list as if it matched
    assert 'class="invalid-feedback"' in page_text(response)


@pytest.fixture
def alphabet(factories, agency):
    """Four people; names and lodging dates in different orders."""
    return [
        factories.applicant(agency=agency, family_name="CHEN", date_of_birth="1970",
                            lodged_on=date(2025, 2, 1)),
        factories.applicant(agency=agency, family_name="ABRAMOV", date_of_birth="1971",
                            lodged_on=date(2025, 4, 1)),
        factories.applicant(agency=agency, family_name="DUBOIS", date_of_birth="1972",
                            lodged_on=date(2025, 1, 1)),
        factories.applicant(agency=agency, family_name="BAKER", date_of_birth="1973",
                            lodged_on=date(2025, 3, 1)),
    ]


def ordered(client, query: str) -> list[str]:
    response = client.get(f"/applicants{query}")
    assert response.status_code == 200
    return listed_numbers(response)


def test_sorting_changes_the_order(caseworker, alphabet) -> None:
    chen, abramov, dubois, baker = (a.registration_no for a in alphabet)
    assert ordered(caseworker, "?sort=name") == [abramov, baker, chen, dubois]
    assert ordered(caseworker, "?sort=-name") == [dubois, chen, baker, abramov]
    assert ordered(caseworker, "?sort=lodged_on") == [dubois, chen, baker, abramov]
    assert ordered(caseworker, "?sort=-lodged_on") == [abramov, baker, chen, dubois]
    assert ordered(caseworker, "") == [abramov, baker, chen, dubois]  # newest first
    assert ordered(caseworker, "?sort=registration_no") == sorted([chen, abramov, dubois, baker])
    html = page_text(caseworker.get("/applicants?sort=name"))
    assert 'aria-sort="ascending"' in html and 'href="/applicants?sort=-name"' in html


@pytest.mark.parametrize("query", [
    "?sort=password", "?sort=--name", "?sort=", "?sort=name;drop", "?sort=__class__",
    "?page=abc", "?page=-1", "?page=0", "?page=1e9", "?page=",
    "?sort=name&page=abc", "?per_page=100000", "?per_page=abc",
])
def test_odd_sorting_and_paging_parameters_do_not_error(caseworker, alphabet, query) -> None:
    response = caseworker.get(f"/applicants{query}")
    assert response.status_code == 200
    assert len(listed_numbers(response)) == 4


def test_a_page_past_the_end_does_not_error(caseworker, alphabet) -> None:
    assert caseworker.get("/applicants?page=999").status_code == 200


def test_an_unknown_sort_key_falls_back_to_the_default_order(caseworker, alphabet) -> None:
    assert ordered(caseworker, "?sort=password") == ordered(caseworker, "")


def test_pages_of_fifty(app, caseworker, agency) -> None:
    make_applicants(app, agency, 60)
    first = caseworker.get("/applicants?sort=name")
    assert len(listed_numbers(first)) == 50
    assert "Showing 1–50 of 60" in page_text(first)
    assert 'rel="next"' in page_text(first)
    second = caseworker.get("/applicants?sort=name&page=2")
    assert len(listed_numbers(second)) == 10
    assert "Showing 51–60 of 60" in page_text(second)
    assert 'rel="prev"' in page_text(second)
    assert not set(listed_numbers(first)) & set(listed_numbers(second))
    html = page_text(second)
    assert f"BULK{letters(50).rjust(3, 'A')}" in html
    assert f"BULK{letters(59).rjust(3, 'A')}" in html
    assert f"BULK{letters(49).rjust(3, 'A')}" not in html


def test_filters_and_sorting_carry_over_to_the_next_page(app, caseworker, agency) -> None:
    make_applicants(app, agency, 55, nationality="SYR")
    make_applicants(app, agency, 3, start=100, nationality="IRQ")
    first = page_text(caseworker.get("/applicants?nationality=SYR&sort=name"))
    assert "Showing 1–50 of 55" in first
    assert 'href="/applicants?nationality=SYR&amp;sort=name&amp;page=2"' in first


def test_the_page_size_is_configurable(app, caseworker, agency) -> None:
    app.config["PAGE_SIZE"] = 7
    make_applicants(app, agency, 10)
    response = caseworker.get("/applicants?page=2")
    assert len(listed_numbers(response)) == 3
    assert "Showing 8–10 of 10" in page_text(response)


def test_counts_stop_at_the_cap_and_paging_goes_on(app, caseworker, agency, monkeypatch
                                                   ) -> None:
    monkeypatch.setattr(listing, "COUNT_CAP", 4)
    app.config["PAGE_SIZE"] = 2
    make_applicants(app, agency, 9)
    first = page_text(caseworker.get("/applicants"))
    assert "Showing 1–2 of more than 4" in first
    third = caseworker.get("/applicants?page=3")
    assert 'rel="next"' in page_text(third)  # past the cap, a full page may have a next one
    assert len(listed_numbers(caseworker.get("/applicants?page=5"))) == 1  # the ninth


def test_a_search_that_found_few_people_counts_them_in_the_page_statement(app, caseworker,
                                                                          agency) -> None:
    app.config["PAGE_SIZE"] = 2
    make_applicants(app, agency, 3)
    with counting_queries(app) as statements:
        first = page_text(caseworker.get("/applicants?q=bulk"))
    assert "Showing 1–2 of 3" in first
    assert not [s for s in statements if s.lstrip().upper().startswith("SELECT COUNT")]
    last = caseworker.get("/applicants?q=bulk&page=2")
    assert len(listed_numbers(last)) == 1 and "Showing 3–3 of 3" in page_text(last)


def test_the_rows_case_links_and_caseworkers_come_with_the_page(app, caseworker,
                                                                 agency) -> None:
    """One statement reads the page: the applicants, their current case's id (the status
    links to it) and the name of the caseworker holding it."""
    make_applicants(app, agency, 3, assign=True)
    with counting_queries(app) as statements:
        html = page_text(caseworker.get("/applicants"))
    with app.app_context():
        rows = db.session.execute(sa.select(Case.id, User.full_name).join(
            User, User.id == Case.assigned_to_id).where(Case.is_current)).all()
    for case_id, holder in rows:
        assert f'href="/cases/{case_id}"' in html and f"<td>{holder}</td>" in html
    reading_cases = [s for s in statements if "FROM cases" in s]
    assert len(reading_cases) == 1 and "applicants.registration_no" in reading_cases[0]


def statements_for(app, client, url: str) -> int:
    client.get(url)  # warm up: anything cached per process is not the page's cost
    with counting_queries(app) as statements:
        response = client.get(url)
    assert response.status_code == 200
    return len(statements)


LIST_URLS = ["/applicants", "/applicants?nationality=SYR&sort=name", "/applicants?q=bulk",
             "/applicants?sort=due&page=1"]


def test_the_list_issues_the_same_number_of_queries_for_5_and_50_people(app, caseworker,
                                                                        agency) -> None:
    app.config["PAGE_SIZE"] = 5  # both lists fill their first page (so both are counted)
    make_applicants(app, agency, 6, assign=True)
    few = {url: statements_for(app, caseworker, url) for url in LIST_URLS}
    app.config["PAGE_SIZE"] = 50
    make_applicants(app, agency, 45, start=6, assign=True)
    response = caseworker.get("/applicants")
    assert len(listed_numbers(response)) == 50
    html = page_text(response)
    assert "<td>Holder 1</td>" in html and "<td>Holder 50</td>" in html  # each row's holder
    many = {url: statements_for(app, caseworker, url) for url in LIST_URLS}
    assert few == many
    assert max(many.values()) < 20
