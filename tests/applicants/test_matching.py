"""Applicant name matching: skeletons across scripts, search tokens, duplicate scoring."""

from __future__ import annotations

import pytest

from casemgr.applicants.matching import (
    DUPLICATE_THRESHOLD,
    MatchResult,
    PersonKey,
    compare,
    dob_compatible,
    index_text,
    is_likely_duplicate,
    name_tokens,
    search_terms,
    skeleton,
)

DOB = "1990-05-01"


def person(name: str, dob: str | None = DOB, nationality: str | None = "RUS") -> PersonKey:
    return PersonKey(names=(name,), date_of_birth=dob, nationality=nationality)


def tokens(name: str) -> set[str]:
    return set(skeleton(name).split())


@pytest.mark.parametrize(
    ("native", "latin"),
    [
        ("Иванов Иван", "IVANOV Ivan"),
        ("Иванов Иван", "Ivanov Iwan"),
        ("Иванов Иван", "Ivanow Ivan"),
        ("Юрий", "Yuriy"),
        ("Юрий", "Jurij"),
        ("Юрий", "Iurii"),
        ("Хабибуллин", "Khabibullin"),
        ("Хабибуллин", "Habibulin"),
        ("Шевченко", "Schewtschenko"),
        ("Шевченко", "Szewczenko"),
        ("Чайковский", "Tschaikowski"),
        ("Чайковский", "Czajkowski"),
        ("Щукин", "Schtschukin"),
        ("Жуков", "Joukov"),
        ("Евгений", "Yevgeniy"),
        ("Наталья", "Natalja"),
        ("Мария", "Maria"),
        ("Дмитриев", "Dmitriyev"),
        ("Сергей", "Sergei"),
        ("王伟", "WANG Wei"),
        ("김민준", "Kim Min-jun"),
    ],
)
def test_transliteration_variants_share_a_skeleton(native: str, latin: str) -> None:
    assert tokens(native) == tokens(latin)


def test_skeleton_keeps_token_order_and_only_letters_and_single_spaces() -> None:
    assert skeleton("  IVANOV,  Ivan  (alias) 2nd ") == "ivanov ivan alias nd"
    assert skeleton("Natal'ya") == "natalia"  # the soft sign's apostrophe joins, not splits
    assert skeleton("Min-jun") == "min iun"
    assert skeleton("") == ""


def test_skeleton_does_not_merge_clearly_different_names() -> None:
    assert tokens("Ivanov Ivan") != tokens("Petrov Ivan")
    assert skeleton("Schmidt") == "shmidt"  # "sch" alone is sh, not the tsch family


def test_hangul_is_split_into_syllables_with_the_passport_surname() -> None:
    assert skeleton("김민준") == "kim min iun"
    assert skeleton("박지훈").startswith("park ")


@pytest.mark.parametrize(
    ("a", "b", "compatible"),
    [
        ("1990-05", "1990-05-17", True),
        ("1990-05", "1990", True),
        ("1990-05", "1990-06-01", False),
        ("1990-05-17", "1990-05-17", True),
        ("1990-05-17", "1990-05-18", False),
        ("1990", "1991", False),
        ("1990", "1991-01-01", False),
        (None, "1990-05-17", True),
        ("1990", None, True),
        (None, None, True),
    ],
)
def test_dob_compatible_respects_precision(a: str | None, b: str | None,
                                           compatible: bool) -> None:
    assert dob_compatible(a, b) is compatible
    assert dob_compatible(b, a) is compatible


@pytest.mark.parametrize("malformed", ["01.05.1990", "1990-5-1", "90", "1990-05-01T00:00"])
def test_dob_compatible_rejects_malformed_dates(malformed: str) -> None:
    with pytest.raises(ValueError, match="YYYY"):
        dob_compatible(malformed, "1990")


@pytest.mark.parametrize("latin", ["IVANOV Ivan", "Ivanov Iwan", "Ivanow Ivan", "Ivan Ivanov"])
def test_native_and_latin_spellings_born_the_same_day_are_duplicates(latin: str) -> None:
    result = is_likely_duplicate(person("Иванов Иван"), person(latin))
    assert result is not None
    assert result.score >= DUPLICATE_THRESHOLD
    assert result.name_score == 100
    assert result.reasons[0] == f"names 100% alike (Иванов Иван ~ {latin})"
    assert "same date of birth 1990-05-01" in result.reasons
    assert "same nationality RUS" in result.reasons


@pytest.mark.parametrize("latin", ["IVANOV Ivan", "Ivanov Iwan", "Ivanow Ivan"])
def test_a_different_birth_year_is_never_flagged(latin: str) -> None:
    native = person("Иванов Иван", dob="1990-05-01")
    assert compare(native, person(latin, dob="1991-05-01")) is None
    assert compare(native, person(latin, dob="1989")) is None
    assert is_likely_duplicate(native, person(latin, dob="1991")) is None


