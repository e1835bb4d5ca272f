"""Sorting and pagination for every list page, driven by the query string."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app, request
from flask_sqlalchemy.pagination import Pagination

from casemgr.extensions import db


@dataclass(frozen=True)
class Sorting:
    """A whitelist of sortable columns; `?sort=name` or `?sort=-name` picks one."""

    columns: dict[str, Any]
    default: str

    def current(self) -> str:
        requested = request.args.get("sort", self.default)
        return requested if requested.lstrip("-") in self.columns else self.default

    def apply(self, query: sa.Select[Any], tiebreaker: Any) -> sa.Select[Any]:
        key = self.current()
        column = self.columns[key.lstrip("-")]
        order = column.desc() if key.startswith("-") else column.asc()
        return query.order_by(order, tiebreaker)


def paginate(query: sa.Select[Any], *, per_page: int | None = None) -> Pagination:
    """One page of results; a page number past the end or not a number gives page 1."""
    return db.paginate(
        query,
        page=request.args.get("page", 1, type=int),
        per_page=per_page or current_app.config["PAGE_SIZE"],
        max_per_page=100,
        error_out=False,
    )
