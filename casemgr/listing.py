"""Sorting and pagination for every list page, driven by the query string."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app, request
from flask_sqlalchemy.pagination import SelectPagination

from casemgr.extensions import db

# Beyond this many matches a list says "more than 1,000": an exact count would read every
# matching row of a million-row table on each page view, and nobody pages that far (a
# narrower filter is the way on). Paging on past the cap still works.
COUNT_CAP = 1_000
# Page numbers beyond this are clamped (a huge OFFSET would overflow the database integer).
MAX_PAGE = 100_000


FEW_ROWS = "casemgr_few_rows"


def few_rows(query: sa.Select[Any]) -> sa.Select[Any]:
    """Mark a query that matches at most a few thousand rows whatever else narrows it (a
    name search that found few people): its page then counts them in the same statement."""
    return query.execution_options(**{FEW_ROWS: True})


class CappedPagination(SelectPagination):
    """Flask-SQLAlchemy's pagination with the count stopped at COUNT_CAP + 1 rows, or, for
    a query marked with `few_rows`, counted by a window function in the page's own
    statement (one statement instead of two, and the matches read once)."""

    def _query_items(self) -> list[Any]:
        select = self._query_args["select"]
        if not select.get_execution_options().get(FEW_ROWS):
            return super()._query_items()
        counted = (select.add_columns(sa.func.count().over())
                   .limit(self.per_page).offset(self._query_offset))
        rows = self._query_args["session"].execute(counted).all()
        if rows:
            self._counted = rows[0][-1]
        return [row[0] for row in rows]

    def _query_count(self) -> int:
        counted = getattr(self, "_counted", None)
        if counted is not None:
            return int(counted)
        if (self.items and len(self.items) < self.per_page) or (not self.items and self.page == 1):
            # A short page is the last one: the total is known without counting.
            return (self.page - 1) * self.per_page + len(self.items)
        select = self._query_args["select"]
        capped = (select.with_only_columns(sa.literal_column("1"), maintain_column_froms=True)
                  .order_by(None).limit(COUNT_CAP + 1).subquery())
        session = self._query_args["session"]
        return int(session.execute(sa.select(sa.func.count()).select_from(capped)).scalar()
                   or 0)

    @property
    def count_cap(self) -> int:
        return COUNT_CAP

    @property
    def total_is_capped(self) -> bool:
        return (self.total or 0) > COUNT_CAP

    @property
    def has_next(self) -> bool:
        """Beyond the cap the page count is unknown: a full page may have a next one."""
        if self.total_is_capped and len(self.items) == self.per_page:
            return True
        return super().has_next

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None


@dataclass(frozen=True)
class Sorting:
    """A whitelist of sortable columns; `?sort=name` or `?sort=-name` picks one."""

    columns: dict[str, Any]
    default: str

    def current(self) -> str:
        requested = request.args.get("sort", self.default)
        return requested if requested.lstrip("-") in self.columns else self.default

    def apply(self, query: sa.Select[Any], tiebreaker: Any) -> sa.Select[Any]:
        """Order by the chosen column, ties broken by `tiebreaker` in the same direction
        (so an index on the column, which ends in the row id, serves the whole order)."""
        key = self.current()
        column = self.columns[key.lstrip("-")]
        if key.startswith("-"):
            return query.order_by(column.desc(), tiebreaker.desc())
        return query.order_by(column.asc(), tiebreaker.asc())


def paginate(query: sa.Select[Any], *, per_page: int | None = None) -> CappedPagination:
    """One page of results; a page number that is not a number gives page 1."""
    return CappedPagination(
        select=query,
        session=db.session(),
        page=min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE),
        per_page=per_page or current_app.config["PAGE_SIZE"],
        max_per_page=100,
        error_out=False,
    )