def test_partial_dates_are_compatible_but_add_nothing() -> None:
    full = compare(person("Иванов Иван"), person("IVANOV Ivan", nationality=None))
    partial = compare(person("Иванов Иван", dob="1990"), person("IVANOV Ivan", nationality=None))
    assert full is not None
    assert partial is not None
    assert full.score == 100
    assert partial.score == 100  # the name alone is enough, the year adds nothing
    assert "birth year matches (other date known only to the year)" in partial.reasons
    near = compare(person("Ivanov Ivan", dob="1990-05"), person("Ivanof Ivan", nationality=None))
    assert near is not None
    assert near.score == near.name_score
    assert "birth year and month match (other date known only to the month)" in near.reasons


def test_name_order_does_not_matter() -> None:
    result = compare(person("Иван Иванов"), person("IVANOV Ivan"))
    assert result is not None
    assert result.name_score == 100


def test_clearly_different_people_born_the_same_day_are_not_flagged() -> None:
    result = compare(person("Kim Min-jun", nationality="KOR"), person("Ivanov Ivan",
                                                                      nationality="KOR"))
    assert result is not None
    assert result.score < DUPLICATE_THRESHOLD
    assert result.name_score < 60
    assert is_likely_duplicate(person("Kim Min-jun"), person("Ivanov Ivan")) is None


@pytest.mark.parametrize(("a", "b"), [("Mohammed Ali", "Ahmed Ali"), ("Wang Wei", "Wang Li")])
def test_similar_common_names_need_more_than_a_shared_year_and_nationality(a: str,
                                                                            b: str) -> None:
    assert is_likely_duplicate(person(a, dob="1990"), person(b, dob="1990")) is None


def test_scoring_adds_date_and_nationality_to_the_name_score() -> None:
    a, b = "Ivanov Ivan", "Ivanof Ivan"  # a one-letter spelling difference
    bare = compare(person(a, None, None), person(b, None, None))
    assert bare is not None
    assert 85 < bare.name_score < 100
    assert bare.score == bare.name_score
    assert bare.reasons == (f"names {bare.name_score}% alike ({a} ~ {b})",
                            "date of birth unknown on one side")
    same_day = compare(person(a, nationality=None), person(b, nationality=None))
    assert same_day is not None
    assert same_day.score == min(100, bare.name_score + 10)
    same_nationality = compare(person(a, None, "RUS"), person(b, None, "rus"))
    assert same_nationality is not None
    assert same_nationality.score == bare.name_score + 5


def test_a_different_real_nationality_costs_15_after_the_cap() -> None:
    result = compare(person("Иванов Иван", nationality="RUS"),
                     person("IVANOV Ivan", nationality="KAZ"))
    assert result is not None
    assert result.score == 85
    assert "different nationality (RUS / KAZ)" in result.reasons
    assert is_likely_duplicate(person("Иванов Иван", nationality="RUS"),
                               person("IVANOV Ivan", nationality="KAZ")) == result


@pytest.mark.parametrize("other", ["XXA", "XXX", None])
def test_stateless_or_unknown_nationality_is_no_objection(other: str | None) -> None:
    result = compare(person("Ivanov Ivan", None, "RUS"), person("IVANOV Ivan", None, other))
    assert result == MatchResult(score=100, name_score=100, reasons=(
        "names 100% alike (Ivanov Ivan ~ IVANOV Ivan)", "date of birth unknown on one side"))


def test_the_best_pair_of_written_forms_counts() -> None:
    a = PersonKey(names=("Khabibullin Rustam", "Хабибуллин Рустам"), date_of_birth=None,
                  nationality=None)
    b = PersonKey(names=("Smith John", "Habibulin Rustam"), date_of_birth=None,
                  nationality=None)
    result = compare(a, b)
    assert result is not None
    assert result.name_score == 100
    assert result.reasons[0] == "names 100% alike (Khabibullin Rustam ~ Habibulin Rustam)"


def test_blank_names_are_not_alike() -> None:
    result = compare(person(""), person(" - "))
    assert result is not None
    assert result.name_score == 0
    assert result.reasons[0] == "no names to compare"


@pytest.mark.parametrize("latin", ["KIM Minjun", "Kim Min Jun", "Kim Min-jun", "Minjun Kim"])
def test_hangul_matches_romanised_korean_however_spaced(latin: str) -> None:
    result = is_likely_duplicate(person("김민준", nationality="KOR"),
                                 person(latin, nationality="KOR"))
    assert result is not None
    assert result.name_score == 100


def test_chinese_characters_match_pinyin() -> None:
    result = is_likely_duplicate(person("王伟", nationality="CHN"), person("WANG Wei",
                                                                         nationality="CHN"))
    assert result is not None
    assert result.name_score == 100


