"""Where SQLite's time goes when an import writes: the rows of an imported database
replayed into fresh tables with plain `executemany` (no Python beyond the driver), once with
the indexes in place and once bare with the indexes built afterwards.

Usage:
    python bench/bench_exchange.py import --rows 20000 --keep /tmp/import20k
    python bench/bench_import_indexes.py /tmp/import20k/import.sqlite3 [--copies 5]

Each table's rows are inserted `--copies` times (ids and unique text made distinct), so
20,000 imported people stand for 100,000. Times are CPU seconds of this process
(`time.process_time`), which a busy machine inflates less than wall-clock time.
"""

from __future__ import annotations

import argparse
import sqlite3
import time

from common import machine

# The name index (an FTS5 table on SQLite) is measured by bench_name_index_writes.py.
TABLES = ("applicants", "cases", "case_events", "statistics_facts", "audit_events")


def _unique_columns(source: sqlite3.Connection, table: str) -> set[int]:
    columns: set[int] = set()
    for _seq, name, unique, *_rest in source.execute(f'PRAGMA index_list("{table}")'):
        if unique:
            columns.update(info[1] for info in source.execute(f'PRAGMA index_info("{name}")'))
    return columns


def _copy(row: tuple, copy: int, unique: set[int]) -> tuple:
    """The row again as copy number `copy`: a new integer id, unique text suffixed."""
    if not copy:
        return row
    return tuple(value + copy * 10_000_000 if index == 0 and isinstance(value, int)
                 else f"{value}-{copy}" if index in unique and isinstance(value, str)
                 else value for index, value in enumerate(row))


def replay(source: sqlite3.Connection, tables: list[str], copies: int, *,
           indexes_first: bool) -> float:
    target = sqlite3.connect(":memory:")
    target.execute("PRAGMA cache_size = -262144")
    total = 0.0
    for table in tables:
        create, = source.execute("SELECT sql FROM sqlite_master WHERE type = 'table' "
                                 "AND name = ?", (table,)).fetchone()
        target.execute(create)
        indexes = [sql for (sql,) in source.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
            "AND sql IS NOT NULL", (table,))]
        rows = source.execute(f'SELECT * FROM "{table}"').fetchall()  # noqa: S608 - fixed table names # nosec B608
        unique = _unique_columns(source, table)
        marks = ", ".join("?" * len(rows[0])) if rows else ""
        start = time.process_time()
        if indexes_first:
            for sql in indexes:
                target.execute(sql)
        for copy in range(copies):
            target.executemany(f'INSERT INTO "{table}" VALUES ({marks})',  # noqa: S608 # nosec B608
                               [_copy(row, copy, unique) for row in rows])
        inserted = time.process_time()
        if not indexes_first:
            for sql in indexes:
                target.execute(sql)
        done = time.process_time()
        total += done - start
        print(f"{'indexes first' if indexes_first else 'bare, then index':17} {table:24} "
              f"{len(rows) * copies:>9,} rows: insert {inserted - start:6.2f} s, "
              f"index {done - inserted:5.2f} s")
    target.close()
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", help="an SQLite file an import wrote")
    parser.add_argument("--copies", type=int, default=5)
    args = parser.parse_args()
    source = sqlite3.connect(args.database)
    present = {name for (name,) in source.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    tables = [table for table in TABLES if table in present
              and source.execute(f'SELECT 1 FROM "{table}" LIMIT 1').fetchone()]  # noqa: S608 # nosec B608
    with_indexes = replay(source, tables, args.copies, indexes_first=True)
    bare = replay(source, tables, args.copies, indexes_first=False)
    print(f"all tables: {with_indexes:.1f} CPU s with the indexes in place, "
          f"{bare:.1f} CPU s bare and indexed afterwards")
    print(machine())


if __name__ == "__main__":
    main()
