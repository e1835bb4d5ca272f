"""Copy a casemgr SQLite database into a fresh PostgreSQL database (bench data, issue 9).

Usage:
    python bench/copy_to_postgres.py sqlite:////work/benchdata/1m.sqlite3 \\
        postgresql+psycopg://postgres@127.0.0.1:5432/bench1m

Generating a million people into PostgreSQL with `casemgr demo` takes about an hour on the
2-core machine; the same people copied from the SQLite file take minutes. The script

1. drops and creates the target database through the `postgres` maintenance database;
2. runs the migrations to head there (`casemgr db upgrade`), so the schema, the pg_trgm
   name index and the partial indexes are exactly what the app creates;
3. drops the secondary indexes (their definitions read from pg_indexes first; the indexes
   behind primary keys and unique constraints stay), then copies every table of the models'
   metadata, parents before children (`sorted_tables`), with COPY … FROM STDIN; foreign
   keys are not checked row by row during the copy (`session_replication_role = replica`:
   the rows come from a database that enforced them); the rows the migrations seed (the
   audit chain's head) are replaced by SQLite's;
4. recreates the indexes, sets every identity/serial sequence to the table's max(id),
   runs VACUUM ANALYZE and compares the row count of every table with SQLite's.

Values: SQLite keeps dates and UTC datetimes as ISO text (naive, UTC) and booleans as 0/1;
COPY's text format parses both into the PostgreSQL column types (`date`, `timestamptz`
with the session's time zone set to UTC, `boolean` accepts 0 and 1), so the values go
through unchanged. alembic_version (written by the migrations) and SQLite's FTS5 tables
(`applicant_name_search*`; PostgreSQL has its trigram index instead) are not copied.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess  # nosec B404
import sys
import time
from pathlib import Path

import psycopg
import sqlalchemy as sa
from psycopg import sql

import casemgr.models  # noqa: F401 - imports every model onto the metadata
from casemgr.extensions import db

SKIP = {"alembic_version"}
PROGRESS_EVERY = 100_000
BATCH = 20_000


def conninfo(url: sa.engine.URL, database: str) -> str:
    return psycopg.conninfo.make_conninfo(
        host=url.host or "", port=url.port or 5432, user=url.username or "",
        password=url.password or "", dbname=database)


def quoted(name: str) -> str:
    """An SQLite identifier in double quotes."""
    return '"' + name.replace('"', '""') + '"'


def recreate_database(url: sa.engine.URL) -> None:
    with psycopg.connect(conninfo(url, "postgres"), autocommit=True) as conn:
        name = sql.Identifier(url.database)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))


def upgrade(pg_url: str) -> None:
    casemgr = Path(sys.executable).with_name("casemgr")
    env = dict(os.environ, CASEMGR_DATABASE_URL=pg_url)
    subprocess.run([str(casemgr), "db", "upgrade"], env=env, check=True)  # nosec B603


def secondary_indexes(conn: psycopg.Connection) -> list[tuple[str, str, str]]:
    """(table, index, definition) of every index not behind a primary key or constraint."""
    return conn.execute(
        "SELECT i.tablename, i.indexname, i.indexdef FROM pg_indexes i "
        "WHERE i.schemaname = current_schema() AND NOT EXISTS ("
        "  SELECT 1 FROM pg_constraint c WHERE c.conindid = "
        "  (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass) "
        "ORDER BY i.tablename, i.indexname").fetchall()


def copy_table(lite: sqlite3.Connection, conn: psycopg.Connection, table: str) -> int:
    pg_columns = [row[0] for row in conn.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = %s "
        "ORDER BY ordinal_position", (table,))]
    lite_columns = {row[1] for row in lite.execute(f"PRAGMA table_info({quoted(table)})")}
    missing = [c for c in pg_columns if c not in lite_columns]
    extra = lite_columns - set(pg_columns)
    if extra:
        raise SystemExit(f"{table}: columns only in SQLite: {sorted(extra)}")
    columns = [c for c in pg_columns if c in lite_columns]
    if missing:
        print(f"  {table}: not in SQLite, left to their defaults: {missing}", flush=True)
    # Names from the models' metadata and the catalogue, not from input.
    select = f"SELECT {', '.join(map(quoted, columns))} FROM {quoted(table)}"  # noqa: S608  # nosec B608
    copy = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns)))
    done = 0
    started = time.monotonic()
    cursor = lite.execute(select)
    with conn.cursor() as pg, pg.copy(copy) as out:
        while rows := cursor.fetchmany(BATCH):
            for row in rows:
                out.write_row(row)
            before, done = done, done + len(rows)
            if done // PROGRESS_EVERY > before // PROGRESS_EVERY:
                print(f"  {table}: {done:,} rows, {time.monotonic() - started:.0f} s",
                      flush=True)
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sqlite", help="sqlite:////path/to/file.sqlite3")
    parser.add_argument("postgresql", help="postgresql+psycopg://user@host:port/database")
    args = parser.parse_args()
    lite_path = sa.engine.make_url(args.sqlite).database
    pg_url = sa.engine.make_url(args.postgresql)
    if not lite_path or not Path(lite_path).exists():
        raise SystemExit(f"no SQLite file {lite_path}")
    if not pg_url.database or pg_url.database == "postgres":
        raise SystemExit("name a database of its own: it is dropped and created")
    started = time.monotonic()

    def step(what: str) -> None:
        print(f"[{time.monotonic() - started:7.1f} s] {what}", flush=True)

    step(f"recreating database {pg_url.database}")
    recreate_database(pg_url)
    step("migrating to head")
    upgrade(args.postgresql)

    # One read transaction for every table: one snapshot (WAL), even if the app writes to
    # the file meanwhile (the audit chain's head must match the last copied event).
    lite = sqlite3.connect(f"file:{lite_path}?mode=ro", uri=True, isolation_level=None)
    lite.execute("BEGIN")
    lite_tables = {row[0] for row in lite.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    tables = [t.name for t in db.metadata.sorted_tables if t.name not in SKIP]
    not_copied = sorted(t for t in lite_tables - set(tables) - SKIP
                        if not t.startswith(("sqlite_", "applicant_name_search")))
    if not_copied:
        raise SystemExit(f"SQLite tables not in the models' metadata: {not_copied}")

    counts: dict[str, int] = {}
    with psycopg.connect(conninfo(pg_url, pg_url.database)) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        conn.execute("SET session_replication_role = replica")
        conn.execute("SET maintenance_work_mem = '512MB'")
        # The migrations seed a few rows (the audit chain's head): the copy replaces them.
        conn.execute(sql.SQL("TRUNCATE {}").format(
            sql.SQL(", ").join(map(sql.Identifier, tables))))
        indexes = secondary_indexes(conn)
        step(f"dropping {len(indexes)} secondary indexes")
        for _table, name, _definition in indexes:
            conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
        for table in tables:
            if table not in lite_tables:
                raise SystemExit(f"table {table} is not in the SQLite file")
            step(f"copying {table}")
            counts[table] = copy_table(lite, conn, table)
            step(f"{table}: {counts[table]:,} rows")
        conn.commit()
        step(f"recreating {len(indexes)} indexes")
        for table, name, definition in indexes:
            conn.execute(definition)
            conn.commit()
            step(f"  {table}.{name}")
        step("setting sequences")
        for table, column, sequence in conn.execute(
                "SELECT table_name, column_name, "
                "pg_get_serial_sequence(quote_ident(table_name), column_name) "
                "FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND pg_get_serial_sequence(quote_ident(table_name), column_name) "
                "IS NOT NULL").fetchall():
            conn.execute(sql.SQL(
                "SELECT setval(%s, COALESCE((SELECT max({}) FROM {}), 1), "
                "(SELECT max({}) FROM {}) IS NOT NULL)").format(
                    sql.Identifier(column), sql.Identifier(table),
                    sql.Identifier(column), sql.Identifier(table)), (sequence,))
        conn.commit()
    with psycopg.connect(conninfo(pg_url, pg_url.database), autocommit=True) as conn:
        step("VACUUM ANALYZE")
        conn.execute("VACUUM ANALYZE")
        step("checking row counts")
        wrong = []
        for table in tables:
            query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
            pg_count = conn.execute(query).fetchone()[0]
            lite_count = lite.execute(
                f"SELECT count(*) FROM {quoted(table)}").fetchone()[0]  # noqa: S608  # nosec B608
            print(f"  {table}: SQLite {lite_count:,}, PostgreSQL {pg_count:,}"
                  + ("" if pg_count == lite_count else "  MISMATCH"), flush=True)
            if pg_count != lite_count:
                wrong.append(table)
    step("done" if not wrong else f"row counts differ: {wrong}")
    if wrong:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