@pytest.mark.parametrize("latin", ["Mohammed Ali", "Muhammad Ali", "Mohamed Ali"])
def test_unvowelled_arabic_matches_on_consonants_with_the_same_birth_date(latin: str) -> None:
    native, romanised = person("محمد علي", nationality="AFG"), person(latin, nationality="AFG")
    result = is_likely_duplicate(native, romanised)
    assert result is not None
    assert result.name_score == 75  # 100% alike in consonants, weighted down
    assert result.reasons[0] == (
        f"names 100% alike in consonants only, counted lower (محمد علي ~ {latin})")
    # Consonants alone are weak evidence: without the same full date it is not flagged.
    assert is_likely_duplicate(person("محمد علي", "1990", "AFG"),
                               person(latin, "1990", "AFG")) is None


@pytest.mark.parametrize(("native", "latin"), [("فاطمة", "Fatima"), ("يوسف", "Youssef"),
                                               ("عبد الرحمن", "Abdul Rahman"),
                                               ("אברהם", "Avraham")])
def test_other_unvowelled_names_match_on_consonants(native: str, latin: str) -> None:
    result = compare(person(native), person(latin))
    assert result is not None
    assert result.name_score == 75


def test_unvowelled_arabic_does_not_match_another_name() -> None:
    result = compare(person("محمد علي"), person("Ali Hassan"))
    assert result is not None
    assert result.score < DUPLICATE_THRESHOLD


def test_vowelled_arabic_is_compared_in_full() -> None:
    result = compare(person("مُحَمَّد عَلِيّ"), person("Muhammad Ali"))
    assert result is not None
    assert result.name_score == 100


def test_name_tokens_skip_blanks_and_short_tokens_and_join_neighbours() -> None:
    assert name_tokens("IVANOV Ivan", None, "", "Иванов Иван") == {
        "ivanov", "ivan", "ivanovivan"}
    assert name_tokens("O Li") == {"oli", "li"}
    assert name_tokens() == set()


def test_index_text_is_the_sorted_tokens_each_after_a_space() -> None:
    # the space makes each token's start a substring too: " mi" is in it, " in" is not
    text = index_text("KIM Min-jun", "김민준", None, "")
    assert text == " iun kim kimmin kimminiun min miniun"
    assert " mi" in text and " in" not in text
    assert index_text() == index_text(None, " ") == ""


def test_search_terms_are_ordered_unique_skeleton_tokens() -> None:
    assert search_terms("Ivan IVANOV ivan") == ["ivan", "ivanov"]
    assert search_terms("  a, ") == []
    assert search_terms("IVANOW") == search_terms("Иванов") == ["ivanov"]
    assert search_terms("Anna-Maria 김민준") == ["anamaria", "kimminiun"]


def test_a_native_script_query_finds_a_latin_record_by_prefix() -> None:
    (term,) = search_terms("иванов")
    assert any(token.startswith(term) for token in name_tokens("IVANOV Ivan"))
    (prefix,) = search_terms("Иван")
    assert {token for token in name_tokens("IVANOV Ivan") if token.startswith(prefix)} == {
        "ivan", "ivanov", "ivanovivan"}


def found(query: str, *names: str) -> bool:
    """The search contract: every term is a prefix of some index token."""
    index = name_tokens(*names)
    return all(any(token.startswith(term) for token in index) for term in search_terms(query))


@pytest.mark.parametrize("query", ["김민준", "민준", "kim minjun", "Kim Min-jun", "KIM", "Minj"])
@pytest.mark.parametrize("stored", ["김민준", "KIM Minjun", "Kim Min Jun", "Kim Min-jun"])
def test_korean_searches_find_every_spacing(query: str, stored: str) -> None:
    assert found(query, stored)


def test_a_query_spaced_where_the_stored_name_is_not_misses() -> None:
    assert found("min jun", "Kim Min Jun")
    assert found("min jun", "김민준")
    assert not found("min jun", "KIM Minjun")  # known limit: "jun" starts no stored token


@pytest.mark.parametrize(("query", "stored"), [("王伟", "WANG Wei"), ("wang wei", "王伟"),
                                               ("Jurij", "Юрий"), ("khabib", "Хабибуллин")])
def test_searches_cross_scripts(query: str, stored: str) -> None:
    assert found(query, stored)


def test_search_does_not_find_other_people() -> None:
    assert not found("Petrov", "IVANOV Ivan", "Иванов Иван")
    assert not found("ivan petr", "IVANOV Ivan")


def test_an_import_transliterates_each_name_once_however_many_times_it_is_read() -> None:
    """Inside `remembered_skeletons` (an import) a name's skeleton is computed once, even
    after the bounded cache behind it forgot it; nested blocks share that memory."""
    from casemgr.applicants import matching

    name = "Шевченко Тарас"
    matching._skeleton.cache_clear()
    with matching.remembered_skeletons():
        first = matching.skeleton(name)
        matching._skeleton.cache_clear()  # as when a large file pushes the name out
        with matching.remembered_skeletons():
            assert matching.skeleton(name) == first
        assert matching.skeleton(name) == first
        assert matching._skeleton.cache_info().misses == 0  # never computed again
    matching._skeleton.cache_clear()
    assert matching.skeleton(name) == first  # outside: the bounded cache alone
    assert matching._skeleton.cache_info().misses == 1
