"""Synthetic applicants: reproducible, distributed like Korea's caseload, names that agree."""

from __future__ import annotations

import datetime
import math
import random
import re
import unicodedata
from collections import Counter
from typing import Any

import pytest

from casemgr import demo_people
from casemgr.demo_people import NATIONALITY_WEIGHTS, DemoPerson, demo_person, pick_nationality

LODGED = datetime.date(2024, 3, 15)
DATE_FORMAT = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")

# ICAO Doc 9303 transliteration, as used in Russian passports.
ICAO_RUSSIAN = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "ie", "ы": "y", "ь": "", "э": "e", "ю": "iu", "я": "ia",
}

SCRIPTS = {
    "RUS": "CYRILLIC", "KAZ": "CYRILLIC", "KGZ": "CYRILLIC", "UZB": "CYRILLIC",
    "MNG": "CYRILLIC", "CHN": "CJK", "IND": "DEVANAGARI", "NPL": "DEVANAGARI",
    "PAK": "ARABIC", "EGY": "ARABIC", "SYR": "ARABIC", "YEM": "ARABIC", "IRN": "ARABIC",
    "BGD": "BENGALI", "THA": "THAI", "LKA": "SINHALA", "ETH": "ETHIOPIC", "VNM": "LATIN",
}
LATIN_ONLY = {"MYS", "IDN", "NGA", "GHA", "UGA", "PHL", "TUR"}


def icao(text: str) -> str:
    return "".join(ICAO_RUSSIAN.get(char.lower(), char.lower()) for char in text)


def people(count: int, seed: int = 7, **kwargs: Any) -> list[DemoPerson]:
    rng = random.Random(seed)
    return [demo_person(rng, lodged_on=LODGED, **kwargs) for _ in range(count)]


def earliest(date_of_birth: str) -> datetime.date:
    """The first day a partial date of birth can mean."""
    parts = [int(part) for part in date_of_birth.split("-")] + [1, 1]
    return datetime.date(parts[0], parts[1], parts[2])


def latest(date_of_birth: str, lodged_on: datetime.date) -> datetime.date:
    """The last day a partial date of birth can mean (a person is born before lodging)."""
    parts = [int(part) for part in date_of_birth.split("-")]
    if len(parts) == 3:
        return datetime.date(*parts)
    if len(parts) == 2:
        last = (datetime.date(parts[0], parts[1], 28) + datetime.timedelta(days=4)).replace(day=1)
        last -= datetime.timedelta(days=1)
    else:
        last = datetime.date(parts[0], 12, 31)
    return min(last, lodged_on - datetime.timedelta(days=1))


