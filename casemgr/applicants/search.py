"""The applicant name search: one service over a trigram index each database builds its own
way, used by the list's search box and the API; the duplicate check reads the same
stored text on the few rows its birth blocking leaves (`duplicate_candidates`).

Every written form of a person's name (passport spelling, native script, aliases) is reduced
to transliterated skeleton tokens by matching.py, so IVANOV, Иванов and Iwanow meet, and
stored on the applicant as one text, `Applicant.name_skeletons` (" ivan ivanov ivanovivan",
`matching.index_text`). A search term matches when it lies inside that text:

* SQLite: `applicant_name_search`, an FTS5 table with the trigram tokenizer over that
  column. It is an external-content table (the text is stored once, in `applicants`).
  Updates and deletes of `applicants` keep it current through two triggers; a new person's
  row is added by the code that inserts them, in the same transaction: `_index_inserted`
  after every ORM insert, `index_inserted` for the bulk writer's batches. (An insert
  trigger did this until migration 0012: run per row inside a bulk `executemany`, it made
  a large import's applicant inserts more than twice as slow as adding the batch's index
  rows afterwards.) Terms are FTS5 phrases: `"vano" AND " li"`.
* PostgreSQL: `ix_applicants_name_skeletons_trgm`, a GIN index with pg_trgm's
  `gin_trgm_ops` on the column, which answers `name_skeletons LIKE '%vano%'`.

Every term of a query must match (AND). A term of three letters or more matches anywhere
inside a token ("vano" finds IVANOV, "olga" finds KUZNETSOVA Olga); a shorter one, which a
trigram index cannot look up by itself, matches the start of a token: " li" finds LI and
LIEV, not ALI. That is what the token-prefix index this replaced did for every term, and
the same index answers it, because the space stored before each token makes " li" a
trigram (SQLite indexes it; pg_trgm pads a word at a word boundary). Terms are `[a-z]+`
(skeletons), so neither query language needs escaping.

Both index objects are made by migration 0011 and are not on the models' metadata: SQLite
cannot declare a virtual table there, and an index that only PostgreSQL has would make
autogenerate ask SQLite for it. `include_name` keeps autogenerate from proposing to drop
them. A later migration that rebuilds `applicants` on SQLite (a batch "move and copy")
drops the triggers with the old table and must create them again, as migration 0011 does;
one that inserts applicants with plain SQL must add their index rows, as `index_inserted`
does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from casemgr.applicants import matching
from casemgr.applicants.models import Applicant
from casemgr.database import id_among
from casemgr.listing import few_rows

SQLITE_TABLE = "applicant_name_search"
POSTGRESQL_INDEX = "ix_applicants_name_skeletons_trgm"
# The tables FTS5 creates beside an external-content table.
_SQLITE_SHADOW_SUFFIXES = ("_data", "_idx", "_docsize", "_config", "_content")
# Trigrams cannot look up a shorter term by itself (see the module docstring).
TRIGRAM = 3
# The duplicate check's blocking: candidates share the first letters of a name token.
BLOCK_PREFIX = 4
# A name search that matches at most this many people hands the list their ids, so the
# page and its count read applicants by id instead of repeating the search.
SEARCH_ID_LIMIT = 2000

_fts = sa.table(SQLITE_TABLE, sa.column("rowid", sa.Integer),
                sa.column("name_skeletons", sa.Text))


def index_inserted(connection: sa.Connection, people: Iterable[tuple[int, str]]) -> None:
    """Add people just inserted (id, `name_skeletons`) to the SQLite index, in the
    connection's transaction; PostgreSQL's GIN index follows the column by itself."""
    if connection.dialect.name != "sqlite":
        return
    driver: Any = connection.connection.driver_connection
    driver.executemany(f"INSERT INTO {SQLITE_TABLE}(rowid, name_skeletons) VALUES (?, ?)",  # noqa: S608 - a constant table name, values bound # nosec B608
                       people)


@sa.event.listens_for(Applicant, "after_insert")
def _index_inserted(_mapper: Any, connection: sa.Connection, applicant: Applicant) -> None:
    index_inserted(connection, [(applicant.id, applicant.name_skeletons)])


def merge_index(session: Session) -> None:
    """Merge the SQLite index's segments into one, after a bulk load (the demo data). Each
    transaction of inserts leaves segments that FTS5 merges only in part as it goes, and
    a search looks its trigrams up in every segment: at a million people, searches took
    3.1 ms with the demo's segments and 2.4 ms after this (bench/README.md). PostgreSQL's
    GIN index needs nothing of the kind."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(sa.text(
            "INSERT INTO applicant_name_search(applicant_name_search) VALUES ('optimize')"))


def person_names(family_name: str, given_names: str, native_name: str | None,
                 aliases: Iterable[str]) -> list[str]:
    """Every written form of one person's name, as the index holds them."""
    return [f"{family_name} {given_names}", native_name or "", *aliases]


def index_names(applicant: Any) -> None:
    """Recompute the indexed text from the person's names (an Applicant or a bulk draft
    whose `aliases` are strings); call it before the flush or insert that writes them."""
    aliases = [alias if isinstance(alias, str) else alias.name for alias in applicant.aliases]
    applicant.name_skeletons = matching.index_text(*person_names(
        applicant.family_name, applicant.given_names, applicant.native_name, aliases))


def forget_names(applicant: Applicant) -> None:
    """Take the person out of the name index (retention: the names are gone)."""
    applicant.name_skeletons = ""


