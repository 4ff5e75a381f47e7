"""Paginate a SELECT: one COUNT and one page query, whatever the page."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session


@dataclass
class Page:
    items: list[Any]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def page_number(value: str | None) -> int:
    """Parse ?page= leniently: anything that is not a positive integer is page 1."""
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


def paginate(
    session: Session, stmt: Select[Any], number: int, per_page: int = 50, *, rows: bool = False
) -> Page:
    """Run stmt for one page; a page past the end shows the last page.

    Items are ORM objects (first column), or whole rows with ``rows=True``.
    """
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    pages = max(1, math.ceil(total / per_page))
    number = min(max(1, number), pages)
    page_stmt = stmt.limit(per_page).offset((number - 1) * per_page)
    items = list(session.execute(page_stmt).all() if rows else session.scalars(page_stmt))
    return Page(items=items, number=number, per_page=per_page, total=total)