def age(born: datetime.date, on: datetime.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def test_same_seed_gives_the_same_people() -> None:
    assert people(200, seed=2023) == people(200, seed=2023)
    assert people(200, seed=2023) != people(200, seed=2024)


def test_weights_are_a_distribution_over_alpha3_codes() -> None:
    assert math.isclose(math.fsum(NATIONALITY_WEIGHTS.values()), 1.0)
    assert all(re.fullmatch(r"[A-Z]{3}", code) for code in NATIONALITY_WEIGHTS)
    assert max(NATIONALITY_WEIGHTS, key=NATIONALITY_WEIGHTS.__getitem__) == "RUS"
    assert {"XXA", "XXX"} <= NATIONALITY_WEIGHTS.keys()


def test_nationalities_are_skewed_like_koreas_caseload() -> None:
    counts = Counter(person.nationality for person in people(5000, seed=11))
    assert 0.25 <= counts["RUS"] / 5000 <= 0.35
    assert counts.most_common(1)[0][0] == "RUS"
    assert counts["KAZ"] > counts["CHN"] * 0.8
    assert counts["CHN"] > counts["ETH"]
    picks = Counter(pick_nationality(random.Random(seed)) for seed in range(3000))
    assert 0.25 <= picks["RUS"] / 3000 <= 0.35


def test_russian_names_are_icao_transliterations() -> None:
    pool = demo_people._POOLS["RUS"]
    for surname in pool.surnames:
        for native, latin in (surname.masculine, surname.feminine):
            assert native is not None
            assert icao(native).upper() == latin
    for native, latin in pool.male + pool.female:
        assert native is not None
        assert icao(native).capitalize() == latin


def test_generated_russians_agree_in_both_scripts() -> None:
    for person in people(300, nationality="RUS"):
        assert person.native_name is not None
        native_family, native_given = person.native_name.split(" ")
        assert icao(native_family).upper() == person.family_name
        assert icao(native_given).capitalize() == person.given_names


@pytest.mark.parametrize(("nationality", "family", "sex", "expected_family", "native_check"), [
    ("RUS", "IVANOV", "M", "IVANOV", lambda name: name.startswith("Иванов ")),
    ("RUS", "IVANOV", "F", "IVANOVA", lambda name: name.startswith("Иванова ")),
    ("RUS", "KOVALSKII", "F", "KOVALSKAIA", lambda name: name.startswith("Ковальская ")),
    ("RUS", "KIM", "F", "KIM", lambda name: name.startswith("Ким ")),
    ("KAZ", "AKHMETOVA", "M", "AKHMETOV", lambda name: name.startswith("Ахметов ")),
    ("CHN", "WANG", "F", "WANG", lambda name: name.startswith("王")),
    ("VNM", "NGUYEN", "M", "NGUYEN", lambda name: name.startswith("Nguyễn ")),
    ("EGY", "HASSAN", "M", "HASSAN", lambda name: name.endswith(" حسن")),
    ("THA", "JAIDEE", "F", "JAIDEE", lambda name: name.endswith(" ใจดี")),
    ("IND", "SHARMA", "F", "SHARMA", lambda name: name.endswith(" शर्मा")),
    ("MYS", "ISMAIL", "M", "ISMAIL", lambda name: name is None),
])
def test_known_surnames_match_their_native_form(nationality: str, family: str, sex: str,
                                                 expected_family: str, native_check) -> None:
    rng = random.Random(5)
    for _ in range(20):
        person = demo_person(rng, lodged_on=LODGED, nationality=nationality, sex=sex,
                             family_name=family)
        assert person.family_name == expected_family
        assert native_check(person.native_name), person


def test_known_given_names_match() -> None:
    assert ("Сергей", "Sergei") in demo_people._POOLS["RUS"].male
    assert ("Юлия", "Iuliia") in demo_people._POOLS["RUS"].female
    assert ("王", "WANG") in {s.masculine for s in demo_people._POOLS["CHN"].surnames}
    women = people(400, nationality="CHN", sex="F")
    assert any(p.given_names == "Xiuying" for p in women)
    for person in women:
        assert person.native_name is not None
        if person.given_names == "Xiuying":
            assert person.native_name.endswith("秀英")


def test_native_names_use_the_expected_script() -> None:
    for person in people(4000, seed=3):
        if person.native_name is None:
            continue
        source = person.nationality
        if source in ("XXA", "XXX"):
            continue
        script = SCRIPTS[source]
        for char in person.native_name.replace(" ", "").replace("-", ""):
            # Vowel signs and viramas are named after their script too ("BENGALI VOWEL SIGN I").
            assert unicodedata.name(char).startswith(script), (person, char)
        assert unicodedata.is_normalized("NFC", person.native_name)


def test_latin_nationalities_have_no_native_name() -> None:
    for nationality in sorted(LATIN_ONLY):
        assert all(p.native_name is None for p in people(50, nationality=nationality))


def test_vietnamese_passport_form_drops_diacritics() -> None:
    for person in people(200, nationality="VNM"):
        assert person.native_name is not None
        folded = unicodedata.normalize("NFD", person.native_name.replace("Đ", "D").replace(
            "đ", "d"))
        folded = "".join(char for char in folded if not unicodedata.combining(char))
        family, given = folded.split(" ", 1)
        assert (family.upper(), given) == (person.family_name, person.given_names)


def test_latin_fields_are_ascii_passport_style() -> None:
    for person in people(3000, seed=9):
        assert person.family_name.isascii()
        assert person.given_names.isascii()
        assert person.family_name == person.family_name.upper()
        assert person.given_names


def test_indonesians_sometimes_have_a_single_name() -> None:
    single = [p for p in people(300, nationality="IDN") if p.given_names == "-"]
    assert 30 < len(single) < 150


def test_dates_of_birth_are_well_formed_and_before_lodging() -> None:
    crowd = people(5000, seed=13)
    kinds = Counter(len(person.date_of_birth) for person in crowd)
    for person in crowd:
        assert DATE_FORMAT.fullmatch(person.date_of_birth), person
        assert earliest(person.date_of_birth) < LODGED
        if len(person.date_of_birth) == 10:
            assert datetime.date.fromisoformat(person.date_of_birth) < LODGED
    assert 0.02 < kinds[7] / 5000 < 0.08  # YYYY-MM
    assert 0.01 < kinds[4] / 5000 < 0.05  # YYYY
    assert kinds[10] / 5000 > 0.85


@pytest.mark.parametrize("lodged_on", [datetime.date(2024, 2, 29), datetime.date(2025, 1, 1),
                                       datetime.date(2023, 12, 31)])
def test_children_are_minors_and_adults_are_not(lodged_on: datetime.date) -> None:
    rng = random.Random(17)
    for _ in range(1500):
        child = demo_person(rng, lodged_on=lodged_on, adult=False)
        assert age(earliest(child.date_of_birth), lodged_on) < 18, child
        assert latest(child.date_of_birth, lodged_on) < lodged_on
        grown = demo_person(rng, lodged_on=lodged_on, adult=True)
        assert age(latest(grown.date_of_birth, lodged_on), lodged_on) >= 18, grown


def test_adult_ages_peak_between_25_and_40() -> None:
    ages = [age(latest(p.date_of_birth, LODGED), LODGED) for p in people(3000, adult=True)]
    assert 0.5 < sum(25 <= a <= 40 for a in ages) / len(ages) < 0.75
    assert sum(18 <= a <= 55 for a in ages) / len(ages) > 0.9


def test_default_mix_is_mostly_adults_and_mostly_men() -> None:
    crowd = people(5000, seed=21)
    adults = [p for p in crowd if age(latest(p.date_of_birth, LODGED), LODGED) >= 18]
    assert 0.8 < len(adults) / len(crowd) < 0.9
    assert 0.6 < sum(p.sex == "M" for p in adults) / len(adults) < 0.7
    children = people(3000, seed=22, adult=False)
    assert 0.45 < sum(p.sex == "M" for p in children) / len(children) < 0.55
    other = sum(p.sex in ("X", "U") for p in crowd)
    assert 0 < other < 0.015 * len(crowd)
    assert {p.sex for p in crowd} <= {"F", "M", "X", "U"}


def test_family_members_share_the_surname_in_both_scripts() -> None:
    rng = random.Random(31)
    for nationality in sorted(NATIONALITY_WEIGHTS):
        head = demo_person(rng, lodged_on=LODGED, nationality=nationality, sex="M", adult=True)
        for sex in ("F", "M", "F", "M"):
            member = demo_person(rng, lodged_on=LODGED, nationality=nationality, sex=sex,
                                 family_name=head.family_name)
            assert member.nationality == nationality
            if head.given_names == "-":  # an Indonesian single name is kept as it is
                assert member.family_name == head.family_name
                continue
            origins = demo_people._STATELESS_ORIGINS
            source = nationality if nationality in demo_people._POOLS else next(
                code for code in origins if head.family_name in demo_people._SURNAME_INDEX[code])
            surname = demo_people._SURNAME_INDEX[source][head.family_name]
            native, latin = surname.form(sex)
            assert member.family_name == latin
            if head.native_name is None:
                assert member.native_name is None
            else:
                assert member.native_name is not None
                assert native is not None and native in member.native_name


def test_russian_wife_and_son_take_the_matching_form() -> None:
    rng = random.Random(1)
    wife = demo_person(rng, lodged_on=LODGED, nationality="RUS", sex="F", family_name="SMIRNOV")
    son = demo_person(rng, lodged_on=LODGED, nationality="RUS", sex="M", adult=False,
                      family_name=wife.family_name)
    assert (wife.family_name, son.family_name) == ("SMIRNOVA", "SMIRNOV")
    assert wife.native_name is not None and wife.native_name.startswith("Смирнова ")
    assert son.native_name is not None and son.native_name.startswith("Смирнов ")


def test_unknown_surname_is_kept_without_a_native_form() -> None:
    person = demo_person(random.Random(2), lodged_on=LODGED, nationality="RUS",
                         family_name="o'brien")
    assert person.family_name == "O'BRIEN"
    assert person.native_name is None


def test_languages_and_interpreters() -> None:
    crowd = people(5000, seed=41)
    for person in crowd:
        codes = person.languages.split(";")
        assert all(re.fullmatch(r"[a-z]{3}", code) for code in codes)
        assert len(codes) == len(set(codes))
        if person.languages == "eng":
            assert not person.interpreter_needed
    russians = [p for p in crowd if p.nationality == "RUS"]
    assert {p.languages for p in russians} == {"rus", "rus;eng"}
    assert 0.2 < sum(p.languages == "rus;eng" for p in russians) / len(russians) < 0.4
    kazakhs = [p for p in crowd if p.nationality == "KAZ"]
    assert any("rus" in p.languages.split(";") for p in kazakhs)
    assert all(p.languages.startswith("kaz") for p in kazakhs)
    assert {p.languages for p in crowd if p.nationality in ("NGA", "GHA", "UGA")} == {"eng"}
    needing = [p for p in crowd if p.languages != "eng"]
    assert 0.75 < sum(p.interpreter_needed for p in needing) / len(needing) < 0.85


@pytest.mark.parametrize("nationality", ["XXA", "XXX"])
def test_stateless_and_unknown_borrow_a_real_name_pool(nationality: str) -> None:
    for person in people(50, nationality=nationality):
        assert person.nationality == nationality
        assert person.family_name and person.languages


def test_invalid_arguments_are_rejected() -> None:
    rng = random.Random(0)
    with pytest.raises(ValueError, match="nationality"):
        demo_person(rng, lodged_on=LODGED, nationality="ATL")
    with pytest.raises(ValueError, match="sex"):
        demo_person(rng, lodged_on=LODGED, sex="male")
    with pytest.raises(ValueError, match="family_name"):
        demo_person(rng, lodged_on=LODGED, family_name="  ")


def test_stateless_origins_agree_on_shared_surnames() -> None:
    """A relative of a stateless applicant is looked up by Latin surname in the first origin that
    has it, so an origin sharing that spelling must have the same native form."""
    seen: dict[str, str | None] = {}
    for code in demo_people._STATELESS_ORIGINS:
        for surname in demo_people._POOLS[code].surnames:
            for native, latin in (surname.masculine, surname.feminine):
                assert seen.setdefault(latin, native) == native, (code, latin)


def test_every_pool_has_names_and_unique_passport_surnames() -> None:
    for code, pool in demo_people._POOLS.items():
        assert pool.surnames and pool.male and pool.female, code
        latins = [s.masculine[1] for s in pool.surnames]
        assert len(latins) == len(set(latins)), code
        assert code in NATIONALITY_WEIGHTS
    assert set(NATIONALITY_WEIGHTS) - set(demo_people._POOLS) == {"XXA", "XXX"}