def needle(term: str) -> str:
    """What the indexed text must contain for a search term to match: the term, or for a
    term too short for trigrams the term at the start of a token (module docstring)."""
    return term if len(term) >= TRIGRAM else f" {term}"


def _containing(session: Session, needles: list[str], *, every: bool
                ) -> tuple[sa.ColumnElement[bool], sa.Select[Any]]:
    """Applicants whose names contain every (or any) needle: as a condition on Applicant,
    and as a query of their ids (the index alone, where it can give them)."""
    if session.get_bind().dialect.name == "sqlite":
        phrases = (" AND " if every else " OR ").join(f'"{needle}"' for needle in needles)
        ids = sa.select(_fts.c.rowid).where(_fts.c.name_skeletons.match(phrases))
        return Applicant.id.in_(ids), ids
    likes = [Applicant.name_skeletons.like(f"%{needle}%") for needle in needles]
    condition = sa.and_(*likes) if every else sa.or_(*likes)
    return condition, sa.select(Applicant.id).where(condition)


def name_matches(session: Session, terms: list[str]
                 ) -> tuple[sa.ColumnElement[bool], sa.Select[Any]]:
    """The people whose names match every search term (`matching.search_terms`): as a
    condition on Applicant, and as the query of their ids that the index answers."""
    return _containing(session, [needle(term) for term in terms], every=True)


def search_applicants(session: Session, query: sa.Select[Any], text: str) -> sa.Select[Any]:
    """Narrow a query of applicants to those a search finds: a registration number by
    prefix, or every word of a name in any script. A name search that found at most
    SEARCH_ID_LIMIT people narrows by their ids and marks the query `few_rows`, so that
    its page counts them in the same statement."""
    text = text.strip()
    if not text:
        return query
    if text[:4].isdigit():
        return query.where(Applicant.registration_no.startswith(text, autoescape=True))
    terms = matching.search_terms(text)
    if not terms:
        return few_rows(query.where(sa.false()))
    condition, found = name_matches(session, terms)
    ids = session.execute(found.limit(SEARCH_ID_LIMIT + 1)).scalars().all()
    if len(ids) <= SEARCH_ID_LIMIT:
        return few_rows(query.where(id_among(session, Applicant.id, list(ids))))
    return query.where(condition)


def duplicate_candidates(names: Iterable[str]) -> sa.ColumnElement[bool] | None:
    """Applicants sharing with these names the first BLOCK_PREFIX letters of a name token:
    the blocking of the duplicate check, which scores only them. None without a name.

    A LIKE on the stored text, not an FTS5 phrase: the check pairs it with the birth
    blocking, which leaves a few dozen people for a full date of birth, while SQLite's
    index would first list everyone in the register sharing any of the prefixes (tens of
    thousands at a million for a common name). PostgreSQL's planner may still intersect
    its trigram index with the birth index, which measured faster there (bench/README)."""
    prefixes = sorted({token[:BLOCK_PREFIX] for token in matching.name_tokens(*names)})
    if not prefixes:
        return None
    return sa.or_(*(Applicant.name_skeletons.contains(f" {prefix}") for prefix in prefixes))


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic's name filter: leave the index objects of migration 0011, which are not on
    the models' metadata (see the module docstring), out of autogenerate's comparison."""
    if name is None:
        return True
    if type_ == "table":
        return name != SQLITE_TABLE and name not in {
            f"{SQLITE_TABLE}{suffix}" for suffix in _SQLITE_SHADOW_SUFFIXES}
    if type_ == "index":
        return name != POSTGRESQL_INDEX
    return True


def rebuild_all(connection: sa.Connection, *, batch_size: int = 5000,
                progress: Callable[[int], None] | None = None) -> int:
    """Recompute every applicant's `name_skeletons` from the names stored (the migration's
    backfill); anonymised people get none. Returns how many people were read.

    Reads and writes only the columns named here, so it runs on the schema of migration
    0011 and any later one that keeps them.
    """
    applicants = sa.table("applicants", sa.column("id", sa.Integer),
                          sa.column("family_name", sa.String),
                          sa.column("given_names", sa.String),
                          sa.column("native_name", sa.String),
                          sa.column("anonymised_at", sa.DateTime),
                          sa.column("name_skeletons", sa.Text))
    aliases = sa.table("applicant_aliases", sa.column("id", sa.Integer),
                       sa.column("applicant_id", sa.Integer), sa.column("name", sa.String))
    update = (sa.update(applicants).where(applicants.c.id == sa.bindparam("person"))
              .values(name_skeletons=sa.bindparam("text")))
    done, last = 0, 0
    while True:
        people = connection.execute(
            sa.select(applicants.c.id, applicants.c.family_name, applicants.c.given_names,
                      applicants.c.native_name, applicants.c.anonymised_at)
            .where(applicants.c.id > last).order_by(applicants.c.id).limit(batch_size)).all()
        if not people:
            return done
        last = people[-1].id
        known_as: dict[int, list[str]] = {}
        for applicant_id, name in connection.execute(
                sa.select(aliases.c.applicant_id, aliases.c.name)
                .where(aliases.c.applicant_id.between(people[0].id, last))
                .order_by(aliases.c.id)):
            known_as.setdefault(applicant_id, []).append(name)
        connection.execute(update, [
            {"person": person.id, "text": "" if person.anonymised_at is not None else
             matching.index_text(*person_names(person.family_name, person.given_names,
                                               person.native_name,
                                               known_as.get(person.id, [])))}
            for person in people])
        done += len(people)
        if progress is not None:
            progress(done)
