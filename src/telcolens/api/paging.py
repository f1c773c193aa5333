"""One page envelope and one paging helper for every list endpoint.

A list answers ``Paged[Row]``: ``total`` rows match, this is page ``page`` of
``page_size`` rows, ``items`` are its rows. An endpoint that says more about the list
(the day it is for) subclasses the envelope; a subclass also keeps the OpenAPI schema
its own name (``class IncidentPage(Paged[IncidentRow])``).
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import Result, Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")


class Paged(BaseModel, Generic[T]):
    """One page of a list."""

    total: int = Field(description="Rows matching, on every page.")
    page: int = Field(description="This page's number, from 1.")
    page_size: int = Field(description="Rows per page.")
    items: list[T]


def count(session: Session, statement: Select[Any]) -> int:
    """How many rows ``statement`` selects, ignoring its order.

    Counted over the statement as a subquery, which is right for grouped and distinct
    statements too; SQLite and PostgreSQL flatten it for a plain filter, so it costs what
    ``count(*)`` over the table would.
    """
    subquery = statement.order_by(None).subquery()
    return session.execute(select(func.count()).select_from(subquery)).scalar() or 0


def paginate(
    session: Session, statement: Select[Any], page: int, page_size: int
) -> tuple[int, Result[Any]]:
    """The rows matching ``statement`` and page ``page`` of them (``statement`` is ordered).

    The rows come as the statement's result: ``.scalars()`` for ORM objects,
    ``.mappings()`` for columns.
    """
    total = count(session, statement)
    rows = session.execute(statement.offset((page - 1) * page_size).limit(page_size))
    return total, rows
