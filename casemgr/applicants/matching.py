"""Duplicate detection and transliteration-aware name search for applicants.

An applicant's name arrives in several written forms: the Latin form of a travel document
("IVANOV Ivan"), the original script ("Иванов Иван", "김민준", "محمد علي") and aliases spelled
by whoever took them down ("Ivanow Iwan", "Jurij", "Khabibulin"). Exact string comparison
would register the same person twice, so every form is reduced to a *skeleton*: transliterated
to ASCII with anyascii, lower-cased, and put through a few phonetic rules (see
``_SPELLING_RULES``) that merge the usual romanisation variants. Skeletons are compared with
rapidfuzz; dates of birth and nationality then raise or lower the score.

Pure Python on purpose (no Flask, no database): the search service
(casemgr/applicants/search.py) indexes each person's `index_text` (their `name_tokens`),
looks it up with `search_terms`, and `compare` says whether two people look like one.

Known limits, stated honestly:

* The rules favour recall: "zh", "j", "y" and "i" all become "i" (Zhukov = Joukov, but also
  Zhanna = Yanna), "w" becomes "v" everywhere. Dates of birth and nationality are the guard.
* Arabic, Persian, Urdu and Hebrew are written without short vowels; anyascii therefore
  gives "mhmd `ly" for محمد علي (even the alif is dropped). A pair involving such a form is
  compared by consonants only ("mhmd l" = "Mohammed Ali"), and that evidence is weighted
  down (`_CONSONANT_WEIGHT`): a perfect consonant match counts as 75, so it is flagged only
  with the same full date of birth (and the same or an unknown nationality). Names that
  differ only in vowels, w or v cannot be told apart this way (محمد matches "Mahmoud" as
  well as "Muhammad"), and a Latin search query does not find a person recorded *only* in
  Arabic script (its index tokens have no vowels). Vowelled text (harakat, niqqud)
  transliterates fully and is compared like any other form.
* Hangul and Chinese characters are split into syllables, so "김민준" and "Kim Min-jun",
  "KIM Minjun" compare alike. anyascii follows Revised Romanisation (김 → Gim, 박 → Bag), so
  the most common Korean surnames get their usual passport spelling (`_KOREAN_SURNAMES`);
  rarer ones and variants such as Lee/Yi/Rhee still differ. Japanese kanji get Chinese
  readings (山田 → "Shan Tian") and will not match a romanised Japanese name; kana are fine.
* Name similarity is `token_sort_ratio`: order-free, but an extra token (a patronymic in
  one form only) costs a lot; record such variants as aliases. Conversely short names that
  differ in one syllable ("Kim Min-jun" / "Kim Min-ji", 90) are flagged: twins and siblings
  registered together will show up for review.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from itertools import product

from anyascii import anyascii
from rapidfuzz import fuzz

# After normalisation, spellings of one name score 90-100 while different common names
# ("Mohammed Ali" / "Ahmed Ali", "Wang Wei" / "Wang Li") score 75-80. At 85 the latter stay
# under the line with the same nationality (+5) or a shared birth year (+0) and are flagged
# only with the same full date of birth as well; a one-letter typo (about 90) is flagged on
# the name alone; a different real nationality (-15) takes a name at least 90% alike and the
# same full date of birth.
DUPLICATE_THRESHOLD: int = 85

_FULL_DOB_BONUS = 10
_SAME_NATIONALITY_BONUS = 5
_OTHER_NATIONALITY_PENALTY = 15
# Codes that say nothing about citizenship, so they neither reward nor penalise.
_NON_NATIONALITIES = frozenset({"XXX", "XXA"})
# Consonant-only similarity is weak evidence (vowels unknown): 100% alike counts as 75,
# which reaches DUPLICATE_THRESHOLD only with the same full date of birth.
_CONSONANT_WEIGHT = 0.75
# Longest run of adjacent tokens indexed as one ("kim min jun" -> "kimminjun").
_MAX_JOINED_TOKENS = 3

# Passport spellings of common Korean surnames where anyascii's Revised Romanisation
# differs; applied to the first Hangul syllable of a name only (where the surname is).
_KOREAN_SURNAMES = {
    "김": "Kim", "이": "Lee", "박": "Park", "최": "Choi", "정": "Jung", "강": "Kang",
    "조": "Cho", "임": "Lim", "신": "Shin", "권": "Kwon", "오": "Oh", "고": "Ko",
    "곽": "Kwak", "노": "Noh",
}

# Applied in order to each lower-case token. Each merges spellings of one sound that
# different romanisation systems (English, German, French, Polish, ICAO) produce.
_SPELLING_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"tsch|tch", "ch"),  # Tschaikowski, Tchaikovsky -> ch
        (r"sch|sz", "sh"),  # Schewtschenko, Szewczenko -> sh...
        (r"cz", "ch"),  # ...and Polish cz -> ch: both reach Shevchenko
        (r"kh", "h"),  # Khabibullin = Habibullin
        (r"ph", "f"),
        (r"ck", "k"),
        (r"x", "ks"),  # Alexander = Aleksandr
        (r"dzh|dj|zh", "j"),  # Dzhamal = Djamal = Jamal, Zhukov = Jukov
        (r"w", "v"),  # Ivanow = Ivanov, Iwan = Ivan
        (r"[yj]", "i"),  # Yuriy = Jurij = Iurii
        (r"ou|oo", "u"),  # Youssef = Yusuf, Joon = Jun
        (r"ee", "i"),  # Ameer = Amir
        (r"([a-z])\1+", r"\1"),  # Habibullin = Habibulin, Mariya -> maria
        (r"^ie", "e"),  # Yevgeniy = Evgeniy (initial Е)
        (r"ie", "i"),  # Dieter = Diter
    )
)

_APOSTROPHES = re.compile(r"['`’ʼʻ\"]")
_NON_LETTERS = re.compile(r"[^a-z]+")
_VOWELS_AND_V = re.compile(r"[aeiouv]")
_VOWEL_POINTS = re.compile("[\u05b0-\u05bb\u05c7\u064b-\u0650\u0670]")


def _is_syllabic(char: str) -> bool:
    """Hangul syllables and Chinese characters are each a syllable, romanised as one word."""
    code = ord(char)
    return (
        0xAC00 <= code <= 0xD7A3  # Hangul syllables
        or 0x3400 <= code <= 0x9FFF  # CJK unified ideographs (and extension A)
        or 0xF900 <= code <= 0xFAFF  # CJK compatibility ideographs
        or 0x20000 <= code <= 0x3134F  # CJK extensions B-G
    )


def _lacks_vowels(name: str) -> bool:
    """Arabic, Hebrew and Syriac script usually leave short vowels unwritten.

    Written with vowel points (harakat, niqqud), anyascii spells the vowels out and the
    form can be compared like any other.
    """
    if name.isascii():
        return False
    abjad = any(0x0590 <= ord(char) <= 0x08FF or 0xFB1D <= ord(char) <= 0xFEFF for char in name)
    return abjad and not _VOWEL_POINTS.search(name)


def _to_ascii(name: str) -> str:
    """Transliterate, keeping syllable boundaries that anyascii would run together."""
    if name.isascii():
        return name  # most names as written in passports: nothing to transliterate
    parts: list[str] = []
    seen_syllable = False
    for char in name:
        if _is_syllabic(char):
            latin = _KOREAN_SURNAMES.get(char) if not seen_syllable else None
            parts.append(f" {latin or anyascii(char)} ")
            seen_syllable = True
        elif char == "ة":  # ta marbuta sounds "a" (Fatima), anyascii writes "h"
            parts.append("a")
        else:
            parts.append(anyascii(char))
    return "".join(parts)


@lru_cache(maxsize=16384)
def _normalise_token(token: str) -> str:
    """Merge romanisation variants of one lower-case ASCII token. Cached: fifteen regular
    expressions a token, and the same name parts recur across thousands of people."""
    for pattern, replacement in _SPELLING_RULES:
        token = pattern.sub(replacement, token)
    return token


# An import's own memory of skeletons (`remembered_skeletons`), else None.
_REMEMBERED: ContextVar[dict[str, str] | None] = ContextVar("skeletons", default=None)


@contextmanager
def remembered_skeletons() -> Iterator[None]:
    """Inside the block every skeleton is computed once and kept until the block ends.

    An import checks, compares and indexes each of its people's names several times, and a
    large file has far more names than `_skeleton`'s cache holds, so without this the cache
    misses on almost every call. Nested blocks share the outer block's memory.
    """
    if _REMEMBERED.get() is not None:
        yield
        return
    token = _REMEMBERED.set({})
    try:
        yield
    finally:
        _REMEMBERED.reset(token)


def skeleton(name: str) -> str:
    """The name as lower-case ASCII tokens with romanisation variants merged.

    Token order is kept (scoring sorts tokens itself); apostrophes vanish (Natal'ya, the
    Arabic ain) while other punctuation separates tokens (Min-jun -> "min iun").
    """
    remembered = _REMEMBERED.get()
    if remembered is None:
        return _skeleton(name)
    try:
        return remembered[name]
    except KeyError:
        remembered[name] = value = _skeleton(name)
        return value


@lru_cache(maxsize=4096)
def _skeleton(name: str) -> str:
    ascii_name = _APOSTROPHES.sub("", _to_ascii(name).lower())
    tokens = (_normalise_token(token) for token in _NON_LETTERS.split(ascii_name))
    return " ".join(token for token in tokens if token)


def _joined_runs(tokens: list[str]) -> set[str]:
    """Runs of up to _MAX_JOINED_TOKENS adjacent tokens written together ("min jun")."""
    return {
        "".join(tokens[start:end])
        for start in range(len(tokens))
        for end in range(start + 2, min(start + _MAX_JOINED_TOKENS, len(tokens)) + 1)
    }


def name_tokens(*names: str | None) -> set[str]:
    """Every token a search may hit for these names, to store in the search index.

    Adjacent tokens are also stored joined, so "Minjun" finds "Min Jun" and "민준".
    """
    tokens: set[str] = set()
    for name in names:
        if name:
            parts = skeleton(name).split()
            tokens.update(parts, _joined_runs(parts))
    return {token for token in tokens if len(token) >= 2}


def index_text(*names: str | None) -> str:
    """All written forms of a person's names as the search index stores them: their
    `name_tokens`, sorted, each after a space.

    The space before every token lets a search ask for a token *prefix* (" li") as a plain
    substring, which a trigram index can answer even for a two-letter term; a term never
    contains a space, so no match spans two tokens.
    """
    return "".join(f" {token}" for token in sorted(name_tokens(*names)))


def search_terms(query: str) -> list[str]:
    """The query's skeleton tokens, in order and de-duplicated, each to be found inside an
    index token (search.py: anywhere from three letters, at the start when shorter).

    Hyphenated words and Hangul or Chinese words stay whole ("Min-jun" -> "miniun",
    "김민준" -> "kimminiun"), which the joined index tokens find however the stored name was
    spaced; a query spaced where the stored name is not ("min jun" for "Minjun") finds it
    because each word lies inside the stored token.
    """
    terms: list[str] = []
    for word in query.split():
        if "-" in word or any(_is_syllabic(char) for char in word):
            terms.append(skeleton(word).replace(" ", ""))
        else:
            terms.extend(skeleton(word).split())
    return [term for term in dict.fromkeys(terms) if len(term) >= 2]


@dataclass(frozen=True)
class PersonKey:
    """What duplicate detection needs to know about one applicant."""

    names: tuple[str, ...]  # every written form: "FAMILY Given", native name, aliases
    date_of_birth: str | None  # "YYYY", "YYYY-MM" or "YYYY-MM-DD", precision kept
    nationality: str | None  # ISO 3166-1 alpha-3, or "XXA" stateless, "XXX" unknown


@dataclass(frozen=True)
class MatchResult:
    """How alike two applicants are, and the reasons a caseworker can check."""

    score: int  # 0-100
    name_score: int  # best similarity between any two written forms (0-100)
    reasons: tuple[str, ...]


_DOB = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


@lru_cache(maxsize=65536)  # every comparison parses both dates; a century has 36,525
def _dob_parts(dob: str) -> tuple[str, ...]:
    """("1990", "05") for "1990-05"; malformed dates are a caller bug, not a non-match."""
    match = _DOB.fullmatch(dob)
    if match is None:
        raise ValueError(f"date of birth must be YYYY, YYYY-MM or YYYY-MM-DD, not {dob!r}")
    return tuple(part for part in match.groups() if part is not None)


def dob_compatible(a: str | None, b: str | None) -> bool:
    """Whether both dates may belong to one person, agreeing on every part both know.

    Many applicants know only their birth year, so "1990" must not rule out "1990-05-17".
    """
    if not a or not b:
        return True
    return all(x == y for x, y in zip(_dob_parts(a), _dob_parts(b), strict=False))


def _spellings(name: str) -> set[str]:
    """Ways the same name may be spaced: as written, given names joined, all joined."""
    tokens = skeleton(name).split()
    spellings = {" ".join(tokens), "".join(tokens)}
    if len(tokens) > 2:
        spellings.add(f"{tokens[0]} {''.join(tokens[1:])}")
        spellings.add(f"{''.join(tokens[:-1])} {tokens[-1]}")
    return spellings


def _consonants(spelling: str) -> str:
    """The spelling's consonants, to compare with a script that leaves vowels unwritten.

    v (w) goes too: Arabic و writes both w and a long u (محمود "mhmwd" = Mahmoud), Hebrew ו
    both v and o/u.
    """
    return " ".join(_VOWELS_AND_V.sub("", token) for token in spelling.split())


def _form_similarity(x: str, y: str) -> tuple[int, str]:
    """Best similarity of two written forms, and how it was reached (for the reasons).

    An unvowelled form is compared by consonants alone: against "mhmd", the ratio of a
    vowelled spelling would depend on how many vowels it has, not on who it names.
    """
    pairs = list(product(_spellings(x), _spellings(y)))
    if not (_lacks_vowels(x) or _lacks_vowels(y)):
        score = round(max(fuzz.token_sort_ratio(s, t) for s, t in pairs))
        return score, f"{score}% alike"
    bare = round(max(fuzz.token_sort_ratio(_consonants(s), _consonants(t)) for s, t in pairs))
    return round(bare * _CONSONANT_WEIGHT), f"{bare}% alike in consonants only, counted lower"


def _name_evidence(a: PersonKey, b: PersonKey) -> tuple[int, str]:
    """The most alike pair of written forms: one good spelling match is enough."""
    best, reason = -1, "no names to compare"
    for x, y in product(a.names, b.names):
        if not (skeleton(x) and skeleton(y)):
            continue  # two blank forms would be "100% alike"
        score, how = _form_similarity(x, y)
        if score > best:
            best, reason = score, f"names {how} ({x} ~ {y})"
    return max(best, 0), reason


def _dob_evidence(a: str | None, b: str | None) -> tuple[int, str]:
    """Only a full date shared to the day is evidence; a shared year is merely no objection.

    Expects dates already known to be compatible.
    """
    if not a or not b:
        return 0, "date of birth unknown on one side"
    precision_a, precision_b = len(_dob_parts(a)), len(_dob_parts(b))
    if precision_a == precision_b == 3:
        return _FULL_DOB_BONUS, f"same date of birth {a}"
    whose = "both dates" if precision_a == precision_b else "other date"
    if min(precision_a, precision_b) == 1:
        return 0, f"birth year matches ({whose} known only to the year)"
    return 0, f"birth year and month match ({whose} known only to the month)"


def _nationality_evidence(a: str | None, b: str | None) -> tuple[int, str | None]:
    """Same citizenship supports a match, two different real ones speak against it.

    Stateless (XXA) or unknown (XXX) against a citizenship is no objection: people gain and
    lose citizenships, and first registrations often lack documents.
    """
    code_a, code_b = (a or "XXX").upper(), (b or "XXX").upper()
    if code_a == code_b and code_a != "XXX":
        return _SAME_NATIONALITY_BONUS, f"same nationality {code_a}"
    if code_a != code_b and not {code_a, code_b} & _NON_NATIONALITIES:
        return -_OTHER_NATIONALITY_PENALTY, f"different nationality ({code_a} / {code_b})"
    return 0, None


def compare(a: PersonKey, b: PersonKey) -> MatchResult | None:
    """Score how likely two applicants are one person, or None if their births rule it out.

    A different birth year is never a duplicate, however alike the names: common names
    would otherwise flood caseworkers with false alarms.
    """
    if not dob_compatible(a.date_of_birth, b.date_of_birth):
        return None
    name_score, name_reason = _name_evidence(a, b)
    dob_bonus, dob_reason = _dob_evidence(a.date_of_birth, b.date_of_birth)
    nationality_delta, nationality_reason = _nationality_evidence(a.nationality, b.nationality)
    # Bonuses are capped at 100 before a penalty, so a perfect match still loses 15.
    bonuses = name_score + dob_bonus + max(nationality_delta, 0)
    score = max(0, min(100, bonuses) + min(nationality_delta, 0))
    reasons = (name_reason, dob_reason) + ((nationality_reason,) if nationality_reason else ())
    return MatchResult(score=score, name_score=name_score, reasons=reasons)


def is_likely_duplicate(a: PersonKey, b: PersonKey) -> MatchResult | None:
    """The comparison when it reaches DUPLICATE_THRESHOLD, for listing possible duplicates."""
    result = compare(a, b)
    return result if result is not None and result.score >= DUPLICATE_THRESHOLD else None
