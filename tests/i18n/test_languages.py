"""The interface language: chosen by the browser, overridden by the user's choice; dates,
numbers, and country and language names follow it; the hearing notice is printed in the
applicant's language."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, format_date, gettext

from casemgr.applicants.fields import country_names, language_names
from casemgr.auth.models import Role, User
from casemgr.cases.models import CaseStatus
from casemgr.extensions import db
from tests.cases.helpers import text
from tests.conftest import log_in, post_form

KOREAN = {"Accept-Language": "ko-KR,ko;q=0.9,en;q=0.5"}
RUSSIAN = {"Accept-Language": "ru-RU,ru;q=0.9"}
HTML_LANG = re.compile(r'<html lang="([a-z]+)">')


def html_lang(response) -> str:
    match = HTML_LANG.search(response.get_data(as_text=True))
    assert match, "no <html lang>"
    return match.group(1)


def stored_language(app, user_id: int) -> str | None:
    with app.app_context():
        return db.session.execute(sa.select(User.language).where(User.id == user_id)).scalar()


# --- choosing the language ------------------------------------------------------------------

@pytest.mark.parametrize(("headers", "expected"), [
    (KOREAN, "ko"), (RUSSIAN, "ru"), ({"Accept-Language": "de-DE,fr;q=0.8"}, "en"), ({}, "en")])
def test_the_login_page_follows_the_browser(client, headers, expected) -> None:
    response = client.get("/login", headers=headers)
    assert response.status_code == 200
    assert html_lang(response) == expected


@pytest.mark.parametrize(("headers", "texts"), [
    (KOREAN, ("로그인", "비밀번호")), (RUSSIAN, ("Войти", "Пароль")), ({}, ("Log in", "Password"))])
def test_the_login_page_speaks_the_browsers_language(client, headers, texts) -> None:
    page = client.get("/login", headers=headers).get_data(as_text=True)
    for expected in texts:
        assert expected in page


def test_the_browsers_language_is_translated_from_the_shipped_catalogue(app) -> None:
    """The catalogues are found where the app looks for them (also in a wheel: see
    tests/test_packaging.py) and chosen by Accept-Language."""
    with app.test_request_context(headers=KOREAN):
        assert gettext("Language saved.") == "언어가 저장되었습니다."
    with app.test_request_context(headers=RUSSIAN):
        assert gettext("Language saved.") == "Язык сохранён."


def test_the_users_choice_overrides_the_browser_and_is_stored(app, login_as) -> None:
    client = login_as(Role.CASEWORKER)
    assert html_lang(client.get("/account", headers=KOREAN)) == "ko"
    response = post_form(client, "/account/language", {"language": "ru", "next": "/account"},
                         page="/account", headers=KOREAN)
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    assert stored_language(app, client.user.id) == "ru"
    page = client.get("/account", headers=KOREAN)
    assert html_lang(page) == "ru"
    assert "Язык сохранён." in text(page)  # the confirmation is in the new language
    # Back to following the browser.
    post_form(client, "/account/language", {"language": ""}, page="/account")
    assert stored_language(app, client.user.id) is None
    assert html_lang(client.get("/account", headers=KOREAN)) == "ko"


def test_the_choice_is_the_users_not_the_browsers(app, factories) -> None:
    user = factories.user(Role.CASEWORKER)
    with app.app_context():
        db.session.get_one(User, user.id).language = "ko"
        db.session.commit()
    client = app.test_client()
    log_in(client, user.username)
    assert html_lang(client.get("/account", headers=RUSSIAN)) == "ko"
    assert html_lang(app.test_client().get("/login", headers=RUSSIAN)) == "ru"


def test_the_navbar_switches_language_and_returns_to_the_page(app, login_as) -> None:
    client = login_as(Role.CASEWORKER)
    page = client.get("/applicants").get_data(as_text=True)
    for code, name in (("en", "English"), ("ko", "한국어"), ("ru", "Русский")):
        assert f'name="language" value="{code}" lang="{code}"' in page and name in page
    assert 'value="en" lang="en" class="btn btn-link nav-link px-1 active" aria-current="true"' \
        in page
    response = post_form(client, "/account/language",
                         {"language": "ko", "next": "/applicants?status=closed"},
                         page="/applicants")
    assert response.headers["Location"] == "/applicants?status=closed"
    assert html_lang(client.get("/applicants")) == "ko"


@pytest.mark.parametrize("data", [{"language": "de"}, {"language": "ko", "next": "//evil"}])
def test_an_unknown_language_or_a_foreign_next_is_refused(app, login_as, data) -> None:
    client = login_as(Role.CASEWORKER)
    response = post_form(client, "/account/language", data, page="/account")
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    expected = "ko" if data["language"] == "ko" else None
    assert stored_language(app, client.user.id) == expected


def test_the_account_page_offers_the_languages_in_their_own_names(login_as) -> None:
    client = login_as(Role.ANALYST)
    page = client.get("/account").get_data(as_text=True)
    assert 'class="form-select" id="language" name="language"' in page
    assert '<option lang="ko" value="ko">한국어</option>' in page
    assert '<option selected value="">As the browser asks</option>' in page


# --- dates, numbers, names ------------------------------------------------------------------

@pytest.mark.parametrize(("locale", "day", "moment", "count"), [
    ("en", "Nov 28, 2026", "Nov 28, 2026, 2:30:00\u202fPM", "1,234,567"),
    ("ko", "2026. 11. 28.", "2026. 11. 28. 오후 2:30:00", "1,234,567"),
    ("ru", "28.11.2026", "28.11.2026, 14:30", "1\xa0234\xa0567"),
])
def test_dates_and_numbers_follow_the_locale(app, locale, day, moment, count) -> None:
    filters = app.jinja_env.filters
    with app.test_request_context(), force_locale(locale):
        assert filters["date"](date(2026, 11, 28)) == day
        assert filters["datetime"](datetime(2026, 11, 28, 14, 30, tzinfo=UTC)) == moment
        assert filters["number"](1234567) == count
        assert filters["date"](date(2026, 11, 28), "full").endswith(
            {"en": "2026", "ko": "토요일", "ru": "2026\u202fг."}[locale])


def test_country_and_language_names_follow_the_locale(app) -> None:
    with app.test_request_context():
        with force_locale("ru"):
            assert country_names()["RUS"] == "Российская Федерация"
            assert country_names()["KOR"] == "Республика Корея"
            assert country_names()["XXA"] == "Лицо без гражданства"
            assert language_names()["kor"] == "корейский"
            assert language_names()["ckb"] == "центральнокурдский"  # CLDR
            assert language_names()["prs"] == "дари"  # our catalogue
        with force_locale("ko"):
            assert country_names()["RUS"] == "러시아 연방"
            assert language_names()["rus"] == "러시아어"
        with force_locale("en"):
            assert country_names()["RUS"] == "Russian Federation"
            assert language_names()["prs"] == "Dari"


def test_remembered_labels_and_dates_follow_each_switch_of_language(app) -> None:
    """Status labels and list dates are worked out once per language and remembered: the
    next language must get its own, in whatever order the languages come."""
    day = date(2026, 11, 28)
    seen = {}
    with app.test_request_context():
        for locale in ("ru", "en", "ko", "ru", "en"):
            with force_locale(locale):
                label = CaseStatus.REJECTED.label
                assert label == gettext("Rejected")
                assert app.jinja_env.filters["date"](day) == format_date(
                    day, {"ru": "short"}.get(locale, "medium"))
                seen.setdefault(locale, label)
                assert seen[locale] == label
    assert len(set(seen.values())) == 3


def test_forms_list_countries_by_their_localised_name(app, login_as) -> None:
    client = login_as(Role.CASEWORKER)
    post_form(client, "/account/language", {"language": "ru"}, page="/account")
    page = client.get("/applicants/new").get_data(as_text=True)
    nationality = page[page.index('id="nationality"'):]
    nationality = nationality[:nationality.index("</select>")]
    names = re.findall(r'<option[^>]*value="[A-Z]{3}"[^>]*>([^<]+)</option>', nationality)
    assert "Российская Федерация" in names and "Австралия" in names
    assert names.index("Австралия") < names.index("Российская Федерация")
    cyrillic = [name for name in names if re.match("[А-Я]", name)]
    assert cyrillic == sorted(cyrillic, key=lambda n: n.casefold().replace("ё", "е"))
    languages = page[page.index('id="languages"'):]
    assert ">корейский (kor)</option>" in languages


@pytest.mark.parametrize(("language", "message"), [
    ("ko", "올바르지 않은 선택값입니다."), ("ru", "Неверный вариант.")])
def test_a_filter_value_not_offered_is_refused_in_the_users_language(login_as, language,
                                                                     message) -> None:
    """The filter selects check values themselves but keep WTForms' message, so WTForms'
    own catalogue still translates it."""
    client = login_as(Role.CASEWORKER)
    post_form(client, "/account/language", {"language": language}, page="/account")
    assert message in client.get("/applicants?nationality=ZZZ").get_data(as_text=True)


def test_detail_pages_name_the_country_in_the_users_language(app, login_as, factories) -> None:
    client = login_as(Role.CASEWORKER)
    applicant = factories.applicant(agency=client.user.organisation, nationality="KOR",
                                    languages="kor;eng")
    post_form(client, "/account/language", {"language": "ko"}, page="/account")
    page = text(client.get(f"/applicants/{applicant.id}"))
    assert "대한민국 (KOR)" in page and "한국어, 영어" in page


# --- the hearing notice ---------------------------------------------------------------------

@pytest.fixture
def hearing(factories, login_as):
    client = login_as(Role.CASEWORKER)
    applicant = factories.applicant(agency=client.user.organisation, languages="uzb;rus")
    hearing = factories.hearing(applicant.cases[0].id, location="Room 7")
    return client, hearing


def test_the_notice_is_in_the_applicants_language(hearing) -> None:
    client, record = hearing
    response = client.get(f"/hearings/{record.id}/notice")
    page = response.get_data(as_text=True)
    assert html_lang(response) == "en"  # the page around it: the user's language
    assert '<article class="hearing-notice" lang="ru"' in page
    assert "Back to the hearing" in page
    notice = page[page.index("<article"):page.index("</article>")]
    assert "Room 7" in notice
    assert re.search(r"\d{1,2}:\d{2}–\d{1,2}:\d{2}", notice)  # 24-hour times in Russian
    assert "PM" not in notice and "AM" not in notice
    assert re.search(r"\d{4}\sг\.", notice)  # the date in Russian


@pytest.mark.parametrize("locale", ["en", "ko", "ru"])
def test_the_notice_can_be_printed_in_each_language(hearing, locale) -> None:
    client, record = hearing
    page = client.get(f"/hearings/{record.id}/notice?lang={locale}").get_data(as_text=True)
    assert f'<article class="hearing-notice" lang="{locale}"' in page
    assert f'<strong lang="{locale}" aria-current="page">' in page


def test_an_unsupported_notice_language_falls_back(hearing) -> None:
    client, record = hearing
    page = client.get(f"/hearings/{record.id}/notice?lang=de").get_data(as_text=True)
    assert '<article class="hearing-notice" lang="ru"' in page


def test_the_hearing_page_links_the_notice_in_each_language(hearing) -> None:
    client, record = hearing
    page = client.get(f"/hearings/{record.id}").get_data(as_text=True)
    for code in ("en", "ko", "ru"):
        assert f'/hearings/{record.id}/notice?lang={code}" lang="{code}"' in page
    assert re.search(r"lang=\"ru\"[^>]*>Русский</a>\s*\(the applicant's language\)", page)


def test_without_a_supported_language_the_notice_follows_the_user(login_as, factories) -> None:
    client = login_as(Role.CASEWORKER)
    applicant = factories.applicant(agency=client.user.organisation, languages="prs")
    record = factories.hearing(applicant.cases[0].id)
    post_form(client, "/account/language", {"language": "ko"}, page="/account")
    page = client.get(f"/hearings/{record.id}/notice").get_data(as_text=True)
    assert '<article class="hearing-notice" lang="ko"' in page
